"""Deadlines for calls that cannot be interrupted from Python (an onnxruntime forward).

One daemon thread per process checks the registered calls every 50 ms and runs the
``cancel`` of those past their deadline (for onnxruntime: set ``RunOptions.terminate``,
which makes the running ``session.run`` raise). A forward that never returns then
costs its deadline, once, instead of the daemon.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Callable

POLL_S = 0.05


class Watchdog:
    def __init__(self):
        self._calls: dict[int, tuple[float, Callable[[], None]]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self.cancelled = 0

    def watch(self, seconds: float, cancel: Callable[[], None]) -> int:
        """Registers a call that must end within ``seconds``; returns a token for :meth:`done`."""
        token = next(self._ids)
        with self._lock:
            self._calls[token] = (time.monotonic() + seconds, cancel)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="bridge-watchdog", daemon=True)
                self._thread.start()
        return token

    def done(self, token: int) -> None:
        with self._lock:
            self._calls.pop(token, None)

    def _run(self) -> None:
        while True:
            time.sleep(POLL_S)
            now = time.monotonic()
            with self._lock:
                late = [(t, c) for t, (deadline, c) in self._calls.items() if now > deadline]
                for t, _ in late:
                    del self._calls[t]
            for _, cancel in late:
                self.cancelled += 1
                cancel()


WATCHDOG = Watchdog()
