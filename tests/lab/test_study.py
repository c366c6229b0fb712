"""bridge sweep and bridge.offline.accompany on tiny models (a toy judge: this checks the plumbing)."""

import argparse
import json

import numpy as np
import soundfile as sf

from bridge import offline
from bridge.config import Preset
from lab import evaluate as ev
from lab import study
from support import harmonic_tone
from test_evaluate import _toy_cnn, _toy_judge


def test_sweep_writes_a_cell_per_setting_baselines_and_heatmaps(tiny_models, tmp_path, monkeypatch):
    monkeypatch.setattr(ev, "build_judge", lambda *a, **k: _toy_judge())
    monkeypatch.setattr(ev, "_cnn_judge", lambda *a, **k: _toy_cnn())
    sf.write(tmp_path / "in.wav", harmonic_tone(262.0, 2.0, 22050), 22050)
    sf.write(tmp_path / "oracle.wav", harmonic_tone(262.0, 2.0, 22050, n_harmonics=3), 22050)
    args = argparse.Namespace(input=str(tmp_path / "in.wav"), strengths="0.2,0.6", steps_list="2,4",
                              output=str(tmp_path / "sweep"), work=str(tmp_path), oracle=str(tmp_path / "oracle.wav"))
    assert study.sweep_command(args, Preset(target="violin"), tiny_models) == 0
    data = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert sorted((c["strength"], c["steps"]) for c in data["cells"]) == [(0.2, 2), (0.2, 4), (0.6, 2), (0.6, 4)]
    assert data["baselines"]["identity (output = input)"]["pitch_accuracy"] == 1.0
    assert "oracle (oracle.wav)" in data["baselines"]
    md = (tmp_path / "sweep" / "sweep.md").read_text()
    assert "| identity (output = input) |" in md and "## target_prob" in md
    assert "## target_prob_cnn" in md
    for key in ("target_prob_cnn", "target_prob", "pitch_accuracy", "frechet"):
        assert (tmp_path / "sweep" / f"sweep_{key}.png").stat().st_size > 1000


def test_accompany_band_limits_normalises_and_sums(tiny_models):
    sr = 22050
    vocal = harmonic_tone(220.0, 2.0, sr, amp=0.05)[None]
    song, stems = offline.accompany(vocal, sr, tiny_models, ["violin", "cello"], Preset(), vocal_db=-3.0)
    assert song.shape == vocal.shape and np.abs(song).max() <= 0.891 + 1e-6
    for name, stem in stems.items():
        assert stem.shape == vocal.shape
        assert abs(10 * np.log10(np.mean(stem**2)) - offline.STEM_RMS_DB) < 0.01
