"""Distils a shipped model into a few-step student for the short split (issue 10).

The teacher is the ONNX file itself, run by the runtime's own DDIM (``bridge.sampling``,
deterministic, x0 clipped as the stream clips it), so the student learns exactly what
the daemon would have computed with the teacher's steps. The student is the same U-Net,
initialised from the teacher's weights (read back from the ONNX initialisers), trained
to predict in one call what the teacher reaches in many: for a window noised to step
``t`` (any ``t`` up to the largest strength it is for), the teacher's clean endpoint
after ``ceil(8 * (t + 1) / 500)`` DDIM steps (16 from strength 1.0, the shipped presets').
A conditioned teacher (``cond`` input) is run with each window's own control planes, and
the student learns with the same planes, dropped as often as the teacher was trained
without them. That is knowledge distillation of the sampler (Luhman & Luhman 2021) over the
part of the trajectory cross-diffusion uses; because the target is defined for every
``t``, the same student takes 1 step (straight to the endpoint) or 2 (the runtime's DDIM
re-noises to the midpoint and asks again), as consistency models do.

Resumable: the teacher's pairs and the student's checkpoints are kept in ``--work``.
The student is written as ``NAME.student.onnx`` beside the teacher, with the teacher's
self-description plus ``student`` (teacher hash, steps, strength range, the command).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np

TEACHER_STEPS_PER_500 = 8  # the default preset: 8 steps from strength 0.5
WIDTHS = (12, 16, 32, 64)  # window widths it learns: live 12, the default 32, and 16 and 64


def teacher_steps(t: int) -> int:
    return max(2, math.ceil(TEACHER_STEPS_PER_500 * (t + 1) / 500))


def unet_from_onnx(path: Path):
    """The torch U-Net with the ONNX file's weights (export.train.warm_start), checked against onnxruntime."""
    import onnx
    import onnxruntime as ort
    import torch

    from export.train import warm_start
    from export.unet import UNet, UNetConfig

    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    mel = json.loads(meta["mel"])
    model = UNet(UNetConfig.from_dict(json.loads(meta["unet"])))
    try:
        warm_start(model, path)
    except ValueError as e:  # its message names --init-from, train's option; here it is the teacher
        raise SystemExit(f"teacher {path}: {str(e).split(': ', 1)[-1]}") from None
    model.eval()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((2, 1, mel["n_mels"], 16)).astype(np.float32),
             "t": np.array([100.0, 500.0], np.float32)}
    if model.config.cond_channels:
        feeds["cond"] = rng.random((2, model.config.cond_channels, mel["n_mels"], 16)).astype(np.float32)
    with torch.no_grad():
        ref = model(*(torch.from_numpy(v) for v in feeds.values())).numpy()
    diff = float(np.abs(ref - sess.run(None, feeds)[0]).max())
    if not diff < 1e-4:
        raise SystemExit(f"{path}: the weights read back differ from the file by {diff:.3g}; export the teacher "
                         f"again with this torch version")
    return model, meta


def runtime_timesteps(t_max: int, max_steps: int) -> list[int]:
    """The timesteps the runtime calls a student at, for 1 to ``max_steps`` steps from ``t_max``."""
    from bridge import sampling

    return sorted({int(t) for n in range(1, max_steps + 1) for t in sampling.ddim_timesteps(t_max, n) if t >= 0})


