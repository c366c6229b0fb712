"""``bridge serve``'s command-line options (light imports only: ``bridge --help`` stays instant)."""

from __future__ import annotations

import argparse

from ..config import ServerConfig


def add_serve_args(p: argparse.ArgumentParser) -> None:
    d = ServerConfig()
    p.add_argument("--host", default=d.host, help=f"address to bind (default {d.host}: this machine only)")
    p.add_argument("--port", type=int, default=d.port, help=f"UDP port to listen on; 0 picks a free one (default {d.port})")
    p.add_argument("--reply-port", type=int, default=d.reply_port,
                   help="port replies go to for clients that never sent /bridge/hello (default: none; such "
                        "clients get no replies, so a stranger's errors never reach a Live device's port)")
    p.add_argument("--jitter-port", type=int, default=d.jitter_port,
                   help=f"TCP port for audio as Jitter matrices from a Live device's jit.net.send (default "
                        f"{d.jitter_port}; 0 picks a free one; -1 turns it off)")
    p.add_argument("--preset", default="guitar-to-violin", help="preset name or .yaml path loaded at start")
    p.add_argument("--presets", action="append", default=[], metavar="DIR", help="extra preset folder")
    p.add_argument("--files", action="append", default=[], metavar="DIR",
                   help="folder file mode may read and write (repeat for more; default: ~/Music/bridge)")
    p.add_argument("--compute-budget-ms", type=float, default=None,
                   help="compute time added to the latency so replies leave on time (default: twice one window)")
    p.add_argument("--drain-timeout", type=float, default=d.drain_timeout_s,
                   help=f"seconds to finish open work on SIGINT/SIGTERM (default {d.drain_timeout_s:g}); "
                        "a second signal exits at once")
    p.add_argument("--max-streams", type=int, default=d.max_streams,
                   help=f"streams open at once, over all clients (default {d.max_streams})")
    p.add_argument("--idle-close", type=float, default=d.idle_close_s, metavar="SECONDS",
                   help=f"close a stream that sent no audio for this long, freeing its slot (default "
                        f"{d.idle_close_s:g}; a Live device reopens by itself)")
    p.add_argument("--no-model-thread", dest="model_thread", action="store_false",
                   help="make model calls on the stream thread, between its DSP (slower with several streams)")
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
