"""Training windows: log-mel analysis of a corpus folder, cached, sampled at random.

The analysis is bridge.dsp's, so training and runtime see exactly the same features.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from bridge import controls, dsp
from bridge.config import MelConfig
from lab.corpus import AUDIO_SUFFIXES, read_audio
from bridge.errors import AudioFileError

log = logging.getLogger(__name__)


def audio_files(folder: Path) -> list[Path]:
    """Every audio file under ``folder``, in a fixed order (the mels, pitch tracks and measurements agree on it)."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def each_audio(files: list[Path], sample_rate: int, desc: str, progress: bool, warn: bool = True):
    """Yields each file read at ``sample_rate`` in mono; an unreadable one is skipped (with a warning)."""
    from tqdm import tqdm

    for f in tqdm(files, desc=desc, unit="file", disable=not progress):
        try:
            yield read_audio(f, sample_rate)
        except AudioFileError as e:
            if warn:
                log.warning("skipping %s", e)


CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bridge" / "mel"


def content_key(config: MelConfig, folder: Path, files: list[Path]) -> str:
    """What the analysis depends on: the mel settings, each file's name and its bytes (not its size or date)."""
    h = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode())
    for f in files:
        h.update(str(f.relative_to(folder)).encode() + b"\0")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()[:16]


