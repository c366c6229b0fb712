"""Diffusion maths: schedules, exact conversions, DDIM against analytic denoisers, determinism."""

import numpy as np
import pytest

from bridge import sampling

T = 1000
AB = sampling.cosine_alpha_bar(T)


def gaussian_denoiser(s: float, alpha_bar=AB):
    """The exact posterior mean for data x0 ~ N(0, s^2): E[x0 | x_t] = sqrt(ab) s^2 x / (ab s^2 + 1 - ab)."""

    def denoise(x, t):
        ab = sampling.alpha_bar_at(alpha_bar, t).reshape(-1, *([1] * (x.ndim - 1)))
        x0 = np.sqrt(ab) * s**2 * x / (ab * s**2 + 1 - ab)
        eps = (x - np.sqrt(ab) * x0) / np.sqrt(1 - ab)
        return eps, x0

    return denoise


def oracle_denoiser(x0_true):
    def denoise(x, t):
        ab = sampling.alpha_bar_at(AB, t).reshape(-1, *([1] * (x.ndim - 1)))
        return (x - np.sqrt(ab) * x0_true) / np.sqrt(1 - ab), np.broadcast_to(x0_true, x.shape)

    return denoise


def test_cosine_schedule_shape():
    assert AB.shape == (T,)
    assert np.all(np.diff(AB) < 0)
    assert 0.999 < AB[0] <= 1.0
    assert AB[-1] < 1e-4
    # Nichol & Dhariwal eq. (17) at the midpoint.
    assert abs(AB[499] - np.cos((0.5 + 0.008) / 1.008 * np.pi / 2) ** 2 / np.cos(0.008 / 1.008 * np.pi / 2) ** 2) < 1e-3


def test_linear_schedule_matches_ddpm():
    ab = sampling.linear_alpha_bar(1000)
    assert abs(ab[0] - (1 - 1e-4)) < 1e-12
    assert ab[-1] < 1e-4


@pytest.mark.parametrize("t_start,n", [(999, 50), (499, 8), (99, 10), (5, 20), (0, 1)])
def test_ddim_timesteps(t_start, n):
    ts = sampling.ddim_timesteps(t_start, n)
    assert ts[0] == t_start and ts[-1] == -1
    assert np.all(np.diff(ts) < 0)
    assert len(ts) == min(n, t_start + 1) + 1


def test_start_timestep():
    assert sampling.start_timestep(1.0, T) == T - 1
    assert sampling.start_timestep(0.5, T) == 499
    with pytest.raises(ValueError, match="strength"):
        sampling.start_timestep(0.0, T)


def test_q_sample_statistics(rng):
    x0 = np.full(200_000, 0.7)
    eps = rng.standard_normal(x0.shape)
    xt = sampling.q_sample(x0, AB[300], eps)
    assert abs(xt.mean() - np.sqrt(AB[300]) * 0.7) < 0.01
    assert abs(xt.var() - (1 - AB[300])) < 0.01


def test_v_and_eps_conversions_are_exact(rng):
    x0 = rng.standard_normal((3, 1, 8, 8))
    eps = rng.standard_normal(x0.shape)
    ab = AB[[10, 500, 990]]
    xt = sampling.q_sample(x0, ab, eps)
    v = sampling.v_target(x0, eps, ab)
    e2, x2 = sampling.v_to_eps_x0(xt, v, ab)
    np.testing.assert_allclose(e2, eps, atol=1e-10)
    np.testing.assert_allclose(x2, x0, atol=1e-10)
    e3, x3 = sampling.eps_to_eps_x0(xt, eps, ab)
    np.testing.assert_allclose(x3, x0, atol=1e-8)


@pytest.mark.parametrize("t_start", [999, 600, 100])
def test_ddim_with_oracle_recovers_x0(rng, t_start):
    x0 = np.clip(rng.standard_normal((2, 1, 8, 16)), -1, 1)
    x = sampling.q_sample(x0, AB[t_start], rng.standard_normal(x0.shape))
    out = sampling.sample_ddim(oracle_denoiser(x0), x, sampling.ddim_timesteps(t_start, 10), AB)
    np.testing.assert_allclose(out, x0, atol=1e-6)


def test_ddim_maps_noise_to_the_data_distribution(rng):
    """With the exact denoiser for N(0, s^2), deterministic DDIM turns N(0, 1) into N(0, s^2)."""
    s = 0.4
    x = rng.standard_normal((4000, 1, 1, 1))
    out = sampling.sample_ddim(gaussian_denoiser(s), x, sampling.ddim_timesteps(T - 1, 100), AB, clip_x0=None)
    assert abs(out.std() - s) < 0.02
    assert abs(out.mean()) < 0.03


