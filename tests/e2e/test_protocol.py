"""Every request address over real loopback UDP: a normal reply and an error reply each."""

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.serve import osc
from support import OscClient, harmonic_tone


@pytest.fixture
def c(daemon):
    client = daemon.client()
    yield client
    client.close()


def error_for(c: OscClient, address: str, timeout: float = 10.0) -> list:
    """Waits for the /bridge/error about ``address``; returns [address, code, message]."""
    while True:
        args = c.expect("/bridge/error", timeout)
        if args[0] == address:
            return args


def test_hello_registers_the_reply_port(daemon):
    c = daemon.client(hello=False)
    c.send("/bridge/hello", c.reply_port)
    version, port, provider = c.expect("/bridge/welcome")
    assert port == c.reply_port and provider == "cpu" and version
    c.send("/bridge/hello", 70000)
    assert error_for(c, "/bridge/hello")[1] == "parameter"


def test_replies_never_go_to_the_source_port(daemon):
    c = daemon.client()
    c.tx.settimeout(0.5)
    c.send("/bridge/ping", 1)
    assert c.expect("/bridge/pong") == [1]
    with pytest.raises(OSError):  # nothing comes back on the sending socket (Max's udpsend has no outlet)
        c.tx.recvfrom(100)


@pytest.mark.parametrize("token", [None, 7, 2.5, "abc"])
def test_ping(c, token):
    args = [] if token is None else [token]
    assert c.request("/bridge/ping", *args, reply="/bridge/pong") == args
    c.send("/bridge/ping", b"blob")
    assert "expected an int, float or string" in error_for(c, "/bridge/ping")[2]


def test_info_describes_everything_and_ends(c, tiny_model_dir, files_dir):
    got = c.info()
    assert got["/bridge/info/version"][0][1] == 1
    assert got["/bridge/info/provider"][0][0] == "cpu"
    models = {m[0] for m in got["/bridge/info/model"]}
    assert {"violin", "guitar", "cello", "kick"} <= models
    presets = {p[0] for p in got["/bridge/info/preset"]}
    assert "guitar-to-violin" in presets
    params = {p[0]: p for p in got["/bridge/info/param"]}
    assert params["strength"][2:4] == [pytest.approx(0.01), 1.0]
    samples, ms, rate = got["/bridge/info/latency"][0]
    assert samples > 0 and rate == 22050 and ms == pytest.approx(1000 * samples / rate, rel=1e-6)
    assert got["/bridge/info/end"][0][0] == len(models)
    assert [f[0] for f in got["/bridge/info/files"]] == [os.path.realpath(files_dir)]
    c.send("/bridge/info", 1)
    assert error_for(c, "/bridge/info")[1] == "parameter"


def test_status(c):
    args = c.request("/bridge/status", reply="/bridge/status")
    assert args[0] >= 0 and args[9] == "cpu"
    c.send("/bridge/status", "x")
    assert error_for(c, "/bridge/status")[1] == "parameter"


def test_preset_load(c):
    assert c.request("/bridge/preset/load", "violin-to-guitar", reply="/bridge/preset/loaded") == [
        "violin-to-guitar", "guitar"]
    assert c.request("/bridge/param/get", "target", reply="/bridge/param") == ["target", "guitar"]
    c.send("/bridge/preset/load", "no-such-preset")
    err = error_for(c, "/bridge/preset/load")
    assert err[1] == "parameter" and "unknown name 'no-such-preset'; available:" in err[2]
    c.request("/bridge/preset/load", "guitar-to-violin", reply="/bridge/preset/loaded")


def test_param_set_and_get(c):
    assert c.request("/bridge/param/set", "strength", 0.25, reply="/bridge/param") == ["strength", 0.25]
    assert c.request("/bridge/param/get", "strength", reply="/bridge/param") == ["strength", 0.25]
    assert c.request("/bridge/param/set", "steps", 6, reply="/bridge/param") == ["steps", 6]
    assert c.request("/bridge/param/set", "stereo", "dual", reply="/bridge/param") == ["stereo", "dual"]
    assert c.request("/bridge/param/set", "match_loudness", 0, reply="/bridge/param") == ["match_loudness", 0]
    c.send("/bridge/param/set", "strength", 3.0)
    assert "strength: expected at most 1.0, got 3.0" in error_for(c, "/bridge/param/set")[2]
    c.send("/bridge/param/set", "volume", 1.0)
    assert "unknown name 'volume'" in error_for(c, "/bridge/param/set")[2]
    c.send("/bridge/param/set", "target", "tuba")
    err = error_for(c, "/bridge/param/set")
    assert err[1] == "model" and "tuba" in err[2]
    c.send("/bridge/param/get", "nope")
    assert error_for(c, "/bridge/param/get")[1] == "parameter"
    c.request("/bridge/preset/load", "guitar-to-violin", reply="/bridge/preset/loaded")