class MelCorpus:
    """All files of one instrument's corpus as log-mel arrays on the absolute frame grid."""

    def __init__(self, mels: list[np.ndarray], config: MelConfig, one_shots: bool, manifest: dict,
                 tracks: list[np.ndarray] | None = None):
        if not mels:
            raise ValueError("corpus: no audio files")
        if tracks is not None and [t.shape[1] for t in tracks] != [m.shape[1] for m in mels]:
            raise ValueError("corpus: the pitch tracks do not match the mel frames; delete the cache")
        self.mels = mels
        self.tracks = tracks  # per file (3, frames): f0 Hz (0 unvoiced), voiced, onset (bridge.controls)
        self.config = config
        self.one_shots = one_shots
        self.manifest = manifest
        self.lengths = np.array([m.shape[1] for m in mels])

    def mod_wheels(self) -> list[int] | None:
        """Each file's mod wheel (CC1) as its manifest records it (``lab.corpus``), or None where it does not.

        The manifest lists a rendered corpus's files in name order, as they were read; a
        manifest that does not give one value per file read (a file skipped) gives None.
        """
        files = self.manifest.get("files") or []
        if len(files) != len(self.mels) or not all(isinstance(f.get("mod_wheel"), int) for f in files):
            return None
        return [f["mod_wheel"] for f in files]

    @property
    def seconds(self) -> float:
        return float(self.lengths.sum() * self.config.hop_length / self.config.sample_rate)

    @classmethod
    def load(cls, folder: Path, config: MelConfig, progress: bool = True, cache_dir: Path | None = None,
             with_controls: bool = False) -> "MelCorpus":
        """Analyses every audio file under ``folder``, cached in ``cache_dir`` (default ``~/.cache/bridge/mel``).

        The cache is keyed on the files' contents, so a take replaced by another of the
        same size is analysed again, and nothing is written into the user's folder.

        A rendered corpus (``bridge corpus``) or any folder of recordings works: files are
        read at the model rate in mono, unreadable ones are skipped with a warning. Level
        and silence need no preparation: each training window is normalised to the same
        loudness and quiet windows are redrawn.
        """
        folder = Path(folder)
        if folder.suffix == ".npz" and folder.is_file():
            corpus = cls.load_packed(folder, config)
            if with_controls and corpus.tracks is None:
                raise ValueError(f"{folder}: packed without pitch tracks; pack it again with --controls")
            return corpus
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: not a folder; render a corpus with `bridge corpus`")
        manifest_path = folder / "corpus.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {"source": str(folder)}
        files = audio_files(folder)
        if not files:
            raise FileNotFoundError(f"{folder}: no audio files ({', '.join(AUDIO_SUFFIXES)}); "
                                    f"render a corpus with `bridge corpus`")
        cache = Path(cache_dir or CACHE_DIR) / f"mel_{content_key(config, folder, files)}.npz"
        one_shots = manifest.get("source") == "fluidsynth" and all("note" in f for f in manifest.get("files", [{}]))
        tracks = _tracks(folder, files, config, cache, progress) if with_controls else None
        if cache.is_file():
            data = np.load(cache)
            mels = [data[k] for k in sorted(data.files)]
            return cls(mels, config, one_shots, manifest, tracks)
        tf = dsp.mel_transform(config)
        mels = [dsp.melspectrogram_db(y, tf).astype(np.float32)
                for y in each_audio(files, config.sample_rate, f"analyse {folder.name}", progress)]
        if not mels:
            raise FileNotFoundError(f"{folder}: none of its {len(files)} audio files could be read")
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".part.npz")
        np.savez(tmp, **{f"m{i:06d}": m for i, m in enumerate(mels)})
        os.replace(tmp, cache)
        return cls(mels, config, one_shots, manifest, tracks)

    def save_packed(self, path: Path) -> None:
        """Writes the analysed corpus as one ``.npz`` (mel dB in float16, the mel settings and manifest).

        A packed corpus trains where the audio is not (a GPU machine): ``bridge train violin.npz``.
        float16 keeps the dB values to 0.03 dB here (-120..0 dB), far below what a window shows.
        """
        meta = json.dumps({"mel": asdict(self.config), "one_shots": self.one_shots, "manifest": self.manifest})
        tmp = Path(path).with_name(Path(path).name + ".part.npz")
        tracks = {f"t{i:06d}": t for i, t in enumerate(self.tracks or [])}
        np.savez(tmp, meta=np.array(meta), **{f"m{i:06d}": m.astype(np.float16) for i, m in enumerate(self.mels)},
                 **tracks)
        os.replace(tmp, path)

    @classmethod
    def load_packed(cls, path: Path, config: MelConfig) -> "MelCorpus":
        """Reads what :meth:`save_packed` wrote; refuses one analysed with other mel settings."""
        data = np.load(path)
        meta = json.loads(str(data["meta"]))
        packed = MelConfig.from_dict(meta["mel"])
        if (packed.sample_rate, packed.n_fft, packed.hop_length, packed.n_mels) != (
                config.sample_rate, config.n_fft, config.hop_length, config.n_mels):
            raise ValueError(f"{path}: analysed at {packed.sample_rate} Hz, n_fft {packed.n_fft}, hop "
                             f"{packed.hop_length}, {packed.n_mels} mels; training wants {config.sample_rate}, "
                             f"{config.n_fft}, {config.hop_length}, {config.n_mels}: pack the corpus again")
        mels = [data[k].astype(np.float32) for k in sorted(data.files) if k.startswith("m") and k != "meta"]
        tracks = [data[k] for k in sorted(data.files) if k.startswith("t")] or None
        return cls(mels, config, bool(meta["one_shots"]), meta["manifest"], tracks)

    def sample(self, rng: np.random.Generator, batch: int, n_frames: int, silence_db: float = -70.0,
               with_controls: bool = False):
        """Draws ``batch`` normalised windows ``(batch, 1, n_mels, n_frames)`` in [-1, 1].

        With ``with_controls`` returns ``(windows, planes)``: also each window's control
        planes ``(batch, 4, n_mels, n_frames)`` from its own pitch track (bridge.controls).

        Melodic corpora: uniform random crops (files weighted by length), quiet
        windows redrawn. One-shot corpora: the window starts at the hit, jittered
        by up to two frames, so generation places the onset at the start.
        """
        c = self.config
        out = np.empty((batch, 1, c.n_mels, n_frames), dtype=np.float32)
        cond = np.zeros((batch, controls.CONTROL_CHANNELS, c.n_mels, n_frames), np.float32) if with_controls else None
        weights = np.maximum(self.lengths - n_frames + 1, 1).astype(np.float64)
        weights /= weights.sum()
        i = 0
        tries = 0
        while i < batch:
            tries += 1
            k = rng.choice(len(self.mels), p=weights)
            m = self.mels[k]
            if self.one_shots:
                start = int(rng.integers(0, 3))
            else:
                start = int(rng.integers(0, max(1, m.shape[1] - n_frames + 1)))
            w = m[:, start : start + n_frames]
            if w.shape[1] < n_frames:
                w = np.pad(w, ((0, 0), (0, n_frames - w.shape[1])), constant_values=-120.0)
            if dsp.level_db(w) < silence_db and tries < 50 * batch:
                continue
            out[i, 0] = dsp.db_to_model(w, dsp.window_gain_db(w, c), c)
            if cond is not None:
                f0, voiced, onset = self.tracks[k][:, start : start + n_frames]
                cond[i, :, :, : len(f0)] = controls.planes(f0, voiced > 0, onset, c)
            i += 1
        return out if cond is None else (out, cond)


