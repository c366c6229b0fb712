"""Rebuilds golden.npz: deterministic inputs through the sampling and DSP functions, and the product path.

Run after an intended change to the maths: `python tests/golden/regenerate.py`.
Inputs follow diffusers' scheduler tests (an arange sample), the denoiser is analytic
(the exact posterior mean for data ~ N(0, s^2)), so the references need no model.

``stream_*`` pin what the product runs: a chirp through :func:`bridge.offline.transfer`
(the batched stream tick, its DDIM coroutine, x0 clip, eta and step rule, inversion and
overlap-add), with data scale s = 2 so the x0 clip is active.
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def inputs():
    n = 1 * 1 * 8 * 16
    sample = (np.arange(n, dtype=np.float64).reshape(1, 1, 8, 16) / n) * 2.0 - 1.0
    t = np.arange(0, 22050 * 2) / 22050.0
    chirp = 0.4 * np.sin(2 * np.pi * (110 * t + 400 * t**2))
    return sample, chirp


def analytic_denoiser(alpha_bar, s=0.5):
    from bridge import sampling

    def denoise(x, t):
        ab = sampling.alpha_bar_at(alpha_bar, t).reshape(-1, *([1] * (x.ndim - 1)))
        x0 = np.sqrt(ab) * s**2 * x / (ab * s**2 + 1 - ab)
        return (x - np.sqrt(ab) * x0) / np.sqrt(1 - ab), x0

    return denoise


class AnalyticModel:
    """A denoiser object as the stream sees one (``info.mel``, ``info.alpha_bar``), with no ONNX file."""

    def __init__(self, alpha_bar, s):
        from types import SimpleNamespace

        from bridge.config import MelConfig

        self.info = SimpleNamespace(mel=MelConfig(), alpha_bar=alpha_bar, instrument="analytic")
        self._denoise = analytic_denoiser(alpha_bar, s)

    def __call__(self, x, t):
        eps, x0 = self._denoise(x.astype(np.float64), t)
        return eps.astype(np.float32), x0.astype(np.float32)


STREAM_CASES = {
    "stream_eta0": dict(strength=0.6, steps=5, eta=0.0, seed=7),
    "stream_eta05": dict(strength=0.8, steps=4, eta=0.5, seed=3),
}


def compute_stream(chirp, ab):
    from bridge import offline
    from bridge.config import Preset

    models = {"analytic": AnalyticModel(ab, 2.0)}
    out = {}
    for key, settings in STREAM_CASES.items():
        preset = Preset(target="analytic").with_params(mix=1.0, **settings)
        out[key] = offline.transfer(chirp[None].astype(np.float32), 22050, models, preset)[0]
    return out


def compute():
    from bridge import dsp, sampling
    from bridge.config import MelConfig

    sample, chirp = inputs()
    ab = sampling.cosine_alpha_bar(1000)
    den = analytic_denoiser(ab)
    out = {"alpha_bar": ab}
    out["q_sample_t300"] = sampling.q_sample(sample, ab[300], np.flip(sample, -1))
    out["ddim_eta0"] = sampling.sample_ddim(den, sample.copy(), sampling.ddim_timesteps(999, 10), ab, clip_x0=None)
    out["ddim_eta1"] = sampling.sample_ddim(den, sample.copy(), sampling.ddim_timesteps(999, 10), ab,
                                            rng=np.random.default_rng(0), eta=1.0, clip_x0=None)
    out["cross_s05"] = sampling.cross_diffuse(den, sample, ab, 0.5, 8, np.random.default_rng(1))
    a, b = sampling.double_diffuse(den, analytic_denoiser(ab, 0.2), sample.shape, ab, 20, 0.3,
                                   np.random.default_rng(2))
    out["double_a"], out["double_b"] = a, b
    tf = dsp.mel_transform(MelConfig())
    out["chirp_mel_db"] = dsp.melspectrogram_db(chirp, tf)
    out.update(compute_stream(chirp, ab))
    return out


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(HERE.parent.parent))
    np.savez(HERE / "golden.npz", **compute())
    print("wrote", HERE / "golden.npz")
