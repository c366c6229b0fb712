"""Audio-interface mode: the sound card's input restyled to its output (``bridge live``).

``bridge live`` (or ``bridge serve --audio``) opens one duplex sounddevice stream and
feeds it through the same :class:`~bridge.serve.worker.StreamWorker` as OSC streams, as a
stream with id -1 (it appears as such in ``/bridge/stream/status``)::

    PortAudio callback (block k) --Chunk(seq k)--> worker inbox --> stream.Stream
    PortAudio callback (block k + D) <-- output FIFO <-- Sink.audio(seq k, array)

The callback never blocks and never computes: it copies the input block into the
worker's inbox and plays the output of block ``k - D`` from a FIFO the worker fills (this
adapter is the stream's :class:`~bridge.serve.worker.Sink`: arrays, not OSC bytes). ``D`` blocks
of silence are the *prefill*: the worker's time to answer a block, ``--audio-prefill-ms``
(default 40 ms) rounded up to whole blocks, at least one. The engine's own latency
already holds the compute budget; the prefill only covers the worker thread waking up,
finishing the tick it is in and sharing the GIL (in this mode the switch interval is
lowered to 1 ms, objects alive at start are frozen out of garbage collection, and, on
Linux where allowed, the worker thread runs at nice -10). A reply that misses its slot is an *underrun*: silence is played in its
place, the late reply is dropped when it arrives, and both are counted and logged (twice
a second at most, with totals), so the latency never drifts and nothing is lost
silently. Device xruns reported by PortAudio are counted and logged the same way, and a
device stream that stops by itself (JACK server gone, device unplugged) is logged as an
error.

Latency, exactly, in samples at the interface's rate (logged at start)::

    total = input latency + engine latency + prefill (D * blocksize) + output latency

where the engine latency is ``bridge.stream.Stream.latency_samples`` (windowing, resampling and
the compute budget; the dry path is delayed by exactly this much) and the input and
output latencies are what PortAudio reports for the open stream. A sample entering the
interface leaves it ``total`` samples later; the JACK loopback test checks this to the
sample.

For example, with the tests' tiny models and 16-frame windows at 48 kHz, block 256, on a
JACK dummy server with 256-frame periods: ``14017 = 0 + 11457 + 2048 (8 x 256) + 512``
samples (292.021 ms), and the measured loop was 14017 samples.

JACK: PortAudio's JACK client is named ``bridge`` (ports ``bridge:in_N``/``bridge:out_N``;
JACK renames a second one ``bridge-01``, and the start-up log names the client) and
connects to the physical ports. Loading a preset with another window size or stereo
mode re-opens the engine stream (the new latency is logged; blocks in flight at that
moment play as silence and are counted as underruns).
"""

from __future__ import annotations

import collections
import gc
import logging
import math
import sys
import threading
import time
from typing import Any, Callable

import numpy as np

from ..config import check_stream
from ..errors import ParameterError
from .devices import JACK_CLIENT_NAME, AudioDeviceError, init_portaudio, jack_client_name, resolve_device
from .messages import Chunk, Close, Open
from .threads import name_os_thread

log = logging.getLogger("bridge.live")

AUDIO_STREAM_ID = -1
STREAM_KEY = ("audio-interface", 0, AUDIO_STREAM_ID)  # worker key; never equal to an OSC (host, port, id) key
DEFAULT_PREFILL_MS = 40.0
GIL_SWITCH_INTERVAL_S = 0.001
WORKER_NICE = -10
OPEN_TIMEOUT_S = 120.0  # the worker measures one window's cost when a stream opens
MAX_QUEUED_SECONDS = 2.0
_COUNTERS = ("callbacks", "played", "underruns", "late_dropped", "input_dropped", "size_mismatch",
             "input_overflow", "input_underflow", "output_overflow", "output_underflow")

