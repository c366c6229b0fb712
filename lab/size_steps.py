"""Quality against model size and training steps: train a grid resumably, then score it.

``train`` trains one network size from scratch and exports an ONNX file at each stage
(``--stages``), resuming from the run's checkpoint, so an interrupted grid picks up where
it stopped. Stages before the last are taken mid-schedule (the learning rate has not
annealed yet), which is what "training longer" means for a fixed recipe.

``table`` scores every exported stage on held-out phrases of one pair (the shipped pair
preset, the stage's file standing in for the target model) and prints a Markdown table::

    python -m lab.size_steps train CORPUS --channels 32,64,128 --steps 3000 --stages 1000,2000
    python -m lab.size_steps table --pair guitar:violin --phrases 4
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_dir(out: Path, name: str, channels: str, steps: int) -> Path:
    return out / f"{name}-c{channels.replace(',', '-')}-s{steps}"


def train_grid(a) -> int:
    corpus = Path(a.corpus)
    name = a.name or corpus.name
    run = run_dir(Path(a.out), name, a.channels, a.steps)
    run.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    stages = sorted({int(s) for s in a.stages.split(",") if s} | {a.steps})
    for stage in stages:
        onnx = run / f"stage-{stage}.onnx"
        if onnx.is_file():
            print(f"{onnx.name}: exported already", flush=True)
            continue
        cmd = [sys.executable, "-m", "export.train", str(corpus), "--name", name, "-o", str(run), "--controls",
               "--channels", a.channels, "--steps", str(a.steps), "--threads", str(a.threads), "--quiet"]
        cmd += shlex.split(a.train_args)
        if stage < a.steps:
            cmd += ["--stop-at", str(stage)]
        subprocess.run(cmd, check=True, env=env, cwd=ROOT)
        exp = subprocess.run([sys.executable, "-m", "export.onnx_export", str(run / "ckpt.pt"), "-o", str(onnx)],
                             check=True, env=env, cwd=ROOT, capture_output=True, text=True)
        summary = json.loads(exp.stdout.strip().splitlines()[-1])
        summary["channels"] = a.channels
        (run / f"stage-{stage}.json").write_text(json.dumps(summary, indent=1))
        print(f"{onnx.name}: step {summary['steps']}, loss {summary['final_loss']}, "
              f"{summary['wall_s'] / 60:.1f} min of training, {summary['params']:,} params", flush=True)
    return 0


def _forward_ms(onnx: Path, repeats: int = 20) -> float:
    """Median time of one model call on the model's window, one thread (what a preset's step costs)."""
    from bridge.model import ModelSet
    from lab.timing import time_forward

    with tempfile.TemporaryDirectory() as d:
        shutil.copy(onnx, Path(d) / "m.onnx")
        return time_forward(ModelSet([d], "cpu", threads=1)["m"], repeats)["onnxruntime_ms"]["median"]


def _params(onnx: Path) -> int:
    """Parameters of an exported model: the elements of its initialisers."""
    import numpy as np
    import onnx as onnx_lib

    return int(sum(np.prod(t.dims) for t in onnx_lib.load(str(onnx)).graph.initializer))


def score_grid(a) -> int:
    from bridge import offline
    from bridge.model import ModelSet
    from lab.evaluate import _cnn_judge, pair_preset, score_outputs
    from lab.judge import build_judge
    from lab.phrases import make_phrases
    from lab.pitch import pitch_track

    src, tgt = a.pair.split(":")
    work = Path(a.work)
    judge = build_judge(work)
    cnn = _cnn_judge(work, judge.report["holdout_soundfont"], False)
    sr = 22050
    phrases = make_phrases(src, tgt, a.phrases, 10.0, 1, sr)
    refs = [pitch_track(p.input, sr) for p in phrases]
    preset = pair_preset(src, tgt).with_params(student=False, steps=a.steps)
    files = sorted(Path(a.out).glob(f"{tgt}-c*/stage-*.onnx"),
                   key=lambda f: (len(f.parent.name), f.parent.name, int(f.stem.split("-")[1])))
    files += [Path(f) for f in a.extra]
    rows = []
    oracle = score_outputs([p.oracle for p in phrases], sr, tgt, phrases, refs, judge, cnn)
    for f in files:
        meta_path = f.with_suffix(".json")
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(f, Path(d) / f"{tgt}.onnx")
            models = ModelSet([d], "cpu")
            params = meta.get("params") or _params(f)
            outs = [offline.transfer(p.input[None], sr, models, preset)[0] for p in phrases]
        r = score_outputs(outs, sr, tgt, phrases, refs, judge, cnn)
        rows.append({"file": str(f), "channels": meta.get("channels", "shipped"), "params": params,
                     "steps": meta.get("steps"), "train_min": round(meta.get("wall_s", 0) / 60, 1) or None,
                     "loss": meta.get("final_loss"), "forward_ms": round(_forward_ms(f), 2),
                     **{k: r[k] for k in ("target_prob_cnn", "target_prob", "pitch_accuracy")}})
        print(json.dumps(rows[-1]), flush=True)
    Path(a.json).write_text(json.dumps({"pair": a.pair, "phrases": a.phrases, "steps": a.steps,
                                        "oracle": {k: oracle[k] for k in ("target_prob_cnn", "pitch_accuracy")},
                                        "rows": rows}, indent=1))
    print(f"\n{a.pair}, {a.phrases} held-out phrases, {a.steps} steps; oracle CNN P(target) "
          f"{oracle['target_prob_cnn']:.3f}\n")
    print("| channels | params | training steps | training min | final loss | forward ms | CNN P(target) "
          "| mel-stat P(target) | pitch acc |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['channels']} | {r['params']:,} | {r['steps']} | {r['train_min']} | {r['loss']} | "
              f"{r['forward_ms']} | {r['target_prob_cnn']:.3f} | {r['target_prob']:.3f} | {r['pitch_accuracy']:.3f} |")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab.size_steps", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train one size from scratch, exporting at each stage")
    t.add_argument("corpus")
    t.add_argument("--name")
    t.add_argument("--channels", default="16,32,64")
    t.add_argument("--steps", type=int, default=3000)
    t.add_argument("--stages", default="1000,2000")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--out", default="/work/train/size")
    t.add_argument("--train-args", default="", help="more export.train options, one string (e.g. '--lr 2e-4')")
    s = sub.add_parser("table", help="score every exported stage on held-out phrases")
    s.add_argument("--pair", default="guitar:violin")
    s.add_argument("--phrases", type=int, default=4)
    s.add_argument("--steps", type=int, default=8, help="sampling steps (teacher models, no student)")
    s.add_argument("--out", default="/work/train/size")
    s.add_argument("--work", default="eval", help="where the judges are kept")
    s.add_argument("--extra", nargs="*", default=[], help="more model files to score (e.g. the shipped one)")
    s.add_argument("--json", default="/work/train/size/table.json")
    a = p.parse_args(argv)
    return train_grid(a) if a.cmd == "train" else score_grid(a)


if __name__ == "__main__":
    raise SystemExit(main())
