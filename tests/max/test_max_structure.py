"""Structure of the Max patch, the Max for Live device and the [js] scripts (no Max needed)."""

from __future__ import annotations

import copy
import re
import struct
import subprocess
import sys

import pytest

import maxlint
from nodeharness import AMXD, M4L, MAXPAT, NODE, SCRIPTS, boxes, build, js_functions, lines, load_patch, need_node


def test_patch_is_valid_json_and_lints_clean():
    doc = maxlint.load(MAXPAT)
    assert maxlint.lint_patcher(doc, M4L) == []


def test_linter_catches_broken_wiring():
    doc = load_patch()
    bad = copy.deepcopy(doc)
    bad["patcher"]["lines"].append({"patchline": {"source": ["obj-udpreceive", 1], "destination": ["obj-nowhere", 0]}})
    bad["patcher"]["boxes"].append(copy.deepcopy(bad["patcher"]["boxes"][0]))
    route = next(e["box"] for e in bad["patcher"]["boxes"] if e["box"]["id"] == "obj-route-replies")
    route["numoutlets"] -= 1
    route["outlettype"].pop()
    problems = "\n".join(maxlint.lint_patcher(bad, M4L))
    assert "has no outlet 1" in problems or "does not exist" in problems
    assert "duplicate box id" in problems
    assert "obj-route-replies" in problems


