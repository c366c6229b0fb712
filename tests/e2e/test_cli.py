"""The offline commands as a user runs them: outputs, and errors that name the bad value."""

import os
import subprocess
import sys

import numpy as np
import soundfile as sf

from support import ROOT, harmonic_tone


def bridge(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "bridge.cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=str(ROOT))


def test_transfer_keeps_length_rate_and_channels(tmp_path, tiny_model_dir):
    y = harmonic_tone(196, 2.0, 44100)
    sf.write(tmp_path / "in.wav", np.stack([y, 0.5 * y]).T, 44100, subtype="PCM_16")
    r = bridge("transfer", str(tmp_path / "in.wav"), "--to", "violin", "--strength", "0.4", "--steps", "3",
               "--seed", "2", "-o", str(tmp_path / "out.wav"), "--models", str(tiny_model_dir), "--provider", "cpu")
    assert r.returncode == 0, r.stderr
    out, sr = sf.read(tmp_path / "out.wav")
    assert sr == 44100 and out.shape == (len(y), 2) and np.isfinite(out).all()
    assert "strength 0.4, steps 3, seed 2, provider cpu" in r.stdout


def test_transfer_with_a_preset_file_and_overrides(tmp_path, tiny_model_dir):
    sf.write(tmp_path / "in.flac", harmonic_tone(330, 1.0, 22050), 22050)
    (tmp_path / "mine.yaml").write_text("target: cello\nsampler: {strength: 0.3, steps: 2}\n")
    r = bridge("transfer", str(tmp_path / "in.flac"), "--preset", str(tmp_path / "mine.yaml"), "--steps", "4",
               "-o", str(tmp_path / "o.wav"), "--models", str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    assert "target cello, strength 0.3, steps 4" in r.stdout


def test_transfer_errors(tmp_path, tiny_model_dir):
    r = bridge("transfer", str(tmp_path / "nope.wav"), "--to", "violin", "-o", str(tmp_path / "o.wav"))
    assert r.returncode == 1 and "nope.wav: no such file" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEjunk")
    r = bridge("transfer", str(tmp_path / "bad.wav"), "--to", "violin", "-o", str(tmp_path / "o.wav"))
    assert r.returncode == 1 and "cannot read audio" in r.stderr
    sf.write(tmp_path / "in.wav", harmonic_tone(330, 0.5, 22050), 22050)
    r = bridge("transfer", str(tmp_path / "in.wav"), "--to", "violin", "--strength", "2", "-o",
               str(tmp_path / "o.wav"), "--models", str(tiny_model_dir))
    assert r.returncode == 2 and "strength: expected at most 1.0, got 2.0" in r.stderr
    r = bridge("transfer", str(tmp_path / "in.wav"), "--to", "tuba", "-o", str(tmp_path / "o.wav"),
               "--models", str(tiny_model_dir))
    assert r.returncode == 3 and "unknown name 'tuba'; available:" in r.stderr


def test_generate_and_pair(tmp_path, tiny_model_dir):
    r = bridge("generate", "--model", "kick", "-n", "3", "--steps", "4", "-o", str(tmp_path / "kicks"),
               "--models", str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    files = sorted((tmp_path / "kicks").glob("*.wav"))
    assert len(files) == 3
    r = bridge("pair", "--with", "guitar,violin", "--steps", "6", "--seconds", "1", "--mix", "-o",
               str(tmp_path / "pairs"), "--models", str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "pairs").glob("*.wav"))
    assert names == ["pair_0_guitar.wav", "pair_0_mix.wav", "pair_0_violin.wav"]
    r = bridge("pair", "--with", "guitar", "-o", str(tmp_path / "p2"), "--models", str(tiny_model_dir))
    assert r.returncode == 2 and "expected two model names" in r.stderr


def test_accompany(tmp_path, tiny_model_dir):
    y = harmonic_tone(220, 2.0, 44100, amp=0.2)
    sf.write(tmp_path / "vocal.wav", y, 44100)
    r = bridge("accompany", str(tmp_path / "vocal.wav"), "--with", "violin,cello", "--steps", "3", "--stems",
               "-o", str(tmp_path / "song.wav"), "--models", str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    song, sr = sf.read(tmp_path / "song.wav")
    assert sr == 44100 and len(song) == len(y) and np.abs(song).max() <= 0.9
    assert (tmp_path / "song_violin.wav").is_file() and (tmp_path / "song_cello.wav").is_file()


def test_models_and_presets_listing(tiny_model_dir):
    r = bridge("models", "--models", str(tiny_model_dir))
    assert r.returncode == 0 and "violin" in r.stdout and "kick" in r.stdout
    r = bridge("presets")
    assert r.returncode == 0 and "guitar-to-violin" in r.stdout
    r = bridge("presets", "guitar-to-violin")
    assert "lookbehind: 0.625" in r.stdout


def test_help_is_quick_and_complete():
    r = bridge("--help")
    for cmd in ("serve", "live", "transfer", "generate", "pair", "accompany", "sweep", "eval", "bench", "models",
                "presets", "corpus", "train", "export"):
        assert cmd in r.stdout


def test_every_option_says_what_it_does():
    """`bridge COMMAND --help` explains every option (the runtime's commands and training's)."""
    import argparse

    import pytest

    pytest.importorskip("torch")
    from bridge.cli import build_parser
    from export.train import build_parser as train_parser

    parser, _ = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    parsers = dict(subs, train=train_parser())
    bare = [(name, a.option_strings or a.dest) for name, p in parsers.items() for a in p._actions
            if not a.help and a.dest != "help"]
    assert bare == []


def test_generate_refuses_zero_or_negative_counts_with_the_range(tmp_path, tiny_model_dir):
    for n in ("0", "-3"):
        r = bridge("generate", "--model", "kick", "-n", n, "-o", str(tmp_path), "--models", str(tiny_model_dir))
        assert r.returncode == 2 and f"n: expected at least 1, got {n}" in r.stderr and "Traceback" not in r.stderr


def test_every_render_and_sampler_parameter_is_an_option_that_reaches_the_preset():
    # The same names as preset YAML and /bridge/param/set (config.PARAMS), so a parameter added
    # there is a `bridge transfer` option too; each one overrides the preset's value.
    import pytest

    from bridge.cli import build_parser, preset_from_args
    from bridge.config import PARAMS
    from bridge.errors import ParameterError

    parser, _ = build_parser()
    args = parser.parse_args(["transfer", "in.wav", "-o", "o.wav", "--preset", "voice-to-violin", "--vibrato", "2.5",
                              "--pitch", "semitone", "--loudness", "span", "--noise", "fill", "--no-match-loudness",
                              "--no-student", "--overlap", "0.1", "--silence-db", "-50", "--strength", "0.7"])
    p = preset_from_args(args, None)
    assert (p.render.vibrato, p.render.pitch, p.render.loudness, p.render.noise, p.render.match_loudness,
            p.sampler.student, p.render.overlap, p.render.silence_db, p.sampler.strength) == (
        2.5, "semitone", "span", "fill", False, False, 0.1, -50.0, 0.7)
    assert p.render.inversion == "harmonic"  # what was not given stays the preset's
    options = {a.dest for a in parser._subparsers._group_actions[0].choices["transfer"]._actions}
    assert {n for n, s in PARAMS.items() if s.section in ("sampler", "render")} <= options
    with pytest.raises(ParameterError, match="vibrato: expected at most 3.0, got 9.0"):
        preset_from_args(parser.parse_args(["transfer", "in.wav", "-o", "o.wav", "--vibrato", "9"]), "violin")
