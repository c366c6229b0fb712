"""The analysis grid every lab measure shares: 22050 Hz mono, the models' mel STFT, a YIN f0.

Also the quiet progress bar the long lab jobs show on a terminal.
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from bridge.errors import ParameterError

ANALYSIS_RATE = 22050
PITCH_FMIN_HZ = 61.7  # B1, under the lowest melodic range (cello C2)
PITCH_FMAX_HZ = 2093.0  # C7, over the highest (flute A6)


@functools.lru_cache(maxsize=1)
def analysis_transform():
    """The mel transform of the analysis grid (the models' mel settings at 22050 Hz)."""
    from bridge import dsp
    from bridge.config import MelConfig

    return dsp.mel_transform(MelConfig(sample_rate=ANALYSIS_RATE))


def to_analysis_rate(y: np.ndarray, sample_rate: int) -> np.ndarray:
    """``y`` (mono, or ``(channels, n)`` mixed to mono) as float64 at :data:`ANALYSIS_RATE`."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        y = y.mean(axis=0)
    if y.ndim != 1:
        raise ParameterError(f"audio: expected shape (n,) or (channels, n), got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ParameterError("audio: contains NaN or infinite samples")
    if sample_rate != ANALYSIS_RATE:
        import soxr

        y = soxr.resample(y, sample_rate, ANALYSIS_RATE, quality="HQ")
    return y


def fit_length(y: np.ndarray, n: int) -> np.ndarray:
    """``y`` cut or zero-padded to exactly ``n`` samples (float32)."""
    out = np.zeros(n, np.float32)
    out[: min(n, len(y))] = y[:n]
    return out


def yin(y: np.ndarray, n_frames: int) -> np.ndarray:
    """A cheap YIN f0 per analysis frame (no voicing decision), for the harmonic features and pitch refinement."""
    import librosa

    c = analysis_transform().config
    f0 = librosa.yin(y, fmin=PITCH_FMIN_HZ, fmax=PITCH_FMAX_HZ, sr=c.sample_rate, frame_length=c.n_fft,
                     hop_length=c.hop_length, center=True)
    f0 = fit_length(f0, n_frames) if len(f0) < n_frames else f0[:n_frames]
    return np.where(f0 > 0, f0, PITCH_FMIN_HZ)


def bar(total: int, desc: str, unit: str = "it"):
    """A tqdm bar on a terminal (disabled when stderr is redirected), cleared when closed."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not sys.stderr.isatty(), leave=False)
