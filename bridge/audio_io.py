"""Reading and writing audio files (the edges of the offline commands and the daemon's file jobs).

Writing never destroys a take: :func:`check_output` refuses a path that is one of the
inputs (same file, compared by inode where it exists) and an existing file unless
``overwrite`` is given; :func:`write` renders into a temporary file in the same folder
and renames it into place, so an interrupted run leaves the old file as it was. The
output keeps the input's subtype (16/24-bit PCM stays PCM) when its format allows it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np

from .errors import AudioFileError

log = logging.getLogger("bridge")

DEFAULT_SUBTYPES = {"WAV": "FLOAT", "AIFF": "FLOAT", "FLAC": "PCM_24", "OGG": "VORBIS"}


def read(path: Path | str) -> tuple[np.ndarray, int]:
    """Reads an audio file as float32 ``(channels, n)`` and its sample rate."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such file")
    try:
        y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises several types for unreadable files
        raise AudioFileError(f"{path}: cannot read audio ({e}); use wav, flac, ogg or mp3") from None
    if y.shape[0] == 0:
        raise AudioFileError(f"{path}: the file has no samples")
    return np.ascontiguousarray(y.T), int(sr)


def subtype_of(path: Path | str) -> str | None:
    """The sample format of an existing file (e.g. ``PCM_16``, ``FLOAT``), or None if unreadable."""
    import soundfile as sf

    try:
        return sf.info(str(path)).subtype
    except Exception:
        return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: Path | str, overwrite: bool = False, protect: Iterable[Path | str] = ()) -> Path:
    """Refuses to write ``path`` over one of ``protect`` (the inputs), or over any existing file unless ``overwrite``."""
    path = Path(path)
    for src in protect:
        src = Path(src)
        if _same_file(path, src) or path.resolve() == src.resolve():
            raise AudioFileError(f"{path}: is the input {src}; refusing to write over it (choose another -o)")
    if path.exists() and not overwrite:
        raise AudioFileError(f"{path}: exists; pass -y/--overwrite to replace it (nothing was written)")
    if path.exists() and path.is_dir():
        raise AudioFileError(f"{path}: is a folder; give a file name")
    return path


def _format_for(path: Path) -> str:
    import soundfile as sf

    fmt = path.suffix.lower().lstrip(".") or "wav"
    fmt = {"aif": "aiff", "oga": "ogg"}.get(fmt, fmt).upper()
    if fmt not in sf.available_formats():
        raise AudioFileError(f"{path}: unknown audio format {path.suffix!r}; use .wav, .flac, .aiff or .ogg")
    return fmt


def write(
    path: Path | str,
    y: np.ndarray,
    sample_rate: int,
    subtype: str | None = None,
    *,
    overwrite: bool = True,
    protect: Iterable[Path | str] = (),
) -> Path:
    """Writes ``y`` [shape=(channels, n) or (n,)] atomically; returns the path.

    ``subtype`` (e.g. ``PCM_16``) is used when the format allows it, else the format's
    default (32-bit float for WAV/AIFF). Checks as :func:`check_output` first.
    """
    import soundfile as sf

    path = check_output(path, overwrite, protect)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 1:
        y = y[None]
    fmt = _format_for(path)
    if subtype is not None and not sf.check_format(fmt, subtype):
        subtype = None
    subtype = subtype or DEFAULT_SUBTYPES.get(fmt)
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True)
        log.info("created folder %s", path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part", dir=str(path.parent))
    os.close(fd)
    try:
        sf.write(tmp, y.T, int(sample_rate), subtype=subtype, format=fmt)
        os.replace(tmp, path)
    except BaseException as e:  # Ctrl-C too: the temporary goes, the old file stays
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if not isinstance(e, Exception) or isinstance(e, AudioFileError):
            raise
        raise AudioFileError(f"{path}: cannot write audio ({e}); the old file, if any, is unchanged") from None
    return path