def note_envelope(corpus: "MelCorpus", attack_frames: int = 4, frames: int = 40) -> dict | None:
    """The instrument's typical note envelope: attack time and level slope after it (medians over its notes).

    Per note (bridge.controls onsets), on the frame level (summed mel power):
    ``note_attack_s``, the time from the onset to the first frame within 3 dB of the loudest
    in the next 0.3 s (or up to the next onset), on notes of ``ATTACK_MIN_NOTE_S`` or more;
    ``note_decay_db_s``, a line fitted from
    ``attack_frames`` after the onset to ``frames`` after it (or the next onset), voiced frames
    only, notes with fewer than 10 such frames skipped; for a target that decays,
    ``note_decay_by_band``, each mel band's slope over the same frames against the level's
    (median over notes; FluidR3's guitar: its bands above 2 kHz fall 18-43 dB/s faster);
    ``vibrato_cents`` and ``vibrato_hz``
    (:func:`_vibrato_at_rest`); ``note_decay_by_pitch`` (:func:`_by_pitch`). FluidR3's guitar:
    0.0 s and -29.2 dB/s; its violin: 0.081 s and +3.0 (its notes swell). None without pitch tracks.
    """
    if corpus.tracks is None:
        return None
    rate = corpus.config.sample_rate / corpus.config.hop_length
    slopes, pitches, attacks, bands = [], [], [], []
    for m, (f0, voiced, onset) in zip(corpus.mels, corpus.tracks):
        level = 10.0 * np.log10(np.power(10.0, m / 10.0).sum(axis=0) + 1e-12)
        for a, b in _notes(onset):
            rise = level[a : min(b, a + int(0.3 * rate))]
            if len(rise) >= 8 and b - a >= ATTACK_MIN_NOTE_S * rate:
                attacks.append(int(np.argmax(rise >= rise.max() - 3.0)) / rate)
            idx = np.arange(a + attack_frames, min(b, a + frames))
            idx = idx[voiced[idx] > 0]
            if len(idx) >= 10:
                slopes.append(np.polyfit(idx / rate, level[idx], 1)[0])
                pitches.append(float(np.median(f0[idx])))
                bands.append(_band_slopes(m[:, idx], idx / rate, slopes[-1]))
    if not slopes or not attacks:
        return None
    out = {"note_attack_s": round(float(np.median(attacks)), 3), "note_decay_db_s": round(float(np.median(slopes)), 2),
           **_vibrato_at_rest(corpus, rate)}
    by_pitch = _by_pitch(np.asarray(pitches), np.asarray(slopes), DECAY_MIN_NOTES)
    if by_pitch:  # no octave with enough notes: the median alone (an empty table is refused at load)
        out["note_decay_by_pitch"] = by_pitch
    if out["note_decay_db_s"] < 0 and len(bands) >= DECAY_MIN_NOTES:  # a held note's bands do not part
        with np.errstate(all="ignore"):
            by_band = np.nanmedian(np.asarray(bands), axis=0)
        out["note_decay_by_band"] = [round(float(v), 1) for v in np.nan_to_num(by_band, nan=0.0)]
    return out


BAND_LIVE_DB = 60.0  # a band more than this below a note's loudest carries none of it


def _band_slopes(mel_db: np.ndarray, t: np.ndarray, level_slope: float) -> np.ndarray:
    """Each mel band's level slope (dB/s) over frames ``t`` against the note's whole level's (NaN: an empty band)."""
    slopes = np.polyfit(t, mel_db.T, 1)[0] - level_slope
    mean = mel_db.mean(axis=1)
    return np.where(mean > mean.max() - BAND_LIVE_DB, slopes, np.nan)


