"""The ``bridge`` command. Heavy imports happen inside subcommands, so ``bridge --help`` is instant."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import BindError, BridgeError, ModelError, ParameterError

log = logging.getLogger("bridge")

EXIT_CODES = {ParameterError: 2, ModelError: 3, BindError: 4}


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", action="append", default=[], metavar="DIR",
                   help="extra folder of .onnx models (searched before the shipped ones)")
    p.add_argument("--provider", choices=("auto", "cuda", "cpu"), default="auto",
                   help="execution provider; auto uses CUDA only when it really runs (default: auto)")
    p.add_argument("--threads", type=int, default=0, help="onnxruntime threads (default: cores, at most 4)")


def _add_sampler_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", help="preset name or .yaml path (its values are the defaults below)")
    p.add_argument("--strength", type=float, help="how much of the input is noised away, in (0, 1]")
    p.add_argument("--steps", type=int, help="denoising steps")
    p.add_argument("--seed", type=int, help="random seed (same seed, same output)")
    p.add_argument("--eta", type=float, help="0 deterministic DDIM, up to 1 for ancestral noise")
    p.add_argument("--mix", type=float, help="0 dry .. 1 wet")
    p.add_argument("--highpass-hz", type=float, dest="highpass_hz")
    p.add_argument("--lowpass-hz", type=float, dest="lowpass_hz")
    p.add_argument("--morph-with", dest="morph_with", help="blend predictions with a second target model")
    p.add_argument("--morph", type=float, help="weight of --morph-with, 0..1")
    p.add_argument("--window-frames", type=int, dest="window_frames", help="window length in frames (0: model's)")
    p.add_argument("--lookbehind", type=float, help="fraction of each window used as past context only (lower latency)")
    p.add_argument("--griffin-lim-iters", type=int, dest="griffin_lim_iters")
    p.add_argument("--fill", type=float, help="0..1: add the model's energy where the input has none (bow noise, breath)")
    p.add_argument("--stereo", choices=("mid", "dual"), help="mid: restyle the mono sum; dual: each channel")
    p.add_argument("--no-match-loudness", dest="match_loudness", action="store_const", const=False)


SAMPLER_KEYS = ("strength", "steps", "seed", "eta", "mix", "highpass_hz", "lowpass_hz", "morph_with", "morph",
                "window_frames", "lookbehind", "griffin_lim_iters", "fill", "stereo", "match_loudness")


def _preset(args, target: str | None = None):
    from .config import Preset
    from .engine import with_overrides
    from .presets import PresetLibrary, load_preset

    if args.preset:
        p = Path(args.preset)
        preset = load_preset(p) if p.suffix in (".yaml", ".yml") else PresetLibrary()[args.preset]
    else:
        preset = Preset()
    if target:
        preset = preset.with_param("target", target)
    return with_overrides(preset, **{k: getattr(args, k, None) for k in SAMPLER_KEYS})


def _models(args):
    from .model import ModelSet

    return ModelSet(args.models, args.provider, args.threads)


def _progress(total: int, desc: str, unit: str = "s", scale: float = 1.0):
    from tqdm import tqdm

    bar = tqdm(total=round(total * scale, 2), desc=desc, unit=unit, disable=not sys.stderr.isatty(),
               bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} {unit} [{elapsed}<{remaining}]")
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
        print(json.dumps(rows, indent=1))
        return 0
    if not rows:
        print("no models found (looked in: " + ", ".join(map(str, ms.dirs)) + ")")
        return 1
    print(f"{'name':10} {'MB':>5} {'params':>8} {'rate':>6} {'mels':>4} {'win':>4} {'steps':>6} {'min':>6} "
          f"{'loss':>7}  corpus")
    for r in rows:
        if "error" in r:
            print(f"{r['name']:10} ERROR {r['error']}")
            continue
        print(f"{r['name']:10} {r['bytes'] / 1e6:5.2f} {r['params']:8d} {r['sample_rate']:6d} {r['n_mels']:4d} "
              f"{r['window_frames']:4d} {r['train_steps'] or 0:6d} {(r['train_wall_s'] or 0) / 60:6.1f} "
              f"{r['final_loss'] or 0:7.4f}  {r['corpus']} ({r['corpus_seconds']} s)")
    return 0


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


def cmd_corpus(args) -> int:
    from .corpus import INSTRUMENTS, import_folder, render_instrument

    if args.from_folder:
        if not args.name:
            raise ParameterError("--name: needed with --from-folder (the instrument the recordings are of)")
        from tqdm import tqdm

        files = [p for p in Path(args.from_folder).rglob("*") if p.is_file()]
        with tqdm(total=len(files), desc=f"import {args.name}", unit="file") as bar:
            m = import_folder(Path(args.from_folder), Path(args.out), args.name, args.sample_rate,
                              progress=bar.update)
        print(f"{args.name}: {len(m['files'])} chunks, {m['seconds']} s, {len(m['skipped'])} files skipped "
              f"-> {Path(args.out) / args.name}")
        for s in m["skipped"]:
            print(f"  skipped {s['file']}: {s['reason']}")
        return 0
    names = args.instruments.split(",") if args.instruments else list(INSTRUMENTS)
    for name in names:
        bar, tick = _progress(args.minutes * 60, f"render {name}")
        m = render_instrument(Path(args.out), name, args.minutes * 60, args.seed, args.soundfont, args.sample_rate,
                              progress=tick)
        bar.close()
        print(f"{name}: {len(m['files'])} files, {m['seconds']} s -> {Path(args.out) / name}")
    return 0


def cmd_train(args, rest) -> int:
    try:
        from export import train
    except ImportError as e:
        raise ParameterError(f"bridge train needs the training extra ({e}): pip install 'bridge[train]'") from None
    return train.main(rest)


def cmd_export(args, rest) -> int:
    try:
        from export import onnx_export
    except ImportError as e:
        raise ParameterError(f"bridge export needs the training extra ({e}): pip install 'bridge[train]'") from None
    return onnx_export.main(rest)


def cmd_transfer(args) -> int:
    from . import audio_io, engine

    y, sr = audio_io.read(args.input)
    preset = _preset(args, args.to)
    models = _models(args)
    models[preset.target]  # load before timing and say which provider runs
    bar, tick = _progress(y.shape[1], f"{Path(args.input).name} -> {preset.target}", scale=1.0 / sr)
    out = engine.transfer(y, sr, models, preset, progress=tick)
    bar.close()
    audio_io.write(args.output, out, sr)
    print(f"wrote {args.output}: {out.shape[1] / sr:.2f} s, {sr} Hz, {out.shape[0]} ch "
          f"(target {preset.target}, strength {preset.sampler.strength}, steps {preset.sampler.steps}, "
          f"seed {preset.sampler.seed}, provider {models.provider})")
    return 0


def cmd_generate(args) -> int:
    from . import audio_io, engine

    models = _models(args)
    den = models[args.model]
    out = Path(args.output)
    clips = engine.generate(den, args.n, args.steps, args.seed, args.seconds, args.eta, args.griffin_lim_iters)
    for i, y in enumerate(clips):
        audio_io.write(out / f"{args.model}_{args.seed}_{i:03d}.wav", y, den.info.mel.sample_rate)
    print(f"wrote {len(clips)} clips of {clips[0].shape[0] / den.info.mel.sample_rate:.2f} s to {out}")
    return 0


def cmd_pair(args) -> int:
    import numpy as np

    from . import audio_io, engine

    names = args.models_pair.split(",")
    if len(names) != 2:
        raise ParameterError(f"--with: expected two model names like guitar,violin, got {args.models_pair!r}")
    models = _models(args)
    a, b = models[names[0]], models[names[1]]
    out = Path(args.output)
    sr = a.info.mel.sample_rate
    for i in range(args.n):
        seed = args.seed + i
        ya, yb = engine.pair(a, b, args.steps, seed, args.branch, args.seconds, args.eta, args.griffin_lim_iters,
                             args.highpass_hz, args.lowpass_hz)
        audio_io.write(out / f"pair_{seed}_{names[0]}.wav", ya, sr)
        audio_io.write(out / f"pair_{seed}_{names[1]}.wav", yb, sr)
        if args.mix:
            mixed = 0.5 * (ya / max(1e-9, np.abs(ya).max()) + yb / max(1e-9, np.abs(yb).max()))
            audio_io.write(out / f"pair_{seed}_mix.wav", 0.891 * mixed / max(1e-9, np.abs(mixed).max()), sr)
    print(f"wrote {args.n} pair(s) ({names[0]} + {names[1]}, branch {args.branch}) to {out}")
    return 0


def cmd_accompany(args) -> int:
    from . import audio_io
    from .study import accompany

    y, sr = audio_io.read(args.input)
    preset = _preset(args, None)
    models = _models(args)
    song, stems = accompany(y, sr, models, args.with_.split(","), preset, args.vocal_db)
    audio_io.write(args.output, song, sr)
    if args.stems:
        for name, stem in stems.items():
            audio_io.write(Path(args.output).with_name(f"{Path(args.output).stem}_{name}.wav"), stem, sr)
    print(f"wrote {args.output}: vocal + {', '.join(stems)} ({song.shape[1] / sr:.2f} s)")
    return 0


def cmd_sweep(args) -> int:
    from .study import sweep_command

    return sweep_command(args, _preset(args, args.to), _models(args))


def cmd_eval(args) -> int:
    from .evaluate import eval_command

    return eval_command(args)


def cmd_bench(args) -> int:
    from .bench import bench_command

    return bench_command(args)


def cmd_serve(args) -> int:
    from .daemon import serve_command

    return serve_command(args)


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    p = argparse.ArgumentParser(prog="bridge", description="Restyle live audio with per-instrument diffusion models.")
    p.add_argument("--version", action="version", version=f"bridge {__version__}")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    handlers = {}

    def add(name, fn, help_):
        sp = sub.add_parser(name, help=help_, description=help_)
        handlers[name] = fn
        return sp

    sp = add("serve", cmd_serve, "run the OSC daemon (the live restyler)")
    from .daemon import add_serve_args

    add_serve_args(sp)
    _add_model_args(sp)
    sp = add("live", cmd_serve, "restyle the audio interface's input to its output (serve --audio)")
    add_serve_args(sp)
    _add_model_args(sp)
    sp.set_defaults(audio=True)

    sp = add("transfer", cmd_transfer, "restyle a file into another instrument (cross diffusion, report eq. 4.1)")
    sp.add_argument("input")
    sp.add_argument("--to", help="target model (default: the preset's)")
    sp.add_argument("-o", "--output", required=True)
    _add_sampler_args(sp)
    _add_model_args(sp)

    sp = add("generate", cmd_generate, "generate clips (e.g. drum one-shots) from noise with one model")
    sp.add_argument("--model", required=True)
    sp.add_argument("-n", type=int, default=8)
    sp.add_argument("--steps", type=int, default=25)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--seconds", type=float, default=0.0, help="clip length (default: one model window)")
    sp.add_argument("--eta", type=float, default=0.0)
    sp.add_argument("--griffin-lim-iters", type=int, default=32)
    sp.add_argument("-o", "--output", required=True, help="folder")
    _add_model_args(sp)

    sp = add("pair", cmd_pair, "double diffusion: a paired output from two models (report eqs. 4.2-4.3)")
    sp.add_argument("--with", dest="models_pair", required=True, metavar="A,B", help="e.g. guitar,violin")
    sp.add_argument("-n", type=int, default=1)
    sp.add_argument("--steps", type=int, default=30)
    sp.add_argument("--branch", type=float, default=0.8,
                    help="fraction of steps left when B takes over (later: B closer to A; earlier: more B)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--seconds", type=float, default=3.0)
    sp.add_argument("--eta", type=float, default=0.0)
    sp.add_argument("--griffin-lim-iters", type=int, default=32)
    sp.add_argument("--highpass-hz", type=float, default=80.0)
    sp.add_argument("--lowpass-hz", type=float, default=9000.0)
    sp.add_argument("--mix", action="store_true", help="also write the pair summed")
    sp.add_argument("-o", "--output", required=True, help="folder")
    _add_model_args(sp)

    sp = add("accompany", cmd_accompany, "vocal -> accompaniment: restyled tracks band-limited and summed with the vocal")
    sp.add_argument("input")
    sp.add_argument("--with", dest="with_", required=True, metavar="A,B", help="e.g. violin,guitar")
    sp.add_argument("--vocal-db", type=float, default=-3.0, help="vocal level relative to each stem")
    sp.add_argument("--stems", action="store_true", help="also write each styled track")
    sp.add_argument("-o", "--output", required=True)
    _add_sampler_args(sp)
    _add_model_args(sp)

    sp = add("sweep", cmd_sweep, "strength x steps study (the report's tables 5.1/5.2) as a table and heatmap")
    sp.add_argument("input")
    sp.add_argument("--to", required=True)
    sp.add_argument("--strengths", default="0.2,0.4,0.5,0.6,0.8,1.0")
    sp.add_argument("--steps-list", default="2,4,8,16")
    sp.add_argument("-o", "--output", default="sweep", help="folder for the table and heatmap")
    sp.add_argument("--work", default="eval", help="bridge eval's folder (its cached classifier is reused)")
    sp.add_argument("--oracle", help="the same melody played on the target, scored as a baseline row")
    _add_sampler_args(sp)
    _add_model_args(sp)

    sp = add("eval", cmd_eval, "measure restyled audio: target probability, melody kept, Frechet distance")
    from .evaluate import add_eval_args

    add_eval_args(sp)
    _add_model_args(sp)

    sp = add("bench", cmd_bench, "real-time factor and latency of transfer, and of the daemon (--serve)")
    from .bench import add_bench_args

    add_bench_args(sp)
    _add_model_args(sp)

    sp = add("models", cmd_models, "list the models found, with their metadata")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--models", action="append", default=[], metavar="DIR")

    sp = add("presets", cmd_presets, "list presets, or print one as YAML")
    sp.add_argument("name", nargs="?")
    sp.add_argument("--presets", action="append", default=[], metavar="DIR")

    sp = add("corpus", cmd_corpus, "render training audio with FluidSynth, or import a folder of recordings")
    sp.add_argument("-o", "--out", default="corpus", help="corpus folder (one subfolder per instrument)")
    sp.add_argument("--instruments", help="comma-separated (default: all known)")
    sp.add_argument("--minutes", type=float, default=10.0, help="minutes per instrument")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--soundfont", default=None, help="path or file name (default: FluidR3_GM.sf2)")
    sp.add_argument("--sample-rate", type=int, default=22050)
    sp.add_argument("--from-folder", help="build the corpus from recordings in this folder instead")
    sp.add_argument("--name", help="instrument name for --from-folder")

    add("train", cmd_train, "train a model on a corpus folder (needs the train extra; see bridge train --help)")
    add("export", cmd_export, "export a checkpoint to ONNX with metadata and checks (needs the train extra)")
    return p, handlers


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, handlers = build_parser()
    # train/export forward their arguments to the export package's own parsers.
    for passthrough in ("train", "export"):
        if passthrough in argv[:2] and not any(a in ("-h", "--help") for a in argv[:argv.index(passthrough)]):
            i = argv.index(passthrough)
            args = parser.parse_args(argv[: i + 1])
            logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
            return _run(lambda: handlers[passthrough](args, argv[i + 1 :]))
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
