"""MIDI CC control through JACK MIDI: a real daemon's virtual input, a real controller port, OSC checks.

A private ``jackd -d dummy`` carries the MIDI; the daemon opens its virtual input with
python-rtmidi's UNIX_JACK API (``--midi bridge-test --midi-api UNIX_JACK``), and this
process opens a JACK MIDI output (mido, UNIX_JACK) wired to it with ``jack_connect``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml

from jack_support import jack_env, jack_server, jackd_installed
from bridge.model import find_models, model_dirs
from support import ROOT, run_daemon

pytestmark = [pytest.mark.jack,
              pytest.mark.skipif(not jackd_installed(), reason="jackd not installed (apt-get install jackd2)")]

PORT = "bridge-test"
DAEMON_PORT = f"bridge-midi:{PORT}"
CONTROLLER = "bridge-probe-midi"


@pytest.fixture(scope="module")
def jack(tmp_path_factory):
    with jack_server(f"bridge-midi-{os.getpid()}", tmp_path_factory.mktemp("jack")) as server:
        yield server


@pytest.fixture(scope="module")
def map_file(tmp_path_factory):
    return tmp_path_factory.mktemp("midi") / "cc-map.yaml"


def start_daemon(jack, tiny_model_dir, preset_dir, map_file, port=PORT):
    return run_daemon("--models", str(tiny_model_dir), "--presets", str(preset_dir), "--provider", "cpu",
                      "--threads", "1", "--reply-port", "9", "--midi", port, "--midi-api", "UNIX_JACK",
                      "--midi-map", str(map_file), env=jack.env)


@pytest.fixture(scope="module")
def midi_daemon(jack, tiny_model_dir, preset_dir, map_file):
    with start_daemon(jack, tiny_model_dir, preset_dir, map_file) as d:
        yield d


def find_midi_input(jack, port: str, timeout: float = 10.0) -> str:
    """The full JACK name of MIDI port ``port`` (JACK renames a second client 'bridge-midi' to 'bridge-midi-01')."""
    deadline = time.monotonic() + timeout
    while True:
        found = [p for p in jack.ports("midi") if p.split(":", 1)[1] == port]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no JACK MIDI port named {port!r}; ports: {jack.ports()}")
        time.sleep(0.1)


class Controller:
    """A JACK MIDI output port in this process, connected to one daemon input."""

    def __init__(self, jack, target: str, client: str = CONTROLLER):
        """``target``: the daemon's port name (its client part may differ, see find_midi_input)."""
        import mido

        self.mido = mido
        with jack_env(jack):
            backend = mido.Backend("mido.backends.rtmidi", api="UNIX_JACK")
            self.port = backend.open_output("ctl", client_name=client)
        try:
            self.name = f"{client}:ctl"
            jack.wait_ports([self.name])
            self.target = find_midi_input(jack, target)
            jack.connect(self.name, self.target)
        except BaseException:
            self.port.close()
            raise

    def cc(self, control: int, value: int, channel: int = 0) -> None:
        self.port.send(self.mido.Message("control_change", channel=channel, control=control, value=value))

    def close(self) -> None:
        self.port.close()


@pytest.fixture(scope="module")
def controller(jack, midi_daemon):
    ctl = Controller(jack, PORT)
    yield ctl
    ctl.close()


@pytest.fixture
def osc(midi_daemon):
    c = midi_daemon.client()
    assert c.request("/bridge/listen", "param", reply="/bridge/listening") == ["param"]
    yield c
    c.close()


