"""Structure controls: what carries the melody and not the timbre, per mel frame.

A conditioned model (``cond_channels`` in its metadata) sees, beside the noisy mel, four
planes of the same shape built from the *input's* pitch and note starts:

0. the fundamental: a Gaussian bump along the mel axis at the bin of f0 (voiced frames);
1. the harmonics 2..12 of f0 as bumps (where the partials of that note would lie);
2. note onsets: 1 on a frame where a note starts, 0.5 on the next;
3. presence: 1 everywhere when controls are given, 0 when dropped.

All zero is "no controls": the model then does the seed's pure cross-diffusion. Training
drops the controls part of the time, so one model does both.

Pitch is YIN (de Cheveigne & Kawahara 2002) on the frames the mel analysis uses (frame
``j`` centred on sample ``j * hop``, zero outside the signal), so training, offline
and streamed analysis agree frame for frame. Numpy only: the daemon imports no librosa.
"""

from __future__ import annotations

import numpy as np

from . import dsp
from .config import MelConfig

CONTROL_CHANNELS = 4
PLANES = "bridge.controls/1"  # written into conditioned models; change it when the planes change
FMIN_HZ = 61.7  # B1, under the lowest melodic range (cello C2)
FMAX_HZ = 2093.0  # C7, over the highest (flute A6)
YIN_THRESHOLD = 0.15
VOICED_APERIODICITY = 0.3
VOICED_MIN_DB = -75.0  # dBFS; the shipped conditioned models were trained with -60 (tracks of quiet note tails differ)
ONSET_CENTS = 70.0
ONSET_RISE_DB = 6.0
ONSET_GAP = 4  # frames (46 ms): closer candidates belong to the same attack
N_HARMONICS = 12
OCTAVE_STEADY = 4  # voiced frames that must agree before a jump of an octave from them may be a slip
OCTAVE_CENTS = 60.0
OCTAVE_HOLD = 5  # frames (58 ms): the longest slip heard on the steady octave
DROPOUT_FRAMES = 3  # unvoiced frames (35 ms) a note goes on through
RESUME_CENTS = 50.0  # ... when it comes back this close to its pitch
BUMP_BINS = 0.8


def yin(frames: np.ndarray, sample_rate: int, fmin_hz: float = FMIN_HZ, fmax_hz: float = FMAX_HZ,
        threshold: float = YIN_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """f0 per frame by YIN: (f0_hz, aperiodicity), both ``(n_frames,)``.

    Parameters
    ----------
    frames : np.ndarray [shape=(n_frames, n)], the integration window is ``n // 2``.
    Returns the first dip of the cumulative mean normalised difference under
    ``threshold`` (its local minimum, refined by a parabola), else the deepest dip;
    the aperiodicity is the normalised difference there (0: periodic, ~1: noise).
    """
    x = np.asarray(frames, dtype=np.float64)
    n_frames, n = x.shape
    w = n // 2
    tau_min = max(2, int(np.floor(sample_rate / fmax_hz)))
    tau_max = min(w - 2, int(np.ceil(sample_rate / fmin_hz)))
    if tau_max <= tau_min + 2:
        raise ValueError(f"frames of {n} samples at {sample_rate} Hz cannot hold a period of {fmin_hz} Hz")
    spec = np.fft.rfft(x, n=2 * n, axis=1)
    head = np.fft.rfft(x[:, :w], n=2 * n, axis=1)
    r = np.fft.irfft(spec * np.conj(head), n=2 * n, axis=1)[:, :w]
    cs = np.concatenate([np.zeros((n_frames, 1)), np.cumsum(x * x, axis=1)], axis=1)
    taus = np.arange(w)
    energy = cs[:, taus + w] - cs[:, taus]
    d = np.maximum(cs[:, w:w + 1] + energy - 2.0 * r, 0.0)
    d[:, 0] = 0.0
    running = np.cumsum(d[:, 1:], axis=1)
    cmnd = np.ones_like(d)
    np.divide(d[:, 1:] * taus[1:], running, out=cmnd[:, 1:], where=running > 1e-12)
    band = cmnd[:, tau_min:tau_max + 1]
    local_min = np.ones_like(band, dtype=bool)
    local_min[:, :-1] = band[:, :-1] <= band[:, 1:]
    below = band < threshold
    first_below = np.where(below.any(axis=1), below.argmax(axis=1), band.shape[1])
    after = np.arange(band.shape[1])[None, :] >= first_below[:, None]
    pick = after & local_min
    idx = np.where(pick.any(axis=1), pick.argmax(axis=1), band.argmin(axis=1))
    tau = idx + tau_min
    rows = np.arange(n_frames)
    a, b, c = cmnd[rows, tau - 1], cmnd[rows, tau], cmnd[rows, np.minimum(tau + 1, w - 1)]
    denom = a - 2.0 * b + c
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (a - c) / np.where(denom == 0, 1.0, denom), 0.0)
    shift = np.clip(shift, -1.0, 1.0)
    return sample_rate / (tau + shift), b


