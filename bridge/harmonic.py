"""Harmonic-plus-noise synthesis in the STFT domain: the model's mel played as partials at a pitch.

``inversion: harmonic`` (:func:`harmonic_transfer`): sinusoids at ``k * f0`` shaped by the
model's spectral envelope, phases continuous in absolute time (:func:`harmonic_phase`), and
noise between them, either the shortfall of the envelope or each band's share measured on
the target's own audio (:func:`noise_share`, :func:`noise_phase`). Numpy only, like :mod:`.dsp`.
"""

from __future__ import annotations

import functools

import numpy as np

from .dsp import MelTransform, db_to_magnitude, envelope_transfer, mel_power_db, unit_phase


def _partial_bins(centre: np.ndarray, ok: np.ndarray, n_bins: int):
    """Every STFT bin within a partial's Hann main lobe: ``(bin, frame, partial, offset)``, flat.

    ``centre`` ``(partials, frames)``: each partial's fractional bin; ``ok`` which to use; the
    offset is bin minus centre (|offset| < 2, the lobe's zeros).
    """
    partial, frame = np.nonzero(ok)
    c = centre[partial, frame]
    base = np.floor(c).astype(np.int64)
    b = np.concatenate([base + o for o in range(-2, 3)])
    frame, partial, c = np.tile(frame, 5), np.tile(partial, 5), np.tile(c, 5)
    d = b - c
    use = (b >= 0) & (b < n_bins) & (np.abs(d) < 2.0)
    return b[use], frame[use], partial[use], d[use]


def harmonic_spectrum(f0_hz: np.ndarray, n_fft: int, sample_rate: int, max_harmonics: int = 60) -> np.ndarray:
    """Magnitudes ``(1 + n_fft // 2, frames)`` of unit sinusoids at ``k * f0`` as a Hann STFT sees them.

    Each partial is the window's main lobe (peak 1, zero two bins away) centred on its
    exact frequency; partials stop below 0.95 Nyquist. Frames with ``f0 <= 0`` are silent.
    """
    f0 = np.asarray(f0_hz, dtype=np.float64)
    n_bins = n_fft // 2 + 1
    centre = f0[None, :] * np.arange(1, max_harmonics + 1)[:, None] * n_fft / sample_rate
    ok = (f0[None, :] > 0) & (centre * sample_rate / n_fft < 0.95 * sample_rate / 2)
    b, frame, _, d = _partial_bins(centre, ok, n_bins)
    edge = np.abs(np.abs(d) - 1.0) < 1e-9  # the limit of sinc(d) / (1 - d^2) at |d| = 1
    lobe = np.where(edge, 0.5, np.sinc(d) / np.where(edge, 1.0, 1.0 - d * d))
    out = np.zeros((n_bins, len(f0)))
    np.add.at(out, (b, frame), np.abs(lobe))
    return out


def with_vibrato(f0_hz: np.ndarray, t: np.ndarray, vibrato: tuple[float, float]) -> np.ndarray:
    """``f0`` at times ``t`` (s, absolute) under a vibrato of (RMS cents, per frame or one, Hz).

    ``f0 (1 + sqrt(2) ln2 cents / 1200 sin(2 pi Hz t))``, the first-order form of ``2 ** (cents / 1200)``.
    """
    if vibrato[1] <= 0 or np.all(np.asarray(vibrato[0]) <= 0):
        return np.asarray(f0_hz, dtype=np.float64)
    peak = np.sqrt(2.0) * np.asarray(vibrato[0]) / 1200.0 * np.log(2.0)
    return np.asarray(f0_hz, dtype=np.float64) * (1.0 + peak * np.sin(2.0 * np.pi * vibrato[1] * np.asarray(t)))


