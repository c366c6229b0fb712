"""The OSC protocol: address table, argument checks, literal replies, audio encodings.

Pure functions over bytes and values; the daemon owns the socket. Only int32 (``i``),
float32 (``f``), strings (``s``) and blobs (``b``) go to clients: Max's ``[udpreceive]``
reads OSC doubles as 0. Every reply datagram stays at most ``MAX_DATAGRAM`` bytes.

An address's arguments are written as a spec such as ``"i:stream i:seq *:audio"``:
``i`` int, ``f`` float (ints accepted), ``s`` text, ``b`` blob, ``n`` number (int or
float), ``v`` any scalar; a ``?`` suffix marks an optional argument.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError

MAX_DATAGRAM = 8192
MAX_FLOATS_PER_MESSAGE = 256  # Max lists hold 256 atoms by default
MAX_BLOB_FLOATS = 2000  # 8,000 bytes of audio plus the header stays under MAX_DATAGRAM
INT32 = (-(2**31), 2**31 - 1)


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str
    optional: bool = False


@dataclass(frozen=True)
class Address:
    """One request address: its arguments, what it answers and what it does."""

    path: str
    args: tuple[Arg, ...]
    replies: tuple[str, ...]
    doc: str
    audio: bool = False  # the tail is audio (blob or floats), parsed by decode_audio


def _spec(s: str) -> tuple[Arg, ...]:
    out = []
    for tok in s.split():
        kind, name = tok.split(":")
        out.append(Arg(name.rstrip("?"), kind, name.endswith("?")))
    return tuple(out)


def _a(path, spec, replies, doc, audio=False):
    return Address(path, _spec(spec), tuple(replies.split()) if replies else (), doc, audio)


ADDRESSES: dict[str, Address] = {
    a.path: a
    for a in (
        _a("/bridge/hello", "i:reply_port?", "/bridge/welcome",
           "Register the port replies go to (on the sender's host); answers version and provider."),
        _a("/bridge/ping", "v:token?", "/bridge/pong", "Answers /bridge/pong with the same token."),
        _a("/bridge/info", "", "/bridge/info/version /bridge/info/provider /bridge/info/model /bridge/info/preset "
           "/bridge/info/preset/current "
           "/bridge/info/param /bridge/info/files /bridge/info/latency /bridge/info/end",
           "Describes the daemon: version, provider, models, presets, parameters, latency; ends with /bridge/info/end."),
        _a("/bridge/status", "", "/bridge/status", "Streams, queued chunks, busy time, counters."),
        _a("/bridge/preset/load", "s:name", "/bridge/preset/loaded", "Load a preset for all streams."),
        _a("/bridge/param/set", "s:name v:value", "/bridge/param", "Set one parameter; answers its new value."),
        _a("/bridge/param/get", "s:name", "/bridge/param", "Answers one parameter's value."),
        _a("/bridge/listen", "s:what", "/bridge/listening",
           "Push updates: 'param' (every change), 'status' (once a second), 'latency' (on change)."),
        _a("/bridge/unlisten", "s:what", "/bridge/unlistened", "Stop pushing updates of that kind."),
        _a("/bridge/model/load", "s:name", "/bridge/model/loaded", "Load (or reload from disk) a model."),
        _a("/bridge/latency/get", "i:stream?", "/bridge/latency",
           "Latency of a stream (or of the current preset at the model rate): samples and ms."),
        _a("/bridge/stream/open", "i:stream i:sample_rate i:channels", "/bridge/stream/opened",
           "Open a stream; answers its latency in samples at its rate and in ms."),
        _a("/bridge/audio/in", "i:stream i:seq", "/bridge/audio/out",
           "A chunk: float32 LE interleaved blob, or up to 256 floats. Answered in the same encoding.", audio=True),
        _a("/bridge/stream/close", "i:stream", "/bridge/stream/closed", "Close a stream; answers its counters."),
        _a("/bridge/file/process", "s:job s:in_path s:out_path s:preset? i:overwrite?",
           "/bridge/file/progress /bridge/file/done",
           "Restyle a file inside the allowed folders (never over its input; an existing out_path only with overwrite 1)."),
        _a("/bridge/generate", "s:model s:job s:out_path i:seed? i:steps? i:overwrite?", "/bridge/generate/done",
           "Generate one clip (e.g. a drum one-shot) into a file (an existing one only with overwrite 1)."),
        _a("/bridge/pair", "s:model_a s:model_b s:job s:out_dir i:seed? f:branch? i:overwrite?", "/bridge/pair/done",
           "Double diffusion: write a paired A/B output into a folder (existing files only with overwrite 1)."),
        _a("/bridge/sync", "i:id", "/bridge/synced", "Answers once everything sent before it has been handled."),
        _a("/bridge/midi/learn", "s:param", "/bridge/midi/learning", "Map the next MIDI CC received to a parameter."),
        _a("/bridge/midi/map", "i:cc s:param i:channel?", "/bridge/midi/mapped", "Map a CC to a parameter."),
        _a("/bridge/midi/unmap", "i:cc i:channel?", "/bridge/midi/unmapped", "Remove a CC mapping."),
    )
}

# What the daemon sends without being asked (or as errors), so a client can route everything.
PUSHED = (
    "/bridge/error", "/bridge/param", "/bridge/status", "/bridge/latency", "/bridge/stream/status",
    "/bridge/stream/gap", "/bridge/stream/late", "/bridge/midi/learned", "/bridge/file/progress",
    "/bridge/preset/changed",
)

REPLY_ADDRESSES = tuple(sorted({r for a in ADDRESSES.values() for r in a.replies} | set(PUSHED)))


def check_args(address: Address, values: Sequence[Any]) -> dict[str, Any]:
    """Checks types and arity against the address's spec; returns the arguments by name.

    Raises ParameterError with the expected and actual values.
    """
    if address.audio:
        values = values[: len(address.args)]
    required = sum(1 for a in address.args if not a.optional)
    if not address.audio and not required <= len(values) <= len(address.args):
        want = " ".join(f"<{a.name}:{a.kind}>" + ("?" if a.optional else "") for a in address.args) or "nothing"
        raise ParameterError(f"{address.path}: expected {want}, got {len(values)} argument(s)")
    if address.audio and len(values) < required:
        raise ParameterError(f"{address.path}: expected <stream:i> <seq:i> then a blob or floats, got {len(values)}")
    out = {}
    for arg, value in zip(address.args, values):
        out[arg.name] = _coerce(address.path, arg, value)
    return out


def _coerce(path: str, arg: Arg, value: Any) -> Any:
    label = f"{path} {arg.name}"
    if arg.kind == "i":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{label}: expected an int, got {_show(value)}")
        if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
            raise ParameterError(f"{label}: expected an int, got {value!r}")
        value = int(value)
        if not INT32[0] <= value <= INT32[1]:
            raise ParameterError(f"{label}: expected a 32-bit int, got {value}")
        return value
    if arg.kind in ("f", "n"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{label}: expected a number, got {_show(value)}")
        if not math.isfinite(value):
            raise ParameterError(f"{label}: expected a finite number, got {value!r}")
        return float(value) if arg.kind == "f" else value
    if arg.kind == "s":
        if not isinstance(value, str):
            raise ParameterError(f"{label}: expected a string, got {_show(value)}")
        if len(value) > 4096:
            raise ParameterError(f"{label}: expected at most 4096 characters, got {len(value)}")
        return value
    if arg.kind == "b":
        if not isinstance(value, (bytes, bytearray)):
            raise ParameterError(f"{label}: expected a blob, got {_show(value)}")
        return bytes(value)
    if arg.kind == "v":
        if isinstance(value, (bytes, bytearray, list, tuple)) or value is None:
            raise ParameterError(f"{label}: expected an int, float or string, got {_show(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ParameterError(f"{label}: expected a finite number, got {value!r}")
        return value
    raise AssertionError(arg.kind)


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return f"a blob of {len(value)} bytes"
    if value is None:
        return "nil"
    return f"{type(value).__name__} {value!r}"[:80]


def decode_audio(path: str, tail: Sequence[Any], n_channels: int) -> tuple[np.ndarray, str]:
    """Decodes an audio chunk's tail to ``(channels, frames)`` float32 and its encoding ("blob" or "floats")."""
    if len(tail) == 1 and isinstance(tail[0], (bytes, bytearray)):
        raw = bytes(tail[0])
        if len(raw) % (4 * n_channels):
            raise ParameterError(
                f"{path} blob: expected a multiple of {4 * n_channels} bytes ({n_channels} ch float32), got {len(raw)}"
            )
        if len(raw) // 4 > MAX_BLOB_FLOATS:
            raise ParameterError(f"{path} blob: expected at most {MAX_BLOB_FLOATS} floats (8 KB), got {len(raw) // 4};"
                                 f" send smaller chunks")
        y = np.frombuffer(raw, dtype="<f4").reshape(-1, n_channels).T
        return np.ascontiguousarray(y, dtype=np.float32), "blob"
    if not tail:
        raise ParameterError(f"{path}: expected audio after <stream> <seq>, got none")
    for v in tail:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ParameterError(f"{path} audio: expected floats or one blob, got {_show(v)}")
    if len(tail) > MAX_FLOATS_PER_MESSAGE:
        raise ParameterError(f"{path} audio: expected at most {MAX_FLOATS_PER_MESSAGE} floats, got {len(tail)}")
    if len(tail) % n_channels:
        raise ParameterError(f"{path} audio: expected a multiple of {n_channels} floats (interleaved), got {len(tail)}")
    y = np.asarray(tail, dtype=np.float32).reshape(-1, n_channels).T
    return np.ascontiguousarray(y), "floats"


