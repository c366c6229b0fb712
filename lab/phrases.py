"""Test melodies for ``bridge eval``: corpus-style phrases rendered with FluidSynth.

A phrase is rendered on the source instrument (the input to restyle) and on the
target (the oracle: what a perfect restyle would sound like); the classifier's
training and reference audio is rendered here too, many phrases in one FluidSynth call.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bridge.errors import ParameterError

from .analysis import ANALYSIS_RATE, fit_length

MELODIC = ("guitar", "violin", "cello", "flute", "voice", "piano")


def stable_seed(*parts) -> list[int]:
    """A seed sequence from names and numbers that is the same in every run (``hash`` is not)."""
    return [zlib.crc32(str(p).encode()) if not isinstance(p, int) else p for p in parts]


def render_phrases(soundfont: str, names: Sequence[str], n_phrases: int, phrase_seconds: float, seed: int,
                   sample_rate: int = ANALYSIS_RATE) -> dict[str, list[np.ndarray]]:
    """Renders ``n_phrases`` corpus-style phrases per instrument in ONE FluidSynth call.

    Notes come from :func:`lab.corpus.phrase_notes` in each instrument's range, a
    program drawn from its GM programs, and (sustained instruments) the corpus'
    vibrato depth and expression swell. Phrases sit ``phrase_seconds + 3`` s apart on
    one timeline (a soundfont is loaded once: MuseScore's .sf3 takes seconds to load)
    and are cut back out, each with 2.5 s of release, peak-normalised.
    """
    import tempfile

    import mido

    from . import corpus

    sf = corpus.find_soundfont(soundfont)
    to_ticks = lambda s: int(round(s * 960))  # noqa: E731  (120 bpm, 480 ticks per beat)
    slot = phrase_seconds + 3.0
    events, spans = [], []
    t0 = 0.0
    for name in names:
        inst = corpus.instrument(name)
        if inst.is_drum:
            raise ParameterError(f"instrument: {name} is a drum; the classifier covers melodic instruments")
        rng = np.random.default_rng(stable_seed(seed, name, Path(sf).name))
        for k in range(n_phrases):
            notes, _ = corpus.phrase_notes(inst, phrase_seconds, rng)
            program = int(rng.choice(inst.programs))
            events.append((to_ticks(t0), mido.Message("program_change", program=program, channel=0)))
            depth = int(rng.integers(0, 70)) if inst.sustained else 0
            events.append((to_ticks(t0), mido.Message("control_change", control=1, value=depth, channel=0)))
            if inst.sustained:
                period = max(2, int(rng.integers(3, 8)))
                for j in range(int(phrase_seconds / 2) + 1):
                    value = int(np.clip(80 + 40 * np.sin(2 * np.pi * j / period), 30, 127))
                    events.append((to_ticks(t0 + 2.0 * j),
                                   mido.Message("control_change", control=11, value=value, channel=0)))
            else:
                events.append((to_ticks(t0), mido.Message("control_change", control=11, value=127, channel=0)))
            for start, dur, note, velocity in notes:
                events.append((to_ticks(t0 + start), mido.Message("note_on", note=note, velocity=velocity, channel=0)))
                events.append((to_ticks(t0 + start + dur),
                               mido.Message("note_off", note=note, velocity=0, channel=0)))
            spans.append((name, t0))
            t0 += slot
    with tempfile.TemporaryDirectory() as tmp:
        corpus.write_events(Path(tmp) / "all.mid", events, 480, mido.bpm2tempo(120))
        y = corpus.render_midi(Path(tmp) / "all.mid", Path(tmp) / "all.wav", sf, sample_rate)
    out: dict[str, list[np.ndarray]] = {name: [] for name in names}
    n = int(round((phrase_seconds + 2.5) * sample_rate))
    for name, start in spans:
        a = int(round(start * sample_rate))
        out[name].append(corpus.normalise_peak(fit_length(y[a : a + n], n)))
    return out


@dataclass
class Phrase:
    """One test melody: its notes, the source render (input) and the target render (oracle)."""

    notes: list
    source_program: int
    target_program: int
    input: np.ndarray
    oracle: np.ndarray


def shared_range(source: str, target: str):
    """An instrument spec for test melodies: the overlap of both ranges, the source's articulation."""
    from . import corpus

    s, t = corpus.instrument(source), corpus.instrument(target)
    for inst in (s, t):
        if inst.is_drum:
            raise ParameterError(f"pairs: {inst.name} is a drum; eval compares melodies of "
                                 f"melodic instruments ({', '.join(MELODIC)})")
    low, high = max(s.low, t.low), min(s.high, t.high)
    if high - low < 7:
        raise ParameterError(f"pairs: {source} ({s.low}-{s.high}) and {target} ({t.low}-{t.high}) share less "
                             f"than a fifth of range; pick instruments that overlap")
    return corpus.Instrument(f"{source}:{target}", programs=s.programs, low=low, high=high, sustained=s.sustained)


def make_phrases(source: str, target: str, n: int, seconds: float, seed: int, sample_rate: int,
                 soundfont: str | None = None, progress: Callable[[int], None] | None = None) -> list[Phrase]:
    """``n`` monophonic test melodies in the shared range, rendered on the source and on the target.

    The corpus' phrase generator with dyads removed (pitch tracks are monophonic);
    each render is ``seconds + 1`` s long (release tail), peak-normalised to 0.5.
    """
    from . import corpus

    spec = shared_range(source, target)
    rng = np.random.default_rng(stable_seed(seed, source, target))
    length = int(round((seconds + 1.0) * sample_rate))
    phrases = []
    while len(phrases) < n:
        notes, _ = corpus.phrase_notes(spec, seconds, rng)
        mono = [nt for i, nt in enumerate(notes) if i == 0 or nt[0] != notes[i - 1][0]]
        sp = int(rng.choice(corpus.instrument(source).programs))
        tp = int(rng.choice(corpus.instrument(target).programs))
        if not mono:
            continue
        y_in = corpus.normalise_peak(fit_length(corpus.render_melody(mono, sp, soundfont, sample_rate), length))
        y_or = corpus.normalise_peak(fit_length(corpus.render_melody(mono, tp, soundfont, sample_rate), length))
        phrases.append(Phrase(mono, sp, tp, y_in, y_or))
        if progress:
            progress(1)
    return phrases
