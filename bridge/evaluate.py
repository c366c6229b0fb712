"""``bridge eval``: how well restyled audio hits its target and keeps its melody.

Three measures, each computed the same way for every system in the table
(identity: output = input; oracle: the same notes rendered directly on the target;
transfer: ``engine.transfer`` at a strength and step count):

* **target probability** -- a small instrument classifier (multinomial logistic
  regression, numpy/scipy only) reads 1 s windows (every 0.25 s) of the output and
  gives P(target instrument); the table shows its mean over non-silent windows and
  the fraction of windows whose most probable class is the target. The classifier
  is trained on FluidSynth renders from two soundfonts (TimGM6mb, MuseScore
  General Lite) and tested on a third that it never saw, FluidR3_GM; that held-out
  accuracy is printed with every table. FluidR3 is the one held out because the
  models' corpora and the oracle use it: the judge never heard the timbres the
  models learned, so a high P(violin) means "sounds like a violin", not "copies
  FluidR3's violin sample", and the held-out accuracy is measured on the very
  soundfont of the audio being judged. Built once, cached in ``WORK/judge``.
* **melody** -- pitch tracks of the input and of the output on 11.6 ms frames
  (``librosa.pyin`` for voicing and the coarse pitch, refined by YIN). *Pitch
  accuracy*: over frames voiced in the input, the fraction where the output is
  voiced and within 50 cents of the input's pitch (octave errors count as errors;
  unvoiced output frames count as misses); *pitch|voiced*: the same over frames
  voiced in both (pitch alone); *chroma accuracy*: like pitch accuracy with octave
  errors forgiven; *voicing agreement*: frames voiced in both / voiced in either.
  Frames are pooled over all phrases of a system.
* **Fréchet distance** -- between Gaussians fitted to the output's windows and to
  those of real FluidR3 renders of the target (other melodies). ``FD`` is measured in
  the classifier's logit space (centred logits: the judge's own representation, as
  FID uses a classifier's; 6 dimensions, well estimated from a few dozen windows);
  ``FD feat`` in the full standardised feature space (97 dimensions: it also sees
  what the classifier ignores, such as inversion artefacts, but needs 100+ windows
  and is biased upward for small sets).

Heavy imports (scipy, librosa, soundfile, the engine) happen inside functions:
``bridge/cli.py`` imports :func:`add_eval_args` while building its parser.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .errors import ParameterError

log = logging.getLogger(__name__)

FEATURE_VERSION = 3
ANALYSIS_RATE = 22050
WINDOW_FRAMES = 86  # ~1.0 s of 256-sample hops at 22050 Hz
HOP_FRAMES = 22  # ~0.25 s
SILENCE_ABS_DB = -70.0  # windows whose loudest frame is below this are skipped
SILENCE_REL_DB = 45.0  # ... or more than this below the signal's loudest frame
FLOOR_REL_DB = 80.0  # mel dB floor below a window's loudest frame
N_MFCC = 20
N_HARMONICS = 10
JUDGE_FORMAT = 2  # bump when the saved judge's arrays change
PITCH_FMIN_HZ = 61.7  # B1, under the lowest melodic range (cello C2)
PITCH_FMAX_HZ = 2093.0  # C7, over the highest (flute A6)
PITCH_TOLERANCE_CENTS = 50.0
MELODIC = ("guitar", "violin", "cello", "flute", "voice", "piano")
SOUNDFONTS = ("FluidR3_GM.sf2", "TimGM6mb.sf2", "MuseScore_General_Lite.sf3")
DEFAULT_HOLDOUT = "FluidR3_GM.sf2"
REFERENCE_FONT = "FluidR3_GM.sf2"  # "real renders of the target": the soundfont of the models' corpora
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1)


# -- CLI --------------------------------------------------------------------------------
def add_eval_args(p) -> None:
    p.add_argument("--pairs", default="guitar:violin,violin:guitar", metavar="SRC:TGT,...",
                   help="source:target instrument pairs to render, restyle and judge (default: %(default)s)")
    p.add_argument("--preset", help="preset name or .yaml path (default: SRC-to-TGT when it exists, else defaults)")
    p.add_argument("--strength", help="strength, or a comma list for several transfer rows (default: the preset's)")
    p.add_argument("--steps", help="DDIM steps, or a comma list (default: the preset's)")
    p.add_argument("--seed", type=int, help="sampler seed (default: the preset's)")
    p.add_argument("--n-phrases", type=int, default=4, dest="n_phrases", help="test phrases per pair (default: 4)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each test phrase (default: 10)")
    p.add_argument("--melody-seed", type=int, default=1, dest="melody_seed",
                   help="seed of the test melodies (the models' corpora used 0; default: 1)")
    p.add_argument("--soundfont", help="soundfont for inputs and oracles (default: FluidR3_GM.sf2)")
    p.add_argument("--work", default="eval", help="folder for cached renders, the classifier and results")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="write results here (default: WORK/eval.json)")
    p.add_argument("--input", help="judge this file instead of rendering pairs (needs --target)")
    p.add_argument("--target", help="with --input: the instrument the file should sound like")
    p.add_argument("--reference", help="with --input: the file whose melody it should keep (for pitch scores)")
    p.add_argument("--holdout", default=DEFAULT_HOLDOUT,
                   help="soundfont the classifier never sees; it trains on the other two (default: %(default)s)")
    p.add_argument("--judge-seconds", type=float, default=120.0, dest="judge_seconds",
                   help="seconds rendered per instrument and soundfont for the classifier (default: 120)")
    p.add_argument("--retrain", action="store_true", help="re-render and retrain the classifier")
    p.add_argument("--no-audio", dest="write_audio", action="store_false",
                   help="do not write the rendered and restyled phrases to WORK")


def _isatty() -> bool:
    return sys.stderr.isatty()


def _bar(total: int, desc: str, unit: str = "it"):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not _isatty(), leave=False)


# -- analysis: window features ------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _analysis():
    from . import dsp
    from .config import MelConfig

    return dsp.mel_transform(MelConfig(sample_rate=ANALYSIS_RATE))


def _to_analysis_rate(y: np.ndarray, sample_rate: int) -> np.ndarray:
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


def _yin(y: np.ndarray, n_frames: int) -> np.ndarray:
    """A cheap YIN f0 per analysis frame (no voicing decision), for the harmonic features."""
    import librosa

    c = _analysis().config
    f0 = librosa.yin(y, fmin=PITCH_FMIN_HZ, fmax=PITCH_FMAX_HZ, sr=c.sample_rate, frame_length=c.n_fft,
                     hop_length=c.hop_length, center=True)
    f0 = _fit_length(f0, n_frames) if len(f0) < n_frames else f0[:n_frames]
    return np.where(f0 > 0, f0, PITCH_FMIN_HZ)


def _harmonics(f0: np.ndarray, mag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels of harmonics 1..N_HARMONICS of ``f0`` relative to the strongest (dB; NaN above 10 kHz) per
    frame, and the harmonic-to-total energy ratio (dB)."""
    c = _analysis().config
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

    tf = _analysis()
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
    from . import dsp

    tf = _analysis()
    c = tf.config
    y = _to_analysis_rate(y, sample_rate)
    n_feat = len(feature_names())
    if len(y) < c.n_fft:
        return [np.zeros((0, n_feat)) for _ in bands]
    mag = np.abs(dsp.stft(dsp.pad_centered(y, c.n_fft, c.hop_length), c.n_fft, c.hop_length, tf.window))
    f0 = _yin(y, mag.shape[1])
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


