"""Running max_for_live/test_shim/harness.js (node) from pytest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
M4L = ROOT / "max_for_live"
SHIM = M4L / "test_shim"
MAXPAT = M4L / "bridge.maxpat"
AMXD = M4L / "bridge.amxd"
SCRIPTS = sorted(M4L.glob("*.js"))
NODE = shutil.which("node")

sys.path.insert(0, str(M4L))
import build  # noqa: E402, F401  (max_for_live/build.py, the generator; re-exported to the tests)


def need_node():
    if NODE is None:
        pytest.skip("node is not installed")


def run_harness(out: Path, timeout: float = 240.0, **options) -> dict:
    """Runs a harness scenario; returns its summary. Options become --key value."""
    need_node()
    cmd = [NODE, str(SHIM / "harness.js"), "--out", str(out)]
    for k, v in options.items():
        cmd += ["--" + k.replace("_", "-"), str(v)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(SHIM))
    assert proc.returncode == 0, f"harness failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(out.read_text())


def load_patch() -> dict:
    return json.loads(MAXPAT.read_text(encoding="utf-8"))


def boxes(doc: dict) -> dict:
    return {e["box"]["id"]: e["box"] for e in doc["patcher"]["boxes"]}


def lines(doc: dict) -> list[tuple[str, int, str, int]]:
    return [(*e["patchline"]["source"], *e["patchline"]["destination"]) for e in doc["patcher"]["lines"]]


def js_functions(script: Path) -> set[str]:
    import re

    return set(re.findall(r"^function\s+(\w+)\s*\(", script.read_text(encoding="utf-8"), re.M))
