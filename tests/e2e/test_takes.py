"""A musician's files: never written over an input, an existing take replaced only when asked, atomic writes,
the input's sample format kept, and every long command run under a real (pseudo-)terminal."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from bridge import audio_io
from bridge.errors import AudioFileError
from support import ROOT, harmonic_tone, run_in_terminal

ENV = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")


def bridge(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "bridge", *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout, cwd=str(ROOT))


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def take(tmp_path):
    path = tmp_path / "take.wav"
    sf.write(path, harmonic_tone(196, 1.5, 22050), 22050, subtype="PCM_24")
    return path


def test_transfer_never_writes_over_its_input(take, tiny_model_dir):
    before = digest(take)
    for flags in ((), ("-y",)):
        r = bridge("transfer", str(take), "--to", "violin", "-o", str(take), *flags, "--models", str(tiny_model_dir))
        assert r.returncode == 1 and "is the input" in r.stderr and "refusing to write over it" in r.stderr
        assert digest(take) == before
    link = take.with_name("same.wav")
    os.link(take, link)  # another name for the same file: compared by inode
    r = bridge("transfer", str(take), "--to", "violin", "-o", str(link), "-y", "--models", str(tiny_model_dir))
    assert r.returncode == 1 and "is the input" in r.stderr and digest(take) == before


def test_an_existing_output_is_replaced_only_with_overwrite(take, tmp_path, tiny_model_dir):
    out = tmp_path / "violin.wav"
    sf.write(out, np.zeros(100, np.float32), 22050)
    before = digest(out)
    r = bridge("transfer", str(take), "--to", "violin", "-o", str(out), "--models", str(tiny_model_dir))
    assert r.returncode == 1 and "exists; pass -y/--overwrite to replace it" in r.stderr
    assert digest(out) == before
    assert "execution provider" not in r.stderr  # refused before any model was loaded
    r = bridge("transfer", str(take), "--to", "violin", "-o", str(out), "--overwrite", "--models", str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    assert sf.info(out).frames == sf.info(take).frames
    assert not list(tmp_path.glob(".*.part"))  # no temporary left behind


def test_generate_and_pair_refuse_existing_clips(tmp_path, tiny_model_dir):
    r = bridge("generate", "--model", "kick", "-n", "2", "--steps", "3", "-o", str(tmp_path), "--models",
               str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    first = {p.name: digest(p) for p in tmp_path.glob("*.wav")}
    assert len(first) == 2
    assert f"created folder {tmp_path}" not in r.stderr  # it existed
    r = bridge("generate", "--model", "kick", "-n", "2", "--steps", "3", "-o", str(tmp_path), "--models",
               str(tiny_model_dir))
    assert r.returncode == 1 and "exists; pass -y/--overwrite" in r.stderr
    assert {p.name: digest(p) for p in tmp_path.glob("*.wav")} == first
    r = bridge("pair", "--with", "guitar,violin", "--steps", "4", "--seconds", "0.5", "-o", str(tmp_path / "p"),
               "--models", str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    assert f"created folder {tmp_path / 'p'}" in r.stderr  # said, not silent
    r = bridge("pair", "--with", "guitar,violin", "--steps", "4", "--seconds", "0.5", "-o", str(tmp_path / "p"),
               "--models", str(tiny_model_dir))
    assert r.returncode == 1 and "exists" in r.stderr


def test_the_input_sample_format_is_kept_unless_asked(take, tmp_path, tiny_model_dir):
    r = bridge("transfer", str(take), "--to", "violin", "-o", str(tmp_path / "a.wav"), "--models", str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    assert sf.info(tmp_path / "a.wav").subtype == "PCM_24"
    r = bridge("transfer", str(take), "--to", "violin", "-o", str(tmp_path / "b.wav"), "--subtype", "FLOAT",
               "--models", str(tiny_model_dir))
    assert r.returncode == 0, r.stderr
    assert sf.info(tmp_path / "b.wav").subtype == "FLOAT"


@pytest.mark.parametrize("dir_fd", [True, False], ids=["dir-fd", "by-path (Windows)"])
def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch, dir_fd):
    monkeypatch.setattr(audio_io, "_DIR_FD", dir_fd and audio_io._DIR_FD)
    out = tmp_path / "keep.wav"
    sf.write(out, np.full(64, 0.25, np.float32), 22050)
    before = digest(out)
    real = sf.write

    def dies_half_way(file, data, *a, **kw):
        real(file, data[: len(data) // 2], *a, **kw)
        raise KeyboardInterrupt  # the user pressed Ctrl-C during the write

    monkeypatch.setattr(sf, "write", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        audio_io.write(out, np.zeros(22050, np.float32), 22050, overwrite=True)
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]
    monkeypatch.setattr(sf, "write", real)
    with pytest.raises(AudioFileError, match="exists; pass -y/--overwrite"):
        audio_io.write(out, np.zeros(10, np.float32), 22050, overwrite=False)


def test_over_osc_a_file_job_never_replaces_its_input_or_an_existing_take(daemon, files_dir):
    src = files_dir / "osc-take.wav"
    sf.write(src, harmonic_tone(220, 1.0, 22050), 22050)
    existing = files_dir / "osc-existing.wav"
    sf.write(existing, np.zeros(100, np.float32), 22050)
    hashes = {p: digest(p) for p in (src, existing)}
    c = daemon.client()
    for out, why in ((src, "is the input"), (existing, "exists; pass -y/--overwrite")):
        c.send("/bridge/file/process", "safe", str(src), str(out))
        err = c.expect("/bridge/error")
        assert err[0] == "/bridge/file/process" and err[1] == "file" and why in err[2], err
    c.send("/bridge/file/process", "safe", str(src), str(src), "", 1)  # overwrite never covers the input
    assert "is the input" in c.expect("/bridge/error")[2]
    assert {p: digest(p) for p in hashes} == hashes
    c.send("/bridge/file/process", "safe", str(src), str(existing), "", 1)
    done = c.expect("/bridge/file/done", timeout=120)
    assert done[0] == "safe" and digest(existing) != hashes[existing] and digest(src) == hashes[src]
    assert sf.info(existing).subtype == sf.info(src).subtype == "PCM_16"  # the take's format, kept
    c.send("/bridge/generate", "kick", "safe-hit", str(existing), 1)
    assert "exists" in c.expect("/bridge/error")[2]
    # NaN in a take: said once, with the count, and the job still finishes
    y = harmonic_tone(220, 1.0, 22050)
    y[1000:1005] = np.nan
    sf.write(files_dir / "nan-take.wav", y, 22050, subtype="FLOAT")
    c.send("/bridge/file/process", "nan", str(files_dir / "nan-take.wav"), str(files_dir / "nan-out.wav"))
    err = c.expect("/bridge/error", timeout=60)
    assert err[1] == "audio" and "5 NaN/Inf samples in nan-take.wav treated as silence" in err[2]
    assert c.expect("/bridge/file/done", timeout=120)[0] == "nan"
    assert np.isfinite(sf.read(files_dir / "nan-out.wav")[0]).all()
    c.close()


@pytest.mark.slow
def test_long_commands_work_in_a_real_terminal(tmp_path, tiny_model_dir):
    """Under a terminal the progress bars draw; they must reach the end and the outputs be written."""
    vocal = tmp_path / "vocal.wav"
    sf.write(vocal, harmonic_tone(220, 3.0, 44100), 44100)
    models = ("--models", str(tiny_model_dir), "--provider", "cpu")
    cases = {
        "transfer": (("transfer", str(vocal), "--to", "violin", "--steps", "3", "-o", str(tmp_path / "t.wav"),
                      *models), [tmp_path / "t.wav"]),
        "accompany": (("accompany", str(vocal), "--with", "violin,guitar", "--steps", "3", "-o",
                       str(tmp_path / "song.wav"), *models), [tmp_path / "song.wav"]),
        "generate": (("generate", "--model", "kick", "-n", "2", "--steps", "3", "-o", str(tmp_path / "g"), *models),
                     [tmp_path / "g" / "kick_0_000.wav", tmp_path / "g" / "kick_0_001.wav"]),
        "pair": (("pair", "--with", "guitar,violin", "--steps", "4", "--seconds", "0.5", "-o", str(tmp_path / "p"),
                  *models), [tmp_path / "p" / "pair_0_guitar.wav"]),
        "corpus": (("corpus", "--from-folder", str(tmp_path), "--name", "vox", "--minutes", "0.05", "-o",
                    str(tmp_path / "corpus")), [tmp_path / "corpus" / "vox" / "vox_00000.wav"]),
        # the first sweep builds its judge (FluidSynth renders and a classifier): the longest command here
        # (--no-cnn: the CNN judge's build takes minutes more; tests/lab covers it)
        "sweep": (("sweep", str(vocal), "--to", "violin", "--strengths", "0.5", "--steps-list", "2", "-o",
                   str(tmp_path / "sweep"), "--work", str(tmp_path / "work"), "--no-cnn", *models),
                  [tmp_path / "sweep" / "sweep.json"]),
    }
    for name, (args, outputs) in cases.items():
        code, text = run_in_terminal(*args)
        assert code == 0, f"{name}: exit {code}\n{text[-2000:]}"
        assert "Traceback" not in text, f"{name}:\n{text[-2000:]}"
        if name == "sweep":  # the minute of judge building is announced, not silent
            assert "building the judge once" in text, text[:2000]
        if name in ("transfer", "accompany"):
            assert "100%" in text, f"{name}: the progress bar did not reach its end\n{text[-2000:]}"
        for p in outputs:
            assert p.is_file() and p.stat().st_size > 0, f"{name}: {p} not written"
            assert p.suffix != ".wav" or sf.info(p).frames > 0, f"{name}: {p} is empty"
    code, text = run_in_terminal(*cases["transfer"][0])  # once more: the take exists now
    assert code == 1 and "exists; pass -y/--overwrite" in text
