"""A private JACK dummy server for tests, and JACK clients (PortAudio, rtmidi) in the test process.

Each server has its own name (``jackd -n NAME``); processes reach it through
``JACK_DEFAULT_SERVER=NAME`` and ``JACK_NO_START_SERVER=1`` (so no client ever starts a
server of its own), so tests never touch another JACK server on the machine. The
server runs in realtime mode (``-R``) when the system allows it, which the dummy
driver needs to run without xruns.

Order matters at teardown: JACK clients (PortAudio, rtmidi ports) close before the
server stops; PortAudio aborts the process at exit if its server vanished first.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

JACKD = shutil.which("jackd")
JACK_TOOLS = ("jack_lsp", "jack_connect", "jack_disconnect", "jack_wait")


def jackd_installed() -> bool:
    return JACKD is not None


def missing_tools() -> list[str]:
    return [t for t in JACK_TOOLS if shutil.which(t) is None]


class JackServer:
    """``jackd -n NAME -d dummy`` as a subprocess, plus the jack_* tools pointed at it."""

    def __init__(self, name: str, log_dir: Path, rate: int = 48000, period: int = 256, channels: int = 2):
        self.name = name
        self.rate = rate
        self.period = period
        self.channels = channels
        self.log_path = Path(log_dir) / f"jackd-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.realtime = False
        self.env = {"JACK_DEFAULT_SERVER": name, "JACK_NO_START_SERVER": "1", "JACK_NO_AUDIO_RESERVATION": "1"}

    # -- lifecycle ----------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> "JackServer":
        missing = missing_tools()
        if missing:
            raise RuntimeError(f"JACK tools missing: {', '.join(missing)} (apt-get install jackd2)")
        errors = []
        for realtime in (True, False):
            args = [JACKD, "-n", self.name] + (["-R"] if realtime else ["-r"]) + [
                "-d", "dummy", "-r", str(self.rate), "-p", str(self.period),
                "-C", str(self.channels), "-P", str(self.channels)]
            log = open(self.log_path, "w")
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self._full_env(),
                                         start_new_session=True)
            log.close()
            if self._wait_up(timeout):
                text = self.log()
                self.realtime = realtime and "Cannot use real-time" not in text and "cannot use real-time" not in text
                return self
            errors.append(f"{' '.join(args)}: {self.log()[-1500:]}")
            self._kill()
        raise RuntimeError("jackd did not start:\n" + "\n".join(errors))

    def _wait_up(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            r = subprocess.run(["jack_wait", "-s", self.name, "-c"], capture_output=True, text=True,
                               env=self._full_env(), timeout=10)
            if "running" in r.stdout and "not running" not in r.stdout:
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self._kill()
        self.proc = None

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def xruns(self) -> int:
        """XRuns the server logged so far (the dummy driver reports late cycles)."""
        return len(re.findall(r"xrun", self.log(), flags=re.IGNORECASE))

    def _full_env(self) -> dict:
        return dict(os.environ, **self.env)

    # -- the graph ----------------------------------------------------------------------
    def tool(self, *args: str, check: bool = True) -> str:
        r = subprocess.run(list(args), capture_output=True, text=True, env=self._full_env(), timeout=15)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stdout}{r.stderr}")
        return r.stdout

    def ports(self, kind: str | None = None) -> list[str]:
        """All port names, or only 'audio' or 'midi' ports."""
        out = self.tool("jack_lsp", "-t")
        ports, current = [], None
        for line in out.splitlines():
            if not line.startswith((" ", "\t")):
                current = line.strip()
                if kind is None:
                    ports.append(current)
            elif current and kind and kind in line.lower():
                ports.append(current)
        return ports

    def connections(self) -> dict[str, list[str]]:
        out = self.tool("jack_lsp", "-c")
        conns: dict[str, list[str]] = {}
        current = None
        for line in out.splitlines():
            if not line.startswith((" ", "\t")):
                current = line.strip()
                conns[current] = []
            elif current:
                conns[current].append(line.strip())
        return conns

    def connect(self, src: str, dst: str) -> None:
        self.tool("jack_connect", src, dst)

    def disconnect(self, src: str, dst: str) -> None:
        self.tool("jack_disconnect", src, dst)

    def isolate(self, *ports: str) -> None:
        """Removes every connection of ``ports`` (e.g. PortAudio's automatic ones to system:*)."""
        for p in ports:
            for other in self.connections().get(p, []):
                self.tool("jack_disconnect", p, other, check=False)  # the tool accepts either order
        left = {p: c for p, c in self.connections().items() if p in ports and c}
        if left:
            raise RuntimeError(f"could not disconnect {left}")

    def wait_ports(self, names: list[str], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            have = set(self.ports())
            if all(n in have for n in names):
                return
            time.sleep(0.1)
        raise TimeoutError(f"JACK ports {names} did not appear within {timeout} s; have {sorted(self.ports())}")


@contextlib.contextmanager
def jack_server(name: str, log_dir: Path, **kw):
    server = JackServer(name, log_dir, **kw).start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def jack_env(server: JackServer):
    """Points this process's JACK clients at ``server`` while inside (restores the environment after).

    JACK_NO_START_SERVER stays set afterwards: libjack must never start a server for a test.
    """
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if k == "JACK_NO_START_SERVER":
                continue
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def portaudio_on(server: JackServer, client_name: str = "bridge-probe"):
    """sounddevice in this process, re-initialised to see ``server`` as a JACK client ``client_name``.

    PortAudio is terminated on exit (while the server still runs) and re-initialised
    without JACK so later tests can still import and use sounddevice.
    """
    from bridge.serve.devices import init_portaudio

    with jack_env(server):
        sd = init_portaudio(client_name)
        try:
            yield sd
        finally:
            sd._terminate()
    sd._initialize()