def test_listen_pushes_param_changes(daemon):
    listener, other = daemon.client(), daemon.client()
    assert listener.request("/bridge/listen", "param", reply="/bridge/listening") == ["param"]
    other.request("/bridge/param/set", "mix", 0.5, reply="/bridge/param")
    assert listener.expect("/bridge/param") == ["mix", 0.5]
    assert listener.request("/bridge/unlisten", "param", reply="/bridge/unlistened") == ["param"]
    listener.send("/bridge/listen", "everything")
    assert "expected one of param, status, latency" in error_for(listener, "/bridge/listen")[2]
    listener.send("/bridge/unlisten", "everything")
    assert error_for(listener, "/bridge/unlisten")[1] == "parameter"
    other.request("/bridge/param/set", "mix", 1.0, reply="/bridge/param")


def test_listen_status_pushes_every_second(c):
    c.request("/bridge/listen", "status", reply="/bridge/listening")
    c.expect("/bridge/status", timeout=3)
    c.expect("/bridge/status", timeout=3)
    c.request("/bridge/unlisten", "status", reply="/bridge/unlistened")


def test_model_load(c, tiny_model_dir):
    assert c.request("/bridge/model/load", "cello", reply="/bridge/model/loaded") == ["cello", "cpu"]
    c.send("/bridge/model/load", "tuba")
    assert error_for(c, "/bridge/model/load")[1] == "model"


def test_corrupt_model_file_is_refused_and_the_daemon_lives(c, tiny_model_dir):
    bad = Path(tiny_model_dir) / "broken.onnx"
    bad.write_bytes(b"not an onnx file" * 10)
    try:
        c.send("/bridge/model/load", "broken")
        err = error_for(c, "/bridge/model/load")
        assert err[1] == "model" and "not a loadable ONNX model" in err[2]
        assert c.request("/bridge/ping", 1, reply="/bridge/pong") == [1]
    finally:
        bad.unlink()


def test_latency_get(c):
    samples, ms, rate, stream = c.request("/bridge/latency/get", reply="/bridge/latency")
    # the default preset: 32-frame windows, 20 of them past context, so 12 new frames at hop 256
    assert stream == -1 and rate == 22050 and samples == (12 - 1) * 256 + 512
    c.request("/bridge/stream/open", 5, 44100, 1, reply="/bridge/stream/opened")
    s2, ms2, rate2, stream2 = c.request("/bridge/latency/get", 5, reply="/bridge/latency")
    assert (rate2, stream2) == (44100, 5) and s2 > samples * 2
    c.request("/bridge/stream/close", 5, reply="/bridge/stream/closed")
    c.send("/bridge/latency/get", 99)
    assert "stream 99 is not open" in error_for(c, "/bridge/latency/get")[2]


def test_stream_open_audio_close(c):
    stream, latency, ms, rate, ch = c.request("/bridge/stream/open", 1, 48000, 2, reply="/bridge/stream/opened")
    assert (stream, rate, ch) == (1, 48000, 2) and latency > 0 and ms == pytest.approx(latency / 48.0, rel=1e-5)
    block = np.zeros((2, 128), np.float32)
    c.send("/bridge/audio/in", 1, 0, *osc.encode_audio(block, "blob"))
    sid, seq, blob = c.expect("/bridge/audio/out")
    assert (sid, seq, len(blob)) == (1, 0, 128 * 2 * 4)
    c.send("/bridge/audio/in", 1, 1, *osc.encode_audio(block[:, :64], "floats"))
    out = c.expect("/bridge/audio/out")
    assert out[:2] == [1, 1] and len(out) == 2 + 128
    closed = c.request("/bridge/stream/close", 1, reply="/bridge/stream/closed")
    assert closed[:3] == [1, 2, 2]
    c.send("/bridge/stream/open", 1, 1000, 2)
    assert "sample_rate: expected at least 8000, got 1000" in error_for(c, "/bridge/stream/open")[2]
    c.send("/bridge/stream/open", 1, 48000, 0)
    assert "channels: expected at least 1, got 0" in error_for(c, "/bridge/stream/open")[2]
    c.send("/bridge/audio/in", 42, 0, *osc.encode_audio(block, "blob"))
    err = error_for(c, "/bridge/audio/in")
    assert err[1] == "stream" and "stream 42 is not open; send /bridge/stream/open first" in err[2]
    c.send("/bridge/stream/close", 42)
    assert error_for(c, "/bridge/stream/close")[1] == "stream"