# A note cut before its swell ends has no attack of its own to measure: with every note of 93 ms
# or more the violin's median was 70 ms (the runtime's ramp), with those of 0.15 s or more (the
# shortest bridge eval measures, lab.envelope.MIN_NOTE_S) 81 ms, the cello's 93 and 116; the oracle
# renders measure 81-116 ms (violin) and 122-139 (cello) over 4 and 12 eval phrases.
ATTACK_MIN_NOTE_S = 0.15
DECAY_MIN_NOTES = 20  # an octave with fewer notes gives no point of note_decay_by_pitch
MOD_WHEEL_AT_REST = 20  # a rendered file whose mod wheel (CC1) is below this plays the instrument's own vibrato
VIBRATO_MIN_NOTES = 10  # an octave with fewer notes gives no point of vibrato_by_pitch


def _vibrato_at_rest(corpus: "MelCorpus", rate: float) -> dict:
    """``vibrato_cents`` and ``vibrato_hz`` (medians) and ``vibrato_by_pitch`` of the notes played without added vibrato.

    A rendered corpus (``lab.corpus``) draws a mod wheel (CC1, 0-69) per file, and
    FluidSynth adds vibrato with it; the files rendered with it below
    ``MOD_WHEEL_AT_REST`` measure what the instrument plays when nobody asks for more, and
    the rest are left out. A folder of recordings (no mod wheel in its manifest) gives all
    its notes. FluidR3's violin with the wheel at rest: 7.9 cents around G3, 9.6 around A4,
    13.0 around D6; over all its files (the wheel anywhere in 0-69) the median was 11.9.
    """
    wheels = corpus.mod_wheels()
    tracks = corpus.tracks
    if wheels is not None:
        tracks = [t for t, w in zip(corpus.tracks, wheels) if w < MOD_WHEEL_AT_REST] or corpus.tracks
    notes = _vibrato_notes(tracks, rate)
    if not len(notes):
        return {"vibrato_cents": 0.0, "vibrato_hz": 0.0}
    out = {"vibrato_cents": round(float(np.median(notes[:, 0])), 2),
           "vibrato_hz": round(float(np.median(notes[:, 1])), 2)}
    by_pitch = _by_pitch(notes[:, 2], notes[:, 0], VIBRATO_MIN_NOTES)
    if by_pitch:
        out["vibrato_by_pitch"] = by_pitch
    return out


def _by_pitch(f0_hz: np.ndarray, values: np.ndarray, min_notes: int) -> list[list[float]]:
    """A per-note measure against pitch: ``[[Hz, value], ...]``, one point per octave (from A) holding notes.

    Each point is the octave's median pitch and median value, octaves with fewer than
    ``min_notes`` notes left out; the runtime interpolates in log pitch and holds the end
    values beyond (bridge.window.at_pitch). A plucked string's high notes die sooner: FluidR3's
    guitar falls -14 dB/s at A1-A2 and -44 at A4-A5 (its median -29 is the A3 octave's), which
    the violin->guitar test phrases (violin range) showed as a sustain 5 dB over the oracle's.
    """
    octave = np.floor(np.log2(f0_hz / 440.0))
    points = []
    for o in np.unique(octave):
        sel = octave == o
        if sel.sum() >= min_notes:
            points.append([round(float(np.median(f0_hz[sel])), 1), round(float(np.median(values[sel])), 2)])
    return points


def noise_share(folder: Path, config: MelConfig, progress: bool = False) -> list[float]:
    """Each mel band's share of power between the partials on the voiced frames of a corpus's audio.

    (bridge.harmonic.band_power_split, summed over every file, then its ratio): what
    ``noise: measured`` reproduces. FluidR3's violin: 1.5% of the power of the bands
    from 0.4 to 1.9 kHz, 9% from 1.9 to 4.4 kHz, 44% above. Reads the audio again (the mel cannot
    tell partials from the noise between them) and tracks its pitch.
    """
    from bridge import harmonic

    tf = dsp.mel_transform(config)
    between, total = np.zeros(config.n_mels), np.zeros(config.n_mels)
    for y in each_audio(audio_files(folder), config.sample_rate, f"noise {Path(folder).name}", progress):
        f0, _, _ = controls.track_signal(y, config)
        b, t = harmonic.band_power_split(dsp.spectrogram(y, tf), f0, tf)
        between += b
        total += t
    if not total.any():
        raise ValueError(f"{folder}: no voiced frames to measure the noise share on")
    return [round(float(v), 4) for v in harmonic.noise_share(between, total)]