# -- classifier ---------------------------------------------------------------------------
def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Classifier:
    """Multinomial logistic regression on standardised window features.

    Fitted by L-BFGS on the class-balanced cross-entropy with an L2 penalty on the
    weights. ``embed`` gives the centred logits (the space of the Fréchet distance).
    """

    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (n_features, n_classes)
    bias: np.ndarray  # (n_classes,)
    l2: float = 1e-2
    info: dict = field(default_factory=dict)

    @classmethod
    def fit(cls, X: np.ndarray, labels: Sequence[str] | np.ndarray, classes: Sequence[str] | None = None,
            l2: float = 1e-2, max_iter: int = 300) -> "Classifier":
        from scipy.optimize import minimize

        X = np.asarray(X, dtype=np.float64)
        labels = np.asarray(labels)
        if X.ndim != 2 or len(X) != len(labels) or len(X) == 0:
            raise ParameterError(f"fit: expected X (n, d) and n labels, got {X.shape} and {labels.shape}")
        if not np.all(np.isfinite(X)):
            raise ParameterError("fit: features contain NaN or infinite values")
        classes = tuple(classes) if classes is not None else tuple(sorted(set(labels.tolist())))
        missing = sorted(set(classes) - set(labels.tolist()))
        if len(classes) < 2 or missing:
            raise ParameterError(f"fit: need examples of at least two classes; missing: {', '.join(missing) or '-'}")
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[str(v)] for v in labels])
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale < 1e-9] = 1.0
        Z = (X - mean) / scale
        n, d = Z.shape
        k = len(classes)
        counts = np.bincount(y, minlength=k).astype(np.float64)
        w = (n / (k * counts))[y] / n  # class-balanced sample weights summing to 1
        Y = np.eye(k)[y]

        def loss(theta):
            W = theta[: d * k].reshape(d, k)
            b = theta[d * k :]
            logits = Z @ W + b
            logits -= logits.max(axis=1, keepdims=True)
            logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            f = -(w * (Y * logp).sum(axis=1)).sum() + 0.5 * l2 * (W**2).sum()
            G = (np.exp(logp) - Y) * w[:, None]
            return f, np.concatenate([(Z.T @ G + l2 * W).ravel(), G.sum(axis=0)])

        res = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B",
                       options={"maxiter": max_iter, "gtol": 1e-6})
        W = res.x[: d * k].reshape(d, k)
        b = res.x[d * k :]
        return cls(classes, mean, scale, W, b, float(l2),
                   {"n_train": int(n), "n_features": int(d), "converged": bool(res.success),
                    "iterations": int(res.nit)})

    def standardize(self, X: np.ndarray) -> np.ndarray:
        """Features in training standard deviations from the training mean."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ParameterError(f"features: expected shape (n, {len(self.mean)}), got {X.shape}")
        return (X - self.mean) / self.scale

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, n_classes) class probabilities, columns in ``classes`` order."""
        return _softmax(self.standardize(X) @ self.weights + self.bias)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.array(self.classes)[np.argmax(self.predict_proba(X), axis=1)]

    def embed(self, X: np.ndarray) -> np.ndarray:
        """(n, n_classes): centred logits (softmax ignores their mean, so it is removed)."""
        z = self.standardize(X) @ self.weights + self.bias
        return z - z.mean(axis=1, keepdims=True)

    def index(self, name: str) -> int:
        if name not in self.classes:
            raise ParameterError(f"target: the classifier knows {', '.join(self.classes)}, not {name!r}")
        return self.classes.index(name)

    def to_arrays(self, prefix: str = "clf_") -> dict:
        return {prefix + "mean": self.mean, prefix + "scale": self.scale, prefix + "weights": self.weights,
                prefix + "bias": self.bias,
                prefix + "meta": np.array(json.dumps({"classes": self.classes, "l2": self.l2, "info": self.info}))}

    @classmethod
    def from_arrays(cls, a: Mapping[str, np.ndarray], prefix: str = "clf_") -> "Classifier":
        meta = json.loads(str(a[prefix + "meta"]))
        return cls(tuple(meta["classes"]), a[prefix + "mean"], a[prefix + "scale"], a[prefix + "weights"],
                   a[prefix + "bias"], meta["l2"], meta["info"])


