"""Random and mutated datagrams: the daemon stays up, keeps counting, keeps answering."""

import time

import numpy as np

from bridge.serve import osc
from support import OscClient


def valid_datagrams(rng):
    block = rng.standard_normal((2, 64)).astype(np.float32)
    return [
        osc.build("/bridge/ping", 1),
        osc.build("/bridge/param/set", "strength", 0.4),
        osc.build("/bridge/stream/open", 1, 48000, 2),
        osc.build("/bridge/audio/in", 1, 0, *osc.encode_audio(block, "blob")),
        osc.build("/bridge/audio/in", 1, 1, *osc.encode_audio(block[:, :32], "floats")),
        osc.build("/bridge/latency/get", 1),
        osc.build("/bridge/file/process", "j", "/tmp/x.wav", "/tmp/y.wav"),
        osc.build("/bridge/info"),
    ]


def mutate(d: bytes, rng) -> bytes:
    b = bytearray(d)
    kind = rng.integers(6)
    if kind == 0 and b:  # flip bytes
        for _ in range(rng.integers(1, 6)):
            b[rng.integers(len(b))] = rng.integers(256)
    elif kind == 1:  # truncate
        b = b[: rng.integers(0, len(b) + 1)]
    elif kind == 2:  # append junk
        b += bytes(rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8))
    elif kind == 3 and b:  # mangle the type tags
        i = b.find(b",")
        if i >= 0 and i + 1 < len(b):
            b[i + 1] = ord(rng.choice(list("ifsbdhTFNtcm?")))
    elif kind == 4:  # huge lengths in blob headers
        b += b"\x7f\xff\xff\xff"
    else:  # pure noise
        b = bytearray(rng.integers(0, 256, rng.integers(0, 2000), dtype=np.uint8))
    return bytes(b)


def test_fuzz_ten_thousand_datagrams(daemon):
    rng = np.random.default_rng(1234)
    fuzzer = daemon.client()
    valid = valid_datagrams(rng)
    n = 10_000
    t0 = time.monotonic()
    for i in range(n):
        d = mutate(valid[rng.integers(len(valid))], rng) if rng.random() < 0.8 else bytes(
            rng.integers(0, 256, rng.integers(0, 600), dtype=np.uint8))
        fuzzer.send_raw(d)
        if i % 200 == 199:
            time.sleep(0.01)  # let the daemon breathe; losses on loopback are not what is tested
    # Under a flood the kernel drops datagrams once the receive buffer is full (each costs 2-4 KB
    # of it), so the probe does what a real client does: says hello again until it is answered.
    probe = OscClient(daemon.port, hello=False)
    deadline = time.monotonic() + 60
    while True:
        probe.send("/bridge/hello", probe.reply_port)
        try:
            probe.expect("/bridge/welcome", timeout=2)
            break
        except TimeoutError:
            assert time.monotonic() < deadline, "no welcome within 60 s of the flood"
    assert probe.request("/bridge/ping", "alive", reply="/bridge/pong", timeout=30) == ["alive"]
    status = probe.request("/bridge/status", reply="/bridge/status")
    malformed, errors = status[7], status[8]
    assert malformed > 1000 and errors > 1000
    assert daemon.proc.poll() is None
    # Every bad datagram was refused by a check, none reached an unexpected exception.
    unexpected = [line for line in daemon.log().splitlines() if "failed" in line or "Traceback" in line]
    assert not unexpected, unexpected[:5]
    print(f"{n} datagrams in {time.monotonic() - t0:.1f} s: {malformed} malformed, {errors} error replies")