def test_ancestral_ddim_also_reaches_the_data_distribution(rng):
    s = 0.4
    x = rng.standard_normal((4000, 1, 1, 1))
    out = sampling.sample_ddim(gaussian_denoiser(s), x, sampling.ddim_timesteps(T - 1, 100), AB, rng=rng, eta=1.0,
                               clip_x0=None)
    assert abs(out.std() - s) < 0.03


def test_cross_diffuse_small_strength_keeps_input(rng):
    x0 = np.clip(rng.standard_normal((1, 1, 8, 16)) * 0.3, -1, 1)
    out = sampling.cross_diffuse(gaussian_denoiser(0.3), x0, AB, 0.02, 4, np.random.default_rng(1))
    # t = 19: noise std sqrt(1 - ab) = 0.03, so the input survives almost untouched.
    assert np.abs(out - x0).mean() < 0.05
    far = sampling.cross_diffuse(gaussian_denoiser(0.3), x0, AB, 1.0, 4, np.random.default_rng(1))
    assert np.abs(far - x0).mean() > 0.1


def test_same_seed_same_output(rng):
    x0 = rng.standard_normal((1, 1, 8, 16)) * 0.3
    den = gaussian_denoiser(0.3)
    a = sampling.cross_diffuse(den, x0, AB, 0.5, 8, np.random.default_rng(7), eta=0.5)
    b = sampling.cross_diffuse(den, x0, AB, 0.5, 8, np.random.default_rng(7), eta=0.5)
    c = sampling.cross_diffuse(den, x0, AB, 0.5, 8, np.random.default_rng(8), eta=0.5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_double_diffusion_branches_one_pattern(rng):
    den_a, den_b = gaussian_denoiser(0.3), gaussian_denoiser(0.6)
    xa, xb = sampling.double_diffuse(den_a, den_a, (1, 1, 8, 16), AB, 20, 0.3, np.random.default_rng(3))
    np.testing.assert_allclose(xa, xb)  # one model on both sides: the pair coincides
    xa2, xb2 = sampling.double_diffuse(den_a, den_b, (1, 1, 8, 16), AB, 20, 0.3, np.random.default_rng(3))
    np.testing.assert_allclose(xa2, xa)  # A does not depend on B
    assert not np.allclose(xb2, xa2)
    assert np.corrcoef(xa2.ravel(), xb2.ravel())[0, 1] > 0.9  # same underlying pattern
    gen = sampling.generate(den_a, (1, 1, 8, 16), AB, 20, np.random.default_rng(3))
    np.testing.assert_allclose(xa, gen)  # A alone is plain generation with the same seed


def test_blend_weights():
    a = lambda x, t: (x * 0 + 1.0, x * 0 + 2.0)  # noqa: E731
    b = lambda x, t: (x * 0 + 3.0, x * 0 + 4.0)  # noqa: E731
    x, t = np.zeros((1, 1, 2, 2)), np.zeros(1, int)
    assert sampling.blend(a, b, 0.0)(x, t)[1].max() == 2.0
    assert sampling.blend(a, b, 1.0)(x, t)[1].max() == 4.0
    assert sampling.blend(a, b, 0.25)(x, t)[0].max() == 1.5


def test_a_blend_gives_control_planes_to_both_models_and_none_when_there_are_none():
    seen = []

    def model(k):
        def denoise(x, t, *cond):
            seen.append((k, cond))
            return x * 0 + k, x * 0 + k
        return denoise

    x, t, cond = np.zeros((1, 1, 2, 2)), np.zeros(1, int), np.ones((1, 4, 2, 2))
    sampling.blend(model(1.0), model(3.0), 0.5)(x, t, cond)
    assert [k for k, _ in seen] == [1.0, 3.0] and all(c[0] is cond for _, c in seen)
    seen.clear()
    sampling.blend(model(1.0), model(3.0), 0.5)(x, t)
    assert [c for _, c in seen] == [(), ()]


def test_clip_prediction_keeps_x_consistent(rng):
    x = rng.standard_normal((1, 1, 4, 4))
    x0 = rng.standard_normal(x.shape) * 3
    x0c, eps = sampling.clip_prediction(x, x0, AB[400], 1.0)
    assert np.abs(x0c).max() <= 1
    np.testing.assert_allclose(sampling.q_sample(x0c, AB[400], eps), x, atol=1e-10)
