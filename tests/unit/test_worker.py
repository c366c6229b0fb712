"""The stream worker's scheduling, in-process (no thread, no sockets): step planning, oldest windows first, replies before compute.

Issue 13's last item: 8 streams whose windows fall due together must not answer late. The
worker plans the steps of windows that start together from the measured cost per model row,
makes one small model call per loop, oldest windows first, and answers every chunk whose
output is final before it computes.
"""

import time

import numpy as np
import pytest

from bridge import stream
from bridge.config import Preset
from bridge.serve.messages import Chunk, Open
from bridge.serve.schedule import PLAN_SHARE, RowCost, plan_steps
from bridge.serve.worker import StreamWorker
from support import harmonic_tone

PRESET = Preset(target="violin").with_params(strength=0.5, steps=4, seed=3)
SR = 22050
BLOCK = 512
BUDGET = 0.1 / PLAN_SHARE  # a budget of which planned work may fill 100 ms


class Recorder:
    """A sink that writes what the worker says, in order, into a shared event list."""

    def __init__(self, events: list, name: int):
        self.events, self.name = events, name

    def audio(self, stream_id, seq, y, encoding):
        self.events.append(("audio", self.name, seq))

    def status(self, args):
        self.events.append(("status", self.name, args))

    def error(self, request, code, message):
        self.events.append(("error", self.name, code, message))

    def opened(self, *args):
        self.events.append(("opened", self.name))

    def closed(self, *args):
        pass

    def latency(self, *args):
        pass

    def synced(self, *args):
        pass

    def gap(self, *args):
        pass

    def late(self, *args):
        pass

    def reopen(self, *args):
        pass


def open_streams(models, n: int, budget_s: float, events: list) -> StreamWorker:
    worker = StreamWorker(models, PRESET, compute_budget_s=budget_s, adapt_steps=True, max_streams=8)
    for i in range(n):
        worker._handle(Open(("127.0.0.1", 9000 + i, i), i, SR, 1, Recorder(events, i)))
    return worker


def feed(worker: StreamWorker, i: int, y: np.ndarray, first_seq: int = 0) -> None:
    st = list(worker.streams.values())[i]
    for k, start in enumerate(range(0, y.shape[0], BLOCK)):
        block = y[None, start : start + BLOCK]
        worker._handle(Chunk(next(key for key, s in worker.streams.items() if s is st), i, first_seq + k,
                             time.perf_counter(), st.sink, block=block))


def window_input(worker: StreamWorker) -> np.ndarray:
    """Exactly enough input for the first window of every (identical) stream to be ready (model rate = SR)."""
    s = next(iter(worker.streams.values())).stream
    assert s.model_rate == SR
    n = s.geometry.need(s.geometry.first_window)
    return harmonic_tone(220, 1.0 + n / SR, SR)[:n]


def test_windows_that_fall_due_together_share_the_budget(tiny_models):
    """8 windows at once, 10 ms a row, 100 ms to plan: 1 step each fits (8 x 10 ms), 2 would not."""
    events = []
    worker = open_streams(tiny_models, 8, BUDGET, events)
    y = window_input(worker)
    for i in range(8):
        feed(worker, i, y)
    worker.row_cost.add(0.010, 1)
    busy = [st for st in worker.streams.values() if st.stream.busy]
    assert len(busy) == 8
    worker._plan_steps(busy)
    assert [st.stream.effective_steps() for st in busy] == [1] * 8
    # the change is said once per stream, as /bridge/stream/status with the steps in field 7
    said = [e for e in events if e[0] == "status"]
    assert len(said) == 8 and {e[2][7] for e in said} == {1}


def test_one_stream_keeps_its_steps(tiny_models):
    """The same cost and budget leave a stream alone at the preset's 4 steps (40 ms <= 100 ms)."""
    worker = open_streams(tiny_models, 1, BUDGET, [])
    feed(worker, 0, window_input(worker))
    worker.row_cost.add(0.010, 1)
    busy = list(worker.streams.values())
    worker._plan_steps(busy)
    assert busy[0].stream.steps_plan is None and busy[0].stream.effective_steps() == 4