def test_sync(c):
    assert c.request("/bridge/sync", 17, reply="/bridge/synced") == [17]
    c.send("/bridge/sync")
    assert error_for(c, "/bridge/sync")[1] == "parameter"


def test_file_process(c, files_dir):
    src, dst = Path(files_dir) / "in.wav", Path(files_dir) / "out.wav"
    y = harmonic_tone(220.0, 1.5, 44100)
    sf.write(src, np.stack([y, y]).T, 44100)
    c.send("/bridge/file/process", "job1", str(src), str(dst))
    assert c.expect("/bridge/file/done", timeout=60) == ["job1", str(dst), pytest.approx(1.5)]
    out, sr = sf.read(dst)
    assert sr == 44100 and out.shape == (len(y), 2) and np.isfinite(out).all()
    c.send("/bridge/file/process", "job2", "/etc/passwd.wav", str(dst))
    assert "outside the allowed folders" in error_for(c, "/bridge/file/process")[2]
    c.send("/bridge/file/process", "job3", str(Path(files_dir) / ".." / "x.wav"), str(dst))
    assert "'..' is not allowed" in error_for(c, "/bridge/file/process")[2]
    c.send("/bridge/file/process", "job4", str(Path(files_dir) / "missing.wav"), str(dst))
    assert "does not exist" in error_for(c, "/bridge/file/process")[2]
    link = Path(files_dir) / "escape.wav"
    if not link.exists():
        link.symlink_to("/etc/hostname")
    c.send("/bridge/file/process", "job5", str(link), str(dst))
    assert "outside the allowed folders" in error_for(c, "/bridge/file/process")[2]


def test_generate(c, files_dir):
    dst = Path(files_dir) / "kick.wav"
    c.send("/bridge/generate", "kick", "g1", str(dst), 3, 5)
    job, path, seconds = c.expect("/bridge/generate/done", timeout=60)
    assert (job, path) == ("g1", str(dst)) and seconds == pytest.approx(64 * 256 / 22050)
    y, sr = sf.read(dst)
    assert sr == 22050 and np.isfinite(y).all() and np.abs(y).max() > 0
    c.send("/bridge/generate", "tuba", "g2", str(dst))
    assert error_for(c, "/bridge/generate")[1] == "model"


def test_pair(c, files_dir):
    c.send("/bridge/pair", "guitar", "violin", "p1", str(files_dir), 1, 0.3)
    job, pa, pb = c.expect("/bridge/pair/done", timeout=90)
    assert job == "p1" and Path(pa).is_file() and Path(pb).is_file()
    c.send("/bridge/pair", "guitar", "violin", "p2", "/nonexistent/dir")
    assert error_for(c, "/bridge/pair")[1] == "parameter"


@pytest.mark.parametrize("address,args", [("/bridge/midi/learn", ["strength"]), ("/bridge/midi/map", [1, "mix"]),
                                          ("/bridge/midi/unmap", [1])])
def test_midi_addresses_say_when_midi_is_off(c, address, args):
    c.send(address, *args)
    assert "not enabled; start bridge serve with --midi" in error_for(c, address)[2]


def test_unknown_address_and_malformed_packets(c):
    c.send("/bridge/teleport")
    assert "unknown address" in error_for(c, "/bridge/teleport")[2]
    c.send_raw(b"\x00\x01garbage")
    assert error_for(c, "")[1] == "malformed"
    assert c.request("/bridge/ping", 2, reply="/bridge/pong") == [2]


def test_every_address_is_covered_here():
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    missing = [a for a in osc.ADDRESSES if f'"{a}"' not in source]
    assert not missing, f"addresses without an e2e test: {missing}"


def test_info_leaves_students_out_of_the_menus(tmp_path, tiny_model_dir, preset_dir, files_dir):
    """A student is used on its own when it fits; the device's target and morph menus never list it."""
    import shutil

    from bridge.model import read_metadata
    from support import build_tiny_model, run_daemon

    for p in tiny_model_dir.glob("*.onnx"):
        shutil.copy(p, tmp_path / p.name)
    teacher = read_metadata(tmp_path / "violin.onnx")
    build_tiny_model(tmp_path / "violin.student.onnx", "violin", seed=9, student={
        "teacher": "violin", "teacher_hash": teacher.content_hash, "max_steps": 2, "strength_max": 0.6})
    with run_daemon("--models", str(tmp_path), "--presets", str(preset_dir), "--files", str(files_dir),
                    "--provider", "cpu", "--threads", "1") as d:
        c = d.client()
        got = c.info()
        models = [m[0] for m in got["/bridge/info/model"]]
        assert "violin" in models and not [m for m in models if m.endswith(".student")], models
        assert got["/bridge/info/end"][0][0] == len(models)
        c.close()
