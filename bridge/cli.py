"""The ``bridge`` command: argparse only. Heavy imports happen inside subcommands, so ``bridge --help`` is instant.

Commands beyond the runtime's (``eval``, ``bench``, ``sweep``, ``corpus``, ``train``,
``export``) are plugins: packages register them under the ``bridge.commands`` entry
point group (see ``pyproject.toml``) and get the rest of the command line. The runtime
does not know which package provides them; a plugin whose extra is not installed is
refused with the install command.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from . import __version__
from .errors import BindError, BridgeError, ModelError, ParameterError

log = logging.getLogger("bridge")

EXIT_CODES = {ParameterError: 2, ModelError: 3, BindError: 4}
PLUGIN_GROUP = "bridge.commands"
# Must be in the environment before numpy loads OpenBLAS: its spinning worker threads
# otherwise take a core from onnxruntime (measured: 0.545 vs 0.244 CPU-s per audio-s).
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads() -> None:
    """Sets one BLAS thread unless the user chose otherwise; call before anything imports numpy."""
    for name in THREAD_ENV:
        os.environ.setdefault(name, "1")


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", action="append", default=[], metavar="DIR",
                   help="extra folder of .onnx models (searched before the shipped ones)")
    p.add_argument("--provider", choices=("auto", "cuda", "cpu"), default="auto",
                   help="execution provider; auto uses CUDA only when it really runs (default: auto)")
    p.add_argument("--threads", type=int, default=0,
                   help="onnxruntime threads per model call (default: cores, at most 4; serve: 1, beside its "
                        "model thread)")


def add_sampler_args(p: argparse.ArgumentParser) -> None:
    """``--preset`` and one option per sampler and render parameter (config.PARAMS: the same names,
    ranges and help as preset YAML and ``/bridge/param/set``), each overriding the preset's value."""
    from .config import PARAMS

    p.add_argument("--preset", help="preset name or .yaml path (its values are the defaults below)")
    for name in SAMPLER_KEYS:
        spec = PARAMS[name]
        flag = "--" + name.replace("_", "-")
        if spec.kind == "bool":
            p.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=spec.doc)
            continue
        fmt = "d" if spec.kind == "int" else "g"
        bounds = f" ({spec.lo:{fmt}} to {spec.hi:{fmt}})" if spec.lo is not None else ""
        p.add_argument(flag, dest=name, type={"int": int, "float": float, "str": str}[spec.kind],
                       choices=spec.choices, help=spec.doc.replace("%", "%%") + bounds)


def _sampler_keys() -> tuple[str, ...]:
    from .config import PARAMS

    return tuple(name for name, spec in PARAMS.items() if spec.section in ("sampler", "render"))


SAMPLER_KEYS = _sampler_keys()


def preset_from_args(args, target: str | None = None):
    """The preset named by ``--preset`` (or the default), with ``target`` and the sampler options applied."""
    from .config import Preset
    from .presets import resolve_preset

    preset = resolve_preset(args.preset) if args.preset else Preset()
    if target:
        preset = preset.with_param("target", target)
    return preset.with_params(**{k: getattr(args, k, None) for k in SAMPLER_KEYS})


def models_from_args(args):
    from .model import ModelSet

    return ModelSet(args.models, args.provider, args.threads)


def add_output_args(p: argparse.ArgumentParser, subtype: bool = False) -> None:
    p.add_argument("-y", "--overwrite", action="store_true",
                   help="replace output files that exist (without it they are refused; an input never is)")
    if subtype:
        p.add_argument("--subtype", default=None,
                       help="sample format, e.g. PCM_16, PCM_24, FLOAT (default: the input's, when the format allows)")


def progress_bar(total: float, desc: str, unit: str = "s", scale: float = 1.0):
    """A tqdm bar on a terminal (none when stderr is redirected) and its ``update(n)`` in the caller's units.

    The format uses ``total_fmt`` (text), never ``{total:.1f}``: tqdm sets ``total`` to None
    when the count passes it, and a number format of None raises.
    """
    from tqdm import tqdm

    bar = tqdm(total=round(total * scale, 2), desc=desc, unit=unit, disable=not sys.stderr.isatty(),
               bar_format="{l_bar}{bar}| {n:.1f}/{total_fmt} {unit} [{elapsed}<{remaining}]")
    return bar, (lambda n: bar.update(n * scale))


