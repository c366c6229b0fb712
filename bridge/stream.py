"""Streaming restyler: windows on an absolute frame grid, batched DDIM ticks, crossfaded hops.

Signal flow for one :class:`Stream` (client rate ``sr_c``, model rate ``sr_m``)::

    block (channels, n) -> soxr stream (every channel) -> model-rate input
      -> window w ready -> lanes (mid or per channel; see window.analyse)
      -> STFT -> log-mel -> gain to loudness_db -> q_sample to t0                     (eq. 2.2)
      -> DDIM ticks (all in-flight windows, one batched call per tick, bridge.batch)  (eq. 4.1)
         (a conditioned model also gets the window's pitch and onset planes, bridge.controls)
      -> envelope transfer onto the input STFT (or harmonics at its pitch, or mel pseudo-inverse)
      -> Griffin-Lim -> cleanup -> loudness match
      -> crossfade overlap-add -> soxr stream -> wet FIFO -> mix with the delayed dry signal

Window ``w`` covers frames ``[w H, w H + W)`` (frame ``j`` centred on sample ``j hop``) and
its noise comes from ``default_rng([seed, w])``: a window's input and randomness depend
only on its position, never on how the audio was chunked. Output is the input delayed by
exactly ``latency_samples``; offline transfer is the same stream run over the whole file.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Mapping

import numpy as np

from . import dsp, sampling
from .config import Preset, check_stream
from .errors import BridgeError, ModelError, ParameterError, StreamShapeError
from .framing import Fifo, Geometry, Resampler
from .model import pick_student
from .batch import MAX_ROWS_PER_CALL, tick_streams  # noqa: F401  (stream.tick_streams is the public name)
from .window import Denoiser, Window, WindowSettings, analyse, carry_onset, hold_note_level, note_state, render

MAX_WINDOWS_IN_FLIGHT = 16
# Input and output are bounded to +24 dBFS: audio beyond that is a broken client or model,
# and left alone it overflows the spectra (3.4e38 squared) into NaN.
OUTPUT_CEILING = 16.0
# Start order of windows over all streams: with few calls per tick the oldest go first (earliest deadline).
_started = itertools.count()


def check_preset(preset: Preset, models: Mapping[str, Denoiser]) -> Geometry:
    """Checks that ``preset`` can open a stream with ``models``; returns its window geometry.

    The models it names must be in ``models``, describe themselves and agree on the mel
    analysis, and its window settings must fit the target's mel grid. Handlers pass
    ``models.loaded`` (so nothing is loaded on the event loop) before accepting a preset or
    parameter, so a stream never fails to open later; a stream checks its own model set.
    """
    def mel_of(name: str, what: str):
        if name not in models:
            raise ModelError(f"{what}: {name!r} is not loaded; loaded: {', '.join(sorted(models)) or 'none'}")
        info = getattr(models[name], "info", None)
        if info is None:
            raise ModelError(f"{what}: the denoiser {name!r} does not describe its mel settings")
        return info.mel

    mel = mel_of(preset.target, "target")
    for what in ("morph_with", "pair_with"):
        name = preset.param(what)
        if name and mel_of(name, what) != mel:
            raise ParameterError(f"{what}: {name} uses other mel settings than {preset.target}")
    r = preset.render
    return Geometry.make(mel, r.window_frames, r.overlap, r.lookbehind)


def _cond_channels(model) -> int:
    """The control planes ``model`` takes (0: none, or a denoiser that does not describe itself)."""
    return int(getattr(getattr(model, "info", None), "cond_channels", 0) or 0)


def _measured(envelope: dict, key: str) -> np.ndarray | None:
    """A measure the export wrote into the target's controls (a table), as float64; None where it has none."""
    value = envelope.get(key)
    return None if value is None else np.asarray(value, dtype=np.float64)


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
        check_stream(sample_rate, n_channels)
        self.models = models
        self.sample_rate = int(sample_rate)
        self.n_channels = n_channels
        # Two limits on the steps of windows not yet started, both set by the daemon's worker:
        # steps_cap reacts to late replies, steps_plan keeps predicted work inside the budget.
        self.steps_cap: int | None = None
        self.steps_plan: int | None = None
        self.stats = {"windows": 0, "silent_windows": 0, "model_rows": 0, "ticks": 0, "underrun_samples": 0,
                      "nonfinite_samples": 0, "reduced_step_windows": 0, "failed_windows": 0, "clipped_blocks": 0,
                      "window_steps": 0}
        self.errors: list[BridgeError] = []
        self._preset = None
        self.set_preset(preset)
        mel = self.mel
        self.n_lanes = 1 if preset.render.stereo == "mid" or n_channels == 1 else n_channels
        self.model_rate = mel.sample_rate
        self.tf = dsp.mel_transform(mel)
        self._in_rs = Resampler(self.sample_rate, self.model_rate, n_channels)  # every channel: see window.analyse
        self._out_rs = Resampler(self.model_rate, self.sample_rate, self.n_lanes)
        r = self.model_rate / self.sample_rate
        raw = (self._in_rs.delay + self.geometry.latency_samples) / r + self._out_rs.delay
        margin = 0 if self._in_rs.identity else 4
        self.latency_samples = int(math.ceil(raw - 1e-9)) + margin + int(round(compute_budget_s * self.sample_rate))
        # Model-rate input (all channels), kept from absolute index _in_base on.
        self._in = np.zeros((n_channels, 0), np.float32)
        self._in_base = 0
        self._in_end = 0
        # Overlap-add accumulator from absolute model-rate index _acc_base on.
        self._acc = np.zeros((self.n_lanes, 0), np.float64)
        self._acc_base = 0
        self._next_window = self.geometry.first_window
        self._jobs: list[Window] = []
        self._done: set[int] = set()
        self._first_incomplete = self.geometry.first_window
        self._wet = Fifo(self.n_lanes, self.latency_samples)
        self._note_state = note_state(self.n_lanes)  # see hold_note_level
        self._last_onset = np.full(self.n_lanes, -np.inf)  # see carry_onset
        self._frames = [{} for _ in range(self.n_lanes)]  # per-frame rows the next window reuses (FrameCache)
        self._dry = Fifo(n_channels, self.latency_samples)

    # -- settings ---------------------------------------------------------------------
    @property
    def preset(self) -> Preset:
        return self._preset

    @property
    def latency_ms(self) -> float:
        return 1000.0 * self.latency_samples / self.sample_rate

    def set_preset(self, preset: Preset) -> None:
        """Applies a preset to the windows that start from now on (mix applies at once)."""
        geometry = check_preset(preset, self.models)
        mel = self.models[preset.target].info.mel
        if self._preset is not None and mel != self.mel:
            raise StreamShapeError(
                f"target: {preset.target} analyses audio differently ({mel.sample_rate} Hz, {mel.n_mels} mels) "
                f"from this stream's model; open a new stream for it"
            )
        if self._preset is not None and geometry != self.geometry:
            raise StreamShapeError("window_frames/overlap/lookbehind: cannot change on an open stream; "
                                   "open a new stream")
        if self._preset is not None and (preset.render.stereo != self._preset.render.stereo):
            raise StreamShapeError("stereo: cannot change on an open stream; open a new stream")
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
        if self._settings is not None and self._settings.steps == self.effective_steps():
            return self._settings
        p = self._preset
        target = self._model(p.target)
        alpha_bar = target.info.alpha_bar
        denoise: Denoiser = target
        key = (p.target,)
        conditioned = _cond_channels(target) > 0
        if p.render.morph_with and p.render.morph > 0:
            partner = self._model(p.render.morph_with)
            denoise = sampling.blend(target, partner, p.render.morph)
            key = (p.target, p.render.morph_with, p.render.morph)
            conditioned = conditioned and _cond_channels(partner) == _cond_channels(target)
        else:
            student = pick_student(self.models, p, self.effective_steps())
            if student is not None:
                denoise, key = student, (p.target, "student")
                conditioned = _cond_channels(student) > 0
        # A model without controls (or a morph with one) plays unconditioned: switching the target on stage
        # must not fail on a model that cannot take them. A student takes its teacher's controls.
        use_controls = p.sampler.controls and conditioned
        envelope = getattr(target.info, "controls", None) or {}
        note_loudness = p.render.match_loudness and p.render.loudness == "note"
        vibrato_by_pitch, noise_share = _measured(envelope, "vibrato_by_pitch"), _measured(envelope, "noise_share")
        mask = dsp.band_mask(self.mel.n_fft, self.mel.sample_rate, p.render.highpass_hz, p.render.lowpass_hz)
        self._settings = WindowSettings(
            denoise=denoise, alpha_bar=alpha_bar, t_start=sampling.start_timestep(p.sampler.strength, len(alpha_bar)),
            steps=self.effective_steps(), eta=p.sampler.eta, seed=p.sampler.seed,
            griffin_lim_iters=p.render.griffin_lim_iters, inversion=p.render.inversion, fill=p.render.fill,
            mask=mask, match_loudness=p.render.match_loudness, note_loudness=note_loudness,
            steady_pitch=p.render.inversion == "harmonic" and p.render.pitch != "input",
            vibrato=((p.render.vibrato * float(envelope.get("vibrato_cents") or 0.0),
                      float(envelope.get("vibrato_hz") or 0.0)) if p.render.pitch == "target" else (0.0, 0.0)),
            vibrato_by_pitch=None if vibrato_by_pitch is None else vibrato_by_pitch * [1.0, p.render.vibrato],
            band_decay=_measured(envelope, "note_decay_by_band") if note_loudness else None,
            note_decay_db_s=float(envelope.get("note_decay_db_s") or 0.0),
            note_decay_by_pitch=_measured(envelope, "note_decay_by_pitch"),
            note_attack_s=float(envelope.get("note_attack_s") or 0.0),
            # A target without a measured share (unconditioned, or exported before) plays with the fill.
            noise_share=(p.render.fill * noise_share if p.render.inversion == "harmonic"
                         and p.render.noise == "measured" and noise_share is not None else None),
            silence_db=p.render.silence_db, key=key, controls=use_controls,
        )
        return self._settings

    def effective_steps(self) -> int:
        """The steps the next window starts with: the preset's, lowered by either of the worker's limits."""
        return min(self._preset.sampler.steps, self.steps_cap or 10**9, self.steps_plan or 10**9)

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
        if np.abs(block).max(initial=0.0) > OUTPUT_CEILING:  # finite garbage (1e30) must not reach the maths
            block = np.clip(block, -OUTPUT_CEILING, OUTPUT_CEILING)
            self.stats["clipped_blocks"] += 1
        self._dry.push(block)
        resampled = self._in_rs(block)
        if resampled.shape[1]:
            self._in = np.concatenate([self._in, resampled], axis=1)
            self._in_end += resampled.shape[1]
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
        out = np.zeros((self.n_channels, end - begin), np.float64)
        lo = max(begin, self._in_base)
        if lo < end:
            out[:, lo - begin :] = self._in[:, lo - self._in_base : end - self._in_base]
        return out

    def _start(self, w: int) -> Window:
        g = self.geometry
        s = self._window_settings()
        job = analyse(w, self._segment(g.begin(w), g.need(w)), self.n_lanes, s, g, self.mel, self.tf, self._frames)
        job.born = next(_started)
        if s.note_loudness:
            frame_s = self.mel.hop_length / self.model_rate
            by_pitch = None if s.note_decay_by_pitch is None else s.note_decay_by_pitch * [1.0, frame_s]
            self._note_state = hold_note_level(job, self.geometry, self._note_state, s.note_decay_db_s * frame_s,
                                               s.note_attack_s / frame_s, by_pitch)
        if (s.vibrato[0] > 0 or s.band_decay is not None) and job.notes is not None:
            self._last_onset = carry_onset(job, self.geometry, self._last_onset)
        self.stats["windows"] += 1
        self.stats["window_steps"] += s.steps
        if s.steps < self._preset.sampler.steps:
            self.stats["reduced_step_windows"] += 1
        if not job.active.any():
            self.stats["silent_windows"] += 1
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

    def _overlap_add(self, job: Window) -> None:
        g = self.geometry
        self._done.add(job.index)
        if not job.active.any():
            return
        contrib = render(job, g, self.mel, self.tf)
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

    def _failed(self, error: BridgeError) -> None:
        self.stats["failed_windows"] += 1
        self.errors.append(error)

    def abandon_in_flight(self) -> None:
        """Silences every window in flight (after an unexpected failure); the stream goes on."""
        for job in self._jobs:
            if not job.done:
                job.fail()
                self.stats["failed_windows"] += 1
        self._finish_done()

    def take_errors(self) -> list[BridgeError]:
        """The model errors since the last call (each silenced one window); clears them."""
        errors, self.errors = self.errors, []
        return errors

    def rows_in_flight(self) -> int:
        """Model rows the windows in flight still need (their calls left times their active lanes)."""
        return sum(job.calls_left * int(job.active.sum()) for job in self._jobs if not job.done)

    def ready_windows(self) -> int:
        """How many windows the next tick will start (their input is complete)."""
        return len(self.windows_due(0.0))

    def windows_due(self, within_s: float) -> list[float]:
        """Seconds until each coming window's input is complete (0 when it is; real-time input), up to ``within_s``."""
        g, room = self.geometry, MAX_WINDOWS_IN_FLIGHT - len(self._jobs)
        due: list[float] = []
        while len(due) < room:
            wait_s = max(0, g.need(self._next_window + len(due)) - self._in_end) / self.model_rate
            if wait_s > within_s:
                break
            due.append(wait_s)
        return due

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
        return np.clip(mix * wet + (1.0 - mix) * dry, -OUTPUT_CEILING, OUTPUT_CEILING).astype(np.float32)

    def process(self, block: np.ndarray, progress: Callable[[int], None] | None = None,
                gate: Callable[[], None] | None = None) -> np.ndarray:
        """Writes ``block`` and returns the same number of output samples, computing as needed.

        Large blocks are fed in slices of a few windows so memory stays bounded; the
        output does not depend on the slicing. ``progress(n)`` is told each slice's
        samples; ``gate()`` runs before every tick (the daemon pauses file jobs there
        while live streams have work). A failed model call raises its ModelError here.
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
                if gate:
                    gate()
                self.tick()
                if self.errors:
                    raise self.take_errors()[0]
            missing = part.shape[1] - self.available()
            if missing > 0:  # cannot happen with a correct latency; counted, never silent
                self.stats["underrun_samples"] += missing
                self._wet.push(np.zeros((self.n_lanes, max(0, part.shape[1] - len(self._wet))), np.float32))
                self._dry.push(np.zeros((self.n_channels, max(0, part.shape[1] - len(self._dry))), np.float32))
            outs.append(self.read(part.shape[1]))
            if progress:
                progress(part.shape[1])
        return np.concatenate(outs, axis=1) if outs else np.zeros((self.n_channels, 0), np.float32)
