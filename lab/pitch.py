"""Melody kept: pitch tracks (pYIN refined by YIN) and the scores comparing two of them.

*Pitch accuracy*: over frames voiced in the input, the fraction where the output is
voiced and within 50 cents of the input's pitch (octave errors count as errors;
unvoiced output frames count as misses); *pitch|voiced*: the same over frames voiced
in both; *chroma accuracy*: like pitch accuracy with octave errors forgiven;
*voicing agreement*: frames voiced in both / voiced in either.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from .analysis import ANALYSIS_RATE, PITCH_FMAX_HZ, PITCH_FMIN_HZ, analysis_transform, to_analysis_rate, yin

PITCH_TOLERANCE_CENTS = 50.0


def pitch_track(y: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """pYIN f0 (Hz, NaN when unvoiced) and voiced flags on 256-sample hops at 22050 Hz.

    pYIN (range B1-C7) runs at 0.25-semitone resolution (~10x faster than its
    default 0.1) and decides voicing and the coarse pitch; where plain YIN (parabolic
    interpolation, not quantised) agrees with it within a semitone, YIN's value is
    used, so two tracks compare to a few cents rather than to the 25-cent grid.
    """
    import librosa

    y = to_analysis_rate(y, sample_rate)
    c = analysis_transform().config
    if len(y) < c.n_fft:
        return np.zeros(0), np.zeros(0, bool)
    f0, voiced, _ = librosa.pyin(y, fmin=PITCH_FMIN_HZ, fmax=PITCH_FMAX_HZ, sr=ANALYSIS_RATE, frame_length=c.n_fft,
                                 hop_length=c.hop_length, resolution=0.25)
    voiced = np.asarray(voiced, bool) & np.isfinite(f0)
    fine = yin(y, len(f0))
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
