"""Can the input tell how its notes follow each other? The cue a note's attack depends on.

The oracle violin's attack reads 0 ms on a legato note (it starts under the last one's
sustain) and 110-130 ms on one that follows a release (``lab.envelope.attack_ms_by_articulation``),
and the target's own training audio says the same (:func:`attack_by_preceding`). A stream
knows only its input. On ``bridge eval``'s test phrases this reads what the input shows at each
note start the tracker finds (``bridge.controls``): how far its level fell just before, how many
of the frames before were unvoiced, how late the start was found, by the note's articulation
in the MIDI; and how well the best single threshold on each cue, and a class-balanced logistic
regression on the mel bands around the start (cross-validated by phrase), tell a legato note
from an adjacent one (balanced accuracy: 50% is a coin)::

    python -m lab.articulation --sources voice,guitar --target violin --n-phrases 12 \\
        --corpus /work/train/corpora/FluidR3_GM/violin
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .envelope import HOP, MIN_NOTE_S, _frames_db, articulation

FOUND_S = (-0.03, 0.2)  # a tracker onset this far from a note's MIDI start is that note's
BEFORE = 8  # frames (93 ms) before an onset the cues look at
SILENCE_DB, RELEASE_DB = -20.0, -6.0  # the level just before a note against its peak: from silence / a release / a sounding note
PRECEDING = ("silence", "release", "sound")
PATCH = (10, 3)  # frames before and from an onset the learned cue sees
PATCH_BANDS = 8  # the mel bands pooled to this many
FOLDS = 5


def _track(y: np.ndarray, config):
    """The runtime's pitch track of ``y`` and each model frame's level (dBFS), on the absolute frame grid."""
    from bridge import controls, dsp

    frames = dsp.frame(dsp.pad_centered(np.asarray(y, np.float64), config.n_fft, config.hop_length),
                       config.n_fft, config.hop_length)
    rows = controls.frame_rows(frames, config.sample_rate)  # f0, aperiodicity, level: analysed once
    _, voiced, onset = controls.track(frames, config.sample_rate, rows)
    return voiced, onset, rows[:, 2]


def _patch(bands: np.ndarray, level: np.ndarray, voiced: np.ndarray, j: int) -> np.ndarray | None:
    """What the learned cue sees of onset ``j``: pooled mel bands, level and voicing over ``PATCH``, against the first frame."""
    a, b = j - PATCH[0], j + PATCH[1]
    if a < 0 or b > bands.shape[1]:
        return None
    seg = bands[:, a:b]
    return np.concatenate([(seg - seg[:, :1]).ravel(), level[a:b] - level[a], voiced[a:b].astype(np.float64)])


def onset_cues(y: np.ndarray, notes, config) -> list[dict]:
    """For each note after the first (of ``MIN_NOTE_S`` or more): its articulation and what the input shows.

    ``found``: a tracker onset within ``FOUND_S`` of the MIDI start; then ``late_ms`` (onset after
    the start), ``fall_db`` (the level's drop into the onset: the loudest of frames ``j-8..j-2``
    less the quietest of ``j-3..j``), ``unvoiced`` (unvoiced frames among the 8 before) and
    ``patch`` (:func:`_patch`, for :func:`learned_separation`).
    """
    from bridge import dsp

    voiced, onset, level = _track(y, config)
    tf = dsp.mel_transform(config)
    db = dsp.mel_power_db(dsp.spectrogram(np.asarray(y, np.float64), tf), tf)
    bands = np.stack([b.mean(axis=0) for b in np.array_split(db, PATCH_BANDS)])
    fs = config.hop_length / config.sample_rate
    starts = np.flatnonzero(onset) * fs
    kinds = articulation(notes)
    rows = []
    for k in range(1, len(notes)):
        start, dur = float(notes[k][0]), float(notes[k][1])
        if dur < MIN_NOTE_S:
            continue
        near = np.flatnonzero((starts >= start + FOUND_S[0]) & (starts <= start + FOUND_S[1]))
        row = {"kind": kinds[k], "found": bool(near.size)}
        j = int(round(starts[near[0]] / fs)) if near.size else 0
        if near.size and j >= BEFORE:
            row.update(late_ms=1000.0 * (starts[near[0]] - start),
                       fall_db=float(level[j - BEFORE: j - 1].max() - level[j - 3: j + 1].min()),
                       unvoiced=int((~voiced[j - BEFORE: j]).sum()), patch=_patch(bands, level, voiced, j))
        rows.append(row)
    return rows


def best_threshold(a, b) -> tuple[float, float]:
    """(balanced accuracy, threshold) of the best rule ``value >= threshold`` -> ``b``'s kind, else ``a``'s."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not (a.size and b.size):
        return float("nan"), float("nan")
    best = (0.5, float("inf"))
    for t in np.unique(np.concatenate([a, b])):
        acc = 0.5 * (np.mean(a < t) + np.mean(b >= t))
        best = max(best, (float(acc), float(t)))
    return best


