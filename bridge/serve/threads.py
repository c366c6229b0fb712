"""The daemon's threads by name at the OS level, so ``top -H``, ``ps -L`` and ``bridge bench --serve`` tell them apart.

Python names its threads for itself only; the kernel sees every one as ``python``. Each of
the daemon's threads calls :func:`name_os_thread` first thing: Linux keeps 15 bytes of it
in ``/proc/PID/task/TID/comm``. Elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
import threading

PR_SET_NAME = 15
COMM_BYTES = 15


def name_os_thread(name: str | None = None) -> None:
    """Gives the calling thread ``name`` (default: its Python name) where the kernel shows it; never raises."""
    if not sys.platform.startswith("linux"):
        return
    text = (name or threading.current_thread().name).encode("ascii", "replace")[:COMM_BYTES]
    try:
        ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(text), 0, 0, 0)
    except (OSError, AttributeError):  # no libc symbol here: the name is only a convenience
        pass
