"""The report's study: the strength x steps sweep (tables 5.1/5.2, redone with our own metrics).

Vocal accompaniment (end of section 5.2) is a runtime feature: :func:`bridge.offline.accompany`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np

from bridge import offline
from bridge.config import Preset
from bridge.errors import ParameterError


def sweep(
    y: np.ndarray, sample_rate: int, models: Mapping, preset: Preset, strengths: list[float], steps_list: list[int],
    judge,
) -> list[dict]:
    """Runs transfer for every (strength, steps) cell; ``judge(out) -> dict`` scores each output."""
    from tqdm import tqdm

    cells = []
    with tqdm(total=len(strengths) * len(steps_list), desc=f"sweep -> {preset.target}", unit="cell") as bar:
        for s in strengths:
            for k in steps_list:
                p = preset.with_params(strength=s, steps=k)
                out = offline.transfer(y, sample_rate, models, p)
                cells.append({"strength": s, "steps": k, **judge(out)})
                bar.update(1)
    return cells


def heatmap(cells: list[dict], key: str, path: Path, title: str) -> None:
    """Writes one metric of a sweep as a strength x steps heatmap PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    strengths = sorted({c["strength"] for c in cells})
    steps = sorted({c["steps"] for c in cells})
    grid = np.full((len(strengths), len(steps)), np.nan)
    for c in cells:
        grid[strengths.index(c["strength"]), steps.index(c["steps"])] = c[key]
    fig, ax = plt.subplots(figsize=(1.2 * len(steps) + 2, 0.6 * len(strengths) + 1.5), dpi=100)
    im = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(len(steps)), [str(s) for s in steps])
    ax.set_yticks(range(len(strengths)), [f"{s:g}" for s in strengths])
    ax.set_xlabel("denoising steps")
    ax.set_ylabel("strength (fraction of T noised)")
    for i in range(len(strengths)):
        for j in range(len(steps)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", color="w", fontsize=8)
    ax.set_title(title)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown_table(cells: list[dict], key: str) -> str:
    strengths = sorted({c["strength"] for c in cells})
    steps = sorted({c["steps"] for c in cells})
    by = {(c["strength"], c["steps"]): c[key] for c in cells}
    lines = ["| strength \\ steps | " + " | ".join(map(str, steps)) + " |", "|---" * (len(steps) + 1) + "|"]
    for s in strengths:
        lines.append(f"| {s:g} | " + " | ".join(f"{by[(s, k)]:.3f}" for k in steps) + " |")
    return "\n".join(lines)


def sweep_command(args, preset: Preset, models) -> int:
    """``bridge sweep IN --to NAME``: the strength x steps table and heatmaps."""
    from bridge import audio_io

    from . import evaluate

    y, sr = audio_io.read(args.input)
    strengths = [float(s) for s in args.strengths.split(",")]
    steps_list = [int(k) for k in args.steps_list.split(",")]
    models[preset.target]
    judge = evaluate.sweep_judge(y, sr, preset.target, args)
    cells = sweep(y, sr, models, preset, strengths, steps_list, judge)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    keys = [k for k in cells[0] if k not in ("strength", "steps")]
    baselines = {"identity (output = input)": judge(y)}
    if getattr(args, "oracle", None):
        y_or, sr_or = audio_io.read(args.oracle)
        if sr_or != sr:
            raise ParameterError(f"--oracle: expected {sr} Hz like the input, got {sr_or} Hz")
        baselines["oracle (" + Path(args.oracle).name + ")"] = judge(y_or)
    report = [f"# sweep: {Path(args.input).name} -> {preset.target} (seed {preset.sampler.seed})", "",
              "| baseline | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    report += [f"| {name} | " + " | ".join(f"{row[k]:.3f}" for k in keys) + " |" for name, row in baselines.items()]
    report.append("")
    (out / "sweep.json").write_text(json.dumps({"input": str(args.input), "target": preset.target, "seed":
                                                preset.sampler.seed, "cells": cells, "baselines": baselines},
                                               indent=1))
    for key in keys:
        heatmap(cells, key, out / f"sweep_{key}.png", f"{Path(args.input).stem} -> {preset.target}: {key}")
        report += [f"## {key}", "", markdown_table(cells, key), ""]
    (out / "sweep.md").write_text("\n".join(report))
    print("\n".join(report))
    print(f"wrote {out / 'sweep.md'}, {out / 'sweep.json'} and heatmaps sweep_<metric>.png")
    return 0
