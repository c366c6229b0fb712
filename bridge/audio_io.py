"""Reading and writing audio files (the edges of the offline commands)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import AudioFileError


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


def write(path: Path | str, y: np.ndarray, sample_rate: int) -> Path:
    """Writes ``y`` [shape=(channels, n) or (n,)] as 32-bit float (wav) or the format the suffix names."""
    import soundfile as sf

    path = Path(path)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 1:
        y = y[None]
    path.parent.mkdir(parents=True, exist_ok=True)
    subtype = "FLOAT" if path.suffix.lower() in (".wav", "") else None
    try:
        sf.write(str(path), y.T, int(sample_rate), subtype=subtype)
    except Exception as e:
        raise AudioFileError(f"{path}: cannot write audio ({e})") from None
    return path