def learned_separation(patches: np.ndarray, is_b: np.ndarray, groups: np.ndarray, l2: float) -> float:
    """Balanced accuracy of a class-balanced logistic regression (:class:`lab.classifier.Classifier`) on
    ``patches``, each phrase (``groups``) predicted by a model fitted on the other folds' (``FOLDS``)."""
    from .classifier import Classifier

    patches, is_b, groups = np.asarray(patches, np.float64), np.asarray(is_b, bool), np.asarray(groups)
    phrases = np.unique(groups)
    pred = np.zeros(len(is_b), bool)
    for k in range(FOLDS):
        test = np.isin(groups, phrases[k::FOLDS])
        if not test.any() or len(set(is_b[~test].tolist())) < 2:
            return float("nan")
        clf = Classifier.fit(patches[~test], is_b[~test].astype(int).astype(str), classes=("0", "1"), l2=l2)
        pred[test] = clf.predict(patches[test]) == "1"
    return float(0.5 * (np.mean(pred[is_b]) + np.mean(~pred[~is_b])))


def attack_by_preceding(y: np.ndarray, config, sample_rate: int) -> list[tuple[str, float]]:
    """(what came before, attack ms) per tracker onset of a note of ``MIN_NOTE_S`` or more, at ``lab.envelope``'s frames.

    The attack is read as the eval reads it (to the first frame within 3 dB of the loudest in the
    next 0.3 s, or up to the next onset); before is the loudest of the 30 ms before the onset
    against that peak: under ``SILENCE_DB`` silence, under ``RELEASE_DB`` a release, else a
    note still sounding (legato).
    """
    _, onset, _ = _track(y, config)
    env = _frames_db(np.asarray(y, np.float64))
    fps = sample_rate / HOP
    scale = config.hop_length / HOP
    ons = np.flatnonzero(onset)
    out = []
    for i, j in enumerate(ons):
        nxt = ons[i + 1] if i + 1 < len(ons) else len(onset)
        s0 = int(j * scale)
        if (nxt - j) * config.hop_length / sample_rate < MIN_NOTE_S or s0 < int(0.03 * fps):
            continue
        head = env[s0: min(int(nxt * scale), s0 + int(0.3 * fps), len(env))]
        if head.size == 0:
            continue
        peak = head.max()
        before = env[s0 - int(0.03 * fps): s0].max() - peak
        kind = PRECEDING[0] if before < SILENCE_DB else PRECEDING[1] if before < RELEASE_DB else PRECEDING[2]
        out.append((kind, 1000.0 * int(np.argmax(head >= peak - 3.0)) / fps))
    return out


def _pct(v, qs=(10, 50, 90)) -> str:
    v = np.asarray(v, np.float64)
    return " / ".join(f"{x:.1f}" for x in np.percentile(v, qs)) if v.size else "-"


