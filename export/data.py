"""Training windows: log-mel analysis of a corpus folder, cached, sampled at random.

The analysis is bridge.dsp's, so training and runtime see exactly the same features.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

from bridge import dsp
from bridge.config import MelConfig
from lab.corpus import AUDIO_SUFFIXES, read_audio
from bridge.errors import AudioFileError

log = logging.getLogger(__name__)

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

    def __init__(self, mels: list[np.ndarray], config: MelConfig, one_shots: bool, manifest: dict):
        if not mels:
            raise ValueError("corpus: no audio files")
        self.mels = mels
        self.config = config
        self.one_shots = one_shots
        self.manifest = manifest
        self.lengths = np.array([m.shape[1] for m in mels])

    @property
    def seconds(self) -> float:
        return float(self.lengths.sum() * self.config.hop_length / self.config.sample_rate)

    @classmethod
    def load(cls, folder: Path, config: MelConfig, progress: bool = True, cache_dir: Path | None = None) -> "MelCorpus":
        """Analyses every audio file under ``folder``, cached in ``cache_dir`` (default ``~/.cache/bridge/mel``).

        The cache is keyed on the files' contents, so a take replaced by another of the
        same size is analysed again, and nothing is written into the user's folder.

        A rendered corpus (``bridge corpus``) or any folder of recordings works: files are
        read at the model rate in mono, unreadable ones are skipped with a warning. Level
        and silence need no preparation: each training window is normalised to the same
        loudness and quiet windows are redrawn.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: not a folder; render a corpus with `bridge corpus`")
        manifest_path = folder / "corpus.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {"source": str(folder)}
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
        if not files:
            raise FileNotFoundError(f"{folder}: no audio files ({', '.join(AUDIO_SUFFIXES)}); "
                                    f"render a corpus with `bridge corpus`")
        cache = Path(cache_dir or CACHE_DIR) / f"mel_{content_key(config, folder, files)}.npz"
        one_shots = manifest.get("source") == "fluidsynth" and all("note" in f for f in manifest.get("files", [{}]))
        if cache.is_file():
            data = np.load(cache)
            mels = [data[k] for k in sorted(data.files)]
            return cls(mels, config, one_shots, manifest)
        tf = dsp.mel_transform(config)
        from tqdm import tqdm

        mels = []
        for f in tqdm(files, desc=f"analyse {folder.name}", unit="file", disable=not progress):
            try:
                y = read_audio(f, config.sample_rate)
            except AudioFileError as e:
                log.warning("skipping %s", e)
                continue
            mels.append(dsp.melspectrogram_db(y, tf).astype(np.float32))
        if not mels:
            raise FileNotFoundError(f"{folder}: none of its {len(files)} audio files could be read")
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".part.npz")
        np.savez(tmp, **{f"m{i:06d}": m for i, m in enumerate(mels)})
        os.replace(tmp, cache)
        return cls(mels, config, one_shots, manifest)

    def sample(self, rng: np.random.Generator, batch: int, n_frames: int, silence_db: float = -70.0) -> np.ndarray:
        """Draws ``batch`` normalised windows ``(batch, 1, n_mels, n_frames)`` in [-1, 1].

        Melodic corpora: uniform random crops (files weighted by length), quiet
        windows redrawn. One-shot corpora: the window starts at the hit, jittered
        by up to two frames, so generation places the onset at the start.
        """
        c = self.config
        out = np.empty((batch, 1, c.n_mels, n_frames), dtype=np.float32)
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
            i += 1
        return out
