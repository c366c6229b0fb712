"""The device's Jitter audio path under node (the shim), against a real daemon over TCP.

The harness runs the patch as Max would in Live: 64-sample signal vectors at real-time
pace, the scheduler ([metro], [jit.catch~], [gate], [onebang]) between vectors, and the
[js] scripts in a low-priority queue that it stalls for 500 ms mid-stream, as a busy Live
interface thread would. The audio never waits for [js]: nothing may be lost.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from nodeharness import run_harness
from support import harmonic_tone, run_daemon

SR = 48000


def phrase(seconds, f0=220.0):
    t = np.arange(int(seconds * SR)) / SR
    y = np.stack([harmonic_tone(f0, seconds, SR), 0.5 * harmonic_tone(1.5 * f0, seconds, SR)]).astype(np.float32)
    return y * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)).astype(np.float32)


def run(tmp_path, seconds, daemon_args, stall_ms=500, f0s=(220.0,), **options):
    """Streams one phrase per device (one device per ``f0s`` entry) through the shim; returns (ys, summary, outs)."""
    ys = [phrase(seconds, f0) for f0 in f0s]
    for d, y in enumerate(ys):
        y.T.astype("<f4").tofile(tmp_path / f"y{d}.f32")
    with run_daemon(*daemon_args) as daemon:
        s = run_harness(tmp_path / "summary.json", timeout=seconds * 3 + 120, scenario="jitter",
                        daemon_port=daemon.port, jitter_port=daemon.jitter_port, sr=SR, frames=ys[0].shape[1],
                        input=",".join(str(tmp_path / f"y{d}.f32") for d in range(len(ys))),
                        capture=",".join(str(tmp_path / f"out{d}.f32") for d in range(len(ys))),
                        margin_ms=60, stall_at=1.0, stall_ms=stall_ms, **options)
    outs = [np.fromfile(tmp_path / f"out{d}.f32", dtype="<f4").reshape(-1, 2).T for d in range(len(ys))]
    if len(ys) == 1:
        return ys[0], s, outs[0]
    return ys, s, outs


@pytest.fixture(scope="module")
def streamed(tmp_path_factory, tiny_model_dir, preset_dir, files_dir):
    return run(tmp_path_factory.mktemp("jitter"), 4.0,
               ("--models", str(tiny_model_dir), "--presets", str(preset_dir), "--files", str(files_dir),
                "--provider", "cpu", "--threads", "1", "--no-adapt-steps"))


def check(y, s, out, ref):
    assert s["errors"] == [] and s["jsErrors"] == [], (s["errors"], s["jsErrors"])
    assert s["tStart"] is not None
    P, L, n = s["P"], s["L"], y.shape[1]
    assert P == round(60 * SR / 1000) and L > 0
    assert s["reported"] == P + L and [m["args"] for m in s["thispatcher"]] == [[P + L]]  # Live's compensation
    np.testing.assert_allclose(out[:, P + L:P + L + n], ref, atol=1e-5, rtol=0)
    assert np.abs(out[:, :P + L]).max() == 0.0
    assert np.abs(ref).max() > 0.05
    c = s["counts"]
    assert s["matricesSent"] == c["chunksIn"] == c["chunksOut"] == s["matricesBack"] > 0
    assert c["lost"] == 0 and c["undelivered"] == 0 and s["underruns"] == 0


def test_jitter_path_plays_transfer_at_its_reported_latency_through_a_stalled_ui(streamed, tiny_models, preset_dir):
    from bridge import offline
    from bridge.presets import load_preset

    y, s, out = streamed
    assert s["stalls"] == 1   # [js] got nothing for 500 ms, mid-stream
    check(y, s, out, offline.transfer(y, SR, tiny_models, load_preset(preset_dir / "guitar-to-violin.yaml")))


@pytest.mark.slow
def test_jitter_path_in_real_time_with_a_shipped_model(tmp_path):
    """``BRIDGE_JITTER_SECONDS`` (default 20; the issue's run is 600) of 48 kHz stereo, `live` preset."""
    from bridge import offline
    from bridge.model import ModelSet
    from bridge.presets import PresetLibrary

    seconds = float(os.environ.get("BRIDGE_JITTER_SECONDS", "20"))
    y, s, out = run(tmp_path, seconds, ("--provider", "cpu", "--threads", "1", "--no-adapt-steps", "--preset", "live"))
    print(f"\n{seconds:.0f} s: {s['matricesSent']} matrices, underruns {s['underruns']}, counts {s['counts']}")
    check(y, s, out, offline.transfer(y, SR, ModelSet([], "cpu", threads=1), PresetLibrary([])["live"]))


def test_two_devices_in_one_set_stream_at_once_without_collision(tmp_path, tiny_model_dir, preset_dir, files_dir,
                                                                 tiny_models):
    """Two devices with every port left to them (Reply port 0), one daemon: each plays its own phrase."""
    from bridge import offline
    from bridge.presets import load_preset

    ys, s, outs = run(tmp_path, 3.0, ("--models", str(tiny_model_dir), "--presets", str(preset_dir), "--files",
                                      str(files_dir), "--provider", "cpu", "--threads", "1", "--no-adapt-steps"),
                      f0s=(220.0, 311.1), auto_ports=1)
    devices = s["devices"]
    assert len(devices) == 2
    assert devices[0]["replyPort"] != devices[1]["replyPort"] and devices[0]["recvPort"] != devices[1]["recvPort"]
    preset = load_preset(preset_dir / "guitar-to-violin.yaml")
    refs = [offline.transfer(y, SR, tiny_models, preset) for y in ys]
    for y, dev, out, ref in zip(ys, devices, outs, refs):
        check(y, dev, out, ref)
    # each device got its own phrase back, not the other's
    L, P = devices[0]["L"], devices[0]["P"]
    n = ys[0].shape[1]
    assert np.abs(outs[0][:, P + L:P + L + n] - refs[1]).max() > 0.05


def test_stream_off_fades_to_the_dry_path_at_the_same_latency(tmp_path, tiny_model_dir, preset_dir, files_dir,
                                                             tiny_models):
    """Stream off mid-phrase: the wet path fades out and the input plays on, delayed by the same L + P."""
    from bridge import offline
    from bridge.presets import load_preset

    y, s, out = run(tmp_path, 3.0, ("--models", str(tiny_model_dir), "--presets", str(preset_dir), "--files",
                                    str(files_dir), "--provider", "cpu", "--threads", "1", "--no-adapt-steps"),
                    stall_ms=0, off_at=2.0)
    assert s["errors"] == [] and s["jsErrors"] == [], (s["errors"], s["jsErrors"])
    P, L, n, off = s["P"], s["L"], y.shape[1], s["offFrame"]
    assert off is not None and L > 0
    assert [m["args"] for m in s["thispatcher"]] == [[P + L]]  # Live's compensation never moved
    ref = offline.transfer(y, SR, tiny_models, load_preset(preset_dir / "guitar-to-violin.yaml"))
    assert P + L < off - 64
    # until the switch: the restyled phrase, L + P late
    np.testing.assert_allclose(out[:, P + L:off - 64], ref[:, :off - 64 - P - L], atol=1e-5, rtol=0)
    # from the end of the 20 ms fade on: the input itself, at the same latency, bit for bit
    fade = int(0.020 * SR) + 2 * 64
    dry_from = off + fade
    np.testing.assert_array_equal(out[:, dry_from:P + L + n], y[:, dry_from - P - L:n])
    assert np.abs(y[:, dry_from - P - L:n]).max() > 0.05
