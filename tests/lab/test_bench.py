"""``bridge bench``: students beside their teachers; ``--serve``: several clients against a real daemon."""

import json

import pytest

from support import run_in_terminal


@pytest.mark.slow
def test_bench_serve_streams_several_clients_and_counts_every_chunk(tmp_path, tiny_model_dir):
    import shutil

    from bridge.presets import SHIPPED_DIRS

    out = tmp_path / "serve.json"
    mine = tmp_path / "mine.yaml"   # a preset file being tried out, not in any preset folder
    shutil.copy(next(d for d in SHIPPED_DIRS if d.is_dir()) / "guitar-to-violin.yaml", mine)
    code, text = run_in_terminal("bench", "--serve", "--streams", "3", "--seconds", "4", "--models",
                                 str(tiny_model_dir), "--provider", "cpu", "--threads", "1", "--json", str(out),
                                 "--preset", str(mine), "--daemon-arg=--idle-close=30")
    assert code == 0, text
    r = json.loads(out.read_text())
    assert r["preset"] == str(mine)
    assert r["daemon_args"] == ["--idle-close=30"] and "daemon started with --idle-close=30" in text
    n = 4 * 48000 // 512
    assert r["streams"] == 3 and r["chunks_sent"] == 3 * n
    assert r["chunks_returned"] == 3 * n and r["chunks_lost"] == 0, r
    assert [p["returned"] for p in r["per_stream"]] == [n, n, n]
    assert [p["daemon_lost"] for p in r["per_stream"]] == [0, 0, 0]  # the daemon's own count agrees
    assert all(p["latency_samples"] == r["stream_latency_samples"] for p in r["per_stream"])
    assert 0 < r["daemon_cpu_s"] and r["rtf_per_stream"] == pytest.approx(r["rtf"] / 3, abs=0.002)
    assert "| 3 |" in text and "later than the device's 60 ms margin" in text  # the table, as printed
    assert "s streamed," in text  # progress lines under a terminal
    # every stream's windows, read from the daemon's close lines: the steps they really ran with
    assert r["windows"] > 0 and 1 <= r["mean_steps"] <= 8 and "steps a window)" in text
    # the same preset offline, beside the daemon's CPU, from the same run
    assert r["offline"]["seconds"] == 4 and r["offline"]["rtf"] > 0 and r["offline"]["cpu_per_audio_s"] > 0
    assert "x the offline RTF" in text
    one = r["offline"]["one_thread"]  # the same work at one onnxruntime thread, as the daemon calls its model
    assert one["rtf"] > 0 and one["cpu_per_audio_s"] > 0 and "x that CPU" in text
    # where the daemon's CPU goes, by the names its threads carry at the OS level
    threads = r["cpu_by_thread"]
    assert {"main (OSC)", "bridge-streams", "bridge-model_0"} <= set(threads), threads
    assert sum(threads.values()) == pytest.approx(r["rtf"], abs=0.03)
    assert "daemon CPU by thread, CPU-s per audio-s: " in text and "bridge-streams" in text


def test_bench_serve_names_a_bad_stream_count():
    code, text = run_in_terminal("bench", "--serve", "--streams", "0", timeout=60)
    assert code != 0 and "--streams: expected 1 to 64, got 0" in text


@pytest.mark.slow
def test_bench_times_each_student_beside_its_teacher(tmp_path, tiny_model_dir):
    import shutil

    from bridge.model import ModelSet
    from support import build_tiny_model

    for p in tiny_model_dir.glob("*.onnx"):
        shutil.copy(p, tmp_path / p.name)
    teacher = ModelSet([tmp_path], "cpu", threads=1)["violin"]
    build_tiny_model(tmp_path / "violin.student.onnx", "violin", seed=9, student={
        "teacher": "violin", "teacher_hash": teacher.info.content_hash, "max_steps": 2, "strength_max": 1.0})
    out = tmp_path / "bench.json"
    code, text = run_in_terminal("bench", "--models", str(tmp_path), "--provider", "cpu", "--threads", "1",
                                 "--seconds", "1", "--repeats", "1", "--presets", "guitar-to-violin,voice-to-strings",
                                 "--json", str(out))
    assert code == 0, text
    presets = {r["preset"]: r for r in json.loads(out.read_text())["presets"]}
    # the same windows and steps, but a morph runs two U-Nets on every row
    assert presets["voice-to-strings"]["calls_per_window"] == pytest.approx(
        2 * presets["guitar-to-violin"]["calls_per_window"], rel=0.05)
    rows = json.loads(out.read_text())["students"]
    # the teacher at 8 steps (the students' reference) and at the preset's 2; the student at 2 and 1
    assert [(r["model"], r["steps"]) for r in rows] == [("violin", 8), ("violin", 2), ("violin.student", 2),
                                                        ("violin.student", 1)]
    assert rows[0]["speedup"] == 1.0 and all(r["strength"] == 1.0 for r in rows)
    assert rows[3]["calls_per_window"] < rows[1]["calls_per_window"] < rows[0]["calls_per_window"]
    assert "| guitar-to-violin | violin.student | 1.0 | 1 |" in text
