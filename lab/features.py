"""Window features: what the instrument classifier and the Frechet distance see of a signal.

About 1 s windows every 0.25 s on the analysis grid (:mod:`lab.analysis`), silent ones
skipped; per window 97 level-independent numbers (MFCC statistics, flatness, centroid,
contrast, the level envelope, flux, harmonic levels at a YIN f0).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .analysis import analysis_transform, to_analysis_rate, yin

FEATURE_VERSION = 3  # bump when a feature changes (names the cached feature files)
WINDOW_FRAMES = 86  # ~1.0 s of 256-sample hops at 22050 Hz
HOP_FRAMES = 22  # ~0.25 s
SILENCE_ABS_DB = -70.0  # windows whose loudest frame is below this are skipped
SILENCE_REL_DB = 45.0  # ... or more than this below the signal's loudest frame
FLOOR_REL_DB = 80.0  # mel dB floor below a window's loudest frame
N_MFCC = 20
N_HARMONICS = 10


def feature_names() -> list[str]:
    names = [f"mfcc{k}_mean" for k in range(1, N_MFCC)] + [f"mfcc{k}_std" for k in range(1, N_MFCC)]
    names += [f"mfcc{k}_delta" for k in range(1, 13)]
    names += ["flatness_mean", "flatness_std", "log2_centroid_mean", "log2_centroid_std"]
    names += [f"contrast{k}_mean" for k in range(7)] + [f"contrast{k}_std" for k in range(7)]
    names += ["level_std", "attack_db_per_frame", "decay_db_per_frame", "sustain_fraction", "active_fraction"]
    names += ["flux_mean", "flux_std"]
    names += [f"harmonic{k}_rel_db_mean" for k in range(1, N_HARMONICS + 1)]
    names += [f"harmonic{k}_rel_db_std" for k in range(1, N_HARMONICS + 1)]
    names += ["harmonic_ratio_db_mean", "harmonic_ratio_db_std"]
    return names


def _harmonics(f0: np.ndarray, mag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels of harmonics 1..N_HARMONICS of ``f0`` relative to the strongest (dB; NaN above 10 kHz) per
    frame, and the harmonic-to-total energy ratio (dB)."""
    c = analysis_transform().config
    fh = f0[None, :] * np.arange(1, N_HARMONICS + 1)[:, None]  # (H, T)
    b = np.clip(np.round(fh * c.n_fft / c.sample_rate).astype(int), 1, mag.shape[0] - 2)
    amp = np.maximum.reduce([np.take_along_axis(mag, b + o, axis=0) for o in (-1, 0, 1)])
    amp = np.where(fh < 10000.0, amp, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        hdb = 20.0 * np.log10(amp + 1e-9)
        rel = np.maximum(hdb - np.nanmax(hdb, axis=0, keepdims=True), -60.0)
        ratio = 10.0 * np.log10(np.nansum(amp**2, axis=0) / ((mag**2).sum(axis=0) + 1e-18) + 1e-9)
    return rel, ratio


def _nan_stats(a: np.ndarray, fill: float) -> np.ndarray:
    """Row means then row standard deviations ignoring NaN (``fill`` and 0 for all-NaN rows)."""
    ok = np.isfinite(a)
    n = ok.sum(axis=1)
    z = np.where(ok, a, 0.0)
    mean = np.where(n > 0, z.sum(axis=1) / np.maximum(n, 1), fill)
    var = np.where(ok, (a - mean[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(n, 1)
    return np.concatenate([mean, np.sqrt(var)])


def _frame_features(mag: np.ndarray, f0: np.ndarray) -> dict:
    """Frame-level descriptors of one magnitude STFT (already masked), each ``(..., n_frames)``."""
    import librosa

    tf = analysis_transform()
    c = tf.config
    # A floor 80 dB under each frame's peak bin keeps every feature independent of the level.
    mag = np.maximum(mag, 1e-4 * np.maximum(mag.max(axis=0, keepdims=True), 1e-12))
    power = mag**2
    mel_power = tf.basis @ power
    freqs = np.fft.rfftfreq(c.n_fft, 1.0 / c.sample_rate)
    p_sel = power[(freqs >= 100.0) & (freqs <= 8000.0)]
    rel_h, h_ratio = _harmonics(f0, mag)
    return {
        "mel_db": 10.0 * np.log10(np.maximum(mel_power, 1e-12)),
        "level": 10.0 * np.log10(np.maximum(mel_power.sum(axis=0), 1e-12)),
        "flatness": 10.0 * (np.mean(np.log10(p_sel), axis=0) - np.log10(np.mean(p_sel, axis=0))),
        "centroid": np.log2(np.maximum((freqs[:, None] * power).sum(axis=0) / power.sum(axis=0), 20.0)),
        "contrast": librosa.feature.spectral_contrast(S=mag, sr=c.sample_rate, n_fft=c.n_fft,
                                                      hop_length=c.hop_length, fmin=150.0, n_bands=6),
        "harmonics": rel_h,
        "harmonic_ratio": h_ratio,
    }


def _window_row(ff: dict, sl: slice) -> np.ndarray:
    from scipy.fft import dct

    lv = ff["level"][sl]
    peak = float(lv.max())
    active = lv >= peak - 40.0
    tonal = lv >= peak - 30.0
    db = np.maximum(ff["mel_db"][:, sl], peak - FLOOR_REL_DB)
    mfcc = dct(db, type=2, norm="ortho", axis=0)[1:N_MFCC]
    ma = mfcc[:, active]
    delta = np.abs(np.diff(mfcc[:12], axis=1)).mean(axis=1) if mfcc.shape[1] > 1 else np.zeros(12)
    env = np.maximum(lv, peak - 60.0)
    d_env = np.diff(env) if len(env) > 1 else np.zeros(1)
    flux = np.maximum(np.diff(db, axis=1), 0.0).mean(axis=0) if db.shape[1] > 1 else np.zeros(1)
    ct = ff["contrast"][:, sl][:, active]
    fl, ce, hr = ff["flatness"][sl][active], ff["centroid"][sl][active], ff["harmonic_ratio"][sl][tonal]
    return np.concatenate([
        ma.mean(axis=1), ma.std(axis=1), delta,
        [fl.mean(), fl.std(), ce.mean(), ce.std()],
        ct.mean(axis=1), ct.std(axis=1),
        [env.std(), np.maximum(d_env, 0).mean(), np.minimum(d_env, 0).mean(), float(np.mean(lv >= peak - 6.0)),
         float(np.mean(active))],
        [flux.mean(), flux.std()],
        _nan_stats(ff["harmonics"][:, sl][:, tonal], -60.0),
        [hr.mean(), hr.std()],
    ])


def window_features(y: np.ndarray, sample_rate: int, band: tuple[float, float] | None = None) -> np.ndarray:
    """Features of the non-silent ~1 s windows (every ~0.25 s) of a mono signal.

    Per window: MFCC 1-19 means and standard deviations and mean absolute deltas
    (1-12) from the log-mel (80 bands, the models' analysis), spectral flatness and
    log-centroid, spectral contrast (7 bands), the level envelope (spread, mean
    attack and decay slopes, sustained and active fractions), spectral flux, and the
    levels of harmonics 1-10 relative to the strongest one (mean and spread, at a
    YIN f0) with the harmonic-to-total energy ratio. Everything is independent of
    the level. ``band`` = (highpass, lowpass) Hz applies a cleanup mask first.

    Returns
    -------
    X : np.ndarray [shape=(n_windows, n_features)], possibly with 0 rows (silence)
    """
    return window_features_multi(y, sample_rate, (band,))[0]


def window_features_multi(y: np.ndarray, sample_rate: int,
                          bands: Sequence[tuple[float, float] | None]) -> list[np.ndarray]:
    """:func:`window_features` of ``y`` under several band masks, on the same windows.

    Windows are chosen on the first mask's levels (one STFT and one f0 track for all):
    the training augmentation uses ``(None, band)`` to get aligned clean and
    band-limited rows.
    """
    from bridge import dsp

    tf = analysis_transform()
    c = tf.config
    y = to_analysis_rate(y, sample_rate)
    n_feat = len(feature_names())
    if len(y) < c.n_fft:
        return [np.zeros((0, n_feat)) for _ in bands]
    mag = np.abs(dsp.spectrogram(y, tf))
    f0 = yin(y, mag.shape[1])
    out = []
    keep: list[slice] | None = None
    for band in bands:
        m = mag
        if band is not None:
            mask = dsp.band_mask(c.n_fft, c.sample_rate, band[0], band[1])
            if mask is not None:
                m = mag * mask[:, None]
        ff = _frame_features(m, f0)
        if keep is None:
            level = ff["level"]
            T = len(level)
            starts = range(0, T - WINDOW_FRAMES + 1, HOP_FRAMES) if T >= WINDOW_FRAMES else [0]
            top = float(level.max())
            keep = []
            for s in starts:
                peak = float(level[s : s + WINDOW_FRAMES].max())
                if peak >= SILENCE_ABS_DB and peak >= top - SILENCE_REL_DB:
                    keep.append(slice(s, s + WINDOW_FRAMES))
        out.append(np.array([_window_row(ff, sl) for sl in keep], dtype=np.float64).reshape(-1, n_feat))
    return out
