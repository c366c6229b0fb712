"""The models that ship inside the package: listed, small, documented, loadable without torch."""

import json
import subprocess
import sys

from bridge.model import PACKAGE_MODELS
from support import ROOT

REQUIRED = {"guitar", "violin", "cello", "flute", "voice", "kick", "snare", "hihat"}


def test_bridge_models_lists_the_defaults():
    r = subprocess.run([sys.executable, "-m", "bridge.cli", "models", "--json"], capture_output=True, text=True,
                       cwd=str(ROOT), check=True)
    rows = {m["name"]: m for m in json.loads(r.stdout)}
    assert REQUIRED <= set(rows), f"missing: {REQUIRED - set(rows)}"
    assert len(rows) >= 8
    for name, m in rows.items():
        assert "error" not in m, m
        assert m["bytes"] <= 8 * 1024 * 1024, f"{name}: {m['bytes']} bytes"
        assert m["train_steps"] and m["final_loss"] is not None
        assert (PACKAGE_MODELS / f"{name}.md").is_file(), f"{name}: no model card"


def test_each_model_runs_a_forward_without_torch():
    code = """
import sys, json, numpy as np
from bridge.model import Denoiser, PACKAGE_MODELS
out = {}
for p in sorted(PACKAGE_MODELS.glob('*.onnx')):
    d = Denoiser.load(p, providers=('cpu',), threads=1)
    m = d.info.mel
    x = np.random.default_rng(0).standard_normal((2, 1, m.n_mels, m.window_frames)).astype(np.float32)
    eps, x0 = d(x, np.array([100, 700]))
    out[p.stem] = bool(np.isfinite(eps).all() and np.isfinite(x0).all() and x0.shape == x.shape)
print(json.dumps({'torch': 'torch' in sys.modules, 'ok': out}))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), check=True)
    res = json.loads(r.stdout)
    assert res["torch"] is False
    assert len(res["ok"]) >= 8 and all(res["ok"].values()), res["ok"]


def test_bridge_models_says_what_each_model_is_for():
    r = subprocess.run([sys.executable, "-m", "bridge.cli", "models"], capture_output=True, text=True,
                       cwd=str(ROOT), check=True)
    lines = {line.split()[0]: line for line in r.stdout.splitlines()[1:]}
    assert "pitch+onset controls" in lines["violin"] and "unconditional" in lines["kick"]
    for name, line in lines.items():
        if name.endswith(".student"):
            assert f"student of {name[: -len('.student')]}, <=" in line, line


def test_every_shipped_preset_opens_on_the_shipped_models():
    """What a preset asks of its target (controls, a student, a measured noise share) the shipped file has."""
    from bridge.model import ModelSet
    from bridge.presets import load_preset
    from bridge.stream import check_preset

    models = ModelSet([], "cpu", threads=1)
    measured = []
    for path in sorted((ROOT / "presets").glob("*.yaml")):
        preset = load_preset(path)
        check_preset(preset, models)
        if preset.render.inversion == "harmonic" and preset.render.noise == "measured":
            share = models[preset.target].info.controls["noise_share"]
            assert len(share) == models[preset.target].info.mel.n_mels
            measured.append(path.stem)
    assert {"guitar-to-violin", "voice-to-violin", "live"} <= set(measured)
