"""Which paths file mode may read and write: only inside configured folders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..errors import ParameterError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aif", ".aiff", ".mp3")
WRITE_SUFFIXES = (".wav", ".flac", ".ogg", ".aif", ".aiff")


def default_roots() -> list[Path]:
    """``~/Music/bridge``: the Live device's clip folder. Not the system temp folder, which any
    local user can read and write (pass ``--files`` to add folders)."""
    return [Path.home() / "Music" / "bridge"]


class FileAccess:
    """Checks request paths against allowed root folders, after resolving symlinks."""

    def __init__(self, roots: Iterable[Path | str]):
        self.roots = [Path(os.path.realpath(r)) for r in roots]

    def check(self, path: str, *, write: bool, label: str = "path") -> Path:
        """Returns the resolved path, or raises ParameterError saying why it is refused."""
        if not path:
            raise ParameterError(f"{label}: empty path")
        if "\x00" in path:
            raise ParameterError(f"{label}: NUL character in path")
        p = Path(os.path.expanduser(path))
        if not p.is_absolute():
            raise ParameterError(f"{label}: expected an absolute path, got {path!r}")
        if ".." in p.parts:
            raise ParameterError(f"{label}: '..' is not allowed in {path!r}")
        real = Path(os.path.realpath(p))
        if not any(real == r or r in real.parents for r in self.roots):
            raise ParameterError(
                f"{label}: {path!r} is outside the allowed folders ({', '.join(map(str, self.roots))}); "
                f"start bridge serve with --files DIR to allow another"
            )
        suffixes = WRITE_SUFFIXES if write else AUDIO_SUFFIXES
        if real.suffix.lower() not in suffixes and not (write and real.suffix == ""):
            raise ParameterError(f"{label}: expected one of {', '.join(suffixes)}, got {real.suffix or 'no suffix'}")
        if write:
            if not real.parent.is_dir():
                raise ParameterError(f"{label}: folder {str(real.parent)!r} does not exist")
        elif not real.is_file():
            raise ParameterError(f"{label}: {path!r} does not exist")
        return real

    def check_dir(self, path: str, label: str = "out_dir") -> Path:
        p = Path(os.path.expanduser(path))
        if not p.is_absolute() or ".." in p.parts:
            raise ParameterError(f"{label}: expected an absolute path without '..', got {path!r}")
        real = Path(os.path.realpath(p))
        if not any(real == r or r in real.parents for r in self.roots):
            raise ParameterError(f"{label}: {path!r} is outside the allowed folders ({', '.join(map(str, self.roots))})")
        if not real.is_dir():
            raise ParameterError(f"{label}: {path!r} is not an existing folder")
        return real
