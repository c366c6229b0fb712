"""One window's life: analysis, the DDIM coroutine that denoises it, inversion back to samples.

:func:`analyse` turns a model-rate input segment into a :class:`Window`: STFT, log-mel,
gain to ``loudness_db``, noised to ``t_start`` in closed form (the report's eq. 2.2),
with :func:`bridge.sampling.ddim` ready to run over its active lanes. The stream (or
several, batched) drives that coroutine one model call at a time; :func:`render`
inverts the result (envelope transfer onto the input's STFT, harmonics at the input's
pitch, or the mel pseudo-inverse, then Griffin-Lim, cleanup and loudness match) to
crossfade-weighted samples. A conditioned model also gets the window's control planes
(the input's pitch and onsets, :mod:`bridge.controls`) with every call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Generator

import numpy as np

from . import controls, dsp, harmonic, sampling
from .config import MelConfig
from .framing import Geometry

Denoiser = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
LOUDNESS_MATCH_LIMIT_DB = 24.0


@dataclass(frozen=True, eq=False)
class WindowSettings:
    """What a window is rendered with, fixed when the window starts (parameter changes apply to later windows)."""

    denoise: Denoiser
    alpha_bar: np.ndarray
    t_start: int
    steps: int
    eta: float
    seed: int
    griffin_lim_iters: int
    inversion: str
    fill: float
    mask: np.ndarray | None
    match_loudness: bool
    silence_db: float
    key: tuple
    clip_x0: float | None = sampling.X0_CLIP
    controls: bool = False  # condition the model on the input's pitch and onsets (bridge.controls)
    note_loudness: bool = False  # match the loudness held since each note's start (the stream holds it)
    note_decay_db_s: float = 0.0  # with note_loudness: the target's level slope after a note starts
    note_decay_by_pitch: np.ndarray | None = None  # (points, 2) [Hz, dB/s]: that slope against pitch (at_pitch)
    note_attack_s: float = 0.0  # with note_loudness: the target's time from a note start to its peak
    steady_pitch: bool = False  # harmonic inversion: each note on its semitone, phase from absolute time
    vibrato: tuple[float, float] = (0.0, 0.0)  # with steady_pitch: (RMS cents, Hz) added to every note
    vibrato_by_pitch: np.ndarray | None = None  # (points, 2) [Hz, RMS cents]: that depth against pitch (at_pitch)
    band_decay: np.ndarray | None = None  # (n_mels,) dB/s: each band's fall after a note start, against the level's
    noise_share: np.ndarray | None = None  # harmonic inversion: per mel band, the noise share (None: fill)

    @property
    def tracks_pitch(self) -> bool:
        return self.controls or self.inversion == "harmonic" or self.note_loudness


@dataclass(eq=False)
class Window:
    """One window in flight: its input analysis and the DDIM coroutine that denoises its active lanes."""

    index: int
    settings: WindowSettings
    x: np.ndarray  # (n_lanes, 1, n_mels, W) float32; the active lanes hold the result once done
    gain_db: np.ndarray  # (n_lanes,)
    spec: np.ndarray  # (n_lanes, n_bins, W) complex: the input's STFT
    seen: np.ndarray  # (n_lanes, n_mels, W): the mel dB the model saw (after clipping), for envelope transfer
    dry_db: np.ndarray  # (n_lanes,) RMS dB of the input each lane stands for, over the window's output span
    active: np.ndarray  # (n_lanes,) bool: False for silent lanes
    sampler: Generator | None = None  # sampling.ddim over the active lanes
    request: tuple[np.ndarray, int] | None = None  # (x, t) the sampler waits on; None once done
    calls_left: int = 0  # model calls still to come (the worker plans steps from them)
    born: int = 0  # start order over all streams (oldest first when calls per tick are limited)
    f0: np.ndarray | None = None  # (n_lanes, W) the input's pitch in Hz, 0 where unvoiced (when tracked)
    notes: np.ndarray | None = None  # (n_lanes, 3, W) frame level dB, voiced, onset (when tracked)
    level_db: np.ndarray | None = None  # (n_lanes, out_frames) loudness: note's target per span frame
    cond: np.ndarray | None = None  # (n_active, channels, n_mels, W) control planes of the active lanes
    last_onset: np.ndarray | None = None  # (n_lanes,) absolute frame of the last note start earlier windows saw

    @property
    def done(self) -> bool:
        return self.request is None

    def fail(self) -> None:
        """Abandons the window after a failed model call: its span comes out silent."""
        if self.sampler is not None:
            self.sampler.close()
        self.active[:] = False
        self.request = None

    def advance(self, eps: np.ndarray, x0_pred: np.ndarray) -> None:
        """Hands the model's prediction to the sampler; stores the result when it finishes."""
        self.calls_left = max(0, self.calls_left - 1)
        try:
            self.request = self.sampler.send((eps, x0_pred))
        except StopIteration as finished:
            self.x[self.active] = finished.value
            self.request = None


