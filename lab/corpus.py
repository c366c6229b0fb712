"""Training corpora: sampled instruments rendered with FluidSynth, or a user's recordings.

A corpus is a folder per instrument holding mono wav files at the model rate and a
``corpus.json`` that says how they were made. Rendering needs the ``fluidsynth``
program and a General MIDI soundfont (Debian: ``fluidsynth fluid-soundfont-gm``).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from bridge.errors import AudioFileError, ParameterError

log = logging.getLogger(__name__)

SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/sounds/sf3", "/usr/share/soundfonts")
DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".aif", ".aiff")
DRUM_CHANNEL = 9


@dataclass(frozen=True)
class Instrument:
    """A General MIDI instrument to render: melodic programs with a range, or drum notes."""

    name: str
    programs: tuple[int, ...] = ()
    low: int = 0
    high: int = 127
    sustained: bool = False
    drum_notes: tuple[int, ...] = ()

    @property
    def is_drum(self) -> bool:
        return bool(self.drum_notes)


# Ranges are the comfortable playing range, a little inside the instrument's extremes.
INSTRUMENTS: dict[str, Instrument] = {
    i.name: i
    for i in (
        Instrument("guitar", programs=(24, 25), low=40, high=79),
        Instrument("violin", programs=(40,), low=55, high=91, sustained=True),
        Instrument("cello", programs=(42,), low=36, high=72, sustained=True),
        Instrument("flute", programs=(73,), low=60, high=93, sustained=True),
        Instrument("voice", programs=(52, 53), low=48, high=79, sustained=True),
        Instrument("piano", programs=(0, 1), low=36, high=96),
        Instrument("kick", drum_notes=(35, 36)),
        Instrument("snare", drum_notes=(38, 40)),
        Instrument("hihat", drum_notes=(42,)),
    )
}

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
PENTATONIC = (0, 2, 4, 7, 9)
SCALES = (MAJOR, MINOR, DORIAN, PENTATONIC)


def instrument(name: str) -> Instrument:
    try:
        return INSTRUMENTS[name]
    except KeyError:
        raise ParameterError(
            f"instrument: unknown name {name!r}; allowed names are {', '.join(INSTRUMENTS)}"
        ) from None


def phrase_notes(inst: Instrument, seconds: float, rng: np.random.Generator):
    """Draws a melodic phrase as ``(start_s, duration_s, note, velocity)`` tuples.

    A random walk over a random scale inside the instrument's range, with a tempo,
    a dynamic arc and an articulation (legato, normal, staccato) per phrase.
    """
    tempo_bpm = float(rng.uniform(66, 150))
    beat_s = 60.0 / tempo_bpm
    scale = SCALES[rng.integers(len(SCALES))]
    root = int(rng.integers(0, 12))
    pitches = [n for n in range(inst.low, inst.high + 1) if (n - root) % 12 in scale]
    idx = int(rng.integers(len(pitches) // 4, 3 * len(pitches) // 4 + 1))
    articulation = rng.choice(["legato", "normal", "staccato"], p=[0.4, 0.4, 0.2] if inst.sustained else [0.2, 0.5, 0.3])
    gate = {"legato": 1.02, "normal": 0.85, "staccato": 0.4}[articulation]
    v_lo, v_hi = sorted(rng.integers(35, 125, size=2))
    v_hi = max(v_hi, v_lo + 10)
    durations_beats = (0.25, 0.5, 0.5, 1.0, 1.0, 1.5, 2.0) if inst.sustained else (0.25, 0.5, 0.5, 1.0, 1.0, 2.0)
    t = 0.0
    notes = []
    while t < seconds:
        dur = float(rng.choice(durations_beats)) * beat_s
        step = int(rng.choice([-3, -2, -1, -1, 0, 1, 1, 2, 3, 4, -4]))
        idx = int(np.clip(idx + step, 0, len(pitches) - 1))
        phase = t / max(seconds, 1e-9)
        velocity = int(v_lo + (v_hi - v_lo) * np.sin(np.pi * phase) + rng.integers(-6, 7))
        velocity = int(np.clip(velocity, 20, 127))
        if rng.random() < 0.08:  # a rest now and then, so decays are heard
            t += dur
            continue
        notes.append((t, dur * gate, pitches[idx], velocity))
        if not inst.sustained and rng.random() < 0.15:  # guitar and piano sometimes play a dyad
            other = min(idx + int(rng.choice([2, 4])), len(pitches) - 1)
            notes.append((t, dur * gate, pitches[other], max(20, velocity - 10)))
        t += dur
    return notes, tempo_bpm


def draw_phrase(inst: Instrument, seconds: float, rng: np.random.Generator) -> dict:
    """Everything random about one melodic phrase, in the order the corpus has always drawn it.

    Notes and tempo (:func:`phrase_notes`), a GM program and, for sustained instruments, a mod
    wheel (CC1, vibrato depth) and an expression (CC11) value every 2 s.
    """
    notes, tempo_bpm = phrase_notes(inst, seconds, rng)
    drawn = {"notes": notes, "tempo_bpm": tempo_bpm, "program": int(rng.choice(inst.programs)), "expression": []}
    if inst.sustained:
        # Vibrato depth and an expression swell make sustained instruments less static.
        drawn["mod_wheel"] = int(rng.integers(0, 70))
        drawn["expression"] = [int(np.clip(80 + 40 * np.sin(2 * np.pi * k / max(2, rng.integers(3, 8))), 30, 127))
                               for k in range(int(seconds / 2) + 1)]
    return drawn


def phrase_info(drawn: dict) -> dict:
    """What a corpus manifest records of a drawn phrase (the mod wheel: the export measures the
    instrument's own vibrato on the files played with it at rest)."""
    info = {"program": drawn["program"], "tempo_bpm": round(drawn["tempo_bpm"], 2), "n_notes": len(drawn["notes"])}
    if "mod_wheel" in drawn:
        info["mod_wheel"] = drawn["mod_wheel"]
    return info


def write_phrase_midi(path: Path, inst: Instrument, seconds: float, rng: np.random.Generator) -> dict:
    """Writes one melodic phrase for ``inst`` to a MIDI file; returns what the manifest records of it."""
    import mido

    drawn = draw_phrase(inst, seconds, rng)
    ticks_per_beat = 480
    tempo = mido.bpm2tempo(drawn["tempo_bpm"])
    sec_to_ticks = lambda s: int(round(mido.second2tick(s, ticks_per_beat, tempo)))  # noqa: E731
    events = [(0, mido.Message("program_change", program=drawn["program"], channel=0))]
    if "mod_wheel" in drawn:
        events.append((0, mido.Message("control_change", control=1, value=drawn["mod_wheel"], channel=0)))
    for k, value in enumerate(drawn["expression"]):
        events.append((sec_to_ticks(2.0 * k), mido.Message("control_change", control=11, value=value, channel=0)))
    for start, dur, note, velocity in drawn["notes"]:
        events.append((sec_to_ticks(start), mido.Message("note_on", note=note, velocity=velocity, channel=0)))
        events.append((sec_to_ticks(start + dur), mido.Message("note_off", note=note, velocity=0, channel=0)))
    write_events(path, events, ticks_per_beat, tempo)
    return phrase_info(drawn)


def record_mod_wheels(folder: Path, phrase_seconds: float = 20.0) -> int:
    """Adds each file's mod wheel to a rendered corpus's manifest from before it was recorded.

    Replays the corpus's seeded draws (nothing is rendered) and checks each phrase against
    what the manifest holds (program, tempo, notes), so a corpus made another way is refused,
    not mislabelled. Returns how many files got a value.
    """
    folder = Path(folder)
    manifest = json.loads((folder / "corpus.json").read_text())
    inst = instrument(manifest["instrument"])
    if inst.is_drum or not inst.sustained:
        return 0
    rng = np.random.default_rng([manifest["seed"], sum(map(ord, manifest["instrument"]))])
    for entry in manifest["files"]:
        replayed = phrase_info(draw_phrase(inst, phrase_seconds, rng))
        if any(entry.get(k) != v for k, v in replayed.items() if k != "mod_wheel"):
            raise ParameterError(f"{folder / 'corpus.json'}: {entry['file']} is not what seed {manifest['seed']} "
                                 f"draws ({replayed} vs {entry}); its mod wheels cannot be replayed")
        entry["mod_wheel"] = replayed["mod_wheel"]
    (folder / "corpus.json").write_text(json.dumps(manifest, indent=1))
    return len(manifest["files"])


def write_drum_midi(path: Path, inst: Instrument, n_hits: int, spacing_s: float, rng: np.random.Generator):
    """Writes ``n_hits`` single drum hits, one every ``spacing_s`` seconds."""
    import mido

    ticks_per_beat = 480
    tempo = mido.bpm2tempo(120)
    events = []
    hits = []
    for k in range(n_hits):
        note = int(rng.choice(inst.drum_notes))
        velocity = int(rng.integers(40, 128))
        tick = int(round(mido.second2tick(k * spacing_s, ticks_per_beat, tempo)))
        events.append((tick, mido.Message("note_on", note=note, velocity=velocity, channel=DRUM_CHANNEL)))
        events.append((tick + 60, mido.Message("note_off", note=note, velocity=0, channel=DRUM_CHANNEL)))
        hits.append((note, velocity))
    write_events(path, events, ticks_per_beat, tempo)
    return hits


def write_events(path: Path, events, ticks_per_beat: int, tempo: int) -> None:
    """Writes ``(tick, mido.Message)`` events (absolute ticks) as a one-track MIDI file."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    # note_off before note_on at the same tick, so repeated notes retrigger.
    events = sorted(events, key=lambda e: (e[0], e[1].type == "note_on"))
    now = 0
    for tick, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.save(str(path))


def find_soundfont(name_or_path: str | None) -> Path:
    """Resolves a soundfont given as a path or a file name in the usual folders."""
    candidate = Path(name_or_path or DEFAULT_SOUNDFONT)
    if candidate.is_file():
        return candidate
    for folder in SOUNDFONT_DIRS:
        p = Path(folder) / candidate.name
        if p.is_file():
            return p
    raise ParameterError(
        f"soundfont: {str(candidate)!r} not found; install one (Debian: apt-get install fluid-soundfont-gm) "
        f"or pass a path to an .sf2/.sf3 file"
    )


def render_midi(midi_path: Path, wav_path: Path, soundfont: Path, sample_rate: int) -> np.ndarray:
    """Renders a MIDI file offline with FluidSynth; returns mono float32 audio."""
    import soundfile as sf

    exe = shutil.which("fluidsynth")
    if exe is None:
        raise ParameterError("fluidsynth: program not found; install it (Debian: apt-get install fluidsynth)")
    cmd = [exe, "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-F", str(wav_path), "-r", str(sample_rate),
           str(soundfont), str(midi_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not wav_path.is_file():
        raise AudioFileError(f"fluidsynth failed on {midi_path.name}: {done.stderr.strip()[-300:]}")
    y, sr = sf.read(str(wav_path), dtype="float32", always_2d=True)
    if sr != sample_rate:
        raise AudioFileError(f"{wav_path}: fluidsynth wrote {sr} Hz, expected {sample_rate} Hz")
    return y.mean(axis=1)


def normalise_peak(y: np.ndarray, peak: float = 0.5) -> np.ndarray:
    m = float(np.max(np.abs(y))) if y.size else 0.0
    return y if m < 1e-9 else (y * (peak / m)).astype(np.float32)


def render_instrument(
    out_dir: Path,
    name: str,
    seconds: float,
    seed: int,
    soundfont: str | None = None,
    sample_rate: int = 22050,
    phrase_seconds: float = 20.0,
    one_shot_samples: int = 16384,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Renders ``seconds`` of audio for one instrument into ``out_dir/name``; returns its manifest."""
    import soundfile as sf

    inst = instrument(name)
    sf_path = find_soundfont(soundfont)
    folder = Path(out_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, sum(map(ord, name))])
    manifest = {"instrument": name, "source": "fluidsynth", "soundfont": sf_path.name, "seed": seed,
                "sample_rate": sample_rate, "files": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if inst.is_drum:
            spacing_s = 1.0
            n_hits = max(1, int(round(seconds / (one_shot_samples / sample_rate))))
            batch = 64
            done = 0
            while done < n_hits:
                n = min(batch, n_hits - done)
                hits = write_drum_midi(tmp / "d.mid", inst, n, spacing_s, rng)
                y = render_midi(tmp / "d.mid", tmp / "d.wav", sf_path, sample_rate)
                for k, (note, velocity) in enumerate(hits):
                    start = int(round(k * spacing_s * sample_rate))
                    clip = np.zeros(one_shot_samples, dtype=np.float32)
                    seg = y[start : start + one_shot_samples]
                    clip[: len(seg)] = seg
                    if np.max(np.abs(clip)) < 1e-4:
                        continue
                    fname = f"{name}_{done + k:05d}.wav"
                    sf.write(str(folder / fname), normalise_peak(clip), sample_rate, subtype="FLOAT")
                    manifest["files"].append({"file": fname, "note": note, "velocity": velocity})
                done += n
                if progress:
                    progress(n * one_shot_samples / sample_rate)
        else:
            n_phrases = max(1, int(np.ceil(seconds / phrase_seconds)))
            for k in range(n_phrases):
                info = write_phrase_midi(tmp / "p.mid", inst, phrase_seconds, rng)
                y = render_midi(tmp / "p.mid", tmp / "p.wav", sf_path, sample_rate)
                fname = f"{name}_{k:05d}.wav"
                sf.write(str(folder / fname), normalise_peak(y), sample_rate, subtype="FLOAT")
                manifest["files"].append({"file": fname, **info})
                if progress:
                    progress(phrase_seconds)
    manifest["seconds"] = round(sum(sf.info(str(folder / f["file"])).duration for f in manifest["files"]), 2)
    (folder / "corpus.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def render_melody(notes: Iterable[tuple[float, float, int, int]], program: int, soundfont: str | None,
                  sample_rate: int = 22050, drum: bool = False) -> np.ndarray:
    """Renders given ``(start_s, duration_s, note, velocity)`` notes on one GM program (for oracles and demos)."""
    import mido

    channel = DRUM_CHANNEL if drum else 0
    tempo = mido.bpm2tempo(120)
    to_ticks = lambda s: int(round(mido.second2tick(s, 480, tempo)))  # noqa: E731
    events = [] if drum else [(0, mido.Message("program_change", program=program, channel=channel))]
    for start, dur, note, velocity in notes:
        events.append((to_ticks(start), mido.Message("note_on", note=note, velocity=velocity, channel=channel)))
        events.append((to_ticks(start + dur), mido.Message("note_off", note=note, velocity=0, channel=channel)))
    with tempfile.TemporaryDirectory() as tmp:
        write_events(Path(tmp) / "m.mid", events, 480, tempo)
        return render_midi(Path(tmp) / "m.mid", Path(tmp) / "m.wav", find_soundfont(soundfont), sample_rate)


def read_audio(path: Path, sample_rate: int) -> np.ndarray:
    """Reads any audio file soundfile can decode, as mono float32 at ``sample_rate``."""
    import soundfile as sf
    import soxr

    try:
        y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises several types for bad files
        raise AudioFileError(f"{path}: cannot read audio ({e})") from None
    y = y.mean(axis=1)
    if sr != sample_rate:
        y = soxr.resample(y, sr, sample_rate, quality="HQ").astype(np.float32)
    return y


def import_folder(
    src: Path,
    out_dir: Path,
    name: str,
    sample_rate: int = 22050,
    chunk_seconds: float = 20.0,
    top_db: float = 50.0,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Builds a corpus for ``name`` from a folder of recordings.

    Each file is resampled to ``sample_rate``, mixed to mono, stripped of silence
    (regions ``top_db`` below its peak), peak-normalised and cut into chunks.
    Unreadable files are skipped with a warning and listed in the manifest.
    """
    import librosa
    import soundfile as sf

    src = Path(src)
    if not src.is_dir():
        raise ParameterError(f"folder: {str(src)!r} is not a directory")
    files = sorted(p for p in src.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise ParameterError(f"folder: no audio files ({', '.join(AUDIO_SUFFIXES)}) under {str(src)!r}")
    folder = Path(out_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"instrument": name, "source": str(src), "sample_rate": sample_rate, "files": [], "skipped": []}
    chunk = int(chunk_seconds * sample_rate)
    k = 0
    for path in files:
        try:
            y = read_audio(path, sample_rate)
        except AudioFileError as e:
            log.warning("skipping %s", e)
            manifest["skipped"].append({"file": str(path), "reason": str(e)})
            if progress:
                progress(1)
            continue
        if not y.size or float(np.max(np.abs(y))) < 1e-4:
            # librosa's split is relative to the file's own peak: an all-silent file would pass it.
            manifest["skipped"].append({"file": str(path), "reason": "silence (peak below -80 dBFS)"})
            if progress:
                progress(1)
            continue
        intervals = librosa.effects.split(y, top_db=top_db)
        voiced = np.concatenate([y[a:b] for a, b in intervals]) if len(intervals) else np.zeros(0, np.float32)
        if voiced.size < sample_rate // 2:
            manifest["skipped"].append({"file": str(path), "reason": "less than 0.5 s above the silence threshold"})
        for start in range(0, voiced.size, chunk):
            seg = voiced[start : start + chunk]
            if seg.size < sample_rate // 2:
                continue
            fname = f"{name}_{k:05d}.wav"
            sf.write(str(folder / fname), normalise_peak(seg), sample_rate, subtype="FLOAT")
            manifest["files"].append({"file": fname, "from": str(path)})
            k += 1
        if progress:
            progress(1)
    if not manifest["files"]:
        raise ParameterError(f"folder: nothing usable under {str(src)!r} (all files silent or unreadable)")
    manifest["seconds"] = round(sum(sf.info(str(folder / f["file"])).duration for f in manifest["files"]), 2)
    (folder / "corpus.json").write_text(json.dumps(manifest, indent=1))
    return manifest
