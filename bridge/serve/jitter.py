"""Streams over Jitter matrices: ``[jit.catch~] -> [jit.net.send]`` in, ``[jit.net.recv] -> [jit.release~]`` out.

A Max for Live device moves audio this way without ``[js]`` (Max's low-priority queue,
which in Live is its interface thread): ``jit.catch~`` turns the track's signal into
float32 matrices in the scheduler, ``jit.net.send`` sends them over TCP, and the
daemon sends the restyled audio back to the device's ``jit.net.recv`` (a TCP server,
so the daemon connects to it). The wire format is :mod:`.jmtx`.

One ``jit.net.send`` connection carries one stream. The device opens it in band, with a
message into ``jit.net.send``'s right inlet::

    open <stream> <sample_rate> <channels> <return_port>
    close <stream>

and then sends matrices of ``channels`` planes (any number of cells each). Matrix k of
the stream is chunk k of the stream worker (the same sequencing, gap filling, loss and
late counting, latency and step adaptation as ``/bridge/audio/in``); each is answered
with a ``JMLP`` latency packet on the same connection, as ``jit.net.recv`` would. The
daemon connects to ``return_port`` on the sender's host and sends there, in order:
``opened <stream> <latency_samples> <latency_ms> <rate> <channels>``, then one matrix per
input matrix with the same number of cells (the input delayed by exactly
``latency_samples``), and messages ``gap``, ``late``, ``status``, ``error <request>
<code> <text>`` and ``closed <stream> <counters...>``. A matrix that finds the worker
full is not dropped from the timeline: it becomes a counted gap of silence, so the
latency stays exact.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from ..config import check_stream
from ..errors import BridgeError
from . import jmtx, osc
from .messages import Chunk, Close, Open
from .worker import seq_wrap

log = logging.getLogger("bridge.serve.jitter")

MAX_CONNECTIONS = 64           # jit.net.send connections at once: a hostile process cannot take them all...
MAX_CONNECTIONS_PER_HOST = 32  # ...nor one host's worth: every device on this machine is one host
MAX_QUEUED_MESSAGES = 64       # messages held for a return link that is still connecting
MAX_WRITE_BUFFER = 4 * 1024 * 1024  # bytes waiting for a device that stopped reading: more are dropped, counted
RECONNECT_S = 0.25

# The two messages a device sends, checked like OSC requests (osc.check_args: ints, int32, finite).
OPEN = osc.Address("open", osc._spec("i:stream i:sample_rate i:channels i:return_port"), (), "open a stream")
CLOSE = osc.Address("close", osc._spec("i:stream"), (), "close it")


def now_ms() -> float:
    return time.monotonic() * 1000.0


class ReturnLink(asyncio.Protocol):
    """The daemon's connection to a device's ``jit.net.recv``: writes chunks, discards what comes back (JMLP).

    Connects (again) every :data:`RECONNECT_S` until :meth:`close`. What cannot be written is
    counted in ``undelivered`` (audio) or held (up to :data:`MAX_QUEUED_MESSAGES` messages).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str, port: int, order: str):
        self.loop, self.host, self.port, self.order = loop, host, port, order
        self.transport: asyncio.Transport | None = None
        self.held: deque = deque(maxlen=MAX_QUEUED_MESSAGES)
        self.undelivered = 0
        self.closing = False
        self._task = loop.create_task(self._connect())

    async def _connect(self) -> None:
        warned = False
        while not self.closing and self.transport is None:
            try:
                await self.loop.create_connection(lambda: self, self.host, self.port)
            except OSError as e:
                if not warned:
                    log.warning("jit.net.recv at %s:%d not reachable (%s); retrying every %.2f s", self.host,
                                self.port, e.strerror or e, RECONNECT_S)
                    warned = True
                await asyncio.sleep(RECONNECT_S)

    def connection_made(self, transport) -> None:
        if self.closing:
            transport.close()
            return
        self.transport = transport
        _no_delay(transport)
        while self.held:
            transport.write(self.held.popleft())

    def data_received(self, data: bytes) -> None:
        pass  # jit.net.recv's latency packets: the device's own estimate, not needed here

    def connection_lost(self, exc) -> None:
        self.transport = None
        if not self.closing:
            log.info("jit.net.recv at %s:%d went away; reconnecting", self.host, self.port)
            self._task = self.loop.create_task(self._connect())

    def write(self, data: bytes, audio: bool) -> None:
        """On the loop: sends ``data`` now, or holds it (messages) / counts it (audio) when it cannot."""
        t = self.transport
        if t is not None and not t.is_closing() and t.get_write_buffer_size() < MAX_WRITE_BUFFER:
            t.write(data)
        elif audio:
            self.undelivered += 1
        elif t is None and not self.closing:
            self.held.append(data)

    def close(self) -> None:
        self.closing = True
        self._task.cancel()
        if self.transport is not None:
            self.transport.close()