def accuracy_report(clf: Classifier, X: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None) -> dict:
    """Window accuracy, per-class recall and confusion; phrase accuracy when ``groups`` names phrases."""
    labels = np.asarray(labels)
    proba = clf.predict_proba(X)
    pred = np.array(clf.classes)[proba.argmax(axis=1)]
    out = {"windows": int(len(labels)), "accuracy": float(np.mean(pred == labels)),
           "recall": {c: float(np.mean(pred[labels == c] == c)) for c in clf.classes if np.any(labels == c)},
           "confusion": {c: {d: int(np.sum((labels == c) & (pred == d))) for d in clf.classes}
                         for c in clf.classes if np.any(labels == c)}}
    if groups is not None:
        groups = np.asarray(groups)
        hits = []
        for g in np.unique(groups):
            m = groups == g
            hits.append(clf.classes[int(proba[m].mean(axis=0).argmax())] == labels[m][0])
        out["phrases"] = int(len(hits))
        out["phrase_accuracy"] = float(np.mean(hits))
    return out


# -- Fréchet distance ---------------------------------------------------------------------
def _psd_sqrt(C: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((C + C.T) / 2.0)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def frechet_from_stats(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2).

    ``|mu1 - mu2|^2 + tr(C1) + tr(C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2)``, computed with
    symmetric eigendecompositions (no complex square roots of non-symmetric products).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, float)), np.atleast_2d(np.asarray(cov2, float))
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (len(mu1), len(mu1)):
        raise ParameterError(f"frechet: mismatched shapes {mu1.shape}, {cov1.shape}, {mu2.shape}, {cov2.shape}")
    s1 = _psd_sqrt(cov1)
    cross = np.linalg.eigvalsh(s1 @ cov2 @ s1)
    tr_sqrt = float(np.sqrt(np.clip(cross, 0.0, None)).sum())
    d = float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_sqrt)
    return max(d, 0.0)


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature rows ``(n, d)``.

    Biased upward for small sets (covariances from few rows); compare systems with
    similar row counts, and use many more rows than dimensions.
    """
    a, b = np.atleast_2d(np.asarray(feats_a, float)), np.atleast_2d(np.asarray(feats_b, float))
    if a.shape[1] != b.shape[1]:
        raise ParameterError(f"frechet: feature sizes differ ({a.shape[1]} vs {b.shape[1]})")
    if len(a) < 2 or len(b) < 2:
        raise ParameterError(f"frechet: need at least 2 rows per set, got {len(a)} and {len(b)}")
    return frechet_from_stats(a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False))


# -- pitch --------------------------------------------------------------------------------
def pitch_track(y: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """pYIN f0 (Hz, NaN when unvoiced) and voiced flags on 256-sample hops at 22050 Hz.

    pYIN (range B1-C7) runs at 0.25-semitone resolution (~10x faster than its
    default 0.1) and decides voicing and the coarse pitch; where plain YIN (parabolic
    interpolation, not quantised) agrees with it within a semitone, YIN's value is
    used, so two tracks compare to a few cents rather than to the 25-cent grid.
    """
    import librosa

    y = _to_analysis_rate(y, sample_rate)
    c = _analysis().config
    if len(y) < c.n_fft:
        return np.zeros(0), np.zeros(0, bool)
    f0, voiced, _ = librosa.pyin(y, fmin=PITCH_FMIN_HZ, fmax=PITCH_FMAX_HZ, sr=ANALYSIS_RATE, frame_length=c.n_fft,
                                 hop_length=c.hop_length, resolution=0.25)
    voiced = np.asarray(voiced, bool) & np.isfinite(f0)
    fine = _yin(y, len(f0))
    with np.errstate(invalid="ignore", divide="ignore"):
        close = np.abs(1200.0 * np.log2(fine / f0)) < 100.0
    f0 = np.where(voiced & close, fine, f0)
    return np.where(voiced, f0, np.nan), voiced


def pitch_counts(ref: tuple[np.ndarray, np.ndarray], out: tuple[np.ndarray, np.ndarray]) -> dict:
    """Frame counts comparing two pitch tracks on the same grid (trimmed to the shorter)."""
    n = min(len(ref[0]), len(out[0]))
    f_ref, v_ref = ref[0][:n], ref[1][:n]
    f_out, v_out = out[0][:n], out[1][:n]
    both = v_ref & v_out
    cents = 1200.0 * np.log2(f_out[both] / f_ref[both])
    folded = np.abs((cents + 600.0) % 1200.0 - 600.0)
    return {"ref_voiced": int(v_ref.sum()), "out_voiced": int(v_out.sum()), "both_voiced": int(both.sum()),
            "either_voiced": int((v_ref | v_out).sum()),
            "pitch_hits": int(np.sum(np.abs(cents) <= PITCH_TOLERANCE_CENTS)),
            "chroma_hits": int(np.sum(folded <= PITCH_TOLERANCE_CENTS)), "frames": int(n)}


def pitch_scores(counts: Iterable[dict]) -> dict:
    """Pools frame counts (over phrases) into the scores; NaN when the reference is never voiced."""
    tot: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            tot[k] = tot.get(k, 0) + v
    rv, ev, bv = tot.get("ref_voiced", 0), tot.get("either_voiced", 0), tot.get("both_voiced", 0)
    nan = float("nan")
    return {
        "pitch_accuracy": tot["pitch_hits"] / rv if rv else nan,
        "pitch_given_voiced": tot["pitch_hits"] / bv if bv else nan,
        "chroma_accuracy": tot["chroma_hits"] / rv if rv else nan,
        "voicing_agreement": tot["both_voiced"] / ev if ev else nan,
        "voicing_recall": tot["both_voiced"] / rv if rv else nan,
        "voiced_frames": rv,
    }


def pitch_accuracy(y_ref: np.ndarray, y_out: np.ndarray, sample_rate: int) -> float:
    """Over frames voiced in ``y_ref``: the fraction where ``y_out`` is voiced within 50 cents (octaves are errors)."""
    return pitch_scores([pitch_counts(pitch_track(y_ref, sample_rate), pitch_track(y_out, sample_rate))])[
        "pitch_accuracy"]


# -- rendering ----------------------------------------------------------------------------
def _stable(*parts) -> list[int]:
    return [zlib.crc32(str(p).encode()) if not isinstance(p, int) else p for p in parts]


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, np.float32)
    out[: min(n, len(y))] = y[:n]
    return out


def render_phrases(soundfont: str, names: Sequence[str], n_phrases: int, phrase_seconds: float, seed: int,
                   sample_rate: int = ANALYSIS_RATE) -> dict[str, list[np.ndarray]]:
    """Renders ``n_phrases`` corpus-style phrases per instrument in ONE FluidSynth call.

    Notes come from :func:`bridge.corpus.phrase_notes` in each instrument's range, a
    program drawn from its GM programs, and (sustained instruments) the corpus'
    vibrato depth and expression swell. Phrases sit ``phrase_seconds + 3`` s apart on
    one timeline (a soundfont is loaded once: MuseScore's .sf3 takes seconds to load)
    and are cut back out, each with 2.5 s of release, peak-normalised.
    """
    import tempfile

    import mido

    from . import corpus

    sf = corpus.find_soundfont(soundfont)
    to_ticks = lambda s: int(round(s * 960))  # noqa: E731  (120 bpm, 480 ticks per beat)
    slot = phrase_seconds + 3.0
    events, spans = [], []
    t0 = 0.0
    for name in names:
        inst = corpus.instrument(name)
        if inst.is_drum:
            raise ParameterError(f"instrument: {name} is a drum; the classifier covers melodic instruments")
        rng = np.random.default_rng(_stable(seed, name, Path(sf).name))
        for k in range(n_phrases):
            notes, _ = corpus.phrase_notes(inst, phrase_seconds, rng)
            program = int(rng.choice(inst.programs))
            events.append((to_ticks(t0), mido.Message("program_change", program=program, channel=0)))
            depth = int(rng.integers(0, 70)) if inst.sustained else 0
            events.append((to_ticks(t0), mido.Message("control_change", control=1, value=depth, channel=0)))
            if inst.sustained:
                period = max(2, int(rng.integers(3, 8)))
                for j in range(int(phrase_seconds / 2) + 1):
                    value = int(np.clip(80 + 40 * np.sin(2 * np.pi * j / period), 30, 127))
                    events.append((to_ticks(t0 + 2.0 * j),
                                   mido.Message("control_change", control=11, value=value, channel=0)))
            else:
                events.append((to_ticks(t0), mido.Message("control_change", control=11, value=127, channel=0)))
            for start, dur, note, velocity in notes:
                events.append((to_ticks(t0 + start), mido.Message("note_on", note=note, velocity=velocity, channel=0)))
                events.append((to_ticks(t0 + start + dur),
                               mido.Message("note_off", note=note, velocity=0, channel=0)))
            spans.append((name, t0))
            t0 += slot
    with tempfile.TemporaryDirectory() as tmp:
        corpus.write_events(Path(tmp) / "all.mid", events, 480, mido.bpm2tempo(120))
        y = corpus.render_midi(Path(tmp) / "all.mid", Path(tmp) / "all.wav", sf, sample_rate)
    out: dict[str, list[np.ndarray]] = {name: [] for name in names}
    n = int(round((phrase_seconds + 2.5) * sample_rate))
    for name, start in spans:
        a = int(round(start * sample_rate))
        out[name].append(corpus.normalise_peak(_fit_length(y[a : a + n], n)))
    return out


@dataclass
class Phrase:
    """One test melody: its notes, the source render (input) and the target render (oracle)."""

    notes: list
    source_program: int
    target_program: int
    input: np.ndarray
    oracle: np.ndarray


def shared_range(source: str, target: str):
    """An instrument spec for test melodies: the overlap of both ranges, the source's articulation."""
    from . import corpus

    s, t = corpus.instrument(source), corpus.instrument(target)
    for inst in (s, t):
        if inst.is_drum:
            raise ParameterError(f"pairs: {inst.name} is a drum; eval compares melodies of "
                                 f"melodic instruments ({', '.join(MELODIC)})")
    low, high = max(s.low, t.low), min(s.high, t.high)
    if high - low < 7:
        raise ParameterError(f"pairs: {source} ({s.low}-{s.high}) and {target} ({t.low}-{t.high}) share less "
                             f"than a fifth of range; pick instruments that overlap")
    return corpus.Instrument(f"{source}:{target}", programs=s.programs, low=low, high=high, sustained=s.sustained)


def make_phrases(source: str, target: str, n: int, seconds: float, seed: int, sample_rate: int,
                 soundfont: str | None = None, progress: Callable[[int], None] | None = None) -> list[Phrase]:
    """``n`` monophonic test melodies in the shared range, rendered on the source and on the target.

    The corpus' phrase generator with dyads removed (pitch tracks are monophonic);
    each render is ``seconds + 1`` s long (release tail), peak-normalised to 0.5.
    """
    from . import corpus

    spec = shared_range(source, target)
    rng = np.random.default_rng(_stable(seed, source, target))
    length = int(round((seconds + 1.0) * sample_rate))
    phrases = []
    while len(phrases) < n:
        notes, _ = corpus.phrase_notes(spec, seconds, rng)
        mono = [nt for i, nt in enumerate(notes) if i == 0 or nt[0] != notes[i - 1][0]]
        sp = int(rng.choice(corpus.instrument(source).programs))
        tp = int(rng.choice(corpus.instrument(target).programs))
        if not mono:
            continue
        y_in = corpus.normalise_peak(_fit_length(corpus.render_melody(mono, sp, soundfont, sample_rate), length))
        y_or = corpus.normalise_peak(_fit_length(corpus.render_melody(mono, tp, soundfont, sample_rate), length))
        phrases.append(Phrase(mono, sp, tp, y_in, y_or))
        if progress:
            progress(1)
    return phrases


# -- the judge: classifier + reference features, built once and cached ---------------------
@dataclass
class Judge:
    """The trained classifier and the real-render reference features (FluidR3) per instrument."""

    classifier: Classifier
    reference: dict[str, np.ndarray]  # instrument -> raw window features of real target renders
    report: dict

    def save(self, path: Path) -> None:
        arrays = self.classifier.to_arrays()
        arrays.update({f"ref_{k}": v for k, v in self.reference.items()})
        arrays["report"] = np.array(json.dumps(self.report))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "Judge":
        with np.load(path, allow_pickle=False) as a:
            a = dict(a)
        ref = {k[4:]: v for k, v in a.items() if k.startswith("ref_")}
        return cls(Classifier.from_arrays(a), ref, json.loads(str(a["report"])))

    def score(self, outputs: Sequence[np.ndarray], sample_rate: int, target: str,
              reference_tracks: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
              progress: Callable[[int], None] | None = None) -> dict:
        """Scores one system: its outputs (mono signals) judged as ``target``.

        ``reference_tracks``: pitch tracks (:func:`pitch_track`) of the inputs, in the
        same order, for the melody scores (omitted: no pitch scores).
        """
        ti = self.classifier.index(target)
        feats, counts = [], []
        for k, y in enumerate(outputs):
            feats.append(window_features(y, sample_rate))
            if reference_tracks is not None:
                counts.append(pitch_counts(reference_tracks[k], pitch_track(y, sample_rate)))
            if progress:
                progress(1)
        X = np.concatenate(feats) if feats else np.zeros((0, len(feature_names())))
        nan = float("nan")
        row = {"windows": int(len(X)), "target_prob": nan, "target_top1": nan, "frechet": nan,
               "frechet_features": nan, "predicted": None}
        if len(X):
            proba = self.classifier.predict_proba(X)
            row["target_prob"] = float(proba[:, ti].mean())
            row["target_top1"] = float(np.mean(proba.argmax(axis=1) == ti))
            mean_p = proba.mean(axis=0)
            row["predicted"] = self.classifier.classes[int(mean_p.argmax())]
            row["class_probs"] = {c: round(float(p), 4) for c, p in zip(self.classifier.classes, mean_p)}
        if len(X) >= 2 and target in self.reference:
            ref = self.reference[target]
            row["frechet"] = frechet_distance(self.classifier.embed(X), self.classifier.embed(ref))
            row["frechet_features"] = frechet_distance(self.classifier.standardize(X),
                                                       self.classifier.standardize(ref))
        if reference_tracks is not None:
            row.update(pitch_scores(counts))
        return row


def _font_key(font: str) -> str:
    return Path(font).stem


def _font_features(work: Path, font: str, seconds: float, seed: int, retrain: bool) -> dict:
    """Window features of one soundfont's renders (clean and band-augmented), cached in ``work``."""
    phrase_s = 15.0
    n_phr = max(2, int(math.ceil(seconds / phrase_s)))
    cache = work / f"features-v{FEATURE_VERSION}-{_font_key(font)}-{n_phr}x{phrase_s:g}s-seed{seed}.npz"
    if cache.is_file() and not retrain:
        with np.load(cache, allow_pickle=False) as a:
            return dict(a)
    t = time.perf_counter()
    audio = render_phrases(font, MELODIC, n_phr, phrase_s, seed)
    log.info("rendered %d x %g s per instrument with %s in %.1f s", n_phr, phrase_s, font, time.perf_counter() - t)
    rng = np.random.default_rng(_stable(seed, "augment", font))
    X, Xa, labels, groups = [], [], [], []
    bar = _bar(len(MELODIC) * n_phr, f"features {_font_key(font)}", "phrase")
    for name in MELODIC:
        for k, y in enumerate(audio[name]):
            band = (float(rng.uniform(0.0, 200.0)), float(rng.uniform(6000.0, 11025.0)))
            f, fa = window_features_multi(y, ANALYSIS_RATE, (None, band))
            X.append(f)
            Xa.append(fa)
            labels += [name] * len(f)
            groups += [f"{name}/{k}"] * len(f)
            bar.update(1)
    bar.close()
    out = {"X": np.concatenate(X), "X_aug": np.concatenate(Xa), "labels": np.array(labels),
           "groups": np.array(groups)}
    work.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **out)
    tmp.replace(cache)
    return out


