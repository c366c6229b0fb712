"""The OSC request handlers: validate, enqueue, answer. They never load a model, compute or block.

:class:`App` is the daemon's application state (preset, listeners, reply ports, the
workers' inboxes); it lives on the event loop. ``ROUTES`` maps every address of
:data:`bridge.serve.osc.ADDRESSES` to one function ``handler(app, args, values, src,
reply)``; a test checks that the two tables agree. Streams belong to the stream worker:
handlers send it typed messages and it answers through the stream's sink.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from typing import Any, Callable

from .. import __version__, audio_io
from ..config import PARAMS, GenerateConfig, PairConfig, Preset, ServerConfig, check_stream
from ..errors import BusyError, ModelError, ParameterError
from ..stream import check_preset
from . import jobs, osc
from .files import FileAccess
from .messages import Chunk, Close, LatencyQuery, OscSink, Open, SetPreset, Sync
from .worker import StreamWorker

log = logging.getLogger("bridge.serve")

LISTEN_KINDS = ("param", "status", "latency")
MAX_LISTENERS = 32  # per kind, over all clients
INFO_PER_SECOND, INFO_BURST = 2.0, 10  # /bridge/info answers ~3 KB to 20 B: bounded per client
ERRORS_PER_SECOND, ERROR_BURST = 20.0, 50  # error replies per client; the rest are counted, not sent


class Budget:
    """A token bucket per client: ``burst`` at once, then ``rate`` a second."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, float(burst)
        self._left: dict = {}

    def take(self, key) -> bool:
        now = time.monotonic()
        tokens, last = self._left.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        ok = tokens >= 1.0
        self._left[key] = (tokens - 1.0 if ok else tokens, now)
        if len(self._left) > 4096:  # forget clients that went quiet
            self._left = {k: v for k, v in self._left.items() if now - v[1] < 60.0}
        return ok
JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
Reply = Callable[[bytes], None]


class App:
    """What the handlers read and change; used from the event loop only."""

    def __init__(self, server: ServerConfig, models, presets, preset: Preset, files: FileAccess,
                 worker: StreamWorker, background: jobs.BackgroundWorker, send: Callable[[bytes, tuple], None]):
        self.server = server
        self.models = models
        self.presets = presets
        self.preset = preset
        self.preset_name = preset.name
        self.files = files
        self.worker = worker
        self.jobs = background
        self.send = send
        self.reply_ports: dict[tuple[str, int], int] = {}
        self.listeners: dict[str, set[tuple[str, int]]] = {k: set() for k in LISTEN_KINDS}
        self.stats = dict(datagrams=0, messages=0, malformed=0, errors=0, internal=0, errors_not_sent=0,
                          unaddressed=0, jitter_refused=0, jitter_unopened=0)
        self.error_budget = Budget(ERRORS_PER_SECOND, ERROR_BURST)
        self.info_budget = Budget(INFO_PER_SECOND, INFO_BURST)
        self.accepting = True
        self.midi = None

    # -- replies ------------------------------------------------------------------------
    def reply_addr(self, src: tuple) -> tuple[str, int] | None:
        """The sender's host at the port it said hello with (else ``--reply-port``); None: it gets no replies."""
        port = self.reply_ports.get(src[:2], self.server.reply_port)
        return (src[0], port) if port else None

    def replier(self, src: tuple) -> Reply:
        addr = self.reply_addr(src)
        return _Replier(self.send, addr) if addr is not None else _Unaddressed(self, src)

    def sink(self, reply: Reply) -> OscSink:
        return OscSink(reply, lambda: self.error_allowed(reply))

    def error_allowed(self, reply: Reply) -> bool:
        """Counts an error for ``reply``'s client; False once it has had its share (then only counted)."""
        return self.error_allowed_for(getattr(reply, "addr", None) or id(reply))

    def error_allowed_for(self, client) -> bool:
        """:meth:`error_allowed` for a client named by a key (a Jitter connection's peer address)."""
        self.stats["errors"] += 1
        if self.error_budget.take(client):
            return True
        self.stats["errors_not_sent"] += 1
        return False

    def send_error(self, reply: Reply, request: str, code: str, message: str) -> None:
        if self.error_allowed(reply):
            reply(osc.build("/bridge/error", request, code, message[:1000]))

    def push(self, kind: str, data: bytes) -> None:
        for addr in list(self.listeners[kind]):
            self.send(data, addr)

    # -- state changes ------------------------------------------------------------------
    def check_accepting(self) -> None:
        if not self.accepting:
            raise BusyError("the daemon is stopping")

    def loaded_model(self, name: str, context: str = ""):
        """A model already loaded; handlers never load one (that is a background job)."""
        loaded = self.models.loaded
        if name not in loaded:
            raise ModelError(f"{context}{name!r} is not loaded; loaded: {', '.join(sorted(loaded)) or 'none'} "
                             f"(/bridge/model/load NAME loads one)")
        return loaded[name]

    def apply_preset(self, preset: Preset, name: str) -> None:
        """Checks ``preset`` against the loaded models, then gives it to every stream."""
        check_preset(preset, self.models.loaded)
        self.preset, self.preset_name = preset, name
        self.worker.submit(SetPreset(preset))
        self.push("param", osc.build("/bridge/preset/changed", name, preset.target))
        self.push("latency", osc.build("/bridge/latency", *self.preset_latency(), -1))

    def set_param(self, name: str, value: Any) -> None:
        """Validates and applies one parameter to all streams (OSC and MIDI)."""
        new = self.preset.with_param(name, value)
        check_preset(new, self.models.loaded)
        self.preset = new
        self.worker.submit(SetPreset(new))
        self.push("param", osc.build("/bridge/param", name, wire(new.param(name))))
        if name in ("window_frames", "overlap", "lookbehind", "target"):
            self.push("latency", osc.build("/bridge/latency", *self.preset_latency(), -1))

    def preset_latency(self) -> tuple[int, float, int]:
        """The current preset's algorithmic latency at the model rate: samples, ms, rate."""
        g = check_preset(self.preset, self.models.loaded)
        rate = self.loaded_model(self.preset.target).info.mel.sample_rate
        return g.latency_samples, 1000.0 * g.latency_samples / rate, rate

    def status_args(self) -> list:
        s = self.worker.snapshot()
        w = self.worker
        busy = 100.0 * w.busy_s / max(w.audio_s, 1e-9) if w.audio_s else 0.0
        return [s["streams"], w.queued(), float(busy), s["lost"], s["late"], s["duplicates"], s["late_replies"],
                self.stats["malformed"], self.stats["errors"], self.models.provider or "none", self.jobs.current or ""]


