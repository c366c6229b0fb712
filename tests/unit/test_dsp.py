"""Properties of the numpy DSP: exact STFT round trips, calibration, locality, inversion quality."""

import numpy as np
import pytest

from bridge import dsp
from bridge.config import MelConfig
from support import harmonic_tone, sine

MEL = MelConfig()


@pytest.fixture(scope="module")
def tf():
    return dsp.mel_transform(MEL)


def test_istft_inverts_stft_exactly(rng):
    window = dsp.hann_window(1024)
    y = rng.standard_normal(1024 + 256 * 40)
    back = dsp.istft(dsp.stft(y, 1024, 256, window), 1024, 256, window)
    assert back.shape == y.shape
    # Away from the segment's edges (where only window tails cover a sample) it is exact;
    # the engine only ever uses samples at least n_fft/2 inside a segment.
    np.testing.assert_allclose(back[512:-512], y[512:-512], atol=1e-10)


@pytest.mark.parametrize("sr,n_fft,n_mels,fmin,fmax", [(22050, 1024, 80, 0.0, 11025.0), (16000, 512, 64, 50.0, 7600.0),
                                                       (44100, 2048, 128, 20.0, 16000.0)])
def test_mel_filters_equal_librosa(sr, n_fft, n_mels, fmin, fmax):
    import librosa

    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, norm=None, dtype=np.float64)
    np.testing.assert_allclose(dsp.mel_filters(sr, n_fft, n_mels, fmin, fmax), ref, atol=1e-12)


