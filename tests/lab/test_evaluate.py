"""Properties of `bridge eval`'s measures (lab/): Fréchet distance, pitch accuracy, the classifier, the pair pipeline."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from bridge.errors import ParameterError
from lab import evaluate as ev
from lab.classifier import Classifier
from lab.features import HOP_FRAMES, WINDOW_FRAMES, feature_names, window_features
from lab.frechet import frechet_distance, frechet_from_stats
from lab.judge import Judge
from lab.phrases import make_phrases
from lab.pitch import pitch_accuracy, pitch_counts, pitch_scores, pitch_track
from lab.table import aim_lines, format_table, json_safe
from support import harmonic_tone

SR = 22050


# -- Fréchet distance -------------------------------------------------------------------------
def test_frechet_of_a_set_with_itself_is_zero_and_grows_with_a_mean_shift(rng):
    x = rng.standard_normal((400, 6)) @ rng.standard_normal((6, 6))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
    shifts = [0.25, 0.5, 1.0, 2.0]
    d = [frechet_distance(x, x + s) for s in shifts]
    # Same covariance: the distance is exactly the squared mean shift, 6 s^2.
    np.testing.assert_allclose(d, [6 * s**2 for s in shifts], rtol=1e-6)
    assert all(a < b for a, b in zip(d, d[1:]))


def test_frechet_matches_closed_forms(rng):
    # Diagonal covariances: |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2.
    d = frechet_from_stats([0.0, 0.0], np.diag([1.0, 4.0]), [1.0, 2.0], np.diag([4.0, 9.0]))
    assert d == pytest.approx(5.0 + (1 - 2) ** 2 + (2 - 3) ** 2, rel=1e-9)
    # C2 = a C1 (commuting, non-diagonal): tr(C1) (1 - sqrt(a))^2.
    A = rng.standard_normal((5, 5))
    C1 = A @ A.T + 0.5 * np.eye(5)
    assert frechet_from_stats(np.zeros(5), C1, np.zeros(5), 4.0 * C1) == pytest.approx(np.trace(C1), rel=1e-7)
    # Symmetric in its arguments for general SPD matrices.
    B = rng.standard_normal((5, 5))
    C2 = B @ B.T + 0.1 * np.eye(5)
    m1, m2 = rng.standard_normal(5), rng.standard_normal(5)
    assert frechet_from_stats(m1, C1, m2, C2) == pytest.approx(frechet_from_stats(m2, C2, m1, C1), rel=1e-7)


def test_frechet_of_gaussian_samples_approaches_the_population_value(rng):
    a = rng.standard_normal((20000, 3))
    b = 2.0 * rng.standard_normal((20000, 3)) + np.array([1.0, 0.0, 0.0])
    # population: 1 + 3 (2 - 1)^2 = 4
    assert frechet_distance(a, b) == pytest.approx(4.0, rel=0.05)


def test_frechet_rejects_mismatched_sets():
    with pytest.raises(ParameterError, match="feature sizes"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ParameterError, match="at least 2 rows"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


# -- pitch --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_pitch_accuracy_of_a_tone_with_itself_is_one_and_a_semitone_away_is_zero():
    a = harmonic_tone(220.0, 1.5, SR)
    assert pitch_accuracy(a, a, SR) == pytest.approx(1.0)
    up = harmonic_tone(220.0 * 2 ** (1 / 12), 1.5, SR)
    assert pitch_accuracy(a, up, SR) < 0.05
    # The tolerance is 50 cents and the tracks resolve a few cents (not pYIN's 25-cent grid).
    assert pitch_accuracy(a, harmonic_tone(220.0 * 2 ** (0.4 / 12), 1.5, SR), SR) > 0.95
    assert pitch_accuracy(a, harmonic_tone(220.0 * 2 ** (0.6 / 12), 1.5, SR), SR) < 0.05


def test_octave_errors_count_for_pitch_but_not_for_chroma():
    ref = pitch_track(harmonic_tone(220.0, 1.5, SR), SR)
    out = pitch_track(harmonic_tone(440.0, 1.5, SR), SR)
    s = pitch_scores([pitch_counts(ref, out)])
    assert s["pitch_accuracy"] < 0.05
    assert s["chroma_accuracy"] > 0.95


def test_pitch_scores_follow_their_definitions_on_known_tracks():
    f = np.full(10, 200.0)
    v_ref = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0], bool)
    v_out = np.array([1, 1, 1, 1, 0, 0, 1, 0, 0, 0], bool)
    f_out = f.copy()
    f_out[1] = 200.0 * 2 ** (40 / 1200)  # 40 cents: a hit
    f_out[2] = 200.0 * 2 ** (60 / 1200)  # 60 cents: a miss
    f_out[3] = 400.0  # an octave: a pitch miss, a chroma hit
    c = pitch_counts((np.where(v_ref, f, np.nan), v_ref), (np.where(v_out, f_out, np.nan), v_out))
    s = pitch_scores([c, c])  # pooling two identical phrases changes nothing
    assert s["pitch_accuracy"] == pytest.approx(2 / 6)
    assert s["pitch_given_voiced"] == pytest.approx(2 / 4)
    assert s["chroma_accuracy"] == pytest.approx(3 / 6)
    assert s["voicing_agreement"] == pytest.approx(4 / 7)
    assert s["voicing_recall"] == pytest.approx(4 / 6)
    assert math.isnan(pitch_scores([pitch_counts((f, np.zeros(10, bool)), (f, v_out))])["pitch_accuracy"])


# -- features and classifier --------------------------------------------------------------------
def _synthetic(kind: str, f0: float, seconds: float = 3.0) -> np.ndarray:
    """'bowed': sustained, odd harmonics, vibrato; 'plucked': fast decays, bright, every 0.5 s."""
    t = np.arange(int(seconds * SR)) / SR
    if kind == "bowed":
        phase = 2 * np.pi * f0 * t + 0.3 * np.sin(2 * np.pi * 5.5 * t)
        y = sum(np.sin(k * phase) / k for k in range(1, 12, 2))
    else:
        env = np.exp(-((t % 0.5) / 0.08))
        y = env * sum(np.sin(2 * np.pi * f0 * k * t) / k**0.5 for k in range(1, 12))
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def test_window_features_are_level_independent_and_skip_silence():
    y = _synthetic("bowed", 330.0)
    a, b = window_features(y, SR), window_features(0.05 * y, SR)
    assert a.shape == b.shape and a.shape[1] == len(feature_names())
    assert len(a) == int((len(y) / 256 + 1 - WINDOW_FRAMES) // HOP_FRAMES) + 1
    np.testing.assert_allclose(a, b, atol=1e-6 * np.abs(a).max())
    assert window_features(np.zeros(SR * 2, np.float32), SR).shape == (0, len(feature_names()))
    # Windows of silence after a sound are skipped; the sound's are kept.
    padded = np.concatenate([y, np.zeros(3 * SR, np.float32)])
    assert len(a) <= len(window_features(padded, SR)) < len(a) + 8
    # Other rates are resampled to the analysis rate first.
    assert abs(len(window_features(y[::2], SR // 2)) - len(a)) <= 1


def test_classifier_separates_two_synthetic_instruments_at_unseen_pitches():
    train = [(k, f) for k in ("bowed", "plucked") for f in (196.0, 262.0, 392.0)]
    test = [(k, f) for k in ("bowed", "plucked") for f in (233.0, 330.0)]
    X = [window_features(_synthetic(k, f), SR) for k, f in train]
    clf = Classifier.fit(np.concatenate(X), np.concatenate([[k] * len(x) for (k, _), x in zip(train, X)]),
                            ("bowed", "plucked"))
    for kind, f0 in test:
        p = clf.predict_proba(window_features(_synthetic(kind, f0), SR))
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
        assert p[:, clf.index(kind)].mean() > 0.9, (kind, f0)


def test_classifier_fits_gaussian_classes_and_survives_a_save_round_trip(rng):
    centres = np.array([[0, 0, 0, 0], [3, 0, 0, 0], [0, 3, 0, 0]], float)
    labels = np.repeat(["a", "b", "c"], 200)
    X = centres[np.repeat(np.arange(3), 200)] + rng.standard_normal((600, 4))
    X = np.hstack([X, np.ones((600, 1))])  # a constant column must not break standardisation
    clf = Classifier.fit(X, labels, l2=1e-3)
    assert clf.classes == ("a", "b", "c")
    assert np.mean(clf.predict(X) == labels) > 0.9
    assert clf.embed(X).shape == (600, 3)
    np.testing.assert_allclose(clf.embed(X).sum(axis=1), 0.0, atol=1e-9)
    back = Classifier.from_arrays(clf.to_arrays())
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ParameterError, match="at least two classes"):
        Classifier.fit(X, np.repeat("a", 600))
    with pytest.raises(ParameterError, match="expected shape"):
        clf.predict_proba(X[:, :3])
    with pytest.raises(ParameterError, match="knows"):
        clf.index("tuba")


def _toy_judge(classes=("violin", "guitar")) -> Judge:
    kinds = {"violin": "bowed", "guitar": "plucked"}
    feats = {c: np.concatenate([window_features(_synthetic(kinds[c], f), SR) for f in (220.0, 330.0)])
             for c in classes}
    X = np.concatenate(list(feats.values()))
    y = np.concatenate([[c] * len(v) for c, v in feats.items()])
    clf = Classifier.fit(X, y, classes)
    return Judge(clf, feats, {})


def _command_judge() -> Judge:
    """The toy judge with the report the eval command prints."""
    judge = _toy_judge()
    judge.report = {"model": "toy", "train_soundfonts": ["a.sf2", "b.sf2"], "holdout_soundfont": "c.sf2",
                    "accuracy": 0.5, "windows": 10, "phrase_accuracy": 0.5, "phrases": 2,
                    "recall": {"violin": 0.5, "guitar": 0.5}}
    return judge


def test_judge_scores_a_system_and_the_table_shows_it(tmp_path):
    judge = _toy_judge()
    ref = [_synthetic("plucked", 262.0)]
    tracks = [pitch_track(y, SR) for y in ref]
    good = judge.score([_synthetic("bowed", 262.0)], SR, "violin", tracks)
    bad = judge.score(ref, SR, "violin", tracks)
    assert good["target_prob"] > 0.9 > 0.1 > bad["target_prob"]
    assert good["frechet"] < bad["frechet"] and good["frechet_features"] < bad["frechet_features"]
    assert bad["pitch_accuracy"] == pytest.approx(1.0)
    assert good["predicted"] == "violin" and bad["predicted"] == "guitar"
    path = tmp_path / "j.npz"
    judge.save(path)
    again = Judge.load(path).score(ref, SR, "violin", tracks)
    assert again["target_prob"] == pytest.approx(bad["target_prob"])
    table = format_table([{"pair": "guitar->violin", "system": "oracle", **good}])
    assert table.splitlines()[2].startswith("| guitar->violin | oracle | - | - | ")


# -- arguments --------------------------------------------------------------------------------
def test_pairs_and_lists_are_parsed_with_clear_errors():
    assert ev.parse_pairs("guitar:violin, violin:guitar") == [("guitar", "violin"), ("violin", "guitar")]
    for bad, msg in (("guitar-violin", "SRC:TGT"), ("kick:violin", "not melodic"), ("guitar:tuba", "tuba"),
                     ("", "at least one")):
        with pytest.raises(ParameterError, match=msg):
            ev.parse_pairs(bad)
    assert ev._parse_list("0.3, 0.5", float, "strength") == [0.3, 0.5]
    assert ev._parse_list(None, float, "strength") == [None]
    with pytest.raises(ParameterError, match="--steps"):
        ev._parse_list("8,many", int, "steps")


def test_cli_parses_eval_arguments():
    from lab.cli import eval_parser

    args = eval_parser().parse_args(["--pairs", "guitar:violin", "--strength", "0.3,0.5", "--n-phrases", "2",
                                     "--work", "w", "--json", "o.json", "--models", "m"])
    assert (args.pairs, args.strength, args.n_phrases, args.json_out, args.models) == (
        "guitar:violin", "0.3,0.5", 2, "o.json", ["m"])


def test_eval_command_rejects_inconsistent_arguments(tmp_path):
    from lab.cli import eval_parser

    for argv, msg in ((["--input", "x.wav"], "--target"), (["--target", "violin"], "--input"),
                      (["--input", "x.wav", "--target", "kick"], "--target")):
        with pytest.raises(ParameterError, match=msg):
            ev.eval_command(eval_parser().parse_args(["--work", str(tmp_path), *argv]))


# -- the pair pipeline (real FluidSynth renders, tiny real ONNX models) ------------------------
needs_fluidsynth = pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").is_file(),
    reason="needs fluidsynth and FluidR3_GM.sf2")


@needs_fluidsynth
def test_make_phrases_renders_one_melody_on_both_instruments():
    phrases = make_phrases("guitar", "violin", 1, 2.0, seed=3, sample_rate=SR)
    p = phrases[0]
    assert p.input.shape == p.oracle.shape == (int(3.0 * SR),)
    assert all(55 <= n[2] <= 79 for n in p.notes)  # the range both instruments share
    assert len({n[0] for n in p.notes}) == len(p.notes)  # monophonic: no two notes start together
    assert make_phrases("guitar", "violin", 1, 2.0, seed=3, sample_rate=SR)[0].notes == p.notes


@needs_fluidsynth
def test_evaluate_pair_scores_identity_oracle_and_transfer(tiny_models, tmp_path):
    from bridge.config import Preset

    judge = _toy_judge()
    presets = ev.transfer_settings(Preset(target="violin"), [0.3], [2], 0)
    rows = ev.evaluate_pair("guitar", "violin", tiny_models, presets, judge, n_phrases=1, seconds=2.0,
                            audio_dir=tmp_path)
    assert [r["system"] for r in rows] == ["identity", "oracle", "eq", "transfer"]
    ident, oracle, eq, tr = rows
    assert ident["pitch_accuracy"] == 1.0 and ident["voicing_agreement"] == 1.0
    assert oracle["pitch_accuracy"] > 0.5  # the same notes on another instrument
    assert (tr["strength"], tr["steps"]) == (0.3, 2)
    assert all(0.0 <= r["target_prob"] <= 1.0 and r["windows"] > 0 for r in rows)
    # note level: the guitar's plucks decay, the violin's bow holds; the EQ'd guitar still decays like the guitar
    assert ident["notes_measured"] > 0 and ident["decay_db_s"] < oracle["decay_db_s"]
    assert abs(eq["decay_db_s"] - ident["decay_db_s"]) < abs(oracle["decay_db_s"] - ident["decay_db_s"]) / 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input_0.wav", "oracle_0.wav", "spectrograms_s0.3_n2.png",
                                                          "transfer_s0.3_n2_0.wav"]
    # Another run of the pair (other steps) keeps the first one's picture and adds its own.
    ev.evaluate_pair("guitar", "violin", tiny_models, ev.transfer_settings(Preset(target="violin"), [0.3], [1], 0),
                     judge, n_phrases=1, seconds=2.0, audio_dir=tmp_path)
    assert {"spectrograms_s0.3_n2.png", "spectrograms_s0.3_n1.png"} <= {p.name for p in tmp_path.iterdir()}
    json.dumps(json_safe(rows))
    # Two presets with the same settings in one run (a morph beside the plain target): two takes, not one.
    twins = [Preset(target="violin", name="plain").with_params(strength=0.3, steps=1),
             Preset(target="violin", name="with flute").with_params(strength=0.3, steps=1, morph_with="flute", morph=0.5)]
    out = tmp_path / "twins"
    rows = ev.evaluate_pair("guitar", "violin", tiny_models, twins, judge, n_phrases=1, seconds=2.0, audio_dir=out)
    takes = sorted(p.name for p in out.glob("transfer_*.wav"))
    assert takes == ["transfer_s0.3_n1_0.wav", "transfer_s0.3_n1_with-flute_0.wav"]
    assert (out / "spectrograms_s0.3_n1+s0.3_n1_with-flute.png").is_file()


def test_aim_lines_compare_transfer_with_the_oracle():
    rows = [{"pair": "g->v", "system": "oracle", "target_prob": 0.8},
            {"pair": "g->v", "system": "transfer", "strength": 0.5, "steps": 8, "target_prob": 0.6,
             "pitch_accuracy": 0.93}]
    (line,) = aim_lines(rows)
    assert rows[1]["target_vs_oracle"] == pytest.approx(0.75) and rows[1]["pitch_ok"] is True
    assert "0.75 x oracle's 0.800" in line and ">= 0.9" in line


@needs_fluidsynth
def test_eval_command_end_to_end_with_tiny_models(tiny_model_dir, tmp_path, monkeypatch, capsys):
    """The command (arguments, presets, table, JSON, audio) with tiny models and a toy judge."""
    from lab.cli import eval_main

    monkeypatch.setattr(ev, "build_judge", lambda *a, **k: _command_judge())
    toy_cnn = _toy_cnn()
    monkeypatch.setattr(ev, "_cnn_judge", lambda *a, **k: toy_cnn)
    out = tmp_path / "r.json"
    rc = eval_main(["--pairs", "guitar:violin", "--n-phrases", "1", "--seconds", "2", "--strength", "0.3,0.6",
                    "--steps", "2", "--controls", "on,off", "--inversion", "harmonic,envelope", "--work", str(tmp_path),
                    "--json", str(out), "--models", str(tiny_model_dir), "--provider", "cpu", "--threads", "1"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "accuracy on unseen c: 0.500" in text
    assert "| guitar->violin | transfer | violin | controls/harmonic | 0.60 | 2 |" in text
    assert "| guitar->violin | transfer | violin | seed/envelope | 0.30 | 2 |" in text  # the seed's method, its own row
    result = json.loads(out.read_text())
    assert [r["system"] for r in result["rows"]] == ["identity", "oracle", "eq"] + ["transfer"] * 8
    assert all(0.0 <= r["target_prob_cnn"] <= 1.0 for r in result["rows"]) and "CNN judge: trained on" in text
    assert result["rows"][3]["preset"] == "guitar-to-violin"  # the shipped pair preset, strength overridden
    assert (tmp_path / "guitar-violin" / "transfer_s0.6_n2_controls_harmonic_0.wav").is_file()
    assert (tmp_path / "guitar-violin" / "transfer_s0.6_n2_0.wav").is_file()  # seed/envelope keeps its old name


def _toy_cnn():
    """The CNN judge's network untrained (its column and plumbing, not its accuracy)."""
    import torch

    from lab.cnn_judge import CnnJudge, _network

    torch.manual_seed(0)
    return CnnJudge(_network(), {"train_soundfonts": ["a.sf2", "b.sf2"], "holdout_soundfont": "c.sf2",
                                 "accuracy": 0.5, "accuracy_under_random_eq": 0.4, "patches": 10})