def frame_db(frames: np.ndarray) -> np.ndarray:
    """RMS level of each frame in dBFS."""
    power = np.mean(np.asarray(frames, dtype=np.float64) ** 2, axis=1)
    return 10.0 * np.log10(np.maximum(power, dsp.EPS_POWER))


def note_onsets(f0_hz: np.ndarray, voiced: np.ndarray, level_db: np.ndarray) -> np.ndarray:
    """1.0 where a note starts (voicing begins, the pitch jumps, or the level rises fast), else 0.

    Causal: frame ``j`` looks at frames ``j - 2 .. j`` (and at the onsets of the last
    ``ONSET_GAP`` frames) only, so a stream decides it as the frame arrives. The first frame
    of a segment is never an onset: a window cut inside a note must not start a new one.
    """
    voiced = np.asarray(voiced, bool)
    cents = 1200.0 * np.log2(np.maximum(f0_hz, 1.0))
    prev_v = np.concatenate([voiced[:1], voiced[:-1]])  # frame 0 has no past: a note there began before it
    prev_c = np.concatenate([cents[:1], cents[:-1]])
    jump = np.abs(cents - prev_c) > ONSET_CENTS
    candidate = voiced & (~prev_v | (prev_v & jump) | level_rise(level_db))
    # One event per note: a candidate within ONSET_GAP frames of the last onset is the same attack.
    onset = np.zeros(len(candidate), np.float32)
    last = -ONSET_GAP - 1
    for j in np.flatnonzero(candidate):
        if j - last > ONSET_GAP:
            onset[j] = 1.0
            last = j
    return onset


def level_rise(level_db: np.ndarray) -> np.ndarray:
    """Where the level rose more than ``ONSET_RISE_DB`` over the quieter of the two frames before (a pluck, a hit)."""
    lvl = np.asarray(level_db, dtype=np.float64)
    floor = np.minimum(np.concatenate([lvl[:1], lvl[:-1]]), np.concatenate([lvl[:2], lvl[:-2]])[: len(lvl)])
    return lvl - floor > ONSET_RISE_DB


def frame_rows(frames: np.ndarray, sample_rate: int) -> np.ndarray:
    """What each frame says on its own, ``(n_frames, 3)``: YIN's f0, its aperiodicity, the level in dBFS.

    Row ``j`` depends on frame ``j`` only (bit for bit, whatever else is in the batch), so a
    stream analyses each absolute frame once and reuses the row in every window that overlaps it.

    YIN runs on the frame reversed: it integrates over the frame's *later* half (the samples
    just after its centre) rather than the earlier one, so a new note's pitch is seen about
    half a frame sooner and the frame uses no sample it did not use before. Note starts found
    in FluidR3 renders of 71 violin notes, median after the true start: 33 ms forwards (a bow
    change has no level rise to catch), 9 ms reversed; a guitar's 86: 7 and 11 ms. Every
    instrument's onsets now come about equally late, so a model meets them where its training
    did. Pitch is the same either way on a steady note.
    """
    f0, aperiodicity = yin(np.asarray(frames)[:, ::-1], sample_rate)
    return np.stack([f0, aperiodicity, frame_db(frames)], axis=1)


