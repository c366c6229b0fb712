"""What the input shows at a note start (lab.articulation), on notes whose articulation is built in."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.config import MelConfig
from lab.articulation import attack_by_preceding, best_threshold, onset_cues

SR = 22050
CONFIG = MelConfig(sample_rate=SR)


def tone(f0: float, seconds: float, ramp_s: float = 0.005) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    env = np.minimum(1.0, t / ramp_s) * np.minimum(1.0, (seconds - t) / 0.005)
    return 0.2 * env * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))


def phrase(gap_s: float, ramp_s: float = 0.005) -> tuple[np.ndarray, list]:
    """0.3 s of silence, a 0.5-s A3 rising over ``ramp_s``, ``gap_s`` of silence (none: legato, the next
    note starts as it ends), a 0.6-s E4."""
    parts = [np.zeros(int(0.3 * SR)), tone(220.0, 0.5, ramp_s), np.zeros(int(gap_s * SR)),
             tone(330.0, 0.6), np.zeros(int(0.3 * SR))]
    second = 0.8 + gap_s
    return np.concatenate(parts), [(0.3, 0.5 if gap_s else 0.51, 57, 90), (second, 0.6, 64, 90)]


def test_a_legato_note_shows_no_fall_and_no_unvoiced_gap_and_an_adjacent_one_both():
    legato, = onset_cues(*phrase(0.0), CONFIG)
    adjacent, = onset_cues(*phrase(0.06), CONFIG)
    assert (legato["kind"], adjacent["kind"]) == ("legato", "adjacent")
    assert legato["found"] and adjacent["found"]
    assert legato["fall_db"] < 3.0 and legato["unvoiced"] <= 1  # the one frame that straddles the change
    assert adjacent["fall_db"] > 20.0 and adjacent["unvoiced"] >= 3
    assert abs(legato["late_ms"]) < 30.0 and abs(adjacent["late_ms"]) < 30.0


def test_a_note_the_tracker_never_finds_is_counted_as_not_found():
    y, notes = phrase(0.06)
    y[int((notes[1][0] - 0.01) * SR):] = 0.0  # the second note never sounds
    row, = onset_cues(y, notes, CONFIG)
    assert row == {"kind": "adjacent", "found": False}


def test_the_best_threshold_separates_what_is_separable_and_nothing_else():
    assert best_threshold([0, 1, 2], [5, 6, 7]) == (1.0, 5.0)
    acc, _ = best_threshold([1, 2, 3, 4], [1, 2, 3, 4])
    assert acc == pytest.approx(0.5)
    assert best_threshold([0.0, 1.0, 6.0], [2.0, 5.0])[0] == pytest.approx(0.5 * (2 / 3 + 1.0))


def test_the_attack_is_read_by_what_comes_before_the_note():
    y, _ = phrase(0.0, ramp_s=0.12)
    found = attack_by_preceding(y, CONFIG, SR)
    kinds = [k for k, _ in found]
    assert kinds == ["silence", "sound"]
    # a linear 120-ms ramp is within 3 dB of its peak at 0.707 of it, 85 ms after its start; the
    # onset is found up to half a frame (23 ms) before the start (YIN reads each frame's later half)
    assert 70.0 < found[0][1] < 120.0
    assert found[1][1] < 20.0  # a legato change: the level is already up


def test_the_command_reads_rendered_phrases_and_a_corpus(tmp_path, capsys):
    import json

    import soundfile as sf

    from lab.articulation import main

    corpus = tmp_path / "violin"
    corpus.mkdir()
    sf.write(corpus / "v0.wav", phrase(0.06, ramp_s=0.12)[0], SR)
    (corpus / "corpus.json").write_text(json.dumps({"instrument": "violin", "files": [{"file": "v0.wav"}]}))
    out = tmp_path / "a.json"
    assert main(["--sources", "voice", "--n-phrases", "2", "--seconds", "4", "--corpus", str(corpus),
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| voice | legato |" in printed or "| voice | adjacent |" in printed
    report = json.loads(out.read_text())
    notes = sum(k["notes"] for k in report["voice"].values() if "notes" in k)
    assert notes >= 3
    assert report["corpus_attack_ms"]["silence"] > 50.0  # the ramped first note


def test_the_learned_cue_finds_a_cue_that_is_there_and_none_that_is_not():
    from lab.articulation import learned_separation

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 12))
    groups = np.repeat(np.arange(20), 10)
    y = X[:, 3] + 0.3 * rng.standard_normal(200) > 0  # one feature carries the kind
    assert learned_separation(X, y, groups, l2=1.0) > 0.85
    shuffled = rng.permutation(y)
    assert abs(learned_separation(X, shuffled, groups, l2=1.0) - 0.5) < 0.15
