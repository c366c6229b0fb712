"""What goes in and out of the stream worker: typed messages, and the Sink that takes results.

Handlers (OSC, the audio interface) build these messages and put them in the worker's
inbox; the worker answers through the message's sink. :class:`OscSink` turns results
into datagrams; the audio interface is a sink of its own (arrays, not bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from ..config import Preset
from ..errors import StreamShapeError
from . import osc


class Sink(Protocol):
    """Where a stream's results go. Called from the worker thread; must not block."""

    def audio(self, stream_id: int, seq: int, y: np.ndarray, encoding: str) -> None: ...
    def opened(self, stream_id: int, latency_samples: int, latency_ms: float, rate: int, channels: int) -> None: ...
    def closed(self, stream_id: int, counters: dict) -> None: ...
    def latency(self, stream_id: int, samples: int, ms: float, rate: int) -> None: ...
    def synced(self, sync_id: int) -> None: ...
    def gap(self, stream_id: int, first_seq: int, count: int) -> None: ...
    def late(self, stream_id: int, seq: int, kind: str) -> None: ...
    def status(self, args: list) -> None: ...
    def error(self, request: str, code: str, message: str) -> None: ...
    def reopen(self, stream_id: int, reason: str) -> None: ...


class OscSink:
    """Results as OSC datagrams through ``send(bytes)``."""

    def __init__(self, send: Callable[[bytes], None], on_error: Callable[[], bool] = lambda: True):
        """``on_error()`` counts an error and says whether to send it (the daemon's per-client limit)."""
        self.send = send
        self.on_error = on_error

    def audio(self, stream_id, seq, y, encoding):
        self.send(osc.build("/bridge/audio/out", stream_id, seq, *osc.encode_audio(y, encoding)))

    def opened(self, stream_id, latency_samples, latency_ms, rate, channels):
        self.send(osc.build("/bridge/stream/opened", stream_id, latency_samples, float(latency_ms), rate, channels))

    def closed(self, stream_id, c):
        self.send(osc.build("/bridge/stream/closed", stream_id, c["chunks_in"], c["chunks_out"], c["lost"], c["late"],
                            c["duplicates"], c["late_replies"], c.get("restarts", 0)))

    def latency(self, stream_id, samples, ms, rate):
        self.send(osc.build("/bridge/latency", samples, float(ms), rate, stream_id))

    def synced(self, sync_id):
        self.send(osc.build("/bridge/synced", sync_id))

    def gap(self, stream_id, first_seq, count):
        self.send(osc.build("/bridge/stream/gap", stream_id, first_seq, count))

    def late(self, stream_id, seq, kind):
        self.send(osc.build("/bridge/stream/late", stream_id, seq, kind))

    def status(self, args):
        self.send(osc.build("/bridge/stream/status", *args))

    def error(self, request, code, message):
        if self.on_error():
            self.send(osc.build("/bridge/error", request, code, message[:1000]))

    def reopen(self, stream_id, reason):
        self.error("/bridge/preset/load", StreamShapeError.code, f"stream {stream_id}: {reason}")


# -- messages (the inbox's only item types) ---------------------------------------------
@dataclass(frozen=True)
class Open:
    key: Any
    stream_id: int
    sample_rate: int
    channels: int
    sink: Sink


@dataclass(frozen=True)
class Close:
    key: Any
    stream_id: int
    sink: Sink


@dataclass(frozen=True)
class Chunk:
    """One chunk of audio: ``block`` (channels, n) already decoded, or the raw OSC ``values`` to decode."""

    key: Any
    stream_id: int
    seq: int
    t_arrival: float
    sink: Sink
    block: np.ndarray | None = None
    values: Sequence[Any] = ()


@dataclass(frozen=True)
class SetPreset:
    preset: Preset


@dataclass(frozen=True)
class LatencyQuery:
    key: Any
    stream_id: int
    sink: Sink


@dataclass(frozen=True)
class Sync:
    sync_id: int
    sink: Sink


@dataclass(frozen=True)
class Stop:
    pass


REQUESTS = {Open: "/bridge/stream/open", Close: "/bridge/stream/close", Chunk: "/bridge/audio/in",
            LatencyQuery: "/bridge/latency/get", Sync: "/bridge/sync", SetPreset: "/bridge/preset/load"}
