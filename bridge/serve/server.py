"""``bridge serve``'s lifecycle and the one owner of the socket.

After uvicorn: models and presets load before anything else (a bad model fails the
start, not the show); the socket binds next, and only once it is bound do the worker
threads start, so a failed bind leaves nothing running. The bound address is logged
(port 0 works). SIGINT/SIGTERM drain within ``drain_timeout_s``; a second signal exits
at once with status 1. Signals are caught with :func:`signal.signal` and handed to the
loop with ``call_soon_threadsafe`` (``loop.add_signal_handler`` does not exist on
Windows), and the previous handlers are put back on the way out.

Replies go to the sender's host on the port it registered with ``/bridge/hello``, never
to the datagram's source port (Max's ``[udpsend]`` cannot receive); a client that never
said hello gets nothing unless ``--reply-port`` names a port for such clients.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import replace
from typing import Callable

from .. import __version__
from ..config import Preset, ServerConfig
from ..errors import BindError, BridgeError, ModelError, ParameterError
from . import jitter, osc
from .files import FileAccess, default_roots
from .handlers import ROUTES, App
from .jobs import BackgroundWorker
from .messages import Stop
from .worker import StreamWorker

log = logging.getLogger("bridge.serve")

HOUSEKEEPING_S = 1.0


class Server(asyncio.DatagramProtocol):
    """The OSC front: parses datagrams, dispatches to :data:`~bridge.serve.handlers.ROUTES`, sends replies."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.transport: asyncio.DatagramTransport | None = None
        self.app: App | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def error_received(self, exc) -> None:  # e.g. ICMP port unreachable from a vanished client
        log.debug("socket error: %s", exc)

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        """Sends from any thread (the workers' replies hop onto the event loop)."""
        if len(data) > osc.MAX_DATAGRAM:
            log.error("reply of %d bytes to %s not sent (over %d)", len(data), addr, osc.MAX_DATAGRAM)
            return
        if self.transport is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._sendto_now(data, addr)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._sendto_now, data, addr)

    def _sendto_now(self, data: bytes, addr) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def datagram_received(self, data: bytes, addr) -> None:
        app = self.app
        app.stats["datagrams"] += 1
        reply = app.replier(addr)
        try:
            messages = osc.parse(data)
        except ValueError as e:
            app.stats["malformed"] += 1
            log.debug("malformed datagram from %s: %s", addr, e)
            app.send_error(reply, "", "malformed", str(e))
            return
        for address, values in messages:
            app.stats["messages"] += 1
            try:
                handler = ROUTES.get(address)
                if handler is None:
                    raise ParameterError(f"{address[:100]}: unknown address; /bridge/info lists what is served")
                handler(app, osc.check_args(osc.ADDRESSES[address], values), values, addr, reply)
            except BridgeError as e:
                app.send_error(reply, address[:200], e.code, str(e))
            except Exception:
                app.stats["internal"] += 1
                log.exception("handler %s failed", address[:100])
                app.send_error(reply, address[:200], "internal", "see daemon log")


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


class Signals:
    """SIGINT/SIGTERM (and SIGBREAK on Windows) to the loop: the first drains, the second forces.

    Installed with :func:`signal.signal` from the main thread only (elsewhere Python
    refuses; an embedding app keeps its own handlers); the old handlers come back on exit.
    """

    NAMES = ("SIGINT", "SIGTERM", "SIGBREAK")

    def __init__(self, loop: asyncio.AbstractEventLoop, drain_s: float):
        self.loop = loop
        self.drain_s = drain_s
        self.stop = asyncio.Event()
        self.forced = asyncio.Event()
        self.count = 0
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            log.debug("not the main thread: signal handlers left as they are")
            return
        for name in self.NAMES:
            sig = getattr(signal, name, None)
            if sig is not None:
                self._previous[sig] = signal.signal(sig, self._on_signal)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _on_signal(self, signum, frame) -> None:  # runs in the main thread between bytecodes
        name = signal.Signals(signum).name
        try:
            self.loop.call_soon_threadsafe(self.request, name)
        except RuntimeError:  # the loop is already closed
            pass

    def request(self, name: str) -> None:
        """Asks the daemon to stop (also for embedding and tests): once drains, twice forces."""
        self.count += 1
        if self.count == 1:
            log.info("%s: draining (at most %.1f s; send it again to force)", name, self.drain_s)
        else:
            log.warning("%s again: forcing exit", name)
            self.forced.set()
        self.stop.set()