def _pitch(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(f0_hz, voiced, level_db) per frame from :func:`frame_rows`: voiced where periodic and loud enough."""
    f0, aperiodicity, level = rows.T
    return f0, (aperiodicity < VOICED_APERIODICITY) & (level > VOICED_MIN_DB), level


def track(frames: np.ndarray, sample_rate: int, rows: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(f0_hz, voiced, onset) per frame of ``frames`` ``(n_frames, n_fft)``; f0 is 0 where unvoiced.

    ``rows``: the frames' :func:`frame_rows` when the caller has them already (a stream's cache).
    """
    f0, voiced, level = _pitch(frame_rows(frames, sample_rate) if rows is None else rows)
    return np.where(voiced, f0, 0.0).astype(np.float32), voiced, note_onsets(f0, voiced, level)


def track_signal(y: np.ndarray, config: MelConfig, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`track` over a whole signal on the absolute frame grid (as ``dsp.melspectrogram_db``).

    YIN runs ``chunk`` frames at a time (its spectra of a long file would not fit in memory);
    the onsets are decided over the whole track.
    """
    padded = dsp.pad_centered(np.asarray(y, dtype=np.float64), config.n_fft, config.hop_length)
    frames = dsp.frame(padded, config.n_fft, config.hop_length)
    f0, voiced, level = _pitch(np.concatenate([frame_rows(frames[i:i + chunk], config.sample_rate)
                                               for i in range(0, len(frames), chunk)]))
    f0 = np.where(voiced, f0, 0.0).astype(np.float32)
    return f0, voiced, note_onsets(f0, voiced, level)


def steady_pitch(f0_hz: np.ndarray, onset: np.ndarray, frames: int = 16, level_db: np.ndarray | None = None
                 ) -> np.ndarray:
    """Each note on one equal-tempered pitch (A4 = 440 Hz): vibrato, slides and octave slips removed.

    Per voiced frame, the semitone nearest the median pitch of the note so far (its last
    ``frames`` frames, from its onset on): causal, so a stream decides it as the frame
    arrives; a vibrato of a few cents stays on one semitone. 0 where unvoiced.

    Octave slips: YIN now and then takes half the period for a few frames (a sung note's
    strong second partial: 1.3% of the voiced frames of six rendered choir phrases, in
    runs of 1-5 frames), and the jump reads as a new note an octave up. When the last
    ``OCTAVE_STEADY`` voiced frames agree (within ``OCTAVE_CENTS`` of their median, with
    no more than ``DROPOUT_FRAMES`` unvoiced frames between two of them), a frame within
    ``OCTAVE_CENTS`` of an octave from them is heard on their octave, for at most
    ``OCTAVE_HOLD`` frames in a row: a real leap of an octave that lasts longer starts its
    note there, that much late. With ``level_db`` (each frame's level), a jump that comes with
    a rise in level (:func:`level_rise`: a plucked or struck octave) is a note at once.

    Short dropouts: a note goes on through up to ``DROPOUT_FRAMES`` unvoiced frames when
    it comes back within ``RESUME_CENTS`` of its median pitch (a singer's breathy frame,
    whatever the onset says), so the frames after the gap are not a note of their own: a
    voice scooping up into a note sung flat would put them on the semitone below.
    """
    f0 = np.asarray(f0_hz, dtype=np.float64)
    cents = (1200.0 * np.log2(np.maximum(f0, 1e-9) / 440.0)).tolist()
    voiced, starts = (f0 > 0).tolist(), (np.asarray(onset) > 0).tolist()
    struck = (level_rise(level_db) if level_db is not None else np.zeros(len(f0), bool)).tolist()
    heard = list(cents)  # each frame's cents on the octave it is heard on
    out = np.zeros(len(f0))
    start, away, gap, last = 0, 0, 0, None
    steady: list[float] = []  # the last voiced frames as heard, for the slip test
    for j in range(len(f0)):  # plain Python: np.median on a dozen values costs 40x a sort here
        if not voiced[j]:
            away, gap = 0, gap + 1
            if gap > DROPOUT_FRAMES:
                steady = []
            continue
        resumed = 0 < gap <= DROPOUT_FRAMES and last is not None and abs(cents[j] - last) < RESUME_CENTS
        if gap and not resumed:
            start = j
        gap, slip = 0, 0.0
        if len(steady) == OCTAVE_STEADY and not (struck[j] and not away):
            ref = sorted(steady)[OCTAVE_STEADY // 2]
            if max(abs(c - ref) for c in steady) < OCTAVE_CENTS:
                slip = next((o for o in (1200.0, -1200.0) if abs(cents[j] - ref - o) < OCTAVE_CENTS), 0.0)
        away = away + 1 if slip else 0
        if slip and away <= OCTAVE_HOLD:
            heard[j] = cents[j] - slip
        elif slip:  # it held: a note of its own, from its first frame on that octave
            start, away, steady = j - OCTAVE_HOLD, 0, []
            heard[start:j] = cents[start:j]
        elif starts[j] and not resumed:
            start = j
        steady = (steady + [heard[j]])[-OCTAVE_STEADY:]
        recent = sorted(heard[k] for k in range(max(start, j - frames + 1), j + 1) if voiced[k])
        m = len(recent) // 2
        median = recent[m] if len(recent) % 2 else 0.5 * (recent[m - 1] + recent[m])
        last = median
        out[j] = 440.0 * 2.0 ** (round(median / 100.0) / 12.0)
    return out


def mel_position(f_hz: np.ndarray, config: MelConfig) -> np.ndarray:
    """Fractional mel-bin index of frequencies (bin ``i`` peaks at the ``i``-th filter's centre)."""
    lo, hi = dsp.hz_to_mel(config.fmin_hz), dsp.hz_to_mel(config.fmax_hz)
    step = (hi - lo) / (config.n_mels + 1)
    return (dsp.hz_to_mel(f_hz) - lo) / step - 1.0


def planes(f0_hz: np.ndarray, voiced: np.ndarray, onset: np.ndarray, config: MelConfig) -> np.ndarray:
    """The four control planes ``(4, n_mels, n_frames)`` float32 for per-frame pitch and onsets."""
    f0 = np.asarray(f0_hz, dtype=np.float64)
    v = np.asarray(voiced, bool) & (f0 > 0)
    n = len(f0)
    out = np.zeros((CONTROL_CHANNELS, config.n_mels, n), np.float32)
    bins = np.arange(config.n_mels, dtype=np.float64)
    k = np.arange(1, N_HARMONICS + 1, dtype=np.float64)
    hz = np.where(v, f0, 1.0)[:, None] * k[None, :]  # (n, K)
    pos = np.where(hz < config.fmax_hz, mel_position(hz, config), -1e3)
    bumps = np.exp(-0.5 * ((bins[None, None, :] - pos[:, :, None]) / BUMP_BINS) ** 2) * v[:, None, None]
    out[0] = bumps[:, 0].T
    out[1] = bumps[:, 1:].max(axis=1).T
    on = np.asarray(onset, dtype=np.float32)
    out[2] = np.maximum(on, 0.5 * np.concatenate([[0.0], on[:-1]]))[None, :]
    out[3] = 1.0
    return out
