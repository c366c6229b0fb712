"""Pitch, onsets and control planes (bridge.controls), and the harmonic inversion (bridge.harmonic)."""

import numpy as np
import pytest

from bridge import controls, dsp, harmonic
from bridge.config import MelConfig

MEL = MelConfig()
SR = MEL.sample_rate


def tone(f0_hz: float, seconds: float, n_harmonics: int = 8, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return sum(amp / k * np.sin(2 * np.pi * f0_hz * k * t + k) for k in range(1, n_harmonics + 1))


@pytest.mark.parametrize("f0", [82.4, 196.0, 440.0, 987.8, 1760.0])
def test_yin_finds_the_pitch_of_a_harmonic_tone_within_a_few_cents(f0):
    f, voiced, _ = controls.track_signal(tone(f0, 1.0), MEL)
    inner = slice(8, -8)  # away from the zero padding at both ends
    assert voiced[inner].all()
    cents = 1200 * np.log2(f[inner] / f0)
    assert np.abs(cents).max() < 5.0


def test_noise_and_silence_are_unvoiced():
    rng = np.random.default_rng(0)
    f, voiced, onset = controls.track_signal(np.concatenate([0.3 * rng.standard_normal(SR), np.zeros(SR)]), MEL)
    assert voiced.mean() < 0.05 and (f[~voiced] == 0).all()
    assert onset.sum() <= 2


def test_onsets_mark_note_starts_by_pitch_change_and_by_a_new_attack_on_the_same_pitch():
    notes = [(220.0, 0.5), (330.0, 0.5), (330.0, 0.5)]  # the third re-attacks the same pitch
    parts = []
    for f0, sec in notes:
        y = tone(f0, sec)
        y *= np.minimum(1.0, np.arange(len(y)) / 64) * np.exp(-np.arange(len(y)) / (0.15 * SR))  # a pluck
        parts.append(y)
    _, voiced, onset = controls.track_signal(np.concatenate([np.zeros(SR // 4)] + parts), MEL)
    starts = [SR // 4 + int(i * 0.5 * SR) for i in range(3)]
    found = np.flatnonzero(onset) * MEL.hop_length
    for s in starts:
        assert np.any(np.abs(found - s) <= 3 * MEL.hop_length), (s, found)
    assert len(found) <= 6  # a few frames at most per note, none in between


def test_a_legato_note_change_at_a_steady_level_is_found_within_a_frame():
    """A bow change: the pitch moves, the level does not. YIN over the frame's later half sees it
    sooner than over the earlier one (which found it 2-3 frames late), so the model's onsets
    come as late on a violin as on a guitar's pluck."""
    change = SR // 2 + 37  # off the frame grid
    t = np.arange(SR) / SR
    f = np.where(np.arange(SR) < change, 220.0, 261.6)
    phase = 2 * np.pi * np.cumsum(f) / SR  # continuous: no click at the change
    y = sum(0.3 / k * np.sin(k * phase) for k in range(1, 9))
    _, voiced, onset = controls.track_signal(y, MEL)
    found = np.flatnonzero(onset[10:]) + 10
    assert len(found) == 1, found
    delay = found[0] * MEL.hop_length - change
    assert abs(delay) <= MEL.hop_length, delay  # forwards: 458 samples late


def test_a_segment_tracks_its_frames_as_the_whole_signal_does():
    """The stream's windows (frames from sample 0 of a segment) see the same pitch as training's analysis."""
    y = np.concatenate([tone(261.6, 0.4), tone(392.0, 0.4)])
    whole = controls.track_signal(y, MEL)
    padded = dsp.pad_centered(y, MEL.n_fft, MEL.hop_length)
    j0, W = 10, 32  # window from frame 10: its segment starts at (10 * hop) in the padded signal
    seg = padded[j0 * MEL.hop_length : j0 * MEL.hop_length + (W - 1) * MEL.hop_length + MEL.n_fft]
    part = controls.track(dsp.frame(seg, MEL.n_fft, MEL.hop_length), SR)
    assert np.array_equal(part[0], whole[0][j0 : j0 + W])
    assert np.array_equal(part[1], whole[1][j0 : j0 + W])
    assert np.array_equal(part[2][2:], whole[2][j0 + 2 : j0 + W])  # onsets look two frames back


def test_planes_put_the_fundamental_and_its_harmonics_on_their_mel_bins():
    f0 = np.array([220.0, 220.0, 0.0, 440.0])
    voiced = f0 > 0
    onset = np.array([1.0, 0.0, 0.0, 1.0])
    p = controls.planes(f0, voiced, onset, MEL)
    assert p.shape == (controls.CONTROL_CHANNELS, MEL.n_mels, 4) and p.dtype == np.float32
    assert np.argmax(p[0, :, 0]) == int(round(float(controls.mel_position(220.0, MEL))))
    assert np.argmax(p[0, :, 3]) == int(round(float(controls.mel_position(440.0, MEL))))
    h2 = int(round(float(controls.mel_position(440.0, MEL))))
    assert p[1, h2, 0] > 0.9  # harmonic 2 of 220 Hz
    assert p[0, :, 2].max() == 0 and p[1, :, 2].max() == 0  # unvoiced: no pitch
    assert list(p[2, 0]) == [1.0, 0.5, 0.0, 1.0] and (p[3] == 1).all()


def test_harmonic_spectrum_is_what_a_hann_stft_of_the_tone_shows():
    y = tone(220.0, 1.0, n_harmonics=6, amp=1.0)
    tf = dsp.mel_transform(MEL)
    S = dsp.stft(dsp.pad_centered(y, MEL.n_fft, MEL.hop_length), MEL.n_fft, MEL.hop_length, tf.window)
    j = 40
    model = harmonic.harmonic_spectrum(np.array([220.0]), MEL.n_fft, SR, max_harmonics=6)[:, 0]
    amps = np.zeros_like(model)
    for k in range(1, 7):  # partial k has amplitude 1/k
        one = harmonic.harmonic_spectrum(np.array([220.0 * k]), MEL.n_fft, SR, max_harmonics=1)[:, 0]
        amps += one / k
    assert np.abs(np.abs(S[:, j]) - amps).max() < 0.03  # the main lobes; side lobes are -31 dB
    assert model.max() == pytest.approx(1.0, abs=0.02)


def test_harmonic_transfer_renders_the_mel_it_is_given_at_the_input_pitch():
    tf = dsp.mel_transform(MEL)
    y = tone(220.0, 1.0)
    S = dsp.stft(dsp.pad_centered(y, MEL.n_fft, MEL.hop_length), MEL.n_fft, MEL.hop_length, tf.window)
    db_in = dsp.mel_power_db(S, tf)
    target = db_in.copy()
    target[20:, :] -= 12.0  # a darker tone: the upper bands 12 dB down
    f0 = np.full(S.shape[1], 220.0)
    out = dsp.mel_power_db(harmonic.harmonic_transfer(S, f0, target, tf, fill=0.0), tf)
    loud = target[:, 40] > target[:, 40].max() - 30
    assert np.median(np.abs(out[loud, 40] - target[loud, 40])) < 1.5
    # Unvoiced frames come from the noise part only: energy where the mel asks for it.
    silent = harmonic.harmonic_transfer(S, np.zeros_like(f0), target, tf, fill=0.0)
    assert np.abs(silent[:, 40]).sum() > 0
    assert np.median(np.abs(dsp.mel_power_db(silent, tf)[loud, 40] - target[loud, 40])) < 6.0


def test_a_window_cut_inside_a_note_does_not_start_a_new_one():
    y = tone(330.0, 1.0)
    frames = dsp.frame(np.ascontiguousarray(y[5000:5000 + 31 * MEL.hop_length + MEL.n_fft]), MEL.n_fft, MEL.hop_length)
    _, voiced, onset = controls.track(frames, SR)
    assert voiced.all() and onset.sum() == 0


def test_harmonic_phase_is_the_stft_phase_of_steady_partials_at_absolute_time():
    f0 = 440.0 * 2 ** (-5 / 12)  # E4, on the grid
    start = 123_456  # absolute sample of the segment's first frame
    t = (start + np.arange(40 * MEL.hop_length + MEL.n_fft)) / SR
    y = sum(np.cos(2 * np.pi * k * f0 * t) / k for k in range(1, 5))
    tf = dsp.mel_transform(MEL)
    S = dsp.stft(y, MEL.n_fft, MEL.hop_length, tf.window)
    starts = start + np.arange(S.shape[1]) * MEL.hop_length
    angles, near = harmonic.harmonic_phase(np.full(S.shape[1], f0), starts, MEL.n_fft, SR, max_harmonics=4)
    peaks = [int(round(k * f0 * MEL.n_fft / SR)) for k in range(1, 5)]
    for b in peaks:
        assert near[b].all()
        err = np.angle(angles[b] * np.conj(S[b]))
        assert np.abs(err).max() < 0.05  # radians


def test_steady_pitch_holds_each_note_on_its_semitone_through_vibrato():
    frames = 60
    vib = 15.0 * np.sin(2 * np.pi * 5.5 * np.arange(frames) * MEL.hop_length / SR)  # +-15 cents
    f0 = np.concatenate([np.full(30, 220.0), np.full(30, 246.94)]) * 2 ** (vib / 1200)
    onset = np.zeros(frames)
    onset[[0, 30]] = 1
    out = controls.steady_pitch(f0, onset)
    assert set(np.round(out[:30], 2)) == {220.0} and set(np.round(out[30:], 2)) == {246.94}
    assert (controls.steady_pitch(np.where(np.arange(frames) % 10 == 0, 0.0, f0), onset)[::10] == 0).all()



def _semitones(f0_hz: np.ndarray) -> np.ndarray:
    return np.where(f0_hz > 0, np.round(69 + 12 * np.log2(np.maximum(f0_hz, 1e-9) / 440.0)), 0)


def test_steady_pitch_hears_a_short_octave_slip_on_the_notes_octave_and_a_held_leap_a_little_late():
    # A sung C4 whose tracker slips an octave up for 4 frames (YIN on half the period), with the
    # onset the pitch jump makes: the note stays C4. The same jump held is a real leap: C5 from
    # OCTAVE_HOLD frames after it began.
    f0 = np.full(40, 261.63)
    f0[20:24] = 523.25
    onset = np.zeros(40)
    onset[[0, 20]] = 1
    assert (_semitones(controls.steady_pitch(f0, onset)) == 60).all()
    leap = np.concatenate([np.full(20, 261.63), np.full(20, 523.25)])
    out = _semitones(controls.steady_pitch(leap, onset))
    hold = controls.OCTAVE_HOLD
    assert (out[:20 + hold] == 60).all() and (out[20 + hold:] == 72).all()
    # Struck: the same jump with a rise in level (a plucked octave) is a note at once.
    level = np.where(np.arange(40) < 20, -30.0, -20.0)
    out = _semitones(controls.steady_pitch(leap, onset, level_db=level))
    assert (out[:20] == 60).all() and (out[20:] == 72).all()
    assert (_semitones(controls.steady_pitch(f0, onset, level_db=np.full(40, -20.0))) == 60).all()
    # A note that has not held its pitch yet is no reference: its octave jump is a note at once.
    early = np.concatenate([np.full(2, 261.63), np.full(38, 523.25)])
    assert (_semitones(controls.steady_pitch(early, np.isin(np.arange(40), [0, 2])))[2:] == 72).all()


def test_steady_pitch_carries_a_note_through_a_short_dropout_so_a_scoop_after_it_stays_on_the_note():
    # A G3 sung 30 cents flat, a 2-frame breath, back 70 cents flat for 3 frames (the scoop): the
    # tracker calls it a new onset, but it is the same note and must not drop to F#3.
    cents = np.full(30, -30.0)
    cents[12:15] = -70.0
    f0 = 196.0 * 2 ** (cents / 1200)
    f0[10:12] = 0.0
    onset = np.zeros(30)
    onset[[0, 12]] = 1
    out = _semitones(controls.steady_pitch(f0, onset))
    assert (out[10:12] == 0).all() and (out[np.r_[0:10, 12:30]] == 55).all()
    # After a long gap the scoop is a note of its own (its first frames on the semitone below).
    f0[5:12] = 0.0
    assert (_semitones(controls.steady_pitch(f0, onset))[12:15] == 54).all()
def test_harmonic_phase_with_vibrato_is_the_stft_phase_of_a_vibrato_tone():
    f0, cents, hz = 440.0, 12.0, 5.5
    start = 98_765
    t = (start + np.arange(60 * MEL.hop_length + MEL.n_fft)) / SR
    peak = np.sqrt(2) * cents / 1200 * np.log(2)
    phase = 2 * np.pi * f0 * t - f0 * peak / hz * np.cos(2 * np.pi * hz * t)  # the integral of f0 (1 + peak sin)
    y = np.cos(phase)
    tf = dsp.mel_transform(MEL)
    S = dsp.stft(y, MEL.n_fft, MEL.hop_length, tf.window)
    starts = start + np.arange(S.shape[1]) * MEL.hop_length
    angles, near = harmonic.harmonic_phase(np.full(S.shape[1], f0), starts, MEL.n_fft, SR, max_harmonics=1,
                                      vibrato=(cents, hz))
    b = int(round(f0 * MEL.n_fft / SR))
    assert np.abs(np.angle(angles[b] * np.conj(S[b]))).max() < 0.1
    plain, _ = harmonic.harmonic_phase(np.full(S.shape[1], f0), starts, MEL.n_fft, SR, max_harmonics=1)
    assert np.abs(np.angle(plain[b] * np.conj(S[b]))).max() > 0.3  # without it the phase drifts


def test_vibrato_fades_in_after_each_note_start():
    from bridge.window import VIBRATO_FADE_S, note_age, vibrato_fade

    frame_s = MEL.hop_length / SR
    onset = np.zeros(60)
    onset[[10, 40]] = 1
    fade = vibrato_fade(note_age(onset, frame_s))
    assert (fade[:10] == 1).all()  # the note before the window: full depth
    assert fade[10] == 0 and fade[40] == 0
    n = int(np.ceil(VIBRATO_FADE_S / frame_s))
    assert fade[10 + n] == 1 and 0 < fade[10 + n // 2] < 1


def test_windows_with_less_past_than_the_fade_agree_on_it_where_they_overlap():
    """The `live` geometry (12 frames, 3 new each) with the stream's carried note start: one fade per frame."""
    from bridge.window import note_age, vibrato_fade

    frame_s, W, hop, start = MEL.hop_length / SR, 12, 3, 7  # one note starting at absolute frame 7
    last, seen = -np.inf, {}
    for first in range(0, 60, hop):
        onset = np.zeros(W)
        if first < start < first + W:  # a window never finds a note start on its own first frame
            onset[start - first] = 1
        fade = vibrato_fade(note_age(onset, frame_s, last - first))
        for j, v in enumerate(fade):
            seen.setdefault(first + j, set()).add(round(float(v), 9))
        if onset.any():  # what the stream carries (bridge.window.carry_onset)
            last = max(last, first + int(np.flatnonzero(onset)[-1]))
    assert all(len(v) == 1 for v in seen.values())
    assert seen[start] == {0.0} and seen[40] == {1.0}