def harmonic_phase(f0_hz: np.ndarray, starts: np.ndarray, n_fft: int, sample_rate: int,
                   max_harmonics: int = 60, vibrato: tuple[float, float] = (0.0, 0.0)
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The STFT phase of steady partials at ``k * f0`` whose phase is ``2 pi k f0 t`` at absolute time t.

    ``starts``: each frame's first sample (absolute). Returns ``(angles, near)``: unit phases
    ``(n_bins, frames)`` over each partial's main lobe (its phase at the frame's centre less
    ``pi b``: a Hann frame sees a partial with its phase at the centre, shifted by half a frame
    per bin) and where they apply. A function of absolute time, so overlapping windows render
    the same partials in phase and a crossfade between them does not comb. ``vibrato``
    (RMS cents, Hz) modulates every partial's frequency by ``sqrt(2) cents sin(2 pi Hz t)``: the
    phase gets its closed-form integral, still a function of absolute time.
    """
    f0 = np.asarray(f0_hz, dtype=np.float64)
    n_bins = n_fft // 2 + 1
    bin_hz = sample_rate / n_fft
    k = np.arange(1, max_harmonics + 1)[:, None]
    t = (np.asarray(starts, dtype=np.float64) + n_fft // 2) / sample_rate  # frame centres
    peak, rate = np.sqrt(2.0) * np.asarray(vibrato[0]) / 1200.0 * np.log(2.0), vibrato[1]
    # With a depth that changes slowly (a note's vibrato fading in) this closed form is first-order exact.
    swing = f0 * peak / (2.0 * np.pi * rate) * np.cos(2.0 * np.pi * rate * t) if rate > 0 else 0.0
    centre = with_vibrato(f0, t, vibrato)[None, :] * k / bin_hz
    ok = (f0[None, :] > 0) & (centre * bin_hz < 0.95 * sample_rate / 2)
    cycles = np.mod(k * (f0 * t - swing)[None, :], 1.0)
    angles = np.ones((n_bins, len(f0)), complex)
    near = np.zeros((n_bins, len(f0)), bool)
    b, frame, partial, _ = _partial_bins(centre, ok, n_bins)
    angles[b, frame] = np.exp(1j * (2.0 * np.pi * cycles[partial, frame] - np.pi * b))
    near[b, frame] = True
    return angles, near


def harmonic_transfer(S_in: np.ndarray, f0_hz: np.ndarray, db_out: np.ndarray, tf: MelTransform,
                      fill: float, steady: tuple[np.ndarray, np.ndarray] | None = None,
                      noise: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Renders the mel ``db_out`` as harmonics at ``f0_hz`` plus noise, on the phase of ``S_in``.

    Where envelope transfer rescales the input's own partials (its pluck or its bow stays),
    this builds new ones: sinusoids at ``k * f0`` of the input's pitch, shaped by the
    model's spectral envelope and corrected band by band to its mel (a harmonic-plus-noise
    model, as DDSP's, in the STFT domain). The input's phase keeps the partials continuous
    from window to window; ``steady`` (:func:`harmonic_phase`'s result for a steady pitch)
    replaces it on the partials. Unvoiced frames (``f0 = 0``) are all noise.

    On voiced frames the noise is either the shortfall (``noise=None``): ``fill`` of the energy
    the partials leave out between them, with the input's phase; or ``noise = (share, phases)``:
    each mel band split between partials and noise by ``share`` ``(n_mels,)`` (the target's
    :func:`noise_share`, measured on its own audio), the noise on the bins between the
    partials with ``phases`` (:func:`noise_phase`), so the band keeps the model's energy.
    """
    c = tf.config
    envelope = db_to_magnitude(db_out, tf)
    phase = unit_phase(S_in)
    if steady is not None:
        phase = np.where(steady[1], steady[0], phase)
    partials = harmonic_spectrum(f0_hz, c.n_fft, c.sample_rate)
    voiced = np.asarray(f0_hz) > 0
    source = partials * envelope * phase
    share = None if noise is None else np.clip(np.asarray(noise[0], np.float64), SHARE_MIN, 1.0 - SHARE_MIN)[:, None]
    partials_db = db_out if share is None else db_out + 10.0 * np.log10(1.0 - share)
    S = envelope_transfer(source, mel_power_db(source, tf), partials_db, tf)
    if share is None:
        amount = np.where(voiced, fill, 1.0)[None, :]
        return S + amount * np.maximum(envelope - np.abs(S), 0.0) * phase
    between = np.where(partials > 0, 0.0, envelope) * noise[1]
    S = S + envelope_transfer(between, mel_power_db(between, tf), db_out + 10.0 * np.log10(share), tf)
    return np.where(voiced[None, :], S, envelope * phase)


SHARE_MIN = 1e-3  # a band's noise (or partials) share is never below -30 dB: envelope_transfer's gain range


def band_power_split(S: np.ndarray, f0_hz: np.ndarray, tf: MelTransform) -> tuple[np.ndarray, np.ndarray]:
    """Each mel band's power outside the partials' main lobes and in all, summed over the voiced frames of ``S``.

    The partials at ``k * f0`` where :func:`harmonic_spectrum` puts them; two ``(n_mels,)`` arrays,
    summed so a corpus adds them file by file (:func:`noise_share` is their ratio).
    """
    c = tf.config
    voiced = np.asarray(f0_hz) > 0
    power = np.abs(S[:, voiced]) ** 2
    between = np.where(harmonic_spectrum(np.asarray(f0_hz)[voiced], c.n_fft, c.sample_rate) > 0, 0.0, power)
    return (tf.basis @ between).sum(axis=1), (tf.basis @ power).sum(axis=1)


def noise_share(between: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Each band's share of power between the partials (:func:`band_power_split`'s sums), power-weighted.

    The loud frames count most, as the ear hears the spectrum; a band with no power is
    all noise (1). What :func:`harmonic_transfer` reproduces with ``noise``: a bowed string's
    rosin, a voice's breath.
    """
    total = np.asarray(total, dtype=np.float64)
    return np.where(total > 0, np.asarray(between) / np.maximum(total, 1e-300), 1.0)


NOISE_PERIOD = 4096  # frames (47 s at 22.05 kHz, hop 256) before the noise phases repeat


@functools.lru_cache(maxsize=4)
def _phase_table(n_bins: int) -> np.ndarray:
    """Uniform draws in [0, 1), ``(n_bins, NOISE_PERIOD)``: 16.8 MB at 513 bins (the phases would take twice that)."""
    return np.random.default_rng(0x6E6F).random((n_bins, NOISE_PERIOD))


def noise_phase(frames: np.ndarray, n_bins: int) -> np.ndarray:
    """Unit phases ``(n_bins, len(frames))`` of noise at absolute frame indices ``frames``.

    A function of the frame index alone, so overlapping windows and any block size render
    the same noise, and a file renders as the stream does.
    """
    return np.exp(2j * np.pi * _phase_table(n_bins)[:, np.mod(np.asarray(frames, dtype=np.int64), NOISE_PERIOD)])
