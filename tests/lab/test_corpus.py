"""Corpus building: FluidSynth renders reproducible by seed, and import of a user's folder."""

import json

import numpy as np
import pytest
import soundfile as sf

from lab.corpus import INSTRUMENTS, import_folder, phrase_notes, render_instrument
from bridge.errors import ParameterError
from support import harmonic_tone


def test_phrases_stay_in_range_and_vary():
    inst = INSTRUMENTS["violin"]
    rng = np.random.default_rng(0)
    notes, tempo = phrase_notes(inst, 20.0, rng)
    pitches = [n for _, _, n, _ in notes]
    assert min(pitches) >= inst.low and max(pitches) <= inst.high
    assert len(set(pitches)) > 5 and len({v for *_, v in notes}) > 5
    assert all(d > 0 for _, d, _, _ in notes)


def test_melodic_render_is_reproducible(tmp_path):
    a = render_instrument(tmp_path / "a", "guitar", 20, seed=3, phrase_seconds=10)
    render_instrument(tmp_path / "b", "guitar", 20, seed=3, phrase_seconds=10)
    assert len(a["files"]) == 2 and a["soundfont"] == "FluidR3_GM.sf2"
    ya, sr = sf.read(tmp_path / "a" / "guitar" / "guitar_00000.wav")
    yb, _ = sf.read(tmp_path / "b" / "guitar" / "guitar_00000.wav")
    assert sr == 22050 and np.array_equal(ya, yb) and np.abs(ya).max() > 0.1
    assert json.loads((tmp_path / "a" / "guitar" / "corpus.json").read_text())["seed"] == 3


def test_drum_one_shots_start_at_the_hit(tmp_path):
    m = render_instrument(tmp_path, "snare", 5, seed=1)
    assert len(m["files"]) >= 5
    velocities = {f["velocity"] for f in m["files"]}
    assert len(velocities) > 1
    y, sr = sf.read(tmp_path / "snare" / m["files"][0]["file"])
    assert len(y) == 16384
    onset = int(np.argmax(np.abs(y) > 0.05 * np.abs(y).max()))
    assert onset < 0.02 * sr  # the hit is at the start of the clip


def test_unknown_instrument_and_soundfont():
    with pytest.raises(ParameterError, match="unknown name 'kazoo'; allowed names are guitar"):
        render_instrument("/tmp", "kazoo", 5, 0)
    with pytest.raises(ParameterError, match="soundfont: 'nope.sf2' not found"):
        render_instrument("/tmp", "violin", 5, 0, soundfont="nope.sf2")


@pytest.mark.slow
def test_import_folder(tmp_path):
    src = tmp_path / "rec"
    src.mkdir()
    tone = harmonic_tone(196, 3.0, 44100)
    quiet = np.concatenate([np.zeros(44100, np.float32), tone, np.zeros(44100, np.float32)])
    sf.write(src / "a.wav", np.stack([quiet, quiet]).T, 44100)
    sf.write(src / "b.flac", tone, 44100)
    sf.write(src / "c.ogg", tone, 44100)
    sf.write(src / "d.mp3", tone, 44100)
    (src / "broken.wav").write_bytes(b"RIFF not really")
    sf.write(src / "silent.wav", np.zeros(44100, np.float32), 44100)
    seen = []
    m = import_folder(src, tmp_path / "corpus", "sax", progress=seen.append)
    assert len(seen) == 6
    assert len(m["files"]) == 4
    skipped = {s["file"].rsplit("/", 1)[-1]: s["reason"] for s in m["skipped"]}
    assert "cannot read audio" in skipped["broken.wav"]
    assert "silence" in skipped["silent.wav"]
    y, sr = sf.read(tmp_path / "corpus" / "sax" / "sax_00000.wav")
    assert sr == 22050 and y.ndim == 1
    assert len(y) < len(quiet) / 2  # the silent second before and after was stripped
    assert abs(np.abs(y).max() - 0.5) < 1e-3  # peak-normalised


def test_import_folder_errors(tmp_path):
    with pytest.raises(ParameterError, match="is not a directory"):
        import_folder(tmp_path / "missing", tmp_path, "x")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match="no audio files"):
        import_folder(tmp_path / "empty", tmp_path, "x")
