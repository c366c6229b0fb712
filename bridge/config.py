"""Frozen configuration dataclasses, one per concern, with strict ``from_dict``.

Ranges live in field metadata (``lo``/``hi``/``choices``) so that validation, the
OSC parameter table and MIDI CC scaling all read the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ParameterError


def _f(default, lo=None, hi=None, choices=None, doc=""):
    return field(default=default, metadata={"lo": lo, "hi": hi, "choices": choices, "doc": doc})


def _check(cls, name: str, value: Any, where: str) -> Any:
    """Coerces and range-checks one field value; raises ParameterError naming it."""
    spec = {f.name: f for f in fields(cls)}[name]
    meta = spec.metadata
    default = spec.default
    label = f"{where}{name}"
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        raise ParameterError(f"{label}: expected true or false, got {value!r}")
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise ParameterError(f"{label}: expected a whole number, got {value!r}")
        value = int(value)
    elif isinstance(default, float) or (default is None and meta.get("lo") is not None):
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{label}: expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ParameterError(f"{label}: expected a finite number, got {value!r}")
    elif isinstance(default, str) or meta.get("choices"):
        if value is None and default is None:
            return None
        if not isinstance(value, str):
            raise ParameterError(f"{label}: expected text, got {value!r}")
    lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices")
    if isinstance(value, float):
        # Max sends float32: 0.01 arrives as 0.0099999998. Values within float32 rounding of an
        # edge are taken as the edge instead of being refused.
        if lo is not None and lo - 1e-6 * max(1.0, abs(lo)) <= value < lo:
            value = float(lo)
        if hi is not None and hi < value <= hi + 1e-6 * max(1.0, abs(hi)):
            value = float(hi)
    if choices is not None and value not in choices:
        raise ParameterError(f"{label}: expected one of {', '.join(map(str, choices))}, got {value!r}")
    if lo is not None and value < lo:
        raise ParameterError(f"{label}: expected at least {lo}, got {value!r}")
    if hi is not None and value > hi:
        raise ParameterError(f"{label}: expected at most {hi}, got {value!r}")
    return value


def _from_dict(cls, data: Mapping[str, Any] | None, where: str = ""):
    """Builds ``cls`` from a mapping, rejecting unknown keys and bad values."""
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        raise ParameterError(f"{where or cls.__name__}: expected a mapping, got {type(data).__name__}")
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ParameterError(
            f"{where}{unknown[0]}: unknown key; allowed keys are {', '.join(names)}"
        )
    return cls(**{k: _check(cls, k, v, where) for k, v in data.items()})


@dataclass(frozen=True)
class MelConfig:
    """How audio becomes the model's normalised log-mel image, and back.

    Written into every model's metadata at export; the runtime reads it from there.
    """

    sample_rate: int = _f(22050, lo=8000, hi=96000)
    n_fft: int = _f(1024, lo=64, hi=8192)
    hop_length: int = _f(256, lo=16, hi=4096)
    n_mels: int = _f(80, lo=8, hi=256)
    fmin_hz: float = _f(0.0, lo=0.0)
    fmax_hz: float = _f(11025.0, lo=100.0)
    # Each window is shifted in dB so that its mean mel power sits at loudness_db, which
    # makes the model level-independent; the shift is undone after inversion.
    loudness_db: float = _f(-30.0, lo=-120.0, hi=40.0)
    max_gain_db: float = _f(40.0, lo=0.0, hi=120.0)
    db_min: float = _f(-105.0, lo=-200.0, hi=0.0)
    db_max: float = _f(-15.0, lo=-100.0, hi=60.0)
    window_frames: int = _f(64, lo=8, hi=1024)
    frame_multiple: int = _f(8, lo=1, hi=64)

    @classmethod
    def from_dict(cls, data, where=""):
        cfg = _from_dict(cls, data, where)
        if cfg.fmax_hz > cfg.sample_rate / 2:
            raise ParameterError(f"{where}fmax_hz: expected at most {cfg.sample_rate / 2}, got {cfg.fmax_hz}")
        if cfg.db_max <= cfg.db_min:
            raise ParameterError(f"{where}db_max: expected above db_min={cfg.db_min}, got {cfg.db_max}")
        if cfg.window_frames % cfg.frame_multiple:
            raise ParameterError(
                f"{where}window_frames: expected a multiple of {cfg.frame_multiple}, got {cfg.window_frames}"
            )
        return cfg


@dataclass(frozen=True)
class SamplerConfig:
    """How far the input is noised and how it is denoised (DDIM, Song et al. 2021)."""

    strength: float = _f(0.5, lo=0.01, hi=1.0, doc="fraction of the T noise steps applied to the input")
    steps: int = _f(8, lo=1, hi=200, doc="DDIM steps from the start step down to 0")
    # eta 1 (fresh noise each step, still seeded) measured P(violin) 0.59 against 0.45 for eta 0 at
    # strength 0.5 on guitar -> violin, with the same pitch accuracy (bridge eval, 8 phrases).
    eta: float = _f(1.0, lo=0.0, hi=1.0, doc="0: deterministic DDIM; 1: DDPM-like ancestral noise")
    seed: int = _f(0, lo=0, hi=2**31 - 1, doc="random seed: the same seed, input and settings give the same output")
    # Off unless a preset asks: a student fits only its teacher's file, steps and strengths. The violin's
    # (conditioned, distilled for strength 1.0) at 2 steps scored as its teacher at 8; the guitar's below its
    # teacher at 2 steps and above it at 1 (bridge eval, 4 phrases; README "Few-step students").
    student: bool = _f(False, doc="use the target's distilled few-step student when one fits these steps and strength")
    controls: bool = _f(False, doc="condition the target on the input's pitch and note onsets (a model trained with "
                                   "controls; a target without them plays without); off: the seed's pure cross-diffusion")

    @classmethod
    def from_dict(cls, data, where=""):
        return _from_dict(cls, data, where)


@dataclass(frozen=True)
class RenderConfig:
    """How windows are cut, inverted, cleaned and mixed back with the dry signal."""

    window_frames: int = _f(0, lo=0, hi=1024, doc="0: the model's own window")
    overlap: float = _f(0.25, lo=0.0, hi=0.5, doc="fraction of a window's output crossfaded with the next")
    lookbehind: float = _f(0.0, lo=0.0, hi=0.75,
                           doc="fraction of each window that is past context only (lower latency, more compute)")
    inversion: str = _f("envelope", choices=("envelope", "pinv", "harmonic"),
                        doc="envelope: the model's mel change applied to the input's STFT; pinv: pseudo-inverse; "
                            "harmonic: the model's mel rendered as harmonics at the input's pitch plus noise")
    pitch: str = _f("input", choices=("input", "semitone", "target"),
                    doc="harmonic: input: partials follow your pitch (vibrato, slides); semitone: each note steady "
                        "on its nearest semitone (a fretted or keyed target); target: on its semitone with the "
                        "target's own vibrato at its pitch (measured on its training audio)")
    vibrato: float = _f(1.0, lo=0.0, hi=3.0,
                        doc="pitch: target: vibrato depth, a multiple of what the target plays with the mod wheel at "
                            "rest (0: none); map your mod wheel (CC1) here for more")
    fill: float = _f(0.2, lo=0.0, hi=1.0,
                     doc="envelope, harmonic: share of the model's energy added where the partials leave none "
                         "(bow noise, breath); with noise: measured, the share of the target's measured noise")
    noise: str = _f("fill", choices=("fill", "measured"),
                    doc="harmonic: fill: between the partials, fill of the energy they leave out, on your phase; "
                        "measured: each band split between partials and noise as on the target's own training "
                        "audio (its model says how; a model without the measurement plays with the fill), the "
                        "noise on its own phase")
    griffin_lim_iters: int = _f(0, lo=0, hi=200, doc="Griffin-Lim iterations started from the input's phase")
    mix: float = _f(1.0, lo=0.0, hi=1.0, doc="0: dry only, 1: wet only")
    highpass_hz: float = _f(0.0, lo=0.0, hi=20000.0, doc="cleanup highpass on the wet sound; 0: off")
    lowpass_hz: float = _f(0.0, lo=0.0, hi=48000.0, doc="cleanup lowpass on the wet sound; 0: off")
    match_loudness: bool = _f(True, doc="the wet sound at the input's loudness (see loudness); off: the model's own")
    loudness: str = _f("span", choices=("span", "note"),
                       doc="match_loudness: span: each hop at the input's loudness; note: held at each note's peak "
                           "until the next note, the input's release or its silence (the target's own sustain)")
    stereo: str = _f("mid", choices=("mid", "dual"), doc="mid: restyle the mono sum; dual: each channel")
    morph_with: str = _f("", doc="a second target model; empty: none")
    morph: float = _f(0.0, lo=0.0, hi=1.0, doc="weight of morph_with's prediction")
    silence_db: float = _f(-70.0, lo=-200.0, hi=0.0, doc="windows quieter than this skip the model")

    @classmethod
    def from_dict(cls, data, where=""):
        return _from_dict(cls, data, where)


@dataclass(frozen=True)
class Preset:
    """A named performance setting: target model, sampler and render settings."""

    name: str = "default"
    description: str = ""
    mode: str = _f("transfer", choices=("transfer", "generate", "pair"))
    target: str = "violin"
    pair_with: str = ""
    branch: float = _f(0.8, lo=0.0, hi=1.0, doc="pair: fraction of steps left when the branch happens (PairConfig)")
    sampler: SamplerConfig = field(default_factory=SamplerConfig)
    render: RenderConfig = field(default_factory=RenderConfig)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "") -> "Preset":
        if not isinstance(data, Mapping):
            raise ParameterError(f"{where or 'preset'}: expected a mapping, got {type(data).__name__}")
        data = dict(data)
        sampler = SamplerConfig.from_dict(data.pop("sampler", None), f"{where}sampler.")
        render = RenderConfig.from_dict(data.pop("render", None), f"{where}render.")
        flat = {k: v for k, v in data.items()}
        allowed = [f.name for f in fields(cls) if f.name not in ("sampler", "render")]
        unknown = sorted(set(flat) - set(allowed))
        if unknown:
            raise ParameterError(
                f"{where}{unknown[0]}: unknown key; allowed keys are {', '.join(allowed + ['sampler', 'render'])}"
            )
        for key in ("name", "description", "target", "pair_with"):
            if key in flat and not isinstance(flat[key], str):
                raise ParameterError(f"{where}{key}: expected text, got {flat[key]!r}")
        checked = {k: (_check(cls, k, v, where) if k in ("mode", "branch") else v) for k, v in flat.items()}
        preset = cls(sampler=sampler, render=render, **checked)
        if preset.mode == "pair" and not preset.pair_with:
            raise ParameterError(f"{where}pair_with: mode 'pair' needs a second model name")
        return preset

    def to_dict(self) -> dict:
        return asdict(self)

    def with_param(self, name: str, value: Any) -> "Preset":
        """Returns a copy with one flat parameter (see ``PARAMS``) set, validated."""
        if name not in PARAMS:
            raise ParameterError(f"param: unknown name {name!r}; allowed names are {', '.join(PARAMS)}")
        section = PARAMS[name].section
        if section == "sampler":
            return replace(self, sampler=replace(self.sampler, **{name: _check(SamplerConfig, name, value, "")}))
        if section == "render":
            return replace(self, render=replace(self.render, **{name: _check(RenderConfig, name, value, "")}))
        return replace(self, **{name: _check(Preset, name, value, "") if name in ("mode", "branch") else value})

    def with_params(self, **params: Any) -> "Preset":
        """A copy with several flat parameters set, validated; ``None`` values are left as they are."""
        preset = self
        for name, value in params.items():
            if value is not None:
                preset = preset.with_param(name, value)
        return preset

    def param(self, name: str) -> Any:
        if name not in PARAMS:
            raise ParameterError(f"param: unknown name {name!r}; allowed names are {', '.join(PARAMS)}")
        section = PARAMS[name].section
        obj = getattr(self, section) if section != "preset" else self
        return getattr(obj, name)

    def model_names(self) -> tuple[str, ...]:
        """The models this preset plays: its target, and the one it morphs or pairs with if any."""
        return tuple(n for n in (self.target, self.param("morph_with"), self.param("pair_with")) if n)


@dataclass(frozen=True)
class ParamSpec:
    """One flat, user-facing parameter: its section, kind and range."""

    name: str
    section: str
    kind: str
    lo: float | None
    hi: float | None
    choices: tuple | None
    doc: str


def _param_table() -> dict[str, ParamSpec]:
    table = {}
    for section, cls in (("sampler", SamplerConfig), ("render", RenderConfig)):
        for f in fields(cls):
            kind = type(f.default).__name__
            table[f.name] = ParamSpec(
                f.name, section, kind, f.metadata.get("lo"), f.metadata.get("hi"),
                f.metadata.get("choices"), f.metadata.get("doc", ""),
            )
    for name in ("target", "pair_with", "branch"):
        f = {f.name: f for f in fields(Preset)}[name]
        kind = "str" if name != "branch" else "float"
        table[name] = ParamSpec(name, "preset", kind, f.metadata.get("lo") if f.metadata else None,
                                f.metadata.get("hi") if f.metadata else None, None,
                                f.metadata.get("doc", "") if f.metadata else "")
    return table


PARAMS: dict[str, ParamSpec] = _param_table()

# Settings that shape a stream's windows: fixed while a stream is open (a new stream applies them).
STREAM_FIXED = ("window_frames", "overlap", "lookbehind", "stereo")


@dataclass(frozen=True)
class StreamConfig:
    """A live stream's format as a client opens it (OSC, the audio interface)."""

    sample_rate: int = _f(48000, lo=8000, hi=192000)
    channels: int = _f(2, lo=1, hi=8)

    @classmethod
    def from_dict(cls, data, where=""):
        return _from_dict(cls, data, where)


