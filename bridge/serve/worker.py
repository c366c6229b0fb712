"""The stream worker: the one thread that owns every live stream (its messages: :mod:`.messages`).

Handlers (OSC, the audio interface) put typed messages in its inbox and never touch a stream.
Each loop the worker takes what arrived, runs one batched tick over every busy stream and hands
each chunk whose output is final to that stream's :class:`Sink` (the OSC sink sends datagrams,
the audio interface's keeps arrays). A failed model call silences its windows (``failed_windows``),
is reported to the stream's sink as a ``model`` error, and the stream goes on. Model calls run on
thread ``bridge-model`` while this one, ``bridge-streams``, does the DSP (:mod:`bridge.batch`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import stream as streaming
from ..config import Preset
from ..errors import BridgeError, StreamError, StreamShapeError
from . import osc, schedule
from .messages import REQUESTS, Chunk, Close, LatencyQuery, Open, SetPreset, Sink, Stop, Sync
from .threads import name_os_thread

log = logging.getLogger(__name__)

MAX_GAP_SECONDS = 10.0
SEEN_MEMORY = 4096
# A sequence number more than this far behind (32 chunks, more than UDP reorders on one machine)
# is not a late chunk but a client that restarted its counter (or reopened without saying so):
# a new run, counted, never dropped.
RESTART_BEHIND = 32
# Messages taken per loop before the next tick: one client's backlog cannot hold up the
# other streams' compute.
MESSAGES_PER_LOOP = 64


def seq_delta(seq: int, expected: int) -> int:
    """``seq - expected`` on the int32 circle, so a counter that wraps at 2^31 keeps counting."""
    return ((seq - expected + 2**31) % 2**32) - 2**31


def seq_wrap(seq: int) -> int:
    """A sequence number as OSC carries it (int32)."""
    return ((seq + 2**31) % 2**32) - 2**31


@dataclass
class PendingChunk:
    seq: int
    n: int
    t_arrival: float
    encoding: str


# One client (one sending socket) may not take the stage from the others: a few streams, and at
# most the samples of one 192 kHz x 8 ch stream a second in all (16 stereo 48 kHz streams).
MAX_STREAMS_PER_CLIENT = 4
MAX_CLIENT_SAMPLES_PER_SECOND = 192000 * 8


@dataclass
class StreamState:
    """A live stream as the worker sees it: the engine stream, its sink, sequencing and counters."""

    stream_id: int
    stream: streaming.Stream
    sink: Sink
    budget_s: float
    expected: int | None = None
    pending: deque = field(default_factory=deque)
    seen: deque = field(default_factory=lambda: deque(maxlen=SEEN_MEMORY))
    seen_set: set = field(default_factory=set)
    counters: dict = field(default_factory=lambda: dict(
        chunks_in=0, chunks_out=0, lost=0, late=0, duplicates=0, late_replies=0, nonfinite=0, restarts=0))
    lags: deque = field(default_factory=lambda: deque(maxlen=4096))
    last_adjust: float = 0.0
    last_late: float = 0.0
    last_frames: int = 0
    last_audio: float = field(default_factory=time.monotonic)
    plan_said: float = 0.0  # when a planned step change was last pushed as status

    def remember(self, seq: int) -> None:
        if len(self.seen) == self.seen.maxlen:
            self.seen_set.discard(self.seen[0])
        self.seen.append(seq)
        self.seen_set.add(seq)

    def status_args(self) -> list:
        """``/bridge/stream/status``'s arguments; ``failed_windows`` (silenced by a failed model call) is last."""
        lags = np.array(self.lags) * 1000.0 if self.lags else np.zeros(1)
        c = self.counters
        return [self.stream_id, c["chunks_in"], c["chunks_out"], c["lost"], c["late"], c["duplicates"],
                c["late_replies"], int(self.stream.effective_steps()),
                float(np.percentile(lags, 50)), float(np.percentile(lags, 99)),
                int(self.stream.stats["failed_windows"])]