def test_windows_due_within_the_budget_are_planned_for_before_they_arrive(tiny_models):
    """The first stream's window is ready; the second's lacks 5 ms of input. Both count: 3 steps, not 4."""
    worker = open_streams(tiny_models, 2, BUDGET, [])
    y = window_input(worker)
    feed(worker, 0, y)
    a, b = list(worker.streams.values())
    feed(worker, 1, y[: -int(0.005 * SR)])
    assert a.stream.ready_windows() == 1 and b.stream.ready_windows() == 0
    assert b.stream.windows_due(0.1) == [int(0.005 * SR) / SR]
    # b is due 5 ms from now: (1 + 1) x 3 x 15 ms = 90 ms <= 5 + 100 ms; 4 steps would be 120 ms.
    # Counting a alone would allow all 4 (60 ms).
    worker.row_cost.add(0.030, 2)
    worker._plan_steps([a])
    assert a.stream.effective_steps() == 3


def test_a_window_due_later_has_a_later_deadline():
    """Earliest deadline first: the second window may end later by the time until it is due."""
    # two windows of 1 row, 10 ms a row and step, 100 ms to plan each
    assert plan_steps(4, [(0.0, BUDGET, 1), (0.0, BUDGET, 1)], 0, 0.010) == 4  # 40 ms, 80 ms
    assert plan_steps(8, [(0.0, BUDGET, 1), (0.0, BUDGET, 1)], 0, 0.010) == 5  # 50 ms, 100 ms
    # the second due 30 ms later: 6 steps end at 60 ms and 120 ms <= 30 + 100 ms
    assert plan_steps(8, [(0.03, BUDGET, 1), (0.0, BUDGET, 1)], 0, 0.010) == 6
    # work in flight comes first: 40 ms of it leaves room for 3 steps each (70 ms, 100 ms)
    assert plan_steps(8, [(0.0, BUDGET, 1), (0.0, BUDGET, 1)], 4, 0.010) == 3


def test_one_slow_tick_does_not_change_the_planned_cost():
    """The cost per row is the median of recent ticks: a 10x outlier leaves it, a run of slow ticks moves it."""
    cost = RowCost()
    for _ in range(9):
        cost.add(0.010, 2)
    cost.add(0.050, 1)
    assert cost.seconds == 0.005
    for _ in range(20):
        cost.add(0.010, 1)
    assert cost.seconds == 0.010


def test_one_call_per_tick_goes_to_the_oldest_window(tiny_models):
    """With one call a tick, the window that started first is finished first, whatever the stream order."""
    a, b = (stream.Stream(tiny_models, PRESET, SR, 1) for _ in range(2))
    n = a.geometry.need(a.geometry.first_window)
    y = harmonic_tone(220, n / SR + 0.05, SR)[None]
    a.write(y)
    stream.tick_streams([a], max_calls=0)  # starts a's window, computes nothing
    b.write(y)
    stream.tick_streams([b, a], max_calls=1, max_rows=1)
    ja, jb = a._jobs[0], b._jobs[0]
    assert ja.born < jb.born
    assert (ja.calls_left, jb.calls_left) == (3, 4)
    while not ja.done:
        stream.tick_streams([b, a], max_calls=1, max_rows=1)
    assert jb.calls_left == 4  # b waited for a, then goes on alone
    while b._jobs:
        stream.tick_streams([b, a], max_calls=1, max_rows=1)
    assert a.available() and b.available()


def test_one_call_per_tick_changes_no_output(tiny_models):
    """Limiting calls per tick changes the order of work, never a window's result."""
    y = harmonic_tone(196, 2.0, SR)[None]
    outs = []
    for limit in (None, 1):
        s = stream.Stream(tiny_models, PRESET, SR, 1)
        s.write(np.concatenate([y, np.zeros((1, s.latency_samples), np.float32)], axis=1))
        while s.busy:
            stream.tick_streams([s], max_calls=limit, max_rows=1 if limit else stream.MAX_ROWS_PER_CALL)
        outs.append(s.read(s.available()))
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-6)
    assert np.abs(outs[0]).max() > 0.01


