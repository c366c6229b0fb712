"""Exports a trained checkpoint to one self-describing ONNX file and checks it.

The file holds the EMA weights (no external data) and, in ``metadata_props``, all the
runtime needs: mel settings, the noise schedule, prediction type, shapes, and where
the model came from. Checks, each of which stops the export with a clear message:
``onnx.checker``; onnxruntime against torch on random inputs at several t (max abs
difference below ``atol``); a forward on zeros through the declared shapes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from bridge.config import MelConfig
from bridge.model import FORMAT, METADATA_KEYS
from bridge.sampling import SCHEDULES
from export.train import TrainConfig
from export.unet import UNet, n_params


class ExportError(RuntimeError):
    """An exported model failed one of its checks."""


def load_checkpoint(path: Path) -> tuple[UNet, TrainConfig, dict]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    cfg = TrainConfig.from_dict(state["config"])
    model = UNet(cfg.unet)
    model.load_state_dict(state["ema"])
    model.eval()
    return model, cfg, state


def _onnx_bytes(model: UNet, n_mels: int, n_frames: int) -> bytes:
    buf = io.BytesIO()
    x = torch.zeros(1, 1, n_mels, n_frames)
    t = torch.zeros(1)
    n_cond = model.config.cond_channels
    args, names = ((x, t), ["x", "t"]) if not n_cond else ((x, t, torch.zeros(1, n_cond, n_mels, n_frames)),
                                                            ["x", "t", "cond"])
    axes = {"x": {0: "batch", 3: "frames"}, "t": {0: "batch"}, "pred": {0: "batch", 3: "frames"}}
    if n_cond:
        axes["cond"] = {0: "batch", 3: "frames"}
    # The legacy exporter on purpose: it writes one self-contained file (the dynamo exporter writes
    # weights to a separate .onnx.data unless told otherwise) and runs at the same speed in onnxruntime.
    # Its deprecation notices, and GroupNorm's trace-time shape check, are expected here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(
            model, args, buf, input_names=names, output_names=["pred"], dynamic_axes=axes,
            opset_version=17, dynamo=False,
        )
    return buf.getvalue()


def metadata_for(cfg: TrainConfig, state: dict, command: str | None) -> dict[str, str]:
    """The ``metadata_props`` of an exported model (values are JSON text)."""
    alpha_bar = SCHEDULES[cfg.schedule](cfg.n_timesteps)
    tail = [v for _, v in state["history"][-200:]]
    meta = {
        "format": FORMAT,
        "instrument": cfg.instrument,
        "mel": asdict(cfg.mel),
        "n_timesteps": cfg.n_timesteps,
        "schedule": cfg.schedule,
        "alpha_bar": [float(f"{a:.9g}") for a in alpha_bar],
        "prediction_type": cfg.prediction_type,
        "inputs": {"x": ["batch", 1, cfg.mel.n_mels, "frames"], "t": ["batch"]} | (
            {"cond": ["batch", cfg.unet.cond_channels, cfg.mel.n_mels, "frames"]} if cfg.unet.cond_channels else {}),
        "outputs": {"pred": ["batch", 1, cfg.mel.n_mels, "frames"]},
        "unet": cfg.unet.to_dict(),
        "params": None,
        "train": {
            "corpus": state.get("corpus", cfg.corpus),
            "soundfont": state.get("soundfont"),
            "corpus_seconds": round(float(state.get("corpus_seconds", 0.0)), 1),
            "steps": int(state["step"]),
            "wall_s": round(float(state["wall_s"]), 1),
            "final_loss": round(float(np.mean(tail)), 5) if tail else None,
            "loss": cfg.loss,
            "batch_size": cfg.batch_size,
            "lr": cfg.lr,
            "seed": cfg.seed,
            "command": command,
        },
    }
    if cfg.unet.cond_channels:
        from bridge.controls import PLANES

        meta["controls"] = {"planes": PLANES, "channels": cfg.unet.cond_channels, "dropout": cfg.control_dropout,
                            "init_from": Path(cfg.init_from).name if cfg.init_from else None,
                            **_corpus_measures(cfg)}
    return {k: json.dumps(v) for k, v in meta.items()}


def _corpus_measures(cfg: TrainConfig) -> dict:
    """What is measured on the corpus (when at hand): note attack and decay, vibrato, noise share."""
    try:
        return measure_corpus(Path(cfg.corpus), cfg.mel)
    except (OSError, ValueError) as e:
        print(f"bridge export: corpus not measured ({e}); loudness: note will hold notes flat, "
              f"noise: measured is not available", file=sys.stderr)
        return {}


# What measure_corpus may write into a model's controls: a new measurement replaces all of them,
# so a value the new one does not give (a table from too few notes) is not left from the last.
MEASURES = ("note_attack_s", "note_decay_db_s", "note_decay_by_pitch", "note_decay_by_band", "vibrato_cents",
            "vibrato_hz", "vibrato_by_pitch", "noise_share")


def measure_corpus(folder: Path, mel: MelConfig) -> dict:
    """``loudness: note``'s envelope and vibrato (export.data.note_envelope) and ``noise: measured``'s share."""
    from export.data import MelCorpus, note_envelope, noise_share

    corpus = MelCorpus.load(folder, mel, progress=False, with_controls=True)
    measured = dict(note_envelope(corpus) or {})
    if Path(folder).is_dir():
        measured["noise_share"] = noise_share(folder, mel)
    else:  # a packed corpus (export.data) holds mels, not the audio the share is measured on
        print(f"bridge export: {folder} is packed, without its audio: noise share not measured (noise: measured "
              f"will play the fill); measure it later with `bridge export --measure AUDIO_FOLDER MODEL.onnx`",
              file=sys.stderr)
    return measured


def check_parity(model: UNet, onnx_bytes: bytes, n_mels: int, frames: list[int], n_timesteps: int,
                 atol: float) -> float:
    """Max abs difference between torch and onnxruntime on random inputs at several t."""
    import onnxruntime as ort

    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for n_frames in frames:
        for t in (0, n_timesteps // 4, n_timesteps // 2, 3 * n_timesteps // 4, n_timesteps - 1):
            x = rng.standard_normal((2, 1, n_mels, n_frames)).astype(np.float32)
            tt = np.full(2, t, dtype=np.float32)
            feeds = {"x": x, "t": tt}
            if model.config.cond_channels:  # planes in [0, 1], as bridge.controls makes them
                feeds["cond"] = rng.random((2, model.config.cond_channels, n_mels, n_frames)).astype(np.float32)
            with torch.no_grad():
                ref = model(*(torch.from_numpy(v) for v in feeds.values())).numpy()
            got = sess.run(["pred"], feeds)[0]
            worst = max(worst, float(np.max(np.abs(ref - got))))
    if not worst < atol:
        raise ExportError(f"onnxruntime differs from torch by {worst:.3g} (allowed {atol:g}); not exported")
    return worst


def export_onnx(ckpt: Path, out: Path, command: str | None = None, atol: float = 1e-4) -> dict:
    """Writes ``out`` from checkpoint ``ckpt``; returns a summary of the checks."""
    import onnx

    model, cfg, state = load_checkpoint(Path(ckpt))
    mel = cfg.mel
    raw = _onnx_bytes(model, mel.n_mels, mel.window_frames)
    proto = onnx.load_from_string(raw)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as e:
        raise ExportError(f"onnx.checker rejected the graph: {e}") from None
    frames = sorted({mel.window_frames, mel.frame_multiple * 2, mel.window_frames // 2} - {0})
    diff = check_parity(model, raw, mel.n_mels, frames, cfg.n_timesteps, atol)

    # The training command as the checkpoint recorded it, unless the caller says otherwise.
    meta = metadata_for(cfg, state, command or state.get("command") or f"unknown (trained before commands were "
                                                                      f"recorded; exported from {ckpt})")
    params = n_params(model)
    meta["params"] = json.dumps(params)
    # The hash covers the graph with its weights (not the metadata), so two files with the same
    # network and weights share it whatever their provenance says, and the runtime checks it at
    # load without the onnx package (bridge.model.graph_bytes reads the graph off the wire).
    meta["content_hash"] = json.dumps(hashlib.sha256(proto.graph.SerializeToString()).hexdigest())
    meta["content_hash_of"] = json.dumps("graph")
    missing = set(METADATA_KEYS) - set(meta)
    if missing:
        raise ExportError(f"metadata lacks {sorted(missing)}")
    for k, v in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    proto.producer_name = "bridge.export"
    data = proto.SerializeToString()

    # The file the runtime will load: read back through bridge.model, as the daemon does.
    from bridge.model import Denoiser

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".onnx.tmp")
    tmp.write_bytes(data)
    try:
        den = Denoiser.load(tmp, providers=("cpu",))
        zeros = np.zeros((1, 1, mel.n_mels, mel.window_frames), dtype=np.float32)
        pred = den.predict(zeros, np.zeros(1, dtype=np.int64))
        if pred.shape != zeros.shape or not np.all(np.isfinite(pred)):
            raise ExportError(f"forward on zeros gave shape {pred.shape}, finite={np.all(np.isfinite(pred))}")
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return {"path": str(out), "instrument": cfg.instrument, "bytes": len(data), "params": params,
            "max_abs_diff": diff, "steps": int(state["step"]), "wall_s": round(float(state["wall_s"]), 1),
            "final_loss": json.loads(meta["train"])["final_loss"]}


def _rewrite_props(path: Path, update) -> None:
    """Rewrites an exported model's metadata with ``update(props)`` (JSON text values); the graph is untouched."""
    import onnx

    proto = onnx.load(str(path))
    props = {e.key: e.value for e in proto.metadata_props}
    update(props, proto)
    del proto.metadata_props[:]
    for k, v in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    tmp = path.with_suffix(".onnx.tmp")
    onnx.save(proto, str(tmp))
    tmp.replace(path)