class JitterSink:
    """A stream's results as Jitter chunks on its return link; called from the worker thread, never blocks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, link: ReturnLink, on_error=lambda: True, on_closed=None):
        """``on_error()`` counts an error and says whether to send it (the per-client limit, as OscSink's)."""
        self.loop, self.link, self.on_error, self.on_closed = loop, link, on_error, on_closed

    def _send(self, data: bytes, audio: bool = False) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.link.write, data, audio)

    def _message(self, selector: str, *args) -> None:
        self._send(jmtx.encode_message(selector, *args, order=self.link.order))

    def audio(self, stream_id, seq, y, encoding):
        self._send(jmtx.encode_matrix(y, now_ms(), self.link.order), audio=True)

    def opened(self, stream_id, latency_samples, latency_ms, rate, channels):
        self._message("opened", stream_id, latency_samples, float(latency_ms), rate, channels)

    def closed(self, stream_id, c):
        self._message("closed", stream_id, c["chunks_in"], c["chunks_out"], c["lost"], c["late"], c["duplicates"],
                      c["late_replies"], c.get("restarts", 0), self.link.undelivered)
        if self.on_closed is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.on_closed)

    def latency(self, stream_id, samples, ms, rate):
        self._message("latency", samples, float(ms), rate, stream_id)

    def synced(self, sync_id):
        self._message("synced", sync_id)

    def gap(self, stream_id, first_seq, count):
        self._message("gap", stream_id, first_seq, count)

    def late(self, stream_id, seq, kind):
        self._message("late", stream_id, seq, kind)

    def status(self, args):
        self._message("status", *args)

    def error(self, request, code, message):
        if self.on_error():
            self._message("error", request, code, message[:1000])

    def reopen(self, stream_id, reason):
        self.error("/bridge/preset/load", "stream", f"stream {stream_id}: {reason}")


