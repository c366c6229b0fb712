"""Does the daemon really run on CUDA here? One prepared check for a machine with an NVIDIA GPU.

    pip install . 'onnxruntime-gpu[cuda,cudnn]'    # CUDA and cuDNN from PyPI wheels, no system install
    python -m lab.gpu_check                          # exits 1 unless every model runs on CUDA

For every shipped model (or ``--models DIR``): the provider bridge's own choice lands on
(``ModelSet("auto")``, as ``bridge serve`` does), parity of one forward CUDA vs CPU (max
abs difference), the forward's median time on each, and one streamed minute of 48 kHz
stereo through :func:`bridge.offline.transfer` (the daemon's computation) as RTF on each.
One table, side by side. ``--allow-cpu`` runs the CPU half alone (for machines without a
GPU, and for the test of this script). ``--options`` adds the measurement behind
:data:`bridge.model.CUDA_OPTIONS`: TF32 and cuDNN's algorithm search against parity and
the streamed cost, each on fresh sessions (the first pass includes every new shape's set-up).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import bridge.model
from bridge import offline
from bridge.model import ModelSet
from bridge.presets import PresetLibrary


def median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times))


def stream_rtf(models, preset, seconds: float) -> float:
    sr = 48000
    t = np.arange(int(seconds * sr)) / sr
    y = np.stack([0.3 * np.sin(2 * np.pi * 196 * t), 0.2 * np.sin(2 * np.pi * 247 * t)]).astype(np.float32)
    t0 = time.perf_counter()
    offline.transfer(y, sr, models, preset)
    return (time.perf_counter() - t0) / seconds


OPTION_VARIANTS = {
    "TF32 on, EXHAUSTIVE (onnxruntime's default)": {"use_tf32": "1", "cudnn_conv_algo_search": "EXHAUSTIVE"},
    "TF32 off, EXHAUSTIVE": {"use_tf32": "0", "cudnn_conv_algo_search": "EXHAUSTIVE"},
    "TF32 off, DEFAULT": {"use_tf32": "0", "cudnn_conv_algo_search": "DEFAULT"},
    "TF32 off, HEURISTIC": {"use_tf32": "0", "cudnn_conv_algo_search": "HEURISTIC"},
}


def options_table(dirs, name: str, seconds: float = 20.0) -> None:
    """CUDA provider options against parity with the CPU and the streamed RTF (two passes each)."""
    keep = dict(bridge.model.CUDA_OPTIONS)
    ref_set = ModelSet(dirs, "cpu", threads=0)
    m = ref_set[name].info.mel
    x = np.random.default_rng(1).standard_normal((16, 1, m.n_mels, m.window_frames)).astype(np.float32)
    t = np.full(16, 300)
    ref = ref_set[name].predict(x, t)
    lib = PresetLibrary([])
    print(f"\nCUDA options, model {name} (bridge uses {keep}):")
    print("| options | preset | RTF 1st pass | RTF 2nd pass | max abs diff vs CPU |")
    print("|---|---|---|---|---|")
    try:
        for label, opts in OPTION_VARIANTS.items():
            bridge.model.CUDA_OPTIONS = opts
            for preset_name in ("guitar-to-violin", "live"):
                fresh = ModelSet(dirs, "cuda", threads=0)
                preset = lib[preset_name]
                rtf = [stream_rtf(fresh, preset, seconds) for _ in range(2)]
                diff = float(np.abs(fresh[name].predict(x, t) - ref).max())
                print(f"| {label} | {preset_name} | {rtf[0]:.3f} | {rtf[1]:.3f} | {diff:.1e} |")
    finally:
        bridge.model.CUDA_OPTIONS = keep


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab.gpu_check", description=__doc__.splitlines()[0])
    p.add_argument("--models", action="append", default=[], metavar="DIR", help="extra model folder")
    p.add_argument("--repeats", type=int, default=50, help="timed forwards per model and provider (default 50)")
    p.add_argument("--seconds", type=float, default=60.0, help="streamed audio per provider (default 60)")
    p.add_argument("--allow-cpu", action="store_true", help="no GPU: run and print the CPU half only, exit 0")
    p.add_argument("--options", action="store_true",
                   help="also compare CUDA provider options (TF32, cuDNN algorithm search) on violin")
    a = p.parse_args(argv)

    auto = ModelSet(a.models, "auto", threads=0)
    names = sorted(auto.paths())
    auto[names[0]]
    print(f"provider chosen by bridge: {auto.provider.upper()} ({auto.provider_note})")
    on_cuda = auto.provider == "cuda"
    if not on_cuda and not a.allow_cpu:
        print("no CUDA: this machine cannot prove the GPU path (pass --allow-cpu to time the CPU alone)")
        return 1
    cpu = ModelSet(a.models, "cpu", threads=0)
    cuda = ModelSet(a.models, "cuda", threads=0) if on_cuda else None
    rng = np.random.default_rng(0)
    print("\n| model | max abs diff CUDA vs CPU | forward CPU ms | forward CUDA ms | speed-up |")
    print("|---|---|---|---|---|")
    for name in names:
        c = cpu[name]
        m = c.info.mel
        x = rng.standard_normal((4, 1, m.n_mels, m.window_frames)).astype(np.float32)
        t = np.array([100, 300, 500, 700])
        cpu_ms = median_ms(lambda: c.predict(x, t), a.repeats)
        if cuda is not None:
            g = cuda[name]
            diff = float(np.abs(g.predict(x, t) - c.predict(x, t)).max())
            gpu_ms = median_ms(lambda: g.predict(x, t), a.repeats)
            print(f"| {name} | {diff:.2e} | {cpu_ms:.2f} | {gpu_ms:.2f} | {cpu_ms / gpu_ms:.1f}x |")
        else:
            print(f"| {name} | - | {cpu_ms:.2f} | - | - |")
    preset = PresetLibrary([])["guitar-to-violin"]
    cpu_rtf = stream_rtf(cpu, preset, a.seconds)
    line = f"\nstreamed {a.seconds:g} s of 48 kHz stereo ({preset.name}): RTF CPU {cpu_rtf:.3f}"
    if cuda is not None:
        gpu_rtf = stream_rtf(cuda, preset, a.seconds)
        line += f", CUDA {gpu_rtf:.3f} ({cpu_rtf / gpu_rtf:.1f}x)"
    print(line)
    if a.options and cuda is not None:
        options_table(a.models, "violin" if "violin" in names else names[0])
    return 0 if on_cuda or a.allow_cpu else 1


if __name__ == "__main__":
    sys.exit(main())