class _Replier:
    """Sends to one client's reply address (and says which, for per-client limits)."""

    __slots__ = ("send", "addr")

    def __init__(self, send: Callable[[bytes, tuple], None], addr: tuple[str, int]):
        self.send, self.addr = send, addr

    def __call__(self, data: bytes) -> None:
        self.send(data, self.addr)


class _Unaddressed:
    """The replier of a client that never said hello: nothing is sent (the default reply port is a
    Live device's, not a stranger's); what it would have got is counted, and the first few logged."""

    __slots__ = ("app", "src", "addr")

    def __init__(self, app: App, src: tuple):
        self.app, self.src, self.addr = app, src[:2], None

    def __call__(self, data: bytes) -> None:
        stats = self.app.stats
        stats["unaddressed"] += 1
        if stats["unaddressed"] <= UNADDRESSED_LOGGED:
            log.warning("%s:%d sent a request before /bridge/hello <reply_port>: no reply sent (start the "
                        "daemon with --reply-port N to answer such clients on port N)", *self.src)


UNADDRESSED_LOGGED = 5  # log lines for clients that never said hello; then only the count in stats


def wire(value: Any) -> Any:
    """A parameter value as an OSC-safe scalar (bools as ints, None as empty text)."""
    if isinstance(value, bool):
        return int(value)
    if value is None:
        return ""
    return value


def mel_key(mel) -> str:
    """Every mel setting in one string: two models can be mixed (morph, pair) only if theirs are equal."""
    return " ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in dataclasses.astuple(mel))


def _listen_kind(address: str, what: str) -> str:
    if what not in LISTEN_KINDS:
        raise ParameterError(f"{address} what: expected one of {', '.join(LISTEN_KINDS)}, got {what!r}")
    return what


def _overwrite(a: dict) -> bool:
    value = a.get("overwrite") or 0
    if value not in (0, 1):
        raise ParameterError(f"overwrite: expected 0 or 1, got {value}")
    return bool(value)


def _job_name(job: str) -> str:
    """Job names become file names: a plain name, never a path."""
    if not JOB_NAME.fullmatch(job):
        raise ParameterError(f"job: expected 1-64 letters, digits, '.', '_' or '-' (not starting with '.'), "
                             f"got {job[:80]!r}")
    return job


# -- handlers (one per address) ---------------------------------------------------------
def hello(app: App, a, values, src, reply) -> None:
    port = a.get("reply_port")
    if port is not None:
        if not 1 <= port <= 65535:
            raise ParameterError(f"/bridge/hello reply_port: expected 1 to 65535, got {port}")
        app.reply_ports[src[:2]] = port
    addr = app.reply_addr(src)
    if addr is None:
        raise ParameterError("/bridge/hello: expected the port replies go to (/bridge/hello <reply_port>)")
    app.replier(src)(osc.build("/bridge/welcome", __version__, addr[1], app.models.provider or "none"))


