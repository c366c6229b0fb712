"""What a model file says about itself, read without the onnx package (the runtime has only onnxruntime).

:class:`ModelInfo` parses and checks the ``metadata_props`` an export writes (the format
``FORMAT``; a few-step student adds ``student``). The file is a protobuf ``ModelProto``;
:func:`graph_bytes` walks its top-level fields on the wire format and returns field 7, the
serialised graph with its weights: what the content hash written at export covers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import MelConfig
from .errors import ModelError, ParameterError

FORMAT = "bridge-diffusion/1"
METADATA_KEYS = (
    "format", "instrument", "mel", "n_timesteps", "schedule", "alpha_bar", "prediction_type",
    "inputs", "outputs", "unet", "params", "train", "content_hash",
)


@dataclass(frozen=True, eq=False)
class ModelInfo:
    """What a model file says about itself."""

    path: Path
    instrument: str
    mel: MelConfig
    n_timesteps: int
    schedule: str
    alpha_bar: np.ndarray
    prediction_type: str
    params: int
    content_hash: str
    train: dict = field(default_factory=dict)
    unet: dict = field(default_factory=dict)
    inputs: tuple[str, ...] = ("x", "t")  # the state, the timestep (and the control planes), as the metadata names them
    output: str = "pred"
    hash_scope: str = ""  # "graph": content_hash is the SHA-256 of the serialised graph, checked at load
    student: dict | None = None  # a few-step student (export.distill): its teacher, max_steps, strength_max
    controls: dict | None = None  # a conditioned model: {"planes": bridge.controls.PLANES, "channels", "dropout"}

    @property
    def cond_channels(self) -> int:
        """Control planes the model takes beside ``x`` (0: unconditional)."""
        return int(self.controls["channels"]) if self.controls else 0

    @classmethod
    def from_metadata(cls, path: Path, meta: dict[str, str]) -> "ModelInfo":
        def get(key):
            if key not in meta:
                raise ModelError(f"{path.name}: metadata lacks {key!r}; re-export it with `bridge export`")
            try:
                return json.loads(meta[key])
            except json.JSONDecodeError:
                raise ModelError(f"{path.name}: metadata {key!r} is not JSON: {meta[key][:60]!r}") from None

        try:
            return cls._from_metadata(path, meta, get)
        except (TypeError, ValueError, KeyError, AttributeError) as e:  # a value of the wrong type
            raise ModelError(f"{path.name}: metadata has a value of the wrong type ({type(e).__name__}: "
                             f"{str(e)[:160]}); re-export it with `bridge export`") from None

    @classmethod
    def _from_metadata(cls, path: Path, meta: dict[str, str], get) -> "ModelInfo":
        fmt = get("format")
        if fmt != FORMAT:
            raise ModelError(f"{path.name}: format: expected {FORMAT!r}, got {fmt!r}")
        try:
            mel = MelConfig.from_dict(get("mel"), "mel.")
        except ParameterError as e:
            raise ModelError(f"{path.name}: {e}") from None
        n_timesteps = int(get("n_timesteps"))
        alpha_bar = np.asarray(get("alpha_bar"), dtype=np.float64)
        if alpha_bar.shape != (n_timesteps,):
            raise ModelError(f"{path.name}: alpha_bar: expected {n_timesteps} values, got {alpha_bar.shape[0]}")
        if not (np.all(np.diff(alpha_bar) < 0) and alpha_bar[0] <= 1.0 and alpha_bar[-1] >= 0.0):
            raise ModelError(f"{path.name}: alpha_bar: expected values decreasing inside [0, 1]")
        prediction = get("prediction_type")
        if prediction not in ("v", "eps"):
            raise ModelError(f"{path.name}: prediction_type: expected 'v' or 'eps', got {prediction!r}")
        inputs, outputs = list(get("inputs")), list(get("outputs"))
        controls = get("controls") if "controls" in meta else None
        if len(inputs) != (3 if controls else 2) or len(outputs) != 1:
            raise ModelError(f"{path.name}: inputs/outputs: expected {'three' if controls else 'two'} inputs (state, "
                             f"timestep{', controls' if controls else ''}) and one output, got {inputs} and {outputs}")
        if controls:
            from .controls import CONTROL_CHANNELS, PLANES

            if controls.get("planes") != PLANES or int(controls.get("channels", -1)) != CONTROL_CHANNELS:
                raise ModelError(f"{path.name}: controls: expected planes {PLANES!r} with {CONTROL_CHANNELS} channels, "
                                 f"got {controls.get('planes')!r} with {controls.get('channels')}; this bridge "
                                 f"cannot build them: update bridge or re-export the model")
            for key, want, ok in (("note_decay_by_band", "(dB/s, one per mel band)", math.isfinite),
                                  ("noise_share", "in [0, 1] (one per mel band)", lambda v: 0.0 <= v <= 1.0)):
                bands = controls.get(key)
                if bands is not None and (not isinstance(bands, list) or len(bands) != mel.n_mels or not all(
                        isinstance(v, (int, float)) and ok(v) for v in bands)):
                    raise ModelError(f"{path.name}: controls.{key}: expected {mel.n_mels} numbers {want}, got "
                                     f"{str(bands)[:60]}; measure it again with `bridge export --measure CORPUS "
                                     f"{path.name}`")
            for key, want, ok in (
                ("note_decay_by_pitch", "[Hz, dB/s] pairs with Hz rising", lambda x0, ys: x0 > 0),
                ("vibrato_by_pitch", "[Hz, cents] pairs with Hz rising and cents >= 0",
                 lambda x0, ys: x0 > 0 and min(ys) >= 0),
            ):
                table = controls.get(key)
                if table is not None and not _table_ok(table, ok):
                    raise ModelError(f"{path.name}: controls.{key}: expected {want}, got {str(table)[:60]}; measure "
                                     f"it again with `bridge export --measure CORPUS {path.name}`")
        return cls(
            path=path, instrument=str(get("instrument")), mel=mel, n_timesteps=n_timesteps,
            inputs=tuple(str(i) for i in inputs), output=str(outputs[0]), controls=controls,
            hash_scope=str(json.loads(meta["content_hash_of"])) if "content_hash_of" in meta else "",
            schedule=str(get("schedule")), alpha_bar=alpha_bar, prediction_type=prediction,
            params=int(get("params") or 0), content_hash=str(get("content_hash")), train=get("train") or {},
            unet=get("unet") or {}, student=_student(path, get) if "student" in meta else None,
        )

    def summary(self) -> dict:
        """A JSON-friendly description (for ``bridge models`` and ``/bridge/info``)."""
        t = self.train
        return {
            "name": self.path.stem, "instrument": self.instrument, "path": str(self.path),
            "bytes": self.path.stat().st_size,
            "params": self.params, "sample_rate": self.mel.sample_rate, "n_mels": self.mel.n_mels,
            "window_frames": self.mel.window_frames, "hop_length": self.mel.hop_length,
            "n_timesteps": self.n_timesteps, "schedule": self.schedule, "prediction": self.prediction_type,
            "train_steps": t.get("steps"), "train_wall_s": t.get("wall_s"), "final_loss": t.get("final_loss"),
            "corpus": t.get("soundfont") or t.get("corpus"), "corpus_seconds": t.get("corpus_seconds"),
            "hash": self.content_hash[:12],
            "student_of": (self.student or {}).get("teacher"),
            "student": {k: (self.student or {}).get(k) for k in ("teacher", "max_steps", "strength_max")}
            if self.student else None,
            "controls": self.controls,
        }


def _student(path: Path, get) -> dict:
    """A student's ``student`` metadata, checked at load: what :func:`bridge.model.pick_student` reads."""
    s = get("student")
    steps, strength = int(s["max_steps"]), float(s["strength_max"])
    if not (steps >= 1 and 0.0 < strength <= 1.0):
        raise ModelError(f"{path.name}: student: expected max_steps >= 1 and strength_max in (0, 1], "
                         f"got {steps} and {strength}")
    return dict(s, max_steps=steps, strength_max=strength, teacher=str(s["teacher"]),
                teacher_hash=str(s["teacher_hash"]))


def _table_ok(points, ok) -> bool:
    """A measured table as :mod:`bridge.window` interpolates it: [x, y] pairs, x rising, and ``ok(x0, ys)``."""
    if not isinstance(points, list) or not points:
        return False
    if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in p)
               for p in points):
        return False
    xs = [p[0] for p in points]
    return all(b > a for a, b in zip(xs, xs[1:])) and ok(xs[0], [p[1] for p in points])


def graph_bytes(data: bytes) -> bytes:
    """The serialised GraphProto inside an ONNX file (ModelProto field 7), read from the protobuf wire format."""
    i, n = 0, len(data)

    def varint() -> int:
        nonlocal i
        shift = value = 0
        while True:
            if i >= n:
                raise ValueError("truncated varint")
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value
            shift += 7

    while i < n:
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            varint()
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            length = varint()
            if field == 7:
                if i + length > n:
                    raise ValueError("truncated graph")
                return data[i : i + length]
            i += length
        else:
            raise ValueError(f"unexpected wire type {wire}")
    raise ValueError("no graph")