def _train_on(data: Sequence[dict], l2: float) -> Classifier:
    X = np.concatenate([np.concatenate([d["X"], d["X_aug"]]) for d in data])
    y = np.concatenate([np.concatenate([d["labels"], d["labels"]]) for d in data])
    return Classifier.fit(X, y, MELODIC, l2=l2)


def _fit_held_out(feats: dict[str, dict], holdout: str, l2: float | None = None) -> tuple[Classifier, dict]:
    """Fits on every soundfont but ``holdout`` and tests on it.

    Without ``l2`` the penalty is chosen by cross-soundfont validation inside the
    training fonts (train on one, test on another, both ways): the held-out font
    plays no part in any choice made by this function.
    """
    train = [f for f in feats if f != holdout]
    cv = {}
    for lam in (L2_GRID if l2 is None else ()):
        accs = []
        for a in train:
            for b in train:
                if a != b:
                    clf = _train_on([feats[a]], lam)
                    accs.append(float(np.mean(clf.predict(feats[b]["X"]) == feats[b]["labels"])))
        cv[lam] = float(np.mean(accs))
    best = max(cv, key=lambda k: cv[k]) if l2 is None else l2
    clf = _train_on([feats[f] for f in train], best)
    test = feats[holdout]
    rep = accuracy_report(clf, test["X"], test["labels"], test["groups"])
    rep.update({"train_soundfonts": train, "holdout_soundfont": holdout, "l2": best,
                "cv_accuracy_by_l2": {f"{k:g}": round(v, 4) for k, v in cv.items()}})
    return clf, rep


