"""Trains one per-instrument DDPM on log-mel windows, unconditional or with structure controls.

With ``--controls`` the network also sees its own audio's pitch and onset planes
(:mod:`bridge.controls`), dropped out ``control_dropout`` of the time; ``--init-from`` starts
from an exported model's weights.

Recipe (the report, section 4.2): cosine variance schedule, cosine learning rate with
linear warm-up, L1 loss (L2 as an option). The network predicts v (Salimans & Ho
2022) rather than eps: under the cosine schedule eps-prediction makes x0 ill-posed
near t = T, while v keeps the target at unit scale at every t, which helps the few-step
DDIM sampling the runtime relies on. The runtime converts v to eps and x0 exactly.

Runs on one process or under ``torchrun`` (DDP: gloo on CPU, nccl on GPU). Resumes
from ``OUT/ckpt.pt`` when it exists; checkpoints are written atomically.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bridge.config import MelConfig
from bridge.sampling import SCHEDULES
from export.data import MelCorpus
from export.unet import UNet, UNetConfig, n_params

log = logging.getLogger("export.train")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; saved in the checkpoint and the model card."""

    instrument: str
    corpus: str
    out: str
    steps: int = 6000
    batch_size: int = 32
    lr: float = 4e-4
    lr_min: float = 1e-5
    warmup_steps: int = 200
    weight_decay: float = 0.0
    loss: str = "l1"
    prediction_type: str = "v"
    schedule: str = "cosine"
    n_timesteps: int = 1000
    ema_decay: float = 0.999
    widths: tuple[int, ...] = (64, 32, 16)
    width_probs: tuple[float, ...] = (0.6, 0.3, 0.1)
    seed: int = 0
    precision: str = "bf16"
    threads: int = 0
    ckpt_every: int = 250
    grad_clip: float = 1.0
    control_dropout: float = 0.25  # conditioned models: share of windows trained without controls
    init_from: str | None = None  # warm start: weights of an exported model (.onnx) or a checkpoint
    unet: UNetConfig = field(default_factory=UNetConfig)
    mel: MelConfig = field(default_factory=MelConfig)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["unet"] = self.unet.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d["unet"] = UNetConfig.from_dict(d["unet"])
        d["mel"] = MelConfig.from_dict(d["mel"])
        d["widths"] = tuple(d["widths"])
        d["width_probs"] = tuple(d["width_probs"])
        return cls(**d)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine annealing to ``lr_min`` at ``cfg.steps``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    return cfg.lr_min + 0.5 * (cfg.lr - cfg.lr_min) * (1.0 + math.cos(math.pi * progress))


def _dist():
    """Returns (rank, world_size), initialising torch.distributed under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def _save_atomic(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def plot_losses(history: list[tuple[int, float]], path: Path, title: str) -> None:
    """Writes the loss curve (raw and smoothed) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not history:
        return
    steps, losses = np.array(history).T
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    ax.plot(steps, losses, lw=0.5, alpha=0.4, label="loss")
    k = max(1, len(losses) // 50)
    if len(losses) > k:
        smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1 :], smooth, lw=1.5, label=f"mean of {k}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def warm_start(model: UNet, path: Path) -> int:
    """Loads the weights of an exported model (or a checkpoint's EMA) into ``model``; returns how many tensors.

    A conditioned model started from an unconditional one gets the extra input channels
    of ``conv_in`` at zero: it begins as exactly that model and learns to use the controls.
    """
    path = Path(path)
    if path.suffix == ".onnx":
        import onnx
        from onnx import numpy_helper

        graph = onnx.load(str(path)).graph
        weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
        # The exporter writes GroupNorm as InstanceNormalization then Mul (weight) and Add (bias)
        # by constants named onnx::Mul_N / onnx::Add_N; the node's scope names the module.
        for node in graph.node:
            const = [i for i in node.input if i.startswith("onnx::") and i in weights]
            if node.op_type in ("Mul", "Add") and const and "/norm" in node.name:
                module = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
                weights[f"{module}.{'weight' if node.op_type == 'Mul' else 'bias'}"] = weights[const[0]].reshape(-1)
    else:
        weights = torch.load(path, map_location="cpu", weights_only=True)["ema"]
    own = model.state_dict()
    loaded = 0
    for name, value in own.items():
        w = weights.get(name)
        if w is None:
            raise ValueError(f"--init-from {path}: has no weight {name!r}; it was trained with another network")
        if w.shape != value.shape:
            if name == "conv_in.weight" and w.shape[1] <= value.shape[1] and w.shape[0] == value.shape[0]:
                w = torch.cat([w, torch.zeros(value.shape[0], value.shape[1] - w.shape[1], *value.shape[2:])], dim=1)
            else:
                raise ValueError(f"--init-from {path}: {name} is {tuple(w.shape)}, this network wants {tuple(value.shape)}")
        own[name] = w.to(value.dtype)
        loaded += 1
    model.load_state_dict(own)
    return loaded


