"""Config dataclasses: strict from_dict, clear errors, YAML round trips, the shipped presets."""

import pytest
import yaml

from bridge.config import PARAMS, MelConfig, Preset, RenderConfig, SamplerConfig, ServerConfig, preset_to_yaml
from bridge.errors import ParameterError
from bridge.presets import PresetLibrary, load_preset
from support import ROOT


def test_preset_yaml_round_trip():
    p = Preset(name="x", target="cello", sampler=SamplerConfig(strength=0.3, steps=12, seed=9),
               render=RenderConfig(mix=0.7, morph_with="violin", morph=0.25, stereo="dual"))
    assert Preset.from_dict(yaml.safe_load(preset_to_yaml(p))) == p


@pytest.mark.parametrize("path", sorted((ROOT / "presets").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_presets_load_and_round_trip(path):
    p = load_preset(path)
    assert p.name == path.stem
    assert Preset.from_dict(yaml.safe_load(preset_to_yaml(p))) == p


def test_shipped_preset_set():
    names = set(PresetLibrary([]).names())
    assert {"guitar-to-violin", "violin-to-guitar", "voice-to-strings", "chorus-pair", "live",
            "drum-one-shots"} <= names


def test_unknown_key_names_it_and_the_allowed_keys():
    with pytest.raises(ParameterError, match=r"sampler\.strenght: unknown key; allowed keys are strength, steps"):
        Preset.from_dict({"sampler": {"strenght": 0.5}})
    with pytest.raises(ParameterError, match=r"^colour: unknown key"):
        Preset.from_dict({"colour": "red"})


@pytest.mark.parametrize("data,pattern", [
    ({"sampler": {"strength": 1.5}}, r"sampler\.strength: expected at most 1.0, got 1.5"),
    ({"sampler": {"steps": 2.5}}, r"sampler\.steps: expected a whole number, got 2.5"),
    ({"sampler": {"steps": "eight"}}, r"sampler\.steps: expected a whole number, got 'eight'"),
    ({"render": {"stereo": "wide"}}, r"render\.stereo: expected one of mid, dual, got 'wide'"),
    ({"render": {"mix": float("nan")}}, r"render\.mix: expected a finite number"),
    ({"mode": "pair"}, r"pair_with: mode 'pair' needs a second model name"),
    ({"target": 3}, r"target: expected text, got 3"),
])
def test_bad_values_are_named(data, pattern):
    with pytest.raises(ParameterError, match=pattern):
        Preset.from_dict(data)


def test_with_param_validates_and_keeps_the_rest():
    p = Preset()
    q = p.with_param("strength", 0.25).with_param("mix", 0).with_param("stereo", "dual")
    assert (q.sampler.strength, q.render.mix, q.render.stereo) == (0.25, 0.0, "dual")
    assert q.sampler.steps == p.sampler.steps
    with pytest.raises(ParameterError, match="steps: expected at least 1, got 0"):
        p.with_param("steps", 0)
    with pytest.raises(ParameterError, match="unknown name 'volume'; allowed names are strength"):
        p.with_param("volume", 1)


def test_param_table_covers_sampler_and_render():
    assert {"strength", "steps", "seed", "mix", "morph", "highpass_hz", "target"} <= set(PARAMS)
    assert PARAMS["strength"].lo == 0.01 and PARAMS["strength"].hi == 1.0
    assert PARAMS["stereo"].choices == ("mid", "dual")


def test_mel_config_checks():
    with pytest.raises(ParameterError, match="window_frames: expected a multiple of 8, got 60"):
        MelConfig.from_dict({"window_frames": 60})
    with pytest.raises(ParameterError, match="fmax_hz: expected at most 11025"):
        MelConfig.from_dict({"fmax_hz": 12000.0})


def test_server_config():
    assert ServerConfig.from_dict({"port": 0}).port == 0
    with pytest.raises(ParameterError, match="port: expected at most 65535"):
        ServerConfig.from_dict({"port": 70000})


def test_preset_library_reports_bad_files_and_reloads(tmp_path):
    (tmp_path / "good.yaml").write_text("target: cello\n")
    (tmp_path / "bad.yaml").write_text("sampler: {steps: -3}\n")
    lib = PresetLibrary([tmp_path])
    assert lib["good"].target == "cello"
    with pytest.raises(ParameterError, match=r"bad.*steps: expected at least 1, got -3"):
        lib["bad"]
    import os
    import time

    (tmp_path / "good.yaml").write_text("target: violin\n")
    st = (tmp_path / "good.yaml").stat()
    os.utime(tmp_path / "good.yaml", (st.st_atime, st.st_mtime + 5))
    time.sleep(0.01)
    assert "good" in lib.reload_if_changed()
    assert lib["good"].target == "violin"


def test_float32_values_at_range_edges_are_accepted():
    import numpy as np

    edge = float(np.float32(0.01))  # what Max sends for 0.01
    assert edge < 0.01
    assert Preset().with_param("strength", edge).sampler.strength == 0.01
    assert Preset().with_param("mix", float(np.float32(1.0000001))).render.mix == 1.0
    with pytest.raises(ParameterError, match="strength: expected at least 0.01"):
        Preset().with_param("strength", 0.0099)


def test_deleting_a_user_override_brings_the_shipped_preset_back(tmp_path):
    lib = PresetLibrary([tmp_path])
    shipped = lib["guitar-to-violin"]
    (tmp_path / "guitar-to-violin.yaml").write_text("target: cello\nsampler: {strength: 0.2}\n")
    assert "guitar-to-violin" in lib.reload_if_changed()
    assert lib["guitar-to-violin"].target == "cello"
    (tmp_path / "guitar-to-violin.yaml").unlink()
    assert "guitar-to-violin" in lib.reload_if_changed()
    assert lib["guitar-to-violin"] == shipped  # not the deleted file's settings


def test_a_broken_edit_is_reported_once_and_the_last_good_version_stays(tmp_path):
    (tmp_path / "mine.yaml").write_text("target: violin\n")
    lib = PresetLibrary([tmp_path])
    (tmp_path / "mine.yaml").write_text("sampler: {strength: 7}\n")
    assert lib.reload_if_changed() == [] and lib.failed == ["mine"]
    assert lib["mine"].target == "violin" and "strength" in lib.errors["mine"]
    assert lib.reload_if_changed() == [] and lib.failed == []  # unchanged since: not reported again


def test_a_fifo_or_a_non_utf8_file_in_the_preset_folder_never_blocks_or_breaks_reloads(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would wait forever for a writer
    (tmp_path / "latin1.yaml").write_bytes(b"description: caf\xe9\ntarget: violin\n")
    (tmp_path / "good.yaml").write_text("target: cello\n")
    lib = PresetLibrary([tmp_path])  # returns: the FIFO is not read
    assert "pipe" not in lib.names() and lib["good"].target == "cello"
    assert "not UTF-8 text" in lib.errors["latin1"]
    (tmp_path / "good.yaml").write_text("target: guitar\n")
    os.utime(tmp_path / "good.yaml", ns=(1, 1))
    assert "good" in lib.reload_if_changed() and lib["good"].target == "guitar"  # reloads still work


def test_a_preset_names_its_target_and_the_model_it_morphs_or_pairs_with():
    assert Preset(target="violin").model_names() == ("violin",)
    assert Preset(target="cello").with_params(morph_with="violin").model_names() == ("cello", "violin")