def make_pairs(teacher, corpus, n_batches: int, batch: int, t_max: int, seed: int, at: list[int] = (),
               progress=None) -> dict:
    """(x_t, t, controls, teacher endpoint) for ``n_batches`` batches, one t and one width per batch.

    Every third batch is noised to one of ``at`` (the timesteps the runtime will call the
    student at), the others to a uniform t in [10, t_max]. A conditioned teacher gets each
    window's own control planes, dropped (all zero) for the share of windows it was trained
    without them, so the student keeps both modes; the teacher's endpoint is computed with
    the same planes.
    """
    from bridge import sampling

    rng = np.random.default_rng(seed)
    ab = teacher.info.alpha_bar
    n_cond = teacher.info.cond_channels
    dropout = float((teacher.info.controls or {}).get("dropout", 0.0))
    pairs: dict = {"x": [], "t": [], "y": [], "cond": []}
    for b in range(n_batches):
        width = WIDTHS[b % len(WIDTHS)]
        t = int(at[int(rng.integers(len(at)))]) if at and b % 3 == 2 else int(rng.integers(10, t_max + 1))
        cond = None
        if n_cond:
            x0, cond = corpus.sample(rng, batch, width, with_controls=True)
            cond[rng.random(batch) < dropout] = 0.0
        else:
            x0 = corpus.sample(rng, batch, width)
        eps = rng.standard_normal(x0.shape).astype(np.float32)
        xt = sampling.q_sample(x0, ab[t], eps).astype(np.float32)
        y = sampling.sample_ddim(lambda x, tt: teacher(x, tt, cond), xt.copy(),
                                 sampling.ddim_timesteps(t, teacher_steps(t)), ab, eta=0.0)
        pairs["x"].append(xt)
        pairs["t"].append(t)
        pairs["y"].append(y.astype(np.float32))
        pairs["cond"].append(cond)
        if progress:
            progress(b + 1)
    return pairs


def save_pairs(pairs: dict, path: Path, wall_s: float) -> None:
    arrays = {"wall_s": np.array(wall_s)}
    for i, (x, y, c) in enumerate(zip(pairs["x"], pairs["y"], pairs["cond"])):
        arrays[f"x{i:05d}"], arrays[f"y{i:05d}"] = x, y
        if c is not None:
            arrays[f"c{i:05d}"] = c.astype(np.float16)  # planes in [0, 1]
    arrays["t"] = np.array(pairs["t"])
    tmp = path.with_name(path.name + ".part.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def load_pairs(path: Path) -> dict:
    d = np.load(path)
    n = len(d["t"])
    return {"x": [d[f"x{i:05d}"] for i in range(n)], "t": [int(v) for v in d["t"]],
            "y": [d[f"y{i:05d}"] for i in range(n)],
            "cond": [d[f"c{i:05d}"].astype(np.float32) if f"c{i:05d}" in d.files else None for i in range(n)],
            "wall_s": float(d["wall_s"]) if "wall_s" in d.files else 0.0}


def x0_from_v(x, v, ab):
    return ab.sqrt() * x - (1 - ab).sqrt() * v


def _batch(pairs: dict, i: int, alpha_bar):
    """Pair batch ``i`` as torch tensors: x_t, t, controls (or None), alpha_bar at t, teacher endpoint."""
    import torch

    x = torch.from_numpy(pairs["x"][i])
    c = pairs["cond"][i]
    return (x, torch.full((x.shape[0],), float(pairs["t"][i])), None if c is None else torch.from_numpy(c),
            torch.tensor(float(alpha_bar[pairs["t"][i]])), torch.from_numpy(pairs["y"][i]))


def l1_of(model, pairs: dict, idx, alpha_bar) -> float:
    """Mean L1 between the model's one-call x0 (clipped as the runtime clips it) and the teacher's endpoint."""
    import torch

    total, n = 0.0, 0
    with torch.no_grad():
        for i in idx:
            x, t, c, ab, y = _batch(pairs, i, alpha_bar)
            x0 = x0_from_v(x, model(x, t, c), ab).clamp(-1, 1)
            total += float((x0 - y).abs().mean()) * x.shape[0]
            n += x.shape[0]
    return total / n


def train_student(model, pairs: dict, alpha_bar, steps: int, lr: float, ckpt: Path, seed: int,
                  held_out: int, log) -> dict:
    """Fine-tunes ``model`` on the pairs (L1 on x0), resumable from ``ckpt``; returns its history."""
    import torch

    n = len(pairs["t"])
    train_idx, val_idx = list(range(held_out, n)), list(range(held_out))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    state = {"step": 0, "history": [], "wall_s": 0.0}
    if ckpt.is_file():
        saved = torch.load(ckpt, map_location="cpu", weights_only=True)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        state = {"step": saved["step"], "history": [tuple(h) for h in saved["history"]], "wall_s": saved["wall_s"]}
        log(f"resumed at step {state['step']}")
    rng = np.random.default_rng([seed, state["step"]])
    t0 = time.time()
    model.train()
    while state["step"] < steps:
        x, t, c, ab, y = _batch(pairs, train_idx[int(rng.integers(len(train_idx)))], alpha_bar)
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * state["step"] / steps))
        loss = (x0_from_v(x, model(x, t, c), ab) - y).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        state["step"] += 1
        state["history"].append((state["step"], loss.item()))
        if state["step"] % 200 == 0 or state["step"] == steps:
            model.eval()
            val = l1_of(model, pairs, val_idx, alpha_bar)
            model.train()
            wall = state["wall_s"] + time.time() - t0
            log(f"step {state['step']}/{steps}: train L1 {np.mean([h[1] for h in state['history'][-200:]]):.4f}, "
                f"held-out L1 {val:.4f} ({wall / 60:.1f} min)")
            tmp = ckpt.with_name(ckpt.name + ".part")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": state["step"],
                        "history": state["history"], "wall_s": wall}, tmp)
            tmp.replace(ckpt)
    model.eval()
    state["wall_s"] += time.time() - t0
    return state


