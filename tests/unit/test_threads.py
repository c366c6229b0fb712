"""The daemon's threads by name where the OS shows them (``top -H``, ``ps -L``, ``bridge bench --serve``)."""

import sys
import threading
from pathlib import Path

import pytest

from bridge.serve.threads import name_os_thread


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the OS thread name is read from /proc (Linux)")
def test_the_daemons_threads_carry_their_names_where_the_os_shows_them():
    """``top -H`` and ``bridge bench --serve`` tell the stream worker from the model thread by these."""
    seen = {}

    def body(name):
        name_os_thread(name)
        seen[name] = Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text().strip()

    for name in (None, "bridge-a-name-longer-than-fifteen"):
        t = threading.Thread(target=body, args=(name,), name="bridge-streams")
        t.start()
        t.join()
    assert seen == {None: "bridge-streams", "bridge-a-name-longer-than-fifteen": "bridge-a-name-l"}
