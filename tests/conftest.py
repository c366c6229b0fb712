"""Shared fixtures: a seeded RNG, tiny real ONNX models, preset and file folders, a running daemon."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Caches (training mels) go to a folder of this run, never the user's ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="bridge-tests-cache-")

from support import ROOT, build_tiny_model, run_daemon  # noqa: E402

TINY_INSTRUMENTS = ("violin", "guitar", "cello", "kick")


@pytest.fixture
def rng():
    return np.random.default_rng(440)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """Tiny real ONNX denoisers named after instruments (built with onnx.helper, no torch)."""
    d = tmp_path_factory.mktemp("models")
    for i, name in enumerate(TINY_INSTRUMENTS):  # the melodic ones conditioned, as the shipped ones
        build_tiny_model(d / f"{name}.onnx", name, seed=i, controls=name in ("violin", "guitar", "cello"))
    return d


@pytest.fixture(scope="session")
def tiny_models(tiny_model_dir):
    from bridge.model import ModelSet

    ms = ModelSet([tiny_model_dir], "cpu", threads=1)
    for name in TINY_INSTRUMENTS:
        ms[name]
    return ms


@pytest.fixture(scope="session")
def preset_dir(tmp_path_factory) -> Path:
    """The shipped presets, copied so tests can add and edit files."""
    d = tmp_path_factory.mktemp("presets")
    for p in (ROOT / "presets").glob("*.yaml"):
        shutil.copy(p, d / p.name)
    return d


@pytest.fixture(scope="session")
def files_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("files")


@pytest.fixture(scope="module")
def daemon(tiny_model_dir, preset_dir, files_dir):
    """One daemon on tiny models for a test module (real UDP on 127.0.0.1, port 0)."""
    with run_daemon("--models", str(tiny_model_dir), "--presets", str(preset_dir), "--files", str(files_dir),
                    "--reply-port", "9", "--provider", "cpu", "--threads", "1") as d:
        yield d
