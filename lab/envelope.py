"""Note-level measures for ``bridge eval``: what a static EQ cannot change (issue 9).

The test phrases are rendered from notes, so every note's start and length are known.
For each note of a system's output, on its RMS envelope (frames of ``HOP`` samples,
5.8 ms at 22,050 Hz):

* **attack** (ms): from the note's start to the first frame within 3 dB of its peak
  (the peak is looked for in the note's first 300 ms);
* **decay** (dB/s): the slope of a line fitted to the envelope in dB from the peak to
  the note's end (a plucked string falls, a bowed one holds);
* **sustain** (dB): the median level of the note's second half against its peak;
* **transient** (dB): energy above 3 kHz in the first 30 ms after the onset against the
  note's middle (a pluck or a hammer clicks, a bow does not);
* **vibrato** (cents): RMS of the pitch (YIN) around its own 400 ms moving median in
  the note's middle.

Notes shorter than ``MIN_NOTE_S`` or quieter than ``SILENT_DB`` are skipped; each
measure is the median over a system's notes. :func:`matched_eq` is the baseline the
measures are for: the input through the static EQ that gives it the oracle's long-term
spectrum, i.e. the best a filter can do.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

HOP = 128
MIN_NOTE_S = 0.15
SILENT_DB = -60.0
TRANSIENT_HZ = 3000.0
MEASURES = ("attack_ms", "decay_db_s", "sustain_db", "transient_db", "vibrato_cents")


def _frames_db(y: np.ndarray) -> np.ndarray:
    n = len(y) // HOP
    power = np.mean(y[: n * HOP].astype(np.float64).reshape(n, HOP) ** 2, axis=1)
    return 10.0 * np.log10(power + 1e-12)


def _hf_energy(y: np.ndarray, sample_rate: int) -> np.ndarray:
    """Energy above ``TRANSIENT_HZ`` per frame (a 2*HOP-sample Hann window every HOP samples)."""
    n = len(y) // HOP
    pad = np.concatenate([np.zeros(HOP // 2), y.astype(np.float64), np.zeros(2 * HOP)])
    idx = np.arange(2 * HOP)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(pad[idx] * np.hanning(2 * HOP), axis=1)) ** 2
    freqs = np.fft.rfftfreq(2 * HOP, 1.0 / sample_rate)
    return spec[:, freqs >= TRANSIENT_HZ].sum(axis=1)


def _moving_median(x: np.ndarray, size: int) -> np.ndarray:
    from scipy.ndimage import median_filter

    return median_filter(x, size=size, mode="nearest")


def note_measures(y: np.ndarray, sample_rate: int, notes: Sequence) -> dict[str, list[float]]:
    """Every measure for every note of one signal: ``{measure: [value per note]}``.

    ``notes``: ``(start_s, duration_s, ...)`` tuples in time order. Each list has one value per
    note, NaN where the note is not measured (too short, silent, no middle), so two renders of
    the same notes line up note by note (:func:`paired_gap_closed`).
    """
    import librosa

    y = np.asarray(y, np.float64)
    env = _frames_db(y)
    hf = _hf_energy(y, sample_rate)
    f0 = librosa.yin(y, fmin=60.0, fmax=2000.0, sr=sample_rate, frame_length=1024, hop_length=HOP, center=True)
    fps = sample_rate / HOP
    n = len(env)
    out: dict[str, list[float]] = {m: [] for m in MEASURES}
    starts = [float(nt[0]) for nt in notes]
    for k, nt in enumerate(notes):
        for m in MEASURES:
            out[m].append(float("nan"))
        start, dur = float(nt[0]), float(nt[1])
        end = min(start + dur, starts[k + 1] if k + 1 < len(notes) else start + dur)
        i0, i1 = int(round(start * fps)), min(n, int(round(end * fps)))
        if (i1 - i0) / fps < MIN_NOTE_S:
            continue
        head = env[i0: min(i1, i0 + int(0.3 * fps))]
        pk = i0 + int(np.argmax(head))
        peak = float(env[pk])
        if peak < SILENT_DB:
            continue
        first = i0 + int(np.argmax(env[i0: pk + 1] >= peak - 3.0))
        out["attack_ms"][k] = 1000.0 * (first - i0) / fps
        tail_end = i1 - int(0.02 * fps)
        if tail_end - pk >= 5:
            t = np.arange(pk, tail_end) / fps
            out["decay_db_s"][k] = float(np.polyfit(t, env[pk:tail_end], 1)[0])
        out["sustain_db"][k] = float(np.median(env[(i0 + i1) // 2: i1]) - peak)
        mid0, onset_end = i0 + int(0.1 * fps), i0 + max(1, int(0.03 * fps))
        if i1 - mid0 >= 3:
            out["transient_db"][k] = float(10.0 * np.log10((hf[i0:onset_end].mean() + 1e-12)
                                                            / (hf[mid0:i1].mean() + 1e-12)))
        v0, v1 = mid0, i1 - int(0.05 * fps)
        if v1 - v0 >= 10:
            f = f0[v0:v1]
            cents = 1200.0 * np.log2(f / np.median(f))
            dev = np.clip(cents - _moving_median(cents, max(3, int(0.4 * fps) | 1)), -100.0, 100.0)
            out["vibrato_cents"][k] = float(np.sqrt(np.mean(dev ** 2)))
    return out


def envelope_scores(outputs: Sequence[np.ndarray], sample_rate: int, notes: Sequence[Sequence]) -> dict:
    """The median of each measure over the notes of all ``outputs`` (one notes list per output).

    ``notes_by_phrase`` keeps each output's values note by note (``{measure: [[value or NaN per
    note], ...]}``), so a spread over phrases can be drawn and systems compared note by note
    (:func:`gap_closed_spread`, :func:`paired_gap_closed`).
    """
    by_phrase = {m: [] for m in MEASURES}
    for y, ns in zip(outputs, notes):
        for m, values in note_measures(y, sample_rate, ns).items():
            by_phrase[m].append([float(v) for v in values])
    pooled = {m: _finite(v) for m, v in by_phrase.items()}
    row = {m: (float(np.median(v)) if v.size else float("nan")) for m, v in pooled.items()}
    row["notes_measured"] = int(pooled["attack_ms"].size)
    row["notes_by_phrase"] = by_phrase
    kinds = np.array([k for ns in notes for k in articulation(ns)])
    attacks = _flat(by_phrase["attack_ms"])
    row["attack_ms_by_articulation"] = {
        kind: (float(np.median(attacks[sel])) if sel.any() else float("nan"))
        for kind in ARTICULATIONS for sel in [(kinds == kind) & np.isfinite(attacks)]}
    return row


ARTICULATIONS = ("legato", "adjacent", "detached")
ADJACENT_S = 0.1  # a note this soon after the last one ended is played on from it, not from silence


def articulation(notes: Sequence) -> list[str]:
    """How each note follows the one before it: ``legato`` (it starts before that one ends), ``adjacent``
    (less than ``ADJACENT_S`` after it ends) or ``detached`` (later, or the first note).

    The attack measure reads them differently: a rendered legato note starts under the last
    one's sustain, so the level is up at its start (the oracle violin: 0 ms), and an adjacent
    or detached one swells from the last one's release (80-165 ms).
    """
    kinds = []
    for k, nt in enumerate(notes):
        gap = float(nt[0]) - (float(notes[k - 1][0]) + float(notes[k - 1][1])) if k else np.inf
        kinds.append("legato" if gap < 0 else "adjacent" if gap < ADJACENT_S else "detached")
    return kinds


def _flat(phrases: Sequence[Sequence[float | None]]) -> np.ndarray:
    """One measure's values of some phrases, note after note (NaN for a note not measured; None, as
    JSON writes NaN, too)."""
    return np.array([np.nan if x is None else x for p in phrases for x in p], dtype=np.float64)


def _finite(phrases: Sequence[Sequence[float | None]]) -> np.ndarray:
    """The measured values of some phrases, flat (the notes not measured left out)."""
    v = _flat(phrases)
    return v[np.isfinite(v)]


def gap_closed(out: float, oracle: float, source: float) -> float:
    """How far ``out`` moved from ``source`` to ``oracle``: 1 all the way, 0 not at all (or as far past it)."""
    return 1.0 - abs(out - oracle) / abs(oracle - source)


def paired_gap_closed(out: list, oracle: list, source: list) -> float:
    """:func:`gap_closed` note by note: the median difference from the oracle's value *on the same note*.

    ``1 - |median(out - oracle)| / |median(source - oracle)|`` over the notes all three measured
    (lists of per-note lists per phrase, as ``notes_by_phrase``). The three renders play the same
    notes, so what a note's place in the phrase does to a measure (its length, its interval, the
    note before it ringing under it) is the same in all three and cancels; the medians of
    :func:`gap_closed` carry it, and with onset transients that scatter +-10 dB from note to
    note they move more with the choice of notes than the whole input->oracle gap.
    """
    o, r, s = map(_flat, (out, oracle, source))
    if not (o.size == r.size == s.size):
        raise ValueError(f"paired_gap_closed: the systems measured different notes ({o.size}, {r.size}, {s.size})")
    both = np.isfinite(o) & np.isfinite(r) & np.isfinite(s)
    if not both.any():
        return float("nan")
    shift = float(np.median(s[both] - r[both]))
    return gap_closed(float(np.median(o[both] - r[both])), 0.0, shift) if abs(shift) > 1e-9 else float("nan")


def _medians_gap_closed(out: list, oracle: list, source: list) -> float:
    med = [np.median(v) if v.size else np.nan for v in map(_finite, (out, oracle, source))]
    return gap_closed(*med) if not np.isnan(med).any() and abs(med[1] - med[2]) > 1e-9 else float("nan")


def gap_closed_spread(out: list, oracle: list, source: list, paired: bool = False, draws: int = 500,
                      seed: int = 0) -> tuple[float, float]:
    """The 10th and 90th percentiles of the share of the gap closed over the phrases drawn with replacement.

    ``out``, ``oracle``, ``source``: one measure's values per phrase (lists of per-note lists), the
    same phrases in the same order; each draw takes the same phrases for all three (a paired
    bootstrap); the share is :func:`gap_closed` of the medians, or :func:`paired_gap_closed` with
    ``paired``. A wide spread says the share moves more with the choice of phrases than the aim's
    band: the oracle violin's attack on the voice phrases read 116 ms over the eval's 4 and 81 over 12.
    """
    n = len(out)
    if n < 2 or len(oracle) != n or len(source) != n:
        return float("nan"), float("nan")
    share = paired_gap_closed if paired else _medians_gap_closed
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        pick = rng.integers(0, n, n)
        v = share(*([series[i] for i in pick] for series in (out, oracle, source)))
        if not np.isnan(v):
            values.append(v)
    if not values:
        return float("nan"), float("nan")
    return float(np.percentile(values, 10)), float(np.percentile(values, 90))


def matched_eq(y: np.ndarray, reference: np.ndarray, sample_rate: int, n_fft: int = 2048,
               max_gain_db: float = 40.0) -> np.ndarray:
    """``y`` through the static EQ that gives it ``reference``'s long-term spectrum (third-octave smoothed).

    What a filter can do, at best, to make the input sound like the target: the envelope
    measures of the result stay the input's.
    """
    import librosa

    Y = librosa.stft(np.asarray(y, np.float32), n_fft=n_fft, hop_length=n_fft // 4)
    R = librosa.stft(np.asarray(reference, np.float32), n_fft=n_fft, hop_length=n_fft // 4)
    py, pr = np.mean(np.abs(Y) ** 2, axis=1), np.mean(np.abs(R) ** 2, axis=1)
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)

    def third_octave(p):
        out = np.empty_like(p)
        for i, f in enumerate(freqs):
            lo, hi = f * 2 ** (-1 / 6), f * 2 ** (1 / 6)
            sel = (freqs >= lo) & (freqs <= hi) if f > 0 else slice(0, 2)
            out[i] = np.mean(p[sel])
        return out

    gain_db = 10.0 * np.log10((third_octave(pr) + 1e-12) / (third_octave(py) + 1e-12))
    gain = 10.0 ** (np.clip(gain_db, -max_gain_db, max_gain_db) / 20.0)
    out = librosa.istft(Y * gain[:, None], hop_length=n_fft // 4, length=len(y))
    return out.astype(np.float32)