def check_stream(sample_rate: Any, channels: Any, where: str = "") -> StreamConfig:
    """The one check of a stream's rate and channel count (OSC, audio interface and engine share it)."""
    return StreamConfig.from_dict({"sample_rate": sample_rate, "channels": channels}, where)


@dataclass(frozen=True)
class GenerateConfig:
    """Unconditional generation (drum one-shots): the defaults of ``bridge generate`` and ``/bridge/generate``."""

    n: int = _f(8, lo=1, hi=1000, doc="clips to generate")
    steps: int = _f(25, lo=1, hi=200, doc="DDIM steps from pure noise")
    seed: int = _f(0, lo=0, hi=2**31 - 1)
    seconds: float = _f(0.0, lo=0.0, hi=60.0, doc="clip length; 0: one model window")
    eta: float = _f(0.0, lo=0.0, hi=1.0)
    griffin_lim_iters: int = _f(32, lo=0, hi=200, doc="random-phase Griffin-Lim iterations")

    @classmethod
    def from_dict(cls, data, where=""):
        return _from_dict(cls, data, where)


@dataclass(frozen=True)
class PairConfig:
    """Double diffusion (a chorus pair): the defaults of ``bridge pair`` and ``/bridge/pair``."""

    n: int = _f(1, lo=1, hi=1000, doc="pairs to generate")
    steps: int = _f(30, lo=1, hi=200, doc="DDIM steps from pure noise")
    # Measured (4 guitar/violin pairs, 30 steps): B is judged violin at 0.02 / 0.44 / 0.79 for branch
    # 0.3 / 0.7 / 0.85, the pair's mel correlation 0.95 / 0.85 / 0.78 (unrelated pairs: ~0.6).
    branch: float = _f(0.8, lo=0.0, hi=1.0, doc="fraction of steps left when model B takes over")
    seed: int = _f(0, lo=0, hi=2**31 - 1)
    seconds: float = _f(3.0, lo=0.0, hi=60.0)
    eta: float = _f(0.0, lo=0.0, hi=1.0)
    griffin_lim_iters: int = _f(32, lo=0, hi=200)
    highpass_hz: float = _f(80.0, lo=0.0, hi=20000.0)
    lowpass_hz: float = _f(9000.0, lo=0.0, hi=48000.0)

    @classmethod
    def from_dict(cls, data, where=""):
        return _from_dict(cls, data, where)


