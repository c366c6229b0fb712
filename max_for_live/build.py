#!/usr/bin/env python3
"""Builds the bridge Max patch and Max for Live device, deterministically.

    python max_for_live/build.py            # writes bridge.maxpat, then bridge.amxd from it
    python max_for_live/build.py --check    # exit 1 if the committed files differ from a fresh build

``bridge.maxpat`` is the source: a standalone Max patch (audio from ``[adc~ 1 2]``,
to ``[ezdac~]``). ``bridge.amxd`` is made from the ``.maxpat`` on disk by
:func:`amxd_from_maxpat`: the same patcher with ``[plugin~]``/``[plugout~]`` for
the audio, device settings (width, latency) added, wrapped in the ``ampf``
container as an audio effect (``aaaa``). No binary is edited by hand.

Only the standard library is used, so the build needs no environment. The patch
is described below as boxes and lines; ``tests/max`` checks it against the
daemon's protocol, a linter and a node emulation of the ``[js]`` scripts.
"""

from __future__ import annotations

import argparse
import copy
import json
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAXPAT = HERE / "bridge.maxpat"
AMXD = HERE / "bridge.amxd"

SNAPSHOT_MS = 5          # how often [jit.catch~] is banged (ms, in the scheduler)
JITTER_PORT = 9002       # bridge serve --jitter-port
DEFAULT_MARGIN_MS = 60   # the play-out margin P before the script sets it
DEFAULT_P = 2646         # P in samples at 44.1 kHz, until the script knows the rate
MAX_DELAY = 480000       # longest dry delay (10 s at 48 kHz): L + P of every shipped preset fits
DAEMON_HOST = "127.0.0.1"
DAEMON_PORT = 9000       # bridge serve --port
REPLY_PORT = 9001        # [udpreceive]'s port in the box; the script picks a free one at load (Reply port 0)
DEVICE_WIDTH = 610.0
APPVERSION = {"major": 8, "minor": 6, "revision": 0, "architecture": "x64", "modernui": 1}

# Every address the daemon sends, the script that handles it and the function name.
# (The daemon's table is bridge.osc.REPLY_ADDRESSES plus /bridge/info/preset/current;
# tests/max/test_protocol.py checks that nothing is missing.)
REPLIES = [
    ("/bridge/audio/out", "stream", "on_audio"),
    ("/bridge/stream/opened", "stream", "on_opened"),
    ("/bridge/stream/closed", "stream", "on_closed"),
    ("/bridge/stream/gap", "stream", "on_gap"),
    ("/bridge/stream/late", "stream", "on_late"),
    ("/bridge/stream/status", "stream", "on_streamstatus"),
    ("/bridge/latency", "stream", "on_latency"),
    ("/bridge/file/progress", "clip", "on_progress"),
    ("/bridge/file/done", "clip", "on_filedone"),
    ("/bridge/generate/done", "clip", "on_gendone"),
    ("/bridge/pair/done", "clip", "on_pairdone"),
    ("/bridge/welcome", "control", "on_welcome"),
    ("/bridge/pong", "control", "on_pong"),
    ("/bridge/info/version", "control", "on_infoversion"),
    ("/bridge/info/provider", "control", "on_infoprovider"),
    ("/bridge/info/model", "control", "on_infomodel"),
    ("/bridge/info/preset", "control", "on_infopreset"),
    ("/bridge/info/preset/current", "control", "on_infopresetcurrent"),
    ("/bridge/info/param", "control", "on_infoparam"),
    ("/bridge/info/files", "clip", "on_infofiles"),
    ("/bridge/info/latency", "control", "on_infolatency"),
    ("/bridge/info/end", "control", "on_infoend"),
    ("/bridge/status", "control", "on_status"),
    ("/bridge/param", "control", "on_param"),
    ("/bridge/preset/loaded", "control", "on_presetloaded"),
    ("/bridge/preset/changed", "control", "on_presetchanged"),
    ("/bridge/listening", "control", "on_listening"),
    ("/bridge/unlistened", "control", "on_unlistened"),
    ("/bridge/model/loaded", "control", "on_modelloaded"),
    ("/bridge/synced", "control", "on_synced"),
    ("/bridge/midi/learning", "control", "on_midilearning"),
    ("/bridge/midi/learned", "control", "on_midilearned"),
    ("/bridge/midi/mapped", "control", "on_midimapped"),
    ("/bridge/midi/unmapped", "control", "on_midiunmapped"),
    ("/bridge/error", "all", "on_error"),
]


class Patch:
    """Boxes and lines of one patcher, in insertion order (so the JSON is stable)."""

    def __init__(self):
        self.boxes: list[dict] = []
        self.lines: list[dict] = []
        self.ids: set[str] = set()

    def _add(self, box: dict) -> str:
        if box["id"] in self.ids:
            raise ValueError(f"duplicate box id {box['id']}")
        self.ids.add(box["id"])
        self.boxes.append({"box": box})
        return box["id"]

    def obj(self, id_, text, ins, outs, types=None, at=(0, 0), w=None, **attrs) -> str:
        box = {"id": id_, "maxclass": "newobj", "numinlets": ins, "numoutlets": outs}
        if outs:
            box["outlettype"] = list(types) if types is not None else [""] * outs
        box["patching_rect"] = [float(at[0]), float(at[1]), float(w or max(40, 7 * len(text) + 14)), 22.0]
        box["text"] = text
        box.update(attrs)
        return self._add(box)

    def msg(self, id_, text, at=(0, 0), w=None, **attrs) -> str:
        box = {"id": id_, "maxclass": "message", "numinlets": 2, "numoutlets": 1, "outlettype": [""],
               "patching_rect": [float(at[0]), float(at[1]), float(w or max(40, 7 * len(text) + 14)), 22.0],
               "text": text}
        box.update(attrs)
        return self._add(box)

    def ui(self, id_, maxclass, ins, outs, types, at, size, **attrs) -> str:
        box = {"id": id_, "maxclass": maxclass, "numinlets": ins, "numoutlets": outs}
        if outs:
            box["outlettype"] = list(types)
        box["patching_rect"] = [float(at[0]), float(at[1]), float(size[0]), float(size[1])]
        box.update(attrs)
        return self._add(box)

    def line(self, src, outlet, dst, inlet) -> None:
        self.lines.append({"patchline": {"source": [src, outlet], "destination": [dst, inlet]}})