class StreamWorker(threading.Thread):
    """Runs every live stream; the only thread that touches them."""

    def __init__(self, models, preset: Preset, compute_budget_s: float | None, adapt_steps: bool, max_streams: int,
                 idle_close_s: float = 60.0, model_thread: bool = True):
        """A stream that sends no audio for ``idle_close_s`` is closed (its slot freed); its client is told.

        ``model_thread``: model calls run on a thread of their own while this one renders and
        analyses windows (bridge.batch), so the DSP of several streams overlaps the model.
        """
        super().__init__(name="bridge-streams", daemon=True)
        self.models = models
        self.preset = preset  # the worker's copy, changed only by SetPreset
        self.compute_budget_s = compute_budget_s
        self.adapt_steps = adapt_steps
        self.max_streams = max_streams
        self.inbox: queue.Queue = queue.Queue()
        self.streams: dict[Any, StreamState] = {}
        self.busy_s = 0.0
        self.audio_s = 0.0
        self.idle = threading.Event()
        self.idle.set()
        self.stopping = threading.Event()
        self.finished = threading.Event()
        self._cost_cache: dict[tuple, float] = {}
        self.row_cost = schedule.RowCost()  # measured seconds per model row (see schedule)
        self._idle_checked = 0.0
        self.idle_close_s = idle_close_s
        self.model_pool = ThreadPoolExecutor(1, "bridge-model", name_os_thread) if model_thread else None

    # -- called from other threads ---------------------------------------------------
    def submit(self, message) -> None:
        self.inbox.put(message)

    def queued(self) -> int:
        return self.inbox.qsize()

    def snapshot(self) -> dict:
        """Counters over all streams (read from other threads; values are plain ints)."""
        total = dict(streams=len(self.streams), lost=0, late=0, duplicates=0, late_replies=0, chunks_in=0,
                     chunks_out=0, failed_windows=0)
        for st in list(self.streams.values()):
            for k in ("lost", "late", "duplicates", "late_replies", "chunks_in", "chunks_out"):
                total[k] += st.counters[k]
            total["failed_windows"] += st.stream.stats["failed_windows"]
        return total

    def stream_status(self) -> list[list]:
        """Every open stream's ``/bridge/stream/status`` arguments."""
        return [st.status_args() for st in list(self.streams.values())]

    def drain(self, timeout_s: float) -> bool:
        """Asks the loop to finish what it holds and stop; True if it did within ``timeout_s``."""
        self.submit(Stop())
        return self.finished.wait(timeout_s)

    # -- the loop ---------------------------------------------------------------------
    def run(self) -> None:
        name_os_thread()
        try:
            while not self._stopped():
                self._loop_once()
        finally:
            if self.model_pool is not None:
                self.model_pool.shutdown(wait=True)
            self.idle.set()
            self.finished.set()

    def _loop_once(self) -> None:
        """Takes what arrived, answers what is final, makes one model call, answers again."""
        has_work = any(st.stream.busy or st.pending for st in self.streams.values())
        wait = 0.0 if has_work or self.stopping.is_set() else (1.0 if self.streams else None)
        try:
            self._handle(self.inbox.get(timeout=wait))
            for _ in range(MESSAGES_PER_LOOP - 1):
                self._handle(self.inbox.get_nowait())
        except queue.Empty:
            pass
        self._close_idle()
        # Chunks whose output is already final are answered before a model call, not after it.
        self._emit_all()
        busy = [st for st in self.streams.values() if st.stream.busy]
        if busy:
            self._plan_steps(busy)
            self._tick(busy)
        self._emit_all()
        if busy:
            self.idle.clear()
        else:
            self.idle.set()

    def _emit_all(self) -> None:
        for st in sorted(self.streams.values(), key=lambda s: s.pending[0].t_arrival if s.pending else 1e18):
            self._emit(st)

    def _close_idle(self) -> None:
        now = time.monotonic()
        if now - self._idle_checked < 1.0:
            return
        self._idle_checked = now
        for key, st in list(self.streams.items()):
            if not st.pending and now - st.last_audio > self.idle_close_s:
                del self.streams[key]
                log.info("stream %d closed: no audio for %.0f s", st.stream_id, now - st.last_audio)
                st.sink.error("/bridge/audio/in", "stream", f"stream {st.stream_id} is not open any more: no audio "
                                                            f"for {self.idle_close_s:g} s; open it again to go on")

    def _stopped(self) -> bool:
        """True once stopping was asked and nothing is left: no messages, no pending output."""
        return (self.stopping.is_set() and self.inbox.empty()
                and not any(st.pending for st in self.streams.values()))

    def _plan_steps(self, busy: list[StreamState]) -> None:
        """Sets the steps of the windows about to start so that all work in flight fits their budget.

        Without it, windows of several streams that fall due together finish together, late
        (8 default streams: 12% of replies past the device's margin); the late-reply rule
        (:meth:`_adapt`) only learns it afterwards. See :mod:`.schedule`.
        """
        row_cost_s = self.row_cost.seconds
        if not self.adapt_steps or row_cost_s is None:
            return
        starting = [st for st in busy if st.stream.ready_windows()]
        if not starting:
            return
        horizon_s = schedule.PLAN_SHARE * max(st.budget_s for st in self.streams.values())
        # Windows of every stream that fall due within a budget compete for the same time.
        due = [(wait_s, st.budget_s, st.stream.n_lanes) for st in self.streams.values()
               for wait_s in st.stream.windows_due(horizon_s)]
        in_flight = sum(st.stream.rows_in_flight() for st in self.streams.values())
        steps = schedule.plan_steps(max(st.stream.preset.sampler.steps for st in starting), due, in_flight,
                                    row_cost_s)
        now = time.perf_counter()
        for st in starting:
            before = st.stream.effective_steps()
            st.stream.steps_plan = None if steps >= st.stream.preset.sampler.steps else steps
            if st.stream.effective_steps() != before and now - st.plan_said > 1.0:
                st.plan_said = now
                st.sink.status(st.status_args())

    def _tick(self, busy: list[StreamState]) -> None:
        """One tick for all busy streams (windows on the same model batch across streams)."""
        t0 = time.perf_counter()
        rows = 0
        try:
            rows = streaming.tick_streams([st.stream for st in busy], max_calls=1, max_rows=schedule.ROWS_PER_TICK,
                                          pool=self.model_pool)
        except Exception:  # a bug, not a model failure (those are caught per call): keep serving
            log.exception("stream tick failed")
            for st in busy:
                st.stream.abandon_in_flight()
                st.sink.error("/bridge/audio/in", "internal", f"stream {st.stream_id}: see daemon log")
        for st in busy:
            for e in st.stream.take_errors():
                st.sink.error("/bridge/audio/in", e.code,
                              f"stream {st.stream_id}: {e} (its window plays as silence; "
                              f"{st.stream.stats['failed_windows']} so far)")
        spent = time.perf_counter() - t0
        self.busy_s += spent
        self.row_cost.add(spent, rows)

    def _handle(self, message) -> None:
        try:
            if isinstance(message, Chunk):
                self._on_chunk(message)
            elif isinstance(message, Open):
                self._on_open(message)
            elif isinstance(message, Close):
                self._on_close(message)
            elif isinstance(message, SetPreset):
                self._on_preset(message.preset)
            elif isinstance(message, LatencyQuery):
                s = self._state(message.key, message.stream_id, "latency/get").stream
                message.sink.latency(message.stream_id, s.latency_samples, s.latency_ms, s.sample_rate)
            elif isinstance(message, Sync):
                message.sink.synced(message.sync_id)
            elif isinstance(message, Stop):
                self.stopping.set()
            else:
                raise TypeError(f"unknown worker message {message!r}")
        except BridgeError as e:
            if hasattr(message, "sink"):
                message.sink.error(REQUESTS.get(type(message), ""), e.code, str(e))
        except Exception:
            log.exception("worker message %s failed", type(message).__name__)
            if hasattr(message, "sink"):
                message.sink.error(REQUESTS.get(type(message), ""), "internal", "see daemon log")

    def _state(self, key, stream_id: int, what: str) -> StreamState:
        st = self.streams.get(key)
        if st is None:
            raise StreamError(f"{what}: stream {stream_id} is not open; send /bridge/stream/open first")
        return st

    def _on_open(self, m: Open) -> None:
        if m.key not in self.streams and len(self.streams) >= self.max_streams:
            raise BusyStreams(f"stream/open: at most {self.max_streams} streams are open; close one first")
        mine = [st.stream for key, st in self.streams.items() if key[:2] == m.key[:2] and key != m.key]
        if len(mine) >= MAX_STREAMS_PER_CLIENT:
            raise BusyStreams(f"stream/open: at most {MAX_STREAMS_PER_CLIENT} streams per client; this one has "
                              f"{len(mine)} open; close one first")
        load = sum(s.sample_rate * s.n_channels for s in mine) + m.sample_rate * m.channels
        if load > MAX_CLIENT_SAMPLES_PER_SECOND:
            raise BusyStreams(f"stream/open: {m.sample_rate} Hz x {m.channels} ch would bring this client's streams "
                              f"to {load} samples a second (at most {MAX_CLIENT_SAMPLES_PER_SECOND}, one "
                              f"192 kHz x 8 ch stream); close one or open fewer channels")
        budget = self.compute_budget_s
        if budget is None:  # twice the measured cost of one window, at least 20 ms
            budget = max(0.02, 2.0 * self._window_cost(m.sample_rate, m.channels))
        stream = streaming.Stream(self.models, self.preset, m.sample_rate, m.channels, compute_budget_s=budget)
        old = self.streams.pop(m.key, None)
        if old is not None:  # every chunk the old one received is answered first, none dropped
            self._finish(old)
            log.info("stream %d reopened (%d Hz, %d ch); the old one answered all %d chunks", m.stream_id,
                     m.sample_rate, m.channels, old.counters["chunks_in"])
        self.streams[m.key] = StreamState(m.stream_id, stream, m.sink, budget)
        m.sink.opened(m.stream_id, stream.latency_samples, stream.latency_ms, stream.sample_rate, stream.n_channels)
        log.info("stream %d open: %d Hz, %d ch, latency %d samples (%.1f ms, of which compute budget %.0f ms)",
                 m.stream_id, m.sample_rate, m.channels, stream.latency_samples, stream.latency_ms, budget * 1000)
        if warning := schedule.overload_warning([schedule.stream_load(st.stream, self._window_cost(
                st.stream.sample_rate, st.stream.n_channels)) for st in self.streams.values()]):
            log.warning("stream %d open: %s", m.stream_id, warning)

    def _window_cost(self, sample_rate: int, channels: int) -> float:
        """The measured cost of one of the preset's windows (schedule.window_cost_s), cached per setting."""
        preset = self.preset
        lanes = 1 if preset.render.stereo == "mid" else channels
        key = (preset.target, preset.render.morph_with, preset.sampler.steps, preset.render.window_frames, lanes,
               preset.render.griffin_lim_iters)
        if key not in self._cost_cache:
            self._cost_cache[key] = schedule.window_cost_s(streaming.Stream(self.models, preset, sample_rate, channels))
        return self._cost_cache[key]

    def _on_close(self, m: Close) -> None:
        st = self._state(m.key, m.stream_id, "stream/close")
        self._finish(st)
        self.streams.pop(m.key, None)
        m.sink.closed(m.stream_id, dict(st.counters))
        stats = st.stream.stats
        log.info("stream %d closed: %d windows, %d of them with fewer steps than the preset's %d (mean %.2f), "
                 "%d late replies", m.stream_id, stats["windows"], stats["reduced_step_windows"],
                 st.stream.preset.sampler.steps, stats["window_steps"] / max(1, stats["windows"]),
                 st.counters["late_replies"])

    def _finish(self, st: StreamState) -> None:
        """Answers every chunk the stream holds: computes what is due, then flushes with silence."""
        while st.pending and st.stream.busy:
            self._tick([st])
            self._emit(st)
        if st.pending:  # not expected (the latency covers every chunk); a safety net: flush with silence
            st.stream.write(np.zeros((st.stream.n_channels, st.stream.latency_samples), np.float32))
            while st.stream.busy:
                self._tick([st])
            self._emit(st)

    def _on_preset(self, preset: Preset) -> None:
        self.preset = preset
        for st in self.streams.values():
            try:
                st.stream.set_preset(preset)
            except StreamShapeError as e:
                st.sink.reopen(st.stream_id, str(e))
            except BridgeError as e:
                st.sink.error("/bridge/preset/load", e.code, f"stream {st.stream_id}: {e}")

    def _on_chunk(self, m: Chunk) -> None:
        st = self._state(m.key, m.stream_id, "audio/in")
        if m.block is not None:
            block, encoding = m.block, "blob"
        else:
            block, encoding = osc.decode_audio("/bridge/audio/in", m.values, st.stream.n_channels)
        seq, n = m.seq, block.shape[1]
        delta = 0 if st.expected is None else seq_delta(seq, st.expected)
        if -RESTART_BEHIND <= delta < 0:
            kind = "duplicate" if seq in st.seen_set else "late"
            st.counters["duplicates" if kind == "duplicate" else "late"] += 1
            m.sink.late(m.stream_id, seq, kind)
            return
        if delta < -RESTART_BEHIND:  # the client started counting again: a new run of the same stream
            st.counters["restarts"] += 1
            log.info("stream %d: seq %d after %d, far behind: the client restarted its count", m.stream_id, seq,
                     st.expected - 1)
            st.seen.clear()
            st.seen_set.clear()
            delta = 0
        if delta > 0:
            missing = delta
            frames = st.last_frames or n
            if missing * frames > MAX_GAP_SECONDS * st.stream.sample_rate:
                m.sink.error("/bridge/audio/in", "sequence",
                             f"stream {m.stream_id}: jump from seq {st.expected} to {seq} is over "
                             f"{MAX_GAP_SECONDS:.0f} s; resynchronised without filling")
            else:
                st.counters["lost"] += missing
                m.sink.gap(m.stream_id, st.expected, missing)
                for k in range(missing):
                    st.stream.write(np.zeros((st.stream.n_channels, frames), np.float32))
                    st.pending.append(PendingChunk(seq_wrap(st.expected + k), frames, m.t_arrival, encoding))
        bad = st.stream.write(block)
        if bad:
            st.counters["nonfinite"] += bad
            m.sink.error("/bridge/audio/in", "audio",
                         f"stream {m.stream_id} seq {seq}: {bad} NaN/Inf samples replaced by silence")
        st.pending.append(PendingChunk(seq, n, m.t_arrival, encoding))
        st.counters["chunks_in"] += 1
        st.expected = seq_wrap(seq + 1)
        st.last_frames = n
        st.last_audio = time.monotonic()
        st.remember(seq)
        self.audio_s += n / st.stream.sample_rate

    def _emit(self, st: StreamState) -> None:
        now = time.perf_counter()
        while st.pending and st.stream.available() >= st.pending[0].n:
            c = st.pending.popleft()
            st.sink.audio(st.stream_id, c.seq, st.stream.read(c.n), c.encoding)
            st.counters["chunks_out"] += 1
            lag = now - c.t_arrival
            st.lags.append(lag)
            late = lag > st.budget_s
            if late:
                st.counters["late_replies"] += 1
                st.last_late = now
            self._adapt(st, late, now)

    def _adapt(self, st: StreamState, late: bool, now: float) -> None:
        """Fewer steps when replies miss the compute budget; back up slowly once they keep it."""
        if not self.adapt_steps:
            return
        steps = st.stream.preset.sampler.steps
        cap = st.stream.steps_cap or steps
        if late and cap > 1 and now - st.last_adjust > 0.25:
            st.stream.steps_cap = max(1, int(cap * 0.75))
            st.last_adjust = now
            log.warning("stream %d behind (reply %.0f ms after arrival, budget %.0f ms): steps %d -> %d",
                        st.stream_id, st.lags[-1] * 1000, st.budget_s * 1000, cap, st.stream.steps_cap)
            st.sink.status(st.status_args())
        elif not late and st.stream.steps_cap and now - max(st.last_late, st.last_adjust) > 5.0:
            new = st.stream.steps_cap + 1
            st.stream.steps_cap = None if new >= steps else new
            st.last_adjust = now
            st.sink.status(st.status_args())


class BusyStreams(BridgeError):
    code = "busy"
