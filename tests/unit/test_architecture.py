"""The house rules, pinned: what may import what, read from the source (lazy imports included).

bridge/ is the runtime a musician installs; lab/ measures it and export/ trains for it,
and neither is ever imported by it. Inside bridge/, the pure modules (DSP, sampling,
configuration) know nothing of models, streams or the server; only model.py touches
onnxruntime; only serve/ owns sockets and threads.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

BRIDGE = ROOT / "bridge"
PURE = ("bridge.dsp", "bridge.sampling", "bridge.config", "bridge.errors", "bridge.audio_io")
MAX_LINES = 450


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def runtime_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(BRIDGE.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside functions, relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # `from . import stream` names a module
    return found


def internal_edges() -> dict[str, set[str]]:
    mods = runtime_modules()
    return {m: {i for i in imports_of(p) if i in mods and i != m} for m, p in mods.items()}


def test_the_scan_sees_lazy_and_relative_imports():
    edges = internal_edges()
    assert "bridge.serve.server" in edges["bridge.cli"]  # imported inside cmd_serve only
    assert "bridge.stream" in edges["bridge.offline"]  # `from .stream import ...`
    assert "bridge.config" in edges["bridge.serve.handlers"]  # `from ..config import ...`


def test_runtime_never_imports_lab_or_export():
    for mod, path in runtime_modules().items():
        bad = {i for i in imports_of(path) if i.split(".")[0] in ("lab", "export", "torch")}
        assert not bad, f"{mod} imports {sorted(bad)}"
        # nor by module name, e.g. `python -m export.eager` in a subprocess
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not node.value.startswith(("lab.", "export.")), f"{mod} names module {node.value!r}"


def test_pure_modules_know_no_models_streams_or_server():
    edges = internal_edges()
    for mod in PURE:
        bad = {i for i in edges[mod] if i not in PURE}
        assert not bad, f"{mod} imports {sorted(bad)}"


def test_stream_and_offline_never_import_the_server():
    edges = internal_edges()
    for mod in ("bridge.stream", "bridge.offline", "bridge.model"):
        assert not {i for i in edges[mod] if i.startswith("bridge.serve")}, mod


def test_only_model_py_touches_onnxruntime():
    users = {m for m, p in runtime_modules().items() if any(i.split(".")[0] == "onnxruntime" for i in imports_of(p))}
    assert users == {"bridge.model"}


def test_handlers_never_load_models():
    """Loading is a background job; a handler only reads ``models.loaded``."""
    tree = ast.parse((BRIDGE / "serve" / "handlers.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr != "load", f"line {node.lineno}: a handler calls .load()"
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            assert node.value.attr != "models", f"line {node.lineno}: models[...] would load on the event loop"


def test_adapters_get_narrow_callables_not_the_daemon():
    for name in ("midi", "live"):
        src = (BRIDGE / "serve" / f"{name}.py").read_text(encoding="utf-8")
        imported = imports_of(BRIDGE / "serve" / f"{name}.py")
        assert not {"bridge.serve.server", "bridge.serve.handlers"} & imported, name
        assert "daemon." not in src and "app." not in src, name


def test_no_import_cycle():
    edges = internal_edges()
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                cycle = path[path.index(n):] + [n] if n in path else [m, n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])


def test_no_runtime_module_is_too_long():
    long = {m: n for m, p in runtime_modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_the_running_daemon_modules_load_none_of_the_lab():
    """What `bridge serve` imports at run time: no lab, export, torch, librosa, scipy or matplotlib."""
    code = ("import sys; import bridge.cli, bridge.serve.server, bridge.serve.live, bridge.serve.midi, bridge.offline; "
            "bridge.cli.build_parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'lab', 'export', 'torch', 'librosa', 'scipy', 'matplotlib', 'numba'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), check=True)
    assert out.stdout.strip() == "[]"


def test_signals_do_not_depend_on_add_signal_handler():
    """loop.add_signal_handler does not exist on Windows; the server uses signal.signal."""
    for mod, path in runtime_modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            assert not (isinstance(node, ast.Attribute) and node.attr == "add_signal_handler"), mod


def test_signal_handlers_are_installed_and_put_back():
    import asyncio
    import signal

    from bridge.serve.server import Signals

    before = signal.getsignal(signal.SIGTERM)
    loop = asyncio.new_event_loop()
    try:
        s = Signals(loop, 1.0)
        s.install()
        assert signal.getsignal(signal.SIGTERM) == s._on_signal
        s._on_signal(signal.SIGTERM, None)  # as the interpreter calls it
        loop.run_until_complete(asyncio.wait_for(s.stop.wait(), 5))
        assert s.count == 1 and not s.forced.is_set()
        s._on_signal(signal.SIGINT, None)
        loop.run_until_complete(asyncio.wait_for(s.forced.wait(), 5))
        s.restore()
        assert signal.getsignal(signal.SIGTERM) == before
    finally:
        loop.close()