def test_note_level_gap_closed_from_the_input_towards_the_oracle():
    rows = [{"pair": "v->g", "system": "identity", "target_prob": 0.1, "decay_db_s": 0.0, "attack_ms": 80.0},
            {"pair": "v->g", "system": "oracle", "target_prob": 0.9, "decay_db_s": -20.0, "attack_ms": 5.0},
            {"pair": "v->g", "system": "transfer", "strength": 0.5, "steps": 4, "target_prob": 0.5,
             "pitch_accuracy": 0.9, "decay_db_s": -18.0, "attack_ms": 65.0}]
    lines = aim_lines(rows)
    assert rows[2]["decay_db_s_gap_closed"] == pytest.approx(0.9) and rows[2]["attack_ms_gap_closed"] == pytest.approx(0.2)
    assert "decay_db_s 90%" in lines[1] and "attack_ms 20% (< 75%)" in lines[1]


def test_a_value_just_under_the_aim_never_prints_as_the_aim():
    from lab.table import aim_lines

    rows = [{"pair": "g:v", "system": "oracle", "target_prob": 0.8},
            {"pair": "g:v", "system": "transfer", "target_prob": 0.4, "strength": 0.5, "steps": 8,
             "pitch_accuracy": 0.89988}]
    (line,) = aim_lines(rows)
    assert "pitch accuracy 0.8999 < 0.9" in line
    rows[1]["pitch_accuracy"] = 0.95
    assert "pitch accuracy 0.950 >= 0.9" in aim_lines(rows)[0]


