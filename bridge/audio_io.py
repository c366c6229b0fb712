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
import stat
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .errors import AudioFileError

log = logging.getLogger("bridge")

DEFAULT_SUBTYPES = {"WAV": "FLOAT", "AIFF": "FLOAT", "FLAC": "PCM_24", "OGG": "VORBIS"}


def read(path) -> tuple[np.ndarray, int]:
    """Reads an audio file (a path, or a file opened by :func:`open_within`) as float32 ``(channels, n)`` and its rate."""
    import soundfile as sf

    if hasattr(path, "read"):
        path.seek(0)
        label = getattr(path, "label", "the opened file")
    else:
        label = path
        path = Path(path)
        if not path.is_file():
            raise AudioFileError(f"{label}: no such file")
    try:
        y, sr = sf.read(path if hasattr(path, "read") else str(path), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises several types for unreadable files
        raise AudioFileError(f"{label}: cannot read audio ({e}); use wav, flac, ogg or mp3") from None
    if y.shape[0] == 0:
        raise AudioFileError(f"{label}: the file has no samples")
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


# os.replace takes src_dir_fd/dst_dir_fd wherever os.rename does (supports_dir_fd lists rename).
_DIR_FD = os.open in os.supports_dir_fd and os.rename in os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _fd_path(fd: int, fallback: Path) -> Path:
    """The real path of an open descriptor (Linux: /proc; elsewhere the name it was opened by, resolved)."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        real = Path(os.path.realpath(fallback))
        st, fs = os.stat(real), os.fstat(fd)
        if (st.st_dev, st.st_ino) != (fs.st_dev, fs.st_ino):
            raise AudioFileError(f"{fallback}: changed while it was being opened") from None
        return real


def _check_within(real: Path, roots: Sequence[Path], path: Path) -> None:
    if not any(real == r or r in real.parents for r in roots):
        raise AudioFileError(f"{path}: the folder now resolves to {real}, outside the allowed folders; not written")


def _commit(path: Path, write, commit, discard) -> None:
    """Writes the temporary, renames it into place; on any failure (Ctrl-C too) removes it, the old file stays."""
    try:
        write()
        commit()
    except BaseException as e:
        try:
            discard()
        except OSError:
            pass
        if not isinstance(e, Exception) or isinstance(e, AudioFileError):
            raise
        raise AudioFileError(f"{path}: cannot write audio ({e}); the old file, if any, is unchanged") from None


def open_within(path: Path, roots: Sequence[Path]):
    """Opens ``path`` to read, once: a regular file, not through a final symlink, inside ``roots``.

    What the caller checks next (duration, size) is then the file it reads, even if the
    name is swapped for another file or a symlink meanwhile.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise AudioFileError(f"{path}: cannot open ({e.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AudioFileError(f"{path}: not a regular file")
        _check_within(_fd_path(fd, path).parent, roots, path)
    except BaseException:
        os.close(fd)
        raise
    f = os.fdopen(fd, "rb")
    f.label = str(path)  # for messages: the name the client gave
    return f


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
    within: Sequence[Path] | None = None,
) -> Path:
    """Writes ``y`` [shape=(channels, n) or (n,)] atomically; returns the path.

    ``subtype`` (e.g. ``PCM_16``) is used when the format allows it, else the format's
    default (32-bit float for WAV/AIFF). Checks as :func:`check_output` first; ``within``
    (the daemon's allowed folders) is checked again on the opened folder itself.
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
    if not _DIR_FD:  # Windows: no *at() calls; the folder is trusted as checked by its path
        if within is not None:
            _check_within(Path(os.path.realpath(path.parent)), within, path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part", dir=str(path.parent))
        os.close(fd)
        _commit(path, lambda: sf.write(tmp, y.T, int(sample_rate), subtype=subtype, format=fmt),
                lambda: os.replace(tmp, path), lambda: os.unlink(tmp))
        return path
    # The folder is opened once, without following a symlink in its place, checked on the
    # descriptor, and the temporary is created exclusively in it and renamed there: swapping
    # the folder or the file for a symlink after the checks cannot redirect the write.
    try:
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    except OSError as e:  # ENOTDIR/ELOOP: a symlink now stands where the folder was
        raise AudioFileError(f"{path.parent}: cannot open the folder ({e.strerror}); not written") from None
    try:
        if within is not None:
            _check_within(_fd_path(dfd, path.parent), within, path)
        tmp = f".{path.stem}.{os.urandom(6).hex()}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=dfd)

        def write_tmp() -> None:
            with os.fdopen(fd, "wb") as f:
                sf.write(f, y.T, int(sample_rate), subtype=subtype, format=fmt)

        _commit(path, write_tmp, lambda: os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd),
                lambda: os.unlink(tmp, dir_fd=dfd))
    finally:
        os.close(dfd)
    return path
