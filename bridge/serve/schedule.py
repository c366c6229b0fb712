"""How the stream worker schedules compute: a window's measured cost, and the steps a burst of windows can afford.

A stream's latency includes a compute budget (twice one window's measured cost); a window
must be done within it. Windows of several streams on one audio clock fall due together,
so the worker plans their steps as one burst: the most steps with which every window due
within a budget, and what is already in flight, can be done earliest deadline first, each
within ``PLAN_SHARE`` of its budget after its input is complete. The prediction is the
measured seconds per model row: the median of the last ticks (rendering and analysis
included), so one slow tick on a busy machine does not cut a window's steps. The worker
then makes one call of at most ``ROWS_PER_TICK`` rows per loop, oldest windows first, and
answers final chunks between calls.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from .. import dsp, sampling
from ..stream import Stream

# The share of a budget that planned work may fill. The budget is already twice a window's
# measured cost; at 0.8 a lone default-preset stream lost a step in 10% of its windows under
# the bench client's own load (60 s), at 1.0 it kept them, and 8 streams stayed at 0 late.
PLAN_SHARE = 1.0
ROW_COST_TICKS = 32
# One model call of at most this many rows per worker loop: a reply waits for at most one call.
ROWS_PER_TICK = 2


def plan_steps(max_steps: int, due: list[tuple[float, float, int]], rows_in_flight: int, row_cost_s: float) -> int:
    """The most steps (at least 1) with which every window due meets its deadline, earliest deadline first.

    ``due`` holds ``(seconds until its input is complete, its stream's budget, its model rows
    per step)`` for each window; window j is on time when the work in flight plus that of
    every window with an earlier deadline and its own, done from now, ends within
    ``wait_j + PLAN_SHARE * budget_j``.
    """
    order = sorted(due, key=lambda d: d[0] + d[1])
    for steps in range(max_steps, 1, -1):
        work = rows_in_flight * row_cost_s
        for wait_s, budget_s, rows in order:
            work += rows * steps * row_cost_s
            if work > wait_s + PLAN_SHARE * budget_s:
                break
        else:
            return steps
    return 1


class RowCost:
    """Seconds per model row: the median over the last ``ROW_COST_TICKS`` ticks (None before the first)."""

    def __init__(self):
        self._recent: deque = deque(maxlen=ROW_COST_TICKS)

    def add(self, seconds: float, rows: int) -> None:
        if rows:
            self._recent.append(seconds / rows)

    @property
    def seconds(self) -> float | None:
        return float(np.median(self._recent)) if self._recent else None


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
