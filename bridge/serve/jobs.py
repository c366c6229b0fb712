"""Offline work inside the daemon: one background thread, one job at a time.

Each job is a function ``fn(gate)`` built here from already-checked arguments. ``gate``
runs between model calls: it waits while live streams have work (a long file never
delays a performance) and raises :class:`~bridge.errors.JobCancelled` at shutdown.
The computations are :mod:`bridge.offline`'s, the same ones the CLI runs.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .. import audio_io, offline
from ..config import GenerateConfig, PairConfig, Preset
from ..errors import BridgeError, BusyError, JobCancelled, ParameterError
from . import osc
from .messages import SetPreset
from .threads import name_os_thread

log = logging.getLogger("bridge.serve")

Reply = Callable[[bytes], None]
Job = Callable[[Callable[..., None]], None]
PROGRESS_STEP = 0.1
MAX_QUEUED_JOBS = 8
MAX_JOBS_PER_CLIENT = 4  # queued or running, per reply address: one client cannot fill the queue
# A file's decoded size is bounded too, not only its duration: a header may claim 192 kHz x 8 ch.
MAX_FILE_SAMPLES_PER_SECOND = 48000 * 2


class BackgroundWorker(threading.Thread):
    """Runs offline jobs one at a time, yielding to live streams between model calls."""

    def __init__(self, streams_idle: threading.Event, send_error: Callable[[Reply, str, str, str], None]):
        super().__init__(name="bridge-jobs", daemon=True)
        self.jobs: queue.Queue = queue.Queue()
        self.streams_idle = streams_idle
        self.send_error = send_error
        self.current: str | None = None
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._per_client: dict = {}

    def submit(self, name: str, request: str, fn: Job, reply: Reply) -> None:
        """Queues a job; refuses with BusyError when ``MAX_QUEUED_JOBS`` are waiting already, or when
        ``reply``'s client has ``MAX_JOBS_PER_CLIENT`` queued or running."""
        waiting = self.jobs.qsize()
        if waiting >= MAX_QUEUED_JOBS:
            raise BusyError(f"{request}: {waiting} jobs are queued (at most {MAX_QUEUED_JOBS}); "
                            f"send more when one is done")
        client = getattr(reply, "addr", None)
        with self._lock:
            mine = self._per_client.get(client, 0)
            if mine >= MAX_JOBS_PER_CLIENT:
                raise BusyError(f"{request}: this client has {mine} jobs queued or running (at most "
                                f"{MAX_JOBS_PER_CLIENT}); send more when one is done")
            self._per_client[client] = mine + 1
        self.jobs.put((name, request, fn, reply))

    def gate(self, *_args) -> None:
        """Called between model calls: waits while live streams have work; raises if cancelled."""
        while not self.streams_idle.wait(0.1):
            if self.cancelled.is_set():
                break
        if self.cancelled.is_set():
            raise JobCancelled("cancelled: the daemon is stopping")

    def run(self) -> None:
        name_os_thread()
        while True:
            item = self.jobs.get()
            if item is None:
                return
            name, request, fn, reply = item
            self.current = name
            try:
                fn(self.gate)
            except BridgeError as e:
                self.send_error(reply, request, e.code, f"{name}: {e}")
            except Exception as e:
                log.exception("job %s failed", name)
                self.send_error(reply, request, "internal", f"{name}: {type(e).__name__}: {e}"[:300])
            finally:
                self.current = None
                self._done(getattr(reply, "addr", None))

    def _done(self, client) -> None:
        with self._lock:
            left = self._per_client.get(client, 1) - 1
            if left > 0:
                self._per_client[client] = left
            else:
                self._per_client.pop(client, None)

    def stop(self, timeout_s: float) -> bool:
        """Cancels the running job at its next gate; True if the thread ended within ``timeout_s``."""
        self.cancelled.set()
        self.jobs.put(None)
        self.join(timeout_s)
        return not self.is_alive()