def build_judge(work: Path, holdout: str = DEFAULT_HOLDOUT, seconds: float = 120.0, seed: int = 1,
                retrain: bool = False) -> Judge:
    """Loads the cached judge for these settings, or renders, trains and caches it.

    Renders ``seconds`` per melodic instrument from each of the three soundfonts
    (seed 1; the models' corpora used seed 0), trains on the two that are not
    ``holdout`` and reports accuracy on ``holdout``. The other two leave-one-out
    folds are reported too, for comparison. Reference features for the Fréchet
    distance are the FluidR3 renders.
    """
    from . import corpus

    holdout = Path(corpus.find_soundfont(holdout)).name
    if holdout not in SOUNDFONTS:
        raise ParameterError(f"holdout: expected one of {', '.join(SOUNDFONTS)}, got {holdout!r}")
    if seconds < 15:
        raise ParameterError(f"judge_seconds: expected at least 15, got {seconds}")
    work = Path(work) / "judge"
    path = work / f"judge-v{FEATURE_VERSION}.{JUDGE_FORMAT}-holdout-{_font_key(holdout)}-{seconds:g}s-seed{seed}.npz"
    if path.is_file() and not retrain:
        try:
            return Judge.load(path)
        except Exception as e:  # a truncated or stale cache is rebuilt, not fatal
            log.warning("rebuilding %s (%s)", path, e)
    t = time.perf_counter()
    for font in SOUNDFONTS:
        corpus.find_soundfont(font)  # a clear error before any work when one is missing
    feats = {font: _font_features(work, font, seconds, seed, retrain) for font in SOUNDFONTS}
    clf, rep = _fit_held_out(feats, holdout)
    others = {}
    for font in SOUNDFONTS:
        if font != holdout:
            _, r = _fit_held_out(feats, font, rep["l2"])
            others[font] = {"accuracy": round(r["accuracy"], 4), "phrase_accuracy": round(r["phrase_accuracy"], 4),
                            "train_soundfonts": r["train_soundfonts"]}
    rep["other_folds"] = others
    rep["features"] = feature_names()
    rep["model"] = (f"multinomial logistic regression (L2 {rep['l2']:g}) on {len(feature_names())} features of "
                    f"1 s windows every 0.25 s, band-limit augmentation")
    rep["build_s"] = round(time.perf_counter() - t, 1)
    ref = {name: feats[REFERENCE_FONT]["X"][feats[REFERENCE_FONT]["labels"] == name] for name in MELODIC}
    judge = Judge(clf, ref, rep)
    judge.save(path)
    return judge


