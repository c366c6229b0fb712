"""The results of ``bridge eval``: the markdown table, the aim lines, the classifier summary, JSON-safe rows."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .judge import font_key


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.{digits}f}"
    return str(v)


def format_table(rows: Sequence[dict]) -> str:
    """The rows as a markdown table."""
    head = ["pair", "system", "model", "method", "strength", "steps", "P(target) CNN", "P(target)", "top-1", "pitch acc",
            "pitch|voiced", "chroma acc", "voicing", "FD", "FD feat", "attack ms", "decay dB/s", "sustain dB",
            "transient dB", "vibrato c", "windows", "predicted"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["pair"], r["system"], r.get("model") or "-", r.get("method") or "-", _fmt(r.get("strength"), 2), _fmt(r.get("steps")),
                 _fmt(r.get("target_prob_cnn", float("nan"))),
                 _fmt(r.get("target_prob")), _fmt(r.get("target_top1")), _fmt(r.get("pitch_accuracy")),
                 _fmt(r.get("pitch_given_voiced")), _fmt(r.get("chroma_accuracy")), _fmt(r.get("voicing_agreement")),
                 _fmt(r.get("frechet"), 1), _fmt(r.get("frechet_features"), 1), _fmt(r.get("attack_ms"), 0),
                 _fmt(r.get("decay_db_s"), 1), _fmt(r.get("sustain_db"), 1), _fmt(r.get("transient_db"), 1),
                 _fmt(r.get("vibrato_cents"), 1), _fmt(r.get("windows")),
                 _fmt(r.get("predicted"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


AIM_PITCH = 0.9


def aim_lines(rows: Sequence[dict]) -> list[str]:
    """The issue's aim per transfer row: P(target) close to the oracle's, pitch accuracy >= 0.9.

    Adds ``target_vs_oracle`` (ratio of target probabilities) and ``pitch_ok`` to the rows.
    """
    oracle = {r["pair"]: r for r in rows if r["system"] == "oracle"}
    identity = {r["pair"]: r for r in rows if r["system"] == "identity"}
    lines = []
    for r in rows:
        o = oracle.get(r["pair"])
        if r["system"] != "transfer" or o is None:
            continue
        ratio = r["target_prob"] / o["target_prob"] if o["target_prob"] > 0 else float("nan")
        r["target_vs_oracle"] = ratio
        r["pitch_ok"] = bool(r.get("pitch_accuracy", float("nan")) >= AIM_PITCH)
        lines.append(f"aim {r['pair']} {r.get('method', '')} s={r['strength']:g} n={r['steps']}: P(target) {r['target_prob']:.3f} = "
                     f"{ratio:.2f} x oracle's {o['target_prob']:.3f}; pitch accuracy "
                     f"{against(r['pitch_accuracy'], AIM_PITCH)} {'>=' if r['pitch_ok'] else '<'} {AIM_PITCH}")
        if not math.isnan(r.get("target_prob_cnn", float("nan"))) and o.get("target_prob_cnn", 0) > 0:
            r["target_vs_oracle_cnn"] = r["target_prob_cnn"] / o["target_prob_cnn"]
            lines.append(f"    CNN judge: P(target) {r['target_prob_cnn']:.3f} = {r['target_vs_oracle_cnn']:.2f} x "
                         f"oracle's {o['target_prob_cnn']:.3f} (aim: 0.8)")
        source = identity.get(r["pair"])
        if source is not None:
            lines.append("    note level, share of the input->oracle gap closed (in brackets: 10-90% over the "
                         "phrases drawn again): " + note_gaps(r, source, o))
            by = [x.get("attack_ms_by_articulation") for x in (r, o, source)]
            if all(by):
                from .envelope import ARTICULATIONS

                lines.append(f"    attack ms by articulation ({' / '.join(ARTICULATIONS)}): " + ", ".join(
                    f"{name} " + " / ".join(_fmt(b.get(k), 0) for k in ARTICULATIONS)
                    for name, b in zip(("output", "oracle", "input"), by)))
    return lines


AIM_NOTE_GAP = 0.75   # the issue: within 25% of the oracle's value, from the input's


def note_gaps(row: dict, source: dict, oracle: dict) -> str:
    """How far each note-level measure moved from the input's value towards the oracle's (1 = all the way).

    The share is of the medians over all notes (the aim's reading). With each system's values
    per note (``notes_by_phrase``) two more follow it: in brackets the 10-90% spread of that
    share over the phrases drawn with replacement (a miss whose spread reaches the aim is
    within what the choice of phrases moves), and the same share note by note
    (:func:`~lab.envelope.paired_gap_closed`: each note against the oracle's same note) with
    its own spread.
    """
    from .envelope import MEASURES, gap_closed, gap_closed_spread, paired_gap_closed

    parts = []
    for m in MEASURES:
        a, b, x = source.get(m), oracle.get(m), row.get(m)
        if a is None or b is None or x is None or any(math.isnan(v) for v in (a, b, x)) or abs(b - a) < 1e-9:
            continue
        closed = gap_closed(x, b, a)
        row[f"{m}_gap_closed"] = closed
        text = f"{m} {closed:.0%}{'' if closed >= AIM_NOTE_GAP else ' (< 75%)'}"
        phrases = [r.get("notes_by_phrase", {}).get(m) for r in (row, oracle, source)]
        if all(phrases):
            lo, hi = gap_closed_spread(*phrases)
            if not math.isnan(lo):
                row[f"{m}_gap_closed_10_90"] = [lo, hi]
                text += f" [{lo:.0%}..{hi:.0%}]"
            paired = paired_gap_closed(*phrases)
            if not math.isnan(paired):
                row[f"{m}_gap_closed_by_note"] = paired
                lo, hi = gap_closed_spread(*phrases, paired=True)
                text += f" (note by note {paired:.0%}" + ("" if math.isnan(lo) else f" [{lo:.0%}..{hi:.0%}]") + ")"
        parts.append(text)
    return ", ".join(parts) or "-"


def against(value: float, limit: float, digits: int = 3) -> str:
    """``value`` with enough digits that it does not print as ``limit`` when it is not (0.89988 vs 0.9: 0.8999)."""
    while digits < 8 and round(value, digits) == limit and value != limit:
        digits += 1
    return f"{value:.{digits}f}"


def classifier_summary(report: dict) -> str:
    rec = ", ".join(f"{k} {v:.2f}" for k, v in report["recall"].items())
    others = "; ".join(f"held out {font_key(f)}: {v['accuracy']:.3f}"
                       for f, v in report.get("other_folds", {}).items())
    return (f"classifier: {report['model']}\n"
            f"trained on {' + '.join(font_key(f) for f in report['train_soundfonts'])}; "
            f"accuracy on unseen {font_key(report['holdout_soundfont'])}: {report['accuracy']:.3f} "
            f"({report['windows']} windows), {report['phrase_accuracy']:.3f} per phrase ({report['phrases']})\n"
            f"recall: {rec}\n"
            f"other folds: {others}")


def json_safe(obj):
    """``obj`` with NaN as None and numpy scalars as Python numbers, ready for ``json.dumps``."""
    if isinstance(obj, float):
        return None if math.isnan(obj) else obj
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    return obj


def model_summary(den) -> dict:
    """A loaded model's metadata summary for the results file ({} when it has none)."""
    info = getattr(den, "info", None)
    if info is None:
        return {}
    try:
        return info.summary()
    except Exception:  # a summary is a courtesy; never fail the evaluation on it
        return {"path": str(getattr(info, "path", ""))}