class JitterConnection(asyncio.Protocol):
    """One ``jit.net.send`` connection: parses chunks, opens its stream, feeds the worker, answers JMLP."""

    connections: set = set()

    def __init__(self, app, loop: asyncio.AbstractEventLoop):
        self.app, self.loop = app, loop
        self.transport: asyncio.Transport | None = None
        self.peer: tuple = ("", 0)
        self.buf = bytearray()
        self.header: jmtx.MatrixHeader | None = None
        self.t_header = 0.0  # when the pending matrix header arrived (ms), for its JMLP answer
        self.stream: dict[str, Any] | None = None  # stream, sample_rate, channels, link, sink, seq
        self.stats = app.stats

    # -- connection ---------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.peer = tuple(transport.get_extra_info("peername")[:2])
        same_host = sum(1 for c in self.connections if c.peer[0] == self.peer[0])
        if len(self.connections) >= MAX_CONNECTIONS or same_host >= MAX_CONNECTIONS_PER_HOST:
            log.warning("jitter connection from %s:%d refused: %d open (%d from that host)", *self.peer,
                        len(self.connections), same_host)
            self.stats["jitter_refused"] += 1
            transport.close()
            return
        self.connections.add(self)
        _no_delay(transport)
        log.info("jitter connection from %s:%d", *self.peer)

    def connection_lost(self, exc) -> None:
        self.connections.discard(self)
        if self.stream is not None:  # the device went away: its stream closes (every chunk answered)
            self._close_stream()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        try:
            while self._take_chunk():
                pass
        except jmtx.WireError as e:  # a byte stream cannot resynchronise: log it and hang up
            self.stats["malformed"] += 1
            log.warning("jitter connection from %s:%d closed: %s", *self.peer, e)
            self._error("", "malformed", f"{e}; connection closed")
            self.transport.close()

    def _take_chunk(self) -> bool:
        """Handles one whole chunk from the buffer; False when more bytes are needed."""
        if self.header is not None:  # a matrix header was read: wait for its data
            if len(self.buf) < self.header.datasize:
                return False
            data = bytes(self.buf[: self.header.datasize])
            del self.buf[: self.header.datasize]
            header, self.header = self.header, None
            self._on_matrix(header, data)
            return True
        if len(self.buf) < jmtx.CHUNK_HEADER_BYTES:
            return False
        kind, size, _ = jmtx.read_chunk_header(self.buf[: jmtx.CHUNK_HEADER_BYTES])
        if len(self.buf) < jmtx.CHUNK_HEADER_BYTES + size:
            return False
        body = bytes(self.buf[jmtx.CHUNK_HEADER_BYTES: jmtx.CHUNK_HEADER_BYTES + size])
        del self.buf[: jmtx.CHUNK_HEADER_BYTES + size]
        if kind == jmtx.MATRIX:
            self.header = jmtx.read_matrix_header(body)
            self.t_header = now_ms()
        elif kind == jmtx.MESSAGE:
            self._on_message(body)
        return True  # JMLP from a sender: nothing to do

    # -- requests -------------------------------------------------------------------------
    def _on_message(self, body: bytes) -> None:
        order = self.stream["link"].order if self.stream else jmtx.BIG
        selector, atoms = jmtx.decode_message(body, order)
        self.stats["messages"] += 1
        try:
            if selector == "open":
                self._open(osc.check_args(OPEN, atoms))
            elif selector == "close":
                a = osc.check_args(CLOSE, atoms)
                if self.stream is None or self.stream["stream"] != a["stream"]:
                    raise BridgeStreamError(f"close: stream {a['stream']} is not open on this connection")
                self._close_stream()
            else:
                raise BridgeStreamError(f"{selector[:100]!r}: unknown message; expected open or close")
        except BridgeError as e:
            self._error(selector[:100], e.code, str(e))

    def _open(self, a: dict) -> None:
        self.app.check_accepting()
        check_stream(a["sample_rate"], a["channels"], "open ")
        if not 1 <= a["return_port"] <= 65535:
            raise BridgeStreamError(f"open return_port: expected 1 to 65535 (jit.net.recv's @port), "
                                    f"got {a['return_port']}")
        if self.stream is not None:
            self._close_stream()
        link = ReturnLink(self.loop, self.peer[0], a["return_port"], jmtx.BIG)
        sink = JitterSink(self.loop, link, on_error=lambda: self.app.error_allowed_for(self.peer),
                          on_closed=link.close)
        self.stream = dict(stream=a["stream"], sample_rate=a["sample_rate"], channels=a["channels"], link=link,
                           sink=sink, seq=0, key=(*self.peer, a["stream"]))
        self.app.worker.submit(Open(self.stream["key"], a["stream"], a["sample_rate"], a["channels"], sink))
        log.info("jitter stream %d from %s:%d: %d Hz, %d ch, back to port %d", a["stream"], *self.peer,
                 a["sample_rate"], a["channels"], a["return_port"])

    def _close_stream(self) -> None:
        s, self.stream = self.stream, None
        self.app.worker.submit(Close(s["key"], s["stream"], s["sink"]))

    def _on_matrix(self, header: jmtx.MatrixHeader, data: bytes) -> None:
        t_arrival = time.perf_counter()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(jmtx.encode_latency(header.time_ms, self.t_header, now_ms(), header.order))
        s = self.stream
        if s is None:
            self._unopened()
            return
        seq = s["seq"]
        s["seq"] = seq_wrap(seq + 1)
        if header.planecount != s["channels"]:
            self._error("matrix", "audio", f"matrix of {header.planecount} planes on a {s['channels']}-channel "
                                           f"stream: send one plane per channel (jit.catch~ {s['channels']})")
            return
        n = header.dim[0] * (header.dim[1] if len(header.dim) == 2 else 1)
        if n > s["sample_rate"]:
            self._error("matrix", "audio", f"matrix of {n} cells is over 1 s of audio at {s['sample_rate']} Hz; "
                                           "bang jit.catch~ more often")
            return
        if self.app.worker.queued() >= self.app.server.max_queue_chunks or not self.app.accepting:
            return  # the worker sees a gap: silence in its place, counted as lost, latency kept
        block = jmtx.matrix_cells(header, data)
        self.app.worker.submit(Chunk(s["key"], s["stream"], seq, t_arrival, s["sink"], block=block))

    def _unopened(self) -> None:
        self.stats["jitter_unopened"] += 1
        if self.stats["jitter_unopened"] <= 5:
            log.warning("matrix from %s:%d before 'open': dropped (send open <stream> <rate> <channels> "
                        "<return_port> into jit.net.send's right inlet first)", *self.peer)

    def _error(self, request: str, code: str, message: str) -> None:
        """To the device through its stream's sink (counted, and limited like OSC errors), else to the log."""
        if self.stream is not None:
            self.stream["sink"].error(request, code, message)
        elif self.app.error_allowed_for(self.peer):
            log.info("jitter %s:%d: %s (%s)", *self.peer, message, code)


class BridgeStreamError(BridgeError):
    code = "stream"


def close_all() -> None:
    """Closes every jit.net.send connection (their streams close in the worker; links close after)."""
    for c in list(JitterConnection.connections):
        if c.transport is not None:
            c.transport.close()


def _no_delay(transport) -> None:
    import socket

    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