# -- systems and pairs ----------------------------------------------------------------------
def pair_preset(source: str, target: str, preset_arg: str | None = None):
    """``--preset`` when given, else the shipped ``SRC-to-TGT`` preset when it exists, else defaults."""
    from .config import Preset
    from .presets import PresetLibrary, load_preset

    if preset_arg:
        p = Path(preset_arg)
        preset = load_preset(p) if p.suffix in (".yaml", ".yml") else PresetLibrary()[preset_arg]
    else:
        lib = PresetLibrary()
        name = f"{source}-to-{target}"
        preset = lib[name] if name in lib.presets else Preset(name=f"defaults ({name})")
    return preset.with_param("target", target)


def _parse_list(text: str | None, kind, name: str) -> list:
    if text is None or text == "":
        return [None]
    out = []
    for part in str(text).split(","):
        try:
            out.append(kind(part.strip()))
        except ValueError:
            raise ParameterError(
                f"--{name}: expected a {kind.__name__} or a comma list of them, got {text!r}") from None
    return out


def parse_pairs(text: str) -> list[tuple[str, str]]:
    from . import corpus

    pairs = []
    for part in [p.strip() for p in str(text).split(",") if p.strip()]:
        if part.count(":") != 1:
            raise ParameterError(f"--pairs: expected SRC:TGT items like guitar:violin, got {part!r}")
        src, tgt = (s.strip() for s in part.split(":"))
        for name in (src, tgt):
            corpus.instrument(name)
            if name not in MELODIC:
                raise ParameterError(f"--pairs: {name} is not melodic; eval compares melodies of "
                                     f"{', '.join(MELODIC)}")
        shared_range(src, tgt)
        pairs.append((src, tgt))
    if not pairs:
        raise ParameterError(f"--pairs: expected at least one SRC:TGT, got {text!r}")
    return pairs


def transfer_settings(preset, strengths: Sequence[float | None], steps: Sequence[int | None],
                      seed: int | None) -> list:
    """The presets of the transfer rows: every strength x steps combination (None: the preset's)."""
    from .engine import with_overrides

    return [with_overrides(preset, strength=s, steps=n, seed=seed) for s in strengths for n in steps]


