"""Spectral analysis and inversion as plain numpy functions.

Framing convention: frame ``j`` of a signal is centred on sample ``j * hop_length``; the
signal is zero outside its extent (no reflection), so a frame's value depends only on
the samples around it. That makes offline and streamed analysis identical.

STFT magnitudes are scaled by ``2 / sum(window)`` so that a full-scale sine reads
1.0 (0 dB) whatever ``n_fft`` is. Mel filters are triangular with unit peak
(``norm=None``) so mel power stays in the same dB units.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .config import MelConfig

EPS_POWER = 1e-12


def hann_window(n_fft: int) -> np.ndarray:
    """Returns the periodic Hann window of length ``n_fft`` (float64)."""
    n = np.arange(n_fft)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / n_fft)


def frame(y: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """Slices ``y`` into overlapping frames without copying.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    Returns
    -------
    frames : np.ndarray [shape=(n_frames, n_fft)], ``n_frames = 1 + (n - n_fft) // hop_length``
    """
    if y.ndim != 1:
        raise ValueError(f"y: expected 1-D, got shape {y.shape}")
    if len(y) < n_fft:
        raise ValueError(f"y: expected at least n_fft={n_fft} samples, got {len(y)}")
    n_frames = 1 + (len(y) - n_fft) // hop_length
    return np.lib.stride_tricks.as_strided(
        y, shape=(n_frames, n_fft), strides=(y.strides[0] * hop_length, y.strides[0]), writeable=False
    )


def stft(y: np.ndarray, n_fft: int, hop_length: int, window: np.ndarray) -> np.ndarray:
    """Short-time Fourier transform of a segment whose first frame starts at sample 0.

    Returns
    -------
    S : np.ndarray [shape=(1 + n_fft // 2, n_frames), dtype=complex]
    """
    return stft_frames(frame(np.ascontiguousarray(y, dtype=np.float64), n_fft, hop_length), window).T


def stft_frames(frames: np.ndarray, window: np.ndarray) -> np.ndarray:
    """The spectra of ``frames`` ``(n_frames, n_fft)``, one row each ``(n_frames, 1 + n_fft // 2)``.

    Row ``j`` depends on frame ``j`` only, bit for bit (a stream reuses rows of overlapping windows).
    """
    return np.fft.rfft(frames * window, n=frames.shape[1], axis=1) * (2.0 / window.sum())


def istft(S: np.ndarray, n_fft: int, hop_length: int, window: np.ndarray) -> np.ndarray:
    """Inverse of :func:`stft` by weighted overlap-add (least squares, Griffin & Lim 1984).

    Returns
    -------
    y : np.ndarray [shape=((n_frames - 1) * hop_length + n_fft,)]
    """
    n_frames = S.shape[1]
    frames = np.fft.irfft(S.T, n=n_fft, axis=1) * (window.sum() / 2.0) * window
    y = overlap_add(frames, hop_length)
    norm = overlap_add(np.broadcast_to(window**2, frames.shape), hop_length)
    np.divide(y, norm, out=y, where=norm > 1e-8)
    y[norm <= 1e-8] = 0.0
    return y[: (n_frames - 1) * hop_length + n_fft]


def overlap_add(frames: np.ndarray, hop_length: int) -> np.ndarray:
    """Sums frames ``(n_frames, n_fft)`` placed every ``hop_length`` samples."""
    n_frames, n_fft = frames.shape
    out = np.zeros((n_frames - 1) * hop_length + n_fft + hop_length)
    if n_fft % hop_length == 0:
        r = n_fft // hop_length
        for k in range(r):
            out[k * hop_length : k * hop_length + n_frames * hop_length] += frames[
                :, k * hop_length : (k + 1) * hop_length
            ].reshape(-1)
    else:
        for j in range(n_frames):
            out[j * hop_length : j * hop_length + n_fft] += frames[j]
    return out[: (n_frames - 1) * hop_length + n_fft]


@dataclass(frozen=True, eq=False)
class MelTransform:
    """Precomputed arrays for one :class:`MelConfig`: window, filterbank and its pseudo-inverse."""

    config: MelConfig
    window: np.ndarray
    basis: np.ndarray  # (n_mels, 1 + n_fft // 2)
    pinv: np.ndarray  # (1 + n_fft // 2, n_mels)


def hz_to_mel(f_hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (linear below 1 kHz, logarithmic above), as librosa's ``htk=False``."""
    f = np.asarray(f_hz, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz(mels: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    m = np.asarray(mels, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(sample_rate: int, n_fft: int, n_mels: int, fmin_hz: float, fmax_hz: float) -> np.ndarray:
    """Unit-peak triangular mel filters on the Slaney scale, shape ``(n_mels, 1 + n_fft // 2)``.

    The same filters as ``librosa.filters.mel(norm=None)`` (a test checks it), built here so
    the daemon never imports librosa: its first call JIT-compiles numba code for seconds.
    """
    fft_hz = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    mel_hz = mel_to_hz(np.linspace(hz_to_mel(fmin_hz), hz_to_mel(fmax_hz), n_mels + 2))
    fdiff = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    return np.maximum(0.0, np.minimum(lower, upper))


@functools.lru_cache(maxsize=16)
def mel_transform(config: MelConfig) -> MelTransform:
    """Builds (once per config) the :class:`MelTransform` for ``config``."""
    basis = mel_filters(config.sample_rate, config.n_fft, config.n_mels, config.fmin_hz, config.fmax_hz)
    return MelTransform(config, hann_window(config.n_fft), basis, np.linalg.pinv(basis))


def pad_centered(y: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """Zero-pads ``y`` so that frames centred on ``0, hop, 2 hop, ...`` cover all of it."""
    n_frames = 1 + len(y) // hop_length
    total = (n_frames - 1) * hop_length + n_fft
    out = np.zeros(total)
    out[n_fft // 2 : n_fft // 2 + len(y)] = y
    return out


def mel_power_db(S: np.ndarray, tf: MelTransform) -> np.ndarray:
    """Mel power in dB of a complex STFT ``(n_bins, n_frames)``; returns ``(n_mels, n_frames)``."""
    power = tf.basis @ (np.abs(S) ** 2)
    return 10.0 * np.log10(np.maximum(power, EPS_POWER))


def spectrogram(y: np.ndarray, tf: MelTransform) -> np.ndarray:
    """The complex STFT of a whole signal on the absolute frame grid: ``(1 + n_fft // 2, 1 + n // hop)``."""
    c = tf.config
    return stft(pad_centered(y, c.n_fft, c.hop_length), c.n_fft, c.hop_length, tf.window)


def melspectrogram_db(y: np.ndarray, tf: MelTransform) -> np.ndarray:
    """Log-mel power of a whole signal on the absolute frame grid.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    Returns
    -------
    db : np.ndarray [shape=(n_mels, 1 + n // hop_length)]
    """
    return mel_power_db(spectrogram(y, tf), tf)


def level_db(db: np.ndarray) -> float:
    """Loudness of a mel window: mean over frames of the summed mel power, in dB."""
    power = np.power(10.0, db / 10.0).sum(axis=-2).mean(axis=-1)
    return float(10.0 * np.log10(max(float(power), EPS_POWER)))


def window_gain_db(db: np.ndarray, config: MelConfig) -> float:
    """The dB shift that brings a mel window to ``config.loudness_db`` (boost capped)."""
    return min(config.loudness_db - level_db(db), config.max_gain_db)


def db_to_model(db: np.ndarray, gain_db: float, config: MelConfig) -> np.ndarray:
    """Maps log-mel dB plus a gain to the model's [-1, 1] range (clipped)."""
    x = 2.0 * (db + gain_db - config.db_min) / (config.db_max - config.db_min) - 1.0
    return np.clip(x, -1.0, 1.0)


def model_to_db(x: np.ndarray, gain_db: float, config: MelConfig) -> np.ndarray:
    """Inverse of :func:`db_to_model` for values inside [-1, 1]."""
    return (np.clip(x, -1.0, 1.0) + 1.0) * 0.5 * (config.db_max - config.db_min) + config.db_min - gain_db


def db_to_magnitude(db: np.ndarray, tf: MelTransform) -> np.ndarray:
    """Linear STFT magnitude from mel dB by the filterbank's pseudo-inverse (no NNLS)."""
    power = tf.pinv @ np.power(10.0, db / 10.0)
    return np.sqrt(np.maximum(power, 0.0))


def mel_gain_to_linear(gain_db: np.ndarray, tf: MelTransform) -> np.ndarray:
    """Interpolates per-mel dB gains ``(n_mels, frames)`` onto the STFT bins ``(n_bins, frames)``.

    Each bin takes the filter-weighted mean of the gains of the mel bands covering it;
    bins outside every band take the gain of the nearest band edge.
    """
    w = tf.basis.T  # (n_bins, n_mels)
    cover = w.sum(axis=1)
    lin = (w @ gain_db) / np.maximum(cover, 1e-12)[:, None]
    covered = np.flatnonzero(cover > 1e-6)
    if covered.size and covered.size < len(cover):
        lo, hi = covered[0], covered[-1]
        lin[:lo] = lin[lo]
        lin[hi + 1 :] = lin[hi]
    return lin


def envelope_transfer(S: np.ndarray, db_seen: np.ndarray, db_out: np.ndarray, tf: MelTransform,
                      max_gain_db: float = 30.0) -> np.ndarray:
    """Applies the change from ``db_seen`` to ``db_out`` (mel dB) to the complex STFT ``S``.

    The input's own harmonics and phase carry the melody; the mel-domain gain carries
    the new timbre. Gains are limited to +-``max_gain_db`` so a silent bin is not
    blown up into noise. Returns the new complex STFT.
    """
    gain = np.clip(db_out - db_seen, -max_gain_db, max_gain_db)
    return S * np.power(10.0, mel_gain_to_linear(gain, tf) / 20.0)


def fill_missing(S_out: np.ndarray, db_out: np.ndarray, S_in: np.ndarray, tf: MelTransform, amount: float) -> np.ndarray:
    """Adds ``amount`` of the energy the mel ``db_out`` asks for beyond what ``S_out`` has.

    Envelope transfer can only rescale partials the input already has; a bowed string's
    noise or a breath between notes has nowhere to come from. This adds the shortfall
    (pseudo-inverse magnitude minus the current magnitude, where positive) with the
    input's phase. 0 leaves ``S_out`` as it is.
    """
    if amount <= 0:
        return S_out
    shortfall = np.maximum(db_to_magnitude(db_out, tf) - np.abs(S_out), 0.0)
    return S_out + amount * shortfall * unit_phase(S_in)


def band_mask(n_fft: int, sample_rate: int, highpass_hz: float, lowpass_hz: float) -> np.ndarray | None:
    """A smooth spectral mask for the cleanup filters; ``None`` when both are off.

    Each edge is a half-octave raised-cosine ramp ending at the corner frequency.
    """
    if highpass_hz <= 0 and lowpass_hz <= 0:
        return None
    f = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    mask = np.ones_like(f)
    if highpass_hz > 0:
        lo = highpass_hz / np.sqrt(2.0)
        ramp = np.clip((np.log2(np.maximum(f, 1e-9)) - np.log2(lo)) / 0.5, 0.0, 1.0)
        mask *= np.sin(0.5 * np.pi * ramp) ** 2
    if lowpass_hz > 0:
        hi = lowpass_hz * np.sqrt(2.0)
        ramp = np.clip((np.log2(hi) - np.log2(np.maximum(f, 1e-9))) / 0.5, 0.0, 1.0)
        mask *= np.sin(0.5 * np.pi * ramp) ** 2
    return mask


def griffin_lim(
    magnitude: np.ndarray,
    angles: np.ndarray,
    n_iter: int,
    n_fft: int,
    hop_length: int,
    window: np.ndarray,
    momentum: float = 0.99,
) -> np.ndarray:
    """Fast Griffin-Lim (Perraudin et al. 2013) from given unit-modulus ``angles``.

    Parameters
    ----------
    magnitude : np.ndarray [shape=(n_bins, n_frames)]
    angles : np.ndarray [shape=(n_bins, n_frames), dtype=complex], modulus 1
    Returns
    -------
    y : np.ndarray [shape=((n_frames - 1) * hop_length + n_fft,)]
    """
    prev = np.zeros_like(angles)
    for _ in range(n_iter):
        rebuilt = stft(istft(magnitude * angles, n_fft, hop_length, window), n_fft, hop_length, window)
        accel = rebuilt - (momentum / (1.0 + momentum)) * prev
        angles = accel / np.maximum(np.abs(accel), 1e-16)
        prev = rebuilt
    return istft(magnitude * angles, n_fft, hop_length, window)


def unit_phase(S: np.ndarray) -> np.ndarray:
    """Unit-modulus phase of ``S``; bins of zero magnitude get phase 0."""
    mag = np.abs(S)
    out = np.ones_like(S)
    np.divide(S, mag, out=out, where=mag > 1e-16)
    return out


def random_phase(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """Uniform random unit-modulus phase."""
    return np.exp(2j * np.pi * rng.random(shape))


def crossfade_weights(n: int, fade: int) -> np.ndarray:
    """Weights for one window of ``n`` samples with complementary sin^2 fades of ``fade`` samples.

    Windows placed every ``n - fade`` samples sum to exactly 1.
    """
    w = np.ones(n)
    if fade > 0:
        ramp = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade) ** 2
        w[:fade] = ramp
        w[n - fade :] = ramp[::-1]
    return w


def rms_db(y: np.ndarray) -> float:
    """Root-mean-square level of ``y`` in dBFS (-inf for silence)."""
    ms = float(np.mean(np.square(y, dtype=np.float64))) if y.size else 0.0
    return 10.0 * np.log10(ms) if ms > 0 else float("-inf")


def db_to_amplitude(gain_db: float) -> float:
    return float(10.0 ** (gain_db / 20.0))


def spectral_convergence(reference_mag: np.ndarray, y: np.ndarray, n_fft: int, hop_length: int,
                         window: np.ndarray) -> float:
    """Relative Frobenius error between a target magnitude and the magnitude of ``y``."""
    mag = np.abs(stft(y, n_fft, hop_length, window))
    n = min(mag.shape[1], reference_mag.shape[1])
    return float(np.linalg.norm(mag[:, :n] - reference_mag[:, :n]) / max(np.linalg.norm(reference_mag[:, :n]), 1e-12))
