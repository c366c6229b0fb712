"""Failure paths of a running daemon, in-process (a real socket, real onnxruntime sessions).

The server runs in a background thread's event loop (where it leaves signal handlers
alone), so a test can reach into its model set and break a session for real.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from bridge.config import ServerConfig
from bridge.errors import BindError
from bridge.model import ModelSet
from bridge.presets import PresetLibrary
from bridge.serve import osc
from bridge.serve.files import FileAccess
from bridge.serve.server import serve
from support import ROOT, OscClient, build_tiny_model, harmonic_tone

SR = 22050
BLOCK = 512
BRIDGE_THREADS = ("bridge-streams", "bridge-jobs")


class InProcessDaemon:
    def __init__(self, models, presets, files):
        self.models = models
        self._ready = threading.Event()
        self.addr = None
        self.signals = None
        self.loop = None
        self.code = None
        self.error = None

        def ready(addr, signals):
            self.addr, self.signals, self.loop = addr, signals, asyncio.get_running_loop()
            self._ready.set()

        def run():
            try:
                self.code = asyncio.run(serve(ServerConfig(port=0, drain_timeout_s=5.0), models, presets,
                                              presets["guitar-to-violin"], files, compute_budget_s=0.05,
                                              ready=ready))
            except BaseException as e:  # reported by the test
                self.error = e
                self._ready.set()

        self.thread = threading.Thread(target=run, name="test-daemon", daemon=True)
        self.thread.start()
        assert self._ready.wait(60), "daemon did not start"
        assert self.error is None, self.error

    def stop(self) -> int:
        self.loop.call_soon_threadsafe(self.signals.request, "test")
        self.thread.join(30)
        assert not self.thread.is_alive()
        return self.code


@pytest.fixture
def inproc(tiny_model_dir, preset_dir, files_dir):
    models = ModelSet([tiny_model_dir], "cpu", threads=1)
    for name in ("violin", "guitar"):
        models[name]
    d = InProcessDaemon(models, PresetLibrary([preset_dir]), FileAccess([files_dir]))
    yield d
    if d.thread.is_alive():
        d.stop()


def broken_session(tmp_path):
    """A real onnxruntime session that refuses the stream's windows (its frame axis is fixed to 8)."""
    import onnxruntime as ort

    path = build_tiny_model(tmp_path / "broken.onnx", "violin", fixed_frames=8)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def stream_seconds(c: OscClient, stream_id: int, y: np.ndarray, first_seq: int) -> tuple[dict, list]:
    """Sends ``y`` in blocks and collects one reply per block; returns (outputs by seq, errors)."""
    outs, errors = {}, []
    n = 0
    for i in range(0, y.shape[0], BLOCK):
        c.send("/bridge/audio/in", stream_id, first_seq + n, *osc.encode_audio(y[None, i : i + BLOCK], "blob"))
        n += 1
        while n - len(outs) > 32:
            _collect(c, outs, errors)
    while len(outs) < n:
        _collect(c, outs, errors)
    return outs, errors


def _collect(c, outs, errors):
    address, args = c.recv(timeout=30)
    if address == "/bridge/audio/out":
        outs[args[1]] = osc.decode_audio("/bridge/audio/out", args[2:], 1)[0][0]
    elif address == "/bridge/error":
        errors.append(args)


def test_a_failing_model_call_is_reported_and_the_stream_goes_on(inproc, tmp_path):
    den = inproc.models["violin"]
    good = den.session
    c = OscClient(inproc.addr[1])
    try:
        latency = c.request("/bridge/stream/open", 1, SR, 1, reply="/bridge/stream/opened")[1]
        den.session = broken_session(tmp_path)
        y = harmonic_tone(220, 3.0, SR)
        outs, errors = stream_seconds(c, 1, y, 0)
        # every block answered, the failed windows as silence, each failure reported as a model error
        assert sorted(outs) == list(range(len(outs)))
        assert errors and {e[0] for e in errors} == {"/bridge/audio/in"} and {e[1] for e in errors} == {"model"}
        assert "stream 1: model violin: onnxruntime failed" in errors[0][2]
        assert "plays as silence" in errors[0][2]
        assert max(float(np.abs(o).max()) for o in outs.values()) == 0.0
        c.send("/bridge/listen", "status")
        status = c.expect("/bridge/stream/status", timeout=5)
        # A window computed after the last reply (the latency covers it) may fail after that reply:
        # its error comes in its own time, and every failed window still has one.
        while len(errors) < status[-1]:
            errors.append(c.expect("/bridge/error", timeout=5))
        assert status[0] == 1 and status[-1] == len(errors) > 0  # failed_windows, last
        # the model works again: later windows are styled, nothing else was lost
        den.session = good
        later, errors_after = stream_seconds(c, 1, np.concatenate([y, np.zeros(latency, np.float32)]), len(outs))
        assert not errors_after
        tail = np.concatenate([later[k] for k in sorted(later)])[-SR:]
        assert np.abs(tail).max() > 0.01
        closed = c.request("/bridge/stream/close", 1, reply="/bridge/stream/closed")
        assert closed[1] == closed[2] == len(outs) + len(later) and closed[3] == 0  # in == out, none lost
    finally:
        den.session = good
        c.close()
    assert inproc.stop() == 0