def evaluate_pair(source: str, target: str, models, presets: Sequence, judge: Judge, n_phrases: int = 4,
                  seconds: float = 10.0, melody_seed: int = 1, soundfont: str | None = None,
                  audio_dir: Path | None = None) -> list[dict]:
    """Renders test phrases for ``source -> target`` and scores identity, oracle and one transfer per preset.

    Returns one row (dict) per system. ``presets`` must target ``target``; the model
    runs at its own rate (its ``info.mel.sample_rate``), where phrases are rendered.
    """
    from . import engine

    if n_phrases < 1:
        raise ParameterError(f"n_phrases: expected at least 1, got {n_phrases}")
    if not 2.0 <= seconds <= 120.0:
        raise ParameterError(f"seconds: expected 2 to 120, got {seconds}")
    den = models[target]
    sr = int(den.info.mel.sample_rate)
    label = f"{source}->{target}"
    bar = _bar(n_phrases, f"{label} render", "phrase")
    t = time.perf_counter()
    phrases = make_phrases(source, target, n_phrases, seconds, melody_seed, sr, soundfont, bar.update)
    bar.close()
    log.info("%s: rendered %d phrases in %.1f s", label, n_phrases, time.perf_counter() - t)
    bar = _bar(n_phrases, f"{label} pitch of inputs", "phrase")
    ref_tracks = []
    for ph in phrases:
        ref_tracks.append(pitch_track(ph.input, sr))
        bar.update(1)
    bar.close()
    if audio_dir is not None:
        _write_phrases(audio_dir, "input", [p.input for p in phrases], sr)
        _write_phrases(audio_dir, "oracle", [p.oracle for p in phrases], sr)
    rows = []

    def add(system: str, outputs, extra: dict, seconds_used: float):
        b = _bar(len(outputs), f"{label} score {system}", "phrase")
        row = {"pair": label, "source": source, "target": target, "system": system, **extra}
        row.update(judge.score(outputs, sr, target, ref_tracks, b.update))
        b.close()
        row["compute_s"] = round(seconds_used, 2)
        rows.append(row)

    add("identity", [p.input for p in phrases], {}, 0.0)
    add("oracle", [p.oracle for p in phrases], {}, 0.0)
    for preset in presets:
        if preset.target != target:
            raise ParameterError(f"preset: targets {preset.target!r}, expected {target!r}")
        s = preset.sampler
        b = _bar(n_phrases, f"{label} transfer s={s.strength:g} n={s.steps}", "phrase")
        t = time.perf_counter()
        outs = []
        for ph in phrases:
            outs.append(engine.transfer(ph.input[None], sr, models, preset)[0])
            b.update(1)
        b.close()
        dt = time.perf_counter() - t
        if audio_dir is not None:
            _write_phrases(audio_dir, f"transfer_s{s.strength:g}_n{s.steps}", outs, sr)
        add("transfer", outs, {"strength": s.strength, "steps": s.steps, "seed": s.seed, "preset": preset.name,
                               "rtf": round(dt / (n_phrases * (seconds + 1.0)), 3)}, dt)
    return rows


def _write_phrases(folder: Path, stem: str, ys: Sequence[np.ndarray], sr: int) -> None:
    from . import audio_io

    for k, y in enumerate(ys):
        audio_io.write(Path(folder) / f"{stem}_{k}.wav", y, sr)


def judge_file(path: str, target: str, judge: Judge, reference: str | None = None) -> dict:
    """Scores one audio file as ``target`` (pitch scores against ``reference`` when given)."""
    from . import corpus

    judge.classifier.index(target)
    for label, f in (("--input", path), ("--reference", reference)):
        if f and not Path(f).is_file():
            raise ParameterError(f"{label}: {f}: no such file")
    y = corpus.read_audio(Path(path), ANALYSIS_RATE)
    tracks = None
    if reference:
        tracks = [pitch_track(corpus.read_audio(Path(reference), ANALYSIS_RATE), ANALYSIS_RATE)]
    row = {"pair": f"{Path(path).name}->{target}", "source": str(path), "target": target, "system": "file"}
    row.update(judge.score([y], ANALYSIS_RATE, target, tracks))
    if row["windows"] == 0:
        log.warning("%s: no window louder than %g dB; nothing to judge", path, SILENCE_ABS_DB)
    return row


# -- output -------------------------------------------------------------------------------
def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.{digits}f}"
    return str(v)


