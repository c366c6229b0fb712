"""The judge of ``bridge eval``: the instrument classifier and real-render reference features, built once and cached.

The classifier is trained on FluidSynth renders from two soundfonts (TimGM6mb,
MuseScore General Lite) and tested on a third that it never saw, FluidR3_GM. FluidR3
is the one held out because the models' corpora and the oracle use it: the judge
never heard the timbres the models learned, so a high P(violin) means "sounds like a
violin", not "copies FluidR3's violin sample". :meth:`Judge.score` gives one system's
target probability, Frechet distances and (with reference pitch tracks) melody scores.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bridge.errors import ParameterError

from .analysis import ANALYSIS_RATE, bar
from .classifier import Classifier, accuracy_report
from .features import FEATURE_VERSION, feature_names, window_features, window_features_multi
from .frechet import frechet_distance
from .phrases import MELODIC, render_phrases, stable_seed
from .pitch import pitch_counts, pitch_scores, pitch_track

log = logging.getLogger(__name__)

JUDGE_FORMAT = 2  # bump when the saved judge's arrays change
SOUNDFONTS = ("FluidR3_GM.sf2", "TimGM6mb.sf2", "MuseScore_General_Lite.sf3")
DEFAULT_HOLDOUT = "FluidR3_GM.sf2"
REFERENCE_FONT = "FluidR3_GM.sf2"  # "real renders of the target": the soundfont of the models' corpora
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1)


@dataclass
class Judge:
    """The trained classifier and the real-render reference features (FluidR3) per instrument."""

    classifier: Classifier
    reference: dict[str, np.ndarray]  # instrument -> raw window features of real target renders
    report: dict

    def save(self, path: Path) -> None:
        arrays = self.classifier.to_arrays()
        arrays.update({f"ref_{k}": v for k, v in self.reference.items()})
        arrays["report"] = np.array(json.dumps(self.report))
        save_atomically(path, lambda tmp: np.savez_compressed(tmp, **arrays))

    @classmethod
    def load(cls, path: Path) -> "Judge":
        with np.load(path, allow_pickle=False) as a:
            a = dict(a)
        ref = {k[4:]: v for k, v in a.items() if k.startswith("ref_")}
        return cls(Classifier.from_arrays(a), ref, json.loads(str(a["report"])))

    def score(self, outputs: Sequence[np.ndarray], sample_rate: int, target: str,
              reference_tracks: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
              progress: Callable[[int], None] | None = None) -> dict:
        """Scores one system: its outputs (mono signals) judged as ``target``.

        ``reference_tracks``: pitch tracks (:func:`pitch_track`) of the inputs, in the
        same order, for the melody scores (omitted: no pitch scores).
        """
        ti = self.classifier.index(target)
        feats, counts = [], []
        for k, y in enumerate(outputs):
            feats.append(window_features(y, sample_rate))
            if reference_tracks is not None:
                counts.append(pitch_counts(reference_tracks[k], pitch_track(y, sample_rate)))
            if progress:
                progress(1)
        X = np.concatenate(feats) if feats else np.zeros((0, len(feature_names())))
        nan = float("nan")
        row = {"windows": int(len(X)), "target_prob": nan, "target_top1": nan, "frechet": nan,
               "frechet_features": nan, "predicted": None}
        if len(X):
            proba = self.classifier.predict_proba(X)
            row["target_prob"] = float(proba[:, ti].mean())
            row["target_top1"] = float(np.mean(proba.argmax(axis=1) == ti))
            mean_p = proba.mean(axis=0)
            row["predicted"] = self.classifier.classes[int(mean_p.argmax())]
            row["class_probs"] = {c: round(float(p), 4) for c, p in zip(self.classifier.classes, mean_p)}
        if len(X) >= 2 and target in self.reference:
            ref = self.reference[target]
            row["frechet"] = frechet_distance(self.classifier.embed(X), self.classifier.embed(ref))
            row["frechet_features"] = frechet_distance(self.classifier.standardize(X),
                                                       self.classifier.standardize(ref))
        if reference_tracks is not None:
            row.update(pitch_scores(counts))
        return row


def font_key(font: str) -> str:
    """A soundfont's short name (its file stem), as tables and cache files show it."""
    return Path(font).stem


def _font_features(work: Path, font: str, seconds: float, seed: int, retrain: bool) -> dict:
    """Window features of one soundfont's renders (clean and band-augmented), cached in ``work``."""
    phrase_s = 15.0
    n_phr = max(2, int(math.ceil(seconds / phrase_s)))
    cache = work / f"features-v{FEATURE_VERSION}-{font_key(font)}-{n_phr}x{phrase_s:g}s-seed{seed}.npz"
    if cache.is_file() and not retrain:
        with np.load(cache, allow_pickle=False) as a:
            return dict(a)
    t = time.perf_counter()
    log.info("rendering %d x %g s per instrument with %s", n_phr, phrase_s, font)
    audio = render_phrases(font, MELODIC, n_phr, phrase_s, seed)
    log.info("rendered %d x %g s per instrument with %s in %.1f s", n_phr, phrase_s, font, time.perf_counter() - t)
    rng = np.random.default_rng(stable_seed(seed, "augment", font))
    X, Xa, labels, groups = [], [], [], []
    progress = bar(len(MELODIC) * n_phr, f"features {font_key(font)}", "phrase")
    for name in MELODIC:
        for k, y in enumerate(audio[name]):
            band = (float(rng.uniform(0.0, 200.0)), float(rng.uniform(6000.0, 11025.0)))
            f, fa = window_features_multi(y, ANALYSIS_RATE, (None, band))
            X.append(f)
            Xa.append(fa)
            labels += [name] * len(f)
            groups += [f"{name}/{k}"] * len(f)
            progress.update(1)
    progress.close()
    out = {"X": np.concatenate(X), "X_aug": np.concatenate(Xa), "labels": np.array(labels),
           "groups": np.array(groups)}
    save_atomically(cache, lambda tmp: np.savez_compressed(tmp, **out))
    return out