@dataclass(frozen=True)
class ServerConfig:
    """Where the daemon listens and how it bounds its work."""

    host: str = "127.0.0.1"
    port: int = _f(9000, lo=0, hi=65535)
    reply_port: int = _f(0, lo=0, hi=65535, doc="where clients that never said /bridge/hello get replies; 0: nowhere")
    jitter_port: int = _f(9002, lo=-1, hi=65535, doc="TCP port for jit.net.send streams; 0 picks one, -1: off")
    drain_timeout_s: float = _f(5.0, lo=0.0, hi=600.0)
    max_streams: int = _f(8, lo=1, hi=256)
    max_queue_chunks: int = _f(4096, lo=16, hi=1_000_000)
    max_file_seconds: float = _f(600.0, lo=1.0, hi=36000.0)
    recv_buffer_bytes: int = _f(8 * 1024 * 1024, lo=65536, hi=1 << 30)
    adapt_steps: bool = _f(True, doc="lower the step count when compute falls behind")
    idle_close_s: float = _f(60.0, lo=1.0, hi=86400.0, doc="close a stream that sent no audio for this long")
    model_thread: bool = _f(True, doc="run model calls on their own thread, beside the streams' DSP")

    @classmethod
    def from_dict(cls, data, where=""):
        return _from_dict(cls, data, where)


def load_yaml(path: Path) -> Any:
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ParameterError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise ParameterError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ParameterError(f"{path}: not valid YAML ({e})") from None


def preset_to_yaml(preset: Preset) -> str:
    import yaml

    return yaml.safe_dump(preset.to_dict(), sort_keys=False)