def format_table(rows: Sequence[dict]) -> str:
    """The rows as a markdown table."""
    head = ["pair", "system", "strength", "steps", "P(target)", "top-1", "pitch acc", "pitch|voiced", "chroma acc",
            "voicing", "FD", "FD feat", "windows", "predicted"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["pair"], r["system"], _fmt(r.get("strength"), 2), _fmt(r.get("steps")),
                 _fmt(r.get("target_prob")), _fmt(r.get("target_top1")), _fmt(r.get("pitch_accuracy")),
                 _fmt(r.get("pitch_given_voiced")), _fmt(r.get("chroma_accuracy")), _fmt(r.get("voicing_agreement")),
                 _fmt(r.get("frechet"), 1), _fmt(r.get("frechet_features"), 1), _fmt(r.get("windows")),
                 _fmt(r.get("predicted"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


AIM_PITCH = 0.9


def aim_lines(rows: Sequence[dict]) -> list[str]:
    """The issue's aim per transfer row: P(target) close to the oracle's, pitch accuracy >= 0.9.

    Adds ``target_vs_oracle`` (ratio of target probabilities) and ``pitch_ok`` to the rows.
    """
    oracle = {r["pair"]: r for r in rows if r["system"] == "oracle"}
    lines = []
    for r in rows:
        o = oracle.get(r["pair"])
        if r["system"] != "transfer" or o is None:
            continue
        ratio = r["target_prob"] / o["target_prob"] if o["target_prob"] > 0 else float("nan")
        r["target_vs_oracle"] = ratio
        r["pitch_ok"] = bool(r.get("pitch_accuracy", float("nan")) >= AIM_PITCH)
        lines.append(f"aim {r['pair']} s={r['strength']:g} n={r['steps']}: P(target) {r['target_prob']:.3f} = "
                     f"{ratio:.2f} x oracle's {o['target_prob']:.3f}; pitch accuracy {r['pitch_accuracy']:.3f} "
                     f"{'>=' if r['pitch_ok'] else '<'} {AIM_PITCH}")
    return lines


def classifier_summary(report: dict) -> str:
    rec = ", ".join(f"{k} {v:.2f}" for k, v in report["recall"].items())
    others = "; ".join(f"held out {_font_key(f)}: {v['accuracy']:.3f}"
                       for f, v in report.get("other_folds", {}).items())
    return (f"classifier: {report['model']}\n"
            f"trained on {' + '.join(_font_key(f) for f in report['train_soundfonts'])}; "
            f"accuracy on unseen {_font_key(report['holdout_soundfont'])}: {report['accuracy']:.3f} "
            f"({report['windows']} windows), {report['phrase_accuracy']:.3f} per phrase ({report['phrases']})\n"
            f"recall: {rec}\n"
            f"other folds: {others}")


def _json_safe(obj):
    if isinstance(obj, float):
        return None if math.isnan(obj) else obj
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return _json_safe(obj.item())
    return obj


def _model_summary(den) -> dict:
    info = getattr(den, "info", None)
    if info is None:
        return {}
    try:
        return info.summary()
    except Exception:  # a summary is a courtesy; never fail the evaluation on it
        return {"path": str(getattr(info, "path", ""))}


def eval_command(args) -> int:
    t_start = time.perf_counter()
    work = Path(args.work)
    if args.input and not args.target:
        raise ParameterError("--target: needed with --input (the instrument the file should sound like)")
    if (args.target or args.reference) and not args.input:
        raise ParameterError("--input: --target and --reference judge a given file; pass it with --input")
    if args.target and args.target not in MELODIC:
        raise ParameterError(f"--target: expected one of {', '.join(MELODIC)}, got {args.target!r}")
    if args.n_phrases < 1:
        raise ParameterError(f"--n-phrases: expected at least 1, got {args.n_phrases}")
    if not 2.0 <= args.seconds <= 120.0:
        raise ParameterError(f"--seconds: expected 2 to 120, got {args.seconds}")
    for label, f in (("--input", args.input), ("--reference", args.reference)):
        if f and not Path(f).is_file():
            raise ParameterError(f"{label}: {f}: no such file")
    strengths = _parse_list(args.strength, float, "strength")
    steps = _parse_list(args.steps, int, "steps")
    pairs = [] if args.input else parse_pairs(args.pairs)
    models = None
    if pairs:
        from .model import ModelSet

        models = ModelSet(args.models, args.provider, args.threads)
        for _, tgt in pairs:  # fail before any rendering when a target model is missing
            models[tgt]
        presets = {(s, t): transfer_settings(pair_preset(s, t, args.preset), strengths, steps, args.seed)
                   for s, t in pairs}
    t = time.perf_counter()
    judge = build_judge(work, args.holdout, args.judge_seconds, 1, args.retrain)
    judge_s = time.perf_counter() - t
    print(classifier_summary(judge.report))
    print()
    rows = []
    if args.input:
        rows.append(judge_file(args.input, args.target, judge, args.reference))
    for src, tgt in pairs:
        audio_dir = work / f"{src}-{tgt}" if args.write_audio else None
        rows += evaluate_pair(src, tgt, models, presets[(src, tgt)], judge, args.n_phrases, args.seconds,
                              args.melody_seed, args.soundfont, audio_dir)
    print(format_table(rows))
    aims = aim_lines(rows)
    if aims:
        print()
        print("\n".join(aims))
    total = time.perf_counter() - t_start
    print(f"\n{len(rows)} rows in {total:.1f} s (classifier {judge_s:.1f} s"
          + (f", provider {models.provider}" if models is not None else "") + ")")
    result = {
        "classifier": {k: v for k, v in judge.report.items() if k != "features"},
        "settings": {"pairs": [f"{s}:{t}" for s, t in pairs], "n_phrases": args.n_phrases, "seconds": args.seconds,
                     "melody_seed": args.melody_seed, "soundfont": args.soundfont or "FluidR3_GM.sf2",
                     "input": args.input, "target": args.target, "reference": args.reference,
                     "pitch": {"method": "librosa.pyin (voicing, coarse pitch) refined by YIN",
                               "fmin_hz": PITCH_FMIN_HZ, "fmax_hz": PITCH_FMAX_HZ,
                               "hop_s": round(256 / ANALYSIS_RATE, 4), "tolerance_cents": PITCH_TOLERANCE_CENTS,
                               "octave_errors": "counted as errors in pitch_accuracy, forgiven in chroma_accuracy"}},
        "models": {name: _model_summary(den) for name, den in (models.loaded.items() if models else ())},
        "rows": rows,
        "runtime_s": round(total, 1),
    }
    out = Path(args.json_out) if args.json_out else work / "eval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_json_safe(result), indent=1))
    print(f"wrote {out}")
    return 0


__all__ = [
    "Classifier", "Judge", "Phrase", "accuracy_report", "add_eval_args", "aim_lines", "build_judge", "eval_command",
    "evaluate_pair", "feature_names", "format_table", "frechet_distance", "frechet_from_stats", "judge_file",
    "make_phrases", "pair_preset", "pitch_accuracy", "pitch_counts", "pitch_scores", "pitch_track",
    "render_phrases", "shared_range", "transfer_settings", "window_features", "window_features_multi",
]


def sweep_judge(y: np.ndarray, sample_rate: int, target: str, args) -> Callable[[np.ndarray], dict]:
    """A scorer for ``bridge sweep``: each output's target probability, pitch accuracy against
    the input's melody, and Fréchet distance to real renders of the target."""
    judge = build_judge(Path(getattr(args, "work", "eval")))
    judge.classifier.index(target)  # a clear error now for a target the classifier does not know
    reference = pitch_track(np.asarray(y).mean(axis=0), sample_rate)

    def score(out: np.ndarray) -> dict:
        row = judge.score([np.asarray(out).mean(axis=0)], sample_rate, target, [reference])
        return {"target_prob": row["target_prob"], "pitch_accuracy": row["pitch_accuracy"],
                "frechet": row["frechet"]}

    return score
