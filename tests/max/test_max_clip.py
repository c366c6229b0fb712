"""Clip mode timed by the audio clock, under node (the shim), against a real daemon.

The harness runs the patch's clip objects (phasor~ @lock 1, sah~, poke~, index~, ...) sample
by sample at real-time pace with the transport moving at 187.5 bpm in 3/4, from the middle of
a bar. Rec is pressed mid-bar; the [js] scripts are stalled for 500 ms as the take starts and
again as it ends. The take must start on the next bar line to the sample, hold exactly N bars
of the input, and the processed clip must play from the take's grid, looping without a
re-trigger.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from nodeharness import run_harness
from support import harmonic_tone, run_daemon

SR = 48000
TEMPO = 187.5                      # 1/32 tick a sample: every position below is exact in binary
NUM, DEN = 3, 4
BARS = 2
START_TICKS = 7900.25              # the transport starts in bar 6, 700.25 ticks after its bar line
REC_AT = 0.5                       # seconds after the transport started
BAR_TICKS = 480 * 4 * NUM // DEN   # 1440
TICKS_PER_SAMPLE = TEMPO * 480 / 60 / SR
BAR = round(BAR_TICKS / TICKS_PER_SAMPLE)   # 46080 samples (0.96 s)


def next_bar_line(sample: int) -> int:
    """The first sample at or after ``sample`` where the transport is on a bar line or past it."""
    ticks = START_TICKS + sample * TICKS_PER_SAMPLE
    line = math.ceil(ticks / BAR_TICKS) * BAR_TICKS
    return math.ceil((line - START_TICKS) / TICKS_PER_SAMPLE)


@pytest.fixture(scope="module")
def clip_run(tmp_path_factory, tiny_model_dir, preset_dir, files_dir):
    tmp = tmp_path_factory.mktemp("clip")
    seconds = 16.0
    t = np.arange(int(seconds * SR)) / SR
    y = np.stack([harmonic_tone(196.0, seconds, SR), 0.5 * harmonic_tone(294.0, seconds, SR)]).astype(np.float32)
    y *= (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t)).astype(np.float32)   # every position sounds different
    y.T.astype("<f4").tofile(tmp / "y.f32")
    with run_daemon("--models", str(tiny_model_dir), "--presets", str(preset_dir), "--files", str(files_dir),
                    "--provider", "cpu", "--threads", "1") as daemon:
        s = run_harness(tmp / "summary.json", timeout=120, scenario="clip", daemon_port=daemon.port,
                        files=files_dir, input=tmp / "y.f32", sr=SR, tempo=TEMPO, timesig=f"{NUM}/{DEN}",
                        bars=BARS, start_ticks=START_TICKS, rec_at=REC_AT, stall_ms=500, cycles=2,
                        capture=tmp / "clip.f32", max_seconds=40)
    out = np.fromfile(tmp / "clip.f32", dtype="<f4").reshape(-1, 2).T
    return y, s, out


def test_the_take_starts_on_the_next_bar_line_and_holds_exactly_n_bars(clip_run, files_dir):
    y, s, _out = clip_run
    assert s["errors"] == [] and s["jsErrors"] == [], (s["errors"], s["jsErrors"])
    m = s["marks"]
    length = BARS * BAR
    assert m["len"] == length                                  # sized from the tempo and signature read at Rec
    assert [e["ticks"] for e in s["audio"] if e["kind"] == "phasor~"] == [BARS * BAR_TICKS]
    (armed, one), (disarmed, zero) = m["arm"]
    assert (one, zero) == (1, 0) and armed > m["recPressed"]
    (opened, _), (closed, _) = m["gate"]
    assert opened == next_bar_line(armed)                      # the next bar line, to the sample
    assert opened > next_bar_line(m["recPressed"]) - 1 and opened - m["recPressed"] < BAR + 0.2 * SR
    assert closed - opened == length                           # N bars, to the sample
    # [js] was stalled as the take started and as it ended, and heard both late: the audio did not wait
    assert disarmed - opened > 0.45 * SR and len(m["stalls"]) >= 2
    # the take is the input from the bar line on, bit for bit, as written for the daemon
    take = [b for b in s["buffers"] if b["buffer"] == "---bridge_rec" and b["sel"] == "writewave"]
    assert len(take) == 1
    written, sr = sf.read(take[0]["args"][0], dtype="float32", always_2d=True)
    assert sr == SR and written.shape == (length, 2)
    np.testing.assert_array_equal(written.T, y[:, opened:opened + length])


def test_the_processed_clip_plays_on_the_takes_grid_without_a_retrigger(clip_run):
    _y, s, out = clip_run
    m = s["marks"]
    length = BARS * BAR
    (opened, _), (closed, _) = m["gate"]
    assert [v for _n, v in m["play"]] == [1]
    play = m["play"][0][0]
    assert play >= closed and (play - opened) % length == 0   # a whole number of clips after the take began
    loaded = [b for b in s["buffers"] if b["buffer"] == "---bridge_clip" and b["sel"] == "replace"]
    assert len(loaded) == 1
    clip, sr = sf.read(loaded[0]["args"][0], dtype="float32", always_2d=True)
    assert sr == SR and clip.shape == (length, 2) and np.abs(clip).max() > 0.01
    # silence until the play gate opens, then the clip from its first sample, looped for two cycles:
    # any re-trigger or drift would break the equality at the cycle boundary
    assert np.abs(out[:, :play]).max() == 0.0
    n = out.shape[1] - play
    assert n >= 2 * length
    expected = np.concatenate([clip.T] * 3, axis=1)[:, :n]
    np.testing.assert_array_equal(out[:, play:], expected)
    assert "playing" in s["texts"]["obj-clipstatus"]
