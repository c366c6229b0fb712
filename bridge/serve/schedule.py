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


PROBE_HZ = (220.0, 330.0)  # two notes, so the probe's windows track pitch, find a note start and render harmonics


def probe_signal(sample_rate: int, channels: int, seconds: float) -> np.ndarray:
    """A voiced test phrase ``(channels, n)``: two harmonic notes at -20 dBFS, the second from half way."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    f0 = np.where(t < seconds / 2, PROBE_HZ[0], PROBE_HZ[1])
    phase = 2.0 * np.pi * np.cumsum(f0) / sample_rate
    y = sum(np.sin(k * phase) / k for k in range(1, 9))
    y = 0.1 * y / np.sqrt(np.mean(y**2))
    return np.tile(y.astype(np.float32), (channels, 1))


# Seconds of compute per second of audio the open streams may need, as window_cost_s times them on
# one thread, before the daemon warns at an open. 48 kHz stereo on these 2 cores, training paused:
# six `live` streams (0.22 each, 1.32) ran 1.7% late, four (0.88) on time.
LOAD_WARN = 1.0


def stream_load(stream: Stream, window_cost_s: float) -> float:
    """Seconds of compute a stream needs per second of audio: one window's cost every window hop."""
    g = stream.geometry
    return window_cost_s * stream.model_rate / (g.hop_frames * g.hop_length)


def overload_warning(loads: list[float]) -> str | None:
    """What to tell the performer when the open streams need more than ``LOAD_WARN`` (None: they fit)."""
    need = sum(loads)
    if need <= LOAD_WARN:
        return None
    return (f"the {len(loads)} open stream(s) need about {need:.2f} s of compute per second of audio at this "
            f"preset (each window timed on one thread; {LOAD_WARN:g} is what this machine keeps up with), so "
            f"expect fewer steps and late audio; close a stream, or load a preset with fewer steps or longer "
            f"window hops")


def window_cost_s(stream: Stream, repeats: int = 3) -> float:
    """Times the stream's own windows on this machine, the median of ``repeats`` after one to warm up.

    Everything a window costs counts: the input's analysis (pitch tracking and control
    planes where the preset uses them), every model call and the inversion (harmonic
    synthesis included), on :func:`probe_signal`, fed one window hop at a time. The daemon
    budgets twice this into a stream's latency, so replies leave on time when compute
    keeps up; the probe stream is thrown away.
    """
    g = stream.geometry
    hop_in = int(np.ceil(g.hop_frames * g.hop_length * stream.sample_rate / stream.model_rate))
    lead = int(np.ceil(g.need(g.first_window + 1) * stream.sample_rate / stream.model_rate))
    audio = probe_signal(stream.sample_rate, stream.n_channels, (lead + (repeats + 2) * hop_in) / stream.sample_rate)
    stream.write(audio[:, :lead])
    while stream.busy:
        stream.tick()
    times: list[float] = []
    for start in range(lead, audio.shape[1] - hop_in + 1, hop_in):
        stream.write(audio[:, start : start + hop_in])
        before, t0 = stream.stats["windows"], time.perf_counter()
        while stream.busy:
            stream.tick()
        if stream.stats["windows"] > before:
            times.append((time.perf_counter() - t0) / (stream.stats["windows"] - before))
    return float(np.median(times[1:] or times))
