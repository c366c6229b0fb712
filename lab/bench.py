"""``bridge bench``: real-time factor and latency, measured side by side in one run.

Offline (default): each transfer preset restyles the same 10 s input several times;
the table gives the median real-time factor (compute time / audio time) and its
spread, the latency a stream of that preset reports at 48 kHz, and U-Net forwards per
window (a morph's two models both count). In the same run: one U-Net forward in
onnxruntime (torch eager on the same weights is ``python -m export.eager MODEL.onnx``,
with the train extra: the lab never imports torch or ``export``), and the short split
against a full 50-step DDIM from noise.
Every timed transfer is :func:`bridge.offline.transfer` or :func:`bridge.offline.run`.

``--serve``: ``--streams`` clients each stream 48 kHz stereo in 512-frame blobs at
real-time pace to a real ``bridge serve`` subprocess, started as a user starts it;
the report gives chunks sent, returned, lost and late (a reply more than the Live
device's 60 ms play-out margin after its chunk), the added latency (reply time minus
send time) p50/p99, and the daemon's CPU time per audio second (client and daemon
sharing the machine).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .timing import summary, time_forward


def _forwards_per_row(preset) -> int:
    """U-Net forwards per model row: a morph runs both of its models on every row."""
    return 2 if preset.render.morph_with and preset.render.morph > 0 else 1


def bench_input(seconds: float, sample_rate: int) -> np.ndarray:
    """A guitar phrase rendered with FluidSynth (a synthetic harmonic phrase when FluidSynth is missing)."""
    from .corpus import INSTRUMENTS, phrase_notes, render_melody

    rng = np.random.default_rng(2026)
    try:
        import soxr

        notes, _ = phrase_notes(INSTRUMENTS["guitar"], seconds, rng)
        y = render_melody(notes, 25, None, 22050)
        y = soxr.resample(y, 22050, sample_rate).astype(np.float32)
    except Exception:
        t = np.arange(int(seconds * sample_rate)) / sample_rate
        f0 = 196.0 * 2 ** (np.floor(t * 2) % 12 / 12)
        y = (0.3 * np.sin(2 * np.pi * np.cumsum(f0) / sample_rate)).astype(np.float32)
    n = int(seconds * sample_rate)
    y = np.pad(y, (0, max(0, n - len(y))))[:n]
    return (0.5 * y / max(1e-9, float(np.abs(y).max()))).astype(np.float32)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def bench_offline(args, models) -> dict:
    from bridge import offline
    from bridge.presets import PresetLibrary, resolve_preset
    from bridge.stream import Stream

    lib = PresetLibrary(getattr(args, "presets_dirs", []) or [])
    names = args.presets.split(",") if args.presets else [n for n in lib.names() if lib[n].mode == "transfer"]
    seconds = args.seconds or 10.0
    sr = args.sample_rate
    y = bench_input(seconds, sr)[None]
    results = {"machine": machine(), "input": f"{seconds:g} s mono at {sr} Hz (rendered guitar phrase)",
               "provider": None, "presets": [], "forward": None, "short_split": None}
    for name in names:
        preset = resolve_preset(name, lib)
        for model in preset.model_names():
            models[model]
        offline.transfer(y[:, : sr // 2], sr, models, preset)  # warm-up
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            offline.transfer(y, sr, models, preset)
            times.append(time.perf_counter() - t0)
        stream48 = Stream(models, preset, 48000, 2)
        probe = Stream(models, preset, sr, 1)
        offline.run(probe, y)
        rtf = summary([t / seconds for t in times])
        results["presets"].append({
            "preset": preset.name, "target": preset.target, "strength": preset.sampler.strength,
            "steps": preset.sampler.steps, "window_frames": stream48.geometry.window_frames,
            "rtf": rtf, "latency_samples_48k": stream48.latency_samples, "latency_ms": stream48.latency_ms,
            "calls_per_window": round(probe.stats["model_rows"] * _forwards_per_row(preset)
                                      / max(1, probe.stats["windows"]), 2),
        })
    results["provider"] = f"{models.provider} ({models.provider_note})"
    results["students"] = bench_students(models, lib, y, sr, seconds, args.repeats)
    first = resolve_preset(names[0], lib)
    results["forward"] = bench_forward(models[first.target], args.repeats * 20)
    results["short_split"] = bench_short_split(models, first, y, sr, seconds, args.repeats)
    results["inversion"] = bench_inversion(models[first.target].info.mel, args.repeats)
    return results


def bench_students(models, lib, y, sr, seconds, repeats) -> list[dict]:
    """For each target with a student: its preset with the teacher at 8 steps (what the students were
    distilled from), at the preset's own steps and at 2, and the student at 2 and 1, at the same
    strength, timed in turn (one run, side by side)."""
    from bridge import offline
    from bridge.model import pick_student
    from bridge.stream import Stream

    rows = []
    for name in sorted(n for n in models.paths() if n.endswith(".student")):
        target = name[: -len(".student")]
        presets = [lib[n] for n in lib.names() if lib[n].mode == "transfer" and lib[n].target == target
                   and not lib[n].render.morph_with]
        if target not in models.paths() or not presets:
            continue
        base = max(presets, key=lambda p: p.sampler.steps)  # the target's full-quality preset
        if pick_student(models, base.with_params(steps=2, student=True), 2) is None:
            continue  # made from another file, or for fewer steps or other strengths: its rows would be the teacher's
        teacher_steps = sorted({8, base.sampler.steps, 2}, reverse=True)
        cases = [("teacher", base.with_params(steps=n, student=False)) for n in teacher_steps] + [
            ("student", base.with_params(steps=2, student=True)),
            ("student", base.with_params(steps=1, student=True))]
        times: list[list[float]] = [[] for _ in cases]
        for _ in range(repeats):
            for k, (_, p) in enumerate(cases):
                t0 = time.perf_counter()
                offline.transfer(y, sr, models, p)
                times[k].append(time.perf_counter() - t0)
        teacher_rtf = statistics.median(times[teacher_steps.index(8)]) / seconds
        for (who, p), ts in zip(cases, times):
            probe = Stream(models, p, sr, 1)
            offline.run(probe, y[:, : sr * 2])
            rtf = summary([t / seconds for t in ts])
            rows.append({"preset": base.name, "model": name if who == "student" else target, "who": who,
                         "strength": p.sampler.strength, "steps": p.sampler.steps, "rtf": rtf,
                         "speedup": round(teacher_rtf / rtf["median"], 2),
                         "calls_per_window": round(probe.stats["model_rows"] / max(1, probe.stats["windows"]), 2)})
    return rows


def bench_inversion(mel, repeats: int) -> list[dict]:
    """Mel -> audio paths on a known change: how close the audio's mel is to the intended one, and how fast.

    The intended mel is the input's plus a smooth change (a tilt towards the top, the
    lows cut, a slow swell), standing in for a model's output. Error: mean |dB| over
    bins above -90 dB of the intended mel, after re-analysing the audio.
    """
    from bridge import dsp

    tf = dsp.mel_transform(mel)
    y = bench_input(5.0, mel.sample_rate).astype(np.float64)
    seg = dsp.pad_centered(y, mel.n_fft, mel.hop_length)
    S = dsp.stft(seg, mel.n_fft, mel.hop_length, tf.window)
    db = dsp.mel_power_db(S, tf)
    bands = np.linspace(0, 1, mel.n_mels)[:, None]
    frames = np.linspace(0, 2 * np.pi, db.shape[1])[None, :]
    target = db + 8 * bands - 12 * (bands < 0.1) + 4 * np.sin(frames)
    rng = np.random.default_rng(0)
    methods = {
        "envelope (input STFT x mel gain)": lambda: dsp.istft(dsp.envelope_transfer(S, db, target, tf, 40.0),
                                                              mel.n_fft, mel.hop_length, tf.window),
        "pinv + input phase, 0 GL": lambda: dsp.griffin_lim(dsp.db_to_magnitude(target, tf), dsp.unit_phase(S), 0,
                                                             mel.n_fft, mel.hop_length, tf.window),
        "pinv + input phase, 4 GL": lambda: dsp.griffin_lim(dsp.db_to_magnitude(target, tf), dsp.unit_phase(S), 4,
                                                             mel.n_fft, mel.hop_length, tf.window),
        "pinv + random phase, 32 GL": lambda: dsp.griffin_lim(dsp.db_to_magnitude(target, tf),
                                                               dsp.random_phase(S.shape, rng), 32, mel.n_fft,
                                                               mel.hop_length, tf.window),
    }
    loud = target > -90
    out = []
    for name, fn in methods.items():
        times = []
        for _ in range(max(1, repeats // 2)):
            t0 = time.perf_counter()
            z = fn()
            times.append(time.perf_counter() - t0)
        z = z[mel.n_fft // 2 : mel.n_fft // 2 + len(y)]
        err = np.abs(dsp.melspectrogram_db(z, tf) - target)[loud].mean()
        out.append({"method": name, "ms_per_audio_s": 1000 * statistics.median(times) / 5.0,
                    "mel_db_error": round(float(err), 2)})
    return out


EAGER_HINT = "run python -m export.eager {model} (needs the train extra)"


def bench_forward(den, repeats: int) -> dict:
    """One U-Net forward in onnxruntime; the torch eager comparison is ``python -m export.eager``.

    The lab does not start it: ``export`` (torch) imports the lab, never the other way round.
    """
    return time_forward(den, repeats) | {"torch_eager_ms": EAGER_HINT.format(model=den.info.path)}


def bench_short_split(models, preset, y, sr, seconds, repeats) -> dict:
    """Short split (the preset's steps from its strength) against a full 50-step DDIM from noise."""
    from bridge import offline, sampling
    from bridge.stream import Stream

    full = preset.with_params(strength=1.0, steps=50)
    out = {}
    for label, p in (("short_split", preset), ("full_50_step", full)):
        times = []
        for _ in range(max(1, repeats // 2)):
            s = Stream(models, p, sr, 1)
            t0 = time.perf_counter()
            offline.run(s, y)
            times.append(time.perf_counter() - t0)
        out[label] = {"steps": len(sampling.ddim_timesteps(
            sampling.start_timestep(p.sampler.strength, 1000), p.sampler.steps)) - 1,
            "unet_calls_per_window": round(s.stats["model_rows"] / max(1, s.stats["windows"]), 2),
            "rtf": summary([t / seconds for t in times])}
    out["speedup"] = round(out["full_50_step"]["rtf"]["median"] / out["short_split"]["rtf"]["median"], 2)
    return out


def print_offline(r: dict) -> None:
    print(f"machine: {r['machine']}\nprovider: {r['provider']}\ninput: {r['input']}\n")
    print("| preset | target | strength | steps | window | RTF median | RTF min-max | latency @48k | calls/window |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in r["presets"]:
        rtf = p["rtf"]
        print(f"| {p['preset']} | {p['target']} | {p['strength']} | {p['steps']} | {p['window_frames']} | "
              f"{rtf['median']:.3f} | {rtf['min']:.3f}-{rtf['max']:.3f} | {p['latency_samples_48k']} samples "
              f"({p['latency_ms']:.1f} ms) | {p['calls_per_window']} |")
    if r.get("students"):
        print("\n| preset | model | strength | steps | RTF median | RTF min-max | vs teacher at 8 steps | "
              "calls/window |\n|---|---|---|---|---|---|---|---|")
        for p in r["students"]:
            rtf = p["rtf"]
            print(f"| {p['preset']} | {p['model']} | {p['strength']} | {p['steps']} | {rtf['median']:.3f} | "
                  f"{rtf['min']:.3f}-{rtf['max']:.3f} | {p['speedup']}x | {p['calls_per_window']} |")
    f = r["forward"]
    o = f["onnxruntime_ms"]
    print(f"\nU-Net forward {f['shape']} ({f['model']}): onnxruntime {o['median']:.2f} ms "
          f"(min {o['min']:.2f}, max {o['max']:.2f})")
    print(f"torch eager: {f['torch_eager_ms']}")
    s = r["short_split"]
    print(f"short split ({s['short_split']['steps']} steps, {s['short_split']['unet_calls_per_window']} calls/window) "
          f"RTF {s['short_split']['rtf']['median']:.3f} vs full 50-step DDIM "
          f"({s['full_50_step']['unet_calls_per_window']} calls/window) RTF {s['full_50_step']['rtf']['median']:.3f}: "
          f"{s['speedup']}x faster")
    print("\n| inversion (5 s phrase, known mel change) | ms per audio second | mel error (dB) |\n|---|---|---|")
    for m in r["inversion"]:
        print(f"| {m['method']} | {m['ms_per_audio_s']:.1f} | {m['mel_db_error']:.2f} |")


# -- streaming benchmark against a real daemon ------------------------------------------
def _cpu_seconds(pid: int, tid: int | None = None) -> float:
    stat = Path(f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread name so far (``/proc``; the daemon names its threads, bridge.serve.threads).

    The main thread, the OSC event loop, is ``main (OSC)``; threads the daemon did not name
    (onnxruntime's, the model watchdog) are ``other``; threads of one name are summed.
    """
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = "main (OSC)" if task.name == str(pid) else (task / "comm").read_text().strip()
            name = name if name.startswith(("bridge", "main")) else "other"
            out[name] = out.get(name, 0.0) + _cpu_seconds(pid, int(task.name))
        except (OSError, ValueError):  # the thread ended between the listing and the read
            continue
    return out


def _start_daemon(args) -> tuple[subprocess.Popen, int, list[str]]:
    """``bridge serve`` exactly as a user starts it (no thread variables set for it: it sets its own)."""
    import re
    import threading

    cmd = [sys.executable, "-m", "bridge.cli", "serve", "--port", "0", "--preset", args.preset,
           "--provider", args.provider, "--max-streams", str(max(8, args.streams)), "--jitter-port", "0"]
    for d in args.models:
        cmd += ["--models", d]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    cmd += getattr(args, "daemon_arg", [])
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                           "MKL_NUM_THREADS")}
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    log_lines: list[str] = []
    for line in proc.stderr:
        log_lines.append(line)
        m = re.search(r"listening on udp://[\d.]+:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [log_lines.append(x) for x in proc.stderr], daemon=True).start()
            return proc, int(m.group(1)), log_lines
    raise RuntimeError("daemon did not start:\n" + "".join(log_lines[-20:]))


def bench_serve(args) -> dict:
    """``--streams`` clients (one socket pair each, like one Live device each) stream at real-time pace.

    Stream i sends its chunks ``i / streams`` of a chunk after stream 0 (devices are not in
    phase). A reply counts as late when it comes more than ``--margin-ms`` after its chunk
    was sent: the device would have dropped it. The daemon's CPU is read from /proc.
    """
    import re
    import selectors
    import signal
    import socket
    import threading

    from bridge.serve import osc

    seconds = args.seconds or 60.0
    n_streams = args.streams
    sr, frames = 48000, args.frames
    proc, port, log_lines = _start_daemon(args)
    addr = ("127.0.0.1", port)
    clients = []
    sel = selectors.DefaultSelector()
    for i in range(n_streams):
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        rx.bind(("127.0.0.1", 0))
        rx.setblocking(False)
        sel.register(rx, selectors.EVENT_READ, i)
        tx.sendto(osc.build("/bridge/hello", rx.getsockname()[1]), addr)
        clients.append((tx, rx))
    sent_at = [dict() for _ in range(n_streams)]
    got_at = [dict() for _ in range(n_streams)]
    opened: list[dict] = [dict() for _ in range(n_streams)]
    closed: list[list] = [[] for _ in range(n_streams)]
    done = threading.Event()

    def receiver():
        while not done.is_set():
            for key, _ in sel.select(0.2):
                i = key.data
                while True:
                    try:
                        data = key.fileobj.recv(65536)
                    except BlockingIOError:
                        break
                    now = time.perf_counter()
                    for address, values in osc.parse(data):
                        if address == "/bridge/audio/out":
                            got_at[i].setdefault(values[1], now)
                        elif address == "/bridge/stream/opened":
                            opened[i].update(latency=values[1], ms=values[2])
                        elif address == "/bridge/stream/closed":
                            closed[i][:] = values

    th = threading.Thread(target=receiver, daemon=True)
    th.start()
    for tx, _ in clients:
        tx.sendto(osc.build("/bridge/stream/open", 1, sr, 2), addr)
    t_wait = time.monotonic()
    while not all("latency" in o for o in opened) and time.monotonic() - t_wait < 120:
        time.sleep(0.01)
    if not all("latency" in o for o in opened):
        proc.kill()
        raise RuntimeError("streams did not open:\n" + "".join(log_lines[-20:]))
    mono = bench_input(min(seconds, 20.0), sr)
    y = np.tile(mono, int(np.ceil(seconds * sr / len(mono))))[: int(seconds * sr)]
    audio = np.stack([y, 0.8 * y]).astype(np.float32)
    n_chunks = audio.shape[1] // frames
    blobs = [osc.encode_audio(audio[:, k * frames : (k + 1) * frames], "blob") for k in range(n_chunks)]
    period = frames / sr
    schedule = sorted((k * period + i * period / n_streams, i, k) for i in range(n_streams) for k in range(n_chunks))
    cpu0, threads0 = _cpu_seconds(proc.pid), _thread_cpu(proc.pid)
    t_start = time.perf_counter()
    progress_every = max(1, len(schedule) // 10)
    for j, (offset, i, k) in enumerate(schedule):
        delay = t_start + offset - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent_at[i][k] = time.perf_counter()
        clients[i][0].sendto(osc.build("/bridge/audio/in", 1, k, *blobs[k]), addr)
        if args.progress and j and j % progress_every == 0:
            back = sum(len(g) for g in got_at)
            print(f"  {offset:.0f} s of {seconds:g} s streamed, {back} of {j} chunks back", file=sys.stderr)
    deadline = time.perf_counter() + 10.0
    while sum(len(g) for g in got_at) < n_chunks * n_streams and time.perf_counter() < deadline:
        time.sleep(0.05)
    cpu, threads1 = _cpu_seconds(proc.pid) - cpu0, _thread_cpu(proc.pid)
    by_thread = {k: round((v - threads0.get(k, 0.0)) / seconds, 3) for k, v in threads1.items()}
    by_thread = {k: v for k, v in sorted(by_thread.items(), key=lambda kv: -kv[1]) if v > 0}
    for tx, _ in clients:
        tx.sendto(osc.build("/bridge/stream/close", 1), addr)
    t_wait = time.monotonic()
    while not all(closed) and time.monotonic() - t_wait < 10:
        time.sleep(0.02)
    done.set()
    th.join(1)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    for tx, rx in clients:
        tx.close()
        rx.close()
    offline_r = offline_beside(args, audio, sr, min(seconds, 30.0))
    margin = args.margin_ms
    budget_line = [x for x in log_lines if "compute budget" in x]
    budget_ms = float(re.search(r"compute budget (\d+) ms", budget_line[-1]).group(1)) if budget_line else float("nan")
    per_stream, all_ms = [], []
    for i in range(n_streams):
        ms = np.array([1000 * (got_at[i][k] - sent_at[i][k]) for k in got_at[i] if k in sent_at[i]])
        all_ms.append(ms)
        c = closed[i]  # /bridge/stream/closed <id> <chunks_in> <chunks_out> <lost> <late> <duplicates> ...
        per_stream.append({
            "returned": len(got_at[i]), "lost": n_chunks - len(got_at[i]), "late": int((ms > margin).sum()),
            "p50_ms": float(np.percentile(ms, 50)) if ms.size else None,
            "p99_ms": float(np.percentile(ms, 99)) if ms.size else None,
            "latency_samples": opened[i].get("latency"), "latency_ms": opened[i].get("ms"),
            "daemon_lost": c[3] if len(c) > 3 else None, "daemon_late": c[4] if len(c) > 4 else None,
        })
    ms = np.concatenate(all_ms) if all_ms else np.zeros(0)
    total = n_chunks * n_streams
    late = int((ms > margin).sum())
    reduced = [x.strip() for x in log_lines if "behind" in x]
    closes = [re.search(r"closed: (\d+) windows, (\d+) of them with fewer steps .*\(mean ([\d.]+)\)", x)
              for x in log_lines]
    windows = [(int(c.group(1)), int(c.group(2)), float(c.group(3))) for c in closes if c]
    return {
        "machine": machine(), "preset": args.preset, "seconds": seconds, "sample_rate": sr, "channels": 2,
        "streams": n_streams, "frames_per_chunk": frames, "chunks_sent": total,
        "chunks_returned": sum(p["returned"] for p in per_stream), "chunks_lost": sum(p["lost"] for p in per_stream),
        "margin_ms": margin, "chunks_late": late, "late_share": late / total if total else 0.0,
        "compute_budget_ms": budget_ms,
        "stream_latency_samples": opened[0].get("latency"), "stream_latency_ms": opened[0].get("ms"),
        "added_latency_ms_p50": float(np.percentile(ms, 50)) if ms.size else None,
        "added_latency_ms_p99": float(np.percentile(ms, 99)) if ms.size else None,
        "added_latency_ms_max": float(ms.max()) if ms.size else None,
        "daemon_cpu_s": round(cpu, 2), "rtf": round(cpu / seconds, 3),
        "rtf_per_stream": round(cpu / seconds / n_streams, 3), "step_reductions": len(reduced),
        "cpu_by_thread": by_thread,
        "windows": sum(w for w, _, _ in windows), "windows_fewer_steps": sum(r for _, r, _ in windows),
        "offline": offline_r,
        "mean_steps": (sum(w * m for w, _, m in windows) / max(1, sum(w for w, _, _ in windows))) if windows else None,
        "per_stream": per_stream,
    }


def offline_beside(args, audio: np.ndarray, sample_rate: int, seconds: float) -> dict:
    """The same preset and input through ``offline.transfer`` in this process: wall RTF and CPU-s per audio-s.

    Run after the daemon has stopped, so the figures stand side by side from one run: with
    ``--threads`` as given (the offline default: the cores) and, beside it, ``one_thread``: one
    onnxruntime thread, as the daemon calls its model, so the work itself is costed alone.
    """
    from bridge import offline
    from bridge.model import ModelSet
    from bridge.presets import PresetLibrary, resolve_preset

    preset = resolve_preset(args.preset, PresetLibrary(getattr(args, "presets_dirs", []) or []))
    y = audio[:, : int(seconds * sample_rate)]
    n = y.shape[1] / sample_rate
    out = {"seconds": round(n, 1)}
    for key, threads in (("", args.threads), ("one_thread", 1)):
        models = ModelSet(args.models, args.provider, threads)
        offline.transfer(y[:, :sample_rate], sample_rate, models, preset)  # loads and warms the models
        w0, c0 = time.perf_counter(), time.process_time()
        offline.transfer(y, sample_rate, models, preset)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        figures = {"rtf": round(wall / n, 3), "cpu_per_audio_s": round(cpu / n, 3)}
        if key:
            out[key] = figures
        else:
            out.update(figures)
    return out


def print_serve(r: dict) -> None:
    print(f"machine: {r['machine']}")
    print(f"{r['streams']} stream(s): {r['seconds']:g} s each, {r['sample_rate']} Hz stereo, {r['frames_per_chunk']}-frame "
          f"blobs at real-time pace, one client each, preset {r['preset']}")
    if r.get("daemon_args"):
        print(f"daemon started with {' '.join(r['daemon_args'])}")
    print(f"chunks sent {r['chunks_sent']}, returned {r['chunks_returned']}, lost {r['chunks_lost']}, late "
          f"{r['chunks_late']} ({100 * r['late_share']:.2f}% later than the device's {r['margin_ms']:g} ms margin)")
    print(f"stream latency {r['stream_latency_samples']} samples ({r['stream_latency_ms']:.1f} ms at 48 kHz, compute "
          f"budget {r['compute_budget_ms']:.0f} ms included)")
    print(f"added latency (reply - send): p50 {r['added_latency_ms_p50']:.2f} ms, p99 {r['added_latency_ms_p99']:.2f} ms,"
          f" max {r['added_latency_ms_max']:.2f} ms")
    print(f"daemon CPU {r['daemon_cpu_s']} s for {r['seconds']:g} s of audio: {r['rtf']} CPU-s per audio-s "
          f"({r['rtf_per_stream']} per stream); step reductions {r['step_reductions']}")
    o = r["offline"]
    print(f"offline, same preset and input ({o['seconds']:g} s, this process): RTF {o['rtf']} (wall), "
          f"{o['cpu_per_audio_s']} CPU-s per audio-s; the daemon per stream: {r['rtf_per_stream']} CPU-s per audio-s "
          f"= {r['rtf_per_stream'] / max(o['rtf'], 1e-9):.2f}x the offline RTF")
    if "one_thread" in o:
        one = o["one_thread"]
        print(f"offline at one onnxruntime thread, as the daemon calls its model: RTF {one['rtf']} (wall), "
              f"{one['cpu_per_audio_s']} CPU-s per audio-s; the daemon per stream: "
              f"{r['rtf_per_stream'] / max(one['cpu_per_audio_s'], 1e-9):.2f}x that CPU")
    if r.get("cpu_by_thread"):
        print("daemon CPU by thread, CPU-s per audio-s: "
              + ", ".join(f"{k} {v:.3f}" for k, v in r["cpu_by_thread"].items()))
    if r["windows"]:
        print(f"windows {r['windows']}, {r['windows_fewer_steps']} of them with fewer steps than the preset's "
              f"(mean {r['mean_steps']:.2f} steps a window)")
    if r["streams"] > 1:
        print("\n| stream | returned | lost | late | p50 ms | p99 ms | latency (samples) |\n|---|---|---|---|---|---|---|")
        for i, p in enumerate(r["per_stream"], 1):
            print(f"| {i} | {p['returned']} | {p['lost']} | {p['late']} | {p['p50_ms']:.1f} | {p['p99_ms']:.1f} | "
                  f"{p['latency_samples']} |")


def bench_command(args) -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if args.serve:
        if not 1 <= args.streams <= 64:
            raise SystemExit(f"bridge bench: --streams: expected 1 to 64, got {args.streams}")
        if args.progress is None:
            args.progress = sys.stderr.isatty()
        r = bench_serve(args)
        r["daemon_args"] = list(args.daemon_arg)
        print_serve(r)
    else:
        from bridge.model import ModelSet

        r = bench_offline(args, ModelSet(args.models, args.provider, args.threads))
        print_offline(r)
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))
    return 0
