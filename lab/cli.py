"""The lab's ``bridge`` commands: ``eval``, ``bench``, ``sweep`` and ``corpus``.

``bridge/cli.py`` finds them through the ``bridge.commands`` entry points (see
``pyproject.toml``) and calls ``fn(argv)`` with the arguments after the command name.
Each builds its own parser; heavy imports happen inside the commands, so ``--help`` is quick.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.cli import _run, add_model_args, add_sampler_args, models_from_args, preset_from_args, progress_bar
from bridge.errors import ParameterError


# -- parsers ------------------------------------------------------------------------------
def eval_parser() -> argparse.ArgumentParser:
    from .judge import DEFAULT_HOLDOUT

    p = argparse.ArgumentParser(prog="bridge eval",
                                description="measure restyled audio: target probability (a CNN and a "
                                            "mel-statistics judge), melody kept, Frechet distance, note envelopes")
    p.add_argument("--pairs", default="guitar:violin,violin:guitar", metavar="SRC:TGT,...",
                   help="source:target instrument pairs to render, restyle and judge (default: %(default)s)")
    p.add_argument("--preset", help="preset name or .yaml path, or a comma list for rows of each (default: SRC-to-TGT "
                                    "when it exists, else defaults)")
    p.add_argument("--strength", help="strength, or a comma list for several transfer rows (default: the preset's)")
    p.add_argument("--steps", help="DDIM steps, or a comma list (default: the preset's)")
    p.add_argument("--seed", type=int, help="sampler seed (default: the preset's)")
    p.add_argument("--controls", help="on, off, or on,off for a row each: condition the target on the input's pitch "
                                      "and onsets (off: the seed's pure cross-diffusion; default: the preset's)")
    p.add_argument("--inversion", help="envelope, harmonic, pinv, or a comma list for a row each (default: the preset's)")
    p.add_argument("--students", action=argparse.BooleanOptionalAction, default=None,
                   help="let rows use the target's few-step student where it fits, or not (default: as the "
                        "preset says, off unless it sets student: true; the table's model column says which ran)")
    p.add_argument("--n-phrases", type=int, default=4, dest="n_phrases", help="test phrases per pair (default: 4)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each test phrase (default: 10)")
    p.add_argument("--melody-seed", type=int, default=1, dest="melody_seed",
                   help="seed of the test melodies (the models' corpora used 0; default: 1)")
    p.add_argument("--soundfont", help="soundfont for inputs and oracles (default: FluidR3_GM.sf2)")
    p.add_argument("--work", default="eval", help="folder for cached renders, the classifier and results")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="write results here (default: WORK/eval.json)")
    p.add_argument("--input", help="judge this file instead of rendering pairs (needs --target)")
    p.add_argument("--target", help="with --input: the instrument the file should sound like")
    p.add_argument("--reference", help="with --input: the file whose melody it should keep (for pitch scores)")
    p.add_argument("--holdout", default=DEFAULT_HOLDOUT,
                   help="soundfont the classifier never sees; it trains on the other two (default: %(default)s)")
    p.add_argument("--judge-seconds", type=float, default=120.0, dest="judge_seconds",
                   help="seconds rendered per instrument and soundfont for the classifier (default: 120)")
    p.add_argument("--retrain", action="store_true", help="re-render and retrain the classifier")
    p.add_argument("--cnn", action=argparse.BooleanOptionalAction, default=True,
                   help="also judge with the CNN (needs torch; built once, about 4 minutes on 2 cores; "
                        "default: %(default)s)")
    p.add_argument("--no-audio", dest="write_audio", action="store_false",
                   help="do not write the rendered and restyled phrases to WORK")
    add_model_args(p)
    return p


def bench_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bridge bench",
                                description="real-time factor and latency of transfer, and of the daemon (--serve)")
    p.add_argument("--serve", action="store_true", help="stream to a real daemon instead of timing transfer")
    p.add_argument("--presets", default=None,
                   help="comma-separated preset names or .yaml paths (default: every transfer preset)")
    p.add_argument("--seconds", type=float, default=None, help="input length (default 10; --serve: 60)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per preset (offline; default: %(default)s)")
    p.add_argument("--sample-rate", type=int, default=44100, help="input rate (offline; default: %(default)s)")
    p.add_argument("--preset", default="guitar-to-violin",
                   help="--serve: the daemon's preset, a name or a .yaml path (default: %(default)s)")
    p.add_argument("--frames", type=int, default=512, help="--serve: frames per chunk (default: %(default)s)")
    p.add_argument("--streams", type=int, default=1,
                   help="--serve: streams at once, one client each (default: %(default)s)")
    p.add_argument("--margin-ms", type=float, default=60.0,
                   help="--serve: a reply later than this after its chunk is late, as the Live device's "
                        "play-out margin counts it (default: %(default)s)")
    p.add_argument("--daemon-arg", action="append", default=[], metavar="ARG",
                   help="--serve: one more argument for the daemon's command line, e.g. "
                        "--daemon-arg=--no-model-thread (repeat for more)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="--serve: a line every tenth of the run (default: when stderr is a terminal)")
    p.add_argument("--json", default=None, help="also write the results as JSON here")
    add_model_args(p)
    return p


def sweep_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bridge sweep",
                                description="strength x steps study (the report's tables 5.1/5.2) as a table and heatmap")
    p.add_argument("input", help="audio file to restyle in every cell")
    p.add_argument("--to", required=True, help="target model (the instrument the judge scores against)")
    p.add_argument("--strengths", default="0.2,0.4,0.5,0.6,0.8,1.0",
                   help="comma-separated strengths, the table's rows (default: %(default)s)")
    p.add_argument("--steps-list", default="2,4,8,16",
                   help="comma-separated step counts, the table's columns (default: %(default)s)")
    p.add_argument("-o", "--output", default="sweep", help="folder for the table and heatmap")
    p.add_argument("--work", default="eval", help="bridge eval's folder (its cached classifier is reused)")
    p.add_argument("--oracle", help="the same melody played on the target, scored as a baseline row")
    p.add_argument("--cnn", action=argparse.BooleanOptionalAction, default=True,
                   help="also judge with the CNN (needs torch; built once, about 4 minutes on 2 cores; "
                        "default: %(default)s)")
    add_sampler_args(p)
    add_model_args(p)
    return p


def corpus_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bridge corpus",
                                description="render training audio with FluidSynth, or import a folder of recordings")
    p.add_argument("-o", "--out", default="corpus", help="corpus folder (one subfolder per instrument)")
    p.add_argument("--instruments", help="comma-separated (default: all known)")
    p.add_argument("--minutes", type=float, default=10.0, help="minutes per instrument (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the melodies and programs (default: %(default)s)")
    p.add_argument("--soundfont", default=None, help="path or file name (default: FluidR3_GM.sf2)")
    p.add_argument("--sample-rate", type=int, default=22050, help="rate of the written files (default: %(default)s)")
    p.add_argument("--from-folder", help="build the corpus from recordings in this folder instead")
    p.add_argument("--name", help="instrument name for --from-folder")
    return p


# -- commands -----------------------------------------------------------------------------
def eval_main(argv: list[str]) -> int:
    args = eval_parser().parse_args(argv)

    def go() -> int:
        from .evaluate import eval_command

        return eval_command(args)

    return _run(go)


def bench_main(argv: list[str]) -> int:
    args = bench_parser().parse_args(argv)

    def go() -> int:
        from .bench import bench_command

        return bench_command(args)

    return _run(go)


def sweep_main(argv: list[str]) -> int:
    args = sweep_parser().parse_args(argv)

    def go() -> int:
        from .study import sweep_command

        return sweep_command(args, preset_from_args(args, args.to), models_from_args(args))

    return _run(go)


def corpus_main(argv: list[str]) -> int:
    args = corpus_parser().parse_args(argv)
    return _run(lambda: corpus_command(args))


def corpus_command(args) -> int:
    from .corpus import INSTRUMENTS, import_folder, render_instrument

    out = Path(args.out)
    if args.from_folder:
        if not args.name:
            raise ParameterError("--name: needed with --from-folder (the instrument the recordings are of)")
        from tqdm import tqdm

        files = [p for p in Path(args.from_folder).rglob("*") if p.is_file()]
        with tqdm(total=len(files), desc=f"import {args.name}", unit="file") as bar:
            m = import_folder(Path(args.from_folder), out, args.name, args.sample_rate, progress=bar.update)
        print(f"{args.name}: {len(m['files'])} chunks, {m['seconds']} s, {len(m['skipped'])} files skipped "
              f"-> {out / args.name}")
        for s in m["skipped"]:
            print(f"  skipped {s['file']}: {s['reason']}")
        return 0
    names = args.instruments.split(",") if args.instruments else list(INSTRUMENTS)
    for name in names:
        bar, tick = progress_bar(args.minutes * 60, f"render {name}")
        try:
            m = render_instrument(out, name, args.minutes * 60, args.seed, args.soundfont, args.sample_rate,
                                  progress=tick)
        finally:
            bar.close()
        print(f"{name}: {len(m['files'])} files, {m['seconds']} s -> {out / name}")
    return 0