def check_duration(path, max_s: float):
    """Refuses files longer than ``max_s`` (or larger, in samples); ``path`` may be an opened file.

    Returns soundfile's header info (rate, channels, subtype) of what was checked.
    """
    import soundfile as sf

    try:
        info = sf.info(path if hasattr(path, "read") else str(path))
    except Exception as e:
        raise ParameterError(f"in_path: cannot read audio ({e}); use wav, flac, ogg or mp3") from None
    if info.duration > max_s:
        raise ParameterError(f"in_path: expected at most {max_s:.0f} s, got {info.duration:.1f} s "
                             f"(split the file, or render it with `bridge transfer`)")
    limit = int(max_s * MAX_FILE_SAMPLES_PER_SECOND)
    if info.frames * info.channels > limit:
        raise ParameterError(f"in_path: {info.frames} frames x {info.channels} channels ({info.samplerate} Hz) is "
                             f"more than {limit} samples, {max_s:.0f} s of 48 kHz stereo; render it with "
                             f"`bridge transfer`")
    return info


def load_model(models, name: str, worker, reply: Reply) -> Job:
    def job(gate) -> None:
        den = models.load(name)
        worker.submit(SetPreset(worker.preset))  # streams pick up the reloaded weights
        reply(osc.build("/bridge/model/loaded", name, den.provider))

    return job


def process_file(models, preset: Preset, src: Path, out: Path, job_id: str, reply: Reply,
                 overwrite: bool = False, roots: Sequence[Path] = (), max_s: float = 600.0) -> Job:
    """A file restyled by :func:`bridge.offline.transfer`, with progress every 10 %.

    The input is opened once, inside ``roots``, and its length checked again on what was
    opened (the name may have been swapped since the handler's check); the output is
    written inside ``roots`` as checked on the opened folder.
    """

    def job(gate) -> None:
        with audio_io.open_within(src, roots) as f:
            info = check_duration(f, max_s)
            y, sr = audio_io.read(f)
        total, done, last = y.shape[1], 0, -1.0
        bad = int(y.size - np.count_nonzero(np.isfinite(y)))
        if bad:  # said once, with the count; the job goes on
            reply(osc.build("/bridge/error", "/bridge/file/process", "audio",
                            f"job {job_id}: {bad} NaN/Inf samples in {src.name} treated as silence"))

        def progress(k: int) -> None:
            nonlocal done, last
            done += k
            frac = done / total
            if frac - last >= PROGRESS_STEP or done == total:
                reply(osc.build("/bridge/file/progress", job_id, float(frac)))
                last = frac

        y_out = offline.transfer(y, sr, models, preset, progress, gate)
        audio_io.write(out, y_out, sr, info.subtype, overwrite=overwrite, protect=[src], within=roots)
        reply(osc.build("/bridge/file/done", job_id, str(out), float(total / sr)))

    return job


def generate(den, config: GenerateConfig, out: Path, job_id: str, reply: Reply, overwrite: bool = False,
             roots: Sequence[Path] | None = None) -> Job:
    def job(gate) -> None:
        y = offline.generate(den, config, callback=gate)[0]
        sr = den.info.mel.sample_rate
        audio_io.write(out, y, sr, overwrite=overwrite, within=roots)
        reply(osc.build("/bridge/generate/done", job_id, str(out), float(len(y) / sr)))

    return job


def pair(model_a, model_b, config: PairConfig, paths: tuple[Path, Path], job_id: str, reply: Reply,
         overwrite: bool = False, roots: Sequence[Path] | None = None) -> Job:
    def job(gate) -> None:
        ya, yb = offline.pair(model_a, model_b, config, callback=gate)
        sr = model_a.info.mel.sample_rate
        pa, pb = (audio_io.write(p, y, sr, overwrite=overwrite, within=roots) for p, y in zip(paths, (ya, yb)))
        reply(osc.build("/bridge/pair/done", job_id, str(pa), str(pb)))

    return job
