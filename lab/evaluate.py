"""``bridge eval``: how well restyled audio hits its target and keeps its melody.

Three measures, each computed the same way for every system in the table
(identity: output = input; oracle: the same notes rendered directly on the target;
transfer: ``bridge.offline.transfer`` at a strength and step count):

* **target probability** -- a small instrument classifier (multinomial logistic
  regression, numpy/scipy only) reads 1 s windows (every 0.25 s) of the output and
  gives P(target instrument); the table shows its mean over non-silent windows and
  the fraction of windows whose most probable class is the target. The classifier
  is trained on FluidSynth renders from two soundfonts (TimGM6mb, MuseScore
  General Lite) and tested on a third that it never saw, FluidR3_GM; that held-out
  accuracy is printed with every table. FluidR3 is the one held out because the
  models' corpora and the oracle use it: the judge never heard the timbres the
  models learned, so a high P(violin) means "sounds like a violin", not "copies
  FluidR3's violin sample", and the held-out accuracy is measured on the very
  soundfont of the audio being judged. Built once, cached in ``WORK/judge``.
* **melody** -- pitch tracks of the input and of the output on 11.6 ms frames
  (``librosa.pyin`` for voicing and the coarse pitch, refined by YIN). *Pitch
  accuracy*: over frames voiced in the input, the fraction where the output is
  voiced and within 50 cents of the input's pitch (octave errors count as errors;
  unvoiced output frames count as misses); *pitch|voiced*: the same over frames
  voiced in both (pitch alone); *chroma accuracy*: like pitch accuracy with octave
  errors forgiven; *voicing agreement*: frames voiced in both / voiced in either.
  Frames are pooled over all phrases of a system.
* **Fréchet distance** -- between Gaussians fitted to the output's windows and to
  those of real FluidR3 renders of the target (other melodies). ``FD`` is measured in
  the classifier's logit space (centred logits: the judge's own representation, as
  FID uses a classifier's; 6 dimensions, well estimated from a few dozen windows);
  ``FD feat`` in the full standardised feature space (97 dimensions: it also sees
  what the classifier ignores, such as inversion artefacts, but needs 100+ windows
  and is biased upward for small sets).
* **P(target) CNN** (:mod:`lab.cnn_judge`) -- a small CNN on 1 s log-mel patches, trained
  on the same two soundfonts under random EQ, tested on FluidR3: a judge that hears how
  notes start, hold and decay. The logistic judge stays as the column beside it.
* **note level** (:mod:`lab.envelope`) -- attack, decay, sustain, onset transient and
  vibrato of every note (the notes are known), medians per system: what a static EQ
  cannot change. The ``eq`` row is that baseline: the input through the EQ that gives it
  the oracle's long-term spectrum; a judge that scores it as the target hears filters.

The measures live in their own modules (:mod:`lab.features`, :mod:`lab.classifier`,
:mod:`lab.frechet`, :mod:`lab.pitch`, :mod:`lab.phrases`, :mod:`lab.judge`,
:mod:`lab.table`); this one runs the systems of a pair and the command. Heavy imports
(scipy, librosa, soundfile, the runtime) happen inside functions.
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bridge.errors import ParameterError

from .analysis import ANALYSIS_RATE, bar
from .cnn_judge import cnn_summary
from .envelope import envelope_scores, matched_eq
from .features import SILENCE_ABS_DB
from .judge import Judge, build_judge
from .phrases import MELODIC, make_phrases, shared_range
from .pitch import PITCH_FMAX_HZ, PITCH_FMIN_HZ, PITCH_TOLERANCE_CENTS, pitch_track
from .table import aim_lines, classifier_summary, format_table, json_safe, model_summary

log = logging.getLogger(__name__)


def pair_preset(source: str, target: str, preset_arg: str | None = None):
    """``--preset`` when given, else the shipped ``SRC-to-TGT`` preset when it exists, else defaults."""
    from bridge.config import Preset
    from bridge.presets import PresetLibrary, resolve_preset

    if preset_arg:
        preset = resolve_preset(preset_arg)
    else:
        lib = PresetLibrary()
        name = f"{source}-to-{target}"
        preset = lib[name] if name in lib.presets else Preset(name=f"defaults ({name})")
    return preset.with_param("target", target)


def _parse_list(text: str | None, kind, name: str) -> list:
    if text is None or text == "":
        return [None]
    out = []
    for part in str(text).split(","):
        try:
            out.append(kind(part.strip()))
        except ValueError:
            raise ParameterError(
                f"--{name}: expected a {kind.__name__} or a comma list of them, got {text!r}") from None
    return out


def parse_pairs(text: str) -> list[tuple[str, str]]:
    from . import corpus

    pairs = []
    for part in [p.strip() for p in str(text).split(",") if p.strip()]:
        if part.count(":") != 1:
            raise ParameterError(f"--pairs: expected SRC:TGT items like guitar:violin, got {part!r}")
        src, tgt = (s.strip() for s in part.split(":"))
        for name in (src, tgt):
            corpus.instrument(name)
            if name not in MELODIC:
                raise ParameterError(f"--pairs: {name} is not melodic; eval compares melodies of "
                                     f"{', '.join(MELODIC)}")
        shared_range(src, tgt)
        pairs.append((src, tgt))
    if not pairs:
        raise ParameterError(f"--pairs: expected at least one SRC:TGT, got {text!r}")
    return pairs


def transfer_settings(preset, strengths: Sequence[float | None], steps: Sequence[int | None],
                      seed: int | None, students: bool | None = None, controls: Sequence[bool | None] = (None,),
                      inversions: Sequence[str | None] = (None,)) -> list:
    """The presets of the transfer rows: every controls x inversion x strength x steps combination (None: the preset's)."""
    return [preset.with_params(controls=c, inversion=i, strength=s, steps=n, seed=seed, student=students)
            for c in controls for i in inversions for s in strengths for n in steps]


def parse_switches(text: str | None, name: str) -> list[bool | None]:
    """``on``, ``off`` or a comma list of them (``on,off``: a row each); None: the preset's."""
    if text is None or text == "":
        return [None]
    words = [w.strip() for w in str(text).split(",")]
    bad = [w for w in words if w not in ("on", "off")]
    if bad:
        raise ParameterError(f"--{name}: expected on, off or on,off, got {text!r}")
    return [w == "on" for w in words]


def method_label(preset) -> str:
    """How a transfer row was made: conditioned on the input's pitch or the seed's pure cross-diffusion, and the inversion."""
    return f"{'controls' if preset.sampler.controls else 'seed'}/{preset.render.inversion}"


def evaluate_pair(source: str, target: str, models, presets: Sequence, judge: Judge, n_phrases: int = 4,
                  seconds: float = 10.0, melody_seed: int = 1, soundfont: str | None = None,
                  audio_dir: Path | None = None, cnn=None) -> list[dict]:
    """Renders test phrases for ``source -> target`` and scores identity, oracle and one transfer per preset.

    Returns one row (dict) per system. ``presets`` must target ``target``; the model
    runs at its own rate (its ``info.mel.sample_rate``), where phrases are rendered.
    """
    from bridge import offline
    from bridge.model import pick_student

    if n_phrases < 1:
        raise ParameterError(f"n_phrases: expected at least 1, got {n_phrases}")
    if not 2.0 <= seconds <= 120.0:
        raise ParameterError(f"seconds: expected 2 to 120, got {seconds}")
    den = models[target]
    sr = int(den.info.mel.sample_rate)
    label = f"{source}->{target}"
    b = bar(n_phrases, f"{label} render", "phrase")
    t = time.perf_counter()
    phrases = make_phrases(source, target, n_phrases, seconds, melody_seed, sr, soundfont, b.update)
    b.close()
    log.info("%s: rendered %d phrases in %.1f s", label, n_phrases, time.perf_counter() - t)
    b = bar(n_phrases, f"{label} pitch of inputs", "phrase")
    ref_tracks = []
    for ph in phrases:
        ref_tracks.append(pitch_track(ph.input, sr))
        b.update(1)
    b.close()
    if audio_dir is not None:
        _write_phrases(audio_dir, "input", [p.input for p in phrases], sr)
        _write_phrases(audio_dir, "oracle", [p.oracle for p in phrases], sr)
    rows = []

    def add(system: str, outputs, extra: dict, seconds_used: float):
        b = bar(len(outputs), f"{label} score {system}", "phrase")
        row = {"pair": label, "source": source, "target": target, "system": system, **extra}
        row.update(score_outputs(outputs, sr, target, phrases, ref_tracks, judge, cnn, b.update))
        b.close()
        row["compute_s"] = round(seconds_used, 2)
        rows.append(row)

    add("identity", [p.input for p in phrases], {}, 0.0)
    add("oracle", [p.oracle for p in phrases], {}, 0.0)
    eq = [matched_eq(p.input, p.oracle, sr) for p in phrases]
    add("eq", eq, {}, 0.0)
    pictures = {"input": phrases[0].input, "eq": eq[0]}
    for preset in presets:
        if preset.target != target:
            raise ParameterError(f"preset: targets {preset.target!r}, expected {target!r}")
        s = preset.sampler
        b = bar(n_phrases, f"{label} transfer s={s.strength:g} n={s.steps}", "phrase")
        t = time.perf_counter()
        outs = []
        for ph in phrases:
            outs.append(offline.transfer(ph.input[None], sr, models, preset)[0])
            b.update(1)
        b.close()
        dt = time.perf_counter() - t
        used = pick_student(models, preset, s.steps)
        method = method_label(preset)
        name = (f"transfer_{'student_' if used is not None else ''}s{s.strength:g}_n{s.steps}"
                f"{'' if method == 'seed/envelope' else '_' + method.replace('/', '_')}")
        if name in pictures:  # two presets with the same settings in one run: each keeps its own take
            name += "_" + re.sub(r"[^A-Za-z0-9_-]+", "-", preset.name or "preset")
        pictures[name] = outs[0]
        if audio_dir is not None:  # the model in the name: a student's take never replaces its teacher's
            _write_phrases(audio_dir, name, outs, sr)
        add("transfer", outs, {"model": used.info.path.stem if used is not None else target,
                               "strength": s.strength, "steps": s.steps, "seed": s.seed, "preset": preset.name,
                               "method": method,
                               "rtf": round(dt / (n_phrases * (seconds + 1.0)), 3)}, dt)
    if audio_dir is not None:
        # Named after the transfers it shows, as their takes are: a run with other presets or steps
        # writes its own picture instead of replacing this one.
        shown = "+".join(k.removeprefix("transfer_") for k in pictures if k.startswith("transfer_"))
        pictures["oracle"] = phrases[0].oracle
        path = audio_dir / f"spectrograms_{shown or 'baselines'}.png"
        spectrogram_png(path, list(pictures.items()), sr, f"{label}, phrase 1")
        for r in rows:
            r["spectrograms"] = str(path)
    return rows


def score_outputs(outputs, sample_rate: int, target: str, phrases, ref_tracks, judge: Judge, cnn=None,
                  progress: Callable[[int], None] | None = None) -> dict:
    """Every measure of one system's outputs (one per phrase): the judges, the melody, the notes."""
    row = judge.score(outputs, sample_rate, target, ref_tracks, progress)
    row.update(envelope_scores(outputs, sample_rate, [p.notes for p in phrases]))
    if cnn is not None:
        row.update(cnn.score(outputs, sample_rate, target))
    return row


def spectrogram_png(path: Path, panels: Sequence[tuple[str, np.ndarray]], sample_rate: int, title: str) -> None:
    """Log-mel spectrograms side by side (input | eq | transfers | oracle), one PNG, for eyes and ears."""
    import librosa
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.2), sharey=True)
    for ax, (name, y) in zip(np.atleast_1d(axes), panels):
        m = librosa.power_to_db(librosa.feature.melspectrogram(y=np.asarray(y, np.float32), sr=sample_rate,
                                                               n_fft=1024, hop_length=256, n_mels=80), ref=1.0)
        ax.imshow(m, origin="lower", aspect="auto", vmin=-80, vmax=0, cmap="magma",
                  extent=(0, len(y) / sample_rate, 0, 80))
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("s", fontsize=7)
    np.atleast_1d(axes)[0].set_ylabel("mel band", fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _write_phrases(folder: Path, stem: str, ys: Sequence[np.ndarray], sr: int) -> None:
    from bridge import audio_io

    for k, y in enumerate(ys):
        audio_io.write(Path(folder) / f"{stem}_{k}.wav", y, sr)


def judge_file(path: str, target: str, judge: Judge, reference: str | None = None, cnn=None) -> dict:
    """Scores one audio file as ``target`` (pitch scores against ``reference`` when given)."""
    from . import corpus

    judge.classifier.index(target)
    for label, f in (("--input", path), ("--reference", reference)):
        if f and not Path(f).is_file():
            raise ParameterError(f"{label}: {f}: no such file")
    y = corpus.read_audio(Path(path), ANALYSIS_RATE)
    tracks = None
    if reference:
        tracks = [pitch_track(corpus.read_audio(Path(reference), ANALYSIS_RATE), ANALYSIS_RATE)]
    row = {"pair": f"{Path(path).name}->{target}", "source": str(path), "target": target, "system": "file"}
    row.update(judge.score([y], ANALYSIS_RATE, target, tracks))
    if cnn is not None:
        row.update(cnn.score([y], ANALYSIS_RATE, target))
    if row["windows"] == 0:
        log.warning("%s: no window louder than %g dB; nothing to judge", path, SILENCE_ABS_DB)
    return row



def eval_command(args) -> int:
    t_start = time.perf_counter()
    work = Path(args.work)
    if args.input and not args.target:
        raise ParameterError("--target: needed with --input (the instrument the file should sound like)")
    if (args.target or args.reference) and not args.input:
        raise ParameterError("--input: --target and --reference judge a given file; pass it with --input")
    if args.target and args.target not in MELODIC:
        raise ParameterError(f"--target: expected one of {', '.join(MELODIC)}, got {args.target!r}")
    if args.n_phrases < 1:
        raise ParameterError(f"--n-phrases: expected at least 1, got {args.n_phrases}")
    if not 2.0 <= args.seconds <= 120.0:
        raise ParameterError(f"--seconds: expected 2 to 120, got {args.seconds}")
    for label, f in (("--input", args.input), ("--reference", args.reference)):
        if f and not Path(f).is_file():
            raise ParameterError(f"{label}: {f}: no such file")
    strengths = _parse_list(args.strength, float, "strength")
    steps = _parse_list(args.steps, int, "steps")
    pairs = [] if args.input else parse_pairs(args.pairs)
    models = None
    if pairs:
        from bridge.model import ModelSet

        models = ModelSet(args.models, args.provider, args.threads)
        for _, tgt in pairs:  # fail before any rendering when a target model is missing
            models[tgt]
        switches = parse_switches(getattr(args, "controls", None), "controls")
        inversions = _parse_list(getattr(args, "inversion", None), str, "inversion")
        names = [n.strip() for n in args.preset.split(",")] if args.preset else [None]
        presets = {(s, t): [p for name in names for p in transfer_settings(
            pair_preset(s, t, name), strengths, steps, args.seed, args.students, switches, inversions)]
            for s, t in pairs}
        from bridge.stream import check_preset

        for (s, t), ps in presets.items():  # a row that cannot run fails here, before any rendering
            for p in ps:  # with the models a morph or a pair names beside the target
                check_preset(p, {n: models[n] for n in p.model_names()})
    t = time.perf_counter()
    judge = build_judge(work, args.holdout, args.judge_seconds, 1, args.retrain)
    cnn = _cnn_judge(work, judge.report["holdout_soundfont"], args.retrain) if getattr(args, "cnn", True) else None
    judge_s = time.perf_counter() - t
    print(classifier_summary(judge.report))
    if cnn is not None:
        print(cnn_summary(cnn.report))
    print()
    rows = []
    if args.input:
        rows.append(judge_file(args.input, args.target, judge, args.reference, cnn))
    for src, tgt in pairs:
        audio_dir = work / f"{src}-{tgt}" if args.write_audio else None
        rows += evaluate_pair(src, tgt, models, presets[(src, tgt)], judge, args.n_phrases, args.seconds,
                              args.melody_seed, args.soundfont, audio_dir, cnn)
    print(format_table(rows))
    aims = aim_lines(rows)
    if aims:
        print()
        print("\n".join(aims))
    total = time.perf_counter() - t_start
    print(f"\n{len(rows)} rows in {total:.1f} s (classifier {judge_s:.1f} s"
          + (f", provider {models.provider}" if models is not None else "") + ")")
    result = {
        "classifier": {k: v for k, v in judge.report.items() if k != "features"},
        "cnn_classifier": cnn.report if cnn is not None else None,
        "settings": {"pairs": [f"{s}:{t}" for s, t in pairs], "n_phrases": args.n_phrases, "seconds": args.seconds,
                     "melody_seed": args.melody_seed, "soundfont": args.soundfont or "FluidR3_GM.sf2",
                     "input": args.input, "target": args.target, "reference": args.reference,
                     "pitch": {"method": "librosa.pyin (voicing, coarse pitch) refined by YIN",
                               "fmin_hz": PITCH_FMIN_HZ, "fmax_hz": PITCH_FMAX_HZ,
                               "hop_s": round(256 / ANALYSIS_RATE, 4), "tolerance_cents": PITCH_TOLERANCE_CENTS,
                               "octave_errors": "counted as errors in pitch_accuracy, forgiven in chroma_accuracy"}},
        "models": {name: model_summary(den) for name, den in (models.loaded.items() if models else ())},
        "rows": rows,
        "runtime_s": round(total, 1),
    }
    out = Path(args.json_out) if args.json_out else work / "eval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(json_safe(result), indent=1))
    print(f"wrote {out}")
    return 0


def _cnn_judge(work: Path, holdout: str, retrain: bool):
    """The CNN judge (:mod:`lab.cnn_judge`), or None without torch (said once)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        log.warning("no torch (the train extra): the CNN judge's column is left out")
        return None
    from .cnn_judge import build_cnn_judge

    return build_cnn_judge(work, holdout, retrain=retrain)


def sweep_judge(y: np.ndarray, sample_rate: int, target: str, args) -> Callable[[np.ndarray], dict]:
    """A scorer for ``bridge sweep``: each output's target probability (the CNN judge's, when torch
    is there, and the logistic one's), pitch accuracy against the input's melody, and Fréchet
    distance to real renders of the target."""
    work = Path(getattr(args, "work", "eval"))
    judge = build_judge(work)
    judge.classifier.index(target)  # a clear error now for a target the classifier does not know
    cnn = (_cnn_judge(work, judge.report.get("holdout_soundfont", "FluidR3_GM.sf2"), False)
           if getattr(args, "cnn", True) else None)
    reference = pitch_track(np.asarray(y).mean(axis=0), sample_rate)

    def score(out: np.ndarray) -> dict:
        mono = np.asarray(out).mean(axis=0)
        row = judge.score([mono], sample_rate, target, [reference])
        first = cnn.score([mono], sample_rate, target) if cnn is not None else {}
        return {**({"target_prob_cnn": first["target_prob_cnn"]} if first else {}),
                "target_prob": row["target_prob"], "pitch_accuracy": row["pitch_accuracy"], "frechet": row["frechet"]}

    return score
