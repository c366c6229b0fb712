"""PortAudio and its devices: initialising it (with the JACK client's name) and finding devices by name.

Everything here raises :class:`AudioDeviceError` naming the device, what is available
and the fix; nothing opens a stream.
"""

from __future__ import annotations

import ctypes
from typing import Any

from ..errors import ParameterError

JACK_CLIENT_NAME = "bridge"

_jack_name_buffer = None  # PaJack_SetClientName keeps the pointer: the bytes must outlive PortAudio


class AudioDeviceError(ParameterError):
    """An audio device or setting the interface cannot use; the message names it and the fix."""

    code = "audio"


def init_portaudio(jack_client_name: str | None = JACK_CLIENT_NAME):
    """Imports sounddevice and (re)initialises PortAudio so its JACK client has ``jack_client_name``.

    PortAudio scans host APIs (and connects to JACK) when it initialises, so a JACK
    server started after the import is seen only after re-initialising.
    """
    global _jack_name_buffer
    try:
        import sounddevice as sd
    except OSError as e:  # the PortAudio library itself is missing
        raise AudioDeviceError(f"--audio: PortAudio is not installed ({e}); on Debian/Ubuntu: "
                               f"apt-get install libportaudio2") from None
    set_name = None
    if jack_client_name:
        try:
            set_name = ctypes.CDLL(sd._libname).PaJack_SetClientName
        except (OSError, AttributeError):  # a PortAudio built without JACK
            set_name = None
    try:
        sd._terminate()
        if set_name is not None:
            _jack_name_buffer = ctypes.create_string_buffer(jack_client_name.encode("utf-8"))
            set_name.argtypes = [ctypes.c_char_p]
            set_name(_jack_name_buffer)
        sd._initialize()
    except sd.PortAudioError as e:
        raise AudioDeviceError(f"--audio: PortAudio cannot start ({e}); check the sound system "
                               f"(python -m sounddevice lists the devices it sees)") from None
    return sd


def jack_client_name(sd) -> str | None:
    """The JACK client name PortAudio got (JACK renames a second 'bridge' to 'bridge-01'), if JACK is in use."""
    try:
        get_name = ctypes.CDLL(sd._libname).PaJack_GetClientName
    except (OSError, AttributeError):
        return None
    get_name.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
    get_name.restype = ctypes.c_int
    name = ctypes.c_char_p()
    if get_name(ctypes.byref(name)) != 0 or not name.value:  # not 0: PortAudio has no JACK host API
        return None
    return name.value.decode("utf-8", "replace")


def list_devices(sd, kind: str) -> str:
    """``index 'name' (host API, N ch)`` for every device with ``kind`` ('input'/'output') channels."""
    apis = sd.query_hostapis()
    out = []
    for i, d in enumerate(sd.query_devices()):
        n = d[f"max_{kind}_channels"]
        if n > 0:
            out.append(f"{i} {d['name']!r} ({apis[d['hostapi']]['name']}, {n} ch)")
    return "; ".join(out) or "none (no sound card, and no JACK server running?)"


def resolve_device(sd, device: Any, kind: str, channels: int) -> tuple[int, dict]:
    """The device index and info for ``--{kind}-device`` (name, name part or index; None: the default)."""
    flag = f"--{kind}-device"
    if device is None or (isinstance(device, str) and not device.strip()):
        idx = sd.default.device[0 if kind == "input" else 1]
        if idx is None or idx < 0:
            raise AudioDeviceError(f"{flag}: there is no default {kind} device; pass {flag} NAME or INDEX. "
                                   f"Available {kind}s: {list_devices(sd, kind)}")
        device = idx
    elif isinstance(device, str) and device.strip().lstrip("-").isdigit():
        device = int(device)
    try:
        info = sd.query_devices(device, kind)
    except (ValueError, sd.PortAudioError) as e:
        raise AudioDeviceError(f"{flag} {device!r}: {e}. Available {kind}s: {list_devices(sd, kind)}; "
                               f"pass one of these names (or a unique part of one) or indexes") from None
    idx = info.get("index", device)
    have = info[f"max_{kind}_channels"]
    if have < channels:
        raise AudioDeviceError(f"{flag} {info['name']!r} has {have} {kind} channel(s), {channels} asked; "
                               f"pass --channels {max(1, have)} or another device. Available {kind}s: "
                               f"{list_devices(sd, kind)}")
    return int(idx), info
