"""Audio-interface mode through a private JACK dummy server: exact loopback latency, real wet audio.

The daemon (``bridge serve --audio``) is JACK client ``bridge``; this test process is
JACK client ``bridge-probe`` (PortAudio through sounddevice). With ``mix`` 0 the daemon
is a pure delay, and its output is wired back into its own input (a loopback cable):
one impulse from the probe then circulates, and the spacing of its echoes is the
daemon's input-to-output latency through the interface, which must equal, to the
sample, the latency it logged (input + engine + prefill + output).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from jack_support import jack_server, jackd_installed, portaudio_on
from support import ROOT, harmonic_tone, run_daemon

pytestmark = [pytest.mark.jack,
              pytest.mark.skipif(not jackd_installed(), reason="jackd not installed (apt-get install jackd2)")]

RATE = 48000
PERIOD = 256
BLOCK = 256
PRESET = """\
description: test - dry only (mix 0) so the daemon is an exact delay; small windows, 2 steps
target: violin
sampler: {strength: 0.45, steps: 2, seed: 0}
render: {window_frames: 16, overlap: 0.25, mix: 0.0, griffin_lim_iters: 2, highpass_hz: 80, lowpass_hz: 9000}
"""
LATENCY_RE = re.compile(r"audio interface: .*latency (\d+) samples \(([\d.]+) ms at (\d+) Hz\) = input (\d+) "
                        r"\+ engine (\d+) \+ prefill (\d+) \(\d+ x \d+\) \+ output (\d+)")


class Probe:
    """A duplex stream in this process: plays a signal on out_0 and records in_0 from the same frame on."""

    def __init__(self, sd, rate: int = RATE, blocksize: int = BLOCK):
        self.pos = 0
        self.flags = 0
        self._job = None
        self._lock = threading.Lock()
        self.stream = sd.Stream(samplerate=rate, blocksize=blocksize, channels=2, dtype="float32",
                                callback=self._callback)
        self.stream.start()

    def _callback(self, indata, outdata, frames, time_info, status) -> None:
        if status:
            self.flags += 1
        outdata.fill(0.0)
        job = self._job
        if job is not None and not job["done"].is_set():
            i = self.pos - job["start"]
            if i >= 0:
                sig, cap = job["signal"], job["capture"]
                n = max(0, min(frames, len(sig) - i))
                if n:
                    outdata[:n, 0] = sig[i : i + n]
                    outdata[:n, 1] = sig[i : i + n] * job["right"]
                m = max(0, min(frames, len(cap) - i))
                cap[i : i + m] = indata[:m, 0]
                if i + frames >= len(cap):
                    job["done"].set()
        self.pos += frames

    def run(self, signal: np.ndarray, capture_samples: int, right: float = 0.0, timeout: float = 30.0):
        """Plays ``signal`` and records ``capture_samples`` from its first sample; returns (capture, xruns)."""
        flags0 = self.flags
        job = dict(signal=signal.astype(np.float32), capture=np.zeros(capture_samples, np.float32),
                   start=self.pos + 4 * BLOCK, right=right, done=threading.Event())
        self._job = job
        assert job["done"].wait(timeout), "the probe's stream stopped running"
        self._job = None
        return job["capture"], self.flags - flags0

    def close(self) -> None:
        self.stream.abort()
        self.stream.close()


@pytest.fixture(scope="module")
def jack(tmp_path_factory):
    with jack_server(f"bridge-live-{os.getpid()}", tmp_path_factory.mktemp("jack"), rate=RATE, period=PERIOD) as server:
        yield server


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    d = tmp_path_factory.mktemp("live-presets")
    (d / "dry-loop.yaml").write_text(PRESET)
    return d


@pytest.fixture(scope="module")
def probe(jack):
    with portaudio_on(jack, "bridge-probe") as sd:
        p = Probe(sd)
        try:
            jack.wait_ports(["bridge-probe:in_0", "bridge-probe:out_0"])
            yield p
        finally:
            p.close()


@contextlib.contextmanager
def live_daemon(jack, models, presets, blocksize, *extra):
    """``bridge serve --audio`` on the JACK server; ``.latency`` and ``.jack_client`` are read from its log."""
    with run_daemon("--models", str(models), "--presets", str(presets), "--preset", "dry-loop", "--provider", "cpu",
                    "--threads", "1", "--reply-port", "9", "--audio", "--blocksize", str(blocksize),
                    "--channels", "2", *extra, env=jack.env) as d:
        m = LATENCY_RE.search(d.log())
        assert m, f"no latency line in the daemon log:\n{d.log()[-3000:]}"
        total, ms, rate, lat_in, engine, prefill, lat_out = m.groups()
        d.latency = dict(total=int(total), ms=float(ms), rate=int(rate), input=int(lat_in), engine=int(engine),
                         prefill=int(prefill), output=int(lat_out))
        d.jack_client = re.search(r"JACK client '([^']+)'", d.log()).group(1)
        jack.wait_ports([f"{d.jack_client}:in_0", f"{d.jack_client}:out_0"])
        yield d


@pytest.fixture(scope="module")
def live(jack, tiny_model_dir, presets):
    with live_daemon(jack, tiny_model_dir, presets, BLOCK) as d:
        yield d


def underrun_lines(daemon, since: int) -> list[str]:
    """The daemon's reports of output underruns (its FIFO) logged since line ``since``."""
    return [ln for ln in daemon.log_lines[since:] if "output underrun" in ln]


