"""Diffusion maths as plain numpy functions, in the DDPM/DDIM vocabulary of the report.

Vocabulary: ``t`` an integer timestep in ``[0, T)``, ``alpha_bar[t]`` the cumulative
signal fraction, ``eps`` the noise, ``x0_pred`` the clean estimate, ``v`` the velocity
target of Salimans & Ho (2022). A denoiser is any callable ``denoise(x, t) -> (eps, x0_pred)``
with ``t`` an array of one timestep per batch element; the RNG is always passed in.

Equations cited: the report's (2.2) closed-form forward process, (4.1) cross
diffusion, (4.2)-(4.3) double diffusion; Song et al. (2021) eq. (12) for DDIM.
"""

from __future__ import annotations

import itertools
from typing import Callable, Generator, Sequence

import numpy as np

Denoise = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def cosine_alpha_bar(n_timesteps: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """Constructs the cosine schedule of Nichol & Dhariwal (2021), eq. (17).

    Returns ``alpha_bar[t]`` for ``t = 0 .. T-1`` (float64), where step ``t`` has had
    ``t + 1`` noising steps applied; betas are clipped at ``max_beta`` as in the paper.
    """
    steps = np.arange(n_timesteps + 1, dtype=np.float64)
    f = np.cos((steps / n_timesteps + s) / (1 + s) * np.pi / 2) ** 2
    betas = np.clip(1.0 - f[1:] / f[:-1], 0.0, max_beta)
    return np.cumprod(1.0 - betas)


def linear_alpha_bar(n_timesteps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """Constructs the linear schedule of Ho et al. (2020), scaled to ``n_timesteps``."""
    scale = 1000.0 / n_timesteps
    betas = np.linspace(beta_start * scale, beta_end * scale, n_timesteps, dtype=np.float64)
    return np.cumprod(1.0 - betas)


SCHEDULES = {"cosine": cosine_alpha_bar, "linear": linear_alpha_bar}


def q_sample(x0: np.ndarray, alpha_bar_t: float | np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Noises ``x0`` to step t in closed form, the report's eq. (2.2): sqrt(ab) x0 + sqrt(1 - ab) eps."""
    ab = _bcast(alpha_bar_t, x0)
    return np.sqrt(ab) * x0 + np.sqrt(1.0 - ab) * eps


def _bcast(a, x: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=x.dtype)
    return a.reshape(a.shape + (1,) * (x.ndim - a.ndim))


def v_to_eps_x0(x: np.ndarray, v: np.ndarray, alpha_bar_t) -> tuple[np.ndarray, np.ndarray]:
    """Converts a v prediction to (eps, x0_pred): x0 = sqrt(ab) x - sqrt(1-ab) v, eps = sqrt(1-ab) x + sqrt(ab) v."""
    ab = _bcast(alpha_bar_t, x)
    a, s = np.sqrt(ab), np.sqrt(1.0 - ab)
    return s * x + a * v, a * x - s * v


def eps_to_eps_x0(x: np.ndarray, eps: np.ndarray, alpha_bar_t) -> tuple[np.ndarray, np.ndarray]:
    """Converts an eps prediction to (eps, x0_pred) by inverting eq. (2.2)."""
    ab = _bcast(alpha_bar_t, x)
    return eps, (x - np.sqrt(1.0 - ab) * eps) / np.sqrt(ab)


def v_target(x0: np.ndarray, eps: np.ndarray, alpha_bar_t) -> np.ndarray:
    """The v target of Salimans & Ho (2022): sqrt(ab) eps - sqrt(1-ab) x0."""
    ab = _bcast(alpha_bar_t, x0)
    return np.sqrt(ab) * eps - np.sqrt(1.0 - ab) * x0


def start_timestep(strength: float, n_timesteps: int) -> int:
    """The step the input is noised to for a strength in (0, 1]: ``round(strength * T) - 1``."""
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"strength: expected in (0, 1], got {strength}")
    return max(0, min(n_timesteps - 1, int(round(strength * n_timesteps)) - 1))


def ddim_timesteps(t_start: int, n_steps: int) -> np.ndarray:
    """The descending timesteps visited from ``t_start``: ``n_steps`` updates ending below step 0.

    Returns ``n_steps + 1`` values, the last being -1, which stands for the clean
    signal (alpha_bar = 1). Spacing is uniform, rounded ("linspace" spacing).
    """
    if n_steps < 1:
        raise ValueError(f"n_steps: expected at least 1, got {n_steps}")
    ts = np.round(np.linspace(t_start, -1, n_steps + 1)).astype(np.int64)
    # With more steps than timesteps, repeated values would be no-op updates: drop them.
    keep = np.concatenate([[True], np.diff(ts) != 0])
    return ts[keep]


def alpha_bar_at(alpha_bar: np.ndarray, t) -> np.ndarray:
    """``alpha_bar[t]`` with ``t = -1`` meaning the clean signal (1.0)."""
    t = np.asarray(t)
    return np.where(t < 0, 1.0, alpha_bar[np.clip(t, 0, len(alpha_bar) - 1)])


def ddim_step(
    x: np.ndarray,
    eps: np.ndarray,
    x0_pred: np.ndarray,
    ab_t,
    ab_next,
    eta: float,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """One DDIM update from t to t_next, Song et al. (2021) eq. (12).

    x_next = sqrt(ab_next) x0_pred + sqrt(1 - ab_next - sigma^2) eps + sigma z,
    sigma = eta sqrt((1 - ab_next) / (1 - ab_t)) sqrt(1 - ab_t / ab_next).
    """
    ab_t, ab_next = _bcast(ab_t, x), _bcast(ab_next, x)
    sigma = eta * np.sqrt((1.0 - ab_next) / (1.0 - ab_t)) * np.sqrt(np.maximum(1.0 - ab_t / ab_next, 0.0))
    direction = np.sqrt(np.maximum(1.0 - ab_next - sigma**2, 0.0)) * eps
    x_next = np.sqrt(ab_next) * x0_pred + direction
    if eta > 0 and rng is not None:
        x_next = x_next + sigma * rng.standard_normal(x.shape).astype(x.dtype)
    return x_next.astype(x.dtype)


X0_CLIP = 1.0
"""The data range x0 predictions are clipped to: the model's normalised log-mel lies in [-1, 1]."""


def ddim(
    x: np.ndarray,
    timesteps: Sequence[int],
    alpha_bar: np.ndarray,
    rng: np.random.Generator | None = None,
    eta: float = 0.0,
    clip_x0: float | None = X0_CLIP,
) -> Generator[tuple[np.ndarray, int], tuple[np.ndarray, np.ndarray], np.ndarray]:
    """DDIM (Song et al. 2021) as a coroutine: the one body every sampler and the stream tick drive.

    It yields ``(x, t)`` whenever it needs the model, takes ``(eps, x0_pred)`` back through
    ``send`` and returns the clean estimate. A driver decides how the model is called:
    :func:`sample_ddim` calls one denoiser per step; the streaming tick batches the
    requests of many windows (each at its own step) into one call.

    Per step, numbered against the paper: (1) predict (eps, x0) at t; (2) clip x0 to the
    data range and recompute eps consistently; (3) eq. (12) from t to the next timestep.
    """
    for i in range(len(timesteps) - 1):
        t, t_next = int(timesteps[i]), int(timesteps[i + 1])
        eps, x0_pred = yield x, t  # (1)
        ab_t, ab_next = alpha_bar_at(alpha_bar, t), alpha_bar_at(alpha_bar, t_next)
        if clip_x0 is not None:  # (2)
            x0_pred, eps = clip_prediction(x, x0_pred, ab_t, clip_x0)
        x = ddim_step(x, eps, x0_pred, ab_t, ab_next, eta, rng)  # (3)
    return x


def drive(
    sampler: Generator,
    denoise: Denoise,
    callback: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
) -> np.ndarray:
    """Runs a sampler coroutine to the end with ``denoise``; returns its result.

    ``callback(i, x, x0_pred)`` is called after each step with the new state.
    """
    try:
        x, t = next(sampler)
    except StopIteration as done:  # no steps to take
        return done.value
    for i in itertools.count():
        eps, x0_pred = denoise(x, np.full(x.shape[0], t, dtype=np.int64))
        try:
            x, t = sampler.send((eps, x0_pred))
        except StopIteration as done:
            x, t = done.value, None
        if callback:
            callback(i, x, x0_pred)
        if t is None:
            return x


def sample_ddim(
    denoise: Denoise,
    x: np.ndarray,
    timesteps: Sequence[int],
    alpha_bar: np.ndarray,
    rng: np.random.Generator | None = None,
    eta: float = 0.0,
    clip_x0: float | None = X0_CLIP,
    callback: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
) -> np.ndarray:
    """Denoises ``x`` from ``timesteps[0]`` down to the clean estimate (Song et al. 2021)."""
    return drive(ddim(x, timesteps, alpha_bar, rng, eta, clip_x0), denoise, callback)


def clip_prediction(x: np.ndarray, x0_pred: np.ndarray, ab_t, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Clips x0_pred to the data range and recomputes eps consistently with it."""
    x0c = np.clip(x0_pred, -limit, limit)
    ab = _bcast(ab_t, x)
    eps = (x - np.sqrt(ab) * x0c) / np.sqrt(np.maximum(1.0 - ab, 1e-12))
    return x0c, eps.astype(x.dtype)


def cross_diffuse(
    denoise: Denoise,
    x0_source: np.ndarray,
    alpha_bar: np.ndarray,
    strength: float,
    n_steps: int,
    rng: np.random.Generator,
    eta: float = 0.0,
) -> np.ndarray:
    """Cross diffusion, the report's eq. (4.1): X_B = G_B^0(... G_B^t(D_t(X_A))).

    The source is noised to ``t = strength * T`` with eq. (2.2), then denoised in
    ``n_steps`` DDIM steps by the *target* model. The source needs no model.
    """
    t0 = start_timestep(strength, len(alpha_bar))
    eps = rng.standard_normal(x0_source.shape).astype(x0_source.dtype)
    x = q_sample(x0_source, alpha_bar[t0], eps)
    return sample_ddim(denoise, x, ddim_timesteps(t0, n_steps), alpha_bar, rng, eta)


def generate(
    denoise: Denoise,
    shape: tuple,
    alpha_bar: np.ndarray,
    n_steps: int,
    rng: np.random.Generator,
    eta: float = 0.0,
    dtype=np.float32,
    callback: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
) -> np.ndarray:
    """Unconditional generation from pure noise x_T ~ N(0, I) in ``n_steps`` DDIM steps."""
    x = rng.standard_normal(shape).astype(dtype)
    return sample_ddim(denoise, x, ddim_timesteps(len(alpha_bar) - 1, n_steps), alpha_bar, rng, eta,
                       callback=callback)


def double_diffuse(
    denoise_a: Denoise,
    denoise_b: Denoise,
    shape: tuple,
    alpha_bar: np.ndarray,
    n_steps: int,
    branch: float,
    rng: np.random.Generator,
    eta: float = 0.0,
    dtype=np.float32,
    callback: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Double diffusion, the report's eqs. (4.2)-(4.3): a pair with one underlying pattern.

    Model A denoises pure noise; when ``branch`` (a fraction of the steps) remain,
    the intermediate state Y_A^{t+1} is copied and finished by both A and B.
    """
    ts = ddim_timesteps(len(alpha_bar) - 1, n_steps)
    n_left = int(round(branch * (len(ts) - 1)))
    split = len(ts) - 1 - n_left
    x = rng.standard_normal(shape).astype(dtype)
    x = sample_ddim(denoise_a, x, ts[: split + 1], alpha_bar, rng, eta, callback=callback)
    # Separate generators after the branch keep A's output independent of whether B runs.
    rng_a, rng_b = (np.random.default_rng(s) for s in rng.bit_generator.seed_seq.spawn(2))
    x_a = sample_ddim(denoise_a, x, ts[split:], alpha_bar, rng_a, eta, callback=callback)
    x_b = sample_ddim(denoise_b, x.copy(), ts[split:], alpha_bar, rng_b, eta, callback=callback)
    return x_a, x_b


def blend(denoise_a: Denoise, denoise_b: Denoise, w: float) -> Denoise:
    """Morph: a denoiser whose predictions are ``(1 - w) A + w B`` (w = 0: A only).

    Control planes, when the caller gives them (``denoise(x, t, cond)``), go to both: a morph of
    two conditioned models plays the input's notes with both.
    """

    def denoise(x: np.ndarray, t: np.ndarray, *cond: np.ndarray):
        eps_a, x0_a = denoise_a(x, t, *cond)
        if w <= 0.0:
            return eps_a, x0_a
        eps_b, x0_b = denoise_b(x, t, *cond)
        return (1.0 - w) * eps_a + w * eps_b, (1.0 - w) * x0_a + w * x0_b

    return denoise


SAMPLERS = {"ddim": sample_ddim}