def save_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` beside ``path`` under a name of this process's own, then a rename: two evals
    sharing a work folder (two runs at a time on these machines) each finish with a whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp{path.suffix}")
    write(tmp)
    tmp.replace(path)


def _train_on(data: Sequence[dict], l2: float) -> Classifier:
    X = np.concatenate([np.concatenate([d["X"], d["X_aug"]]) for d in data])
    y = np.concatenate([np.concatenate([d["labels"], d["labels"]]) for d in data])
    return Classifier.fit(X, y, MELODIC, l2=l2)


def _fit_held_out(feats: dict[str, dict], holdout: str, l2: float | None = None) -> tuple[Classifier, dict]:
    """Fits on every soundfont but ``holdout`` and tests on it.

    Without ``l2`` the penalty is chosen by cross-soundfont validation inside the
    training fonts (train on one, test on another, both ways): the held-out font
    plays no part in any choice made by this function.
    """
    train = [f for f in feats if f != holdout]
    cv = {}
    for lam in (L2_GRID if l2 is None else ()):
        accs = []
        for a in train:
            for b in train:
                if a != b:
                    clf = _train_on([feats[a]], lam)
                    accs.append(float(np.mean(clf.predict(feats[b]["X"]) == feats[b]["labels"])))
        cv[lam] = float(np.mean(accs))
    best = max(cv, key=lambda k: cv[k]) if l2 is None else l2
    clf = _train_on([feats[f] for f in train], best)
    test = feats[holdout]
    rep = accuracy_report(clf, test["X"], test["labels"], test["groups"])
    rep.update({"train_soundfonts": train, "holdout_soundfont": holdout, "l2": best,
                "cv_accuracy_by_l2": {f"{k:g}": round(v, 4) for k, v in cv.items()}})
    return clf, rep


def build_judge(work: Path, holdout: str = DEFAULT_HOLDOUT, seconds: float = 120.0, seed: int = 1,
                retrain: bool = False) -> Judge:
    """Loads the cached judge for these settings, or renders, trains and caches it.

    Renders ``seconds`` per melodic instrument from each of the three soundfonts
    (seed 1; the models' corpora used seed 0), trains on the two that are not
    ``holdout`` and reports accuracy on ``holdout``. The other two leave-one-out
    folds are reported too, for comparison. Reference features for the Fréchet
    distance are the FluidR3 renders.
    """
    from . import corpus

    holdout = Path(corpus.find_soundfont(holdout)).name
    if holdout not in SOUNDFONTS:
        raise ParameterError(f"holdout: expected one of {', '.join(SOUNDFONTS)}, got {holdout!r}")
    if seconds < 15:
        raise ParameterError(f"judge_seconds: expected at least 15, got {seconds}")
    work = Path(work) / "judge"
    path = work / f"judge-v{FEATURE_VERSION}.{JUDGE_FORMAT}-holdout-{font_key(holdout)}-{seconds:g}s-seed{seed}.npz"
    if path.is_file() and not retrain:
        try:
            return Judge.load(path)
        except Exception as e:  # a truncated or stale cache is rebuilt, not fatal
            log.warning("rebuilding %s (%s)", path, e)
    t = time.perf_counter()
    for font in SOUNDFONTS:
        corpus.find_soundfont(font)  # a clear error before any work when one is missing
    log.info("building the judge once: FluidSynth renders of %d soundfonts and a classifier (about a minute on "
             "2 cores), cached in %s", len(SOUNDFONTS), work)
    feats = {font: _font_features(work, font, seconds, seed, retrain) for font in SOUNDFONTS}
    clf, rep = _fit_held_out(feats, holdout)
    others = {}
    for font in SOUNDFONTS:
        if font != holdout:
            _, r = _fit_held_out(feats, font, rep["l2"])
            others[font] = {"accuracy": round(r["accuracy"], 4), "phrase_accuracy": round(r["phrase_accuracy"], 4),
                            "train_soundfonts": r["train_soundfonts"]}
    rep["other_folds"] = others
    rep["features"] = feature_names()
    rep["model"] = (f"multinomial logistic regression (L2 {rep['l2']:g}) on {len(feature_names())} features of "
                    f"1 s windows every 0.25 s, band-limit augmentation")
    rep["build_s"] = round(time.perf_counter() - t, 1)
    ref = {name: feats[REFERENCE_FONT]["X"][feats[REFERENCE_FONT]["labels"] == name] for name in MELODIC}
    judge = Judge(clf, ref, rep)
    judge.save(path)
    return judge
