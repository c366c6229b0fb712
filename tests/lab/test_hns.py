"""lab.hns: harmonics at the input's pitch, amplitudes from another signal's spectrum."""

from __future__ import annotations

import numpy as np

from lab.hns import hns
from lab.pitch import pitch_accuracy
from support import harmonic_tone

SR = 22050


def test_the_pitch_is_the_inputs_and_the_spectrum_the_envelopes():
    y_in = harmonic_tone(196.0, 2.0, SR).astype(np.float32)                # G3, bright
    y_env = harmonic_tone(262.0, 2.0, SR, n_harmonics=2).astype(np.float32)  # another note, dark
    out = hns(y_in, y_env, SR, noise=0.0)
    assert out.shape == y_in.shape and np.abs(out).max() > 0.1
    assert pitch_accuracy(y_in, out, SR) > 0.9                             # the input's melody

    def brightness(y):
        s = np.abs(np.fft.rfft(y)) ** 2
        f = np.fft.rfftfreq(len(y), 1 / SR)
        return s[f > 800].sum() / s.sum()

    # the envelope's spectrum: far darker than the input's own
    assert brightness(out) < 0.5 * brightness(y_in)
