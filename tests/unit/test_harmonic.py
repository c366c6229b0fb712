"""The measured noise of the harmonic inversion (bridge.harmonic): measured, rendered, deterministic."""

import numpy as np
import pytest

from bridge import dsp, harmonic
from bridge.config import MelConfig

MEL = MelConfig()
SR = MEL.sample_rate
TF = dsp.mel_transform(MEL)


def tone(f0_hz: float, seconds: float, n_harmonics: int = 90) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return sum(0.3 / k * np.sin(2 * np.pi * f0_hz * k * t + k) for k in range(1, n_harmonics + 1)
               if f0_hz * k < 0.45 * SR)


def spectrum(y: np.ndarray) -> np.ndarray:
    return dsp.stft(dsp.pad_centered(y, MEL.n_fft, MEL.hop_length), MEL.n_fft, MEL.hop_length, TF.window)


def share_of(y: np.ndarray, f0_hz: float) -> np.ndarray:
    S = spectrum(y)
    return harmonic.noise_share(*harmonic.band_power_split(S, np.full(S.shape[1], f0_hz), TF))


def test_noise_share_is_near_zero_for_partials_and_grows_with_added_noise():
    f0 = 220.0
    y = tone(f0, 2.0)
    noise = np.random.default_rng(0).standard_normal(len(y))
    bands = slice(50, 78)  # 3-9 kHz: mel bands wider than the partials' spacing
    clean = share_of(y, f0)[bands]
    soft = share_of(y + 0.003 * noise, f0)[bands]
    loud = share_of(y + 0.03 * noise, f0)[bands]
    assert clean.max() < 0.01
    assert np.all(soft >= clean) and np.median(soft) > 1.5 * np.median(clean)
    assert np.all(loud > soft) and np.median(loud) > 10 * np.median(clean)
    # White noise: partials' lobes 4 bins wide every 10 bins, so about 60% of its power is "between".
    assert np.median(share_of(noise, f0)[bands]) == pytest.approx(0.6, abs=0.05)


def test_measured_noise_renders_the_mel_with_each_band_split_as_asked():
    f0_hz = 220.0
    S = spectrum(tone(f0_hz, 1.0))
    f0 = np.full(S.shape[1], f0_hz)
    target = dsp.mel_power_db(S, TF)
    target[30:] -= 10.0  # a darker tone than the input
    share = np.full(MEL.n_mels, 0.02)
    share[64:] = 0.3  # rosin above ~5.5 kHz
    frames = np.arange(S.shape[1]) + 1000
    out = harmonic.harmonic_transfer(S, f0, target, TF, 0.0, noise=(share, harmonic.noise_phase(frames, S.shape[0])))
    loud = (target[:, 40] > target[:, 40].max() - 40) & (np.arange(MEL.n_mels) >= 50)
    # Each band keeps the model's energy: partials and noise add up to its mel.
    assert np.median(np.abs(dsp.mel_power_db(out, TF)[loud, 40] - target[loud, 40])) < 1.0
    got = harmonic.noise_share(*harmonic.band_power_split(out, f0, TF))
    assert np.median(got[50:63]) == pytest.approx(0.02, rel=0.3)
    assert np.median(got[65:78]) == pytest.approx(0.3, rel=0.2)
    # The old shortfall fill (fill 1) puts far more between the partials than the instrument has.
    filled = harmonic.harmonic_transfer(S, f0, target, TF, 1.0)
    assert np.median(harmonic.noise_share(*harmonic.band_power_split(filled, f0, TF))[50:63]) > 0.1
    # Unvoiced frames are all noise, as with the fill.
    silent = harmonic.harmonic_transfer(S, np.zeros_like(f0), target, TF, 0.0, noise=(share, np.ones_like(S)))
    np.testing.assert_allclose(np.abs(silent), dsp.db_to_magnitude(target, TF))


def test_noise_phase_depends_on_the_absolute_frame_only():
    whole = harmonic.noise_phase(np.arange(50), 513)
    np.testing.assert_array_equal(harmonic.noise_phase(np.arange(20, 30), 513), whole[:, 20:30])
    np.testing.assert_array_equal(harmonic.noise_phase(np.arange(7) + harmonic.NOISE_PERIOD, 513), whole[:, :7])
    np.testing.assert_allclose(np.abs(whole), 1.0)
    assert abs(np.mean(whole)) < 0.02  # uniform phases: no bias towards any angle
