"""The patch and its scripts against the daemon's protocol, over real UDP (no Max needed).

Static: every address the daemon can send is routed to a script function that exists;
every address the scripts can send is a request the daemon serves.
Dynamic: the patch runs under node (patch_runtime.js + the js shim) against a running
daemon; every control is used, every OSC message the scripts produce goes over UDP,
and the replies come back through the patch's [udpreceive] -> [route] -> [prepend].
"""

from __future__ import annotations

import re

import pytest

from bridge.serve import osc
from bridge.model import find_models, model_dirs, read_metadata
from nodeharness import M4L, ROOT, SCRIPTS, boxes, build, js_functions, lines, load_patch, run_harness

SCRIPT_OF = {"stream": "bridge_stream.js", "control": "bridge_control.js", "clip": "bridge_clip.js"}


def daemon_sent_addresses() -> set[str]:
    """What the daemon can send: the protocol table plus every literal it builds."""
    found = set(osc.REPLY_ADDRESSES)
    for name in ("daemon.py", "worker.py", "midi.py", "live.py"):
        path = ROOT / "bridge" / name
        if path.is_file():
            found |= set(re.findall(r'build\(\s*"(/bridge/[^"]+)"', path.read_text(encoding="utf-8")))
    return found


def script_addresses() -> dict[str, set[str]]:
    """The OSC addresses each script can send (its "/bridge/..." string literals)."""
    # (prefixes such as "/bridge/stream/" only filter replies; an address does not end in "/")
    return {s.name: set(re.findall(r'"(/bridge/[a-z/_]*[a-z_])"', s.read_text(encoding="utf-8"))) for s in SCRIPTS}


def replies_route(doc):
    b = boxes(doc)
    dsts = [dst for src, _o, dst, _i in lines(doc) if src == "obj-udpreceive"]
    assert dsts == ["obj-route-replies"], "[udpreceive] should feed one [route]"
    return b["obj-route-replies"]["text"].split()[1:]


def test_every_daemon_address_is_routed_to_a_handler():
    doc = load_patch()
    b = boxes(doc)
    routed = replies_route(doc)
    missing = daemon_sent_addresses() - set(routed)
    assert not missing, f"addresses the daemon sends without a route in the patch: {sorted(missing)}"
    scripts = {bid: M4L / box["text"].split()[1] for bid, box in b.items()
               if box["maxclass"] == "newobj" and box["text"].startswith("js ")}
    for i, address in enumerate(routed):
        outs = [dst for src, o, dst, _ in lines(doc) if src == "obj-route-replies" and o == i]
        assert len(outs) == 1 and b[outs[0]]["text"].startswith("prepend on_"), address
        fn = b[outs[0]]["text"].split()[1]
        targets = [dst for src, _o, dst, inlet in lines(doc) if src == outs[0]]
        assert targets and all(t in scripts for t in targets), address
        for t in targets:
            assert fn in js_functions(scripts[t]), f"{address}: {scripts[t].name} has no {fn}()"
    assert [a for a, _, _ in build.REPLIES] == routed


def test_script_addresses_are_requests_the_daemon_serves():
    for name, addresses in script_addresses().items():
        for a in addresses:
            assert a in osc.ADDRESSES, f"{name} sends {a}, which the daemon does not serve"
    # and nothing else in the patch talks to [udpsend]
    doc = load_patch()
    b = boxes(doc)
    into_udpsend = {src for src, _o, dst, _i in lines(doc) if dst == "obj-udpsend"}
    assert all(b[s]["text"].startswith("js ") for s in into_udpsend)


def values_of(entry: dict) -> list:
    """The Python values a daemon would parse from a logged message (types and first args)."""
    conv = {"i": int, "f": float, "s": str}
    return [conv[t](v) for t, v in zip(entry["types"][1:], entry["args"])]


@pytest.fixture(scope="module", params=["auto", "float"])
def protocol_run(request, daemon, files_dir, tmp_path_factory):
    """The protocol scenario; 'float' sends every js number as a float (if Max's js does that)."""
    out = tmp_path_factory.mktemp("protocol") / f"summary-{request.param}.json"
    return run_harness(out, scenario="protocol", daemon_port=daemon.port, jitter_port=daemon.jitter_port,
                       files=files_dir, numbers=request.param)


def test_patch_runs_against_the_daemon_without_errors(protocol_run):
    s = protocol_run
    assert s["errors"] == [], s["errors"]
    assert s["jsErrors"] == []
    assert not [p for p in s["posts"] if "no handler" in p or "does not understand" in p or "exception" in p], s["posts"]
    assert s["prints"] == [], "messages reached a [print] (unrouted): " + repr(s["prints"][:5])
    daemon_errors = [r for r in s["received"] if r["address"] == "/bridge/error"]
    assert daemon_errors == [], daemon_errors