def wait_param(c, name, expected, timeout=5.0, tol=1e-5):
    """Waits for the pushed /bridge/param NAME value that equals ``expected`` (coalesced pushes may skip some)."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{name} never became {expected!r}; pushes seen: {seen}")
        try:
            got_name, value = c.expect("/bridge/param", timeout=left, keep_others=False)
        except TimeoutError:
            continue
        seen.append((got_name, value))
        if got_name == name and (value == expected if isinstance(expected, str)
                                 else abs(float(value) - float(expected)) <= tol):
            return value


def get_param(c, name):
    got_name, value = c.request("/bridge/param/get", name, reply="/bridge/param")
    while got_name != name:  # a push for another parameter may come first
        got_name, value = c.expect("/bridge/param")
    return value


def test_daemon_port_is_a_jack_midi_input(jack, midi_daemon):
    assert DAEMON_PORT in jack.ports("midi")
    assert "UNIX_JACK" in midi_daemon.log()


def test_mapped_cc_sets_scaled_parameters(osc, controller, tiny_model_dir):
    c = osc
    # The daemon loads every model it finds: the tiny test models, then the shipped ones.
    loaded = sorted(find_models(model_dirs([tiny_model_dir])))
    cases = [  # (cc, param, [(cc value, expected parameter value)])
        (7, "mix", [(0, 0.0), (127, 1.0), (64, 64 / 127)]),
        (8, "strength", [(127, 1.0), (0, 0.01), (100, 0.01 + 0.99 * 100 / 127)]),
        (9, "steps", [(127, 200), (0, 1), (64, 101)]),  # ints rounded: 1 + 199 * 64 / 127 = 101.28
        (10, "match_loudness", [(0, 0), (64, 1), (63, 0)]),  # booleans: on from 64
        (11, "inversion", [(127, "harmonic"), (64, "pinv"), (0, "envelope")]),  # choices split the range
        # loaded models in name order, the 128 values split evenly: 40 -> index 40 * n // 128
        (12, "target", [(0, loaded[0]), (127, loaded[-1]), (40, loaded[40 * len(loaded) // 128])]),
    ]
    for cc, param, values in cases:
        assert c.request("/bridge/midi/map", cc, param, reply="/bridge/midi/mapped") == [cc, param, -1]
        for cc_value, expected in values:
            controller.cc(cc, cc_value, channel=5)  # mapped on any channel
            wait_param(c, param, expected)
        last = values[-1][1]
        assert get_param(c, param) == (last if isinstance(last, str) else pytest.approx(last))
    c.request("/bridge/param/set", "target", "violin", reply="/bridge/param")


def test_channel_specific_mapping_and_unmap(osc, controller):
    c = osc
    assert c.request("/bridge/midi/map", 20, "eta", 2, reply="/bridge/midi/mapped") == [20, "eta", 2]
    controller.cc(20, 127, channel=2)
    wait_param(c, "eta", 1.0)
    controller.cc(20, 0, channel=3)  # another channel: not mapped
    time.sleep(0.5)
    assert get_param(c, "eta") == pytest.approx(1.0)
    controller.cc(20, 0, channel=2)
    wait_param(c, "eta", 0.0)
    assert c.request("/bridge/midi/unmap", 20, 2, reply="/bridge/midi/unmapped") == [20, 2]
    controller.cc(20, 127, channel=2)
    time.sleep(0.5)
    assert get_param(c, "eta") == pytest.approx(0.0)


def test_learn_maps_the_next_cc(osc, controller, map_file):
    c = osc
    c.request("/bridge/midi/unmap", 8, reply="/bridge/midi/unmapped")  # strength's mapping from the scaling test
    before = get_param(c, "strength")
    assert c.request("/bridge/midi/learn", "strength", reply="/bridge/midi/learning") == ["strength"]
    controller.cc(21, 100, channel=3)
    assert c.expect("/bridge/midi/learned", timeout=5) == ["strength", 21, 3]
    assert get_param(c, "strength") == pytest.approx(before)  # the learning move itself is not applied
    controller.cc(21, 127, channel=3)
    wait_param(c, "strength", 1.0)
    controller.cc(21, 0, channel=3)
    wait_param(c, "strength", 0.01)
    saved = yaml.safe_load(map_file.read_text())
    assert {"cc": 21, "channel": 3, "param": "strength"} in saved["mappings"]
    assert {"cc": 8, "channel": -1, "param": "strength"} not in saved["mappings"]


def test_map_errors_are_reported(osc):
    c = osc
    err = c.request("/bridge/midi/map", 7, "no_such_param", reply="/bridge/error")
    assert err[:2] == ["/bridge/midi/map", "parameter"]
    assert "no_such_param" in err[2] and "strength" in err[2]
    err = c.request("/bridge/midi/map", 128, "mix", reply="/bridge/error")
    assert err[:2] == ["/bridge/midi/map", "parameter"] and "0 to 127" in err[2]
    err = c.request("/bridge/midi/map", 1, "mix", 16, reply="/bridge/error")
    assert "channel" in err[2]
    err = c.request("/bridge/midi/unmap", 99, reply="/bridge/error")
    assert err[:2] == ["/bridge/midi/unmap", "parameter"] and "not mapped" in err[2]
    err = c.request("/bridge/midi/learn", "nope", reply="/bridge/error")
    assert err[:2] == ["/bridge/midi/learn", "parameter"]
    for fixed in ("window_frames", "stereo"):  # they cannot change on an open stream
        err = c.request("/bridge/midi/map", 30, fixed, reply="/bridge/error")
        assert f"{fixed} is fixed while a stream is open" in err[2]


def test_map_file_is_loaded_at_start(jack, tiny_model_dir, preset_dir, map_file, midi_daemon, controller):
    # The first daemon's learned mapping (cc 21, channel 3 -> strength) is in the file; a new daemon reads it.
    assert "strength" in map_file.read_text()
    with start_daemon(jack, tiny_model_dir, preset_dir, map_file, port="bridge-test-2") as d:
        assert "cc 21 on channel 3 (MIDI 4) -> strength" in d.log()
        ctl = Controller(jack, "bridge-test-2", client="bridge-probe-midi2")
        try:
            c = d.client()
            c.request("/bridge/listen", "param", reply="/bridge/listening")
            ctl.cc(21, 127, channel=3)
            wait_param(c, "strength", 1.0)
            c.close()
        finally:
            ctl.close()


def test_unusable_midi_setups_fail_with_the_fix(jack, tiny_model_dir, tmp_path):
    base = [sys.executable, "-m", "bridge.cli", "serve", "--port", "0", "--models", str(tiny_model_dir),
            "--provider", "cpu", "--threads", "1", "--midi", "x"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), JACK_NO_START_SERVER="1")
    r = subprocess.run(base + ["--midi-api", "NOPE"], capture_output=True, text=True, env=env, timeout=120,
                       cwd=str(ROOT))
    assert r.returncode != 0
    assert "--midi-api NOPE: not available" in r.stderr and "UNIX_JACK" in r.stderr, r.stderr[-2000:]
    env["JACK_DEFAULT_SERVER"] = f"not-running-{os.getpid()}"
    r = subprocess.run(base + ["--midi-api", "UNIX_JACK"], capture_output=True, text=True, env=env, timeout=120,
                       cwd=str(ROOT))
    assert r.returncode != 0
    assert "cannot open MIDI input 'x'" in r.stderr and "start one" in r.stderr, r.stderr[-2000:]
    bad = tmp_path / "bad-map.yaml"
    bad.write_text("mappings:\n- {cc: 300, param: mix}\n")
    r = subprocess.run(base + ["--midi-api", "UNIX_JACK", "--midi-map", str(bad)], capture_output=True, text=True,
                       env=dict(env, **jack.env), timeout=120, cwd=str(ROOT))
    assert r.returncode == 2
    assert "bad-map.yaml: mappings[0] cc: expected 0 to 127" in r.stderr, r.stderr[-2000:]