def encode_audio(y: np.ndarray, encoding: str) -> list[tuple[str, Any]]:
    """Audio ``(channels, frames)`` as typed OSC arguments in the given encoding."""
    inter = np.ascontiguousarray(y.T, dtype="<f4").reshape(-1)
    if encoding == "blob":
        return [("b", inter.tobytes())]
    return [("f", float(v)) for v in inter]


def _pad4(b: bytes) -> bytes:
    return b + b"\x00" * (4 - len(b) % 4)


def build(address: str, *args: Any) -> bytes:
    """Builds an OSC message with explicit types.

    ``args`` are values (int -> i, float -> f, str -> s, bytes -> b) or ``(tag, value)``
    pairs; numpy scalars are converted. Doubles and int64 are never sent.
    """
    tags = ","
    body = b""
    for a in args:
        if isinstance(a, tuple) and len(a) == 2 and isinstance(a[0], str) and a[0] in ("i", "f", "s", "b"):
            tag, v = a
        elif isinstance(a, (bool, np.bool_)):
            tag, v = "i", int(a)
        elif isinstance(a, (int, np.integer)):
            tag, v = "i", int(a)
        elif isinstance(a, (float, np.floating)):
            tag, v = "f", float(a)
        elif isinstance(a, str):
            tag, v = "s", a
        elif isinstance(a, (bytes, bytearray)):
            tag, v = "b", bytes(a)
        else:
            raise TypeError(f"cannot send {type(a).__name__} over OSC")
        tags += tag
        if tag == "i":
            v = int(v)
            v = max(INT32[0], min(INT32[1], v))
            body += struct.pack(">i", v)
        elif tag == "f":
            body += struct.pack(">f", float(v))
        elif tag == "s":
            body += _pad4(str(v).encode("utf-8"))
        else:
            body += struct.pack(">i", len(v)) + v + b"\x00" * (-len(v) % 4)
    return _pad4(address.encode("ascii")) + _pad4(tags.encode("ascii")) + body


def parse(dgram: bytes) -> list[tuple[str, list[Any]]]:
    """Parses a datagram (message or bundle) into ``(address, values)``; bundle timetags are ignored.

    Raises ValueError for anything that is not well-formed OSC.
    """
    from pythonosc.osc_packet import OscPacket

    try:
        packet = OscPacket(dgram)
        return [(m.message.address, list(m.message.params)) for m in packet.messages]
    except Exception as e:  # python-osc raises ParseError, but also IndexError/struct.error on some garbage
        raise ValueError(f"malformed OSC packet ({type(e).__name__}: {str(e)[:80]})") from None
