"""Trains several sizes of one instrument's model at once on a GPU, each to fit a time budget, and exports them.

One prepared run for a machine with an NVIDIA GPU (issue 9: quality against size and
steps). The corpus travels packed (``python -m export.data CORPUS/violin violin.npz``);
each network is trained by :mod:`export.train` (the same recipe as on the CPU, bf16
autocast) in its own process, all sharing the GPU. A first leg of ``--probe-steps``
measures each network's speed; the second resumes with the step count that fills the
rest of ``--minutes`` (the learning-rate schedule is laid over that count). Each result
is exported with :mod:`export.onnx_export` (checked against onnxruntime on the CPU) and
listed in ``sweep.json``::

    python -m export.gpu_sweep violin.npz --sizes 16,32,64:1 24,48,96:1 32,64,128:1 --minutes 4 -o runs/sweep
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def size_name(size: str) -> str:
    channels, blocks = size.split(":")
    return "c" + channels.replace(",", "-") + "b" + blocks


def train_cmd(corpus: str, name: str, size: str, out: Path, steps: int, batch: int, stop_at: int | None) -> list[str]:
    channels, blocks = size.split(":")
    cmd = [sys.executable, "-m", "export.train", corpus, "--name", name, "-o", str(out), "--channels", channels,
           "--blocks-per-level", blocks, "--steps", str(steps), "--batch-size", str(batch), "--ckpt-every", "500",
           "--quiet"]
    return cmd + (["--stop-at", str(stop_at)] if stop_at else [])


def run_all(cmds: dict[str, list[str]], log_dir: Path) -> dict[str, float]:
    """Runs the commands at once; returns each one's wall seconds (raises if one fails)."""
    t0, procs = time.perf_counter(), {}
    for key, cmd in cmds.items():
        procs[key] = subprocess.Popen(cmd, stdout=open(log_dir / f"{key}.log", "a"), stderr=subprocess.STDOUT)
    took = {}
    for key, proc in procs.items():
        if proc.wait() != 0:
            raise SystemExit(f"{key}: {' '.join(cmds[key])} failed; see {log_dir / (key + '.log')}")
        took[key] = time.perf_counter() - t0
    return took


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.gpu_sweep", description=__doc__.splitlines()[0])
    p.add_argument("corpus", help="a packed corpus (.npz) or a corpus folder")
    p.add_argument("--name", help="instrument name (default: the corpus file's stem)")
    p.add_argument("--sizes", nargs="+", default=["16,32,64:1"], metavar="CHANNELS:BLOCKS",
                   help="networks to train: channels per level and blocks per level (default: the shipped size)")
    p.add_argument("--minutes", type=float, default=4.0, help="wall time for the whole sweep's training")
    p.add_argument("--batch-size", type=int, default=32, help="windows per step (default 32, as on the CPU)")
    p.add_argument("--probe-steps", type=int, default=300, help="steps of the first leg that times each network")
    p.add_argument("--export-s", type=float, default=30.0, help="seconds of --minutes kept for the exports")
    p.add_argument("--min-steps", type=int, default=0,
                   help="train each network at least this far, whatever the probe left of the budget")
    p.add_argument("-o", "--out", default="runs/sweep", help="run folders, exported models and sweep.json")
    a = p.parse_args(argv)
    name = a.name or Path(a.corpus).stem
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    runs = {size_name(s): (s, out / size_name(s)) for s in a.sizes}
    probe = {k: train_cmd(a.corpus, name, s, d, 10**6, a.batch_size, a.probe_steps) for k, (s, d) in runs.items()}
    took = run_all(probe, out)
    left = a.minutes * 60 - (time.perf_counter() - t_start) - a.export_s
    steps = {k: max(a.min_steps, a.probe_steps + int(max(0.0, left) * a.probe_steps / took[k])) for k in runs}
    print(f"probe: {a.probe_steps} steps took " + ", ".join(f"{k} {t:.1f} s" for k, t in took.items())
          + f"; training on to " + ", ".join(f"{k} {n}" for k, n in steps.items()), flush=True)
    run_all({k: train_cmd(a.corpus, name, s, d, steps[k], a.batch_size, None) for k, (s, d) in runs.items()}, out)
    results = []
    for key, (size, run_dir) in runs.items():
        onnx = out / f"{name}-{key}.onnx"
        exp = subprocess.run([sys.executable, "-m", "export.onnx_export", str(run_dir / "ckpt.pt"), "-o", str(onnx)],
                             capture_output=True, text=True)
        if exp.returncode != 0:
            raise SystemExit(f"{key}: export failed:\n{exp.stderr[-2000:]}")
        summary = json.loads(exp.stdout.strip().splitlines()[-1])
        summary.update(size=size, file=onnx.name, device=os.environ.get("BRIDGE_DEVICE", ""))
        results.append(summary)
        print(json.dumps(summary), flush=True)
    (out / "sweep.json").write_text(json.dumps(results, indent=1))
    print(f"sweep done in {(time.perf_counter() - t_start) / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