def test_chunks_already_final_are_answered_before_the_worker_computes(tiny_models):
    """A loop answers what is final first: a chunk never waits for a model call it does not need."""
    events = []

    class Logged:
        def __init__(self, den):
            self.den, self.info = den, den.info

        def __call__(self, x, t):
            events.append(("model",))
            return self.den(x, t)

    models = {name: Logged(tiny_models[name]) for name in ("violin",)}
    worker = StreamWorker(models, PRESET, compute_budget_s=1.0, adapt_steps=False, max_streams=8)
    worker._handle(Open(("127.0.0.1", 9000, 0), 0, SR, 1, Recorder(events, 0)))
    st = next(iter(worker.streams.values()))
    # The first latency_samples of output are final at once (the delay's lead-in); a window's input makes a tick due.
    feed(worker, 0, window_input(worker))
    assert st.stream.busy and st.stream.available() >= BLOCK and st.pending
    del events[:]
    for _ in range(3):  # the window starts in one tick and is called in the next (bridge.batch)
        worker._loop_once()
    kinds = [e[0] for e in events]
    assert "audio" in kinds and "model" in kinds
    assert kinds.index("audio") < kinds.index("model")


def test_the_compute_budget_times_whole_windows_on_a_voiced_probe(tmp_path):
    """The budget's probe runs the stream's own windows (analysis, pitch, model, synthesis), none silent."""
    from bridge import controls
    from bridge.config import MelConfig
    from bridge.model import ModelSet
    from bridge.serve.schedule import PROBE_HZ, probe_signal, window_cost_s
    from support import build_tiny_model

    y = probe_signal(22050, 1, 2.0)[0]
    f0, voiced, _ = controls.track_signal(y, MelConfig())
    assert voiced.mean() > 0.9
    for hz, half in zip(PROBE_HZ, (slice(10, 80), slice(100, 160))):
        assert abs(1200 * np.log2(np.median(f0[half]) / hz)) < 20
    build_tiny_model(tmp_path / "violin.onnx", "violin", controls=True)
    models = ModelSet([tmp_path], "cpu", threads=1)
    probe = stream.Stream(models, PRESET.with_params(controls=True, inversion="harmonic", pitch="target",
                                                    loudness="note", window_frames=32, lookbehind=0.625), 48000, 2)
    assert window_cost_s(probe, repeats=3) > 0
    assert probe.stats["windows"] >= 4 and probe.stats["silent_windows"] == 0


def test_opening_more_streams_than_the_machine_keeps_up_with_is_said_at_open(tiny_models, tmp_path, caplog):
    """Four streams of a model slow enough that each needs about one thread (0.94 here): the fourth open
    says so, with the fix; four of the tiny model (each about a tenth of that) open without a word."""
    import logging

    from bridge.model import ModelSet
    from bridge.serve.schedule import LOAD_WARN, overload_warning, stream_load
    from support import build_tiny_model

    s = stream.Stream(tiny_models, PRESET, SR, 1)
    hop_s = s.geometry.hop_frames * s.geometry.hop_length / s.model_rate
    assert stream_load(s, 0.5 * hop_s) == pytest.approx(0.5)  # half a hop's work per hop: half a thread
    assert overload_warning([0.3, 0.3]) is None and overload_warning([0.6, 0.6]) is not None
    assert "2 open stream(s) need about 1.20 s of compute" in overload_warning([0.6, 0.6]) and LOAD_WARN == 1.0

    def opened(models, n: int) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bridge.serve.worker"):
            worker = StreamWorker(models, PRESET, compute_budget_s=None, adapt_steps=True, max_streams=8)
            for i in range(n):
                worker._handle(Open(("127.0.0.1", 9000, i), i, SR, 1, Recorder([], i)))
        return [r.getMessage() for r in caplog.records if "open stream(s) need" in r.getMessage()]

    assert opened(tiny_models, 4) == []
    build_tiny_model(tmp_path / "violin.onnx", "violin", slow=60)
    said = opened(ModelSet([tmp_path], "cpu", threads=1), 4)
    assert said and "stream 3 open: the 4 open stream(s) need about" in said[-1]
    assert "close a stream, or load a preset with fewer steps" in said[-1]
