"""Training and export (torch side): tiny train -> export -> parity, resume, DDP on 2 CPU processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bridge.model import Denoiser, read_metadata  # noqa: E402
from export.onnx_export import ExportError, export_onnx  # noqa: E402
from export.train import TrainConfig, train  # noqa: E402
from export.unet import UNetConfig  # noqa: E402
from lab.corpus import render_instrument  # noqa: E402
from support import ROOT  # noqa: E402

TINY_NET = UNetConfig(channels=(8, 16), time_dim=32, groups=4)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    render_instrument(d, "violin", 40, seed=5)
    return d / "violin"


def config(corpus, out, steps, **kw):
    from dataclasses import replace

    from bridge.config import MelConfig

    return TrainConfig(instrument="violin", corpus=str(corpus), out=str(out), steps=steps, batch_size=4,
                       warmup_steps=2, widths=(16,), width_probs=(1.0,), ckpt_every=5, threads=1, unet=TINY_NET,
                       mel=replace(MelConfig(), window_frames=16, frame_multiple=TINY_NET.frame_multiple), **kw)


@pytest.mark.slow
def test_train_export_parity_and_metadata(corpus, tmp_path):
    summary = train(config(corpus, tmp_path / "run", 12), progress=False)
    assert summary["steps"] == 12 and np.isfinite(summary["final_loss"])
    assert (tmp_path / "run" / "loss.png").stat().st_size > 1000
    out = export_onnx(tmp_path / "run" / "ckpt.pt", tmp_path / "violin.onnx", command="pytest")
    assert out["max_abs_diff"] < 1e-4
    assert sorted(p.name for p in tmp_path.glob("violin.onnx*")) == ["violin.onnx"]  # one file, no .data
    info = read_metadata(tmp_path / "violin.onnx")
    assert info.instrument == "violin" and info.prediction_type == "v" and info.n_timesteps == 1000
    assert info.mel.window_frames == 16 and info.unet["channels"] == [8, 16]
    assert info.train["steps"] == 12 and info.train["command"] == "pytest" and info.train["soundfont"]
    assert len(info.content_hash) == 64 and info.hash_scope == "graph"  # checked at every load
    den = Denoiser.load(tmp_path / "violin.onnx", providers=("cpu",))
    for frames in (16, 32, 48):  # the batch and frame axes are dynamic
        x = np.zeros((3, 1, 80, frames), np.float32)
        assert den.predict(x, np.array([0, 10, 999])).shape == x.shape


def test_resume_continues_where_it_stopped(corpus, tmp_path):
    cfg = config(corpus, tmp_path / "run", 10)
    first = train(cfg, progress=False, stop_at=5)
    assert first["steps"] == 5
    state = torch.load(tmp_path / "run" / "ckpt.pt", weights_only=True)
    assert state["step"] == 5
    second = train(cfg, progress=False)
    assert second["steps"] == 10
    history = torch.load(tmp_path / "run" / "ckpt.pt", weights_only=True)["history"]
    assert [s for s, _ in history] == list(range(1, 11))


def test_failed_check_stops_the_export(corpus, tmp_path):
    train(config(corpus, tmp_path / "run", 3), progress=False)
    with pytest.raises(ExportError, match=r"onnxruntime differs from torch by .* \(allowed 0\); not exported"):
        export_onnx(tmp_path / "run" / "ckpt.pt", tmp_path / "m.onnx", atol=0.0)
    assert not list(tmp_path.glob("m.onnx*"))


@pytest.mark.slow
def test_cli_train_and_export(corpus, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "bridge.cli", "train", str(corpus), "-o", str(tmp_path / "run"),
                        "--steps", "3", "--batch-size", "2", "--channels", "8,16", "--widths", "16", "--quiet",
                        "--threads", "1"], capture_output=True, text=True, env=env, timeout=300, cwd=str(ROOT))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["steps"] == 3
    r = subprocess.run([sys.executable, "-m", "bridge.cli", "export", str(tmp_path / "run" / "ckpt.pt"), "-o",
                        str(tmp_path / "x.onnx")], capture_output=True, text=True, env=env, timeout=300, cwd=str(ROOT))
    assert r.returncode == 0, r.stderr
    assert Path(tmp_path / "x.onnx").is_file()
    # exported without --command: the model still says how it was trained (the checkpoint kept it)
    command = read_metadata(tmp_path / "x.onnx").train["command"]
    assert command.startswith("bridge train ") and "--steps 3 --batch-size 2" in command, command


@pytest.mark.slow
def test_ddp_two_cpu_processes(corpus, tmp_path):
    """torchrun with 2 processes (gloo): gradients are averaged, rank 0 writes one checkpoint."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                        "-m", "export.train", str(corpus), "-o", str(tmp_path / "ddp"), "--steps", "4",
                        "--batch-size", "4", "--channels", "8,16", "--widths", "16", "--quiet", "--threads", "1"],
                       capture_output=True, text=True, env=env, timeout=600, cwd=str(ROOT))
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 4
    assert "2 processes" in r.stderr
    state = torch.load(tmp_path / "ddp" / "ckpt.pt", weights_only=True)
    assert state["step"] == 4