async def serve(server: ServerConfig, models, presets, preset: Preset, files: FileAccess,
                compute_budget_s: float | None = None, midi_args: dict | None = None,
                audio_args: dict | None = None, ready: Callable[[tuple, Signals], None] | None = None) -> int:
    """Runs the daemon until SIGINT/SIGTERM; returns the exit code (0 clean, 1 forced or timed out).

    ``ready((host, port), signals)`` is called once it listens; ``signals.request(name)``
    stops it as a signal would.
    """
    loop = asyncio.get_running_loop()
    sock = bind_socket(server.host, server.port, server.recv_buffer_bytes)  # nothing runs yet if this fails
    proto = Server(loop)
    try:
        transport, _ = await loop.create_datagram_endpoint(lambda: proto, sock=sock)
    except BaseException:
        sock.close()
        raise
    signals = Signals(loop, server.drain_timeout_s)
    jitter_server = None
    worker = StreamWorker(models, preset, compute_budget_s, server.adapt_steps, server.max_streams, server.idle_close_s,
                          server.model_thread)
    app = App(server, models, presets, preset, files, worker, None, proto.sendto)
    app.jobs = BackgroundWorker(worker.idle, app.send_error)
    proto.app = app
    live = None
    try:
        if server.jitter_port >= 0:
            jitter_server = await bind_jitter(loop, app, server.host, server.jitter_port)
    except BaseException:
        transport.close()
        raise
    signals.install()
    try:
        worker.start()
        app.jobs.start()
        if midi_args:
            from .midi import MidiControl

            app.midi = MidiControl(loop, app.set_param, lambda: sorted(models.loaded), app.send_error, **midi_args)
        if audio_args:
            from .live import AudioInterface

            live = AudioInterface(worker.submit, worker.queued, lambda: worker.native_id, **audio_args)
            live.start()
        if jitter_server is not None:
            jhost, jport = jitter_server.sockets[0].getsockname()[:2]
            log.info("jitter matrices on tcp://%s:%d (jit.net.send from a Live device)", jhost, jport)
        host, port = transport.get_extra_info("sockname")[:2]
        replies = (f"replies to port {server.reply_port} unless /bridge/hello" if server.reply_port
                   else "replies after /bridge/hello")
        log.info("bridge %s listening on udp://%s:%d (%s; recv buffer %d B; "
                 "provider %s)", __version__, host, port, replies,
                 sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), (models.provider or "none").upper())
        if ready:
            ready((host, port), signals)
        housekeeping = asyncio.ensure_future(_housekeeping(app, signals.stop))
        await signals.stop.wait()
        app.accepting = False
        t0 = time.monotonic()
        code = await _drain(app, live, server.drain_timeout_s, signals.forced)
        housekeeping.cancel()
        log.info("stopped after %.2f s drain%s; %d datagrams, %d malformed, %d errors", time.monotonic() - t0,
                 " (forced)" if signals.forced.is_set() else "", app.stats["datagrams"], app.stats["malformed"],
                 app.stats["errors"])
        return code
    finally:
        signals.restore()
        app.jobs.cancelled.set()
        app.jobs.jobs.put(None)
        worker.submit(Stop())  # no-ops once drained; otherwise the threads end instead of idling
        if app.midi is not None:
            app.midi.close()
        if jitter_server is not None:
            jitter_server.close()
            jitter.close_all()
        transport.close()


async def bind_jitter(loop, app: App, host: str, port: int):
    """Listens for ``jit.net.send`` connections (TCP); raises BindError."""
    try:
        return await loop.create_server(lambda: jitter.JitterConnection(app, loop), host, port, reuse_address=True)
    except OSError as e:
        raise BindError(f"cannot bind tcp {host}:{port} for Jitter streams ({e.strerror}); is another bridge "
                        f"running? try --jitter-port 0, another port, or -1 to turn it off") from None


async def _drain(app: App, live, timeout_s: float, forced: asyncio.Event) -> int:
    """Finishes the streams' pending output and the running job; 0 if both did in time and unforced."""
    t0 = time.monotonic()
    if live is not None:
        await _race(_in_thread(live.stop), forced)
    drained = jobs_done = False
    if not forced.is_set():
        drained = await _race(_in_thread(app.worker.drain, timeout_s), forced)
    if not forced.is_set():
        left = max(0.1, timeout_s - (time.monotonic() - t0))
        jobs_done = await _race(_in_thread(app.jobs.stop, left), forced)
    if forced.is_set():
        app.jobs.cancelled.set()  # a running job stops at its next model call; the threads are daemons
        return 1
    if not drained or not jobs_done:
        log.warning("drain incomplete after %.1f s (streams %s, jobs %s)", time.monotonic() - t0,
                    "done" if drained else "not done", "done" if jobs_done else "not done")
        return 1
    return 0


def _in_thread(fn, *args) -> asyncio.Future:
    """``fn(*args)`` in a daemon thread, as a future of the loop.

    Not the loop's default executor: ``asyncio.run`` joins that on the way out, so a
    forced exit would still wait for the drain it was meant to cut short.
    """
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def settle(result, error):
        if not fut.done():
            fut.set_exception(error) if error is not None else fut.set_result(result)

    def run():
        try:
            result, error = fn(*args), None
        except BaseException as e:
            result, error = None, e
        if not loop.is_closed():
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=f"bridge-stop-{getattr(fn, '__name__', 'call')}", daemon=True).start()
    return fut