def xrun_lines(daemon, since: int) -> list[str]:
    """The daemon's reports of device (JACK) xruns logged since line ``since``."""
    return [ln for ln in daemon.log_lines[since:] if "device xruns" in ln]


def measure_loopback(jack, daemon, probe, blocksize) -> int:
    """Asserts the echo spacing through the daemon's own loopback equals its logged latency; returns it."""
    lat = daemon.latency
    assert lat["rate"] == RATE
    assert lat["total"] == lat["input"] + lat["engine"] + lat["prefill"] + lat["output"]
    assert abs(lat["ms"] - 1000.0 * lat["total"] / RATE) < 1e-3
    assert lat["prefill"] % blocksize == 0 and lat["prefill"] >= blocksize
    b = daemon.jack_client
    # Only the loop and the probe: the daemon's out_0 feeds its own in_0 (the cable), the probe
    # injects into in_0 and listens to out_0.
    jack.isolate(f"{b}:in_0", f"{b}:in_1", f"{b}:out_0", f"{b}:out_1", "bridge-probe:in_0", "bridge-probe:in_1",
                 "bridge-probe:out_0", "bridge-probe:out_1")
    wires = [(f"{b}:out_0", f"{b}:in_0"), ("bridge-probe:out_0", f"{b}:in_0"), (f"{b}:out_0", "bridge-probe:in_0")]
    T = lat["total"]
    impulse = np.zeros(BLOCK, np.float32)
    impulse[0] = 0.5
    results = []
    for attempt in range(3):
        for a, z in wires:
            jack.connect(a, z)
        try:
            time.sleep(0.3)  # let the new graph settle
            since = len(daemon.log_lines)
            cap, xruns = probe.run(impulse, 3 * T + 4 * BLOCK)
        finally:
            for a, z in wires:
                jack.disconnect(a, z)
        time.sleep(0.6)  # the daemon's monitor reports its counters twice a second
        hits = np.flatnonzero(np.abs(cap) > 0.25)
        xruns += len(xrun_lines(daemon, since))
        results.append((attempt, xruns, hits[:6].tolist()))
        # No output underrun after warm-up (they would also drop echoes).
        assert not underrun_lines(daemon, since), underrun_lines(daemon, since)
        ok = len(hits) >= 3 and hits[1] - hits[0] == T and hits[2] - hits[1] == T
        if not ok and xruns:
            # A JACK xrun (in the daemon or the probe) shifts a client by a period: not a latency
            # measurement. The impulse still circulating leaves the daemon once the loop is open.
            time.sleep(T / RATE + 0.3)
            continue
        assert len(hits) >= 3, f"echoes missing: {hits[:10]}"
        first, second, third = hits[:3]
        # Every echo is the impulse itself (mix 0: the dry path is an exact delay).
        assert np.allclose(cap[hits[:3]], 0.5, atol=1e-6)
        assert second - first == T, f"loop {second - first} samples, reported {T}: {lat}; hits {hits[:6]}"
        assert third - second == T, f"loop {third - second} samples, reported {T}: {lat}; hits {hits[:6]}"
        # The first pass, probe -> daemon -> probe, is at least the daemon's own internal delay.
        assert first >= lat["engine"] + lat["prefill"]
        print(f"loopback (block {blocksize}): echo every {second - first} samples = "
              f"{1000 * (second - first) / RATE:.3f} ms, reported {T}: {lat}; first pass after {first} samples")
        return T
    pytest.fail(f"xruns spoilt every attempt: {results}\njackd log:\n{jack.log()[-2000:]}")


