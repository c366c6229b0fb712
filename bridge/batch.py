"""Batched DDIM ticks: windows of every stream that share a denoiser go through it together.

One :func:`tick_streams` advances every window in flight by one model call (the stream
batch of StreamDiffusion: windows at different steps, from different streams, in one
call). Given an executor (the daemon's one model thread), the calls run there while the
calling thread does the tick's numpy work: rendering the windows the last tick finished
and analysing the ones whose input is complete. onnxruntime releases the GIL, so on two
cores the model and the DSP overlap instead of taking turns. This module starts no thread.
The streams are :class:`bridge.stream.Stream`s (not imported: stream imports this module).
"""

from __future__ import annotations

from concurrent.futures import Executor
import numpy as np

from .errors import BridgeError, ModelError
from .window import Window

# Rows per onnxruntime call. On the 2-core CPU here a forward cost ~12 ms per row up to batch 4
# and 16-31 ms per row at batch 9-16 (cache effects), so larger groups are split.
MAX_ROWS_PER_CALL = 4


def split_rows(jobs: list[Window], max_rows: int) -> list[list[Window]]:
    """Groups jobs into calls of at most ``max_rows`` model rows (a job's lanes stay together)."""
    parts, cur, n = [], [], 0
    for job in jobs:
        k = int(job.active.sum())
        if cur and n + k > max_rows:
            parts.append(cur)
            cur, n = [], 0
        cur.append(job)
        n += k
    if cur:
        parts.append(cur)
    return parts


def model_call(denoise, x: np.ndarray, t: np.ndarray, cond: np.ndarray | None, key: tuple):
    """``(eps, x0_pred)`` for one batch, or the :class:`BridgeError` that silences its windows."""
    try:
        eps, x0_pred = denoise(x, t) if cond is None else denoise(x, t, cond)
        if not (np.isfinite(eps).all() and np.isfinite(x0_pred).all()):  # a broken model: its windows go silent
            raise ModelError(f"model {'+'.join(map(str, key[:2]))}: non-finite output (NaN or Inf) "
                             f"for {x.shape[0]} window(s) at t={int(t[0])}")
        return eps, x0_pred
    except BridgeError as e:
        return e
    except Exception as e:  # onnxruntime or a bug in a denoiser: its windows go silent, the streams go on
        return ModelError(f"model call failed: {type(e).__name__}: {e}")


def _inputs(jobs: list[Window]) -> tuple:
    """The batch for ``jobs`` (same denoiser, same shape), built on the calling thread."""
    x = np.concatenate([job.request[0] for job in jobs])
    t = np.concatenate([np.full(job.request[0].shape[0], job.request[1], np.int64) for job in jobs])
    cond = np.concatenate([job.cond for job in jobs]) if jobs[0].cond is not None else None
    return jobs[0].settings.denoise, x, t, cond, jobs[0].settings.key


def _calls(streams: list, max_calls: int | None, max_rows: int) -> list[tuple[list[Window], dict]]:
    """The model calls for every window in flight, grouped by denoiser and shape, oldest first."""
    groups: dict[tuple, list] = {}
    for stream in streams:
        for job in stream._jobs:
            if not job.done:
                key = (job.settings.key, job.x.shape[-1], id(job.settings.denoise), job.cond is not None)
                groups.setdefault(key, []).append((stream, job))
    calls = []
    for members in groups.values():
        owner = {id(job): stream for stream, job in members}
        jobs = sorted((job for _, job in members), key=lambda job: job.born)
        calls += [(part, owner) for part in split_rows(jobs, max_rows)]
    if max_calls is not None:
        calls = sorted(calls, key=lambda call: call[0][0].born)[:max_calls]
    return calls


def tick_streams(streams: list, max_calls: int | None = None, max_rows: int = MAX_ROWS_PER_CALL,
                 pool: Executor | None = None) -> int:
    """One tick for several streams at once: in-flight windows advance by one DDIM step.

    Windows that share a denoiser, each at its own step and from whichever stream, go
    through it together, at most ``max_rows`` rows a call. With ``max_calls`` only that many
    calls are made, oldest windows first: the worker makes one per tick and answers final
    chunks in between. Without ``pool`` a tick starts the ready windows, calls, and renders
    what finished; with it, the calls (for windows started earlier) run on the pool while
    this thread renders and starts, so a window finished now is rendered next tick. The
    output is the same either way. Returns the number of model rows evaluated.
    """
    if pool is None:
        for stream in streams:
            stream._start_ready_windows()
    calls = [(part, owner, _inputs(part)) for part, owner in _calls(streams, max_calls, max_rows)]
    if pool is None:
        results = [model_call(*inputs) for _, _, inputs in calls]
    else:
        futures = [pool.submit(model_call, *inputs) for _, _, inputs in calls]
        try:
            for stream in streams:
                stream._finish_done()
                stream._start_ready_windows()
        finally:  # nothing may touch these windows while their call runs
            results = [f.result() for f in futures]
    rows: dict[int, int] = {}  # id(stream) -> model rows evaluated for it this tick
    for (part, owner, _), result in zip(calls, results):
        if isinstance(result, BridgeError):
            for job in part:
                job.fail()
                owner[id(job)]._failed(result)
            continue
        eps, x0_pred = result
        i = 0
        for job in part:
            n = job.request[0].shape[0]
            job.advance(eps[i : i + n], x0_pred[i : i + n])
            i += n
            rows[id(owner[id(job)])] = rows.get(id(owner[id(job)]), 0) + int(job.active.sum())
    for stream in streams:
        n = rows.get(id(stream), 0)
        if n:
            stream.stats["ticks"] += 1
            stream.stats["model_rows"] += n
        if pool is None:
            stream._finish_done()
    return sum(rows.values())