def test_train_from_a_folder_of_recordings(tmp_path):
    """Any folder of recordings trains: formats and rates mixed, an unreadable file skipped."""
    import soundfile as sf

    from support import harmonic_tone

    rec = tmp_path / "recordings" / "take2"
    rec.mkdir(parents=True)
    sf.write(tmp_path / "recordings" / "a.flac", harmonic_tone(196, 4.0, 44100), 44100)
    sf.write(rec / "b.mp3", harmonic_tone(262, 4.0, 48000), 48000)
    sf.write(rec / "c.ogg", harmonic_tone(330, 4.0, 22050), 22050)
    (rec / "d.wav").write_bytes(b"RIFF broken")
    summary = train(config(tmp_path / "recordings", tmp_path / "run", 3), progress=False)
    assert summary["steps"] == 3 and 11.0 < summary["corpus_seconds"] < 13.0


@pytest.mark.slow
def test_bench_eager_twin_is_the_shipped_model(tmp_path):
    """python -m export.eager times the same network as onnxruntime: the twin rebuilt from metadata matches it."""
    from export.eager import twin

    den = Denoiser.load(ROOT / "bridge" / "models" / "violin.onnx", providers=("cpu",), threads=1)
    x = np.random.default_rng(3).standard_normal((2, 1, 80, 64)).astype(np.float32)
    t = np.array([100, 700])
    with torch.inference_mode():
        eager = twin(den)(torch.from_numpy(x), torch.from_numpy(t.astype(np.float32))).numpy()
    assert np.abs(eager - den.predict(x, t)).max() < 1e-4
    r = subprocess.run([sys.executable, "-m", "export.eager", str(den.info.path), "--threads", "1", "--repeats", "3"],
                       capture_output=True, text=True, cwd=str(ROOT), check=True)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["model"] == "violin" and res["onnxruntime_ms"]["n"] == 3 and res["torch_eager_ms"]["n"] == 3
    assert res["torch_over_onnxruntime"] > 0


def test_the_mel_cache_follows_the_audio_not_its_size_and_stays_out_of_the_folder(tmp_path):
    import soundfile as sf

    from bridge.config import MelConfig
    from export.data import MelCorpus
    from support import harmonic_tone

    rec = tmp_path / "rec"
    rec.mkdir()
    sf.write(rec / "take.wav", harmonic_tone(196, 2.0, 22050), 22050)
    first = MelCorpus.load(rec, MelConfig(), progress=False, cache_dir=tmp_path / "cache")
    size = (rec / "take.wav").stat().st_size
    sf.write(rec / "take.wav", harmonic_tone(523, 2.0, 22050), 22050)  # another take, the same size
    assert (rec / "take.wav").stat().st_size == size
    second = MelCorpus.load(rec, MelConfig(), progress=False, cache_dir=tmp_path / "cache")
    assert np.abs(first.mels[0] - second.mels[0]).max() > 10  # dB: the new take was analysed
    assert sorted(p.name for p in rec.iterdir()) == ["take.wav"]  # nothing written into the recordings
    assert len(list((tmp_path / "cache").glob("mel_*.npz"))) == 2