@pytest.mark.slow
def test_loopback_latency_with_a_block_that_is_not_the_jack_period(jack, probe, tiny_model_dir, presets):
    # PortAudio adapts 384-frame callbacks to 256-frame JACK periods; the reported latency must include
    # that. A non-default prefill too: 100 ms is 13 blocks of 384. (Runs before the module's daemon starts.)
    with live_daemon(jack, tiny_model_dir, presets, 384, "--audio-prefill-ms", "100") as d:
        assert d.latency["prefill"] == 13 * 384
        measure_loopback(jack, d, probe, 384)


@pytest.mark.slow
def test_loopback_latency_is_exactly_the_reported_latency(jack, live, probe):
    measure_loopback(jack, live, probe, BLOCK)


@pytest.mark.slow
def test_wet_output_is_real_audio(jack, live, probe):
    daemon = live
    b = daemon.jack_client
    c = daemon.client()
    assert c.request("/bridge/param/set", "mix", 1.0, reply="/bridge/param") == ["mix", 1.0]
    jack.isolate(f"{b}:in_0", f"{b}:in_1", f"{b}:out_0", f"{b}:out_1", "bridge-probe:in_0", "bridge-probe:out_0",
                 "bridge-probe:out_1")
    jack.connect("bridge-probe:out_0", f"{b}:in_0")
    jack.connect("bridge-probe:out_1", f"{b}:in_1")
    jack.connect(f"{b}:out_0", "bridge-probe:in_0")
    T = daemon.latency["total"]
    tone = harmonic_tone(220.0, 2.0, RATE, amp=0.3)
    since = len(daemon.log_lines)
    cap, xruns = probe.run(tone, len(tone) + T + 4 * BLOCK, right=1.0)
    # The restyled tone: from one latency after the start, for the tone's length less the edges.
    body = cap[T + RATE // 4 : T + len(tone) - RATE // 4]
    assert np.isfinite(cap).all()
    rms = float(np.sqrt(np.mean(body.astype(np.float64) ** 2)))
    assert rms > 0.01, f"wet output is (nearly) silent: rms {rms}"
    # Wet only: not the dry tone delayed (which mix 0 would give).
    dry = tone[RATE // 4 : len(tone) - RATE // 4]
    offset = int(np.argmax(np.abs(np.correlate(cap[T - 2 * BLOCK : T + RATE // 2 + 2 * BLOCK],
                                               tone[: RATE // 2], mode="valid"))))
    aligned = cap[T - 2 * BLOCK + offset + RATE // 4 : T - 2 * BLOCK + offset + len(tone) - RATE // 4]
    corr = float(np.dot(aligned, dry) / (np.linalg.norm(aligned) * np.linalg.norm(dry) + 1e-12))
    assert corr < 0.99, f"output looks like the dry input (correlation {corr:.4f})"
    time.sleep(0.6)
    assert not underrun_lines(daemon, since), underrun_lines(daemon, since)
    print(f"wet: rms {rms:.4f} ({20 * np.log10(rms):.1f} dBFS), correlation with dry {corr:.3f}")
    c.close()


def test_bad_device_names_the_device_and_the_choices(jack, tiny_model_dir):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **jack.env)
    r = subprocess.run([sys.executable, "-m", "bridge.cli", "live", "--port", "0", "--models", str(tiny_model_dir),
                        "--provider", "cpu", "--threads", "1", "--input-device", "no-such-interface"],
                       capture_output=True, text=True, env=env, timeout=120, cwd=str(ROOT))
    assert r.returncode == 2, r.stderr[-2000:]
    err = r.stderr
    assert "--input-device 'no-such-interface'" in err
    assert "'system'" in err and "Available inputs" in err, err[-2000:]