def test_every_message_the_scripts_can_send_was_sent_and_accepted(protocol_run):
    s = protocol_run
    sent = {m["address"] for m in s["sent"]}
    possible = set().union(*script_addresses().values())
    assert possible - sent == set(), f"never exercised: {sorted(possible - sent)}"
    for m in s["sent"]:
        spec = osc.ADDRESSES[m["address"]]
        osc.check_args(spec, values_of(m))          # the daemon's own argument check
        assert set(m["types"][1:]) <= {"i", "f", "s"}
    assert "/bridge/audio/in" not in sent and "/bridge/stream/open" not in sent  # audio goes over Jitter


def test_every_request_was_answered(protocol_run):
    s = protocol_run
    received = {r["address"] for r in s["received"]}
    for address in {m["address"] for m in s["sent"]}:
        replies = set(osc.ADDRESSES[address].replies)
        assert replies & received, f"{address}: none of {sorted(replies)} came back"
    routed = set(build.REPLIES[i][0] for i in range(len(build.REPLIES)))
    assert received <= routed
    for r in s["received"]:
        assert set(r["types"][1:]) <= {"i", "f", "s"}, f"{r['address']} carries {r['types']} (Max reads doubles as 0)"


def test_ui_is_filled_from_info_and_modes_work(protocol_run, tiny_model_dir, preset_dir):
    s = protocol_run
    assert s["texts"]["obj-status"].startswith("connected")
    # What the daemon loads (tiny + shipped), less the students, which /bridge/info leaves out.
    paths = find_models(model_dirs([tiny_model_dir]))
    info = {name: read_metadata(path) for name, path in paths.items()}
    models = sorted(name for name in paths if info[name].student is None)
    assert s["menus"]["obj-menu-target"] == models
    # morph partners: the models that share the final target's (violin's) mel settings, no others
    mel = {name: i.mel for name, i in info.items()}
    assert s["menus"]["obj-menu-morph"] == ["(none)"] + [m for m in models if mel[m] == mel["violin"]]
    assert len(s["menus"]["obj-menu-morph"]) > 2
    assert set(p.stem for p in preset_dir.glob("*.yaml")) <= set(s["menus"]["obj-menu-preset"])
    audio = s["audio"]
    # clip mode (timing to the sample: test_max_clip.py): armed, one bar recorded from a bar line,
    # processed, loaded, played from the take's next cycle
    m = s["clipMarks"]
    bar = 44100   # 1 bar of 4/4 at 240 bpm
    assert [v for _n, v in m["arm"]] == [1, 0] and [v for _n, v in m["gate"]] == [1, 0], m
    (opened, _), (closed, _) = m["gate"]
    assert opened % bar == 0 and closed - opened == bar == m["len"], m
    assert m["play"] and m["play"][0][1] == 1 and (m["play"][0][0] - opened) % bar == 0, m
    assert [e["value"] for e in audio if e["id"] == "obj-clip-arm"] == [0, 1, 0]
    buffers = [(b["buffer"], b["sel"]) for b in s["buffers"]]
    assert ("---bridge_rec", "writewave") in buffers and ("---bridge_clip", "replace") in buffers
    # one-shot: generated, loaded, played
    assert ("---bridge_shot", "replace") in buffers
    assert {"kind": "sig~", "id": "obj-shot-speed", "value": 1} in audio
    assert "ready" in s["texts"]["obj-shotstatus"]
    # the stream opened and closed over Jitter, and its counters are shown
    # (the audio itself: test_max_jitter.py)
    n = s["numbers"]
    assert n["obj-late"] == 0 and n["obj-lost"] == 0 and n["obj-reopens"] >= 0, n
    statuses = [r for r in s["received"] if r["address"] == "/bridge/status"]
    assert statuses and n["obj-busy"] == pytest.approx(round(float(statuses[-1]["args"][2]), 1), abs=1e-6)
    assert "busy" not in s["texts"]["obj-status"]
    # the latency shown is the one sent to Live, in samples and ms, as numbers (no new symbol per update)
    assert n["obj-latency-smp"] > 0 and n["obj-latency-ms"] == pytest.approx(1000 * n["obj-latency-smp"] / 44100, abs=0.06)
    assert s["texts"]["obj-state"] in ("streaming", "opening (dry)", "off (dry)"), s["texts"]["obj-state"]
