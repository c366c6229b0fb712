"""``bridge serve``: the OSC daemon's lifecycle and request handlers (the one owner of the socket).

Lifecycle, after uvicorn: models and presets load before the socket binds (a bad
model fails the start, not the show); the bound address is logged (port 0 works);
SIGINT/SIGTERM drain within ``drain_timeout_s``, a second signal forces the exit.
Handlers run on the event loop and only validate and enqueue; inference happens in
:mod:`bridge.worker`. Replies go to the sender's host on the port it registered with
``/bridge/hello`` (default ``--reply-port``), never to the datagram's source port:
Max's ``[udpsend]`` cannot receive.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from . import __version__, osc
from .config import PARAMS, Preset, ServerConfig
from .errors import BindError, BridgeError, BusyError, ModelError, ParameterError
from .files import FileAccess, default_roots

log = logging.getLogger("bridge.daemon")

LISTEN_KINDS = ("param", "status", "latency")


def add_serve_args(p: argparse.ArgumentParser) -> None:
    d = ServerConfig()
    p.add_argument("--host", default=d.host, help=f"address to bind (default {d.host}: this machine only)")
    p.add_argument("--port", type=int, default=d.port, help=f"UDP port to listen on; 0 picks a free one (default {d.port})")
    p.add_argument("--reply-port", type=int, default=d.reply_port,
                   help=f"port replies go to when a client has not sent /bridge/hello (default {d.reply_port})")
    p.add_argument("--preset", default="guitar-to-violin", help="preset loaded at start")
    p.add_argument("--presets", action="append", default=[], metavar="DIR", help="extra preset folder")
    p.add_argument("--files", action="append", default=[], metavar="DIR",
                   help="folder file mode may read and write (default: the temp folder and ~/Music/bridge)")
    p.add_argument("--compute-budget-ms", type=float, default=None,
                   help="compute time added to the latency so replies leave on time (default: twice one window)")
    p.add_argument("--drain-timeout", type=float, default=d.drain_timeout_s, help="seconds to finish on SIGTERM")
    p.add_argument("--max-streams", type=int, default=d.max_streams)
    p.add_argument("--no-adapt-steps", dest="adapt_steps", action="store_false",
                   help="keep the step count even when compute falls behind")
    p.add_argument("--midi", nargs="?", const="bridge", default=None, metavar="PORT",
                   help="open a virtual MIDI input (default name 'bridge') for CC control")
    p.add_argument("--midi-api", default=None, help="rtmidi API, e.g. UNIX_JACK or LINUX_ALSA (default: rtmidi's)")
    p.add_argument("--midi-map", default=None, help="YAML file of CC mappings, read at start and written on learn")
    p.add_argument("--audio", action="store_true", help="also restyle the audio interface's input to its output")
    p.add_argument("--input-device", default=None, help="sounddevice input device (name or index)")
    p.add_argument("--output-device", default=None, help="sounddevice output device (name or index)")
    p.add_argument("--audio-rate", type=int, default=None, help="audio interface rate (default: the device's)")
    p.add_argument("--blocksize", type=int, default=256, help="audio interface block size in frames")
    p.add_argument("--channels", type=int, default=2, help="audio interface channels")
    p.add_argument("--audio-prefill-ms", type=float, default=None,
                   help="output buffered ahead of the audio callback, rounded up to whole blocks (default 40); "
                        "raise it if underruns are logged")


class Daemon(asyncio.DatagramProtocol):
    """The OSC front: parses datagrams, checks arguments, enqueues work, sends replies."""

    def __init__(self, server: ServerConfig, models, presets, preset: Preset, files: FileAccess,
                 compute_budget_s: float | None):
        from .worker import BackgroundWorker, StreamWorker

        self.server = server
        self.models = models
        self.presets = presets
        self.preset = preset
        self.preset_name = preset.name
        self.files = files
        self.transport: asyncio.DatagramTransport | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.reply_ports: dict[tuple[str, int], int] = {}
        self.listeners: dict[str, set[tuple[str, int]]] = {k: set() for k in LISTEN_KINDS}
        self.stats = dict(datagrams=0, messages=0, malformed=0, errors=0, internal=0)
        self.open_streams: dict[Any, tuple[int, int]] = {}
        self.accepting = True
        self.midi = None
        self.worker = StreamWorker(models, lambda: self.preset, self._send_error_to, compute_budget_s,
                                   server.adapt_steps, server.max_streams)
        self.jobs = BackgroundWorker(self.worker.idle, self._send_error_to)
        self.handlers: dict[str, Callable] = {
            path: getattr(self, "h_" + path[len("/bridge/"):].replace("/", "_")) for path in osc.ADDRESSES
        }

    # -- transport --------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def error_received(self, exc) -> None:  # e.g. ICMP port unreachable from a vanished client
        log.debug("socket error: %s", exc)

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        """Sends from any thread (the worker's replies hop onto the event loop)."""
        if len(data) > osc.MAX_DATAGRAM:
            log.error("reply of %d bytes to %s not sent (over %d)", len(data), addr, osc.MAX_DATAGRAM)
            return
        if self.loop is None or self.transport is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.transport.sendto(data, addr)
        else:
            self.loop.call_soon_threadsafe(self._sendto_now, data, addr)

    def _sendto_now(self, data: bytes, addr) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def reply_addr(self, src: tuple[str, int]) -> tuple[str, int]:
        return (src[0], self.reply_ports.get(src[:2], self.server.reply_port))

    def replier(self, src) -> Callable[[bytes], None]:
        addr = self.reply_addr(src)
        return lambda data: self.sendto(data, addr)

    def _send_error_to(self, reply: Callable[[bytes], None], request: str, code: str, message: str) -> None:
        self.stats["errors"] += 1
        reply(osc.build("/bridge/error", request, code, message[:1000]))

    def datagram_received(self, data: bytes, addr) -> None:
        self.stats["datagrams"] += 1
        reply = self.replier(addr)
        try:
            messages = osc.parse(data)
        except ValueError as e:
            self.stats["malformed"] += 1
            log.debug("malformed datagram from %s: %s", addr, e)
            self._send_error_to(reply, "", "malformed", str(e))
            return
        for address, values in messages:
            self.stats["messages"] += 1
            try:
                handler = self.handlers.get(address)
                if handler is None:
                    raise ParameterError(f"{address[:100]}: unknown address; /bridge/info lists what is served")
                spec = osc.ADDRESSES[address]
                args = osc.check_args(spec, values)
                handler(args, values, addr, reply)
            except BridgeError as e:
                self._send_error_to(reply, address[:200], e.code, str(e))
            except Exception:
                self.stats["internal"] += 1
                log.exception("handler %s failed", address[:100])
                self._send_error_to(reply, address[:200], "internal", "see daemon log")

    def _busy_check(self) -> None:
        if not self.accepting:
            raise BusyError("the daemon is stopping")

    # -- handlers (one per address; they never block) --------------------------------
    def h_hello(self, a, values, src, reply) -> None:
        port = a.get("reply_port")
        if port is not None:
            if not 1 <= port <= 65535:
                raise ParameterError(f"/bridge/hello reply_port: expected 1 to 65535, got {port}")
            self.reply_ports[src[:2]] = port
        self.replier(src)(osc.build("/bridge/welcome", __version__, self.reply_addr(src)[1],
                                    self.models.provider or "none"))

    def h_ping(self, a, values, src, reply) -> None:
        token = a.get("token")
        reply(osc.build("/bridge/pong", *([token] if token is not None else [])))

    def h_info(self, a, values, src, reply) -> None:
        reply(osc.build("/bridge/info/version", __version__, 1))
        reply(osc.build("/bridge/info/provider", self.models.provider or "none", self.models.provider_note[:500]))
        for name, den in sorted(self.models.loaded.items()):
            m = den.info.mel
            reply(osc.build("/bridge/info/model", name, m.sample_rate, m.n_mels, m.window_frames, m.hop_length,
                            int(den.info.train.get("steps") or 0)))
        for name in self.presets.names():
            p = self.presets.presets[name]
            reply(osc.build("/bridge/info/preset", name, p.mode, p.target, p.description[:300]))
        reply(osc.build("/bridge/info/preset/current", self.preset_name))
        for name, spec in PARAMS.items():
            reply(osc.build("/bridge/info/param", name, spec.kind,
                            float(spec.lo if spec.lo is not None else 0.0),
                            float(spec.hi if spec.hi is not None else 0.0), _wire(self.preset.param(name))))
        for root in self.files.roots:
            reply(osc.build("/bridge/info/files", str(root)))
        samples, ms, rate = self._preset_latency()
        reply(osc.build("/bridge/info/latency", samples, ms, rate))
        reply(osc.build("/bridge/info/end", len(self.models.loaded), len(self.presets.names())))

    def _preset_latency(self) -> tuple[int, float, int]:
        from .engine import Geometry

        den = self.models[self.preset.target]
        r = self.preset.render
        g = Geometry.make(den.info.mel, r.window_frames, r.overlap, r.lookbehind)
        rate = den.info.mel.sample_rate
        return g.latency_samples, 1000.0 * g.latency_samples / rate, rate

    def h_status(self, a, values, src, reply) -> None:
        reply(osc.build("/bridge/status", *self._status_args()))

    def _status_args(self) -> list:
        s = self.worker.snapshot()
        busy = 100.0 * self.worker.busy_s / max(self.worker.audio_s, 1e-9) if self.worker.audio_s else 0.0
        return [s["streams"], self.worker.queued(), float(busy), s["lost"], s["late"], s["duplicates"],
                s["late_replies"], self.stats["malformed"], self.stats["errors"], self.models.provider or "none",
                self.jobs.current or ""]

    def h_preset_load(self, a, values, src, reply) -> None:
        preset = self.presets[a["name"]]
        self._apply_preset(preset, a["name"])
        reply(osc.build("/bridge/preset/loaded", a["name"], preset.target))

    def _model(self, name: str, context: str = ""):
        """The loaded model ``name``; a ModelError listing the available ones otherwise."""
        try:
            return self.models[name]
        except ModelError as e:
            raise ModelError(f"{context}{e}") from None

    def _apply_preset(self, preset: Preset, name: str) -> None:
        self._model(preset.target, f"preset {name}: ")
        if preset.render.morph_with:
            self._model(preset.render.morph_with, f"preset {name}: ")
        self.preset, self.preset_name = preset, name
        self.worker.submit(("preset", preset, None))
        for addr in list(self.listeners["param"]):
            self.sendto(osc.build("/bridge/preset/changed", name, preset.target), addr)
        self._push_latency()

    def h_param_set(self, a, values, src, reply) -> None:
        self.set_param(a["name"], a["value"])
        reply(osc.build("/bridge/param", a["name"], _wire(self.preset.param(a["name"]))))

    def set_param(self, name: str, value: Any) -> None:
        """Validates and applies one parameter to all streams (also used by MIDI)."""
        new = self.preset.with_param(name, value)
        if name in ("target", "morph_with", "pair_with") and new.param(name):
            self._model(new.param(name), f"{name}: ")
        self.preset = new
        self.worker.submit(("preset", new, None))
        for addr in list(self.listeners["param"]):
            self.sendto(osc.build("/bridge/param", name, _wire(new.param(name))), addr)

    def h_param_get(self, a, values, src, reply) -> None:
        reply(osc.build("/bridge/param", a["name"], _wire(self.preset.param(a["name"]))))

    def h_listen(self, a, values, src, reply) -> None:
        self.listeners[_listen_kind("/bridge/listen", a["what"])].add(self.reply_addr(src))
        reply(osc.build("/bridge/listening", a["what"]))

    def h_unlisten(self, a, values, src, reply) -> None:
        self.listeners[_listen_kind("/bridge/unlisten", a["what"])].discard(self.reply_addr(src))
        reply(osc.build("/bridge/unlistened", a["what"]))

    def h_model_load(self, a, values, src, reply) -> None:
        self._busy_check()
        name = a["name"]
        from .model import resolve_model

        resolve_model(name, self.models.dirs)  # unknown names fail now, with the list

        def job(gate):
            den = self.models.load(name)
            self.worker.submit(("preset", self.preset, None))  # streams pick up the reloaded weights
            reply(osc.build("/bridge/model/loaded", name, den.provider))

        self.jobs.submit(f"model {name}", "/bridge/model/load", job, reply)

    def h_latency_get(self, a, values, src, reply) -> None:
        if a.get("stream") is not None:
            key = (*src[:2], a["stream"])
            self.worker.submit(("latency", key, a["stream"], reply))
            return
        samples, ms, rate = self._preset_latency()
        reply(osc.build("/bridge/latency", samples, ms, rate, -1))

    def _push_latency(self) -> None:
        if not self.listeners["latency"]:
            return
        samples, ms, rate = self._preset_latency()
        for addr in list(self.listeners["latency"]):
            self.sendto(osc.build("/bridge/latency", samples, ms, rate, -1), addr)

    def h_stream_open(self, a, values, src, reply) -> None:
        self._busy_check()
        if not 8000 <= a["sample_rate"] <= 192000:
            raise ParameterError(f"/bridge/stream/open sample_rate: expected 8000 to 192000, got {a['sample_rate']}")
        if not 1 <= a["channels"] <= 8:
            raise ParameterError(f"/bridge/stream/open channels: expected 1 to 8, got {a['channels']}")
        key = (*src[:2], a["stream"])
        if key not in self.open_streams and len(self.open_streams) >= self.server.max_streams:
            raise BusyError(f"/bridge/stream/open: at most {self.server.max_streams} streams; close one first")
        self.open_streams[key] = (a["sample_rate"], a["channels"])
        self.worker.submit(("open", key, a["stream"], a["sample_rate"], a["channels"], reply))

    def h_stream_close(self, a, values, src, reply) -> None:
        key = (*src[:2], a["stream"])
        if key not in self.open_streams:
            raise ParameterError(f"/bridge/stream/close: stream {a['stream']} is not open")
        del self.open_streams[key]
        self.worker.submit(("close", key, a["stream"], reply))

    def h_audio_in(self, a, values, src, reply) -> None:
        t_arrival = time.perf_counter()
        key = (*src[:2], a["stream"])
        meta = self.open_streams.get(key)
        if meta is None:
            raise ParameterError(f"/bridge/audio/in: stream {a['stream']} is not open; send /bridge/stream/open first")
        if not self.accepting:
            raise BusyError("the daemon is stopping")
        if self.worker.queued() >= self.server.max_queue_chunks:
            raise BusyError(f"/bridge/audio/in: {self.worker.queued()} chunks queued; the daemon is behind")
        block, encoding = osc.decode_audio("/bridge/audio/in", values[2:], meta[1])
        self.worker.submit(("chunk", key, a["stream"], a["seq"], block, encoding, t_arrival, reply))

    def h_sync(self, a, values, src, reply) -> None:
        self.worker.submit(("sync", a["id"], reply))

    def h_file_process(self, a, values, src, reply) -> None:
        self._busy_check()
        import soundfile as sf

        src_path = self.files.check(a["in_path"], write=False, label="in_path")
        out_path = self.files.check(a["out_path"], write=True, label="out_path")
        preset = self.presets[a["preset"]] if a.get("preset") else self.preset
        try:
            info = sf.info(str(src_path))
        except Exception as e:
            raise ParameterError(f"in_path: cannot read audio ({e})") from None
        if info.duration > self.server.max_file_seconds:
            raise ParameterError(f"in_path: expected at most {self.server.max_file_seconds:.0f} s, "
                                 f"got {info.duration:.1f} s")
        self._model(preset.target, f"preset {preset.name}: ")
        job_id = a["job"]

        def job(gate):
            import numpy as np

            from . import audio_io
            from .engine import Stream

            y, sr = audio_io.read(src_path)
            stream = Stream(self.models, preset, sr, y.shape[0])
            L = stream.latency_samples
            padded = np.concatenate([y, np.zeros((y.shape[0], L), np.float32)], axis=1)
            out, done, last = [], 0, -1.0
            step = max(1, sr // 4)
            for i in range(0, padded.shape[1], step):
                part = padded[:, i : i + step]
                stream.write(part)
                while stream.available() < part.shape[1] and stream.busy:
                    gate()
                    stream.tick()
                out.append(stream.read(part.shape[1]))
                done += part.shape[1]
                frac = done / padded.shape[1]
                if frac - last >= 0.1:
                    reply(osc.build("/bridge/file/progress", job_id, float(frac)))
                    last = frac
            y_out = np.concatenate(out, axis=1)[:, L : L + y.shape[1]]
            audio_io.write(out_path, y_out, sr)
            reply(osc.build("/bridge/file/done", job_id, str(out_path), float(y.shape[1] / sr)))

        self.jobs.submit(f"job {job_id}", "/bridge/file/process", job, reply)

    def h_generate(self, a, values, src, reply) -> None:
        self._busy_check()
        out_path = self.files.check(a["out_path"], write=True, label="out_path")
        den = self._model(a["model"])
        steps = a.get("steps") or 25
        if not 1 <= steps <= 200:
            raise ParameterError(f"/bridge/generate steps: expected 1 to 200, got {steps}")
        seed = a.get("seed") if a.get("seed") is not None else self.preset.sampler.seed

        def job(gate):
            from . import audio_io, engine

            y = engine.generate(den, 1, steps, seed, callback=gate)[0]
            audio_io.write(out_path, y, den.info.mel.sample_rate)
            reply(osc.build("/bridge/generate/done", a["job"], str(out_path), float(len(y) / den.info.mel.sample_rate)))

        self.jobs.submit(f"generate {a['job']}", "/bridge/generate", job, reply)

    def h_pair(self, a, values, src, reply) -> None:
        self._busy_check()
        out_dir = self.files.check_dir(a["out_dir"])
        ma, mb = self._model(a["model_a"]), self._model(a["model_b"])
        branch = a.get("branch") if a.get("branch") is not None else self.preset.branch
        if not 0.0 <= branch <= 1.0:
            raise ParameterError(f"/bridge/pair branch: expected 0 to 1, got {branch}")
        seed = a.get("seed") if a.get("seed") is not None else self.preset.sampler.seed

        def job(gate):
            from . import audio_io, engine

            ya, yb = engine.pair(ma, mb, 30, seed, branch, 3.0, highpass_hz=80.0, lowpass_hz=9000.0, callback=gate)
            sr = ma.info.mel.sample_rate
            pa = audio_io.write(out_dir / f"{a['job']}_{a['model_a']}.wav", ya, sr)
            pb = audio_io.write(out_dir / f"{a['job']}_{a['model_b']}.wav", yb, sr)
            reply(osc.build("/bridge/pair/done", a["job"], str(pa), str(pb)))

        self.jobs.submit(f"pair {a['job']}", "/bridge/pair", job, reply)

    def h_midi_learn(self, a, values, src, reply) -> None:
        self._midi_required().learn(a["param"], self.replier(src))
        reply(osc.build("/bridge/midi/learning", a["param"]))

    def h_midi_map(self, a, values, src, reply) -> None:
        channel = a.get("channel", -1)
        self._midi_required().map(a["cc"], a["param"], channel)
        reply(osc.build("/bridge/midi/mapped", a["cc"], a["param"], channel))

    def h_midi_unmap(self, a, values, src, reply) -> None:
        channel = a.get("channel", -1)
        self._midi_required().unmap(a["cc"], channel)
        reply(osc.build("/bridge/midi/unmapped", a["cc"], channel))

    def _midi_required(self):
        if self.midi is None:
            raise ParameterError("midi: not enabled; start bridge serve with --midi")
        return self.midi

    # -- periodic -----------------------------------------------------------------------
    async def housekeeping(self, stop: asyncio.Event) -> None:
        """Once a second: status to listeners, presets reloaded when their files change."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
            if self.listeners["status"]:
                data = osc.build("/bridge/status", *self._status_args())
                stream_msgs = [osc.build("/bridge/stream/status", *st.status_args())
                               for st in list(self.worker.streams.values())]
                for addr in list(self.listeners["status"]):
                    self.sendto(data, addr)
                    for m in stream_msgs:
                        self.sendto(m, addr)
            changed = self.presets.reload_if_changed()
            if self.preset_name in changed and self.preset_name in self.presets.presets:
                try:
                    self._apply_preset(self.presets.presets[self.preset_name], self.preset_name)
                    log.info("preset %s reloaded from disk", self.preset_name)
                except BridgeError as e:
                    log.error("preset %s changed but cannot apply: %s", self.preset_name, e)


def _listen_kind(address: str, what: str) -> str:
    if what not in LISTEN_KINDS:
        raise ParameterError(f"{address} what: expected one of {', '.join(LISTEN_KINDS)}, got {what!r}")
    return what


def _wire(value: Any) -> Any:
    """A parameter value as an OSC-safe scalar (bools as ints, None as empty text)."""
    if isinstance(value, bool):
        return int(value)
    if value is None:
        return ""
    return value


def bind_socket(host: str, port: int, recv_buffer: int) -> socket.socket:
    """Binds the UDP socket with a large receive buffer (bursts of audio chunks); raises BindError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    for opt in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if opt is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, recv_buffer)
            break
        except OSError:
            continue
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise BindError(f"cannot bind udp {host}:{port} ({e.strerror}); is another bridge running? "
                        f"try --port 0 or another port") from None
    sock.setblocking(False)
    return sock


async def serve(server: ServerConfig, models, presets, preset: Preset, files: FileAccess,
                compute_budget_s: float | None = None, midi_args: dict | None = None,
                audio_args: dict | None = None, ready: Callable[[tuple], None] | None = None) -> int:
    """Runs the daemon until SIGINT/SIGTERM; returns the exit code (0 clean, 1 forced or timed out)."""
    loop = asyncio.get_running_loop()
    daemon = Daemon(server, models, presets, preset, files, compute_budget_s)
    daemon.loop = loop
    daemon.worker.start()
    daemon.jobs.start()
    sock = bind_socket(server.host, server.port, server.recv_buffer_bytes)
    transport, _ = await loop.create_datagram_endpoint(lambda: daemon, sock=sock)
    host, port = transport.get_extra_info("sockname")[:2]
    rcvbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    stop = asyncio.Event()
    forced = asyncio.Event()
    signals = {"n": 0}

    def on_signal(signame: str) -> None:
        signals["n"] += 1
        if signals["n"] == 1:
            log.info("%s: draining (at most %.1f s; send it again to force)", signame, server.drain_timeout_s)
            stop.set()
        else:
            log.warning("%s again: forcing exit", signame)
            forced.set()
            stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig.name)
    live = None
    try:
        if midi_args:
            from .midi import MidiControl

            daemon.midi = MidiControl(daemon, loop, **midi_args)
            log.info("MIDI: virtual input %r (%s)", daemon.midi.port_name, daemon.midi.api)
        if audio_args:
            from .live import AudioInterface

            live = AudioInterface(daemon, **audio_args)
            live.start()
        log.info("bridge %s listening on udp://%s:%d (replies to port %d unless /bridge/hello; recv buffer %d B; "
                 "provider %s)", __version__, host, port, server.reply_port, rcvbuf, (models.provider or "none").upper())
        if ready:
            ready((host, port))
        housekeeping = asyncio.ensure_future(daemon.housekeeping(stop))
        await stop.wait()
        daemon.accepting = False
        t0 = time.monotonic()
        if live is not None:
            live.stop()
        code = 0
        if not forced.is_set():
            drained = await _race(loop.run_in_executor(None, daemon.worker.drain, server.drain_timeout_s), forced)
            left = max(0.1, server.drain_timeout_s - (time.monotonic() - t0))
            jobs_done = await _race(loop.run_in_executor(None, daemon.jobs.stop, left), forced)
            if not drained or not jobs_done or forced.is_set():
                log.warning("drain incomplete after %.1f s (streams %s, jobs %s)", time.monotonic() - t0,
                            "done" if drained else "not done", "done" if jobs_done else "not done")
                code = 1
        else:
            code = 1
        housekeeping.cancel()
        log.info("stopped after %.2f s drain; %d datagrams, %d malformed, %d errors", time.monotonic() - t0,
                 daemon.stats["datagrams"], daemon.stats["malformed"], daemon.stats["errors"])
        return code
    finally:
        if daemon.midi is not None:
            daemon.midi.close()
        transport.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _race(fut, forced: asyncio.Event) -> bool:
    """Waits for ``fut`` unless ``forced`` is set first; returns the result or False."""
    waiter = asyncio.ensure_future(forced.wait())
    done, _ = await asyncio.wait({fut, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    return bool(fut.result()) if fut in done else False


def serve_command(args) -> int:
    """``bridge serve``: load models and presets, then serve until a signal."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from .model import ModelSet
    from .presets import PresetLibrary, load_preset

    server = ServerConfig.from_dict({
        "host": args.host, "port": args.port, "reply_port": args.reply_port, "drain_timeout_s": args.drain_timeout,
        "max_streams": args.max_streams, "adapt_steps": args.adapt_steps,
    })
    presets = PresetLibrary(args.presets)
    p = Path(args.preset)
    preset = load_preset(p) if p.suffix in (".yaml", ".yml") else presets[args.preset]
    models = ModelSet(args.models, args.provider, args.threads)
    names = sorted(models.paths())
    if not names:
        raise ModelError("no models found; pass --models DIR or reinstall bridge (it ships its models)")
    t0 = time.perf_counter()
    failed = {}
    for name in names:
        try:
            models[name]
        except ModelError as e:
            failed[name] = str(e)
            log.error("model %s not loaded: %s", name, e)
    if preset.target not in models.loaded:
        raise ModelError(f"preset {preset.name}: target {preset.target!r} could not be loaded "
                         f"({failed.get(preset.target, 'not found')})")
    from . import dsp

    for den in models.loaded.values():  # filterbanks for every model, before the socket opens
        dsp.mel_transform(den.info.mel)
    log.info("loaded %d models in %.2f s on %s (%s)", len(models.loaded), time.perf_counter() - t0,
             (models.provider or "none").upper(), models.provider_note)
    if not args.files:
        for root in default_roots():
            root.mkdir(parents=True, exist_ok=True)  # ~/Music/bridge: where the device writes clips by default
    files = FileAccess(args.files or default_roots())
    budget = None if args.compute_budget_ms is None else args.compute_budget_ms / 1000.0
    midi_args = {"port_name": args.midi, "api": args.midi_api, "map_file": args.midi_map} if args.midi else None
    audio_args = None
    if getattr(args, "audio", False):
        audio_args = {"input_device": args.input_device, "output_device": args.output_device,
                      "sample_rate": args.audio_rate, "blocksize": args.blocksize, "channels": args.channels,
                      "prefill_ms": args.audio_prefill_ms}
    return asyncio.run(serve(server, models, presets, replace(preset, name=preset.name), files, budget,
                             midi_args, audio_args))