def present(x, y, w, h) -> dict:
    return {"presentation": 1, "presentation_rect": [float(x), float(y), float(w), float(h)]}


def live_param(longname, shortname, ptype, lo=None, hi=None, initial=None, enum=None, unitstyle=None,
               hidden=False) -> dict:
    """``saved_attribute_attributes`` of a live.* object: its Live parameter.

    ``hidden``: parameter_invisible 2 (Hidden), for momentary buttons: no automation lane and
    no entry in Live's undo history each time one is pressed.
    """
    v = {"parameter_longname": longname, "parameter_shortname": shortname, "parameter_type": ptype}
    if hidden:
        v["parameter_invisible"] = 2
    if lo is not None:
        v["parameter_mmin"] = float(lo)
    if hi is not None:
        v["parameter_mmax"] = float(hi)
    if enum is not None:
        v["parameter_enum"] = list(enum)
    if initial is not None:
        v["parameter_initial"] = [initial]
        v["parameter_initial_enable"] = 1
    else:
        v["parameter_initial_enable"] = 0
    if unitstyle is not None:
        v["parameter_unitstyle"] = unitstyle
    return {"saved_attribute_attributes": {"valueof": v}, "parameter_enable": 1, "varname": longname}


def build_patch() -> dict:
    p = Patch()

    # ---- network: one [udpsend] shared by the three scripts (one socket: the daemon
    # keys streams and the /bridge/hello registration by the sender's address).
    p.obj("obj-udpsend", f"udpsend {DAEMON_HOST} {DAEMON_PORT}", 1, 0, at=(40, 620))
    p.obj("obj-udpreceive", f"udpreceive {REPLY_PORT} @defer 1", 1, 1, at=(40, 40))
    addresses = [a for a, _, _ in REPLIES]
    n = len(addresses)
    p.obj("obj-route-replies", "route " + " ".join(addresses), n + 1, n + 1, at=(40, 80), w=1600)
    p.line("obj-udpreceive", 0, "obj-route-replies", 0)
    p.obj("obj-unrouted", "print bridge-unrouted", 1, 0, at=(40 + 46 * n, 120))
    p.line("obj-route-replies", n, "obj-unrouted", 0)

    # ---- the scripts
    p.obj("obj-js-stream", "js bridge_stream.js", 2, 4, at=(40, 460), w=320)
    p.obj("obj-js-control", "js bridge_control.js", 2, 3, at=(480, 460), w=160)
    p.obj("obj-js-clip", "js bridge_clip.js", 2, 3, at=(900, 460), w=160)
    scripts = {"stream": "obj-js-stream", "control": "obj-js-control", "clip": "obj-js-clip"}
    for i, (address, who, fn) in enumerate(REPLIES):
        pid = "obj-pre-" + fn.replace("_", "-")
        p.obj(pid, f"prepend {fn}", 1, 1, at=(40 + 46 * i, 150 + 26 * (i % 6)))
        p.line("obj-route-replies", i, pid, 0)
        for target in (scripts.values() if who == "all" else [scripts[who]]):
            p.line(pid, 0, target, 1)
    for js in scripts.values():
        p.line(js, 0, "obj-udpsend", 0)
    p.line("obj-js-control", 2, "obj-udpreceive", 0)

    # ---- start-up: live.thisdevice bangs when the device is ready (like loadbang in Max)
    p.obj("obj-thisdevice", "live.thisdevice", 1, 3, ["bang", "int", "int"], at=(480, 330))
    p.obj("obj-init", "t b b b b", 1, 4, ["bang"] * 4, at=(480, 360))
    p.line("obj-thisdevice", 0, "obj-init", 0)
    p.msg("obj-ready-control", "ready", at=(480, 400))
    p.msg("obj-ready-stream", "ready", at=(530, 400))
    p.msg("obj-ready-clip", "ready", at=(580, 400))
    # [t] fires right to left: the control script says hello before the stream opens.
    p.line("obj-init", 3, "obj-ready-control", 0)
    p.line("obj-init", 2, "obj-ready-stream", 0)
    p.line("obj-init", 1, "obj-ready-clip", 0)
    p.line("obj-ready-control", 0, "obj-js-control", 0)
    p.line("obj-ready-stream", 0, "obj-js-stream", 0)
    p.line("obj-ready-clip", 0, "obj-js-clip", 0)
    p.obj("obj-dspstate", "dspstate~", 1, 4, ["int", "float", "int", "int"], at=(640, 400))
    p.line("obj-init", 0, "obj-dspstate", 0)
    p.obj("obj-pre-dsp", "prepend dsp", 1, 1, at=(640, 430))
    p.obj("obj-pre-samplerate", "prepend samplerate", 1, 1, at=(730, 430))
    p.line("obj-dspstate", 0, "obj-pre-dsp", 0)
    p.line("obj-dspstate", 1, "obj-pre-samplerate", 0)
    p.line("obj-pre-dsp", 0, "obj-js-stream", 0)
    p.line("obj-pre-samplerate", 0, "obj-js-stream", 0)
    p.line("obj-pre-samplerate", 0, "obj-js-clip", 0)

    # ---- signal: the track's audio to the daemon and back as Jitter matrices, never through [js].
    # [metro] ticks in the scheduler (in Live: between signal vectors). Each tick, right to left:
    # [jit.catch~] outputs what it caught since the last tick (through [gate] to [jit.net.send]
    # once the stream runs), then [onebang], armed by the script when the daemon said "opened",
    # lets one start through: the gate opens and [jit.release~] gets P samples of silence, so it
    # starts playing on this tick's vector boundary, the one the next matrix starts on. Output
    # sample k is then input sample k delayed by exactly L (daemon) + P (margin).
    p.obj("obj-in", "adc~ 1 2", 1, 2, ["signal", "signal"], at=(40, 700))
    p.obj("obj-jit-metro", f"metro {SNAPSHOT_MS} @active 1", 2, 1, ["bang"], at=(200, 640))
    p.obj("obj-jit-tick", "t b b", 1, 2, ["bang", "bang"], at=(200, 670))
    p.line("obj-jit-metro", 0, "obj-jit-tick", 0)
    p.obj("obj-catch", "jit.catch~ 2 @mode 0", 2, 2, ["jit_matrix", ""], at=(40, 740), w=140)
    p.line("obj-in", 0, "obj-catch", 0)
    p.line("obj-in", 1, "obj-catch", 1)
    p.line("obj-jit-tick", 1, "obj-catch", 0)
    p.obj("obj-jit-gate", "gate 1 0", 2, 1, [""], at=(40, 780))
    p.line("obj-catch", 0, "obj-jit-gate", 1)
    p.obj("obj-netsend", f"jit.net.send @ip {DAEMON_HOST} @port {JITTER_PORT}", 2, 1, [""], at=(40, 810), w=220)
    p.line("obj-jit-gate", 0, "obj-netsend", 0)
    p.obj("obj-start", "onebang", 2, 2, ["bang", "bang"], at=(200, 700))
    p.line("obj-jit-tick", 0, "obj-start", 0)
    p.obj("obj-start-t", "t b b 1", 1, 3, ["bang", "bang", "int"], at=(200, 730))
    p.line("obj-start", 0, "obj-start-t", 0)
    p.line("obj-start-t", 2, "obj-jit-gate", 0)
    p.obj("obj-prime", f"jit.matrix 2 float32 {DEFAULT_P}", 1, 2, ["jit_matrix", ""], at=(300, 760), w=160)
    p.line("obj-start-t", 1, "obj-prime", 0)
    p.msg("obj-started", "started", at=(200, 790))
    p.line("obj-start-t", 0, "obj-started", 0)
    p.line("obj-started", 0, "obj-js-stream", 0)
    p.obj("obj-netrecv", "jit.net.recv @port 0", 1, 3, ["jit_matrix", "", ""], at=(480, 700), w=140)
    p.obj("obj-release", f"jit.release~ 2 @mode 0 @latency {DEFAULT_MARGIN_MS}", 1, 3, ["signal", "signal", ""],
          at=(480, 760), w=200)
    p.line("obj-netrecv", 0, "obj-release", 0)
    p.line("obj-prime", 0, "obj-release", 0)
    p.obj("obj-pre-jit", "prepend jit", 1, 1, at=(640, 730))
    p.line("obj-netrecv", 1, "obj-pre-jit", 0)
    p.line("obj-pre-jit", 0, "obj-js-stream", 0)
    p.obj("obj-pre-recv", "prepend recvdump", 1, 1, at=(760, 730))
    p.line("obj-netrecv", 2, "obj-pre-recv", 0)
    p.line("obj-pre-recv", 0, "obj-js-stream", 0)
    p.obj("obj-pre-send", "prepend senddump", 1, 1, at=(880, 730))
    p.line("obj-netsend", 0, "obj-pre-send", 0)
    p.line("obj-pre-send", 0, "obj-js-stream", 0)
    # The script's control messages (never audio) to the objects above, by name.
    jit_routes = ["net", "netattr", "recvattr", "arm", "primedim", "releaseattr", "gate", "gain", "drydelay"]
    k = len(jit_routes)
    p.obj("obj-route-jit", "route " + " ".join(jit_routes), k + 1, k + 1, at=(40, 600), w=520)
    p.line("obj-js-stream", 3, "obj-route-jit", 0)
    p.line("obj-route-jit", 0, "obj-netsend", 1)        # net ...: a message to the daemon (JMMP)
    p.line("obj-route-jit", 1, "obj-netsend", 0)        # netattr port N: where the daemon listens
    p.line("obj-route-jit", 2, "obj-netrecv", 0)        # recvattr port N: where the daemon sends back
    p.line("obj-route-jit", 3, "obj-start", 1)          # arm: the next tick starts the stream
    p.obj("obj-pre-dim", "prepend dim", 1, 1, at=(300, 630))
    p.line("obj-route-jit", 4, "obj-pre-dim", 0)        # primedim P: P samples of silence
    p.line("obj-pre-dim", 0, "obj-prime", 0)
    p.line("obj-route-jit", 5, "obj-release", 0)        # releaseattr latency ms
    p.line("obj-route-jit", 6, "obj-jit-gate", 0)       # gate 0: stop sending
    p.obj("obj-gain", "line~", 2, 2, ["signal", "bang"], at=(640, 640))
    p.line("obj-route-jit", 7, "obj-gain", 0)           # gain 1 20 / gain 0 20: wet in or out
    p.obj("obj-print-jit", "print bridge-jit", 1, 0, at=(580, 630))
    p.line("obj-route-jit", k, "obj-print-jit", 0)
    # Dry pass-through, delayed by the same L + P: Live's compensation never jumps when the
    # stream stops or the daemon goes away; out = wet * g + dry * (1 - g).
    p.obj("obj-dry-g", "!-~ 1", 2, 1, ["signal"], at=(760, 670))
    p.line("obj-gain", 0, "obj-dry-g", 0)
    for c in (1, 2):
        dly, wet, dry, mix = f"obj-dry-delay-{c}", f"obj-wet-{c}", f"obj-dry-{c}", f"obj-mix-{c}"
        p.obj(dly, f"delay~ {MAX_DELAY} {DEFAULT_P}", 2, 1, ["signal"], at=(40 + 130 * (c - 1), 870), w=120)
        p.line("obj-in", c - 1, dly, 0)
        p.line("obj-route-jit", 8, dly, 1)              # drydelay L + P (samples)
        p.obj(wet, "*~", 2, 1, ["signal"], at=(480 + 80 * (c - 1), 800))
        p.line("obj-release", c - 1, wet, 0)
        p.line("obj-gain", 0, wet, 1)
        p.obj(dry, "*~", 2, 1, ["signal"], at=(40 + 130 * (c - 1), 900))
        p.line(dly, 0, dry, 0)
        p.line("obj-dry-g", 0, dry, 1)
        p.obj(mix, "+~", 2, 1, ["signal"], at=(300 + 130 * (c - 1), 830))
        p.line(wet, 0, mix, 0)
        p.line(dry, 0, mix, 1)

    # ---- clip mode, in the signal domain (no [metro], no message on the audio clock's path).
    # p: a ramp over the clip's N bars, locked to the transport (phasor~ @lock 1; its period in
    # ticks is N bars of the time signature read when Rec was pressed). Bar lines are where
    # frac(p * N) wraps, or where the transport starts moving. The first bar line while "arm" is
    # 1 anchors the take: q = p there, and r = frac(p - q + 1) runs from 0 to 1 over the N bars
    # from that line. The record gate samples "arm" each time r wraps (or a take starts), so it
    # opens on that bar line and closes exactly N bars later; [poke~] writes the input at sample
    # r * len while the gate is open (index -1 otherwise: nothing written). Playback reads the
    # processed clip at the same r (index~), gated by "play" sampled where r wraps: it starts on
    # the take's grid and loops without a re-trigger. [edge~] tells the script when the gate
    # opened and closed; a stalled script changes nothing the audio hears.
    p.obj("obj-buf-rec", "buffer~ ---bridge_rec 1 2", 1, 2, ["float", "bang"], at=(560, 1300))
    p.obj("obj-buf-clip", "buffer~ ---bridge_clip 1 2", 1, 2, ["float", "bang"], at=(760, 1300))
    p.obj("obj-buf-shot", "buffer~ ---bridge_shot 1 1", 1, 2, ["float", "bang"], at=(960, 960))
    sig = ["signal"]

    def op(id_, text, at, *sources):
        """A one-outlet signal object, fed by ``sources`` (box ids) into its inlets 0, 1 in turn."""
        p.obj(id_, text, 1 if text.split()[0] in ("delta~", "sig~") else 2, 1, sig, at=at)
        for inlet, src in enumerate(sources):
            p.line(src, 0, id_, inlet)

    op("obj-clip-phasor", "phasor~ 7680 ticks @lock 1", (560, 1000))
    p.msg("obj-clip-freq", "frequency $1 ticks", at=(560, 970))
    p.line("obj-clip-freq", 0, "obj-clip-phasor", 0)
    op("obj-clip-nbars", "*~ 4", (560, 1030), "obj-clip-phasor")
    # + 1e-9 (of a bar): a bar line that falls on a sample is seen on that sample, whatever the
    # last bit of the product (likewise r below: + 1e-9 of the clip, which also keeps r * len
    # from truncating sample k to k - 1)
    op("obj-clip-bareps", "+~ 0.000000001", (480, 1045), "obj-clip-nbars")
    op("obj-clip-barfrac", "%~ 1.", (560, 1060), "obj-clip-bareps")
    op("obj-clip-bardelta", "delta~", (560, 1090), "obj-clip-barfrac")
    op("obj-clip-barwrap", "<~ 0.", (560, 1120), "obj-clip-bardelta")
    op("obj-clip-pdelta", "delta~", (640, 1030), "obj-clip-phasor")
    op("obj-clip-moving", "!=~ 0.", (640, 1060), "obj-clip-pdelta")
    op("obj-clip-movedelta", "delta~", (640, 1090), "obj-clip-moving")
    op("obj-clip-started", ">~ 0.", (640, 1120), "obj-clip-movedelta")
    op("obj-clip-barline", "maximum~", (560, 1150), "obj-clip-barwrap", "obj-clip-started")
    op("obj-clip-arm", "sig~ 0", (720, 1120))
    op("obj-clip-start", "*~", (560, 1180), "obj-clip-barline", "obj-clip-arm")
    op("obj-clip-anchor", "sah~ 0.5", (640, 1210), "obj-clip-phasor", "obj-clip-start")
    op("obj-clip-rel", "-~", (640, 1240), "obj-clip-phasor", "obj-clip-anchor")
    op("obj-clip-rel1", "+~ 1.000000001", (640, 1270), "obj-clip-rel")
    op("obj-clip-r", "%~ 1.", (640, 1300), "obj-clip-rel1")
    op("obj-clip-rdelta", "delta~", (720, 1300), "obj-clip-r")
    op("obj-clip-rwrap", "<~ 0.", (720, 1330), "obj-clip-rdelta")
    op("obj-clip-trig", "maximum~", (720, 1360), "obj-clip-start", "obj-clip-rwrap")
    op("obj-clip-gate", "sah~ 0.5", (720, 1390), "obj-clip-arm", "obj-clip-trig")
    # the record index: r * len while the gate is open, else -1
    op("obj-clip-recidx", "*~ 0.", (560, 1420), "obj-clip-r")
    op("obj-clip-recgated", "*~", (560, 1480), "obj-clip-recidx", "obj-clip-gate")
    op("obj-clip-gate1", "-~ 1.", (640, 1480), "obj-clip-gate")
    op("obj-clip-recindex", "+~", (560, 1510), "obj-clip-recgated", "obj-clip-gate1")
    for c in (1, 2):
        poke = f"obj-clip-poke-{c}"
        p.obj(poke, f"poke~ ---bridge_rec {c}", 3, 0, at=(560 + 90 * (c - 1), 1540))
        p.line("obj-in", c - 1, poke, 0)
        p.line("obj-clip-recindex", 0, poke, 1)
    p.obj("obj-clip-recedge", "edge~", 1, 2, ["bang", "bang"], at=(800, 1420))
    p.line("obj-clip-gate", 0, "obj-clip-recedge", 0)
    # playback
    op("obj-clip-playsig", "sig~ 0", (880, 1330))
    op("obj-clip-playgate", "sah~ 0.5", (880, 1390), "obj-clip-playsig", "obj-clip-trig")
    op("obj-clip-playidx", "*~ 0.", (760, 1420), "obj-clip-r")
    for c in (1, 2):
        idx, gated = f"obj-clip-index-{c}", f"obj-clip-out-{c}"
        op(idx, f"index~ ---bridge_clip {c}", (760 + 90 * (c - 1), 1480), "obj-clip-playidx")
        op(gated, "*~", (760 + 90 * (c - 1), 1510), idx, "obj-clip-playgate")
    p.obj("obj-clip-playedge", "edge~", 1, 2, ["bang", "bang"], at=(960, 1420))
    p.line("obj-clip-playgate", 0, "obj-clip-playedge", 0)
    for i, (edge, outlet, word) in enumerate((("obj-clip-recedge", 0, "recstarted"), ("obj-clip-recedge", 1, "recended"),
                                               ("obj-clip-playedge", 0, "playstarted"),
                                               ("obj-clip-playedge", 1, "playstopped"))):
        mid = "obj-msg-" + word
        p.msg(mid, word, at=(800 + 80 * i, 1460))
        p.line(edge, outlet, mid, 0)
        p.line(mid, 0, "obj-js-clip", 0)
    # one-shot playback
    p.obj("obj-shot-speed", "sig~ 0", 1, 1, sig, at=(960, 730))
    p.obj("obj-groove-shot", "groove~ ---bridge_shot 1 @loop 0", 3, 2, ["signal", "signal"], at=(960, 760))
    p.line("obj-shot-speed", 0, "obj-groove-shot", 0)
    # the clip script's audio-side messages
    audio_routes = [("recbuf", "obj-buf-rec", 0), ("clipbuf", "obj-buf-clip", 0), ("shotbuf", "obj-buf-shot", 0),
                    ("shotpos", "obj-groove-shot", 0), ("shotspeed", "obj-shot-speed", 0),
                    ("cliparm", "obj-clip-arm", 0), ("clipgo", "obj-clip-playsig", 0),
                    ("clipticks", "obj-clip-freq", 0), ("clipbars", "obj-clip-nbars", 1),
                    ("cliplen", "obj-clip-recidx", 1), ("clipplaylen", "obj-clip-playidx", 1)]
    m = len(audio_routes)
    p.obj("obj-route-audio", "route " + " ".join(r[0] for r in audio_routes), m + 1, m + 1, at=(900, 520), w=520)
    p.line("obj-js-clip", 2, "obj-route-audio", 0)
    for i, (_word, dst, inlet) in enumerate(audio_routes):
        p.line("obj-route-audio", i, dst, inlet)
    p.obj("obj-print-audio", "print bridge-audio", 1, 0, at=(1330, 550))
    p.line("obj-route-audio", m, "obj-print-audio", 0)
    p.msg("obj-loaded-clip", "loaded clip", at=(760, 1340))
    p.msg("obj-loaded-shot", "loaded shot", at=(960, 1000))
    p.line("obj-buf-clip", 1, "obj-loaded-clip", 0)
    p.line("obj-buf-shot", 1, "obj-loaded-shot", 0)
    p.line("obj-loaded-clip", 0, "obj-js-clip", 0)
    p.line("obj-loaded-shot", 0, "obj-js-clip", 0)

    # ---- mix: streamed output + clip + one-shot
    for c in (1, 2):
        a, b = f"obj-sum-{c}a", f"obj-sum-{c}b"
        p.obj(a, "+~", 2, 1, ["signal"], at=(300 + 130 * (c - 1), 820))
        p.obj(b, "+~", 2, 1, ["signal"], at=(300 + 130 * (c - 1), 850))
        p.line(f"obj-mix-{c}", 0, a, 0)
        p.line(f"obj-clip-out-{c}", 0, a, 1)
        p.line(a, 0, b, 0)
        p.line("obj-groove-shot", 0, b, 1)
    p.ui("obj-out", "ezdac~", 2, 0, [], at=(300, 890), size=(45, 45), **present(566, 90, 40, 20))
    p.line("obj-sum-1b", 0, "obj-out", 0)
    p.line("obj-sum-2b", 0, "obj-out", 1)

    # ---- tempo and time signature, read when Rec is pressed (the Rec button bangs [transport]
    # before the script hears "cliprec"): Live's transport in a device, Max's global one in Max
    p.obj("obj-transport", "transport", 2, 9, ["int", "int", "float", "float", "float", "", "int", "float", ""],
          at=(1180, 390), w=140)
    p.obj("obj-pre-bpm", "prepend bpm", 1, 1, at=(1180, 425))
    p.obj("obj-pre-timesig", "prepend timesig", 1, 1, at=(1270, 425))
    p.line("obj-transport", 4, "obj-pre-bpm", 0)
    p.line("obj-transport", 5, "obj-pre-timesig", 0)
    p.line("obj-pre-bpm", 0, "obj-js-clip", 0)
    p.line("obj-pre-timesig", 0, "obj-js-clip", 0)

    # ---- latency for Live's delay compensation (the script only sends it inside Live)
    p.obj("obj-latency-defer", "deferlow", 1, 1, at=(40, 520))
    p.obj("obj-thispatcher", "thispatcher", 1, 2, ["", ""], at=(40, 550), save=["#N", "thispatcher", ";", "#Q", "end", ";"])
    p.line("obj-js-stream", 2, "obj-latency-defer", 0)
    p.line("obj-latency-defer", 0, "obj-thispatcher", 0)

    # ---- user interface (presentation mode = the device view)
    def label(id_, text, x, y, w=60):
        p.ui(id_, "comment", 1, 0, [], at=(1500, 40 + 24 * len(p.boxes) % 600), size=(w, 20), text=text,
             **present(x, y, w, 16))

    def display(id_, x, y, w, routed_from, outlet):
        setter = "obj-set-" + id_[4:]
        p.obj(setter, "prepend set", 1, 1, at=(1450, 40 + 30 * len(p.boxes) % 900))
        p.msg(id_, "", at=(1450, 60 + 30 * len(p.boxes) % 900), w=w, ignoreclick=1, **present(x, y, w, 18))
        p.line(routed_from, outlet, setter, 0)
        p.line(setter, 0, id_, 0)

    ui_x = 1700

    def ui_at(i):
        return (ui_x + 160 * (i % 4), 40 + 90 * (i // 4))

    # control display and menus
    ui_routes = ["status", "presetmenu", "targetmenu", "morphmenu", "genmenu", "dial", "busy"]
    p.obj("obj-route-ui", "route " + " ".join(ui_routes), len(ui_routes) + 1, len(ui_routes) + 1, at=(480, 520),
          w=360)
    p.line("obj-js-control", 1, "obj-route-ui", 0)
    p.obj("obj-print-ui", "print bridge-ui", 1, 0, at=(860, 550))
    p.line("obj-route-ui", len(ui_routes), "obj-print-ui", 0)
    display("obj-status", 2, 2, 606, "obj-route-ui", 0)
    p.ui("obj-busy", "flonum", 1, 2, ["", "bang"], at=(480, 620), size=(36, 22), ignoreclick=1, parameter_enable=0,
         format=6, numdecimalplaces=1, **present(268, 131, 36, 17))
    p.line("obj-route-ui", 6, "obj-busy", 0)
    label("obj-label-busy", "busy %", 230, 132, 38)

    menus = [("obj-menu-preset", "preset", "prepend preset", 1), ("obj-menu-target", "target", "prepend target", 2),
             ("obj-menu-morph", "morph with", "prepend morphwith", 3)]
    for i, (mid, text, prep, route_out) in enumerate(menus):
        y = 22 + 22 * i
        label(mid + "-label", text, 110, y, 56)
        p.ui(mid, "umenu", 1, 3, ["int", "", ""], at=ui_at(i), size=(150, 22), items=[], parameter_enable=0,
             **present(166, y, 130, 20))
        p.line("obj-route-ui", route_out, mid, 0)
        pid = "obj-" + prep.replace(" ", "-")
        p.obj(pid, prep, 1, 1, at=(ui_at(i)[0], ui_at(i)[1] + 30))
        p.line(mid, 1, pid, 0)
        p.line(pid, 0, "obj-js-control", 0)
    p.line("obj-prepend-preset", 0, "obj-js-clip", 0)   # the clip is processed with the chosen preset

    # dials for the daemon's parameters (values come from /bridge/info, so no initial value)
    # parameter_type: 0 float, 1 int, 2 enum. Live's Int type stores 0-255 only, so wider integer
    # ranges (the seed, the ports) are floats shown as Int (unitstyle 0); strength shows as Float (1).
    dials = [("strength", "Strength", "live.dial", 0, 0.01, 1.0, 1, (300, 20)),
             ("steps", "Steps", "live.dial", 1, 1, 50, 0, (346, 20)),
             ("mix", "Dry/Wet", "live.dial", 0, 0.0, 1.0, 5, (392, 20)),
             ("morph", "Morph", "live.dial", 0, 0.0, 1.0, 5, (300, 66)),
             ("seed", "Seed", "live.numbox", 0, 0, 65535, 0, (346, 90))]
    p.obj("obj-route-dials", "route " + " ".join(d[0] for d in dials), len(dials) + 1, len(dials) + 1,
          at=(480, 560), w=260)
    p.line("obj-route-ui", 5, "obj-route-dials", 0)
    for i, (name, longname, cls, ptype, lo, hi, unit, (x, y)) in enumerate(dials):
        did = f"obj-dial-{name}"
        size = (44, 46) if cls == "live.dial" else (50, 15)
        p.ui(did, cls, 1, 2, ["", "float"], at=ui_at(4 + i), size=size,
             **live_param(longname, longname, ptype, lo, hi, unitstyle=unit),
             **present(x, y, size[0], size[1] if cls == "live.dial" else 15))
        setter = f"obj-set-dial-{name}"
        p.obj(setter, "prepend set", 1, 1, at=(ui_at(4 + i)[0], ui_at(4 + i)[1] - 25))
        p.line("obj-route-dials", i, setter, 0)
        p.line(setter, 0, did, 0)
        pre = f"obj-param-{name}"
        p.obj(pre, f"prepend param {name}", 1, 1, at=(ui_at(4 + i)[0], ui_at(4 + i)[1] + 55))
        p.line(did, 0, pre, 0)
        p.line(pre, 0, "obj-js-control", 0)
    p.obj("obj-setseed", "prepend setseed", 1, 1, at=(ui_at(8)[0] + 80, ui_at(8)[1] + 55))
    p.line("obj-dial-seed", 0, "obj-setseed", 0)
    p.line("obj-setseed", 0, "obj-js-clip", 0)
    label("obj-seed-label", "seed", 346, 72, 44)
    p.obj("obj-print-dials", "print bridge-dials", 1, 0, at=(760, 590))
    p.line("obj-route-dials", len(dials), "obj-print-dials", 0)

    # stream controls (device settings: stored with the set, sent at load)
    controls = [
        ("obj-stream-on", "live.text", "Stream", "prepend stream", "obj-js-stream", (2, 22, 60, 18),
         live_param("Stream", "Stream", 2, 0, 1, initial=0, enum=["off", "on"]), {"mode": 1, "text": "Stream",
                                                                                 "texton": "Streaming"}),
        ("obj-margin", "live.numbox", "Margin", "prepend playdelay", "obj-js-stream", (2, 44, 40, 15),
         live_param("Margin", "Margin", 0, 5, 2000, initial=60.0, unitstyle=2), {}),
        ("obj-reply-port", "live.numbox", "Reply port", "prepend replyport", "obj-js-control", (2, 62, 40, 15),
         live_param("Reply port", "Reply", 0, 0, 65535, initial=0, unitstyle=0), {}),
        ("obj-daemon-port", "live.numbox", "Daemon port", "prepend daemonport", "obj-js-control", (2, 80, 40, 15),
         live_param("Daemon port", "Daemon", 0, 1024, 65535, initial=DAEMON_PORT, unitstyle=0), {}),
        ("obj-bars", "live.numbox", "Bars", "prepend setbars", "obj-js-clip", (444, 24, 30, 15),
         live_param("Bars", "Bars", 1, 1, 16, initial=4), {}),
        ("obj-clip-rec", "live.text", "Rec", "prepend cliprec", "obj-js-clip", (514, 22, 44, 18),
         live_param("Rec", "Rec", 2, 0, 1, enum=["off", "on"], hidden=True), {"mode": 0, "text": "Rec"}),
        ("obj-clip-play", "live.text", "Clip play", "prepend clipplay", "obj-js-clip", (560, 22, 46, 18),
         live_param("Clip play", "Play", 2, 0, 1, initial=1, enum=["off", "on"]), {"mode": 1, "text": "Play",
                                                                                    "texton": "Play"}),
        ("obj-generate", "live.text", "Generate", "prepend generate", "obj-js-clip", (546, 46, 60, 18),
         live_param("Generate", "Generate", 2, 0, 1, enum=["off", "on"], hidden=True), {"mode": 0, "text": "Generate"}),
        ("obj-hit", "live.text", "Hit", "prepend shotplay", "obj-js-clip", (444, 68, 40, 18),
         live_param("Hit", "Hit", 2, 0, 1, enum=["off", "on"], hidden=True), {"mode": 0, "text": "Hit"}),
    ]
    for i, (cid, cls, _name, prep, target, rect, param, extra) in enumerate(controls):
        size = (rect[2], rect[3])
        p.ui(cid, cls, 1, 2, ["", "float"] if cls == "live.numbox" else ["", ""], at=ui_at(12 + i), size=size,
             **param, **extra, **present(*rect))
        pid = "obj-" + prep.replace(" ", "-") + "-" + cid[4:]
        p.obj(pid, prep, 1, 1, at=(ui_at(12 + i)[0], ui_at(12 + i)[1] + 40))
        if cid == "obj-clip-rec":   # right to left: the transport's tempo and signature, then "cliprec"
            p.obj("obj-rec-t", "t i b", 1, 2, ["int", "bang"], at=(ui_at(12 + i)[0], ui_at(12 + i)[1] + 20))
            p.line(cid, 0, "obj-rec-t", 0)
            p.line("obj-rec-t", 1, "obj-transport", 0)
            p.line("obj-rec-t", 0, pid, 0)
        else:
            p.line(cid, 0, pid, 0)
        p.line(pid, 0, target, 0)
        if cid == "obj-daemon-port":
            p.line(pid, 0, "obj-js-stream", 0)   # the Jitter port is the daemon's port + 2
    for text, x, y in (("margin ms", 44, 44), ("reply port (0 auto)", 44, 62), ("daemon port", 44, 79)):
        label("obj-label-" + text.replace(" ", "-"), text, x, y, 62)
    label("obj-bars-label", "bars", 476, 24, 36)

    p.ui("obj-connect", "live.text", 1, 2, ["", ""], at=ui_at(24), size=(60, 18),
         **live_param("Connect", "Connect", 2, 0, 1, enum=["off", "on"], hidden=True), mode=0, text="Connect",
         **present(2, 97, 60, 14))
    p.msg("obj-connect-msg", "connect", at=(ui_at(24)[0], ui_at(24)[1] + 40))
    p.line("obj-connect", 0, "obj-connect-msg", 0)
    p.line("obj-connect-msg", 0, "obj-js-control", 0)

    p.ui("obj-menu-gen", "umenu", 1, 3, ["int", "", ""], at=ui_at(25), size=(96, 22), items=[], parameter_enable=0,
         **present(444, 46, 100, 20))
    p.line("obj-route-ui", 4, "obj-menu-gen", 0)
    p.obj("obj-prepend-genmodel", "prepend genmodel", 1, 1, at=(ui_at(25)[0], ui_at(25)[1] + 30))
    p.line("obj-menu-gen", 1, "obj-prepend-genmodel", 0)
    p.line("obj-prepend-genmodel", 0, "obj-js-clip", 0)

    p.ui("obj-folder", "textedit", 1, 4, ["", "int", "", ""], at=ui_at(26), size=(160, 20),
         text="~/Music/bridge", parameter_enable=0, **present(486, 68, 120, 18))
    p.obj("obj-prepend-workfolder", "prepend workfolder", 1, 1, at=(ui_at(26)[0], ui_at(26)[1] + 30))
    p.line("obj-folder", 0, "obj-prepend-workfolder", 0)
    p.line("obj-prepend-workfolder", 0, "obj-js-clip", 0)

    # stream display: numbers into number boxes (a string with numbers in it is a new symbol in
    # Max's symbol table at every update); the state and an error code are symbols of a fixed set
    stream_ui = ["latency", "counts", "daemon", "state", "daemonerror"]
    p.obj("obj-route-stream-ui", "route " + " ".join(stream_ui), 6, 6, at=(40, 590), w=300)
    p.line("obj-js-stream", 1, "obj-route-stream-ui", 0)
    display("obj-state", 2, 112, 84, "obj-route-stream-ui", 3)
    display("obj-daemon-error", 232, 150, 70, "obj-route-stream-ui", 4)
    rows = (  # route outlet, unpack types, (box id, maxclass, x, w, label, label x, label w) per field, y
        (0, "f i f", [("obj-latency-ms", "flonum", 88, 44, "ms", 133, 18), ("obj-latency-smp", "number", 152, 50,
                       "smp", 203, 24), ("obj-latency-daemon", "flonum", 228, 40, "dmn", 269, 30)], 112),
        (1, "i i i", [("obj-late", "number", 28, 40, "late", 2, 26), ("obj-lost", "number", 96, 40, "lost", 70, 26),
                      ("obj-reopens", "number", 184, 40, "reopens", 138, 46)], 131),
        (2, "i f f", [("obj-steps", "number", 34, 30, "steps", 2, 32), ("obj-p50", "flonum", 104, 40, "p50 ms", 66, 38),
                      ("obj-p99", "flonum", 186, 40, "p99 ms", 146, 40)], 150),
    )
    for outlet, types, fields, y in rows:
        unpack = f"obj-unpack-{stream_ui[outlet]}"
        p.obj(unpack, "unpack " + types, 1, 3, at=(40 + 120 * outlet, 630))
        p.line("obj-route-stream-ui", outlet, unpack, 0)
        for k, (id_, cls, x, w, text, lx, lw) in enumerate(fields):
            p.ui(id_, cls, 1, 2, ["", "bang"], at=(40 + 120 * outlet, 660 + 30 * k), size=(w, 22), ignoreclick=1,
                 parameter_enable=0, **({"format": 6, "numdecimalplaces": 1} if cls == "flonum" else {}),
                 **present(x, y, w, 17))
            p.line(unpack, k, id_, 0)
            label("obj-label-" + id_[4:], text, lx, y + 1, lw)
    p.obj("obj-print-stream-ui", "print bridge-stream", 1, 0, at=(250, 620))
    p.line("obj-route-stream-ui", 5, "obj-print-stream-ui", 0)

    p.obj("obj-route-clip-ui", "route clipstatus shotstatus folder", 4, 4, at=(900, 590), w=240)
    p.line("obj-js-clip", 1, "obj-route-clip-ui", 0)
    display("obj-clipstatus", 306, 112, 300, "obj-route-clip-ui", 0)
    display("obj-shotstatus", 306, 131, 300, "obj-route-clip-ui", 1)
    p.line("obj-route-clip-ui", 2, "obj-folder", 0)
    p.obj("obj-print-clip-ui", "print bridge-clip", 1, 0, at=(1150, 620))
    p.line("obj-route-clip-ui", 3, "obj-print-clip-ui", 0)

    patcher = {
        "fileversion": 1,
        "appversion": dict(APPVERSION),
        "classnamespace": "box",
        "rect": [40.0, 80.0, 1400.0, 900.0],
        "openrect": [0.0, 0.0, DEVICE_WIDTH, 169.0],
        "openinpresentation": 1,
        "default_fontsize": 10.0,
        "default_fontface": 0,
        "default_fontname": "Arial",
        "gridonopen": 1,
        "gridsize": [8.0, 8.0],
        "gridsnaponopen": 1,
        "toolbarvisible": 1,
        "boxanimatetime": 200,
        "enablehscroll": 1,
        "enablevscroll": 1,
        "devicewidth": 0.0,
        "description": "bridge: restyle audio with diffusion models over OSC (stream, clip and one-shot modes)",
        "digest": "",
        "tags": "",
        "style": "",
        "subpatcher_template": "",
        "boxes": p.boxes,
        "lines": p.lines,
        "parameters": parameters_block(p.boxes),
        "dependency_cache": [
            {"name": name, "bootpath": ".", "patcherrelativepath": ".", "type": "TEXT", "implicit": 1}
            for name in ("bridge_clip.js", "bridge_control.js", "bridge_stream.js")
        ],
        "autosave": 0,
    }
    return {"patcher": patcher}


def parameters_block(boxes) -> dict:
    """The patcher's ``parameters`` table: every live.* parameter by box id."""
    out = {}
    for entry in boxes:
        b = entry["box"]
        v = b.get("saved_attribute_attributes", {}).get("valueof")
        if b.get("parameter_enable") and v:
            out[b["id"]] = [v["parameter_longname"], v["parameter_shortname"], 0]
    out["parameterbanks"] = {"0": {"index": 0, "name": "", "parameters": ["-"] * 8}}
    out["inherited_shortname"] = 1
    return out


# ------------------------------------------------------------------------ the device
def amxd_from_maxpat(maxpat: dict) -> dict:
    """The device's patcher: the standalone patch with Live's audio I/O and device settings."""
    doc = copy.deepcopy(maxpat)
    pt = doc["patcher"]
    for entry in pt["boxes"]:
        b = entry["box"]
        if b["id"] == "obj-in":
            b.update({"maxclass": "newobj", "text": "plugin~", "numinlets": 2, "numoutlets": 2,
                      "outlettype": ["signal", "signal"]})
        elif b["id"] == "obj-out":
            rect = b["patching_rect"]
            for k in ("presentation", "presentation_rect"):
                b.pop(k, None)
            b.update({"maxclass": "newobj", "text": "plugout~", "numinlets": 2, "numoutlets": 2,
                      "outlettype": ["signal", "signal"], "patching_rect": [rect[0], rect[1], 60.0, 22.0]})
    pt["devicewidth"] = DEVICE_WIDTH
    pt["latency"] = 0          # set at run time: deferlow -> "latency N" -> [thispatcher]
    pt["is_mpe"] = 0
    pt["minimum_live_version"] = ""
    pt["minimum_max_version"] = ""
    pt["platform_compatibility"] = 0
    pt["description"] = pt["description"] + " (Max for Live audio effect)"
    pt["project"] = project_block(pt, b"aaaa")
    return doc


def project_block(patcher: dict, kind: bytes) -> dict:
    """The ``project`` block Max writes into a device: its type and its dependencies.

    The scripts are listed as local code (Max's *Collect All and Save* and *Freeze Device*
    gather what is listed here); the dates are fixed so that the build stays reproducible.
    """
    code = {d["name"]: {"kind": "javascript", "local": 1} for d in patcher["dependency_cache"]}
    return {
        "version": 1, "creationdate": 3590052493, "modificationdate": 3590052493,
        "viewrect": [0.0, 0.0, 300.0, 500.0], "autoorganize": 1, "hideprojectwindow": 1, "showdependencies": 1,
        "autolocalize": 0, "contents": {"patchers": {}, "code": code}, "layout": {}, "searchpath": {},
        "detailsvisible": 0, "amxdtype": int.from_bytes(kind, "big"), "readonly": 0, "devpathtype": 0,
        "devpath": ".", "sortmode": 0, "viewmode": 0, "includepackages": 0,
    }


def amxd_bytes(device: dict, kind: bytes = b"aaaa") -> bytes:
    """``ampf`` + version 4 + device type, ``meta`` (4 bytes), ``ptch`` + length + JSON + NUL."""
    payload = serialize(device).encode("utf-8") + b"\x00"
    return (b"ampf" + struct.pack("<I", 4) + kind
            + b"meta" + struct.pack("<I", 4) + struct.pack("<I", 0)
            + b"ptch" + struct.pack("<I", len(payload)) + payload)


def read_amxd(data: bytes) -> tuple[bytes, dict]:
    """Parses an ``.amxd``: returns its device type and patcher JSON; raises ValueError."""
    if len(data) < 32 or data[:4] != b"ampf":
        raise ValueError("not an ampf container")
    if struct.unpack_from("<I", data, 4)[0] != 4:
        raise ValueError("ampf version is not 4")
    kind = data[8:12]
    if data[12:16] != b"meta":
        raise ValueError("no meta chunk")
    meta_len = struct.unpack_from("<I", data, 16)[0]
    off = 20 + meta_len
    if data[off:off + 4] != b"ptch":
        raise ValueError("no ptch chunk")
    n = struct.unpack_from("<I", data, off + 4)[0]
    payload = data[off + 8:off + 8 + n]
    if len(payload) != n or off + 8 + n != len(data):
        raise ValueError(f"ptch length {n} does not match the file ({len(data) - off - 8} bytes follow)")
    return kind, json.loads(payload.rstrip(b"\x00").decode("utf-8"))


def serialize(doc: dict) -> str:
    return json.dumps(doc, indent="\t", ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = ap.parse_args(argv)
    maxpat_text = serialize(build_patch())
    if args.check:
        ok = MAXPAT.is_file() and MAXPAT.read_text(encoding="utf-8") == maxpat_text
        ok = ok and AMXD.is_file() and AMXD.read_bytes() == amxd_bytes(amxd_from_maxpat(json.loads(maxpat_text)))
        print("up to date" if ok else "stale: run python max_for_live/build.py")
        return 0 if ok else 1
    MAXPAT.write_text(maxpat_text, encoding="utf-8")
    # The device is built from the .maxpat as written (the source), not from memory.
    AMXD.write_bytes(amxd_bytes(amxd_from_maxpat(json.loads(MAXPAT.read_text(encoding="utf-8")))))
    print(f"wrote {MAXPAT.name} ({len(maxpat_text)} bytes) and {AMXD.name} ({AMXD.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
