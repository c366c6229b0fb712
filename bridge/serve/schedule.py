"""How the stream worker schedules compute: a window's measured cost, and the steps a burst of windows can afford.

A stream's latency includes a compute budget (twice one window's measured cost); a window
must be done within it. Windows of several streams on one audio clock fall due together,
so the worker plans their steps as one burst: the most steps whose predicted work, with
what is already in flight, fits ``PLAN_SHARE`` of the tightest budget among them. The
prediction is the measured seconds per model row, a moving average over ticks (rendering
included). The worker then makes one call of at most ``ROWS_PER_TICK`` rows per loop,
oldest windows first, and answers final chunks between calls.
"""

from __future__ import annotations

import time

import numpy as np

from .. import dsp, sampling
from ..stream import Stream

PLAN_SHARE = 0.8
ROW_COST_EMA = 0.2
# One model call of at most this many rows per worker loop: a reply waits for at most one call.
ROWS_PER_TICK = 2


def plan_steps(max_steps: int, rows_per_step: int, rows_in_flight: int, row_cost_s: float, available_s: float) -> int:
    """The most steps (at least 1) for which ``(rows_in_flight + rows_per_step * steps) * row_cost_s <= available_s``."""
    steps = max_steps
    while steps > 1 and (rows_in_flight + rows_per_step * steps) * row_cost_s > available_s:
        steps -= 1
    return steps


def updated_row_cost(row_cost_s: float | None, seconds: float, rows: int) -> float | None:
    """The moving average of seconds per model row after a tick of ``rows`` rows that took ``seconds``."""
    if not rows:
        return row_cost_s
    per_row = seconds / rows
    return per_row if row_cost_s is None else (1 - ROW_COST_EMA) * row_cost_s + ROW_COST_EMA * per_row


def window_cost_s(stream: Stream, repeats: int = 3) -> float:
    """Times one window on this machine (its model calls and its inversion), median of ``repeats``.

    The daemon budgets twice this into a stream's latency, so replies leave on time
    when compute keeps up; it is a measurement, not part of the output.
    """
    g, mel = stream.geometry, stream.mel
    s = stream._window_settings()
    x = np.zeros((stream.n_lanes, 1, mel.n_mels, g.window_frames), np.float32)
    t = np.full(stream.n_lanes, s.t_start, np.int64)
    mag = np.ones((g.n_fft // 2 + 1, g.window_frames))
    phase = np.ones_like(mag, dtype=np.complex128)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(len(sampling.ddim_timesteps(s.t_start, s.steps)) - 1):
            s.denoise(x, t)
        for _ in range(stream.n_lanes):
            dsp.griffin_lim(mag, phase, s.griffin_lim_iters, g.n_fft, g.hop_length, stream.tf.window)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
