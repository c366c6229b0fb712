"""The one offline path: transfer, generate, pair and accompany, for the CLI, the daemon's file jobs and bench.

``transfer`` is a :class:`~bridge.stream.Stream` run over the whole signal and flushed,
so a file and a live stream give the same output for the same preset and seed.
Generation and double diffusion start from pure noise and invert with random-phase
Griffin-Lim (there is no input whose phase could be kept).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np

from . import dsp, sampling
from .config import GenerateConfig, MelConfig, PairConfig, Preset
from .errors import ParameterError
from .stream import Denoiser, Stream


def transfer(
    y: np.ndarray,
    sample_rate: int,
    models: Mapping[str, Denoiser],
    preset: Preset,
    progress: Callable[[int], None] | None = None,
    gate: Callable[[], None] | None = None,
) -> np.ndarray:
    """Restyles a whole signal ``y`` [shape=(channels, n)]; returns the same shape and rate.

    This is the stream run over the file then flushed, so its output equals what
    ``bridge serve`` streams for the same input, preset and seed (minus the latency).
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 2:
        raise ParameterError(f"y: expected shape (channels, n), got {y.shape}")
    return run(Stream(models, preset, sample_rate, y.shape[0]), y, progress, gate)


def run(
    stream: Stream,
    y: np.ndarray,
    progress: Callable[[int], None] | None = None,
    gate: Callable[[], None] | None = None,
) -> np.ndarray:
    """Runs a fresh ``stream`` over all of ``y`` and flushes it: the output aligned with the input.

    The input is followed by ``latency_samples`` of silence and the first
    ``latency_samples`` of output are dropped. ``progress(n)`` counts input samples, so it
    ends at exactly ``y.shape[1]`` (the flush is not counted); ``gate()`` runs before every
    model tick. ``stream.stats`` tells afterwards what it took (windows, model rows).
    """
    y = np.asarray(y, dtype=np.float32)
    n, L = y.shape[1], stream.latency_samples
    counted = 0

    def count(k: int) -> None:
        nonlocal counted
        k = min(k, n - counted)
        if progress and k > 0:
            counted += k
            progress(k)

    out = stream.process(np.concatenate([y, np.zeros((y.shape[0], L), np.float32)], axis=1), count, gate)
    return out[:, L : L + n]