# -- commands ---------------------------------------------------------------------------
def cmd_models(args) -> int:
    from .model import ModelSet, read_metadata

    ms = ModelSet(args.models, "cpu")
    rows = []
    for name, path in sorted(ms.paths().items()):
        try:
            rows.append(read_metadata(path).summary())
        except ModelError as e:
            rows.append({"name": name, "path": str(path), "error": str(e)})
    if args.json:
        import json

        print(json.dumps(rows, indent=1))
        return 0
    if not rows:
        print("no models found (looked in: " + ", ".join(map(str, ms.dirs)) + ")")
        return 1
    width = max(10, *(len(r["name"]) for r in rows))
    print(f"{'name':{width}} {'MB':>5} {'params':>8} {'rate':>6} {'mels':>4} {'win':>4} {'steps':>6} {'min':>6} "
          f"{'loss':>7}  {'kind':28}  corpus")
    for r in rows:
        if "error" in r:
            print(f"{r['name']:{width}} ERROR {r['error']}")
            continue
        print(f"{r['name']:{width}} {r['bytes'] / 1e6:5.2f} {r['params']:8d} {r['sample_rate']:6d} {r['n_mels']:4d} "
              f"{r['window_frames']:4d} {r['train_steps'] or 0:6d} {(r['train_wall_s'] or 0) / 60:6.1f} "
              f"{r['final_loss'] or 0:7.4f}  {_kind(r):28}  {r['corpus']} ({r['corpus_seconds']} s)")
    return 0


def _kind(r: dict) -> str:
    """What a model is for, in a few words: conditioned on pitch and onsets, a student, or neither."""
    s = r.get("student")
    if s:
        return f"student of {s['teacher']}, <={s['max_steps']} steps"
    return "pitch+onset controls" if r.get("controls") else "unconditional"


def cmd_presets(args) -> int:
    from .config import preset_to_yaml
    from .presets import PresetLibrary

    lib = PresetLibrary(args.presets)
    if args.name:
        print(preset_to_yaml(lib[args.name]), end="")
        return 0
    for name in lib.names():
        p = lib.presets[name]
        print(f"{name:20} {p.mode:9} {p.target:8} {p.description}")
    for name, err in sorted(lib.errors.items()):
        print(f"{name:20} ERROR {err}")
    return 0


def cmd_transfer(args) -> int:
    from . import audio_io, offline

    audio_io.check_output(args.output, args.overwrite, [args.input])  # before minutes of work, not after
    y, sr = audio_io.read(args.input)
    preset = preset_from_args(args, args.to)
    models = models_from_args(args)
    models[preset.target]  # load before timing and say which provider runs
    bar, tick = progress_bar(y.shape[1], f"{Path(args.input).name} -> {preset.target}", scale=1.0 / sr)
    try:
        out = offline.transfer(y, sr, models, preset, progress=tick)
    finally:
        bar.close()
    _warn_nonfinite(y)
    audio_io.write(args.output, out, sr, args.subtype or audio_io.subtype_of(args.input), overwrite=args.overwrite,
                   protect=[args.input])
    print(f"wrote {args.output}: {out.shape[1] / sr:.2f} s, {sr} Hz, {out.shape[0]} ch "
          f"(target {preset.target}, strength {preset.sampler.strength}, steps {preset.sampler.steps}, "
          f"seed {preset.sampler.seed}, provider {models.provider})")
    return 0


def _warn_nonfinite(y) -> None:
    import numpy as np

    bad = int(np.size(y) - np.count_nonzero(np.isfinite(y)))
    if bad:
        log.warning("the input held %d NaN/Inf samples; they were treated as silence", bad)


def _config_from_args(cls, args):
    from dataclasses import fields

    return cls.from_dict({f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None})


def cmd_generate(args) -> int:
    from . import audio_io, offline
    from .config import GenerateConfig

    config = _config_from_args(GenerateConfig, args)
    models = models_from_args(args)
    den = models[args.model]
    out = Path(args.output)
    paths = [out / f"{args.model}_{config.seed}_{i:03d}.wav" for i in range(config.n)]
    for p in paths:
        audio_io.check_output(p, args.overwrite)
    clips = offline.generate(den, config)
    for p, y in zip(paths, clips):
        audio_io.write(p, y, den.info.mel.sample_rate, overwrite=args.overwrite)
    print(f"wrote {len(clips)} clips of {clips[0].shape[0] / den.info.mel.sample_rate:.2f} s to {out}")
    return 0


