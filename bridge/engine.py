"""Streaming restyler: windows on an absolute frame grid, batched DDIM ticks, crossfaded hops.

Signal flow for one :class:`Stream` (client rate ``sr_c``, model rate ``sr_m``)::

    block (channels, n) -> lanes (mid or per channel) -> soxr stream -> model-rate input
      -> window w ready -> STFT -> log-mel -> gain to loudness_db -> q_sample to t0   (eq. 2.2)
      -> DDIM ticks (all in-flight windows, one batched call per tick)               (eq. 4.1)
      -> envelope transfer onto the input STFT (or mel pseudo-inverse) -> Griffin-Lim -> cleanup -> loudness match
      -> crossfade overlap-add -> soxr stream -> wet FIFO -> mix with the delayed dry signal

Window ``w`` covers frames ``[w H, w H + W)`` (frame ``j`` centred on sample ``j hop``) and
its noise comes from ``default_rng([seed, w])``: a window's input and randomness depend
only on its position, never on how the audio was chunked. Output is the input delayed by
exactly ``latency_samples``; offline transfer is the same stream run over the whole file.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from . import dsp, sampling
from .config import MelConfig, Preset
from .errors import ModelError, ParameterError

Denoiser = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
LOUDNESS_MATCH_LIMIT_DB = 24.0
MAX_WINDOWS_IN_FLIGHT = 16
# Rows per onnxruntime call. On the 2-core CPU here a forward cost ~12 ms per row up to batch 4
# and 16-31 ms per row at batch 9-16 (cache effects), so larger groups are split.
MAX_ROWS_PER_CALL = 4


@dataclass(frozen=True)
class Geometry:
    """Window placement in model-rate samples.

    A window sees ``window_frames`` frames but outputs only its last
    ``window_frames - lookbehind_frames``: the first ``lookbehind_frames`` are past
    context. Outputs of consecutive windows overlap by ``fade`` frames and are crossfaded.
    Window ``w`` outputs from sample ``w * hop_frames * hop_length`` on.
    """

    n_fft: int
    hop_length: int
    window_frames: int
    hop_frames: int
    lookbehind_frames: int = 0

    @classmethod
    def make(cls, mel: MelConfig, window_frames: int, overlap: float, lookbehind: float = 0.0) -> "Geometry":
        w = window_frames or mel.window_frames
        if w % mel.frame_multiple:
            raise ParameterError(f"window_frames: expected a multiple of {mel.frame_multiple}, got {w}")
        if mel.n_fft < 2 * mel.hop_length:
            raise ParameterError(f"n_fft: expected at least 2 * hop_length = {2 * mel.hop_length}, got {mel.n_fft}")
        a = int(round(w * lookbehind))
        out = w - a
        if out < 2:
            raise ParameterError(f"lookbehind: leaves {out} output frames of a {w}-frame window; lower it")
        h = max(1, int(round(out * (1.0 - overlap))))
        return cls(mel.n_fft, mel.hop_length, w, h, a)

    @property
    def out_frames(self) -> int:
        return self.window_frames - self.lookbehind_frames

    @property
    def fade_samples(self) -> int:
        return (self.out_frames - self.hop_frames) * self.hop_length

    @property
    def span_samples(self) -> int:
        """Length of a window's output region."""
        return self.out_frames * self.hop_length

    @property
    def out_offset(self) -> int:
        """Where the output region starts inside the window's analysis segment."""
        return self.n_fft // 2 + self.lookbehind_frames * self.hop_length

    def start(self, w: int) -> int:
        """First output sample of window ``w`` (where its fade-in begins)."""
        return w * self.hop_frames * self.hop_length

    def first_frame(self, w: int) -> int:
        return w * self.hop_frames - self.lookbehind_frames

    def begin(self, w: int) -> int:
        """First input sample window ``w`` analyses (absolute, model rate)."""
        return self.first_frame(w) * self.hop_length - self.n_fft // 2

    def need(self, w: int) -> int:
        """Model-rate input samples (absolute count) needed before window ``w`` can run."""
        return (self.first_frame(w) + self.window_frames - 1) * self.hop_length + self.n_fft // 2

    @property
    def first_window(self) -> int:
        """The earliest window whose output reaches sample 0."""
        return -((self.out_frames - 1) // self.hop_frames)

    @property
    def latency_samples(self) -> int:
        """Algorithmic latency at the model rate: the longest wait from a sample to its output."""
        return (self.out_frames - 1) * self.hop_length + self.n_fft // 2


@dataclass(frozen=True, eq=False)
class WindowSettings:
    """What a window is rendered with, fixed when the window starts (parameter changes apply to later windows)."""

    denoise: Denoiser
    alpha_bar: np.ndarray
    t_start: int
    steps: int
    eta: float
    seed: int
    griffin_lim_iters: int
    inversion: str
    fill: float
    mask: np.ndarray | None
    match_loudness: bool
    silence_db: float
    key: tuple


@dataclass(eq=False)
class _Job:
    index: int
    settings: WindowSettings
    timesteps: np.ndarray
    x: np.ndarray  # (n_lanes, 1, n_mels, W) float32
    gain_db: np.ndarray  # (n_lanes,)
    spec: np.ndarray  # (n_lanes, n_bins, W) complex: the input's STFT
    seen: np.ndarray  # (n_lanes, n_mels, W): the mel dB the model saw (after clipping), for envelope transfer
    dry: np.ndarray  # (n_lanes, span) model-rate input over the window's output span
    active: np.ndarray  # (n_lanes,) bool: False for silent lanes
    rng: np.random.Generator
    step: int = 0

    @property
    def done(self) -> bool:
        return self.step >= len(self.timesteps) - 1


# Only the wet signal is resampled (the dry path stays at the client's rate), and it is
# band-limited by the model anyway: soxr's LQ passes 8 kHz at -0.2 dB and withholds
# 20 ms + 1 ms on a 48k -> 22.05k -> 48k round trip, against 38 + 42 ms for HQ.
RESAMPLE_QUALITY = "LQ"


class _Resampler:
    """A stateful soxr resampler, or a pass-through when the rates match."""

    def __init__(self, in_rate: int, out_rate: int, n_channels: int):
        self.identity = in_rate == out_rate
        self.delay = 0.0
        if not self.identity:
            import soxr

            self._rs = soxr.ResampleStream(in_rate, out_rate, n_channels, dtype="float32", quality=RESAMPLE_QUALITY)
            self.delay = _soxr_withheld(in_rate, out_rate)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (n_channels, n) -> (n_channels, m)."""
        if self.identity:
            return x
        return np.ascontiguousarray(self._rs.resample_chunk(np.ascontiguousarray(x.T, dtype=np.float32)).T)


@functools.lru_cache(maxsize=32)
def _soxr_withheld(in_rate: int, out_rate: int) -> float:
    """The most output samples soxr's stream resampler holds back, measured once per rate pair.

    soxr compensates its filter delay by withholding output (sample k of its output is
    the input at time k / out_rate) and works in internal blocks, so small chunks are
    held longest. Feeding 8-sample chunks finds the worst case within a sample of
    1-sample chunks (measured for 16-96 kHz pairs); the stream adds a margin on top.
    """
    import soxr

    rs = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=RESAMPLE_QUALITY)
    chunk = np.zeros(8, np.float32)
    worst, n_in, n_out = 0.0, 0, 0
    for _ in range(60000 // 8):
        n_in += 8
        n_out += len(rs.resample_chunk(chunk))
        worst = max(worst, n_in * out_rate / in_rate - n_out)
    return worst


class _Fifo:
    """A (channels, n) first-in-first-out sample buffer."""

    def __init__(self, n_channels: int, prefill: int = 0):
        self.buf = np.zeros((n_channels, max(prefill, 0)), np.float32)

    def __len__(self) -> int:
        return self.buf.shape[1]

    def push(self, x: np.ndarray) -> None:
        if x.shape[1]:
            self.buf = np.concatenate([self.buf, x.astype(np.float32, copy=False)], axis=1)

    def pop(self, n: int) -> np.ndarray:
        out, self.buf = self.buf[:, :n], self.buf[:, n:]
        return out


class Stream:
    """Restyles a stream of ``(channels, n)`` blocks with a fixed, reported latency.

    ``process(block)`` is the one-call form (pedalboard's ``process(audio, sample_rate)``
    shape): it returns as many samples as it was given. The daemon uses the split form:
    ``write`` (cheap), ``tick`` (one batched model call), ``read`` (when ``available``).
    """

    def __init__(
        self,
        models: Mapping[str, Denoiser],
        preset: Preset,
        sample_rate: int,
        n_channels: int,
        compute_budget_s: float = 0.0,
    ):
        if n_channels < 1 or n_channels > 16:
            raise ParameterError(f"channels: expected 1 to 16, got {n_channels}")
        if not 1000 <= sample_rate <= 384000:
            raise ParameterError(f"sample_rate: expected 1000 to 384000 Hz, got {sample_rate}")
        self.models = models
        self.sample_rate = int(sample_rate)
        self.n_channels = n_channels
        self.steps_cap: int | None = None
        self.stats = {"windows": 0, "silent_windows": 0, "model_rows": 0, "ticks": 0, "underrun_samples": 0,
                      "nonfinite_samples": 0, "reduced_step_windows": 0}
        self._preset = None
        self.set_preset(preset)
        mel = self.mel
        self.n_lanes = 1 if preset.render.stereo == "mid" or n_channels == 1 else n_channels
        self.model_rate = mel.sample_rate
        self.tf = dsp.mel_transform(mel)
        self._in_rs = _Resampler(self.sample_rate, self.model_rate, self.n_lanes)
        self._out_rs = _Resampler(self.model_rate, self.sample_rate, self.n_lanes)
        r = self.model_rate / self.sample_rate
        raw = (self._in_rs.delay + self.geometry.latency_samples) / r + self._out_rs.delay
        margin = 0 if self._in_rs.identity else 4
        self.latency_samples = int(math.ceil(raw - 1e-9)) + margin + int(round(compute_budget_s * self.sample_rate))
        # Model-rate input, kept from absolute index _in_base on.
        self._in = np.zeros((self.n_lanes, 0), np.float32)
        self._in_base = 0
        self._in_end = 0
        # Overlap-add accumulator from absolute model-rate index _acc_base on.
        self._acc = np.zeros((self.n_lanes, 0), np.float64)
        self._acc_base = 0
        self._next_window = self.geometry.first_window
        self._jobs: list[_Job] = []
        self._done: set[int] = set()
        self._first_incomplete = self.geometry.first_window
        self._wet = _Fifo(self.n_lanes, self.latency_samples)
        self._dry = _Fifo(n_channels, self.latency_samples)

    # -- settings ---------------------------------------------------------------------
    @property
    def preset(self) -> Preset:
        return self._preset

    @property
    def latency_ms(self) -> float:
        return 1000.0 * self.latency_samples / self.sample_rate

    def set_preset(self, preset: Preset) -> None:
        """Applies a preset to the windows that start from now on (mix applies at once)."""
        target = self._model(preset.target)
        mel = target.info.mel if hasattr(target, "info") else getattr(self, "mel", None)
        if mel is None:
            raise ModelError(f"{preset.target}: the denoiser does not describe its mel settings")
        if self._preset is not None and mel != self.mel:
            raise ParameterError(
                f"target: {preset.target} analyses audio differently ({mel.sample_rate} Hz, {mel.n_mels} mels) "
                f"from this stream's model; open a new stream for it"
            )
        morph_with = preset.render.morph_with
        if morph_with:
            other = self._model(morph_with)
            if getattr(other, "info", None) is not None and other.info.mel != mel:
                raise ParameterError(f"morph_with: {morph_with} uses other mel settings than {preset.target}")
        geometry = Geometry.make(mel, preset.render.window_frames, preset.render.overlap, preset.render.lookbehind)
        if self._preset is not None and geometry != self.geometry:
            raise ParameterError("window_frames/overlap/lookbehind: cannot change on an open stream; open a new stream")
        if self._preset is not None and (preset.render.stereo != self._preset.render.stereo):
            raise ParameterError("stereo: cannot change on an open stream; open a new stream")
        self.mel = mel
        self.geometry = geometry
        self._preset = preset
        self._settings = None  # rebuilt lazily for the next window

    def _model(self, name: str):
        try:
            return self.models[name]
        except KeyError:
            raise ModelError(f"model: {name!r} is not loaded; loaded: {', '.join(sorted(self.models)) or 'none'}") from None

    def _window_settings(self) -> WindowSettings:
        if self._settings is not None and self._settings.steps == self._effective_steps():
            return self._settings
        p = self._preset
        target = self._model(p.target)
        alpha_bar = target.info.alpha_bar
        denoise: Denoiser = target
        key = (p.target,)
        if p.render.morph_with and p.render.morph > 0:
            denoise = sampling.blend(target, self._model(p.render.morph_with), p.render.morph)
            key = (p.target, p.render.morph_with, p.render.morph)
        mask = dsp.band_mask(self.mel.n_fft, self.mel.sample_rate, p.render.highpass_hz, p.render.lowpass_hz)
        self._settings = WindowSettings(
            denoise=denoise, alpha_bar=alpha_bar, t_start=sampling.start_timestep(p.sampler.strength, len(alpha_bar)),
            steps=self._effective_steps(), eta=p.sampler.eta, seed=p.sampler.seed,
            griffin_lim_iters=p.render.griffin_lim_iters, inversion=p.render.inversion, fill=p.render.fill,
            mask=mask, match_loudness=p.render.match_loudness,
            silence_db=p.render.silence_db, key=key,
        )
        return self._settings

    def _effective_steps(self) -> int:
        s = self._preset.sampler.steps
        return min(s, self.steps_cap) if self.steps_cap else s

    # -- input ------------------------------------------------------------------------
    def write(self, block: np.ndarray) -> int:
        """Takes a ``(channels, n)`` block at the stream's rate; returns how many non-finite samples were zeroed."""
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 2 or block.shape[0] != self.n_channels:
            raise ParameterError(f"block: expected shape ({self.n_channels}, n), got {block.shape}")
        bad = ~np.isfinite(block)
        n_bad = int(bad.sum())
        if n_bad:
            block = np.where(bad, 0.0, block).astype(np.float32)
            self.stats["nonfinite_samples"] += n_bad
        self._dry.push(block)
        lanes = block.mean(axis=0, keepdims=True) if self.n_lanes == 1 else block
        lanes = self._in_rs(lanes)
        if lanes.shape[1]:
            self._in = np.concatenate([self._in, lanes], axis=1)
            self._in_end += lanes.shape[1]
        return n_bad

    # -- compute ----------------------------------------------------------------------
    def _start_ready_windows(self) -> None:
        g = self.geometry
        while len(self._jobs) < MAX_WINDOWS_IN_FLIGHT and self._in_end >= g.need(self._next_window):
            self._jobs.append(self._start(self._next_window))
            self._next_window += 1
        # Input before the next window's first frame is no longer needed.
        keep_from = g.begin(self._next_window)
        drop = keep_from - self._in_base
        if drop > 0:
            self._in = self._in[:, drop:]
            self._in_base += drop

    def _segment(self, begin: int, end: int) -> np.ndarray:
        """Model-rate input over absolute ``[begin, end)``; zero before the stream began."""
        out = np.zeros((self.n_lanes, end - begin), np.float64)
        lo = max(begin, self._in_base)
        if lo < end:
            out[:, lo - begin :] = self._in[:, lo - self._in_base : end - self._in_base]
        return out

    def _start(self, w: int) -> _Job:
        g, mel, tf = self.geometry, self.mel, self.tf
        s = self._window_settings()
        seg = self._segment(g.begin(w), g.need(w))
        W = g.window_frames
        n_bins = g.n_fft // 2 + 1
        x = np.zeros((self.n_lanes, 1, mel.n_mels, W), np.float32)
        spec = np.zeros((self.n_lanes, n_bins, W), np.complex128)
        seen = np.zeros((self.n_lanes, mel.n_mels, W))
        gain = np.zeros(self.n_lanes)
        active = np.zeros(self.n_lanes, bool)
        for lane in range(self.n_lanes):
            S = dsp.stft(seg[lane], g.n_fft, g.hop_length, tf.window)
            db = dsp.mel_power_db(S, tf)
            if dsp.level_db(db) < s.silence_db:
                continue
            active[lane] = True
            gain[lane] = dsp.window_gain_db(db, mel)
            x[lane, 0] = dsp.db_to_model(db, gain[lane], mel)
            seen[lane] = dsp.model_to_db(x[lane, 0], gain[lane], mel)
            spec[lane] = S
        rng = np.random.default_rng([s.seed, w & 0xFFFFFFFF, (w >> 32) & 0xFFFFFFFF])
        # One draw shared by the lanes, so a centred source stays coherent in "dual" stereo.
        eps = rng.standard_normal(x.shape[1:]).astype(np.float32)
        x = sampling.q_sample(x, s.alpha_bar[s.t_start], eps[None]).astype(np.float32)  # the report's eq. (2.2)
        dry = seg[:, g.out_offset : g.out_offset + g.span_samples]
        job = _Job(w, s, sampling.ddim_timesteps(s.t_start, s.steps), x, gain, spec, seen, dry, active, rng)
        self.stats["windows"] += 1
        if s.steps < self._preset.sampler.steps:
            self.stats["reduced_step_windows"] += 1
        if not active.any():
            self.stats["silent_windows"] += 1
            job.step = len(job.timesteps) - 1
        return job

    def tick(self) -> int:
        """Starts ready windows, advances every in-flight window by one DDIM step, finishes completed ones.

        Returns the number of model rows evaluated. See :func:`tick_streams`.
        """
        return tick_streams([self])

    def _finish_done(self) -> None:
        still = []
        for job in self._jobs:
            if job.done:
                self._overlap_add(job)
            else:
                still.append(job)
        self._jobs = still
        self._advance_final()

    def _render(self, job: _Job) -> np.ndarray:
        """Inverts a finished window to ``(n_lanes, span)`` crossfade-weighted samples."""
        g, mel, tf, s = self.geometry, self.mel, self.tf, job.settings
        out = np.zeros((self.n_lanes, g.span_samples))
        weights = dsp.crossfade_weights(g.span_samples, g.fade_samples)
        for lane in np.flatnonzero(job.active):
            db_out = dsp.model_to_db(job.x[lane, 0], job.gain_db[lane], mel)
            if s.inversion == "envelope":
                S = dsp.envelope_transfer(job.spec[lane], job.seen[lane], db_out, tf)
                S = dsp.fill_missing(S, db_out, job.spec[lane], tf, s.fill)
                mag, angles = np.abs(S), dsp.unit_phase(S)
            else:
                mag, angles = dsp.db_to_magnitude(db_out, tf), dsp.unit_phase(job.spec[lane])
            if s.mask is not None:
                mag *= s.mask[:, None]
            y = dsp.griffin_lim(mag, angles, s.griffin_lim_iters, g.n_fft, g.hop_length, tf.window)
            seg = y[g.out_offset : g.out_offset + g.span_samples]
            if s.match_loudness:
                seg = seg * _loudness_gain(job.dry[lane], seg)
            out[lane] = seg * weights
        return out

    def _overlap_add(self, job: _Job) -> None:
        g = self.geometry
        self._done.add(job.index)
        if not job.active.any():
            return
        contrib = self._render(job)
        begin = g.start(job.index)
        end = begin + g.span_samples
        if begin < 0:  # windows before the stream's start contribute only from sample 0
            contrib = contrib[:, -begin:]
            begin = 0
        if end - self._acc_base > self._acc.shape[1]:
            grow = end - self._acc_base - self._acc.shape[1]
            self._acc = np.concatenate([self._acc, np.zeros((self.n_lanes, grow))], axis=1)
        self._acc[:, begin - self._acc_base : end - self._acc_base] += contrib

    def _advance_final(self) -> None:
        while self._first_incomplete in self._done:
            self._done.discard(self._first_incomplete)
            self._first_incomplete += 1
        final = max(0, self.geometry.start(self._first_incomplete))
        n = final - self._acc_base
        if n <= 0:
            return
        if self._acc.shape[1] < n:
            self._acc = np.concatenate([self._acc, np.zeros((self.n_lanes, n - self._acc.shape[1]))], axis=1)
        ready, self._acc = self._acc[:, :n], self._acc[:, n:]
        self._acc_base = final
        self._wet.push(self._out_rs(ready.astype(np.float32)))

    def drop_in_flight(self) -> int:
        """Abandons windows in flight (after a failed model call); their span comes out silent."""
        n = len(self._jobs)
        for job in self._jobs:
            self._done.add(job.index)
        self._jobs = []
        self._advance_final()
        return n

    @property
    def busy(self) -> bool:
        """Whether a tick would do work now (windows in flight or ready to start)."""
        return bool(self._jobs) or self._in_end >= self.geometry.need(self._next_window)

    # -- output -----------------------------------------------------------------------
    def available(self) -> int:
        return min(len(self._wet), len(self._dry))

    def read(self, n: int) -> np.ndarray:
        """Returns ``(channels, n)`` output, mixed; raises if fewer than ``n`` samples are final."""
        if n > self.available():
            raise ParameterError(f"read: {n} samples asked, {self.available()} final")
        wet = self._wet.pop(n)
        dry = self._dry.pop(n)
        mix = self._preset.render.mix
        if self.n_lanes == 1 and self.n_channels > 1:
            wet = np.broadcast_to(wet, dry.shape)
        return (mix * wet + (1.0 - mix) * dry).astype(np.float32)

    def process(self, block: np.ndarray, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Writes ``block`` and returns the same number of output samples, computing as needed.

        Large blocks are fed in slices of a few windows so memory stays bounded; the
        output does not depend on the slicing.
        """
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 2:
            raise ParameterError(f"block: expected shape ({self.n_channels}, n), got {block.shape}")
        slice_n = max(1, int(MAX_WINDOWS_IN_FLIGHT * self.geometry.hop_frames * self.geometry.hop_length
                             * self.sample_rate / self.model_rate))
        outs = []
        for start in range(0, block.shape[1], slice_n):
            part = block[:, start : start + slice_n]
            self.write(part)
            while self.available() < part.shape[1] and self.busy:
                self.tick()
            missing = part.shape[1] - self.available()
            if missing > 0:  # cannot happen with a correct latency; counted, never silent
                self.stats["underrun_samples"] += missing
                self._wet.push(np.zeros((self.n_lanes, max(0, part.shape[1] - len(self._wet))), np.float32))
                self._dry.push(np.zeros((self.n_channels, max(0, part.shape[1] - len(self._dry))), np.float32))
            outs.append(self.read(part.shape[1]))
            if progress:
                progress(part.shape[1])
        return np.concatenate(outs, axis=1) if outs else np.zeros((self.n_channels, 0), np.float32)


def tick_streams(streams: list[Stream]) -> int:
    """One tick for several streams at once: every in-flight window advances by one DDIM step.

    Windows that share a denoiser, each at its own step and from whichever stream, go
    through it together (stream batch, as in StreamDiffusion), at most
    ``MAX_ROWS_PER_CALL`` rows a call. Returns the number of model rows evaluated.
    """
    groups: dict[tuple, list[tuple[Stream, _Job]]] = {}
    for stream in streams:
        stream._start_ready_windows()
        for job in stream._jobs:
            if not job.done:
                key = (job.settings.key, job.x.shape[-1], id(job.settings.denoise))
                groups.setdefault(key, []).append((stream, job))
    rows: dict[int, int] = {}  # id(stream) -> model rows evaluated for it this tick
    for members in groups.values():
        owner = {id(job): id(stream) for stream, job in members}
        for part in _split_rows([job for _, job in members], MAX_ROWS_PER_CALL):
            _step(part)
            for job in part:
                rows[owner[id(job)]] = rows.get(owner[id(job)], 0) + int(job.active.sum())
    for stream in streams:
        n = rows.get(id(stream), 0)
        if n:
            stream.stats["ticks"] += 1
            stream.stats["model_rows"] += n
        stream._finish_done()
    return sum(rows.values())


def _step(jobs: list[_Job]) -> None:
    """One DDIM step for ``jobs`` (same denoiser, same shape) in one model call."""
    xs, ts, owners = [], [], []
    for job in jobs:
        lanes = np.flatnonzero(job.active)
        xs.append(job.x[lanes])
        ts.append(np.full(len(lanes), job.timesteps[job.step], np.int64))
        owners.append(lanes)
    x = np.concatenate(xs)
    t = np.concatenate(ts)
    eps, x0 = jobs[0].settings.denoise(x, t)
    i = 0
    for job, lanes in zip(jobs, owners):
        n = len(lanes)
        s = job.settings
        t_now, t_next = job.timesteps[job.step], job.timesteps[job.step + 1]
        ab_t = sampling.alpha_bar_at(s.alpha_bar, t_now)
        x0c, epsc = sampling.clip_prediction(x[i : i + n], x0[i : i + n], ab_t, 1.0)
        job.x[lanes] = sampling.ddim_step(x[i : i + n], epsc, x0c, ab_t,
                                          sampling.alpha_bar_at(s.alpha_bar, t_next), s.eta, job.rng)
        job.step += 1
        i += n


def _split_rows(jobs: list[_Job], max_rows: int) -> list[list[_Job]]:
    """Groups jobs into calls of at most ``max_rows`` model rows (a job's lanes stay together)."""
    parts, cur, n = [], [], 0
    for job in jobs:
        k = int(job.active.sum())
        if cur and n + k > max_rows:
            parts.append(cur)
            cur, n = [], 0
        cur.append(job)
        n += k
    if cur:
        parts.append(cur)
    return parts


def _loudness_gain(dry: np.ndarray, wet: np.ndarray) -> float:
    """Gain that brings ``wet`` to the RMS of ``dry``, limited to +-24 dB."""
    d, w = dsp.rms_db(dry), dsp.rms_db(wet)
    if not (math.isfinite(d) and math.isfinite(w)):
        return 1.0
    return dsp.db_to_amplitude(float(np.clip(d - w, -LOUDNESS_MATCH_LIMIT_DB, LOUDNESS_MATCH_LIMIT_DB)))


def transfer(
    y: np.ndarray,
    sample_rate: int,
    models: Mapping[str, Denoiser],
    preset: Preset,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Restyles a whole signal ``y`` [shape=(channels, n)]; returns the same shape and rate.

    This is the stream run over the file then flushed, so its output equals what
    ``bridge serve`` streams for the same input, preset and seed (minus the latency).
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 2:
        raise ParameterError(f"y: expected shape (channels, n), got {y.shape}")
    stream = Stream(models, preset, sample_rate, y.shape[0])
    n = y.shape[1]
    L = stream.latency_samples
    out = stream.process(np.concatenate([y, np.zeros((y.shape[0], L), np.float32)], axis=1), progress)
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


def generate(
    denoiser, n: int, steps: int, seed: int, seconds: float = 0.0, eta: float = 0.0, n_iter: int = 32,
    batch: int = 8, callback=None,
) -> list[np.ndarray]:
    """Generates ``n`` clips from pure noise with one model (e.g. drum one-shots)."""
    mel = denoiser.info.mel
    frames = frames_for(seconds, mel)
    rng = np.random.default_rng(seed)
    clips = []
    for start in range(0, n, batch):
        k = min(batch, n - start)
        x = sampling.generate(denoiser, (k, 1, mel.n_mels, frames), denoiser.info.alpha_bar, steps, rng, eta,
                             callback=callback)
        clips += [latent_to_audio(x[i, 0], mel, rng, n_iter) for i in range(k)]
    return clips


def pair(
    model_a, model_b, steps: int, seed: int, branch: float, seconds: float = 0.0, eta: float = 0.0,
    n_iter: int = 32, highpass_hz: float = 0.0, lowpass_hz: float = 0.0, callback=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Double diffusion: a paired (A, B) output sharing one underlying pattern (eqs. 4.2-4.3)."""
    mel = model_a.info.mel
    if model_b.info.mel != mel:
        raise ParameterError(f"pair: {model_b.info.instrument} uses other mel settings than {model_a.info.instrument}")
    frames = frames_for(seconds, mel)
    rng = np.random.default_rng(seed)
    xa, xb = sampling.double_diffuse(model_a, model_b, (1, 1, mel.n_mels, frames), model_a.info.alpha_bar,
                                     steps, branch, rng, eta, callback=callback)
    # The same phase seed for both, so the pair stays aligned when summed.
    ya = latent_to_audio(xa[0, 0], mel, np.random.default_rng([seed, 1]), n_iter, highpass_hz, lowpass_hz)
    yb = latent_to_audio(xb[0, 0], mel, np.random.default_rng([seed, 1]), n_iter, highpass_hz, lowpass_hz)
    return ya, yb


def with_overrides(preset: Preset, **params) -> Preset:
    """A copy of ``preset`` with flat parameters set (None values ignored)."""
    for k, v in params.items():
        if v is not None:
            preset = preset.with_param(k, v)
    return preset


__all__ = ["Geometry", "Stream", "transfer", "generate", "pair", "latent_to_audio", "with_overrides"]

def window_cost_s(stream: Stream, repeats: int = 3) -> float:
    """Times one window on this machine (its model calls and its inversion), median of ``repeats``.

    The daemon budgets twice this into a stream's latency, so replies leave on time
    when compute keeps up; it is a measurement, not part of the output.
    """
    import time

    g, mel = stream.geometry, stream.mel
    s = stream._window_settings()
    x = np.zeros((stream.n_lanes, 1, mel.n_mels, g.window_frames), np.float32)
    t = np.full(stream.n_lanes, s.t_start, np.int64)
    mag = np.ones((g.n_fft // 2 + 1, g.window_frames))
    phase = np.ones_like(mag, dtype=np.complex128)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(len(sampling.ddim_timesteps(s.t_start, s.steps)) - 1):
            s.denoise(x, t)
        for _ in range(stream.n_lanes):
            dsp.griffin_lim(mag, phase, s.griffin_lim_iters, g.n_fft, g.hop_length, stream.tf.window)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
