"""Preset files: YAML in the package's ``presets/`` and in user folders, hot-reloaded.

A preset's name is its file stem. User folders come first, so a user's ``violin.yaml``
overrides the shipped one. ``reload_if_changed`` re-reads files whose modification
time or size changed, or whose name now resolves to another file (a user's override
deleted: the shipped preset is back); a file that fails validation keeps its last good
version and the error is reported (``failed``, for the daemon to tell its clients),
never raised into the audio path.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable

from .config import Preset, load_yaml
from .errors import ParameterError

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
# The shipped presets live in the repository's top-level presets/ and are installed as bridge/presets.
SHIPPED_DIRS = (_HERE / "presets", _HERE.parent / "presets")
USER_DIR = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "bridge" / "presets"


def load_preset(path: Path) -> Preset:
    """Reads and validates one preset file; errors name the file and the key."""
    data = load_yaml(path)
    if data is None:
        raise ParameterError(f"{path}: empty preset file")
    data = dict(data) if isinstance(data, dict) else data
    if isinstance(data, dict):
        data.setdefault("name", Path(path).stem)
    return Preset.from_dict(data, where=f"{Path(path).name}: ")


def resolve_preset(name_or_path: str, library: "PresetLibrary | None" = None) -> Preset:
    """A preset by name from ``library`` (the default folders when None), or by path to a ``.yaml`` file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        return load_preset(p)
    return (library if library is not None else PresetLibrary())[name_or_path]


class PresetLibrary:
    """All presets found in ``dirs`` (earlier folders win), reloaded when files change."""

    def __init__(self, dirs: Iterable[Path | str] = ()):
        self.dirs = [Path(d) for d in dirs] + [USER_DIR] + [d for d in SHIPPED_DIRS if d.is_dir()][:1]
        self.presets: dict[str, Preset] = {}
        self.errors: dict[str, str] = {}
        self.failed: list[str] = []  # names whose file failed at the last reload
        self._loaded_from: dict[str, tuple[Path, int, int]] = {}  # name -> (file, mtime_ns, size) in use
        self.reload_if_changed()

    def files(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for d in self.dirs:
            if d.is_dir():
                for p in sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")):
                    if p.is_file():  # regular files only: reading a FIFO would block the daemon
                        found.setdefault(p.stem, p)
        return found

    def reload_if_changed(self) -> list[str]:
        """Re-reads new, modified or re-resolved files; returns the names whose preset changed."""
        changed, self.failed = [], []
        files = self.files()
        for name in list(self.presets):
            if name not in files:
                del self.presets[name]
                self._loaded_from.pop(name, None)
                changed.append(name)
        for name, path in files.items():
            try:
                st = path.stat()
            except OSError:
                continue
            source = (path, st.st_mtime_ns, st.st_size)
            if self._loaded_from.get(name) == source and name in self.presets:
                continue
            self._loaded_from[name] = source
            try:
                self.presets[name] = load_preset(path)
                self.errors.pop(name, None)
                changed.append(name)
            except ParameterError as e:
                self.errors[name] = str(e)
                self.failed.append(name)
                log.error("preset %s not loaded: %s", name, e)
        return changed

    def __getitem__(self, name: str) -> Preset:
        if name in self.presets:
            return self.presets[name]
        if name in self.errors:
            raise ParameterError(f"preset: {name!r} has an error: {self.errors[name]}")
        raise ParameterError(f"preset: unknown name {name!r}; available: {', '.join(sorted(self.presets)) or 'none'}")

    def names(self) -> list[str]:
        return sorted(self.presets)
