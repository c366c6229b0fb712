"""MIDI CC control: a virtual MIDI input whose control changes set daemon parameters.

``bridge serve --midi [PORT]`` opens a MIDI input with mido (python-rtmidi backend).
By default it is a *virtual* port named ``PORT`` (default ``bridge``) of a client named
``bridge-midi``, which controllers or a DAW connect to; if an input port of exactly that
name already exists (a hardware controller), that port is opened instead.

Backends: ``--midi-api`` picks the rtmidi API (``LINUX_ALSA``, ``UNIX_JACK``,
``MACOSX_CORE``, ``WINDOWS_MM``); ``MIDO_BACKEND=mido.backends.rtmidi/UNIX_JACK`` works
too. Without either, rtmidi's default API is tried first and then the other compiled-in
ones, so a machine without an ALSA sequencer (no ``/dev/snd/seq``) but with a JACK server
still gets a port; the log names the API used.

Mappings are keyed by ``(cc, channel)``. Channels are numbered as on the wire, 0-15
(MIDI channels 1-16); channel -1 means any channel, and a mapping for the exact channel
wins over an any-channel one. A CC value 0..127 becomes a parameter value by the
parameter's table entry in :data:`bridge.config.PARAMS`:

* numbers: ``lo + (hi - lo) * value / 127`` (ints rounded), so 0 and 127 reach both ends;
* booleans: off below 64, on from 64;
* choices (``stereo``): the 128 values split evenly over the choices, in table order;
* model names: ``target`` over the loaded models in name order; ``morph_with`` and
  ``pair_with`` over "" (none) then the loaded models. Only loaded models are offered,
  so a knob never stalls the daemon loading one.

Learn mode (``/bridge/midi/learn PARAM``): the next CC received on any channel is mapped
to ``PARAM`` for that CC and channel, and ``/bridge/midi/learned PARAM CC CHANNEL`` goes to
the client that asked. The learning CC's own value is not applied; the next one is.

The rtmidi callback runs on the MIDI backend's thread (for JACK, inside its process
callback), so it only hands ``(channel, cc, value)`` to the event loop with
``call_soon_threadsafe``. Bursts from a turned knob are coalesced: each loop pass applies
the newest value of each parameter once. Rejected values are logged with the reason.

``--midi-map FILE`` (YAML) is read at start and rewritten (atomically) after every
map, unmap and learn::

    mappings:
    - {cc: 21, channel: -1, param: strength}
    - {cc: 22, channel: 0, param: mix}
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

from . import osc
from ..config import PARAMS, STREAM_FIXED, ParamSpec
from ..errors import BridgeError, ParameterError

log = logging.getLogger("bridge.midi")

ANY_CHANNEL = -1
CLIENT_NAME = "bridge-midi"
OPTIONAL_MODEL_PARAMS = ("morph_with", "pair_with")  # "" (none) is a valid value
MODEL_PARAMS = ("target",) + OPTIONAL_MODEL_PARAMS

# What to do when an rtmidi API cannot open, by API.
_API_FIXES = {
    "LINUX_ALSA": "the ALSA sequencer cannot open (/dev/snd/seq missing or not accessible): load it with "
                  "'modprobe snd-seq' or join the 'audio' group, or use --midi-api UNIX_JACK with a running JACK "
                  "server",
    "UNIX_JACK": "no JACK server is reachable: start one (e.g. 'jackd -d dummy'), set JACK_DEFAULT_SERVER to its "
                 "name if it is not 'default', or use --midi-api LINUX_ALSA",
    "WINDOWS_MM": "Windows MultiMedia has no virtual ports: pass the name of an existing MIDI input with --midi, "
                  "or create a loopMIDI port",
}


class MidiError(BridgeError):
    """The MIDI input cannot be opened (no backend, no port, no sequencer or server)."""

    code = "midi"


def check_cc(cc: Any, channel: Any, where: str) -> tuple[int, int]:
    """Validates a CC number (0-127) and channel (-1 for any, or 0-15); raises ParameterError."""
    if isinstance(cc, bool) or not isinstance(cc, int) or not 0 <= cc <= 127:
        raise ParameterError(f"{where} cc: expected 0 to 127, got {cc!r}")
    if isinstance(channel, bool) or not isinstance(channel, int) or not -1 <= channel <= 15:
        raise ParameterError(f"{where} channel: expected -1 (any) or 0 to 15 (MIDI channels 1-16), got {channel!r}")
    return cc, channel


def check_param(name: Any, where: str) -> ParamSpec:
    """The parameter's table entry if a CC can drive it; raises ParameterError naming the allowed ones."""
    if not isinstance(name, str) or name not in PARAMS:
        raise ParameterError(f"{where} param: unknown name {name!r}; allowed names are {', '.join(PARAMS)}")
    spec = PARAMS[name]
    if name in STREAM_FIXED:
        raise ParameterError(f"{where} param: {name} is fixed while a stream is open; a CC cannot move it")
    if spec.kind in ("float", "int") and (spec.lo is None or spec.hi is None):
        raise ParameterError(f"{where} param: {name} has no range to scale a CC onto")
    if spec.kind == "str" and not spec.choices and name not in MODEL_PARAMS:
        raise ParameterError(f"{where} param: {name} is text without choices; a CC cannot set it")
    return spec


