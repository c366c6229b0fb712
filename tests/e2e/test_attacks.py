"""A buggy patch or a hostile local process against the daemon (issue 13's list, loopback only, bounded).

Each test names the item it covers; each fails without its fix.
"""

from __future__ import annotations

import numpy as np
import pytest

from bridge.serve import osc
from support import harmonic_tone

SR = 22050
BLOCK = 256


def send_run(c, stream_id, seqs, y):
    for k, seq in enumerate(seqs):
        c.send("/bridge/audio/in", stream_id, seq, *osc.encode_audio(y[None, k * BLOCK : (k + 1) * BLOCK], "blob"))


def collect(c, n, timeout=60):
    got, late = [], []
    while len(got) + len(late) < n:
        address, args = c.recv(timeout=timeout)
        if address == "/bridge/audio/out":
            got.append(args[1])
        elif address == "/bridge/stream/late":
            late.append(args[1])
    return got, late


def test_item12_a_client_that_restarts_its_counter_is_a_new_run_not_300_duplicates(daemon):
    c = daemon.client()
    latency = c.request("/bridge/stream/open", 21, SR, 1, reply="/bridge/stream/opened")[1]
    y = harmonic_tone(220, 2 * 100 * BLOCK / SR + 1, SR)
    send_run(c, 21, range(100), y)
    send_run(c, 21, range(100), y[100 * BLOCK:])  # counted from 0 again, without reopening
    zeros = np.zeros(latency + BLOCK, np.float32)
    send_run(c, 21, range(100, 100 + len(zeros) // BLOCK), zeros)
    got, late = collect(c, 200 + len(zeros) // BLOCK)
    assert late == [] and len(got) == 200 + len(zeros) // BLOCK
    assert c.request("/bridge/stream/close", 21, reply="/bridge/stream/closed")[-1] == 1  # one restart, counted
    c.close()


def test_item12_a_counter_that_wraps_at_2_31_keeps_streaming(daemon):
    c = daemon.client()
    c.request("/bridge/stream/open", 22, SR, 1, reply="/bridge/stream/opened")
    seqs = [((s + 2**31) % 2**32) - 2**31 for s in range(2**31 - 20, 2**31 + 60)]  # ... 2^31-1, -2^31, ...
    assert seqs[19] == 2**31 - 1 and seqs[20] == -(2**31)
    send_run(c, 22, seqs, harmonic_tone(220, len(seqs) * BLOCK / SR + 0.1, SR))
    closed = c.request("/bridge/stream/close", 22, reply="/bridge/stream/closed", timeout=60)
    assert closed[1] == closed[2] == len(seqs)  # in == out: every chunk answered
    assert closed[3:6] == [0, 0, 0]  # none lost, late or duplicate
    assert closed[-1] == 0  # and the wrap is a continuation, not a restart
    c.close()


def test_item12_reopening_at_another_rate_answers_every_queued_chunk(daemon):
    c = daemon.client()
    c.request("/bridge/stream/open", 23, SR, 1, reply="/bridge/stream/opened")
    send_run(c, 23, range(100), harmonic_tone(220, 100 * BLOCK / SR + 0.1, SR))
    c.send("/bridge/stream/open", 23, 48000, 2)  # at once, while they are queued
    got = []
    while True:
        address, args = c.recv(timeout=60)
        if address == "/bridge/audio/out" and args[0] == 23:
            got.append(args[1])
        if address == "/bridge/stream/opened" and args[0] == 23:
            break
    assert sorted(got) == list(range(100))  # all answered before the new stream opened
    c.request("/bridge/stream/close", 23, reply="/bridge/stream/closed")
    c.close()


@pytest.mark.parametrize("value", [3.4e38, -1e30])
def test_item11_finite_garbage_in_never_comes_out_as_nan_or_huge(daemon, value):
    c = daemon.client()
    latency = c.request("/bridge/stream/open", 24, SR, 1, reply="/bridge/stream/opened")[1]
    y = np.full(40 * BLOCK + latency, value, np.float32)
    n = len(y) // BLOCK
    send_run(c, 24, range(n), y)
    out = []
    while len(out) < n:
        address, args = c.recv(timeout=60)
        if address == "/bridge/audio/out":
            out.append(osc.decode_audio("/bridge/audio/out", args[2:], 1)[0])
    out = np.concatenate(out, axis=1)
    assert np.isfinite(out).all() and np.abs(out).max() <= 16.0
    c.request("/bridge/stream/close", 24, reply="/bridge/stream/closed")
    c.close()