def _notes(onset: np.ndarray) -> list[tuple[int, int]]:
    """Each note's frames ``[start, end)``: from one onset to the next (the last to the track's end)."""
    starts = [int(j) for j in np.flatnonzero(onset > 0)]
    return list(zip(starts, starts[1:] + [len(onset)]))


def _vibrato_notes(tracks: list[np.ndarray], rate: float) -> np.ndarray:
    """Each long note's vibrato: ``(notes, 3)`` rows of depth (RMS cents), rate (Hz) and median pitch (Hz).

    Depth and rate are those of the strongest 3-9 Hz sinusoid in the note's pitch (cents)
    around its straight line (a slow glide stays out; tracking jitter spreads over all
    frequencies and is left out). A pure 4.5-7 Hz vibrato reads within 2.5% of its depth; around
    a 0.4 s moving median, as before, it read 12-17% low, and the runtime played that.
    Notes of at least 40 voiced frames, their first 8 and last 4 frames left out.
    """
    rows = []
    for f0, _, onset in tracks:
        for a, b in _notes(onset):
            if b - a < 40 or (f0[a:b] <= 0).any():
                continue
            cents = 1200.0 * np.log2(f0[a + 8 : b - 4])
            n = np.arange(len(cents))
            r = cents - np.polyval(np.polyfit(n, cents, 1), n)
            window = np.hanning(len(r))
            spec = np.abs(np.fft.rfft(r * window, n=1024))
            freqs = np.fft.rfftfreq(1024, 1.0 / rate)
            band = (freqs > 3.0) & (freqs < 9.0)
            i = np.argmax(spec[band])
            depth = 2.0 * spec[band][i] / window.sum() / np.sqrt(2.0)
            rows.append((depth, freqs[band][i], float(np.median(f0[a:b]))))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


def _tracks(folder: Path, files: list[Path], config: MelConfig, mel_cache: Path, progress: bool) -> list[np.ndarray]:
    """Each file's pitch track ``(3, frames)`` (bridge.controls.track_signal), cached beside the mels."""
    settings = (controls.PLANES, controls.FMIN_HZ, controls.FMAX_HZ, controls.YIN_THRESHOLD,
                controls.VOICED_APERIODICITY, controls.VOICED_MIN_DB, controls.ONSET_CENTS, controls.ONSET_RISE_DB,
                controls.ONSET_GAP, "yin on the frame's later half")
    tag = hashlib.sha256(repr(settings).encode()).hexdigest()[:8]  # the tracker's settings: new settings, new tracks
    cache = mel_cache.with_name(mel_cache.name.replace("mel_", "ctl_").replace(".npz", f"_{tag}.npz"))
    if cache.is_file():
        data = np.load(cache)
        return [data[k] for k in sorted(data.files)]
    tracks = []
    # An unreadable file is skipped (and said) by the mel analysis too.
    for y in each_audio(files, config.sample_rate, f"pitch {folder.name}", progress, warn=False):
        f0, voiced, onset = controls.track_signal(y, config)
        tracks.append(np.stack([f0, voiced.astype(np.float32), onset]).astype(np.float32))
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".part.npz")
    np.savez(tmp, **{f"t{i:06d}": t for i, t in enumerate(tracks)})
    os.replace(tmp, cache)
    return tracks


def main(argv=None) -> int:
    """``python -m export.data CORPUS_FOLDER OUT.npz``: analyses a corpus and packs it into one file."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m export.data", description=main.__doc__.splitlines()[0])
    p.add_argument("corpus", help="one instrument's corpus folder (bridge corpus writes CORPUS/NAME)")
    p.add_argument("out", help="the .npz to write")
    p.add_argument("--controls", action="store_true", help="also pack the pitch tracks (for conditioned models)")
    a = p.parse_args(argv)
    if not a.out.endswith(".npz"):
        raise SystemExit(f"out: expected a name ending in .npz, got {a.out!r}")
    corpus = MelCorpus.load(Path(a.corpus), MelConfig(), progress=sys.stderr.isatty(), with_controls=a.controls)
    corpus.save_packed(Path(a.out))
    print(f"packed {len(corpus.mels)} files, {corpus.seconds:.0f} s, into {a.out} "
          f"({Path(a.out).stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
