"""Builds the default models that ship inside the package, resumably.

For each instrument: render its corpus with FluidSynth (unless present), train (or
resume) in a child process, export to ``bridge/models/NAME.onnx`` and write the model
card ``bridge/models/NAME.md``. Run it again after an interruption: every stage picks
up where it stopped. The exact command is recorded in each model's metadata and card.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_ORDER = ("violin", "guitar", "voice", "cello", "flute", "kick", "snare", "hihat")
DRUMS = ("kick", "snare", "hihat")


def _expression_rows(controls: dict) -> str:
    """The conditioned model's note envelope and vibrato, measured on its corpus (``loudness: note``, ``pitch: target``)."""
    if not controls.get("note_decay_db_s") and not controls.get("vibrato_cents"):
        return ""
    return (f"| note attack (to within 3 dB of the peak), corpus median | {controls.get('note_attack_s')} s |\n"
            f"| note decay after the attack, corpus median | {controls.get('note_decay_db_s')} dB/s |\n"
            + _pitch_row("note decay by pitch", controls.get("note_decay_by_pitch"), "+.1f", "dB/s")
            + _band_row(controls.get("note_decay_by_band")) +
            f"| vibrato with the mod wheel at rest, corpus median | {controls.get('vibrato_cents')} cents RMS at "
            f"{controls.get('vibrato_hz')} Hz |\n"
            + _pitch_row("vibrato by pitch (mod wheel at rest)", controls.get("vibrato_by_pitch"), ".1f", "cents RMS")
            + _noise_row(controls.get("noise_share")))


def _pitch_row(label: str, points, value_format: str, unit: str) -> str:
    """A measure against pitch (``note_decay_by_pitch``, ``vibrato_by_pitch``), one octave's median per point."""
    if not points:
        return ""
    return (f"| {label}, median per octave | "
            + ", ".join(f"{hz:.0f} Hz: {v:{value_format}}" for hz, v in points) + f" {unit} |\n")


def _band_row(by_band) -> str:
    """Each band's fall against the level (``note_decay_by_band``), as four band groups a reader can picture."""
    if not by_band:
        return ""
    n = len(by_band)
    groups = [(0, n // 4), (n // 4, n // 2), (n // 2, 3 * n // 4), (3 * n // 4, n)]
    return (f"| note decay by mel band against the level, mean over bands "
            + " / ".join(f"{a}-{b - 1}" for a, b in groups) + " | "
            + " / ".join(f"{sum(by_band[a:b]) / (b - a):+.1f}" for a, b in groups) + " dB/s |\n")


def _noise_row(share) -> str:
    """The measured noise share (``noise: measured``), as three bands a reader can picture."""
    if not share:
        return ""
    n = len(share)
    parts = [f"{100 * sum(share[a:b]) / (b - a):.1f}%" for a, b in ((n // 8, n // 2), (n // 2, 3 * n // 4),
                                                                      (3 * n // 4, n))]
    return (f"| power between the partials (noise: measured), mean over mel bands {n // 8}-{n // 2 - 1} / "
            f"{n // 2}-{3 * n // 4 - 1} / {3 * n // 4}-{n - 1} | {' / '.join(parts)} |\n")


def card(summary: dict, info: dict, command: str, corpus_manifest: dict) -> str:
    """The model card: what the model is, what it was trained on, how to remake it."""
    kind = "Unconditional DDPM" if not info.get("controls") else (
        "DDPM conditioned on the input's pitch and note onsets (bridge.controls planes, dropped out "
        f"{info['controls']['dropout']:.0%} of the time, so it also runs without them)")
    start = "" if not info.get("controls", {}).get("init_from") else (
        f"\nStarted from the weights of the previous `{info['controls']['init_from']}` (unconditional; "
        "its controls input at zero), so the steps below are a fine-tune.\n")
    return f"""# {summary['instrument']}

{kind} (v-prediction, cosine schedule, T={info['n_timesteps']}) on normalised log-mel
windows ({info['n_mels']} mels, {info['sample_rate']} Hz, hop {info['hop_length']}, window {info['window_frames']} frames).
{start}
| | |
|---|---|
| file size | {summary['bytes'] / 1e6:.2f} MB |
| parameters | {summary['params']:,} |
| corpus | FluidSynth, soundfont {corpus_manifest.get('soundfont')}, seed {corpus_manifest.get('seed')}, {corpus_manifest.get('seconds')} s |
| training steps | {summary['steps']} |
| training wall time | {summary['wall_s'] / 60:.1f} min (2-core CPU, bf16 autocast) |
| final loss (L1 on v, mean of last 200 steps) | {summary['final_loss']} |
| onnxruntime vs torch max abs diff | {summary['max_abs_diff']:.2e} |
{_expression_rows(info.get("controls") or {})}
Made by:

```
{command}
```
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.defaults", description=__doc__.splitlines()[0])
    p.add_argument("--work", default="/work/train", help="corpora and run folders (kept between sessions)")
    p.add_argument("--models", default=str(Path(__file__).resolve().parent.parent / "bridge" / "models"))
    p.add_argument("--only", default=",".join(DEFAULT_ORDER))
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--drum-steps", type=int, default=4000)
    p.add_argument("--minutes", type=float, default=20.0, help="corpus minutes per melodic instrument")
    p.add_argument("--drum-minutes", type=float, default=15.0)
    p.add_argument("--soundfont", default="FluidR3_GM.sf2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--export-every", type=int, default=0, help="also export after every N steps (0: at the end)")
    a = p.parse_args(argv)
    command = "python -m export.defaults " + " ".join(shlex.quote(x) for x in (argv or sys.argv[1:]))
    work = Path(a.work)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    for name in a.only.split(","):
        drum = name in DRUMS
        corpus_dir = work / "corpora" / Path(a.soundfont).stem / name
        if not (corpus_dir / "corpus.json").is_file():
            from lab.corpus import render_instrument

            t = time.time()
            minutes = a.drum_minutes if drum else a.minutes
            render_instrument(corpus_dir.parent, name, minutes * 60, a.seed, a.soundfont)
            print(f"{name}: corpus rendered in {time.time() - t:.0f} s", flush=True)
        steps = a.drum_steps if drum else a.steps
        run = work / "runs" / name
        stages = list(range(a.export_every, steps, a.export_every)) if a.export_every else []
        for target in stages + [steps]:
            train_cmd = [sys.executable, "-m", "export.train", str(corpus_dir), "--name", name, "-o", str(run),
                         "--steps", str(steps), "--seed", str(a.seed), "--threads", str(a.threads), "--quiet"]
            if target < steps:
                train_cmd += ["--stop-at", str(target)]
            subprocess.run(train_cmd, check=True, env=env)
            out = Path(a.models) / f"{name}.onnx"
            exp = subprocess.run([sys.executable, "-m", "export.onnx_export", str(run / "ckpt.pt"), "-o", str(out),
                                  "--command", command], check=True, env=env, capture_output=True, text=True)
            summary = json.loads(exp.stdout.strip().splitlines()[-1])
            from bridge.model import read_metadata

            info = read_metadata(out).summary()
            manifest = json.loads((corpus_dir / "corpus.json").read_text())
            (Path(a.models) / f"{name}.md").write_text(card(summary, info, command, manifest))
            print(f"{name}: exported at step {summary['steps']}, loss {summary['final_loss']}, "
                  f"{summary['wall_s'] / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