def train(cfg: TrainConfig, progress: bool = True, stop_at: int | None = None, command: str | None = None) -> dict:
    """Runs (or resumes) training; returns a summary with final loss, steps and wall time.

    ``stop_at`` pauses early (checkpointed) without changing the schedule, which is
    always laid out over ``cfg.steps``.
    """
    stop = min(cfg.steps, stop_at or cfg.steps)
    rank, world = _dist()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if torch.cuda.is_available() else torch.device("cpu")
    if cfg.batch_size % world:
        raise ValueError(f"batch_size: expected a multiple of the {world} processes, got {cfg.batch_size}")
    per_rank = cfg.batch_size // world

    corpus = MelCorpus.load(Path(cfg.corpus), cfg.mel, progress=progress and rank == 0,
                            with_controls=cfg.unet.cond_channels > 0)
    alpha_bar = torch.tensor(SCHEDULES[cfg.schedule](cfg.n_timesteps), dtype=torch.float32, device=device)

    torch.manual_seed(cfg.seed)  # identical initial weights on every rank
    model = UNet(cfg.unet).to(device)
    ema = UNet(cfg.unet).to(device)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, history, wall = 0, [], 0.0
    ckpt_path = out / "ckpt.pt"
    data_rng = np.random.default_rng([cfg.seed, rank])
    if ckpt_path.is_file():
        state = torch.load(ckpt_path, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step, history, wall = state["step"], state["history"], state["wall_s"]
        data_rng = np.random.default_rng([cfg.seed, rank, step])
        torch.manual_seed(cfg.seed * 1000003 + step * 7 + rank)
        if rank == 0:
            log.info("resumed %s at step %d", cfg.instrument, step)
    else:
        if cfg.init_from:
            n = warm_start(model, Path(cfg.init_from))
            ema.load_state_dict(model.state_dict())
            if rank == 0:
                log.info("%s: %d weight tensors from %s", cfg.instrument, n, cfg.init_from)
        torch.manual_seed(cfg.seed + 1 + rank)
    with_controls = cfg.unet.cond_channels > 0
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    if rank == 0:
        (out / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=1))
        log.info("%s: %d params, corpus %.0f s, %d processes", cfg.instrument, n_params(model), corpus.seconds, world)
    from tqdm import tqdm

    bar = tqdm(total=cfg.steps, initial=step, desc=f"train {cfg.instrument}", unit="step",
               disable=not progress or rank != 0)
    use_bf16 = cfg.precision == "bf16"
    probs = np.array(cfg.width_probs, dtype=np.float64) / sum(cfg.width_probs)
    t_last = time.time()
    running = None

    def save():
        _save_atomic({"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                      "step": step, "history": history, "wall_s": wall, "config": cfg.to_dict(),
                      "corpus_seconds": corpus.seconds, "corpus": corpus.manifest.get("source", cfg.corpus),
                      "soundfont": corpus.manifest.get("soundfont"), "command": command}, ckpt_path)
        plot_losses(history, out / "loss.png", f"{cfg.instrument}: {step} steps")

    while step < stop:
        width = int(data_rng.choice(cfg.widths, p=probs)) if not corpus.one_shots else max(cfg.widths)
        cond = None
        if with_controls:
            x0, planes = corpus.sample(data_rng, per_rank, width, with_controls=True)
            planes[data_rng.random(per_rank) < cfg.control_dropout] = 0.0  # "no controls" = the seed's model
            x0, cond = torch.from_numpy(x0).to(device), torch.from_numpy(planes).to(device)
        else:
            x0 = torch.from_numpy(corpus.sample(data_rng, per_rank, width)).to(device)
        t = torch.randint(0, cfg.n_timesteps, (per_rank,), device=device)
        eps = torch.randn_like(x0)
        ab = alpha_bar[t].view(-1, 1, 1, 1)
        x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * eps  # the report's eq. (2.2)
        target = ab.sqrt() * eps - (1 - ab).sqrt() * x0 if cfg.prediction_type == "v" else eps
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            pred = net(x_t, t.float(), cond)
        err = pred.float() - target
        loss = err.abs().mean() if cfg.loss == "l1" else err.pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        decay = min(cfg.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1.0 - decay)
        step += 1
        now = time.time()
        wall += now - t_last
        t_last = now
        value = float(loss.detach())
        running = value if running is None else 0.98 * running + 0.02 * value
        history.append((step, value))
        bar.update(1)
        bar.set_postfix(loss=f"{running:.4f}", lr=f"{lr_at(step, cfg):.1e}")
        if rank == 0 and (step % cfg.ckpt_every == 0 or step == stop):
            save()
    bar.close()
    if rank == 0 and not ckpt_path.is_file():
        save()
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
    tail = [v for _, v in history[-200:]]
    return {"instrument": cfg.instrument, "steps": step, "wall_s": round(wall, 1),
            "final_loss": round(float(np.mean(tail)), 5) if tail else None, "params": n_params(model),
            "corpus_seconds": round(corpus.seconds, 1)}