def cmd_pair(args) -> int:
    from dataclasses import replace

    import numpy as np

    from . import audio_io, offline
    from .config import PairConfig

    names = args.models_pair.split(",")
    if len(names) != 2 or not all(names):
        raise ParameterError(f"--with: expected two model names like guitar,violin, got {args.models_pair!r}")
    config = _config_from_args(PairConfig, args)
    models = models_from_args(args)
    a, b = models[names[0]], models[names[1]]
    out = Path(args.output)
    sr = a.info.mel.sample_rate
    parts = [names[0], names[1]] + (["mix"] if args.mix else [])
    for i in range(config.n):
        for part in parts:
            audio_io.check_output(out / f"pair_{config.seed + i}_{part}.wav", args.overwrite)
    for i in range(config.n):
        seed = config.seed + i
        ya, yb = offline.pair(a, b, replace(config, seed=seed))
        ys = [ya, yb]
        if args.mix:
            mixed = 0.5 * (ya / max(1e-9, np.abs(ya).max()) + yb / max(1e-9, np.abs(yb).max()))
            ys.append(0.891 * mixed / max(1e-9, np.abs(mixed).max()))
        for part, y in zip(parts, ys):
            audio_io.write(out / f"pair_{seed}_{part}.wav", y, sr, overwrite=args.overwrite)
    print(f"wrote {config.n} pair(s) ({names[0]} + {names[1]}, branch {config.branch}) to {out}")
    return 0


def cmd_accompany(args) -> int:
    from . import audio_io, offline

    targets = args.with_.split(",")
    stem_paths = {t: Path(args.output).with_name(f"{Path(args.output).stem}_{t}.wav") for t in targets}
    for p in [args.output, *(stem_paths.values() if args.stems else [])]:
        audio_io.check_output(p, args.overwrite, [args.input])
    y, sr = audio_io.read(args.input)
    preset = preset_from_args(args, None)
    models = models_from_args(args)
    bar, tick = progress_bar(y.shape[1] * len(targets), f"{Path(args.input).name} -> {args.with_}", scale=1.0 / sr)
    try:
        song, stems = offline.accompany(y, sr, models, targets, preset, args.vocal_db, progress=tick)
    finally:
        bar.close()
    subtype = args.subtype or audio_io.subtype_of(args.input)
    _warn_nonfinite(y)
    audio_io.write(args.output, song, sr, subtype, overwrite=args.overwrite, protect=[args.input])
    if args.stems:
        for name, stem in stems.items():
            audio_io.write(stem_paths[name], stem, sr, subtype, overwrite=args.overwrite, protect=[args.input])
    print(f"wrote {args.output}: vocal + {', '.join(stems)} ({song.shape[1] / sr:.2f} s)")
    return 0


def cmd_serve(args) -> int:
    from .serve.server import serve_command

    return serve_command(args)


