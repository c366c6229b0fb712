"""The onnxruntime edge: metadata, provider choice by a real check, errors that say what to do."""

import json
import subprocess
import sys

import numpy as np
import pytest

from bridge.errors import ModelError, ParameterError
from bridge.model import Denoiser, ModelSet, read_metadata, resolve_model
from bridge.sampling import v_to_eps_x0
from support import ROOT, build_tiny_model


def cuda_really_works(path) -> bool:
    """Whether a CUDA session can run here (never on CI; possibly on a GPU machine)."""
    try:
        return Denoiser.load(path, providers=("cuda",)).provider == "cuda"
    except ModelError:
        return False


def test_metadata_is_read(tiny_model_dir):
    info = read_metadata(tiny_model_dir / "violin.onnx")
    assert info.instrument == "violin"
    assert info.mel.sample_rate == 22050 and info.mel.n_mels == 80
    assert info.alpha_bar.shape == (1000,) and info.prediction_type == "v"


def test_forward_and_v_conversion(tiny_model_dir, rng):
    den = Denoiser.load(tiny_model_dir / "violin.onnx", providers=("cpu",), threads=1)
    x = rng.standard_normal((3, 1, 80, 32)).astype(np.float32)
    t = np.array([0, 500, 999])
    pred = den.predict(x, t)
    assert pred.shape == x.shape and pred.dtype == np.float32
    eps, x0 = den(x, t)
    e2, x2 = v_to_eps_x0(x, pred, den.info.alpha_bar[t].astype(np.float32))
    np.testing.assert_allclose(x0, x2, atol=1e-6)
    with pytest.raises(ParameterError, match=r"frames must be a positive multiple of 4, got 30"):
        den.predict(x[..., :30], t)
    with pytest.raises(ParameterError, match=r"t: expected shape \(3,\)"):
        den.predict(x, t[:2])


def test_auto_provider_falls_back_to_cpu_and_says_why(tiny_model_dir):
    path = tiny_model_dir / "violin.onnx"
    den = Denoiser.load(path, providers=("cuda", "cpu"))
    if cuda_really_works(path):
        assert den.provider == "cuda"
    else:
        assert den.provider == "cpu"
        assert "CUDA" in den.provider_note  # e.g. 'the CUDA provider did not load (...)'


def test_cuda_only_fails_clearly_without_a_gpu(tiny_model_dir):
    path = tiny_model_dir / "violin.onnx"
    if cuda_really_works(path):
        pytest.skip("a usable GPU is present")
    with pytest.raises(ModelError, match=r"no execution provider could run it \(.*CUDA"):
        Denoiser.load(path, providers=("cuda",))


def test_modelset_probes_once_and_loads_lazily(tiny_model_dir):
    ms = ModelSet([tiny_model_dir], "auto", threads=1)
    assert ms.loaded == {}
    assert "violin" in ms and "nonexistent" not in ms
    ms["violin"]
    assert ms.provider in ("cpu", "cuda") and ms.provider_note
    assert set(ms.loaded) == {"violin"}
    with pytest.raises(ModelError, match=r"unknown name 'tuba'; available: .*violin"):
        ms["tuba"]