MAX_TOKEN = 1024


def ping(app: App, a, values, src, reply) -> None:
    token = a.get("token")
    if isinstance(token, (str, bytes)) and len(token) > MAX_TOKEN:  # the pong must fit a datagram
        raise ParameterError(f"/bridge/ping token: expected at most {MAX_TOKEN} characters, got {len(token)}")
    reply(osc.build("/bridge/pong", *([token] if token is not None else [])))


def info(app: App, a, values, src, reply) -> None:
    if not app.info_budget.take(app.reply_addr(src)):
        raise BusyError(f"/bridge/info: at most {INFO_BURST} at once, then {INFO_PER_SECOND:g} a second per client")
    reply(osc.build("/bridge/info/version", __version__, 1))
    reply(osc.build("/bridge/info/provider", app.models.provider or "none", app.models.provider_note[:500]))
    menu = {name: den for name, den in app.models.loaded.items() if den.info.student is None}  # students: auto
    for name, den in sorted(menu.items()):
        m = den.info.mel
        reply(osc.build("/bridge/info/model", name, m.sample_rate, m.n_mels, m.window_frames, m.hop_length,
                        int(den.info.train.get("steps") or 0), mel_key(m)))
    for name in app.presets.names():
        p = app.presets.presets[name]
        reply(osc.build("/bridge/info/preset", name, p.mode, p.target, p.description[:300]))
    reply(osc.build("/bridge/info/preset/current", app.preset_name))
    for name, spec in PARAMS.items():
        reply(osc.build("/bridge/info/param", name, spec.kind, float(spec.lo if spec.lo is not None else 0.0),
                        float(spec.hi if spec.hi is not None else 0.0), wire(app.preset.param(name))))
    for root in app.files.roots:
        reply(osc.build("/bridge/info/files", str(root)))
    reply(osc.build("/bridge/info/latency", *app.preset_latency()))
    reply(osc.build("/bridge/info/end", len(menu), len(app.presets.names())))


def status(app: App, a, values, src, reply) -> None:
    reply(osc.build("/bridge/status", *app.status_args()))


def preset_load(app: App, a, values, src, reply) -> None:
    preset = app.presets[a["name"]]
    app.apply_preset(preset, a["name"])
    reply(osc.build("/bridge/preset/loaded", a["name"], preset.target))


def param_set(app: App, a, values, src, reply) -> None:
    app.set_param(a["name"], a["value"])
    reply(osc.build("/bridge/param", a["name"], wire(app.preset.param(a["name"]))))


def param_get(app: App, a, values, src, reply) -> None:
    reply(osc.build("/bridge/param", a["name"], wire(app.preset.param(a["name"]))))


def listen(app: App, a, values, src, reply) -> None:
    group = app.listeners[_listen_kind("/bridge/listen", a["what"])]
    addr = app.reply_addr(src)
    if addr is None:
        raise ParameterError("/bridge/listen: say /bridge/hello <reply_port> first; pushes need an address")
    if addr not in group and len(group) >= MAX_LISTENERS:  # one per reply address: a client holds at most one
        raise BusyError(f"/bridge/listen {a['what']}: {MAX_LISTENERS} listeners already; unlisten one first")
    group.add(addr)
    reply(osc.build("/bridge/listening", a["what"]))


def unlisten(app: App, a, values, src, reply) -> None:
    app.listeners[_listen_kind("/bridge/unlisten", a["what"])].discard(app.reply_addr(src))
    reply(osc.build("/bridge/unlistened", a["what"]))


def model_load(app: App, a, values, src, reply) -> None:
    app.check_accepting()
    name = a["name"]
    if name not in app.models.paths():  # by name from the model folders only, never a path
        raise ModelError(f"/bridge/model/load: unknown model {name[:100]!r}; available: "
                         f"{', '.join(sorted(app.models.paths())) or 'none'}")
    app.jobs.submit(f"model {name}", "/bridge/model/load", jobs.load_model(app.models, name, app.worker, reply), reply)


def latency_get(app: App, a, values, src, reply) -> None:
    if a.get("stream") is not None:
        app.worker.submit(LatencyQuery((*src[:2], a["stream"]), a["stream"], app.sink(reply)))
        return
    reply(osc.build("/bridge/latency", *app.preset_latency(), -1))


def stream_open(app: App, a, values, src, reply) -> None:
    app.check_accepting()
    check_stream(a["sample_rate"], a["channels"], "/bridge/stream/open ")
    app.worker.submit(Open((*src[:2], a["stream"]), a["stream"], a["sample_rate"], a["channels"], app.sink(reply)))


def stream_close(app: App, a, values, src, reply) -> None:
    app.worker.submit(Close((*src[:2], a["stream"]), a["stream"], app.sink(reply)))


