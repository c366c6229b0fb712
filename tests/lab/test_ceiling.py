"""lab.ceiling: the oracle's mel through each inversion (the renderer's bound, model taken out)."""

import numpy as np

from bridge import dsp
from bridge.config import MelConfig
from lab.ceiling import inversions

MEL = MelConfig()


def test_each_inversion_plays_the_mel_it_is_given_at_the_input_pitch():
    t = np.arange(MEL.sample_rate) / MEL.sample_rate
    x = sum(0.3 / k * np.sin(2 * np.pi * 220.0 * k * t) for k in range(1, 20))
    darker = sum(0.3 / k**2 * np.sin(2 * np.pi * 220.0 * k * t) for k in range(1, 20))  # the "oracle"
    tf = dsp.mel_transform(MEL)
    out = inversions(x, darker, np.full(MEL.n_mels, 0.02), tf)
    assert set(out) == {"envelope", "pinv, input phase", "harmonic, fill 1", "harmonic, fill 0",
                        "harmonic, noise measured"}
    want = dsp.melspectrogram_db(darker, tf)[:, 20:-20]
    loud = want > want.max() - 40
    for name, y in out.items():
        assert y.shape == x.shape, name
        got = dsp.melspectrogram_db(y, tf)[:, 20:-20]
        assert np.median(np.abs(got - want)[loud]) < 3.0, name  # the oracle's spectrum, not the input's