def test_build_is_reproducible_and_committed():
    proc = subprocess.run([sys.executable, str(M4L / "build.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert build.serialize(build.build_patch()) == build.serialize(build.build_patch())


def test_amxd_header_and_length_fields():
    data = AMXD.read_bytes()
    assert data[:4] == b"ampf"
    assert struct.unpack_from("<I", data, 4)[0] == 4
    assert data[8:12] == b"aaaa"                      # audio effect
    assert data[12:16] == b"meta" and struct.unpack_from("<I", data, 16)[0] == 4
    assert data[24:28] == b"ptch"
    n = struct.unpack_from("<I", data, 28)[0]
    assert n == len(data) - 32
    assert data[-1:] == b"\x00"
    kind, doc = build.read_amxd(data)
    assert kind == b"aaaa"
    assert maxlint.lint_patcher(doc, M4L) == []


def test_amxd_is_the_maxpat_with_live_io():
    kind, device = build.read_amxd(AMXD.read_bytes())
    assert device == build.amxd_from_maxpat(load_patch())
    names = {maxlint.box_name(b) for b in boxes(device).values()}
    assert {"plugin~", "plugout~"} <= names and not names & {"adc~", "ezdac~", "dac~"}
    assert device["patcher"]["devicewidth"] > 0 and "latency" in device["patcher"]
    # apart from the audio I/O boxes the device is the standalone patch, line for line
    assert lines(device) == lines(load_patch())


def test_the_device_lists_its_scripts_in_the_project_block_max_writes():
    """Issue 11: the ``project`` block (what Collect All and Save and Freeze gather), of the device's type."""
    kind, device = build.read_amxd(AMXD.read_bytes())
    pt = device["patcher"]
    project = pt["project"]
    assert project["amxdtype"] == int.from_bytes(kind, "big") == 1633771873      # 'aaaa': audio effect
    scripts = sorted(x["text"].split()[1] for x in boxes(device).values()
                     if x["maxclass"] == "newobj" and x["text"].startswith("js "))
    assert sorted(project["contents"]["code"]) == scripts == sorted(d["name"] for d in pt["dependency_cache"])
    assert scripts == sorted(p.name for p in SCRIPTS)
    assert all(v == {"kind": "javascript", "local": 1} for v in project["contents"]["code"].values())


AUDIO_OK = {"plugin~", "adc~", "plugout~", "ezdac~", "jit.catch~", "gate", "jit.net.send", "jit.net.recv",
            "jit.release~", "jit.matrix", "delay~", "*~", "+~", "!-~", "line~", "groove~", "sig~", "index~",
            "metro", "t", "onebang"}


def test_no_js_or_deferred_object_is_on_the_audio_path():
    """Every object on a path from plugin~ to plugout~ runs in the signal or scheduler domain.

    Walks the lines that carry audio (from a signal or matrix outlet, or through a [gate])
    forward from [plugin~] and backward from [plugout~]; an object on both walks carries the
    track's audio. None of them may be [js], [defer]/[deferlow], a [udpsend]/[udpreceive] or
    anything not in the list of scheduler/signal objects. (Control lines, such as the script
    setting the dry delay, do not carry audio and are not walked.)
    """
    _kind, device = build.read_amxd(AMXD.read_bytes())
    b = boxes(device)
    fwd, back = {}, {}
    for src, o, dst, _i in lines(device):
        kind = b[src].get("outlettype", [""] * (o + 1))[o]
        if kind in ("signal", "jit_matrix") or maxlint.box_name(b[src]) == "gate":
            fwd.setdefault(src, set()).add(dst)
            back.setdefault(dst, set()).add(src)

    def reach(start, edges):
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def by_name(name):
        return next(i for i, x in b.items() if maxlint.box_name(x) == name)

    # Max passes matrices, not signal, from jit.catch~ to jit.net.send; the daemon closes the loop
    # from jit.net.send to jit.net.recv (TCP): join them to walk the whole round trip.
    fwd.setdefault(by_name("jit.net.send"), set()).add(by_name("jit.net.recv"))
    back.setdefault(by_name("jit.net.recv"), set()).add(by_name("jit.net.send"))
    on_path = reach(by_name("plugin~"), fwd) & reach(by_name("plugout~"), back)
    names = {maxlint.box_name(b[i]) for i in on_path}
    assert {"jit.catch~", "jit.net.send", "jit.net.recv", "jit.release~", "delay~"} <= names, names
    assert names <= AUDIO_OK, f"not scheduler/signal objects on the audio path: {sorted(names - AUDIO_OK)}"
    assert not {"js", "defer", "deferlow", "udpsend", "udpreceive"} & names


def test_every_message_into_a_script_has_a_function():
    """prepend boxes and message boxes feeding a [js] name a function the script defines."""
    doc = load_patch()
    b = boxes(doc)
    scripts = {bid: M4L / box["text"].split()[1] for bid, box in b.items()
               if box["maxclass"] == "newobj" and box["text"].startswith("js ")}
    for src, _o, dst, _i in lines(doc):
        if dst not in scripts:
            continue
        box = b[src]
        if box["maxclass"] == "message":
            name = box["text"].split()[0]
        elif box["maxclass"] == "newobj" and box["text"].startswith("prepend "):
            name = box["text"].split()[1]
        else:
            continue
        assert name in js_functions(scripts[dst]), f"{src} sends {name!r} to {scripts[dst].name}, which has no such function"


def test_ui_controls_and_parameters():
    doc = load_patch()
    b = boxes(doc)
    params = [x for x in b.values() if x.get("parameter_enable")]
    longnames = [x["saved_attribute_attributes"]["valueof"]["parameter_longname"] for x in params]
    assert len(longnames) == len(set(longnames))
    assert set(doc["patcher"]["parameters"]) - {"parameterbanks", "inherited_shortname"} == {x["id"] for x in params}
    width = build.DEVICE_WIDTH
    for x in b.values():
        if x.get("presentation"):
            px, py, w, h = x["presentation_rect"]
            assert px >= 0 and py >= 0 and px + w <= width and py + h <= 169, f"{x['id']} outside the device view"
    shown = [(x["id"], x["presentation_rect"]) for x in b.values() if x.get("presentation")]
    for i, (a, ra) in enumerate(shown):
        for c, rc in shown[i + 1:]:
            overlap = ra[0] < rc[0] + rc[2] and rc[0] < ra[0] + ra[2] and ra[1] < rc[1] + rc[3] and rc[1] < ra[1] + ra[3]
            assert not overlap, f"{a} and {c} overlap in the device view"
    # the menus start empty: /bridge/info fills them (nothing hard-coded)
    for mid in ("obj-menu-preset", "obj-menu-target", "obj-menu-morph", "obj-menu-gen"):
        assert b[mid]["items"] == []


def test_dial_ranges_within_the_daemons():
    from bridge.config import PARAMS

    b = boxes(load_patch())
    for name in ("strength", "steps", "mix", "morph", "seed"):
        v = b[f"obj-dial-{name}"]["saved_attribute_attributes"]["valueof"]
        spec = PARAMS[name]
        assert spec.lo <= v["parameter_mmin"] < v["parameter_mmax"] <= spec.hi, name
        if spec.kind == "int":  # Live Int where 0-255 holds the range, else a float shown as Int
            assert v["parameter_type"] == (1 if v["parameter_mmax"] <= 255 else 0), name
            assert v["parameter_type"] == 1 or v.get("parameter_unitstyle") == 0, name
        else:
            assert v["parameter_type"] == 0 and v.get("parameter_unitstyle") != 0, name  # never shown as Int


LIVE_INT_RANGE = (0, 255)  # what Live's Int parameter type stores (Max docs, Parameter Properties)


def test_every_live_parameter_can_store_its_default_and_its_whole_range():
    rows = []
    for x in boxes(load_patch()).values():
        if not x.get("parameter_enable"):
            continue
        v = x["saved_attribute_attributes"]["valueof"]
        kind, lo, hi = v["parameter_type"], v.get("parameter_mmin"), v.get("parameter_mmax")
        initial = v.get("parameter_initial", [None])[0] if v.get("parameter_initial_enable") else None
        rows.append((v["parameter_longname"], kind, lo, hi, initial))
        if kind == 1:
            assert LIVE_INT_RANGE[0] <= lo and hi <= LIVE_INT_RANGE[1], f"{v['parameter_longname']}: {lo}-{hi}"
        if kind == 2:
            assert v.get("parameter_enum"), v["parameter_longname"]
            hi = len(v["parameter_enum"]) - 1
            lo = 0
        if initial is not None and lo is not None:
            assert lo <= initial <= hi, f"{v['parameter_longname']}: default {initial} outside {lo}-{hi}"
    names = {r[0] for r in rows}
    assert {"Reply port", "Daemon port", "Seed", "Strength"} <= names


ES6 = [r"=>", r"\blet\s", r"\bconst\s", r"\bclass\s", r"`", r"\.\.\.", r"\bof\s+\w+\)"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_es5_for_classic_js(script):
    """Max's classic [js] is ES5: the scripts must parse as ECMAScript 5."""
    need_node()
    probe = ("let a; try { a = require('internal/deps/acorn/acorn/dist/acorn'); } catch (e) { process.exit(3); }"
             "a.parse(require('fs').readFileSync(process.argv[1], 'utf8'), {ecmaVersion: 5}); ")
    proc = subprocess.run([NODE, "--expose-internals", "-e", probe, str(script)], capture_output=True, text=True)
    if proc.returncode == 3:   # this node has no bundled acorn: a token check instead
        code = re.sub(r"//[^\n]*|/\*.*?\*/", "", script.read_text(encoding="utf-8"), flags=re.S)
        code = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', '""', code)
        assert not [p for p in ES6 if re.search(p, code)], "ES6 syntax in a classic [js] script"
    else:
        assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_use_only_maxs_js_api(script):
    src = script.read_text(encoding="utf-8")
    for forbidden in ("require(", "process.", "module.exports", "setTimeout", "console."):
        assert forbidden not in src, f"{script.name} uses {forbidden} (not in Max's [js])"
    assert re.search(r"^autowatch = 1;", src, re.M) and re.search(r"^inlets = \d+;", src, re.M)


def test_momentary_buttons_stay_out_of_automation_and_undo():
    """A press of Rec, Generate, Hit or Connect must not add a step to Live's undo history."""
    buttons = [x for x in boxes(load_patch()).values()
               if x.get("maxclass") == "live.text" and x.get("mode") == 0 and x.get("parameter_enable")]
    assert {x["id"] for x in buttons} >= {"obj-clip-rec", "obj-generate", "obj-hit", "obj-connect"}
    for x in buttons:
        assert x["saved_attribute_attributes"]["valueof"].get("parameter_invisible") == 2, x["id"]


def test_the_stream_display_gets_numbers_not_strings_made_of_them():
    """A status string with numbers in it is a new symbol in Max's symbol table at every update (issue 11).

    bridge_stream.js sends its display as numbers; [route] and [unpack] take them to number boxes.
    """
    src = (M4L / "bridge_stream.js").read_text()
    calls = re.findall(r"outlet\(1,([^;]*)\);", src)
    assert len(calls) >= 5
    built = [c for c in calls if re.search(r'"\s*\+|\+\s*"', c)]  # e.g. outlet(1, "counts", "late " + n)
    assert not built, built
    doc = load_patch()
    b, ls = boxes(doc), lines(doc)
    route = next(i for i, x in b.items() if x.get("text", "").startswith("route latency counts daemon"))
    fed = {}
    for src_id, outlet, dst, _ in ls:
        if src_id == route and outlet < 3:
            assert b[dst]["text"].startswith("unpack "), b[dst]
            fed[outlet] = [d for s, _, d, _ in ls if s == dst]
    assert sorted(fed) == [0, 1, 2]
    shown = [b[d]["maxclass"] for targets in fed.values() for d in targets]
    assert len(shown) == 9 and set(shown) <= {"number", "flonum"}, shown


def test_clip_mode_is_timed_by_a_transport_locked_ramp_not_by_messages():
    """Where a take is written and where the clip is read come only from signal objects fed by one
    ``phasor~ ... @lock 1`` (issue 11: no [metro] bar ticks, no re-trigger message to a player).

    Walks back from every [poke~] index and [index~] inlet along all lines: each source is a signal
    object, except the numbers set into their right inlets (len, N bars) and the [sig~] levels.
    """
    doc = load_patch()
    b, ls = boxes(doc), lines(doc)
    names = {i: maxlint.box_name(x) for i, x in b.items()}
    back = {}
    for src, o, dst, i in ls:
        back.setdefault(dst, []).append((src, o, i))
    ends = [(i, 1) for i, n in names.items() if n == "poke~"] + [(i, 0) for i, n in names.items() if n == "index~"]
    assert len(ends) == 4
    seen, ramps = set(), set()
    todo = [src for dst, inlet in ends for src, _o, i in back.get(dst, []) if i == inlet]
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        assert names[cur] in maxlint.SIGNAL_OBJECTS, f"{cur} ({names[cur]}) times the clip"
        if names[cur] == "phasor~":
            ramps.add(cur)
            continue
        # messages may set a level ([sig~]) or a factor (right inlets), not drive the left inlet of a ramp
        todo += [src for src, o, i in back.get(cur, [])
                 if b[src].get("outlettype", [""])[o] == "signal"]
    assert len(ramps) == 1 and "@lock 1" in b[ramps.pop()]["text"]
    assert "sah~" in {names[i] for i in seen}                       # gates sampled on the grid
    assert not [i for i, n in names.items() if n in ("groove~", "record~") and "clip" in b[i].get("text", "") + i
                or n == "record~"]
    metros = [b[i]["text"] for i, n in names.items() if n == "metro"]
    assert metros == [f"metro {build.SNAPSHOT_MS} @active 1"], metros  # the Jitter tick only: no bar clock


def test_the_daemons_load_is_a_number_and_the_status_line_is_not_redrawn_each_second():
    """/bridge/status arrives about once a second: its busy % goes to a number box; the status string
    (a symbol in Max's table per distinct text) is redrawn only when the provider changes."""
    src = (M4L / "bridge_control.js").read_text()
    body = src[src.index("function on_status("):]
    body = body[:body.index("\n}\n")]
    assert re.search(r'outlet\(1, "busy", [^";]*\)', body), body
    assert re.search(r"if \(String\(prov\) !== provider\) \{[^}]*show\(\);", body), body
    show = src[src.index("function show()"):]
    assert "busy" not in show[:show.index("\n}\n")]
    doc = load_patch()
    b, ls = boxes(doc), lines(doc)
    route = b["obj-route-ui"]["text"].split()[1:]
    fed = [dst for src_id, o, dst, _ in ls if src_id == "obj-route-ui" and o == route.index("busy")]
    assert [b[d]["maxclass"] for d in fed] == ["flonum"]