def test_daemon_runtime_does_not_import_librosa():
    import subprocess
    import sys

    from support import ROOT

    code = ("import sys; from bridge import dsp, stream, offline; from bridge.serve import server, worker; from bridge.config import MelConfig; "
            "dsp.mel_transform(MelConfig()); print('librosa' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), check=True)
    assert out.stdout.split() == ["False", "False"]


def test_full_scale_sine_reads_0_db(tf):
    sr = MEL.sample_rate
    f = 43 * sr / MEL.n_fft  # exactly on bin 43
    S = dsp.stft(sine(f, 1.0, sr, amp=1.0).astype(np.float64), MEL.n_fft, MEL.hop_length, tf.window)
    peak_db = 20 * np.log10(np.abs(S[43, 5]))
    assert abs(peak_db) < 0.01


def test_mel_frames_count_and_locality(tf, rng):
    y = rng.standard_normal(22050).astype(np.float32) * 0.1
    db = dsp.melspectrogram_db(y, tf)
    assert db.shape == (MEL.n_mels, 1 + len(y) // MEL.hop_length)
    # A change far from frame 10 leaves it untouched: frames depend only on nearby samples.
    z = y.copy()
    z[10 * 256 + 600 :] += 1.0
    np.testing.assert_array_equal(dsp.melspectrogram_db(z, tf)[:, 10], db[:, 10])


def test_model_range_round_trip(rng):
    db = rng.uniform(MEL.db_min + 5, MEL.db_max - 5, (MEL.n_mels, 64))
    x = dsp.db_to_model(db, 3.0, MEL)
    assert x.min() >= -1 and x.max() <= 1
    np.testing.assert_allclose(dsp.model_to_db(x, 3.0, MEL), db, atol=1e-9)


def test_window_gain_normalises_level(tf):
    y = harmonic_tone(220, 0.8, MEL.sample_rate, amp=0.01)
    db = dsp.melspectrogram_db(y, tf)[:, :64]
    g = dsp.window_gain_db(db, MEL)
    assert abs(dsp.level_db(db + g) - MEL.loudness_db) < 1e-6
    assert dsp.window_gain_db(db - 200, MEL) == MEL.max_gain_db  # boost is capped


def test_envelope_transfer_without_change_is_identity(tf, rng):
    y = harmonic_tone(330, 0.5, MEL.sample_rate)
    S = dsp.stft(dsp.pad_centered(y, 1024, 256), 1024, 256, tf.window)
    db = dsp.mel_power_db(S, tf)
    np.testing.assert_allclose(dsp.envelope_transfer(S, db, db, tf), S)


def test_envelope_transfer_applies_mel_gain(tf):
    y = harmonic_tone(330, 0.5, MEL.sample_rate)
    S = dsp.stft(dsp.pad_centered(y, 1024, 256), 1024, 256, tf.window)
    db = dsp.mel_power_db(S, tf)
    out = dsp.envelope_transfer(S, db, db + 6.0, tf)
    np.testing.assert_allclose(np.abs(out), np.abs(S) * 10 ** (6 / 20), rtol=1e-9)
    limited = dsp.envelope_transfer(S, db, db + 100.0, tf, max_gain_db=30.0)
    np.testing.assert_allclose(np.abs(limited), np.abs(S) * 10 ** (30 / 20), rtol=1e-9)


def test_pinv_inversion_with_true_phase_is_close(tf):
    """Analysis then inversion with the true phase: the harmonic tone comes back closely."""
    y = harmonic_tone(220, 1.0, MEL.sample_rate)
    seg = dsp.pad_centered(y, MEL.n_fft, MEL.hop_length)
    S = dsp.stft(seg, MEL.n_fft, MEL.hop_length, tf.window)
    mag = dsp.db_to_magnitude(dsp.mel_power_db(S, tf), tf)
    out = dsp.griffin_lim(mag, dsp.unit_phase(S), 0, MEL.n_fft, MEL.hop_length, tf.window)
    # 80 mels cannot hold every harmonic: the measured relative error is about 0.24 at 0 iterations.
    assert dsp.spectral_convergence(np.abs(S), out, MEL.n_fft, MEL.hop_length, tf.window) < 0.35


def test_griffin_lim_from_true_phase_keeps_exact_signal(tf, rng):
    y = rng.standard_normal(1024 + 256 * 20)
    S = dsp.stft(y, 1024, 256, tf.window)
    out = dsp.griffin_lim(np.abs(S), dsp.unit_phase(S), 4, 1024, 256, tf.window)
    # A fixed point: only the zeroed segment edges nudge the outer frames (measured 3e-6 after 4 iterations).
    np.testing.assert_allclose(out[512:-512], y[512:-512], atol=1e-5)


def test_griffin_lim_improves_random_phase(tf, rng):
    y = harmonic_tone(196, 0.6, MEL.sample_rate)
    S = dsp.stft(dsp.pad_centered(y, 1024, 256), 1024, 256, tf.window)
    mag = np.abs(S)
    start = dsp.random_phase(mag.shape, rng)
    err0 = dsp.spectral_convergence(mag, dsp.griffin_lim(mag, start, 0, 1024, 256, tf.window), 1024, 256, tf.window)
    err32 = dsp.spectral_convergence(mag, dsp.griffin_lim(mag, start, 32, 1024, 256, tf.window), 1024, 256,
                                     tf.window)
    assert err32 < 0.6 * err0


def test_band_mask():
    assert dsp.band_mask(1024, 22050, 0, 0) is None
    m = dsp.band_mask(1024, 22050, 200.0, 4000.0)
    f = np.fft.rfftfreq(1024, 1 / 22050)
    assert np.all(m[(f > 300) & (f < 2800)] > 0.999)
    assert np.all(m[f < 200 / np.sqrt(2)] == 0)
    assert np.all(m[f > 4000 * np.sqrt(2)] == 0)


@pytest.mark.parametrize("n,fade", [(1024, 256), (16384, 4096), (300, 0)])
def test_crossfades_sum_to_one(n, fade):
    w = dsp.crossfade_weights(n, fade)
    hop = n - fade
    total = np.zeros(hop * 10 + n)
    for k in range(10):
        total[k * hop : k * hop + n] += w
    np.testing.assert_allclose(total[n : hop * 10], 1.0, atol=1e-12)


def test_rms_db():
    assert dsp.rms_db(np.zeros(10)) == float("-inf")
    assert abs(dsp.rms_db(np.ones(100)) - 0.0) < 1e-12


def test_fill_adds_only_the_shortfall(tf):
    y = harmonic_tone(330, 0.5, MEL.sample_rate)
    S = dsp.stft(dsp.pad_centered(y, 1024, 256), 1024, 256, tf.window)
    db = dsp.mel_power_db(S, tf)
    assert dsp.fill_missing(S, db, S, tf, 0.0) is S
    want = db + 20.0  # the model asks for much more everywhere
    filled = dsp.fill_missing(S, want, S, tf, 1.0)
    short = np.maximum(dsp.db_to_magnitude(want, tf) - np.abs(S), 0)
    np.testing.assert_allclose(np.abs(filled), np.abs(S) + short, rtol=1e-9, atol=1e-12)
    quieter = dsp.fill_missing(S, db - 60.0, S, tf, 1.0)  # asks for less: next to nothing is added
    added = np.sum(np.abs(quieter - S) ** 2) / np.sum(np.abs(S) ** 2)
    assert added < 1e-6