def test_the_seed_presets_load_and_use_the_seeds_method():
    """lab/seed_presets: the rows that show what the controls and the harmonic inversion gain."""
    from bridge.presets import resolve_preset
    from support import ROOT

    paths = sorted((ROOT / "lab" / "seed_presets").glob("*.yaml"))
    assert len(paths) == 3
    for path in paths:
        p = resolve_preset(str(path))
        assert not p.sampler.controls and p.render.inversion == "envelope" and p.sampler.strength <= 0.6


@needs_fluidsynth
def test_eval_loads_the_model_a_preset_morphs_with(tiny_model_dir, tmp_path, monkeypatch, capsys):
    from lab.cli import eval_main

    monkeypatch.setattr(ev, "build_judge", lambda *a, **k: _command_judge())
    preset = tmp_path / "strings.yaml"
    preset.write_text("target: violin\nsampler: {strength: 0.3, steps: 1}\nrender: {morph_with: flute, morph: 0.5}\n")
    rc = eval_main(["--pairs", "guitar:violin", "--n-phrases", "1", "--seconds", "2", "--preset", str(preset),
                    "--work", str(tmp_path), "--no-cnn", "--models", str(tiny_model_dir), "--provider", "cpu"])
    assert rc == 0
    assert "| guitar->violin | transfer | violin | seed/envelope | 0.30 | 1 |" in capsys.readouterr().out
