"""bridge_stream.js under node: chunking a buffer, streaming, reassembling (no Max needed).

The patch runs in max_for_live/test_shim (the [js] scripts through a shim of Max's js
API, real UDP); the harness plays a synthetic stereo signal into the input ring the
way [poke~]/[count~] would and captures the output ring the way [index~] would.
"""

from __future__ import annotations

import numpy as np
import pytest

from nodeharness import run_harness
from support import harmonic_tone, run_daemon

SR = 44100


def captured(path, frames) -> np.ndarray:
    return np.fromfile(path, dtype="<f4").reshape(-1, 2).T[:, :frames]


@pytest.fixture(scope="module")
def streamed(tmp_path_factory, tiny_model_dir, preset_dir, files_dir):
    """One second of stereo through a real daemon (adaptive steps off: CI load must not change the output)."""
    d = tmp_path_factory.mktemp("stream")
    y = np.stack([harmonic_tone(220.0, 1.0, SR), 0.5 * harmonic_tone(330.0, 1.0, SR)]).astype(np.float32)
    y.T.astype("<f4").tofile(d / "y.f32")
    with run_daemon("--models", str(tiny_model_dir), "--presets", str(preset_dir), "--files", str(files_dir),
                    "--reply-port", "9", "--provider", "cpu", "--threads", "1", "--no-adapt-steps") as daemon:
        summary = run_harness(d / "summary.json", scenario="stream", daemon_port=daemon.port, input=d / "y.f32",
                              frames=y.shape[1], margin_ms=80, capture=d / "out.f32")
    return y, summary, captured(d / "out.f32", summary["frames"])


def test_stream_matches_the_one_shot_output(streamed, tiny_models, preset_dir):
    from bridge import offline
    from bridge.presets import load_preset

    y, s, out = streamed
    assert s["errors"] == [] and s["jsErrors"] == [] and s["posts"] == []
    P, L = s["P"], s["L"]
    assert P == round(80 * SR / 1000) and L > 0
    assert s["chunkFrames"] == 127                      # 2 + 254 floats: one Max list of 256 atoms
    preset = load_preset(preset_dir / "guitar-to-violin.yaml")    # the daemon's default preset
    ref = offline.transfer(y, SR, tiny_models, preset)
    n = y.shape[1]
    assert out.shape[1] >= P + L + n
    np.testing.assert_allclose(out[:, P + L:P + L + n], ref, atol=1e-5, rtol=0)
    assert np.abs(out[:, :P + L]).max() == 0.0          # silence until the first restyled sample
    assert np.abs(ref).max() > 0.05                      # (and the reference is not silence)


def test_stream_reports_its_latency(streamed):
    _y, s, _out = streamed
    total = s["P"] + s["L"]
    assert [m["args"] for m in s["thispatcher"]] == [[total]]       # Live's delay compensation
    assert s["streamState"]["counts"]["late"] == 0 and s["streamState"]["counts"]["lost"] == 0
    assert s["repliesReceived"] == s["chunksSent"]


@pytest.mark.slow
def test_ring_wrap_loss_lateness_and_reordering(tmp_path):
    """13 s through a fake daemon (identity model, latency 1000 frames), faster than real time:
    both 524288-frame rings wrap; reply 100 is dropped, 200 arrives a second late, 300/301 swap."""
    rng = np.random.default_rng(7)
    n = 13 * SR
    y = (0.3 * rng.standard_normal((2, n))).astype(np.float32)
    y.T.astype("<f4").tofile(tmp_path / "y.f32")
    s = run_harness(tmp_path / "summary.json", scenario="stream", fake=1000, drop=100, late=200, swap=300,
                    realtime=0, input=tmp_path / "y.f32", frames=n, margin_ms=30, capture=tmp_path / "out.f32")
    out = captured(tmp_path / "out.f32", s["frames"])
    P, L, cf = s["P"], s["L"], s["chunkFrames"]
    assert L == 1000 and s["ring"] < n
    seg = out[:, P + L:P + L + n]
    silent = np.zeros(n, bool)
    for seq in (100, 200):      # output frames of chunk seq carry input frames seq*cf - L onwards
        silent[max(0, seq * cf - L):(seq + 1) * cf - L] = True
    np.testing.assert_array_equal(seg[:, ~silent], y[:, ~silent])
    assert np.abs(seg[:, silent]).max() == 0.0
    counts = s["streamState"]["counts"]
    assert counts["lost"] == 1 and counts["late"] == 1, counts
    assert [m["args"] for m in s["thispatcher"]] == [[P + L]]