def source_table(source: str, target: str, n: int, seconds: float, seed: int) -> tuple[list[str], dict]:
    from bridge.config import MelConfig

    from .analysis import ANALYSIS_RATE
    from .phrases import make_phrases

    config = MelConfig(sample_rate=ANALYSIS_RATE)
    rows = [dict(r, phrase=k) for k, p in enumerate(make_phrases(source, target, n, seconds, seed, ANALYSIS_RATE))
            for r in onset_cues(p.input.astype(np.float64), p.notes, config)]
    lines, summary = [], {}
    for kind in ("legato", "adjacent", "detached"):
        of = [r for r in rows if r["kind"] == kind]
        cued = [r for r in of if "fall_db" in r]
        if not of:
            continue
        summary[kind] = {"notes": len(of), "found": sum(r["found"] for r in of),
                         "fall_db": [r["fall_db"] for r in cued], "unvoiced": [r["unvoiced"] for r in cued]}
        lines.append(f"| {source} | {kind} | {len(of)} | {sum(r['found'] for r in of) / len(of):.0%} | "
                     f"{np.median([r['late_ms'] for r in cued]) if cued else float('nan'):.0f} | "
                     f"{_pct([r['fall_db'] for r in cued])} | "
                     f"{np.mean([r['unvoiced'] == 0 for r in cued]) if cued else float('nan'):.0%} |")
    for cue in ("fall_db", "unvoiced"):
        if "legato" in summary and "adjacent" in summary:
            acc, t = best_threshold(summary["legato"][cue], summary["adjacent"][cue])
            summary[f"legato_vs_adjacent_{cue}"] = {"balanced_accuracy": acc, "threshold": t}
    pairs = [r for r in rows if r["kind"] in ("legato", "adjacent") and r.get("patch") is not None]
    if len({r["phrase"] for r in pairs}) >= FOLDS:
        X = np.stack([r["patch"] for r in pairs])
        y = np.array([r["kind"] == "adjacent" for r in pairs])
        g = np.array([r["phrase"] for r in pairs])
        summary["legato_vs_adjacent_learned"] = {str(l2): learned_separation(X, y, g, l2) for l2 in (0.1, 1.0, 10.0, 100.0)}
    return lines, summary


def main(argv=None) -> int:
    import soundfile as sf

    from bridge.config import MelConfig

    from .analysis import ANALYSIS_RATE, to_analysis_rate

    p = argparse.ArgumentParser(prog="python -m lab.articulation", description=__doc__.splitlines()[0])
    p.add_argument("--sources", default="voice,guitar", help="input instruments, comma-separated")
    p.add_argument("--target", default="violin", help="the oracle's instrument (the phrases' shared range)")
    p.add_argument("--n-phrases", type=int, default=12)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--melody-seed", type=int, default=1, help="as bridge eval's (its test phrases)")
    p.add_argument("--corpus", help="a rendered training corpus folder (corpus.json + WAVs): its attack by what precedes")
    p.add_argument("--files", type=int, default=40, help="corpus files read")
    p.add_argument("--json", help="write the numbers here too")
    a = p.parse_args(argv)
    report: dict = {}
    print("| source | articulation | notes | onset found | late ms (median) | fall into onset dB (10/50/90%) "
          "| no unvoiced frame before |")
    print("|---|---|---|---|---|---|---|")
    for source in [s for s in a.sources.split(",") if s]:
        lines, report[source] = source_table(source, a.target, a.n_phrases, a.seconds, a.melody_seed)
        print("\n".join(lines))
    for source, s in report.items():
        for cue in ("fall_db", "unvoiced"):
            r = s.get(f"legato_vs_adjacent_{cue}")
            if r:
                print(f"{source}: legato vs adjacent by {cue}, best threshold {r['threshold']:.1f}: "
                      f"balanced accuracy {r['balanced_accuracy']:.0%} (50% = a coin)")
        learned = s.get("legato_vs_adjacent_learned")
        if learned:
            print(f"{source}: legato vs adjacent by a logistic regression on the mel bands around the start, "
                  f"{FOLDS} folds by phrase: balanced accuracy " +
                  ", ".join(f"{v:.0%} (l2 {k})" for k, v in learned.items()))
    if a.corpus:
        folder = Path(a.corpus)
        manifest = json.loads((folder / "corpus.json").read_text())
        config = MelConfig(sample_rate=ANALYSIS_RATE)
        got: dict[str, list[float]] = {k: [] for k in PRECEDING}
        for f in manifest["files"][: a.files]:
            y, sr = sf.read(str(folder / f["file"]), dtype="float64")
            for kind, ms in attack_by_preceding(to_analysis_rate(y.T, sr), config, ANALYSIS_RATE):
                got[kind].append(ms)
        print(f"\n{manifest.get('instrument', folder.name)} ({min(a.files, len(manifest['files']))} files): "
              "attack ms (25/50/75%) by what comes before the note")
        for kind, v in got.items():
            print(f"  {kind:8s} n={len(v):5d}  {_pct(v, (25, 50, 75))}")
        report["corpus_attack_ms"] = {k: (float(np.median(v)) if v else None) for k, v in got.items()}
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