def restamp(path: Path) -> str:
    """Rewrites an exported model's content hash in the graph form the runtime checks; returns it.

    For models exported before the hash covered only the graph (weights and structure
    are untouched, only two metadata entries change).
    """
    digest = []

    def update(props, proto):
        digest.append(hashlib.sha256(proto.graph.SerializeToString()).hexdigest())
        props.update(content_hash=json.dumps(digest[0]), content_hash_of=json.dumps("graph"))

    _rewrite_props(Path(path), update)
    return digest[0]


def measure(path: Path, corpus: Path, cache: dict | None = None) -> dict:
    """Writes what is measured on ``corpus`` (:func:`measure_corpus`) into a conditioned model's ``controls``.

    For models exported before a measurement existed (``noise_share``): weights, graph and
    content hash are untouched. Returns the measured values; ``cache`` keeps them per mel
    setting, so several models of one corpus are measured once.
    """
    path = Path(path)
    measured = {}
    cache = {} if cache is None else cache

    def update(props, proto):
        if "controls" not in props:
            raise ExportError(f"{path.name}: not a conditioned model (no controls); nothing to measure for it")
        if not Path(corpus).is_dir():
            raise ExportError(f"{corpus}: not a folder of audio; --measure reads the recordings the model was "
                              f"trained on (a packed corpus holds only their mels)")
        mel = MelConfig.from_dict(json.loads(props["mel"]), "mel.")
        if mel not in cache:
            cache[mel] = measure_corpus(Path(corpus), mel)
        measured.update(cache[mel])
        kept = {k: v for k, v in json.loads(props["controls"]).items() if k not in MEASURES}
        props["controls"] = json.dumps({**kept, **measured})

    _rewrite_props(path, update)
    return measured


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="bridge export", description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", nargs="?", help="runs/NAME/ckpt.pt")
    p.add_argument("-o", "--out", help="where to write NAME.onnx")
    p.add_argument("--atol", type=float, default=1e-4, help="largest torch/onnxruntime difference accepted")
    p.add_argument("--command", help="the training command, recorded in the metadata (default: the checkpoint's)")
    p.add_argument("--restamp", nargs="+", metavar="MODEL.onnx",
                   help="instead: rewrite these models' content hash in the form the runtime checks at load")
    p.add_argument("--measure", nargs="+", metavar=("CORPUS", "MODEL.onnx"),
                   help="instead: measure CORPUS (the models' training audio) and write its note envelope, vibrato "
                        "and noise share into these models")
    a = p.parse_args(argv)
    if a.restamp:
        for model in a.restamp:
            print(f"{model}: content hash {restamp(Path(model))[:12]} (graph)")
        return 0
    if a.measure:
        if len(a.measure) < 2:
            p.error("--measure: give the corpus folder, then one or more MODEL.onnx")
        cache: dict = {}
        try:
            for model in a.measure[1:]:
                m = measure(Path(model), Path(a.measure[0]), cache)
                print(f"{model}: measured on {a.measure[0]}: " + ", ".join(
                    f"{k} {v}" for k, v in m.items() if k != "noise_share")
                    + f", noise share {min(m['noise_share']):.3f}-{max(m['noise_share']):.3f} over {len(m['noise_share'])} bands")
        except (ExportError, OSError, ValueError) as e:
            print(f"bridge export: {e}", file=sys.stderr)
            return 1
        return 0
    if not a.checkpoint or not a.out:
        p.error("give a checkpoint and -o/--out (or --restamp MODEL.onnx ...)")
    try:
        summary = export_onnx(Path(a.checkpoint), Path(a.out), a.command, a.atol)
    except ExportError as e:
        print(f"bridge export: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