def model_options(name: str, loaded: list[str]) -> list[str]:
    """The values a CC steps through for a model-name parameter."""
    models = sorted(loaded)
    return ([""] + models) if name in OPTIONAL_MODEL_PARAMS else models


def scale_cc(name: str, value: int, loaded_models: list[str] = ()) -> Any:
    """Maps a CC value (0..127) onto parameter ``name`` (see the module docstring)."""
    spec = check_param(name, "midi")
    v = min(127, max(0, int(value)))
    if spec.choices:
        options = list(spec.choices)
    elif spec.kind == "str":
        options = model_options(name, list(loaded_models))
        if not options:
            raise ParameterError(f"{name}: no models are loaded for a CC to choose from")
    elif spec.kind == "bool":
        return v >= 64
    else:
        x = spec.lo + (spec.hi - spec.lo) * v / 127.0
        return int(round(x)) if spec.kind == "int" else float(x)
    return options[min(len(options) - 1, v * len(options) // 128)]


def _channel_text(channel: int) -> str:
    return "any channel" if channel == ANY_CHANNEL else f"channel {channel} (MIDI {channel + 1})"


class MidiControl:
    """Owns the MIDI input and the CC map; its public methods run on the daemon's event loop.

    It gets narrow callables, not the daemon: ``set_param(name, value)`` applies a
    parameter (raising BridgeError when refused), ``model_names()`` lists the loaded
    models, ``send_error(reply, request, code, message)`` answers a client with an error.
    """

    def __init__(self, loop, set_param: Callable[[str, Any], None], model_names: Callable[[], list[str]],
                 send_error: Callable[[Callable[[bytes], None], str, str, str], None], port_name: str = "bridge",
                 api: str | None = None, map_file: str | os.PathLike | None = None, client_name: str = CLIENT_NAME):
        self.set_param = set_param
        self.model_names = model_names
        self.send_error = send_error
        self.loop = loop
        self.port_name = port_name or "bridge"
        self.client_name = client_name
        self.map_file = Path(map_file) if map_file else None
        self.mappings: dict[tuple[int, int], str] = {}
        self.stats = dict(messages=0, cc=0, unmapped=0, applied=0, rejected=0)
        self._learning: tuple[str, Callable[[bytes], None]] | None = None
        self._pending: dict[str, Any] = {}
        self._flush_scheduled = False
        self._closed = threading.Event()
        self._virtual = True
        if self.map_file is not None and self.map_file.exists():
            self._load_map()
        self.port, self.api, self.virtual = self._open(self.port_name, api)
        log.info("MIDI input %r open (%s, %s%s); %d mapping(s)%s", self.port_name, self.api,
                 f"virtual, client {client_name!r}" if self.virtual else "existing port",
                 "" if not self.map_file else f", map file {self.map_file}", len(self.mappings),
                 "".join(f"\n  cc {cc} on {_channel_text(ch)} -> {p}" for (cc, ch), p in sorted(self.mappings.items())))

    # -- opening ------------------------------------------------------------------------
    def _open(self, name: str, api: str | None):
        """Opens the input; returns (port, api name, virtual). Raises MidiError naming the fix."""
        try:
            import mido
        except ImportError as e:  # pragma: no cover - a dependency
            raise MidiError(f"--midi: mido is not installed ({e}); pip install mido python-rtmidi") from None
        backend = mido.Backend(os.environ.get("MIDO_BACKEND") or "mido.backends.rtmidi", api=api or None)
        try:
            backend.load()
        except ImportError as e:
            raise MidiError(f"--midi: MIDI backend {backend.name!r} cannot load ({e}); "
                            f"pip install python-rtmidi, or set MIDO_BACKEND to an installed backend") from None
        if not backend.name.endswith("rtmidi"):
            try:
                return self._open_port(backend, name, None), backend.name, self._virtual
            except MidiError:
                raise
            except Exception as e:
                raise MidiError(f"--midi: cannot open MIDI input {name!r} with {backend.name} ({e}); "
                                f"unset MIDO_BACKEND to use python-rtmidi") from None
        compiled = list(backend.module.get_api_names())
        if backend.api and backend.api not in compiled:
            raise ParameterError(f"--midi-api {backend.api}: not available in this python-rtmidi; "
                                 f"available: {', '.join(compiled) or 'none'}")
        # rtmidi's own default is its first compiled API, which may be absent (no ALSA sequencer).
        candidates = [backend.api] if backend.api else compiled
        failures: list[str] = []
        for cand in candidates:
            try:
                port = self._open_port(backend, name, cand)
            except MidiError:
                raise
            except Exception as e:  # rtmidi raises SystemError/RtMidiError/OSError; all mean "not here"
                failures.append(f"{cand}: {e}")
                log.debug("MIDI API %s failed: %s", cand, e)
                continue
            used = getattr(port, "api", cand)
            if failures:
                log.info("MIDI: %s unavailable (%s); using %s", ", ".join(f.split(":")[0] for f in failures),
                         "; ".join(failures), used)
            return port, used, self._virtual
        fixes = [f"{a}: {_API_FIXES[a]}" for a in candidates if a in _API_FIXES]
        raise MidiError(f"--midi: cannot open MIDI input {name!r} ({'; '.join(failures)}). "
                        f"Fix: {' | '.join(fixes) or 'check the MIDI setup'}")

    def _open_port(self, backend, name: str, api: str | None):
        kwargs = {"api": api} if api else {}
        existing = []
        try:
            existing = backend.get_input_names(**kwargs)
        except Exception as e:  # listing fails exactly when opening will; let opening report it
            raise OSError(str(e)) from None
        match = name if name in existing else None
        if match is None and api == "LINUX_ALSA":
            from mido.backends.rtmidi_utils import expand_alsa_port_name

            expanded = expand_alsa_port_name(existing, name)
            match = expanded if expanded in existing else None
        if match is not None:
            self._virtual = False
            return backend.open_input(match, callback=self._on_message, **kwargs)
        self._virtual = True
        try:
            return backend.open_input(name, virtual=True, callback=self._on_message, client_name=self.client_name,
                                      **kwargs)
        except (NotImplementedError, TypeError) as e:
            hint = _API_FIXES["WINDOWS_MM"] if sys.platform == "win32" else "use an existing input"
            raise MidiError(f"--midi {name}: this MIDI backend cannot create virtual ports ({e}); {hint}; "
                            f"existing inputs: {', '.join(existing) or 'none'}") from None

    # -- the MIDI thread ----------------------------------------------------------------
    def _on_message(self, msg) -> None:
        """Runs on the backend's thread: hand control changes to the event loop, nothing else."""
        self.stats["messages"] += 1
        if msg.type != "control_change" or self._closed.is_set():
            return
        try:
            self.loop.call_soon_threadsafe(self._on_cc, msg.channel, msg.control, msg.value)
        except RuntimeError:  # the loop closed during shutdown
            pass

    # -- the event loop -----------------------------------------------------------------
    def _on_cc(self, channel: int, cc: int, value: int) -> None:
        self.stats["cc"] += 1
        if self._learning is not None:
            param, reply = self._learning
            self._learning = None
            self.mappings[(cc, channel)] = param
            log.info("MIDI learn: cc %d on %s -> %s", cc, _channel_text(channel), param)
            reply(osc.build("/bridge/midi/learned", param, cc, channel))
            try:
                self._save()
            except BridgeError as e:
                log.error("%s", e)
                self.send_error(reply, "/bridge/midi/learn", e.code, str(e))
            return
        param = self.mappings.get((cc, channel)) or self.mappings.get((cc, ANY_CHANNEL))
        if param is None:
            self.stats["unmapped"] += 1
            log.debug("MIDI cc %d = %d on %s: not mapped", cc, value, _channel_text(channel))
            return
        try:
            self._pending[param] = scale_cc(param, value, self.model_names())
        except BridgeError as e:
            self.stats["rejected"] += 1
            log.warning("MIDI cc %d = %d -> %s: %s", cc, value, param, e)
            return
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Applies the newest value of each parameter touched since the last flush."""
        self._flush_scheduled = False
        pending, self._pending = self._pending, {}
        for param, value in pending.items():
            try:
                self.set_param(param, value)
                self.stats["applied"] += 1
            except BridgeError as e:
                self.stats["rejected"] += 1
                log.warning("MIDI -> %s = %r rejected: %s", param, value, e)

    # -- OSC requests (called by the handlers) ------------------------------------
    def learn(self, param: str, reply: Callable[[bytes], None]) -> None:
        """Maps the next CC received to ``param``; answers the learner with /bridge/midi/learned."""
        check_param(param, "/bridge/midi/learn")
        if self._learning is not None:
            old_param, old_reply = self._learning
            self.send_error(old_reply, "/bridge/midi/learn", "midi",
                                       f"learn for {old_param} replaced by a newer learn for {param}")
        self._learning = (param, reply)
        log.info("MIDI learn: move a control to map it to %s", param)

    def map(self, cc: int, param: str, channel: int = ANY_CHANNEL) -> None:
        check_cc(cc, channel, "/bridge/midi/map")
        check_param(param, "/bridge/midi/map")
        self.mappings[(cc, channel)] = param
        log.info("MIDI map: cc %d on %s -> %s", cc, _channel_text(channel), param)
        self._save()

    def unmap(self, cc: int, channel: int = ANY_CHANNEL) -> None:
        """Removes the mapping of ``cc`` on ``channel``; channel -1 removes it on every channel."""
        check_cc(cc, channel, "/bridge/midi/unmap")
        keys = [k for k in self.mappings if k[0] == cc and (channel == ANY_CHANNEL or k[1] == channel)]
        if not keys:
            mapped = ", ".join(f"{c}/{ch}" for c, ch in sorted(self.mappings)) or "none"
            raise ParameterError(f"/bridge/midi/unmap: cc {cc} on {_channel_text(channel)} is not mapped; "
                                 f"mapped (cc/channel): {mapped}")
        for k in keys:
            log.info("MIDI unmap: cc %d on %s (was %s)", k[0], _channel_text(k[1]), self.mappings.pop(k))
        self._save()

    # -- the map file -------------------------------------------------------------------
    def _load_map(self) -> None:
        from ..config import load_yaml

        path = self.map_file
        data = load_yaml(path)
        if data is None:
            return
        entries = data.get("mappings") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ParameterError(f"{path}: expected a mapping with a 'mappings' list, e.g. "
                                 f"'mappings: [{{cc: 21, channel: -1, param: strength}}]'")
        for i, e in enumerate(entries):
            where = f"{path}: mappings[{i}]"
            if not isinstance(e, dict) or set(e) - {"cc", "channel", "param"} or "cc" not in e or "param" not in e:
                raise ParameterError(f"{where}: expected {{cc: 0-127, channel: -1 or 0-15, param: NAME}}, got {e!r}")
            cc, ch = check_cc(e["cc"], e.get("channel", ANY_CHANNEL), where)
            check_param(e["param"], where)
            self.mappings[(cc, ch)] = e["param"]

    def _save(self) -> None:
        """Writes the map file atomically (when --midi-map was given); raises MidiError if it cannot."""
        if self.map_file is None:
            return
        import yaml

        body = {"mappings": [{"cc": cc, "channel": ch, "param": p} for (cc, ch), p in sorted(self.mappings.items())]}
        text = ("# bridge MIDI CC map (written by bridge serve --midi-map). channel -1: any channel; "
                "0-15: MIDI channels 1-16.\n" + yaml.safe_dump(body, sort_keys=False, default_flow_style=None))
        path = self.map_file
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except OSError as e:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)
            raise MidiError(f"--midi-map {path}: the mapping is active but cannot be saved ({e.strerror}); "
                            f"check the folder is writable") from None

    # -- shutdown -----------------------------------------------------------------------
    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self.port.close()
        except Exception as e:  # closing must never stop the daemon's shutdown
            log.warning("MIDI input %r did not close cleanly: %s", self.port_name, e)
        log.info("MIDI input %r closed: %d messages, %d CC, %d applied, %d unmapped, %d rejected", self.port_name,
                 self.stats["messages"], self.stats["cc"], self.stats["applied"], self.stats["unmapped"],
                 self.stats["rejected"])