# -- generation (no input audio) --------------------------------------------------------
def latent_to_audio(
    x: np.ndarray, mel: MelConfig, rng: np.random.Generator, n_iter: int = 32,
    highpass_hz: float = 0.0, lowpass_hz: float = 0.0, level_db: float | None = None,
) -> np.ndarray:
    """Inverts a generated window ``(n_mels, frames)`` with random-phase Griffin-Lim.

    The output is trimmed to start at frame 0's centre and scaled to ``level_db``
    (RMS dBFS) when given, else peak-normalised to -1 dBFS.
    """
    tf = dsp.mel_transform(mel)
    db = dsp.model_to_db(x, 0.0, mel)
    mag = dsp.db_to_magnitude(db, tf)
    mask = dsp.band_mask(mel.n_fft, mel.sample_rate, highpass_hz, lowpass_hz)
    if mask is not None:
        mag *= mask[:, None]
    y = dsp.griffin_lim(mag, dsp.random_phase(mag.shape, rng), n_iter, mel.n_fft, mel.hop_length, tf.window)
    y = y[mel.n_fft // 2 : mel.n_fft // 2 + x.shape[-1] * mel.hop_length]
    if level_db is not None:
        cur = dsp.rms_db(y)
        if math.isfinite(cur):
            y = y * dsp.db_to_amplitude(level_db - cur)
    else:
        peak = float(np.max(np.abs(y))) if y.size else 0.0
        if peak > 0:
            y = y * (0.891 / peak)
    return y.astype(np.float32)


def frames_for(seconds: float, mel: MelConfig) -> int:
    """The smallest valid frame count covering ``seconds`` (at least the model's window)."""
    n = int(math.ceil(seconds * mel.sample_rate / mel.hop_length)) if seconds > 0 else mel.window_frames
    m = mel.frame_multiple
    return max(m, int(math.ceil(n / m)) * m)


def generate(denoiser, config: GenerateConfig = GenerateConfig(), callback=None, batch: int = 8) -> list[np.ndarray]:
    """Generates ``config.n`` clips from pure noise with one model (e.g. drum one-shots).

    ``callback(i, x, x0_pred)`` runs after every model call (the daemon's job gate).
    """
    mel = denoiser.info.mel
    frames = frames_for(config.seconds, mel)
    rng = np.random.default_rng(config.seed)
    clips = []
    for start in range(0, config.n, batch):
        k = min(batch, config.n - start)
        x = sampling.generate(denoiser, (k, 1, mel.n_mels, frames), denoiser.info.alpha_bar, config.steps, rng,
                              config.eta, callback=callback)
        clips += [latent_to_audio(x[i, 0], mel, rng, config.griffin_lim_iters) for i in range(k)]
    return clips


def pair(model_a, model_b, config: PairConfig = PairConfig(), callback=None) -> tuple[np.ndarray, np.ndarray]:
    """Double diffusion: one (A, B) pair sharing an underlying pattern (eqs. 4.2-4.3), from ``config.seed``."""
    mel = model_a.info.mel
    if model_b.info.mel != mel:
        raise ParameterError(f"pair: {model_b.info.instrument} uses other mel settings than {model_a.info.instrument}")
    frames = frames_for(config.seconds, mel)
    rng = np.random.default_rng(config.seed)
    xa, xb = sampling.double_diffuse(model_a, model_b, (1, 1, mel.n_mels, frames), model_a.info.alpha_bar,
                                     config.steps, config.branch, rng, config.eta, callback=callback)
    # The same phase seed for both, so the pair stays aligned when summed.
    ya, yb = (latent_to_audio(x[0, 0], mel, np.random.default_rng([config.seed, 1]), config.griffin_lim_iters,
                              config.highpass_hz, config.lowpass_hz) for x in (xa, xb))
    return ya, yb


# Band limits per target when the preset sets none: the report cleans each styled track
# "by removing outlying high and low frequency components" (end of section 5.2).
DEFAULT_BANDS = {"violin": (180.0, 9000.0), "guitar": (80.0, 8000.0), "cello": (60.0, 6000.0),
                 "flute": (250.0, 9000.0), "voice": (90.0, 8000.0), "piano": (50.0, 9000.0)}
STEM_RMS_DB = -20.0


def accompany(
    vocal: np.ndarray, sample_rate: int, models: Mapping, targets: list[str], preset: Preset, vocal_db: float = -3.0,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Restyles a vocal into each target, band-limits and normalises the stems, and sums them with the vocal.

    The report's vocal -> background music pipeline. Returns ``(song, stems)``; ``song``
    has the vocal's shape and is peak-limited to -1 dBFS.
    """
    if not targets or any(not t for t in targets):
        raise ParameterError(f"--with: expected model names like violin,guitar, got {','.join(targets)!r}")
    stems = {}
    for name in targets:
        p = preset.with_param("target", name)
        if p.render.highpass_hz == 0 and p.render.lowpass_hz == 0 and name in DEFAULT_BANDS:
            hp, lp = DEFAULT_BANDS[name]
            p = p.with_param("highpass_hz", hp).with_param("lowpass_hz", lp)
        stems[name] = _normalise(transfer(vocal, sample_rate, models, p, progress), STEM_RMS_DB)
    song = sum(stems.values()) + _normalise(vocal, STEM_RMS_DB + vocal_db)
    peak = float(np.abs(song).max())
    if peak > 0.891:
        song = song * (0.891 / peak)
    return song.astype(np.float32), stems


def _normalise(y: np.ndarray, rms_db: float) -> np.ndarray:
    cur = dsp.rms_db(y)
    return y if not math.isfinite(cur) else (y * dsp.db_to_amplitude(rms_db - cur)).astype(np.float32)