def test_a_failed_bind_leaves_no_thread(tiny_models, preset_dir, files_dir):
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    before = {t.ident for t in threading.enumerate()}
    try:
        presets = PresetLibrary([preset_dir])
        with pytest.raises(BindError, match=f"cannot bind udp 127.0.0.1:{busy.getsockname()[1]}"):
            asyncio.run(serve(ServerConfig(port=busy.getsockname()[1]), tiny_models, presets,
                              presets["guitar-to-violin"], FileAccess([files_dir])))
    finally:
        busy.close()
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert not [t.name for t in new if t.name in BRIDGE_THREADS], new


def test_threads_start_only_once_bound(inproc):
    names = {t.name for t in threading.enumerate()}
    assert set(BRIDGE_THREADS) <= names  # and the failed-bind test shows they are not there before
    assert inproc.stop() == 0
    time.sleep(0.2)
    assert not set(BRIDGE_THREADS) & {t.name for t in threading.enumerate()}


def _thread_count(env: dict, tiny_model_dir, preset_dir, files_dir) -> int:
    """Threads of a running `bridge serve` (Linux: /proc/PID/task), with ``env`` as the user set it."""
    cmd = [sys.executable, "-m", "bridge", "serve", "--port", "0", "--models", str(tiny_model_dir),
           "--presets", str(preset_dir), "--files", str(files_dir), "--provider", "cpu", "--threads", "1"]
    proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT), stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "listening on udp://" in line:
                break
        else:
            raise AssertionError("daemon did not start")
        time.sleep(0.5)
        return len(os.listdir(f"/proc/{proc.pid}/task"))
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or (os.cpu_count() or 1) < 2,
                    reason="counts threads through /proc (Linux) on a machine with 2+ cores")
def test_blas_thread_variables_take_effect(tiny_model_dir, preset_dir, files_dir):
    """bridge sets one BLAS thread before numpy loads (OpenBLAS would start one per core); a user's value wins."""
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                             "MKL_NUM_THREADS")}
    base["PYTHONPATH"] = str(ROOT)
    count = {v: _thread_count(dict(base, **({"OPENBLAS_NUM_THREADS": v} if v else {})), tiny_model_dir,
                              preset_dir, files_dir) for v in ("", "1", "2")}
    assert count[""] == count["1"] == count["2"] - 1, count


def _startup_log(args: list[str], tiny_model_dir, preset_dir, files_dir) -> str:
    cmd = [sys.executable, "-m", "bridge", "serve", "--port", "0", "--jitter-port", "-1", "--models",
           str(tiny_model_dir), "--presets", str(preset_dir), "--files", str(files_dir), "--provider", "cpu", *args]
    proc = subprocess.Popen(cmd, cwd=str(ROOT), stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if "listening on udp://" in line:
                break
        return "".join(lines)
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_daemon_says_where_model_calls_run_and_with_how_many_threads(tiny_model_dir, preset_dir, files_dir):
    """One onnxruntime thread beside the model thread by default; the cores' default without it; --threads wins."""
    from bridge.model import intra_op_threads

    text = _startup_log([], tiny_model_dir, preset_dir, files_dir)
    assert "1 onnxruntime thread(s) a call" in text and "model calls: on their own thread" in text, text
    text = _startup_log(["--no-model-thread"], tiny_model_dir, preset_dir, files_dir)
    assert f"{intra_op_threads(0)} onnxruntime thread(s) a call" in text, text
    assert "model calls: on the stream thread (--no-model-thread)" in text, text
    assert "3 onnxruntime thread(s) a call" in _startup_log(["--threads", "3"], tiny_model_dir, preset_dir, files_dir)
