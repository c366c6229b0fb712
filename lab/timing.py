"""One U-Net forward timed in onnxruntime (and, when given, another implementation interleaved with it).

``bridge bench`` times onnxruntime alone; ``python -m export.eager MODEL.onnx`` passes its
torch eager twin as ``eager`` and prints both side by side.
"""

from __future__ import annotations

import statistics
import time

import numpy as np


def summary(values: list[float]) -> dict:
    """Median, min, max and count of some timings."""
    v = sorted(values)
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "n": len(v)}


def time_forward(den, repeats: int, eager=None) -> dict:
    """One U-Net forward (batch 1, the model's window) in onnxruntime, and ``eager(x, t)`` when given.

    The two are timed interleaved, so both see the same machine load.
    """
    m = den.info.mel
    x = np.random.default_rng(0).standard_normal((1, 1, m.n_mels, m.window_frames)).astype(np.float32)
    t = np.array([500])
    den.predict(x, t)
    if eager is not None:
        eager(x, t)
    ort_ms, eager_ms = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        den.predict(x, t)
        ort_ms.append(1000 * (time.perf_counter() - t0))
        if eager is not None:
            t0 = time.perf_counter()
            eager(x, t)
            eager_ms.append(1000 * (time.perf_counter() - t0))
    out = {"model": den.info.instrument, "shape": list(x.shape), "onnxruntime_ms": summary(ort_ms)}
    if eager_ms:
        out["torch_eager_ms"] = summary(eager_ms)
        out["torch_over_onnxruntime"] = round(statistics.median(eager_ms) / statistics.median(ort_ms), 2)
    return out
