"""The daemon's inference side: one thread for live streams, one for offline jobs.

The stream worker owns every :class:`~bridge.engine.Stream`. OSC handlers only put
items in its inbox. Each loop it takes what arrived, runs one batched tick per busy
stream and sends every chunk whose output is final. Offline jobs (file, generate,
pair) run in the background thread and pause between model calls while live streams
have work, so a long file never delays a performance.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import engine, osc
from .config import Preset
from .errors import BridgeError

log = logging.getLogger(__name__)

MAX_GAP_SECONDS = 10.0
SEEN_MEMORY = 4096


@dataclass
class PendingChunk:
    seq: int
    n: int
    t_arrival: float
    encoding: str


@dataclass
class StreamState:
    """A live stream as the worker sees it: the engine stream, sequencing and counters."""

    stream_id: int
    stream: engine.Stream
    reply: Callable[[bytes], None]
    budget_s: float
    expected: int | None = None
    pending: deque = field(default_factory=deque)
    seen: deque = field(default_factory=lambda: deque(maxlen=SEEN_MEMORY))
    seen_set: set = field(default_factory=set)
    counters: dict = field(default_factory=lambda: dict(
        chunks_in=0, chunks_out=0, lost=0, late=0, duplicates=0, late_replies=0, nonfinite=0))
    lags: deque = field(default_factory=lambda: deque(maxlen=4096))
    last_adjust: float = 0.0
    last_late: float = 0.0
    last_frames: int = 0

    def remember(self, seq: int) -> None:
        if len(self.seen) == self.seen.maxlen:
            self.seen_set.discard(self.seen[0])
        self.seen.append(seq)
        self.seen_set.add(seq)

    def status_args(self) -> list:
        lags = np.array(self.lags) * 1000.0 if self.lags else np.zeros(1)
        c = self.counters
        return [self.stream_id, c["chunks_in"], c["chunks_out"], c["lost"], c["late"], c["duplicates"],
                c["late_replies"], int(self.stream.steps_cap or self.stream.preset.sampler.steps),
                float(np.percentile(lags, 50)), float(np.percentile(lags, 99))]


class StreamWorker(threading.Thread):
    """Runs every live stream; the only thread that touches them."""

    def __init__(self, models, get_preset: Callable[[], Preset], send_error: Callable[..., None],
                 compute_budget_s: float | None, adapt_steps: bool, max_streams: int):
        super().__init__(name="bridge-streams", daemon=True)
        self.models = models
        self.get_preset = get_preset
        self.send_error = send_error
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

    # -- called from other threads ---------------------------------------------------
    def submit(self, item: tuple) -> None:
        self.inbox.put(item)

    def queued(self) -> int:
        return self.inbox.qsize()

    def snapshot(self) -> dict:
        """Counters over all streams (read from the OSC thread; values are plain ints)."""
        total = dict(streams=len(self.streams), lost=0, late=0, duplicates=0, late_replies=0, chunks_in=0,
                     chunks_out=0)
        for st in list(self.streams.values()):
            for k in ("lost", "late", "duplicates", "late_replies", "chunks_in", "chunks_out"):
                total[k] += st.counters[k]
        return total

    # -- the loop ---------------------------------------------------------------------
    def run(self) -> None:
        try:
            while True:
                has_work = any(st.stream.busy or st.pending for st in self.streams.values())
                try:
                    item = self.inbox.get(timeout=None if not has_work and not self.stopping.is_set() else 0.0)
                    self._handle(item)
                    while True:
                        self._handle(self.inbox.get_nowait())
                except queue.Empty:
                    pass
                if item_is_stop(self):
                    break
                worked = False
                busy = [st for st in self.streams.values() if st.stream.busy]
                if busy:
                    # One tick for all streams: windows on the same model batch across streams.
                    t0 = time.perf_counter()
                    try:
                        engine.tick_streams([st.stream for st in busy])
                    except BridgeError as e:
                        for st in busy:
                            self.send_error(st.reply, "/bridge/audio/in", e.code, f"stream {st.stream_id}: {e}")
                            st.stream.drop_in_flight()
                    self.busy_s += time.perf_counter() - t0
                    worked = True
                for st in sorted(self.streams.values(), key=lambda s: s.pending[0].t_arrival if s.pending else 1e18):
                    self._emit(st)
                if worked:
                    self.idle.clear()
                else:
                    self.idle.set()
        except Exception:
            log.exception("stream worker failed")
            raise
        finally:
            self.idle.set()
            self.finished.set()

    def _handle(self, item: tuple) -> None:
        kind = item[0]
        try:
            getattr(self, "_on_" + kind)(*item[1:])
        except BridgeError as e:
            reply = item[-1] if callable(item[-1]) else None
            if reply:
                self.send_error(reply, _request_of(kind), e.code, str(e))
        except Exception:
            log.exception("worker item %s failed", kind)
            reply = item[-1] if callable(item[-1]) else None
            if reply:
                self.send_error(reply, _request_of(kind), "internal", "see daemon log")

    def _on_stop(self) -> None:
        self.stopping.set()

    def _on_sync(self, sync_id: int, reply) -> None:
        reply(osc.build("/bridge/synced", sync_id))

    def _on_open(self, key, stream_id: int, sample_rate: int, channels: int, reply) -> None:
        if key not in self.streams and len(self.streams) >= self.max_streams:
            raise BusyStreams(f"stream/open: at most {self.max_streams} streams are open; close one first")
        preset = self.get_preset()
        budget = self.compute_budget_s
        if budget is None:
            budget = self._auto_budget(preset, sample_rate, channels)
        stream = engine.Stream(self.models, preset, sample_rate, channels, compute_budget_s=budget)
        old = self.streams.pop(key, None)
        if old is not None:
            log.info("stream %d reopened; the old one is dropped", stream_id)
        self.streams[key] = StreamState(stream_id, stream, reply, budget)
        reply(osc.build("/bridge/stream/opened", stream_id, stream.latency_samples, float(stream.latency_ms),
                        stream.sample_rate, stream.n_channels))
        log.info("stream %d open: %d Hz, %d ch, latency %d samples (%.1f ms, of which compute budget %.0f ms)",
                 stream_id, sample_rate, channels, stream.latency_samples, stream.latency_ms, budget * 1000)

    def _auto_budget(self, preset: Preset, sample_rate: int, channels: int) -> float:
        """Twice the measured cost of one window (at least 20 ms), cached per setting."""
        lanes = 1 if preset.render.stereo == "mid" else channels
        key = (preset.target, preset.render.morph_with, preset.sampler.steps, preset.render.window_frames, lanes,
               preset.render.griffin_lim_iters)
        if key not in self._cost_cache:
            probe = engine.Stream(self.models, preset, sample_rate, channels)
            self._cost_cache[key] = engine.window_cost_s(probe)
        return max(0.02, 2.0 * self._cost_cache[key])

    def _on_close(self, key, stream_id: int, reply) -> None:
        st = self.streams.get(key)
        if st is None:
            raise NotOpen(f"stream/close: stream {stream_id} is not open")
        # Every chunk received is answered before the stream goes: no output is dropped.
        while st.pending and st.stream.busy:
            st.stream.tick()
            self._emit(st)
        self._emit(st)
        self.streams.pop(key, None)
        c = st.counters
        reply(osc.build("/bridge/stream/closed", stream_id, c["chunks_in"], c["chunks_out"], c["lost"], c["late"],
                        c["duplicates"], c["late_replies"]))

    def _on_preset(self, preset: Preset, reply) -> None:
        for st in self.streams.values():
            try:
                st.stream.set_preset(preset)
            except BridgeError as e:
                self.send_error(st.reply, "/bridge/preset/load", e.code, f"stream {st.stream_id}: {e}")

    def _on_latency(self, key, stream_id: int, reply) -> None:
        st = self.streams.get(key)
        if st is None:
            raise NotOpen(f"latency/get: stream {stream_id} is not open")
        reply(osc.build("/bridge/latency", st.stream.latency_samples, float(st.stream.latency_ms),
                        st.stream.sample_rate, stream_id))

    def _on_chunk(self, key, stream_id: int, seq: int, block: np.ndarray, encoding: str, t_arrival: float,
                  reply) -> None:
        st = self.streams.get(key)
        if st is None:
            raise NotOpen(f"audio/in: stream {stream_id} is not open; send /bridge/stream/open first")
        n = block.shape[1]
        if st.expected is not None and seq < st.expected:
            kind = "duplicate" if seq in st.seen_set else "late"
            st.counters["duplicates" if kind == "duplicate" else "late"] += 1
            reply(osc.build("/bridge/stream/late", stream_id, seq, kind))
            return
        if st.expected is not None and seq > st.expected:
            missing = seq - st.expected
            frames = st.last_frames or n
            if missing * frames > MAX_GAP_SECONDS * st.stream.sample_rate:
                self.send_error(reply, "/bridge/audio/in", "sequence",
                                f"stream {stream_id}: jump from seq {st.expected} to {seq} is over "
                                f"{MAX_GAP_SECONDS:.0f} s; resynchronised without filling")
            else:
                st.counters["lost"] += missing
                reply(osc.build("/bridge/stream/gap", stream_id, st.expected, missing))
                for s in range(st.expected, seq):
                    st.stream.write(np.zeros((st.stream.n_channels, frames), np.float32))
                    st.pending.append(PendingChunk(s, frames, t_arrival, encoding))
        bad = st.stream.write(block)
        if bad:
            st.counters["nonfinite"] += bad
            self.send_error(reply, "/bridge/audio/in", "audio",
                            f"stream {stream_id} seq {seq}: {bad} NaN/Inf samples replaced by silence")
        st.pending.append(PendingChunk(seq, n, t_arrival, encoding))
        st.counters["chunks_in"] += 1
        st.expected = seq + 1
        st.last_frames = n
        st.remember(seq)
        self.audio_s += n / st.stream.sample_rate

    def _emit(self, st: StreamState) -> None:
        now = time.perf_counter()
        while st.pending and st.stream.available() >= st.pending[0].n:
            c = st.pending.popleft()
            y = st.stream.read(c.n)
            st.reply(osc.build("/bridge/audio/out", st.stream_id, c.seq, *osc.encode_audio(y, c.encoding)))
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
            st.reply(osc.build("/bridge/stream/status", *st.status_args()))
        elif not late and st.stream.steps_cap and now - max(st.last_late, st.last_adjust) > 5.0:
            new = st.stream.steps_cap + 1
            st.stream.steps_cap = None if new >= steps else new
            st.last_adjust = now
            st.reply(osc.build("/bridge/stream/status", *st.status_args()))

    def drain(self, timeout_s: float) -> bool:
        """Asks the loop to finish what it holds and stop; True if it did within ``timeout_s``."""
        self.submit(("stop",))
        return self.finished.wait(timeout_s)


def item_is_stop(worker: StreamWorker) -> bool:
    """True once stopping was asked and nothing is left: no items, no pending output."""
    if not worker.stopping.is_set():
        return False
    return worker.inbox.empty() and not any(st.pending for st in worker.streams.values())


class BusyStreams(BridgeError):
    code = "busy"


class NotOpen(BridgeError):
    code = "stream"


_REQUESTS = {"open": "/bridge/stream/open", "close": "/bridge/stream/close", "chunk": "/bridge/audio/in",
             "latency": "/bridge/latency/get", "sync": "/bridge/sync", "preset": "/bridge/preset/load"}


def _request_of(kind: str) -> str:
    return _REQUESTS.get(kind, kind)


class BackgroundWorker(threading.Thread):
    """Runs offline jobs one at a time, yielding to live streams between model calls."""

    def __init__(self, streams_idle: threading.Event, send_error: Callable[..., None]):
        super().__init__(name="bridge-jobs", daemon=True)
        self.jobs: queue.Queue = queue.Queue()
        self.streams_idle = streams_idle
        self.send_error = send_error
        self.current: str | None = None
        self.cancelled = threading.Event()

    def submit(self, name: str, request: str, fn: Callable[[Callable[..., None]], None], reply) -> None:
        self.jobs.put((name, request, fn, reply))

    def gate(self, *_args) -> None:
        """Called between model calls: waits while live streams have work; raises if cancelled."""
        while not self.streams_idle.wait(0.1):
            if self.cancelled.is_set():
                break
        if self.cancelled.is_set():
            raise JobCancelled("cancelled: the daemon is stopping")

    def run(self) -> None:
        while True:
            item = self.jobs.get()
            if item is None:
                return
            name, request, fn, reply = item
            self.current = name
            try:
                fn(self.gate)
            except BridgeError as e:
                self.send_error(reply, request, e.code, f"{name}: {e}")
            except Exception as e:
                log.exception("job %s failed", name)
                self.send_error(reply, request, "internal", f"{name}: {type(e).__name__}: {e}"[:300])
            finally:
                self.current = None

    def stop(self, timeout_s: float) -> bool:
        self.cancelled.set()
        self.jobs.put(None)
        self.join(timeout_s)
        return not self.is_alive()


class JobCancelled(BridgeError):
    code = "cancelled"