def test_corrupt_and_foreign_files_are_refused(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x01garbage" * 100)
    with pytest.raises(ModelError, match="broken.onnx: not a loadable ONNX model"):
        read_metadata(bad)
    import onnx

    path = build_tiny_model(tmp_path / "old.onnx", "old")
    m = onnx.load(str(path))
    for e in m.metadata_props:
        if e.key == "format":
            e.value = json.dumps("something-else/9")
    onnx.save(m, str(path))
    with pytest.raises(ModelError, match="format: expected 'bridge-diffusion/1', got 'something-else/9'"):
        read_metadata(path)
    del m.metadata_props[:]
    onnx.save(m, str(path))
    with pytest.raises(ModelError, match="metadata lacks 'format'; re-export it"):
        read_metadata(path)


def test_resolve_by_path_and_by_name(tiny_model_dir):
    assert resolve_model(str(tiny_model_dir / "guitar.onnx"), []) == tiny_model_dir / "guitar.onnx"
    assert resolve_model("guitar", [tiny_model_dir]) == tiny_model_dir / "guitar.onnx"


def test_runtime_never_imports_torch():
    code = ("import sys; import bridge.cli, bridge.serve.server, bridge.stream, bridge.offline, bridge.model, "
            "bridge.serve.osc; bridge.cli.build_parser(); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), check=True)
    assert out.stdout.strip() == "False"


def test_a_damaged_model_is_refused_by_its_content_hash(tmp_path):
    """The shipped models carry a hash of their graph and weights; a changed byte is caught at load."""
    from bridge.model import PACKAGE_MODELS, graph_bytes

    data = bytearray((PACKAGE_MODELS / "kick.onnx").read_bytes())
    assert read_metadata(PACKAGE_MODELS / "kick.onnx").hash_scope == "graph"
    graph = graph_bytes(bytes(data))
    at = bytes(data).index(graph) + len(graph) // 2  # a weight in the middle of the graph
    data[at] ^= 0x01
    (tmp_path / "kick.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="kick.onnx: content hash mismatch .* changed or damaged after export"):
        read_metadata(tmp_path / "kick.onnx")


def test_metadata_of_the_wrong_type_is_a_clear_model_error(tmp_path):
    import onnx

    path = build_tiny_model(tmp_path / "odd.onnx", "odd")
    m = onnx.load(str(path))
    for e in m.metadata_props:
        if e.key == "n_timesteps":
            e.value = json.dumps([1, 2])
    onnx.save(m, str(path))
    with pytest.raises(ModelError, match=r"odd.onnx: metadata has a value of the wrong type .* re-export"):
        read_metadata(path)


def test_a_broken_copy_in_a_user_folder_falls_back_to_the_shipped_model(tmp_path, caplog):
    from bridge.model import PACKAGE_MODELS

    (tmp_path / "violin.onnx").write_bytes(b"\x00 not a model")
    ms = ModelSet([tmp_path], "cpu", threads=1)
    den = ms["violin"]
    assert den.info.path == PACKAGE_MODELS / "violin.onnx"
    assert "using" in caplog.text and str(PACKAGE_MODELS / "violin.onnx") in caplog.text


def test_a_forward_that_never_returns_is_stopped_and_the_model_set_aside(tmp_path):
    """The watchdog: a real onnxruntime session spinning in a Loop is terminated at its deadline."""
    import time

    from bridge import stream
    from bridge.config import Preset

    build_tiny_model(tmp_path / "violin.onnx", "violin", hang="after-warmup")  # warm-up (t = 0) returns
    ms = ModelSet([tmp_path], "cpu", threads=1)
    den = ms["violin"]
    den.call_limit_s = 0.5
    s = stream.Stream(ms, Preset(target="violin").with_params(steps=4), 22050, 1)
    t0 = time.monotonic()
    s.write(np.sin(np.arange(3 * 22050) / 20.0).astype(np.float32)[None] * 0.3)
    while s.busy:
        stream.tick_streams([s])
    took = time.monotonic() - t0
    errors = s.take_errors()
    assert errors and "set aside after a forward that ran over" in str(errors[0])
    assert took < 10  # one deadline (0.5 s x rows), then the set-aside model fails at once
    assert s.stats["failed_windows"] > 0 and np.isfinite(s.read(s.available())).all()


def test_a_model_whose_warmup_never_returns_is_not_loaded(tmp_path, monkeypatch):
    import time

    from bridge import model

    monkeypatch.setattr(model, "LOAD_LIMIT_S", 1.0)
    build_tiny_model(tmp_path / "stuck.onnx", "stuck", hang="always")
    t0 = time.monotonic()
    with pytest.raises(ModelError, match="stuck.onnx: model stuck: set aside after a forward that ran over 1.0 s"):
        ModelSet([tmp_path], "cpu", threads=1)["stuck"]
    assert time.monotonic() - t0 < 10


def test_a_student_without_its_teacher_or_range_is_refused_at_load(tmp_path):
    good = {"teacher": "violin", "teacher_hash": "abc", "max_steps": 2, "strength_max": 0.6}
    assert read_metadata(build_tiny_model(tmp_path / "a.onnx", "violin", student=good)).student["max_steps"] == 2
    for broken, why in (({k: v for k, v in good.items() if k != "teacher_hash"}, "teacher_hash"),
                        (dict(good, max_steps=0), "max_steps >= 1"), (dict(good, strength_max=1.5), "strength_max")):
        path = build_tiny_model(tmp_path / "b.onnx", "violin", student=broken)
        with pytest.raises(ModelError, match=why):
            read_metadata(path)


def test_a_measured_noise_share_of_the_wrong_shape_is_refused(tmp_path):
    import onnx

    path = build_tiny_model(tmp_path / "violin.onnx", "violin", controls=True)
    m = onnx.load(str(path))
    for e in m.metadata_props:
        if e.key == "controls":
            e.value = json.dumps({**json.loads(e.value), "noise_share": [0.1] * 79})
    onnx.save(m, str(path))
    with pytest.raises(ModelError, match=r"violin.onnx: controls.noise_share: expected 80 numbers in \[0, 1\].*"
                                         r"bridge export --measure CORPUS violin.onnx"):
        read_metadata(path)


@pytest.mark.parametrize("table", [[], [[440.0, -30.0], [220.0, -20.0]], [[0.0, -10.0]], [[440.0]], "fast"])
def test_a_measured_decay_by_pitch_that_cannot_be_read_is_refused(tmp_path, table):
    path = build_tiny_model(tmp_path / "guitar.onnx", "guitar", controls=True, decay_by_pitch=table)
    with pytest.raises(ModelError, match=r"guitar.onnx: controls.note_decay_by_pitch: expected \[Hz, dB/s\] pairs "
                                         r"with Hz rising.*bridge export --measure CORPUS guitar.onnx"):
        read_metadata(path)
    build_tiny_model(path, "guitar", controls=True, decay_by_pitch=[[110.0, -14.3], [440.0, -44.3]])
    assert read_metadata(path).controls["note_decay_by_pitch"] == [[110.0, -14.3], [440.0, -44.3]]


@pytest.mark.parametrize("table", [[[440.0, 9.0], [220.0, 7.0]], [[220.0, -1.0]], [["A3", 7.0]]])
def test_a_measured_vibrato_by_pitch_that_cannot_be_read_is_refused(tmp_path, table):
    path = build_tiny_model(tmp_path / "violin.onnx", "violin", controls=True, vibrato_by_pitch=table)
    with pytest.raises(ModelError, match=r"violin.onnx: controls.vibrato_by_pitch: expected \[Hz, cents\] pairs "
                                         r"with Hz rising and cents >= 0.*bridge export --measure CORPUS violin.onnx"):
        read_metadata(path)
    build_tiny_model(path, "violin", controls=True, vibrato_by_pitch=[[197.4, 7.4], [1177.1, 13.06]])
    assert read_metadata(path).controls["vibrato_by_pitch"] == [[197.4, 7.4], [1177.1, 13.06]]



def test_a_measured_decay_by_band_of_the_wrong_length_is_refused(tmp_path):
    path = build_tiny_model(tmp_path / "guitar.onnx", "guitar", controls=True, decay_by_band=[-20.0] * 79)
    with pytest.raises(ModelError, match=r"guitar.onnx: controls.note_decay_by_band: expected 80 numbers \(dB/s, one "
                                         r"per mel band\).*bridge export --measure CORPUS guitar.onnx"):
        read_metadata(path)
    build_tiny_model(path, "guitar", controls=True, decay_by_band=[-20.0] * 80)
    assert read_metadata(path).controls["note_decay_by_band"] == [-20.0] * 80