def audio_in(app: App, a, values, src, reply) -> None:
    t_arrival = time.perf_counter()
    app.check_accepting()
    if app.worker.queued() >= app.server.max_queue_chunks:
        raise BusyError(f"/bridge/audio/in: {app.worker.queued()} chunks queued; the daemon is behind")
    app.worker.submit(Chunk((*src[:2], a["stream"]), a["stream"], a["seq"], t_arrival, app.sink(reply),
                            values=values[2:]))


def sync(app: App, a, values, src, reply) -> None:
    app.worker.submit(Sync(a["id"], app.sink(reply)))


def file_process(app: App, a, values, src, reply) -> None:
    app.check_accepting()
    job = _job_name(a["job"])
    src_path = app.files.check(a["in_path"], write=False, label="in_path")
    out_path = app.files.check(a["out_path"], write=True, label="out_path")
    preset = app.presets[a["preset"]] if a.get("preset") else app.preset
    check_preset(preset, app.models.loaded)
    jobs.check_duration(src_path, app.server.max_file_seconds)
    overwrite = _overwrite(a)
    audio_io.check_output(out_path, overwrite, [src_path])
    app.jobs.submit(f"job {job}", "/bridge/file/process",
                    jobs.process_file(app.models, preset, src_path, out_path, job, reply, overwrite,
                                      app.files.roots, app.server.max_file_seconds), reply)


def generate(app: App, a, values, src, reply) -> None:
    app.check_accepting()
    job = _job_name(a["job"])
    out_path = app.files.check(a["out_path"], write=True, label="out_path")
    den = app.loaded_model(a["model"], "/bridge/generate model: ")
    config = GenerateConfig.from_dict({
        "n": 1, "seed": a["seed"] if a.get("seed") is not None else app.preset.sampler.seed,
        **({"steps": a["steps"]} if a.get("steps") is not None else {})}, "/bridge/generate ")
    overwrite = _overwrite(a)
    audio_io.check_output(out_path, overwrite)
    app.jobs.submit(f"generate {job}", "/bridge/generate",
                    jobs.generate(den, config, out_path, job, reply, overwrite, app.files.roots), reply)


def pair(app: App, a, values, src, reply) -> None:
    app.check_accepting()
    job = _job_name(a["job"])
    out_dir = app.files.check_dir(a["out_dir"])
    ma = app.loaded_model(a["model_a"], "/bridge/pair model_a: ")
    mb = app.loaded_model(a["model_b"], "/bridge/pair model_b: ")
    config = PairConfig.from_dict({
        "seed": a["seed"] if a.get("seed") is not None else app.preset.sampler.seed,
        "branch": a["branch"] if a.get("branch") is not None else app.preset.branch}, "/bridge/pair ")
    paths = (out_dir / f"{job}_{a['model_a']}.wav", out_dir / f"{job}_{a['model_b']}.wav")
    overwrite = _overwrite(a)
    for p in paths:
        audio_io.check_output(p, overwrite)
    app.jobs.submit(f"pair {job}", "/bridge/pair",
                    jobs.pair(ma, mb, config, paths, job, reply, overwrite, app.files.roots), reply)


def midi_learn(app: App, a, values, src, reply) -> None:
    _midi(app).learn(a["param"], app.replier(src))
    reply(osc.build("/bridge/midi/learning", a["param"]))


def midi_map(app: App, a, values, src, reply) -> None:
    channel = a.get("channel", -1)
    _midi(app).map(a["cc"], a["param"], channel)
    reply(osc.build("/bridge/midi/mapped", a["cc"], a["param"], channel))


def midi_unmap(app: App, a, values, src, reply) -> None:
    channel = a.get("channel", -1)
    _midi(app).unmap(a["cc"], channel)
    reply(osc.build("/bridge/midi/unmapped", a["cc"], channel))


def _midi(app: App):
    if app.midi is None:
        raise ParameterError("midi: not enabled; start bridge serve with --midi")
    return app.midi


ROUTES: dict[str, Callable] = {
    "/bridge/hello": hello, "/bridge/ping": ping, "/bridge/info": info, "/bridge/status": status,
    "/bridge/preset/load": preset_load, "/bridge/param/set": param_set, "/bridge/param/get": param_get,
    "/bridge/listen": listen, "/bridge/unlisten": unlisten, "/bridge/model/load": model_load,
    "/bridge/latency/get": latency_get, "/bridge/stream/open": stream_open, "/bridge/stream/close": stream_close,
    "/bridge/audio/in": audio_in, "/bridge/sync": sync, "/bridge/file/process": file_process,
    "/bridge/generate": generate, "/bridge/pair": pair, "/bridge/midi/learn": midi_learn,
    "/bridge/midi/map": midi_map, "/bridge/midi/unmap": midi_unmap,
}