class AudioInterface:
    """A duplex sounddevice stream restyled by the daemon's stream worker, with an exact, logged latency."""

    def __init__(self, submit: Callable[[object], None], queued: Callable[[], int],
                 worker_thread_id: Callable[[], int | None], input_device: Any = None, output_device: Any = None,
                 sample_rate: int | None = None, blocksize: int = 256, channels: int = 2,
                 prefill_ms: float | None = None, device_latency: str | float = "low",
                 jack_client_name: str | None = JACK_CLIENT_NAME):
        """``submit`` and ``queued`` are the stream worker's inbox; ``worker_thread_id()`` its native id."""
        if isinstance(blocksize, bool) or not isinstance(blocksize, int) or not 16 <= blocksize <= 16384:
            raise AudioDeviceError(f"--blocksize: expected 16 to 16384 frames, got {blocksize!r}")
        try:
            check_stream(48000 if sample_rate is None else sample_rate, channels)
        except ParameterError as e:
            raise AudioDeviceError(f"--audio-rate/--channels: {e}") from None
        prefill_ms = DEFAULT_PREFILL_MS if prefill_ms is None else float(prefill_ms)
        if not (math.isfinite(prefill_ms) and 0.0 <= prefill_ms <= 2000.0):
            raise AudioDeviceError(f"--audio-prefill-ms: expected 0 to 2000, got {prefill_ms!r}")
        self.submit = submit
        self.queued = queued
        self.worker_thread_id = worker_thread_id
        self.input_device = input_device
        self.output_device = output_device
        self.requested_rate = None if sample_rate is None else int(sample_rate)
        self.blocksize = blocksize
        self.channels = channels
        self.prefill_ms = prefill_ms
        self.device_latency = device_latency
        self.jack_client_name = jack_client_name
        # Set by start():
        self.sample_rate = 0
        self.prefill_blocks = 1
        self.engine_latency = 0
        self.input_latency = 0
        self.output_latency = 0
        self.counters = dict.fromkeys(_COUNTERS, 0)
        self._sd = None
        self._stream = None
        self._seq = 0
        self._out: collections.deque = collections.deque()
        self._max_queued = 0
        self._opened = threading.Event()
        self._open_error: str | None = None
        self._closed = threading.Event()
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._reported = dict.fromkeys(_COUNTERS, 0)
        self._stream_lost = False

    # -- latency ------------------------------------------------------------------------
    @property
    def prefill_samples(self) -> int:
        return self.prefill_blocks * self.blocksize

    @property
    def latency_samples(self) -> int:
        """Input to output of the interface, in samples at ``sample_rate``."""
        return self.input_latency + self.engine_latency + self.prefill_samples + self.output_latency

    @property
    def latency_ms(self) -> float:
        return 1000.0 * self.latency_samples / self.sample_rate if self.sample_rate else 0.0

    def latency_text(self) -> str:
        return (f"latency {self.latency_samples} samples ({self.latency_ms:.3f} ms at {self.sample_rate} Hz) = "
                f"input {self.input_latency} + engine {self.engine_latency} + prefill {self.prefill_samples} "
                f"({self.prefill_blocks} x {self.blocksize}) + output {self.output_latency}")

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Opens the devices and the engine stream, logs the latency and starts the audio; raises AudioDeviceError."""
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            # The audio callback and the worker share the GIL: hand it over sooner than every 5 ms.
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        sd = self._sd = init_portaudio(self.jack_client_name)
        try:
            self._start(sd)
        except BaseException:
            self._close_stream()
            if self._opened.is_set() and not self._open_error:
                self.submit(Close(STREAM_KEY, AUDIO_STREAM_ID, self))
            self._terminate_portaudio()
            raise

    def _start(self, sd) -> None:
        in_idx, in_info = resolve_device(sd, self.input_device, "input", self.channels)
        out_idx, out_info = resolve_device(sd, self.output_device, "output", self.channels)
        rate = self.requested_rate or int(round(in_info["default_samplerate"]))
        for kind, idx, info, check in (("input", in_idx, in_info, sd.check_input_settings),
                                       ("output", out_idx, out_info, sd.check_output_settings)):
            try:
                check(device=idx, channels=self.channels, dtype="float32", samplerate=rate)
            except (ValueError, sd.PortAudioError) as e:
                default = int(round(info["default_samplerate"]))
                raise AudioDeviceError(
                    f"--{kind}-device {info['name']!r}: cannot run {self.channels} ch float32 at {rate} Hz ({e}); "
                    + (f"omit --audio-rate to use its {default} Hz" if self.requested_rate else
                       "pass --audio-rate with a rate both devices support")) from None
        self.sample_rate = rate
        self.prefill_blocks = max(1, int(math.ceil(self.prefill_ms * rate / 1000.0 / self.blocksize - 1e-9)))
        self._max_queued = max(8, int(MAX_QUEUED_SECONDS * rate / self.blocksize))
        self._out.clear()
        self._seq = 0

        # The engine stream first: the worker measures the compute budget before audio flows.
        self.submit(Open(STREAM_KEY, AUDIO_STREAM_ID, rate, self.channels, self))
        if not self._opened.wait(OPEN_TIMEOUT_S):
            raise AudioDeviceError(f"--audio: the engine stream did not open within {OPEN_TIMEOUT_S:.0f} s; "
                                   f"see the log above")
        if self._open_error:
            raise AudioDeviceError(f"--audio: the engine stream cannot open: {self._open_error}")

        self._raise_worker_priority()
        # A full garbage collection walks every object the models and libraries made (15-20 ms
        # here) while holding the GIL, stalling the callback and the worker: keep them out of it.
        gc.collect()
        gc.freeze()
        try:
            self._stream = sd.Stream(device=(in_idx, out_idx), samplerate=rate, blocksize=self.blocksize,
                                     channels=self.channels, dtype="float32", latency=self.device_latency,
                                     callback=self._callback, finished_callback=self._on_finished)
        except (ValueError, sd.PortAudioError) as e:
            raise AudioDeviceError(
                f"--audio: cannot open {in_info['name']!r} -> {out_info['name']!r} at {rate} Hz, {self.channels} ch, "
                f"block {self.blocksize} ({e}); try another --blocksize, --audio-rate or device") from None
        lat_in, lat_out = self._stream.latency
        self.input_latency = int(round(lat_in * rate))
        self.output_latency = int(round(lat_out * rate))
        apis = sd.query_hostapis()
        api_names = {apis[in_info["hostapi"]]["name"], apis[out_info["hostapi"]]["name"]}
        jack = jack_client_name(sd) if any("JACK" in a for a in api_names) else None
        log.info("audio interface: in %r, out %r (%s%s), %d Hz, %d ch, block %d; %s",
                 in_info["name"], out_info["name"], " / ".join(sorted(api_names)),
                 f", JACK client {jack!r}" if jack else "", rate, self.channels, self.blocksize, self.latency_text())
        self._stream.start()
        self._monitor = threading.Thread(target=self._monitor_loop, name="bridge-audio-monitor", daemon=True)
        self._monitor.start()

    def _raise_worker_priority(self) -> None:
        """Gives the stream worker (this mode's DSP thread) nice WORKER_NICE where allowed (Linux, CAP_SYS_NICE).

        Under CPU contention a normal-priority worker can be kept off the CPU for longer
        than the prefill; the audio callback itself already runs on the audio system's
        realtime thread. Without the permission, the worker keeps its priority (logged).
        """
        tid = self.worker_thread_id()
        if not sys.platform.startswith("linux") or not tid:
            return
        import os

        try:
            if os.getpriority(os.PRIO_PROCESS, tid) > WORKER_NICE:
                os.setpriority(os.PRIO_PROCESS, tid, WORKER_NICE)
            log.debug("audio interface: stream worker thread %d at nice %d", tid, WORKER_NICE)
        except OSError as e:
            log.info("audio interface: stream worker keeps its priority (%s); underruns are likelier under load: "
                     "allow CAP_SYS_NICE or raise --audio-prefill-ms", e.strerror)

    def stop(self) -> None:
        """Stops the audio, flushes and closes the engine stream, logs the counters."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._close_stream()
        if self._monitor is not None:
            self._monitor.join(2.0)
        self._report()
        if self._opened.is_set() and not self._open_error:
            self.submit(Close(STREAM_KEY, AUDIO_STREAM_ID, self))
            if not self._closed.wait(10.0):
                log.warning("audio interface: the engine stream did not confirm its close within 10 s")
        c = self.counters
        log.info("audio interface stopped: %d blocks, %d played, %d underruns (%d late replies dropped), "
                 "%d input blocks dropped, device xruns: input overflow %d, output underflow %d; %s",
                 c["callbacks"], c["played"], c["underruns"], c["late_dropped"], c["input_dropped"],
                 c["input_overflow"], c["output_underflow"], self.latency_text())
        self._terminate_portaudio()

    def _close_stream(self) -> None:
        s, self._stream = self._stream, None
        if s is None:
            return
        try:
            s.abort()
            s.close()
        except Exception as e:  # the device may be gone already
            log.warning("audio interface: closing the device stream: %s", e)

    def _terminate_portaudio(self) -> None:
        """Releases PortAudio (and its JACK client) now, not at exit, when the server may be gone."""
        sd, self._sd = self._sd, None
        if sd is not None:
            try:
                sd._terminate()
            except Exception as e:
                log.debug("PortAudio terminate: %s", e)

    # -- the audio thread ---------------------------------------------------------------
    def _callback(self, indata, outdata, frames, time_info, status) -> None:
        """Hands the input block to the worker and plays block ``seq - D``'s reply; never waits."""
        now = time.perf_counter()
        c = self.counters
        c["callbacks"] += 1
        if status:
            for flag in ("input_overflow", "input_underflow", "output_overflow", "output_underflow"):
                if getattr(status, flag):
                    c[flag] += 1
        seq = self._seq
        self._seq = seq + 1
        if self.queued() < self._max_queued:  # an unbounded queue: put() never waits
            self.submit(Chunk(STREAM_KEY, AUDIO_STREAM_ID, seq, now, self, block=indata.T.copy()))
        else:  # the worker is seconds behind: the gap is filled with silence and reported by the worker
            c["input_dropped"] += 1
        want = seq - self.prefill_blocks
        out = self._out
        while out and out[0][0] < want:
            out.popleft()
            c["late_dropped"] += 1
        if out and out[0][0] == want:
            block = out.popleft()[1]
            if block.shape[0] == frames:
                outdata[:] = block
            else:
                n = min(frames, block.shape[0])
                outdata[:n] = block[:n]
                outdata[n:] = 0.0
                c["size_mismatch"] += 1
            c["played"] += 1
        else:
            outdata.fill(0.0)
            if want >= 0:
                c["underruns"] += 1

    def _on_finished(self) -> None:
        if not self._stopping.is_set():
            self._stream_lost = True

    # -- the worker thread: this adapter is stream -1's Sink ------------------------------
    def audio(self, stream_id: int, seq: int, y: np.ndarray, encoding: str) -> None:
        self._out.append((seq, np.ascontiguousarray(y.T)))  # (frames, channels), as the callback writes it

    def opened(self, stream_id, latency_samples, latency_ms, rate, channels) -> None:
        reopened = self._opened.is_set()
        self.engine_latency = int(latency_samples)
        self._opened.set()
        if reopened:
            log.warning("audio interface: engine stream re-opened for the new preset; %s", self.latency_text())

    def closed(self, stream_id, c: dict) -> None:
        log.info("audio interface engine stream closed: %d blocks in, %d out, %d lost, %d late replies",
                 c["chunks_in"], c["chunks_out"], c["lost"], c["late_replies"])
        self._closed.set()

    def error(self, request: str, code: str, message: str) -> None:
        if not self._opened.is_set():
            self._open_error = f"{message} ({code})"
            self._opened.set()
        else:
            log.error("audio interface: %s (%s, %s)", message, request, code)

    def reopen(self, stream_id: int, reason: str) -> None:
        """The preset changed the window shape: open the engine stream again (the new latency is logged)."""
        log.warning("audio interface: %s; re-opening the engine stream", reason)
        self.submit(Open(STREAM_KEY, AUDIO_STREAM_ID, self.sample_rate, self.channels, self))

    def gap(self, stream_id: int, first_seq: int, count: int) -> None:
        log.warning("audio interface: input blocks %d..%d were not processed (worker queue full); "
                    "played as silence", first_seq, first_seq + count - 1)

    def status(self, args: list) -> None:
        log.info("audio interface: compute steps now %d (reply lag p50 %.1f ms, p99 %.1f ms, late %d)",
                 args[7], args[8], args[9], args[6])

    def latency(self, stream_id, samples, ms, rate) -> None:
        log.info("audio interface: engine latency %d samples (%.1f ms)", samples, ms)

    def late(self, stream_id: int, seq: int, kind: str) -> None:
        log.info("audio interface: block %d %s", seq, kind)

    def synced(self, sync_id: int) -> None:
        pass

    # -- reporting ----------------------------------------------------------------------
    def _monitor_loop(self) -> None:
        name_os_thread()
        while not self._stopping.wait(0.5):
            self._report()
            if self._stream_lost:
                self._stream_lost = False
                log.error("audio interface: the device stream stopped by itself (device unplugged or JACK "
                          "server gone?); restart bridge live to resume audio. OSC keeps serving.")

    def _report(self) -> None:
        """Logs what changed in the counters since the last report (never called from the audio thread)."""
        c = dict(self.counters)
        d = {k: c[k] - self._reported[k] for k in _COUNTERS}
        self._reported = c
        if d["underruns"] or d["late_dropped"]:
            log.warning("audio interface: %d output underrun(s) (total %d; %d late replies dropped, total %d): "
                        "silence played, latency unchanged; raise --audio-prefill-ms (now %d samples) or use a "
                        "cheaper preset", d["underruns"], c["underruns"], d["late_dropped"], c["late_dropped"],
                        self.prefill_samples)
        if d["input_dropped"]:
            log.warning("audio interface: %d input block(s) dropped, worker queue full (total %d)",
                        d["input_dropped"], c["input_dropped"])
        xruns = {k: d[k] for k in ("input_overflow", "input_underflow", "output_overflow", "output_underflow") if d[k]}
        if xruns:
            log.warning("audio interface: device xruns %s (totals: %s)",
                        ", ".join(f"{k} {n}" for k, n in xruns.items()),
                        ", ".join(f"{k} {c[k]}" for k in xruns))
        if d["size_mismatch"]:
            log.error("audio interface: %d block(s) of unexpected size", d["size_mismatch"])

    def snapshot(self) -> dict:
        """Counters and latency (for tests and status)."""
        return dict(self.counters, latency_samples=self.latency_samples, latency_ms=self.latency_ms,
                    sample_rate=self.sample_rate, engine_latency=self.engine_latency,
                    prefill_samples=self.prefill_samples, input_latency=self.input_latency,
                    output_latency=self.output_latency)