async def _race(fut, forced: asyncio.Event) -> bool:
    """Waits for ``fut`` unless ``forced`` is set first; returns its result, or False when forced."""
    waiter = asyncio.ensure_future(forced.wait())
    done, _ = await asyncio.wait({fut, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    return bool(fut.result()) if fut in done else False


async def _housekeeping(app: App, stop: asyncio.Event) -> None:
    """Once a second: status to listeners, the preset reloaded when its file changes. Never dies."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), HOUSEKEEPING_S)
        except asyncio.TimeoutError:
            pass
        try:
            _housekeep(app)
        except Exception:
            log.exception("housekeeping failed; retrying in %.0f s", HOUSEKEEPING_S)


def _housekeep(app: App) -> None:
    if app.listeners["status"]:
        data = osc.build("/bridge/status", *app.status_args())
        streams = [osc.build("/bridge/stream/status", *args) for args in app.worker.stream_status()]
        for addr in list(app.listeners["status"]):
            for m in (data, *streams):
                app.send(m, addr)
    changed = app.presets.reload_if_changed()
    for name in app.presets.failed:  # a broken edit: the device hears it, not only the log
        app.push("param", osc.build("/bridge/error", "/bridge/preset/load", "parameter",
                                    f"preset {name} not reloaded, the last good version stays: "
                                    f"{app.presets.errors[name]}"[:1000]))
    if app.preset_name in changed and app.preset_name in app.presets.presets:
        try:
            app.apply_preset(app.presets.presets[app.preset_name], app.preset_name)
            log.info("preset %s reloaded from disk", app.preset_name)
        except BridgeError as e:
            log.error("preset %s changed but cannot apply: %s", app.preset_name, e)
            app.push("param", osc.build("/bridge/error", "/bridge/preset/load", e.code,
                                        f"preset {app.preset_name} changed but cannot apply: {e}"[:1000]))


def load_all(models) -> None:
    """Loads every model found (a broken one is logged, the others serve) and builds their filterbanks."""
    from .. import dsp
    from ..model import intra_op_threads

    names = sorted(models.paths())
    if not names:
        raise ModelError("no models found; pass --models DIR or reinstall bridge (it ships its models)")
    t0 = time.perf_counter()
    for name in names:
        try:
            models[name]
        except ModelError as e:
            log.error("model %s not loaded: %s", name, e)
    for den in models.loaded.values():
        dsp.mel_transform(den.info.mel)
    log.info("loaded %d models in %.2f s on %s (%s), %d onnxruntime thread(s) a call", len(models.loaded),
             time.perf_counter() - t0, (models.provider or "none").upper(), models.provider_note,
             intra_op_threads(models.threads))


def serve_command(args) -> int:
    """``bridge serve``: load models and presets, then serve until a signal."""
    from ..model import ModelSet
    from ..presets import PresetLibrary, resolve_preset

    server = ServerConfig.from_dict({
        "host": args.host, "port": args.port, "reply_port": args.reply_port, "jitter_port": args.jitter_port,
        "drain_timeout_s": args.drain_timeout,
        "max_streams": args.max_streams, "adapt_steps": args.adapt_steps, "model_thread": args.model_thread,
        "idle_close_s": args.idle_close,
    })
    presets = PresetLibrary(args.presets)
    preset = resolve_preset(args.preset, presets)
    # With the model thread, one onnxruntime thread: the model and the streams' DSP already use a core each, and
    # a second intra-op thread fights the DSP for it (4 live streams on 2 cores: 15 of 22,500 replies late with
    # 2 threads, 0 with 1, and 0.29 -> 0.26 CPU-s per audio-s a stream).
    models = ModelSet(args.models, args.provider, args.threads or (1 if server.model_thread else 0))
    load_all(models)
    log.info("model calls: %s", "on their own thread, beside the streams' DSP" if server.model_thread
             else "on the stream thread (--no-model-thread)")
    if preset.target not in models.loaded:
        why = "it failed, see the log above" if preset.target in models.paths() else "no such model"
        raise ModelError(f"preset {preset.name}: target {preset.target!r} could not be loaded ({why}); "
                         f"loaded: {', '.join(sorted(models.loaded)) or 'none'}")
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
    code = asyncio.run(serve(server, models, presets, replace(preset, name=preset.name), files, budget,
                             midi_args, audio_args))
    if any(t.is_alive() for t in threading.enumerate()
           if t.name in ("bridge-streams", "bridge-jobs") or t.name.startswith("bridge-stop-")):
        # Forced, or the drain timed out: a worker may be inside onnxruntime, and letting the
        # interpreter finalise under it aborts the process. Leave now, logs flushed.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