def build_parser(p: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = p or argparse.ArgumentParser(prog="bridge train", description=__doc__.splitlines()[0])
    p.add_argument("corpus", help="folder of one instrument's wav files (bridge corpus writes CORPUS/NAME), "
                                   "or that corpus packed into one .npz (python -m export.data)")
    p.add_argument("--name", help="instrument name (default: the corpus folder's name)")
    p.add_argument("-o", "--out", help="run folder for checkpoints (default: runs/NAME)")
    d = TrainConfig("x", "x", "x")
    helps = {"steps": "optimiser steps in all (the learning-rate schedule spans them)",
             "batch_size": "windows per step, over all processes", "lr": "peak learning rate (AdamW)",
             "warmup_steps": "steps of linear learning-rate warm-up", "seed": "random seed (windows, noise, init)",
             "threads": "torch CPU threads per process (0: torch's default)",
             "ckpt_every": "steps between checkpoints (a run resumes from the last one)",
             "ema_decay": "decay of the weights' moving average (what is exported)"}
    for key, text in helps.items():
        p.add_argument("--" + key.replace("_", "-"), type=type(getattr(d, key)), default=getattr(d, key),
                       help=f"{text} (default {getattr(d, key)})")
    p.add_argument("--loss", choices=("l1", "l2"), default=d.loss, help=f"training loss (default {d.loss})")
    p.add_argument("--prediction-type", choices=("v", "eps"), default=d.prediction_type,
                   help=f"what the network predicts (default {d.prediction_type})")
    p.add_argument("--schedule", choices=tuple(SCHEDULES), default=d.schedule,
                   help=f"noise schedule (default {d.schedule})")
    p.add_argument("--precision", choices=("bf16", "fp32"), default=d.precision,
                   help=f"autocast precision on CPU/GPU (default {d.precision})")
    p.add_argument("--channels", default=",".join(map(str, d.unet.channels)), help="U-Net channels per level")
    p.add_argument("--blocks-per-level", type=int, default=d.unet.blocks_per_level,
                   help=f"residual blocks per U-Net level (default {d.unet.blocks_per_level})")
    p.add_argument("--controls", action="store_true",
                   help="condition on the pitch and onset planes of bridge.controls (dropped out part of the time)")
    p.add_argument("--control-dropout", type=float, default=d.control_dropout,
                   help=f"share of windows trained without controls (default {d.control_dropout})")
    p.add_argument("--init-from", help="start from the weights of an exported model (.onnx) or checkpoint")
    p.add_argument("--widths", default=",".join(map(str, d.widths)), help="window widths in frames to train on")
    p.add_argument("--stop-at", type=int, help="pause after this many steps (the schedule still spans --steps)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def config_from_args(a: argparse.Namespace) -> TrainConfig:
    corpus = Path(a.corpus)
    name = a.name or (corpus.stem if corpus.suffix == ".npz" else corpus.name)
    widths = tuple(int(w) for w in a.widths.split(","))
    probs = TrainConfig("x", "x", "x").width_probs
    probs = probs[: len(widths)] if len(widths) <= len(probs) else (1.0,) * len(widths)
    from bridge.controls import CONTROL_CHANNELS

    unet = UNetConfig(channels=tuple(int(c) for c in a.channels.split(",")), blocks_per_level=a.blocks_per_level,
                      cond_channels=CONTROL_CHANNELS if a.controls else 0)
    if not 0.0 <= a.control_dropout <= 1.0:
        raise SystemExit(f"--control-dropout: expected in [0, 1], got {a.control_dropout}")
    for w in widths:
        if w % unet.frame_multiple:
            raise SystemExit(f"--widths: {w} is not a multiple of {unet.frame_multiple}")
    return TrainConfig(
        instrument=name, corpus=str(corpus), out=a.out or f"runs/{name}", steps=a.steps, batch_size=a.batch_size,
        lr=a.lr, warmup_steps=a.warmup_steps, loss=a.loss, prediction_type=a.prediction_type, schedule=a.schedule,
        ema_decay=a.ema_decay, widths=widths, width_probs=probs, seed=a.seed, precision=a.precision,
        threads=a.threads, ckpt_every=a.ckpt_every, unet=unet, control_dropout=a.control_dropout,
        init_from=a.init_from,
        mel=replace(MelConfig(), window_frames=max(widths), frame_multiple=unet.frame_multiple),
    )


def main(argv=None) -> int:
    a = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = config_from_args(a)
    ckpt = Path(cfg.out) / "ckpt.pt"
    if ckpt.is_file():
        saved = TrainConfig.from_dict(torch.load(ckpt, map_location="cpu", weights_only=True)["config"])
        if saved.unet != cfg.unet or saved.mel != cfg.mel or saved.prediction_type != cfg.prediction_type:
            raise SystemExit(f"{ckpt}: was trained with another network, mel or prediction type; use a new --out")
    command = "bridge train " + shlex.join(sys.argv[1:] if argv is None else argv)
    summary = train(cfg, progress=not a.quiet, stop_at=a.stop_at, command=command)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