def plugins() -> dict:
    """Commands other installed packages provide (``bridge.commands`` entry points), by name."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}


def run_plugin(ep, argv: list[str]) -> int:
    """Runs a plugin command; a module it lacks (now or lazily, later) is named with the extra to install."""
    try:
        return ep.load()(argv)
    except ModuleNotFoundError as e:
        extra = _extra_providing(ep.dist, e.name)
        dist = ep.dist.name if ep.dist else "bridge-diffusion"
        hint = f"pip install '{dist}[{extra}]'" if extra else f"install {e.name or 'the missing module'}"
        raise ParameterError(f"bridge {ep.name} needs {e.name or 'a module'}, which is not installed: {hint}") from None


def _extra_providing(dist, module: str | None) -> str | None:
    """The optional-dependency group of ``dist`` whose requirements name ``module``, if any."""
    if dist is None or not module:
        return None
    want = module.split(".")[0].lower().replace("_", "-")
    for req in dist.requires or ():
        name = re.split(r"[\s;<>=!~\[]", req, maxsplit=1)[0].lower().replace("_", "-")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)", req)
        if name == want and extra:
            return extra.group(1)
    return None


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    from .config import GenerateConfig, PairConfig

    p = argparse.ArgumentParser(prog="bridge", description="Restyle live audio with per-instrument diffusion models.")
    p.add_argument("--version", action="version", version=f"bridge {__version__}")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    handlers = {}

    def add(name, fn, help_):
        sp = sub.add_parser(name, help=help_, description=help_)
        handlers[name] = fn
        return sp

    from .serve.options import add_serve_args

    for name, help_, audio in (("serve", "run the OSC daemon (the live restyler)", False),
                               ("live", "restyle the audio interface's input to its output (serve --audio)", True)):
        sp = add(name, cmd_serve, help_)
        add_serve_args(sp)
        add_model_args(sp)
        if audio:
            sp.set_defaults(audio=True)

    sp = add("transfer", cmd_transfer, "restyle a file into another instrument (cross diffusion, report eq. 4.1)")
    sp.add_argument("input", help="audio file to restyle (wav, flac, ogg, mp3)")
    sp.add_argument("--to", help="target model (default: the preset's)")
    sp.add_argument("-o", "--output", required=True, help="output audio file")
    add_output_args(sp, subtype=True)
    add_sampler_args(sp)
    add_model_args(sp)

    g = GenerateConfig()
    sp = add("generate", cmd_generate, "generate clips (e.g. drum one-shots) from noise with one model")
    sp.add_argument("--model", required=True, help="model name, e.g. kick")
    sp.add_argument("-n", type=int, default=g.n, help=f"number of clips (default {g.n})")
    sp.add_argument("--steps", type=int, default=g.steps, help=f"DDIM steps (default {g.steps})")
    sp.add_argument("--seed", type=int, default=g.seed, help="random seed")
    sp.add_argument("--seconds", type=float, default=g.seconds, help="clip length (default: one model window)")
    sp.add_argument("--eta", type=float, default=g.eta, help="0 deterministic DDIM, up to 1 for ancestral noise")
    sp.add_argument("--griffin-lim-iters", type=int, default=g.griffin_lim_iters,
                    help=f"random-phase Griffin-Lim iterations (default {g.griffin_lim_iters})")
    sp.add_argument("-o", "--output", required=True, help="folder")
    add_output_args(sp)
    add_model_args(sp)

    d = PairConfig()
    sp = add("pair", cmd_pair, "double diffusion: a paired output from two models (report eqs. 4.2-4.3)")
    sp.add_argument("--with", dest="models_pair", required=True, metavar="A,B", help="e.g. guitar,violin")
    sp.add_argument("-n", type=int, default=d.n, help="number of pairs (seeds seed, seed+1, ...)")
    sp.add_argument("--steps", type=int, default=d.steps, help=f"DDIM steps (default {d.steps})")
    sp.add_argument("--branch", type=float, default=d.branch,
                    help=f"fraction of steps left when B takes over (later: B closer to A; earlier: more B; "
                         f"default {d.branch})")
    sp.add_argument("--seed", type=int, default=d.seed, help="random seed")
    sp.add_argument("--seconds", type=float, default=d.seconds, help=f"length (default {d.seconds})")
    sp.add_argument("--eta", type=float, default=d.eta, help="0 deterministic DDIM, up to 1 for ancestral noise")
    sp.add_argument("--griffin-lim-iters", type=int, default=d.griffin_lim_iters, help="Griffin-Lim iterations")
    sp.add_argument("--highpass-hz", type=float, default=d.highpass_hz, help="cleanup highpass")
    sp.add_argument("--lowpass-hz", type=float, default=d.lowpass_hz, help="cleanup lowpass")
    sp.add_argument("--mix", action="store_true", help="also write the pair summed")
    sp.add_argument("-o", "--output", required=True, help="folder")
    add_output_args(sp)
    add_model_args(sp)

    sp = add("accompany", cmd_accompany, "vocal -> accompaniment: restyled tracks band-limited and summed with the vocal")
    sp.add_argument("input", help="the vocal")
    sp.add_argument("--with", dest="with_", required=True, metavar="A,B", help="e.g. violin,guitar")
    sp.add_argument("--vocal-db", type=float, default=-3.0, help="vocal level relative to each stem")
    sp.add_argument("--stems", action="store_true", help="also write each styled track")
    sp.add_argument("-o", "--output", required=True, help="output audio file")
    add_output_args(sp, subtype=True)
    add_sampler_args(sp)
    add_model_args(sp)

    sp = add("models", cmd_models, "list the models found, with their metadata")
    sp.add_argument("--json", action="store_true", help="print JSON")
    sp.add_argument("--models", action="append", default=[], metavar="DIR", help="extra model folder")

    sp = add("presets", cmd_presets, "list presets, or print one as YAML")
    sp.add_argument("name", nargs="?", help="a preset to print")
    sp.add_argument("--presets", action="append", default=[], metavar="DIR", help="extra preset folder")

    for name, ep in sorted(plugins().items()):
        if name not in handlers:
            sub.add_parser(name, add_help=False, help=f"(from {ep.module.split('.')[0]}/) see bridge {name} --help")
            handlers[name] = ep
    return p, handlers


def main(argv=None) -> int:
    limit_blas_threads()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, handlers = build_parser()
    # Plugin commands get everything after their name, --help included.
    skip = False
    for i, a in enumerate(argv):
        if skip or a == "--log-level":
            skip = not skip
            continue
        if not a.startswith("-"):
            if a in handlers and not callable(handlers[a]):
                args = parser.parse_args(argv[:i + 1])
                logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
                return _run(lambda: run_plugin(handlers[a], argv[i + 1 :]))
            break
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return _run(lambda: handlers[args.command](args))


def _run(fn) -> int:
    try:
        return int(fn() or 0)
    except BridgeError as e:
        print(f"bridge: {e}", file=sys.stderr)
        for cls, code in EXIT_CODES.items():
            if isinstance(e, cls):
                return code
        return 1
    except KeyboardInterrupt:
        print("bridge: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