def export_student(model, teacher_path: Path, teacher_meta: dict, out: Path, student: dict) -> dict:
    import onnx

    from bridge.model import Denoiser
    from export.onnx_export import _onnx_bytes, check_parity

    mel = json.loads(teacher_meta["mel"])
    raw = _onnx_bytes(model, mel["n_mels"], mel["window_frames"])
    diff = check_parity(model, raw, mel["n_mels"], [12, 64], int(teacher_meta["n_timesteps"]), 1e-4)
    proto = onnx.load_from_string(raw)
    onnx.checker.check_model(proto, full_check=True)
    meta = dict(teacher_meta)
    student["onnx_vs_torch_max_abs_diff"] = float(f"{diff:.3g}")
    meta["student"] = json.dumps(student)
    meta["content_hash"] = json.dumps(hashlib.sha256(proto.graph.SerializeToString()).hexdigest())
    meta["content_hash_of"] = json.dumps("graph")
    for k, v in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    proto.producer_name = "bridge.export.distill"
    tmp = out.with_suffix(".onnx.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(proto.SerializeToString())
    try:
        den = Denoiser.load(tmp, providers=("cpu",))
        if den.info.student is None:
            raise SystemExit(f"{tmp}: the runtime does not read the student metadata back")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return {"path": str(out), "max_abs_diff": diff}


def card(name: str, s: dict, params: int) -> str:
    """The student's model card: what it is for, how it was made, how close it came."""
    return f"""# {name}

A few-step student of `{s['teacher']}` (teacher hash {s['teacher_hash'][:12]}): the same U-Net, trained to
reach in one call what the teacher's deterministic DDIM reaches in {s['teacher_steps_per_500']} steps per 500
timesteps, for strengths up to {s['strength_max']}. The runtime uses it instead of `{s['teacher']}` when a
preset sets `student: true` and asks for at most {s['max_steps']} steps at such a strength.

| | |
|---|---|
| parameters | {params:,} |
| controls | {"the teacher's pitch and onset planes, all zero for " + format(s['control_dropout'], '.0%') + " of the pairs" if s.get('controls') else "none (an unconditional teacher)"} |
| teacher pairs | {s['pairs']} windows of {', '.join(map(str, s['widths']))} frames ({s['pairs_wall_s'] / 60:.1f} min) |
| training steps | {s['train_steps']} ({s['train_wall_s'] / 60:.1f} min, {s.get('threads', 1)} CPU thread(s)) |
| held-out L1 to the teacher's endpoint, one call | teacher {s['held_out_l1_teacher_one_call']}, student {s['held_out_l1_student']} |
| onnxruntime vs torch max abs diff | {s['onnx_vs_torch_max_abs_diff']:.2e} |

Made by, on the teacher's own training corpus (the teacher's card says how it was rendered):

```
{s['command']}
```
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.distill", description=__doc__.splitlines()[0])
    p.add_argument("teacher", help="the teacher's .onnx file (e.g. bridge/models/violin.onnx)")
    p.add_argument("--corpus", required=True, help="the teacher's corpus folder (bridge corpus / export.defaults)")
    p.add_argument("--work", default="/work/train/distill", help="pairs and checkpoints (kept for resuming)")
    p.add_argument("-o", "--output", default=None, help="default: NAME.student.onnx beside the teacher")
    p.add_argument("--strength-max", type=float, default=1.0,
                   help="largest strength the student is for (default 1.0, the shipped presets' strength)")
    p.add_argument("--max-steps", type=int, default=2, help="most sampler steps the runtime uses it for")
    p.add_argument("--pair-batches", type=int, default=256, help="teacher batches of --batch pairs")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--held-out", type=int, default=16, help="pair batches kept for the held-out L1")
    p.add_argument("--steps", type=int, default=2000, help="student training steps")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)

    import torch

    from bridge.model import Denoiser
    from bridge.sampling import start_timestep
    from export.data import MelCorpus

    torch.set_num_threads(a.threads)
    teacher_path = Path(a.teacher)
    name = teacher_path.stem
    out = Path(a.output) if a.output else teacher_path.with_name(f"{name}.student.onnx")
    work = Path(a.work) / name
    work.mkdir(parents=True, exist_ok=True)
    command = "python -m export.distill " + shlex.join(argv if argv is not None else sys.argv[1:])

    def log(msg):
        print(f"{name}: {msg}", flush=True)

    teacher = Denoiser.load(teacher_path, providers=("cpu",), threads=a.threads)
    t_max = start_timestep(a.strength_max, teacher.info.n_timesteps)
    mel = teacher.info.mel
    pairs_path = work / (f"pairs-{teacher.info.content_hash[:12]}-{a.pair_batches}x{a.batch}-t{t_max}"
                         f"-n{a.max_steps}-s{a.seed}.npz")
    t0 = time.time()
    if pairs_path.is_file():
        pairs = load_pairs(pairs_path)
        pairs_s = pairs["wall_s"]
        log(f"teacher pairs from {pairs_path}")
    else:
        try:
            corpus = MelCorpus.load(Path(a.corpus), mel, progress=False, with_controls=bool(teacher.info.cond_channels))
        except FileNotFoundError as e:
            raise SystemExit(f"--corpus: {e}") from None
        every = max(1, a.pair_batches // 10)

        def progress(b):
            if b % every == 0:
                log(f"teacher pairs: {b}/{a.pair_batches} batches ({(time.time() - t0) / 60:.1f} min)")

        pairs = make_pairs(teacher, corpus, a.pair_batches, a.batch, t_max, a.seed,
                           runtime_timesteps(t_max, a.max_steps), progress)
        pairs_s = time.time() - t0
        save_pairs(pairs, pairs_path, pairs_s)
    model, meta = unet_from_onnx(teacher_path)
    model.eval()
    val_idx = list(range(a.held_out))
    teacher_l1 = l1_of(model, pairs, val_idx, teacher.info.alpha_bar)
    log(f"held-out L1 of the teacher's own one-call x0 against its {TEACHER_STEPS_PER_500}-steps-per-500 "
        f"endpoint: {teacher_l1:.4f}")
    ckpt = work / f"student-{pairs_path.stem}.pt"
    state = train_student(model, pairs, teacher.info.alpha_bar, a.steps, a.lr, ckpt, a.seed, a.held_out, log)
    student_l1 = l1_of(model, pairs, val_idx, teacher.info.alpha_bar)
    student = {
        "teacher": name, "teacher_hash": teacher.info.content_hash, "strength_max": a.strength_max,
        "max_steps": a.max_steps, "controls": bool(teacher.info.cond_channels),
        "control_dropout": float((teacher.info.controls or {}).get("dropout", 0.0)), "teacher_steps_per_500": TEACHER_STEPS_PER_500, "widths": list(WIDTHS),
        "pairs": a.pair_batches * a.batch, "train_steps": state["step"], "lr": a.lr, "threads": a.threads,
        "pairs_wall_s": round(pairs_s, 1), "train_wall_s": round(state["wall_s"], 1),
        "held_out_l1_teacher_one_call": round(teacher_l1, 5), "held_out_l1_student": round(student_l1, 5),
        "command": command,
    }
    if out.exists():
        log(f"replacing {out} (the student made before from the same teacher)")
    r = export_student(model, teacher_path, meta, out, student)
    out.with_suffix(".md").write_text(card(out.stem, student, int(json.loads(meta["params"]))))
    log(f"wrote {r['path']} (held-out L1 {teacher_l1:.4f} -> {student_l1:.4f}; onnxruntime vs torch "
        f"{r['max_abs_diff']:.2e})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