class FrameCache:
    """Per-frame rows (spectra, pitch rows) of the last window, by absolute frame, for the next one.

    Windows overlap (each frame is in four at 75% overlap) and a frame's spectrum and pitch
    depend on its own samples only, so a stream computes each frame's rows once: a window
    takes the rows it shares with the window before and computes only its new frames.
    The numbers are the same bit for bit (tested); only the work is a quarter.
    """

    def __init__(self):
        self.first = 0
        self.rows: np.ndarray | None = None

    def rows_for(self, first: int, frames: np.ndarray, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Rows of ``frames`` (absolute frames ``first, first + 1, ...``), computing the ones not held."""
        have = 0
        if self.rows is not None and self.first <= first < self.first + len(self.rows):
            have = min(len(frames), self.first + len(self.rows) - first)
        rows = compute(frames[have:])
        if have:
            rows = np.concatenate([self.rows[first - self.first : first - self.first + have], rows])
        self.first, self.rows = first, rows
        return rows


def analyse(w: int, channels: np.ndarray, n_lanes: int, s: WindowSettings, g: Geometry, mel: MelConfig,
            tf: dsp.MelTransform, caches: list[dict[str, FrameCache]] | None = None) -> Window:
    """Window ``w`` from its input ``channels`` [shape=(n_channels, need - begin)], noised and ready to denoise.

    With one lane (mid) the model sees the channels' mix, but the loudness to match is
    the channels' own (their mean power): a wide recording's mix is quieter than any of
    its channels. Lanes quieter than ``silence_db`` stay inactive (no model rows, silent
    output). The noise is ``default_rng([seed, w])``: it depends on the window's position only.
    ``caches``: one dict per lane kept by the stream (:class:`FrameCache`); the result is the same without.
    """
    seg = channels.mean(axis=0, keepdims=True) if n_lanes == 1 else channels
    span = slice(g.out_offset, g.out_offset + g.span_samples)
    dry_db = (np.array([dsp.rms_db(channels[:, span])]) if n_lanes == 1
              else np.array([dsp.rms_db(lane[span]) for lane in channels]))
    W = g.window_frames
    n_bins = g.n_fft // 2 + 1
    x = np.zeros((n_lanes, 1, mel.n_mels, W), np.float32)
    spec = np.zeros((n_lanes, n_bins, W), np.complex128)
    seen = np.zeros((n_lanes, mel.n_mels, W))
    gain = np.zeros(n_lanes)
    active = np.zeros(n_lanes, bool)
    f0 = np.zeros((n_lanes, W)) if s.tracks_pitch else None
    notes = np.zeros((n_lanes, 3, W)) if s.tracks_pitch else None
    planes = np.zeros((n_lanes, controls.CONTROL_CHANNELS, mel.n_mels, W), np.float32) if s.controls else None
    first = g.first_frame(w)
    for lane in range(n_lanes):
        cache = caches[lane] if caches is not None else {}
        frames = dsp.frame(np.ascontiguousarray(seg[lane], dtype=np.float64), g.n_fft, g.hop_length)
        S = cache.setdefault("spec", FrameCache()).rows_for(first, frames, lambda f: dsp.stft_frames(f, tf.window)).T
        db = dsp.mel_power_db(S, tf)
        if dsp.level_db(db) < s.silence_db:
            continue
        active[lane] = True
        if f0 is not None:
            rows = cache.setdefault("pitch", FrameCache()).rows_for(
                first, frames, lambda f: controls.frame_rows(f, mel.sample_rate))
            track = controls.track(frames, mel.sample_rate, rows)
            f0[lane] = track[0]
            notes[lane] = rows[:, 2], track[1], track[2]
            if planes is not None:
                planes[lane] = controls.planes(*track, mel)
        gain[lane] = dsp.window_gain_db(db, mel)
        x[lane, 0] = dsp.db_to_model(db, gain[lane], mel)
        seen[lane] = dsp.model_to_db(x[lane, 0], gain[lane], mel)
        spec[lane] = S
    rng = np.random.default_rng([s.seed, w & 0xFFFFFFFF, (w >> 32) & 0xFFFFFFFF])
    # One draw shared by the lanes, so a centred source stays coherent in "dual" stereo.
    eps = rng.standard_normal(x.shape[1:]).astype(np.float32)
    x = sampling.q_sample(x, s.alpha_bar[s.t_start], eps[None]).astype(np.float32)  # the report's eq. (2.2)
    job = Window(w, s, x, gain, spec, seen, dry_db, active, f0=f0, notes=notes,
                 cond=planes[active] if planes is not None else None)
    if not active.any():
        return job
    timesteps = sampling.ddim_timesteps(s.t_start, s.steps)
    job.calls_left = len(timesteps) - 1
    job.sampler = sampling.ddim(x[active], timesteps, s.alpha_bar, rng, s.eta, s.clip_x0)
    try:
        job.request = next(job.sampler)
    except StopIteration as finished:  # no step to take
        job.x[active] = finished.value
    return job


def render(job: Window, g: Geometry, mel: MelConfig, tf: dsp.MelTransform) -> np.ndarray:
    """Inverts a finished window to ``(n_lanes, span)`` crossfade-weighted samples.

    Only the frames whose samples reach the output span are synthesised (:func:`heard_frames`);
    what is decided per note (its steady pitch, the vibrato's fade) still sees the whole window.
    """
    s = job.settings
    out = np.zeros((job.x.shape[0], g.span_samples))
    weights = dsp.crossfade_weights(g.span_samples, g.fade_samples)
    j0 = heard_frames(g, s.griffin_lim_iters)
    first = g.first_frame(job.index) + j0  # the absolute index of the first frame synthesised
    for lane in np.flatnonzero(job.active):
        db_out = dsp.model_to_db(job.x[lane, 0][:, j0:], job.gain_db[lane], mel)
        age = None  # seconds since each frame's note start, for the bands' fall and the vibrato's fade
        if s.band_decay is not None or s.steady_pitch:
            before = -np.inf if job.last_onset is None else job.last_onset[lane] - g.first_frame(job.index)
            age = note_age(job.notes[lane][2], g.hop_length / mel.sample_rate, before)[j0:]
        if s.band_decay is not None:
            db_out = db_out + band_fall(s.band_decay, age)
        spec = job.spec[lane][:, j0:]
        if s.inversion == "envelope":
            S = dsp.envelope_transfer(spec, job.seen[lane][:, j0:], db_out, tf)
            S = dsp.fill_missing(S, db_out, spec, tf, s.fill)
            mag, angles = np.abs(S), dsp.unit_phase(S)
        elif s.inversion == "harmonic":
            f0, steady = job.f0[lane], None
            if s.steady_pitch:
                f0 = controls.steady_pitch(f0, job.notes[lane][2], level_db=job.notes[lane][0])[j0:]
                starts = (first + np.arange(len(f0))) * g.hop_length - g.n_fft // 2
                vibrato = (at_pitch(f0, s.vibrato_by_pitch, s.vibrato[0]) * vibrato_fade(age), s.vibrato[1])
                steady = harmonic.harmonic_phase(f0, starts, g.n_fft, mel.sample_rate, vibrato=vibrato)
                f0 = harmonic.with_vibrato(f0, (starts + g.n_fft // 2) / mel.sample_rate, vibrato)
            else:
                f0 = f0[j0:]
            noise = None
            if s.noise_share is not None:
                noise = (s.noise_share, harmonic.noise_phase(first + np.arange(len(f0)), g.n_fft // 2 + 1))
            S = harmonic.harmonic_transfer(spec, f0, db_out, tf, s.fill, steady, noise)
            mag, angles = np.abs(S), dsp.unit_phase(S)
        else:
            mag, angles = dsp.db_to_magnitude(db_out, tf), dsp.unit_phase(spec)
        if s.mask is not None:
            mag *= s.mask[:, None]
        y = dsp.griffin_lim(mag, angles, s.griffin_lim_iters, g.n_fft, g.hop_length, tf.window)
        at = g.out_offset - j0 * g.hop_length
        seg = y[at : at + g.span_samples]
        if job.level_db is not None:
            seg = seg * level_curve(job.level_db[lane], seg, g)
        elif s.match_loudness:
            seg = seg * loudness_gain(job.dry_db[lane], seg)
        out[lane] = seg * weights
    return out


def heard_frames(g: Geometry, griffin_lim_iters: int) -> int:
    """The first frame of a window whose samples reach its output span (0 with Griffin-Lim).

    A frame covers ``n_fft`` samples from ``j * hop``, so frames before this one end before
    the span starts, and the inverse STFT over the rest is the same there (every frame that
    overlaps a sample of the span is kept, so is its window normalisation). With `live`'s
    12-frame windows (9 of them past context) it is frame 8: 4 frames of 12 are synthesised.
    Griffin-Lim's iterations mix every frame, so with them all are.
    """
    if griffin_lim_iters:
        return 0
    return max(0, (g.out_offset - g.n_fft) // g.hop_length + 1)


NOTE_ATTACK_FRAMES = 8  # frames after a note start in which a louder input frame still raises a held (bowed) level
# A fall of the input this fast is a note's end, not its ring: over the 12 guitar phrases bridge eval
# plays, 95% of the notes never fall 6.7 dB in 70 ms after their first 116 ms; after their note-off
# the median voice falls 8.3 dB, the violin 12.4 (lab.phrases, model frames of 11.6 ms).
RELEASE_DB = 8.0
RELEASE_FRAMES = 6
NOTE_GAP_FRAMES = 4  # unvoiced frames (46 ms) a note rides through (a bow change, a slide) before it ends


def at_pitch(f0_hz: np.ndarray, by_pitch: np.ndarray | None, median: float) -> np.ndarray:
    """A target's measure (note decay, vibrato depth) at each pitch: ``by_pitch`` ``[[Hz, value], ...]``
    interpolated in log pitch.

    The end values hold beyond the measured octaves; ``median`` where there is no table
    (a model measured before it) or no pitch (``f0 <= 0``).
    """
    f0 = np.asarray(f0_hz, dtype=np.float64)
    if by_pitch is None or len(by_pitch) == 0:
        return np.full(f0.shape, median)
    pts = np.asarray(by_pitch, dtype=np.float64)
    at = np.interp(np.log2(np.maximum(f0, 1e-3)), np.log2(pts[:, 0]), pts[:, 1])
    return np.where(f0 > 0, at, median)


def note_state(n_lanes: int) -> np.ndarray:
    """:func:`hold_note_level`'s state before any note, ``(6, n_lanes)``: held dB, note age, last peak dB,
    unvoiced frames, decay per frame, release headroom."""
    return np.tile([[-np.inf], [0.0], [-np.inf], [99.0], [0.0], [np.inf]], n_lanes)


def span_frames(g: Geometry) -> slice:
    """The frames of a window whose centres fall in its output span (the ones a held note's level is set for)."""
    first = -(-(g.out_offset - g.n_fft // 2) // g.hop_length)
    return slice(first, first + g.out_frames)


def hold_note_level(job: Window, g: Geometry, state: np.ndarray, decay_db_frame: float,
                    attack_frames: float = 0.0, decay_by_pitch: np.ndarray | None = None) -> np.ndarray:
    """``loudness: note``: the window's loudness per frame follows the note, not the input hop by hop.

    Over the frames of the window's output span, in order: a note start sets the held level to
    the input's, or to the last note's peak (less 1 dB) when that is louder, so a slow bowed
    swell does not slow a pluck; during the attack a louder frame raises it (for a target that
    decays, only while the analysis straddles the note start: a pluck does not swell); the target rises
    over its own attack (linear in amplitude, reaching -3 dB after ``attack_frames``) and
    follows its own decay (``decay_db_frame`` per frame, never rising; with ``decay_by_pitch``,
    ``[[Hz, dB per frame], ...]``, the decay at the note's pitch, :func:`at_pitch`) counted from the note's
    start, so a pluck falls from its first frame (violin->guitar sustain on 2 phrases: -6.0 dB
    with the decay starting after the attack frames, -7.6 from the start, the oracle -7.4); both are measured on
    the target's training audio and written in the model. So a plucked input does not decay a
    bowed target and a bowed one decays like a plucked one. A release is followed: once the
    input falls ``RELEASE_DB`` within ``RELEASE_FRAMES`` after the attack, faster than a string
    rings down, the note goes down with it from the level it held when the fall began (and back
    up to the held level if the input comes back), so a singer's note end is the violin's, not
    a held note cut off by the silence gate 0.3 s later. After ``NOTE_GAP_FRAMES`` unvoiced
    frames the note has ended and the level follows the input. ``state`` (held dB, note age,
    last peak dB, unvoiced frames, the note's decay per frame, its headroom over the input once
    it releases; per lane; :func:`note_state` before any note) is where the next window's span
    starts: the stream carries it, and windows start in order, so it depends on the input only.
    """
    span = span_frames(g)
    first = span.start
    attack_frames = attack_frames / 10.0 ** (-3.0 / 20.0)  # the ramp's full length
    # A plucked target (one that decays, median over its notes) is as loud as its pluck: only the
    # frames whose analysis still straddles the note start may raise it, not a bow's swell after
    # (violin->guitar, 4 phrases: sustain 74% -> 77% of the gap to the oracle closed, transient 74% -> 82%).
    straddle = g.n_fft // (2 * g.hop_length)
    catch = max(straddle if decay_db_frame < 0 else NOTE_ATTACK_FRAMES, int(np.ceil(attack_frames)))
    state = state.copy()
    job.level_db = np.full((job.x.shape[0], g.out_frames), -np.inf)
    for lane in np.flatnonzero(job.active):
        level, voiced, onset = job.notes[lane][:, span]
        before = job.notes[lane][0][np.clip(np.arange(first, first + len(level)) - RELEASE_FRAMES, 0, None)]
        # Each voiced frame's decay at its pitch; an unvoiced one keeps its note's.
        falls = np.minimum(at_pitch(job.f0[lane][span], decay_by_pitch, decay_db_frame), 0.0).tolist()
        h, a, peak, gap, fall, off = state[:, lane]
        out = []
        for i, (lv, v, on) in enumerate(zip(level, voiced, onset)):
            if i == g.hop_frames:  # the next window's span starts here: it goes on from this state
                state[:, lane] = h, a, peak, gap, fall, off
            gap = 0 if v else gap + 1
            fall = falls[i] if v else fall
            if on:
                h, a, off = max(lv, peak - 1.0), 0, np.inf
            elif gap > NOTE_GAP_FRAMES:
                h, a, off = lv, catch, np.inf
            elif not v:  # a gap the note rides through: its level and its attack's clock go on
                h, a = h + fall, min(a + 1, catch)
            elif a < catch:  # the decay's clock runs from the note start: a pluck falls from its first frame
                a += 1
                h = max(h + fall, lv + fall * a)
                peak = h - fall * a
            else:
                h = h + fall
            if not on and gap <= NOTE_GAP_FRAMES and a >= catch and before[i] - lv >= RELEASE_DB:
                off = min(off, h - before[i])  # a release: the held level goes down with the input from here
            rise = 20.0 * np.log10(min(1.0, (a + 1) / (attack_frames + 1))) if a < attack_frames else 0.0
            out.append(min(h, lv + off) + rise)
        if g.hop_frames >= len(level):  # no overlap: the next span starts after this one
            state[:, lane] = h, a, peak, gap, fall, off
        # Frame by frame, in the units of dry_db (a mid lane's loudness is its channels', see analyse).
        offset = job.dry_db[lane] - 10.0 * np.log10(max(np.mean(np.power(10.0, level / 10.0)), 1e-30))
        job.level_db[lane] = np.asarray(out) + offset
    return state


VIBRATO_FADE_S = 0.2  # a player's vibrato starts after the note does


def note_age(onset: np.ndarray, frame_s: float, before: float = -np.inf) -> np.ndarray:
    """Seconds since the last note start at each frame (inf before the first one known).

    ``before``: the frame, relative to the window's first, of the last note start an earlier
    window saw (the stream carries it, :func:`carry_onset`), so a window whose past context
    is shorter than the note still agrees with the one before it where they overlap.
    """
    age = np.full(len(onset), np.inf)
    last = before if before < 0 else -np.inf
    for j, on in enumerate(onset):
        last = j if on or j == before else last
        age[j] = (j - last) * frame_s
    return age


def vibrato_fade(age_s: np.ndarray) -> np.ndarray:
    """0 at each note start rising to 1 over ``VIBRATO_FADE_S`` (1 long after the last one), from :func:`note_age`."""
    return np.minimum(1.0, age_s / VIBRATO_FADE_S)


BAND_FALL_MAX_S = 1.0  # the bands part no further after this (and not at all before a note start is known)


def band_fall(band_decay: np.ndarray, age_s: np.ndarray) -> np.ndarray:
    """``(n_mels, frames)`` dB added to a note's mel: each band's own fall (dB/s) over the note's age.

    A plucked string's upper partials die before its lower ones (FluidR3's guitar: the bands
    above 2 kHz 18-43 dB/s faster than its level); a window that does not hold the note's start
    cannot tell the model how old the note is, so the runtime ages it. The level is matched
    afterwards, so only the balance between bands moves.
    """
    age = np.where(np.isfinite(age_s), np.minimum(age_s, BAND_FALL_MAX_S), 0.0)
    return np.asarray(band_decay, dtype=np.float64)[:, None] * age[None, :]


def carry_onset(job: Window, g: Geometry, last: np.ndarray) -> np.ndarray:
    """Gives ``job`` the last note start per lane seen before it; returns the one after it (stream state)."""
    job.last_onset = last
    last = last.copy()
    for lane in np.flatnonzero(job.active):
        on = np.flatnonzero(job.notes[lane][2] > 0)
        if on.size:
            last[lane] = max(last[lane], g.first_frame(job.index) + on[-1])
    return last


def level_curve(target_db: np.ndarray, wet: np.ndarray, g: Geometry) -> np.ndarray:
    """Per-sample gain bringing ``wet`` (a span) to ``target_db`` per frame (the held note's level).

    Each frame's wet level is its hop of samples; the gain (at most +24 dB, any cut) is
    smoothed over three frames and interpolated between frame centres.
    """
    n = len(target_db)
    wet_db = np.array([dsp.rms_db(wet[j * g.hop_length : (j + 1) * g.hop_length]) for j in range(n)])
    ok = np.isfinite(wet_db) & np.isfinite(target_db)
    gain = np.where(ok, np.minimum(np.where(ok, target_db - wet_db, 0.0), LOUDNESS_MATCH_LIMIT_DB), -120.0)
    gain = np.convolve(np.pad(gain, 1, mode="edge"), np.ones(3) / 3.0, mode="valid")
    centres = (np.arange(n) + 0.5) * g.hop_length
    return np.power(10.0, np.interp(np.arange(len(wet)), centres, gain) / 20.0)


def loudness_gain(dry_db: float, wet: np.ndarray) -> float:
    """Gain that brings ``wet`` to ``dry_db`` RMS: at most +24 dB (a near-silent window is not blown up into
    noise), and any cut (a held note decays as far as the target's decay takes it)."""
    d, w = dry_db, dsp.rms_db(wet)
    if not (math.isfinite(d) and math.isfinite(w)):
        return 1.0
    return dsp.db_to_amplitude(float(min(d - w, LOUDNESS_MATCH_LIMIT_DB)))
