"""Test support: tiny real ONNX denoisers, a real daemon subprocess, a real UDP OSC client."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.serve import osc  # noqa: E402
from bridge.config import MelConfig  # noqa: E402
from bridge.model import FORMAT  # noqa: E402
from bridge.sampling import cosine_alpha_bar  # noqa: E402


def build_tiny_model(path: Path, instrument: str, mel: MelConfig | None = None, seed: int = 0,
                     n_timesteps: int = 1000, prediction_type: str = "v", fixed_frames: int | None = None,
                     slow: int = 0, nan_output: bool = False, hang: str | None = None,
                     student: dict | None = None, controls: bool = False,
                     note_decay_db_s: float | None = None, note_attack_s: float | None = None,
                     vibrato: tuple[float, float] = (0.0, 0.0), noise_share: float | None = 0.05,
                     decay_by_pitch: list | None = None, vibrato_by_pitch: list | None = None,
                     decay_by_band: list | None = None) -> Path:
    """Writes a small real ONNX denoiser (a fixed 3x3 conv plus a t term) with bridge metadata.

    Built with onnx.helper, no torch: pred = 0.3 * conv3x3(x) + 1e-4 * t. ``fixed_frames``
    fixes the frame axis, so onnxruntime itself refuses any other width (a real failure
    for tests). ``slow`` adds that many wide 7x7 convolutions whose result is multiplied
    by 0: the same output, computed slowly (for drain and deadline tests). ``nan_output``
    adds 0/0 to every prediction: a model that runs and answers NaN. ``hang`` adds a Loop of
    10^15 iterations: "always", or "after-warmup" (its trip count is t x 10^12, so the
    warm-up at t = 0 returns and every later call never does). ``student`` is written as the
    ``student`` metadata of a distilled model (export.distill). ``controls``: a conditioned
    model (input ``cond``, bridge.controls' planes) whose prediction adds 0.05 x their sum;
    ``noise_share`` is its measured noise share in every band (None: not measured);
    ``decay_by_pitch`` its ``note_decay_by_pitch`` ([[Hz, dB/s], ...], None: not measured),
    ``vibrato_by_pitch`` its ``vibrato_by_pitch`` ([[Hz, RMS cents], ...]), ``decay_by_band`` its
    ``note_decay_by_band`` (dB/s per mel band).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    mel = mel or MelConfig(frame_multiple=4)  # as the shipped U-Nets (two 2x poolings)
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((1, 1, 3, 3)) * 0.2).astype(np.float32)
    w[0, 0, 1, 1] += 1.0
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["c", "k"], ["ck"]),
        helper.make_node("Reshape", ["t", "shape"], ["t4"]),
        helper.make_node("Mul", ["t4", "kt"], ["tt"]),
        helper.make_node("Add", ["ck", "tt"], ["pred"]),
    ]
    inits = [
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(np.array(0.3, np.float32), "k"),
        numpy_helper.from_array(np.array([-1, 1, 1, 1], np.int64), "shape"),
        numpy_helper.from_array(np.array(1e-4, np.float32), "kt"),
    ]
    if slow:
        wide = rng.standard_normal((16, 1, 7, 7)).astype(np.float32) * 0.01
        mid = rng.standard_normal((16, 16, 7, 7)).astype(np.float32) * 0.01
        back = rng.standard_normal((1, 16, 7, 7)).astype(np.float32) * 0.01
        # A bias of 1 keeps every activation near 1: without it they decay into denormal floats, which
        # made each forward ~14x slower on real input than on the zeros of the warm-up (an onnxruntime
        # thread running ops for its caller does not flush denormals).
        bias = np.ones(16, np.float32)
        inits += [numpy_helper.from_array(a, n) for a, n in ((wide, "sw"), (mid, "sm"), (back, "sb"), (bias, "smb"))]
        inits.append(numpy_helper.from_array(np.array(0.0, np.float32), "zero"))
        nodes[-1] = helper.make_node("Add", ["ck", "tt"], ["fast"])
        nodes.append(helper.make_node("Conv", ["x", "sw"], ["s0"], pads=[3, 3, 3, 3]))
        for i in range(slow):
            nodes.append(helper.make_node("Conv", [f"s{i}", "sm", "smb"], [f"s{i + 1}"], pads=[3, 3, 3, 3]))
        nodes.append(helper.make_node("Conv", [f"s{slow}", "sb"], ["sl"], pads=[3, 3, 3, 3]))
        nodes.append(helper.make_node("Mul", ["sl", "zero"], ["sz"]))
        nodes.append(helper.make_node("Add", ["fast", "sz"], ["pred"]))
    if nan_output:
        inits.append(numpy_helper.from_array(np.array(0.0, np.float32), "zz"))
        out = nodes[-1].output[0]
        nodes[-1].output[0] = "pre_nan"
        nodes += [helper.make_node("Div", ["zz", "zz"], ["nan"]), helper.make_node("Add", ["pre_nan", "nan"], [out])]
    if hang:
        body = helper.make_graph(
            [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Identity", ["v_in"], ["v_out"])],
            "spin", [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                     helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                     helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [])],
            [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
             helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [])])
        inits += [numpy_helper.from_array(np.array(True), "go"), numpy_helper.from_array(np.array(0.0, np.float32), "v0"),
                  numpy_helper.from_array(np.array(1e12, np.float32), "big"),
                  numpy_helper.from_array(np.array(10**15, np.int64), "forever"),
                  numpy_helper.from_array(np.array(0.0, np.float32), "nil")]
        next(n for n in nodes if "pred" in n.output).output[0] = "pre_hang"
        if hang == "always":
            trips = "forever"
        else:
            nodes += [helper.make_node("ReduceMax", ["t"], ["tmax"], keepdims=0),
                      helper.make_node("Mul", ["tmax", "big"], ["tbig"]),
                      helper.make_node("Cast", ["tbig"], ["trips"], to=TensorProto.INT64)]
            trips = "trips"
        nodes += [helper.make_node("Loop", [trips, "go", "v0"], ["spun"], body=body),
                  helper.make_node("Mul", ["spun", "nil"], ["spun0"]),
                  helper.make_node("Add", ["pre_hang", "spun0"], ["pred"])]
    frames = "frames" if fixed_frames is None else fixed_frames
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, mel.n_mels, frames]),
              helper.make_tensor_value_info("t", TensorProto.FLOAT, ["batch"])]
    if controls:
        from bridge.controls import CONTROL_CHANNELS

        inputs.append(helper.make_tensor_value_info("cond", TensorProto.FLOAT,
                                                    ["batch", CONTROL_CHANNELS, mel.n_mels, frames]))
        inits += [numpy_helper.from_array(np.array([1], np.int64), "c_axis"),
                  numpy_helper.from_array(np.array(0.05, np.float32), "c_k")]
        next(n for n in nodes if "pred" in n.output).output[0] = "pre_cond"
        nodes += [helper.make_node("ReduceSum", ["cond", "c_axis"], ["c_sum"], keepdims=1),
                  helper.make_node("Mul", ["c_sum", "c_k"], ["c_term"]),
                  helper.make_node("Add", ["pre_cond", "c_term"], ["pred"])]
    graph = helper.make_graph(
        nodes, f"tiny_{instrument}",
        inputs,
        [helper.make_tensor_value_info("pred", TensorProto.FLOAT, ["batch", 1, mel.n_mels, "frames"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bridge.tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    meta = {
        "format": FORMAT, "instrument": instrument, "mel": asdict(mel), "n_timesteps": n_timesteps,
        "schedule": "cosine", "alpha_bar": [float(a) for a in cosine_alpha_bar(n_timesteps)],
        "prediction_type": prediction_type,
        "inputs": {"x": ["batch", 1, mel.n_mels, "frames"], "t": ["batch"]},
        "outputs": {"pred": ["batch", 1, mel.n_mels, "frames"]},
        "unet": {}, "params": 12,
        "train": {"corpus": "tests", "soundfont": None, "corpus_seconds": 0, "steps": 0, "wall_s": 0,
                  "final_loss": None, "command": "tests/support.py"},
        "content_hash": f"tiny-{instrument}-{seed}",
    }
    if student is not None:
        meta["student"] = student
    if controls:
        from bridge.controls import CONTROL_CHANNELS, PLANES

        meta["inputs"]["cond"] = ["batch", CONTROL_CHANNELS, mel.n_mels, "frames"]
        meta["controls"] = {"planes": PLANES, "channels": CONTROL_CHANNELS, "dropout": 0.25, "init_from": None,
                            "note_decay_db_s": note_decay_db_s, "note_attack_s": note_attack_s,
                            "vibrato_cents": vibrato[0], "vibrato_hz": vibrato[1]}
        if noise_share is not None:
            meta["controls"]["noise_share"] = [noise_share] * mel.n_mels
        if decay_by_pitch is not None:
            meta["controls"]["note_decay_by_pitch"] = decay_by_pitch
        if vibrato_by_pitch is not None:
            meta["controls"]["vibrato_by_pitch"] = vibrato_by_pitch
        if decay_by_band is not None:
            meta["controls"]["note_decay_by_band"] = decay_by_band
    for k, v in meta.items():
        e = model.metadata_props.add()
        e.key, e.value = k, json.dumps(v)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


class OscClient:
    """A real UDP client: sends from one socket, receives replies on another it registers with /bridge/hello."""

    def __init__(self, port: int, host: str = "127.0.0.1", hello: bool = True):
        self.addr = (host, port)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        with contextlib.suppress(OSError):
            self.rx.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 8 << 20)
        self.rx.bind(("127.0.0.1", 0))
        self.reply_port = self.rx.getsockname()[1]
        self.backlog: list[tuple[str, list]] = []
        if hello:
            self.send("/bridge/hello", self.reply_port)
            self.expect("/bridge/welcome")

    def send(self, address: str, *args) -> None:
        self.tx.sendto(osc.build(address, *args), self.addr)

    def send_raw(self, data: bytes) -> None:
        self.tx.sendto(data, self.addr)

    def recv(self, timeout: float = 10.0) -> tuple[str, list]:
        if self.backlog:
            return self.backlog.pop(0)
        self.rx.settimeout(timeout)
        data, _ = self.rx.recvfrom(65536)
        msgs = osc.parse(data)
        self.backlog.extend(msgs[1:])
        return msgs[0]

    def expect(self, address: str, timeout: float = 10.0, keep_others: bool = True) -> list:
        """Returns the args of the next message with ``address``; other messages are kept for later."""
        deadline = time.monotonic() + timeout
        skipped = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {address} within {timeout} s; saw {[m[0] for m in skipped][:20]}")
                if self.backlog:
                    msg = self.backlog.pop(0)
                else:
                    self.rx.settimeout(left)
                    try:
                        data, _ = self.rx.recvfrom(65536)
                    except socket.timeout:
                        continue
                    msgs = osc.parse(data)
                    msg, rest = msgs[0], msgs[1:]
                    self.backlog[:0] = rest
                if msg[0] == address:
                    return msg[1]
                skipped.append(msg)
        finally:
            if keep_others:
                self.backlog[:0] = skipped

    def request(self, address: str, *args, reply: str, timeout: float = 10.0) -> list:
        self.send(address, *args)
        return self.expect(reply, timeout)

    def info(self) -> dict[str, list[list]]:
        """Sends /bridge/info; returns each reply's arguments by address, up to /bridge/info/end."""
        self.send("/bridge/info")
        got: dict[str, list[list]] = {}
        while True:
            address, args = self.recv()
            got.setdefault(address, []).append(args)
            if address == "/bridge/info/end":
                return got

    def close(self) -> None:
        self.tx.close()
        self.rx.close()


class JitterDevice:
    """A Live device's audio path, written from the Max SDK's Jitter Networking Specification alone.

    ``jit.net.send`` is a TCP client of the daemon's Jitter port; ``jit.net.recv`` a TCP server
    the daemon connects back to. Every field is packed here with :mod:`struct` (big-endian
    header fields, float32 cells in machine order), not with the daemon's own encoder, so a
    test of the two together checks the format and not only a round trip.
    """

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.tx = socket.create_connection((host, port), timeout=10)
        self.tx.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.return_port = self.server.getsockname()[1]
        self.matrices: list[np.ndarray] = []      # what jit.net.recv got, in order: (channels, n)
        self.arrivals: list[float] = []           # time.monotonic() of each
        self.messages: list[tuple[str, list]] = []
        self.latency_packets: list[tuple[float, float, float]] = []
        self.connections = 0
        self.changed = threading.Condition()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._read_latency, daemon=True).start()

    # -- jit.net.send -----------------------------------------------------------------
    def message(self, selector: str, *atoms) -> None:
        """A JMMP packet: int32 size, int32 atom count, 's' selector, then 'l'/'f'/'s' atoms."""
        body = b"s" + selector.encode() + b"\0"
        for a in atoms:
            if isinstance(a, int):
                body += b"l" + struct.pack(">i", a)
            elif isinstance(a, float):
                body += b"f" + struct.pack(">f", a)
            else:
                body += b"s" + str(a).encode() + b"\0"
        payload = struct.pack(">ii", 8 + len(body), len(atoms)) + body
        self.tx.sendall(b"JMMP" + struct.pack(">i", len(payload)) + payload)

    def matrix(self, y: np.ndarray, time_ms: float = 0.0) -> None:
        """A JMTX packet: ``y`` (channels, n) as jit.catch~ @mode 0 sends it: 1-D, n cells, one plane per channel."""
        channels, n = y.shape
        dim = [n] + [0] * 31
        dimstride = [4 * channels, 4 * channels * n] + [0] * 30
        header = (b"JMTX" + struct.pack(">iiii", 288, channels, 2, 1) + struct.pack(">32i", *dim)
                  + struct.pack(">32i", *dimstride) + struct.pack(">i", 4 * channels * n) + struct.pack(">d", time_ms))
        assert len(header) == 288
        self.tx.sendall(b"JMTX" + struct.pack(">i", 288) + header + y.T.astype("<f4").tobytes())

    def _read_latency(self) -> None:
        buf = b""
        while True:
            try:
                data = self.tx.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while len(buf) >= 32:
                assert buf[:4] == b"JMLP", buf[:4]
                self.latency_packets.append(struct.unpack(">3d", buf[8:32]))
                buf = buf[32:]

    # -- jit.net.recv -----------------------------------------------------------------
    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        f = conn.makefile("rb")
        try:
            while True:
                head = f.read(8)
                if len(head) < 8:
                    return
                kind, size = head[:4], struct.unpack(">i", head[4:])[0]
                body = f.read(size)
                if kind == b"JMTX":
                    assert body[:4] == b"JMTX" and struct.unpack(">i", body[4:8])[0] == 288
                    planes, typ, dimcount = struct.unpack(">iii", body[8:20])
                    dim = struct.unpack(">32i", body[20:148])
                    datasize, t = struct.unpack(">id", body[276:288])
                    assert typ == 2 and dimcount == 1, (typ, dimcount)
                    cells = np.frombuffer(f.read(datasize), "<f4").reshape(dim[0], planes).T
                    conn.sendall(b"JMLP" + b"\0" * 4 + struct.pack(">3d", t, 0.0, 0.0))
                    with self.changed:
                        self.arrivals.append(time.monotonic())
                        self.matrices.append(cells)
                        self.changed.notify_all()
                elif kind == b"JMMP":
                    self._message(body)
        except OSError:
            return

    def _message(self, body: bytes) -> None:
        _size, argc = struct.unpack(">ii", body[:8])
        pos = 8
        assert body[pos:pos + 1] == b"s"
        end = body.index(b"\0", pos + 1)
        selector, pos = body[pos + 1:end].decode(), end + 1
        atoms: list = []
        for _ in range(argc):
            code, pos = body[pos:pos + 1], pos + 1
            if code == b"s":
                end = body.index(b"\0", pos)
                atoms.append(body[pos:end].decode())
                pos = end + 1
            else:
                atoms.append(struct.unpack(">i" if code == b"l" else ">f", body[pos:pos + 4])[0])
                pos += 4
        with self.changed:
            self.messages.append((selector, atoms))
            self.changed.notify_all()

    def wait_message(self, selector: str, timeout: float = 20.0) -> list:
        """The atoms of the first message ``selector`` (removed from ``messages``)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for i, (sel, atoms) in enumerate(self.messages):
                    if sel == selector:
                        del self.messages[i]
                        return atoms
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {selector} within {timeout} s; got {self.messages[:10]}")
                self.changed.wait(left)

    def wait_matrices(self, n: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.matrices) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.matrices)} of {n} matrices back within {timeout} s")
                self.changed.wait(left)

    def open(self, stream: int, sample_rate: int, channels: int) -> list:
        self.message("open", stream, sample_rate, channels, self.return_port)
        return self.wait_message("opened")

    def close(self) -> None:
        for s in (self.tx, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class DaemonProcess:
    """A ``bridge serve`` subprocess on 127.0.0.1, port 0; ``port`` is read from its log line."""

    def __init__(self, proc: subprocess.Popen, port: int, log_lines: list[str]):
        self.proc = proc
        self.port = port
        self.log_lines = log_lines

    @property
    def jitter_port(self) -> int:
        """The TCP port of its Jitter streams, from its log (logged before it says it is listening)."""
        for line in self.log_lines:
            m = re.search(r"jitter matrices on tcp://[\d.]+:(\d+)", line)
            if m:
                return int(m.group(1))
        raise RuntimeError("daemon logged no jitter port (started with --jitter-port -1?)")

    def client(self, **kw) -> OscClient:
        return OscClient(self.port, **kw)

    def log(self) -> str:
        return "".join(self.log_lines)


@contextlib.contextmanager
def run_daemon(*args: str, env: dict | None = None, startup_timeout: float = 60.0):
    """Starts ``bridge serve --port 0 ARGS`` and waits for its 'listening' line (not a sleep)."""
    if "--jitter-port" not in args:
        args = ("--jitter-port", "0", *args)  # never the default port: tests run beside a real daemon
    cmd = [sys.executable, "-m", "bridge.cli", "serve", "--host", "127.0.0.1", "--port", "0", *args]
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    full_env.update(env or {})
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=full_env, cwd=str(ROOT))
    lines: list[str] = []
    ready = threading.Event()
    port_box: list[int] = []

    def reader():
        for line in proc.stderr:
            lines.append(line)
            m = re.search(r"listening on udp://[\d.]+:(\d+)", line)
            if m and not port_box:
                port_box.append(int(m.group(1)))
                ready.set()
        ready.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    if not ready.wait(startup_timeout) or not port_box:
        proc.kill()
        proc.wait(5)
        raise RuntimeError(f"daemon did not start: {''.join(lines)[-3000:]}")
    d = DaemonProcess(proc, port_box[0], lines)
    try:
        yield d
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        t.join(5)


def sine(freq: float, seconds: float, sample_rate: int, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def harmonic_tone(f0: float, seconds: float, sample_rate: int, n_harmonics: int = 8, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    y = sum((1.0 / k) * np.sin(2 * np.pi * f0 * k * t) for k in range(1, n_harmonics + 1) if f0 * k < sample_rate / 2)
    return (amp * y / np.max(np.abs(y))).astype(np.float32)


def run_in_terminal(*args, timeout=300) -> tuple[int, str]:
    """Runs ``bridge ARGS`` with stdin, stdout and stderr on a pseudo-terminal, as a user's shell would."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    proc = subprocess.Popen([sys.executable, "-m", "bridge", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1"), cwd=str(ROOT), close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(out.decode(errors="replace")[-2000:])
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(30), out.decode(errors="replace")