@pytest.mark.slow
def test_distill_writes_a_student_the_runtime_picks_and_resumes(corpus, tmp_path):
    """A tiny teacher, distilled for 6 steps on 4 teacher batches: the file describes itself and its teacher."""
    from bridge import stream
    from bridge.config import Preset
    from bridge.model import ModelSet

    train(config(corpus, tmp_path / "run", 3), progress=False)
    export_onnx(tmp_path / "run" / "ckpt.pt", tmp_path / "models" / "violin.onnx", command="pytest")
    cmd = [sys.executable, "-m", "export.distill", str(tmp_path / "models" / "violin.onnx"), "--corpus", str(corpus),
           "--work", str(tmp_path / "work"), "--pair-batches", "4", "--batch", "4", "--held-out", "1"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    first = subprocess.run(cmd + ["--steps", "6"], capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "held-out L1" in first.stdout and "wrote" in first.stdout
    student = read_metadata(tmp_path / "models" / "violin.student.onnx")
    teacher = read_metadata(tmp_path / "models" / "violin.onnx")
    s = student.student
    assert s["teacher"] == "violin" and s["teacher_hash"] == teacher.content_hash and s["train_steps"] == 6
    assert s["max_steps"] == 2 and s["strength_max"] == 1.0 and s["command"].startswith("python -m export.distill")
    assert student.content_hash != teacher.content_hash and student.mel == teacher.mel
    assert (tmp_path / "models" / "violin.student.md").read_text().startswith("# violin.student\n\nA few-step student")
    models = ModelSet([tmp_path / "models"], "cpu", threads=1)
    live = Preset(target="violin").with_params(strength=0.45, steps=2, student=True)
    assert stream.Stream(models, live, 22050, 1)._window_settings().denoise is models["violin.student"]
    again = subprocess.run(cmd + ["--steps", "8"], capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "teacher pairs from" in again.stdout and "resumed at step 6" in again.stdout
    resumed = read_metadata(tmp_path / "models" / "violin.student.onnx").student
    assert resumed["train_steps"] == 8 and resumed["pairs_wall_s"] == s["pairs_wall_s"] > 0  # the first run's time
    assert "replacing" in again.stdout  # the student made before is replaced, and says so


@pytest.mark.slow
def test_a_packed_corpus_trains_where_the_audio_is_not(corpus, tmp_path):
    """``python -m export.data`` packs the analysed corpus into one .npz; training from it sees the same windows."""
    from bridge.config import MelConfig
    from export.data import MelCorpus

    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    packed = tmp_path / "violin.npz"
    r = subprocess.run([sys.executable, "-m", "export.data", str(corpus), str(packed)], capture_output=True,
                       text=True, env=env, timeout=300, cwd=str(ROOT))
    assert r.returncode == 0, r.stderr
    a, b = MelCorpus.load(corpus, MelConfig()), MelCorpus.load(packed, MelConfig())
    assert [m.shape for m in a.mels] == [m.shape for m in b.mels] and b.manifest == a.manifest
    assert max(float(np.abs(x - y).max()) for x, y in zip(a.mels, b.mels)) < 0.05  # dB, float16
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_allclose(a.sample(rng_a, 4, 16), b.sample(rng_b, 4, 16), atol=2e-3)
    with pytest.raises(ValueError, match="80 mels; training wants .* 64: pack the corpus again"):
        MelCorpus.load(packed, MelConfig(n_mels=64))
    # Packed with its pitch tracks, it still gives the note envelope; the noise share needs the audio.
    from export.onnx_export import measure, measure_corpus
    from support import build_tiny_model

    r = subprocess.run([sys.executable, "-m", "export.data", str(corpus), str(packed), "--controls"],
                       capture_output=True, text=True, env=env, timeout=300, cwd=str(ROOT))
    assert r.returncode == 0, r.stderr
    packed_measures, folder_measures = measure_corpus(packed, MelConfig()), measure_corpus(corpus, MelConfig())
    assert "note_decay_db_s" in packed_measures and "noise_share" not in packed_measures
    assert packed_measures["note_decay_db_s"] == pytest.approx(folder_measures["note_decay_db_s"], abs=0.05)  # float16 mels
    assert np.allclose(packed_measures["note_decay_by_pitch"], folder_measures["note_decay_by_pitch"], atol=0.1)
    assert len(folder_measures["noise_share"]) == 80
    # --measure replaces exactly what measure_corpus can write: a new key missing from MEASURES would stay stale
    from export.onnx_export import MEASURES
    assert set(folder_measures) <= set(MEASURES) and set(packed_measures) <= set(MEASURES)
    model = build_tiny_model(tmp_path / "violin.onnx", "violin", controls=True, noise_share=None)
    with pytest.raises(ExportError, match="not a folder of audio"):
        measure(model, packed)


@pytest.mark.slow
def test_the_gpu_sweep_trains_each_size_to_its_budget_and_exports_it(corpus, tmp_path):
    """The prepared GPU run, on the CPU with a budget the probe spends: two sizes, a probe leg, a second leg
    to the --min-steps floor, two models. Nothing here depends on the wall clock: with a budget the probe
    had to leave time for, a loaded 2-core machine (2 training runs beside it) once left none."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "export.gpu_sweep", str(corpus), "--name", "violin", "--sizes",
                        "8,16:1", "8,16:2", "--minutes", "0.05", "--export-s", "5", "--probe-steps", "4", "--min-steps", "6",
                        "--batch-size", "2",
                        "-o", str(tmp_path / "sweep")], capture_output=True, text=True, env=env, timeout=600,
                       cwd=str(ROOT))
    assert r.returncode == 0, r.stdout + r.stderr
    results = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert [x["size"] for x in results] == ["8,16:1", "8,16:2"]
    for x in results:
        assert x["steps"] == 6 and x["max_abs_diff"] < 1e-4  # the second leg ran, and the export checked itself
        info = read_metadata(tmp_path / "sweep" / x["file"])
        assert info.instrument == "violin" and info.unet["blocks_per_level"] == int(x["size"][-1])


@pytest.mark.slow
def test_a_conditioned_model_trains_from_an_unconditional_one_and_hears_its_controls(corpus, tmp_path):
    """--controls: warm start from an exported model, export with a cond input, controls change the output."""
    from dataclasses import replace

    from bridge import controls
    from bridge.config import Preset
    from bridge.errors import ParameterError
    from bridge.stream import check_preset
    from export.train import warm_start
    from export.unet import UNet

    train(config(corpus, tmp_path / "plain", 4), progress=False)
    export_onnx(tmp_path / "plain" / "ckpt.pt", tmp_path / "plain.onnx", command="pytest")
    # The warm start reproduces the exported model exactly (GroupNorm's weights included), controls off.
    net = UNet(replace(TINY_NET, cond_channels=controls.CONTROL_CHANNELS))
    assert warm_start(net, tmp_path / "plain.onnx") == len(net.state_dict())
    plain = Denoiser.load(tmp_path / "plain.onnx", providers=("cpu",))
    x = np.random.default_rng(0).standard_normal((2, 1, 80, 16)).astype(np.float32)
    t = np.array([100, 700])
    with torch.no_grad():
        ours = net(torch.from_numpy(x), torch.from_numpy(t.astype(np.float32))).numpy()
    assert np.abs(ours - plain.predict(x, t)).max() < 1e-5

    cfg = replace(config(corpus, tmp_path / "cond", 6), unet=net.config, init_from=str(tmp_path / "plain.onnx"))
    assert train(cfg, progress=False)["steps"] == 6
    export_onnx(tmp_path / "cond" / "ckpt.pt", tmp_path / "violin.onnx", command="pytest")
    den = Denoiser.load(tmp_path / "violin.onnx", providers=("cpu",))
    assert den.info.inputs == ("x", "t", "cond") and den.info.cond_channels == controls.CONTROL_CHANNELS
    assert den.info.controls["planes"] == controls.PLANES and den.info.controls["init_from"] == "plain.onnx"
    zeros = np.zeros((2, controls.CONTROL_CHANNELS, 80, 16), np.float32)
    planes = np.ones_like(zeros)
    assert np.array_equal(den.predict(x, t), den.predict(x, t, zeros))  # None means "no controls"
    assert np.abs(den.predict(x, t, planes) - den.predict(x, t, zeros)).max() > 1e-4
    with pytest.raises(ParameterError, match=r"cond: expected shape \(2, 4, 80, 16\)"):
        den.predict(x, t, zeros[:, :2])
    on = Preset(target="violin").with_param("controls", True)
    check_preset(on, {"violin": den})
    # The corpus's noise share is measured at export (noise: measured plays it) and can be measured
    # again into a file: the graph and its content hash stay, the values are the same.
    share = den.info.controls["noise_share"]
    assert len(share) == 80 and all(0.0 <= v <= 1.0 for v in share) and min(share) < 0.1
    check_preset(on.with_params(inversion="harmonic", noise="measured"), {"violin": den})
    import onnx

    from export.onnx_export import main as export_main

    model = onnx.load(str(tmp_path / "violin.onnx"))
    for e in model.metadata_props:
        if e.key == "controls":
            e.value = json.dumps({k: v for k, v in json.loads(e.value).items() if k != "noise_share"})
    onnx.save(model, str(tmp_path / "old.onnx"))
    assert "noise_share" not in read_metadata(tmp_path / "old.onnx").controls
    assert export_main(["--measure", str(corpus), str(tmp_path / "old.onnx")]) == 0
    again = read_metadata(tmp_path / "old.onnx")
    assert again.controls["noise_share"] == share and again.content_hash == den.info.content_hash
    Denoiser.load(tmp_path / "old.onnx", providers=("cpu",))  # the content hash still checks

    # Its student learns with the controls: pairs carry the planes, the student file takes them.
    from export import distill

    assert distill.main([str(tmp_path / "violin.onnx"), "--corpus", str(corpus), "--work", str(tmp_path / "work"),
                         "--pair-batches", "3", "--batch", "4", "--held-out", "1", "--steps", "2"]) == 0
    pairs = distill.load_pairs(next((tmp_path / "work" / "violin").glob("pairs-*.npz")))
    assert all(c is not None and c.shape == (4, controls.CONTROL_CHANNELS, 80, x.shape[-1])
               for c, x in zip(pairs["cond"], pairs["x"]))
    assert any(c.max() > 0.5 for c in pairs["cond"])  # real planes, not only dropped ones
    student = Denoiser.load(tmp_path / "violin.student.onnx", providers=("cpu",))
    assert student.info.inputs == ("x", "t", "cond") and student.info.student["controls"] is True
    assert np.abs(student.predict(x, t, planes) - student.predict(x, t, zeros)).max() > 1e-4


@pytest.mark.slow
def test_the_size_grid_exports_each_stage_once_and_resumes(corpus, tmp_path):
    """lab.size_steps train: a stage already exported is not trained again; the next one resumes the run."""
    args = [sys.executable, "-m", "lab.size_steps", "train", str(corpus), "--channels", "8,16", "--steps", "4",
            "--stages", "2", "--out", str(tmp_path), "--train-args",
            "--batch-size 4 --widths 16 --warmup-steps 1 --ckpt-every 2"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    first = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    run = tmp_path / "violin-c8-16-s4"
    stages = {n: json.loads((run / f"stage-{n}.json").read_text()) for n in (2, 4)}
    assert [stages[n]["steps"] for n in (2, 4)] == [2, 4] and all(s["channels"] == "8,16" for s in stages.values())
    assert read_metadata(run / "stage-4.onnx").unet["channels"] == [8, 16]
    again = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout.count("exported already") == 2, again.stdout


def test_the_decay_by_pitch_is_each_octaves_median_and_leaves_out_the_thin_ones():
    from export.data import DECAY_MIN_NOTES, _by_pitch

    rng = np.random.default_rng(0)
    f0 = np.concatenate([rng.uniform(110, 219, 50), rng.uniform(440, 879, 50), rng.uniform(1760, 3000, 5)])
    slopes = -10.0 - 10.0 * np.log2(f0 / 110.0) + rng.normal(0, 1, len(f0))  # faster up high, as a string
    points = _by_pitch(f0, slopes, DECAY_MIN_NOTES)
    assert len(points) == 2 and DECAY_MIN_NOTES > 5  # the 5 notes above A6 make no point
    (lo_hz, lo_db), (hi_hz, hi_db) = points
    assert 110 <= lo_hz < 220 and 440 <= hi_hz < 880
    assert lo_db == pytest.approx(np.median(slopes[:50]), abs=0.01) and hi_db == pytest.approx(np.median(slopes[50:100]), abs=0.01)
    assert hi_db < lo_db - 15
    assert _by_pitch(f0[:5], slopes[:5], DECAY_MIN_NOTES) == []  # a corpus too small for any octave: no table at all


def test_vibrato_is_measured_on_the_files_played_with_the_mod_wheel_at_rest():
    """A rendered corpus adds vibrato with its mod wheel: the files with it at rest give the depth,
    per octave; without mod wheels in the manifest (recordings), every file does."""
    from bridge.config import MelConfig
    from export.data import MOD_WHEEL_AT_REST, VIBRATO_MIN_NOTES, MelCorpus, note_envelope

    c = MelConfig()
    rate = c.sample_rate / c.hop_length

    def notes(hz: float, cents: float, frames: int = 80) -> np.ndarray:  # VIBRATO_MIN_NOTES notes, 5.5 Hz vibrato
        t = np.arange(frames) / rate
        f0 = hz * 2.0 ** ((np.sqrt(2.0) * cents * np.sin(2 * np.pi * 5.5 * t) + 30.0 * t) / 1200.0)  # and a glide
        one = np.stack([f0, np.ones(frames), (np.arange(frames) == 0).astype(float)])
        return np.concatenate([one] * VIBRATO_MIN_NOTES, axis=1).astype(np.float32)

    tracks = [notes(220.0, 6.0), notes(880.0, 12.0), notes(220.0, 20.0), notes(880.0, 20.0)]
    mels = [np.full((c.n_mels, t.shape[1]), -30.0, np.float32) for t in tracks]
    wheels = [0, MOD_WHEEL_AT_REST - 1, MOD_WHEEL_AT_REST, 60]
    manifest = {"files": [{"file": f"violin_{i:05d}.wav", "mod_wheel": w} for i, w in enumerate(wheels)]}
    env = note_envelope(MelCorpus(mels, c, False, manifest, tracks))
    (lo_hz, lo_c), (hi_hz, hi_c) = env["vibrato_by_pitch"]
    assert lo_hz == pytest.approx(220.0, rel=0.01) and hi_hz == pytest.approx(880.0, rel=0.01)
    assert lo_c == pytest.approx(6.0, rel=0.05) and hi_c == pytest.approx(12.0, rel=0.05)
    assert env["vibrato_cents"] == pytest.approx(9.0, rel=0.05) and env["vibrato_hz"] == pytest.approx(5.5, abs=0.3)
    every = note_envelope(MelCorpus(mels, c, False, {"source": "recordings"}, tracks))["vibrato_by_pitch"]
    assert every[0][1] == pytest.approx(13.0, rel=0.05) and every[1][1] == pytest.approx(16.0, rel=0.05)


def test_a_decaying_targets_bands_are_measured_against_its_level_and_a_held_ones_are_not():
    """Plucks whose upper bands fall 40 dB/s faster than their lower ones: the export gives each band's
    fall against the note's level; bowed notes that swell give no band table at all."""
    from bridge.config import MelConfig
    from export.data import DECAY_MIN_NOTES, MelCorpus, note_envelope

    c = MelConfig()
    rate = c.sample_rate / c.hop_length
    n, half = 60, c.n_mels // 2

    def corpus_of(low_db_s: float, high_db_s: float) -> MelCorpus:
        t = np.arange(n) / rate
        note = np.empty((c.n_mels, n), np.float32)
        note[:half] = -20.0 + low_db_s * t
        note[half:] = -30.0 + high_db_s * t
        mel = np.concatenate([note] * DECAY_MIN_NOTES, axis=1)
        one = np.stack([np.full(n, 220.0), np.ones(n), (np.arange(n) == 0).astype(float)])
        return MelCorpus([mel], c, False, {}, [np.concatenate([one] * DECAY_MIN_NOTES, axis=1).astype(np.float32)])

    env = note_envelope(corpus_of(-20.0, -60.0))
    by_band = np.asarray(env["note_decay_by_band"])
    assert len(by_band) == c.n_mels and env["note_decay_db_s"] < 0
    assert by_band[half:].mean() - by_band[:half].mean() == pytest.approx(-40.0, abs=1.0)
    assert abs(by_band[:half].mean()) < 5.0  # the level follows its loudest bands
    assert "note_decay_by_band" not in note_envelope(corpus_of(2.0, 2.0))


def test_a_rendered_corpus_records_the_mod_wheel_of_each_sustained_file(corpus, tmp_path):
    """And a corpus rendered before it did gets the same values by replaying its seeded draws."""
    import json
    import shutil

    from bridge.errors import ParameterError
    from lab.corpus import record_mod_wheels

    recorded = json.loads((corpus / "corpus.json").read_text())
    assert recorded["files"] and all(0 <= f["mod_wheel"] < 70 for f in recorded["files"])
    old = tmp_path / "violin"
    old.mkdir()
    before = {**recorded, "files": [{k: v for k, v in f.items() if k != "mod_wheel"} for f in recorded["files"]]}
    (old / "corpus.json").write_text(json.dumps(before))
    assert record_mod_wheels(old) == len(recorded["files"])
    assert json.loads((old / "corpus.json").read_text()) == recorded
    before["files"][0]["tempo_bpm"] += 1.0  # another corpus: refused, not labelled
    (old / "corpus.json").write_text(json.dumps(before))
    with pytest.raises(ParameterError, match="violin_00000.wav is not what seed 5 draws"):
        record_mod_wheels(old)
    shutil.rmtree(old)


def test_a_corpus_too_small_for_a_decay_table_exports_a_model_that_loads(corpus, tmp_path, monkeypatch):
    """Every octave below DECAY_MIN_NOTES: the measures carry the median alone, and the model still loads."""
    from bridge.config import MelConfig
    from bridge.model import read_metadata
    from export import data
    from export.onnx_export import measure, measure_corpus
    from support import build_tiny_model

    monkeypatch.setattr(data, "DECAY_MIN_NOTES", 10_000)
    assert "note_decay_by_pitch" not in measure_corpus(corpus, MelConfig())
    # measured before with a table (a bigger corpus): measuring again leaves no stale table behind
    model = build_tiny_model(tmp_path / "violin.onnx", "violin", controls=True, noise_share=None,
                             decay_by_pitch=[[220.0, -5.0], [440.0, -9.0]])
    measure(model, corpus)
    controls = read_metadata(model).controls
    assert "note_decay_by_pitch" not in controls and controls["note_decay_db_s"] != 0


def test_the_attack_is_measured_on_notes_long_enough_to_finish_it():
    """A note cut by the next one before its swell ends has no attack of its own: 100 ms notes that
    swell linearly (to within 3 dB of their top at 70 ms) stay out of the median; with only them, it
    would read their cut-off swell."""
    from bridge.config import MelConfig
    from export.data import ATTACK_MIN_NOTE_S, MelCorpus, note_envelope

    c = MelConfig()
    rate = c.sample_rate / c.hop_length

    def swells(seconds: float, swell_s: float, count: int) -> tuple[np.ndarray, np.ndarray]:
        n = int(round(seconds * rate))
        t = np.arange(n) / rate
        level_db = 20.0 * np.log10(np.maximum(np.minimum(1.0, (t + 1.0 / rate) / swell_s), 1e-3))
        note = np.repeat((level_db - 30.0)[None], c.n_mels, axis=0).astype(np.float32)
        track = np.stack([np.full(n, 220.0), np.ones(n), (np.arange(n) == 0).astype(float)])
        return np.concatenate([note] * count, axis=1), np.concatenate([track] * count, axis=1).astype(np.float32)

    long_mel, long_track = swells(0.5, 0.2, 15)  # within 3 dB of the top at 0.707 * 0.2 s
    short_mel, short_track = swells(0.1, 0.2, 40)  # cut at 0.1 s, below the top's 3 dB
    assert 0.1 < ATTACK_MIN_NOTE_S <= 0.5
    env = note_envelope(MelCorpus([long_mel, short_mel], c, False, {}, [long_track, short_track]))
    assert env["note_attack_s"] == pytest.approx(0.707 * 0.2, abs=1.5 / rate)
