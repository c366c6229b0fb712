"""Daemon lifecycle: signals drain within the timeout, a second signal forces, start-up failures are clear."""

import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from bridge.serve import osc
from support import ROOT, build_tiny_model, run_daemon


def base_args(tiny_model_dir, preset_dir, files_dir):
    return ["--models", str(tiny_model_dir), "--presets", str(preset_dir), "--files", str(files_dir),
            "--provider", "cpu", "--threads", "1"]


def test_sigterm_drains_and_exits_cleanly(tiny_model_dir, preset_dir, files_dir):
    with run_daemon(*base_args(tiny_model_dir, preset_dir, files_dir), "--drain-timeout", "5") as d:
        c = d.client()
        c.request("/bridge/stream/open", 1, 48000, 2, reply="/bridge/stream/opened")
        n = 400  # 4.3 s: windows are still being computed when the signal comes
        for seq in range(n):
            c.send("/bridge/audio/in", 1, seq, *osc.encode_audio(np.full((2, 512), 0.1, np.float32), "blob"))
        c.request("/bridge/sync", 1, reply="/bridge/synced")
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(10) == 0, d.log()
        assert time.monotonic() - t0 < 5 + 2
        # Every chunk received before the signal was answered.
        outs = {c.expect("/bridge/audio/out", timeout=5)[1] for _ in range(n)}
        assert outs == set(range(n))
        assert "draining" in d.log() and "stopped after" in d.log()


@pytest.mark.slow
def test_second_signal_forces_exit(tmp_path, preset_dir, files_dir):
    """A drain held up by a deliberately slow model (~30 s of work here): the second signal ends it at once."""
    build_tiny_model(tmp_path / "violin.onnx", "violin", slow=200)
    build_tiny_model(tmp_path / "guitar.onnx", "guitar")
    with run_daemon("--models", str(tmp_path), "--presets", str(preset_dir), "--files", str(files_dir),
                    "--provider", "cpu", "--threads", "1", "--no-adapt-steps", "--compute-budget-ms", "50",
                    "--drain-timeout", "300") as d:
        c = d.client()
        c.request("/bridge/stream/open", 1, 22050, 1, reply="/bridge/stream/opened")
        y = np.tile(np.float32([0.2, -0.2]), 4 * 22050)
        for seq, i in enumerate(range(0, y.size, 512)):
            c.send("/bridge/audio/in", 1, seq, *osc.encode_audio(y[None, i : i + 512], "blob"))
        # Every chunk in the worker's hands before the signal (after it, audio is refused as
        # 'stopping', and under load that once left the drain almost nothing to do).
        c.request("/bridge/sync", 1, reply="/bridge/synced", timeout=120)
        d.proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert d.proc.poll() is None, "the drain should still be running: the test needs a longer one\n" + d.log()
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGINT)
        assert d.proc.wait(10) == 1
        assert time.monotonic() - t0 < 10
        assert "draining" in d.log() and "again: forcing exit" in d.log() and "(forced)" in d.log()


def run_cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "bridge.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=str(ROOT))


def test_port_in_use_is_a_clear_error(tiny_model_dir, preset_dir, files_dir):
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    try:
        r = run_cli("serve", "--port", str(port), *base_args(tiny_model_dir, preset_dir, files_dir))
        assert r.returncode == 4
        assert f"cannot bind udp 127.0.0.1:{port}" in r.stderr and "try --port 0" in r.stderr
    finally:
        busy.close()


def test_missing_target_model_fails_before_binding(tmp_path, preset_dir, files_dir):
    build_tiny_model(tmp_path / "guitar.onnx", "guitar")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "odd.yaml").write_text("target: theremin\n")
    r = run_cli("serve", "--port", "0", "--models", str(tmp_path), "--presets", str(tmp_path / "p"),
                "--preset", "odd", "--provider", "cpu")
    assert r.returncode == 3
    assert "target 'theremin' could not be loaded" in r.stderr
    assert "listening" not in r.stderr


def test_corrupt_model_in_folder_is_logged_and_others_serve(tmp_path, preset_dir, files_dir, tiny_model_dir):
    for name in ("violin", "guitar", "cello"):
        build_tiny_model(tmp_path / f"{name}.onnx", name)
    (tmp_path / "zzz.onnx").write_bytes(b"\x00garbage")
    with run_daemon("--models", str(tmp_path), "--presets", str(preset_dir), "--files", str(files_dir),
                    "--provider", "cpu") as d:
        assert d.client().request("/bridge/ping", reply="/bridge/pong") == []
        assert "model zzz not loaded" in d.log() and "not a loadable ONNX model" in d.log()


def test_unknown_preset_is_a_clear_error(tiny_model_dir, preset_dir):
    r = run_cli("serve", "--port", "0", "--models", str(tiny_model_dir), "--presets", str(preset_dir),
                "--preset", "nope")
    assert r.returncode == 2 and "unknown name 'nope'; available:" in r.stderr


@pytest.mark.slow
def test_presets_hot_reload(tmp_path, tiny_model_dir, files_dir):
    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "live.yaml").write_text("target: violin\nsampler: {strength: 0.5}\n")
    with run_daemon("--models", str(tiny_model_dir), "--presets", str(presets), "--files", str(files_dir),
                    "--preset", "live", "--provider", "cpu") as d:
        c = d.client()
        c.request("/bridge/listen", "param", reply="/bridge/listening")
        assert c.request("/bridge/param/get", "strength", reply="/bridge/param") == ["strength", 0.5]
        (presets / "live.yaml").write_text("target: cello\nsampler: {strength: 0.2}\n")
        assert c.expect("/bridge/preset/changed", timeout=5) == ["live", "cello"]
        assert c.request("/bridge/param/get", "strength", reply="/bridge/param") == ["strength", pytest.approx(0.2)]
        # A broken edit keeps the last good version and says why in the log.
        (presets / "live.yaml").write_text("sampler: {strength: 7}\n")
        deadline = time.monotonic() + 5
        while "strength: expected at most 1.0" not in d.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "strength: expected at most 1.0" in d.log()
        err = c.expect("/bridge/error", timeout=5)  # and the device hears it (param listeners)
        assert err[:2] == ["/bridge/preset/load", "parameter"] and "preset live not reloaded" in err[2]
        assert "strength: expected at most 1.0" in err[2]
        assert c.request("/bridge/param/get", "strength", reply="/bridge/param") == ["strength", pytest.approx(0.2)]
        # New files appear in /bridge/info without a restart.
        (presets / "extra.yaml").write_text("target: guitar\n")
        time.sleep(1.5)
        names = {p[0] for p in c.info()["/bridge/info/preset"]}
        assert {"live", "extra"} <= names
