"""A linter for .maxpat patchers (and the patcher inside an .amxd).

Checks what Max itself needs to load a patch and wire it as drawn: valid JSON with
the patcher keys, unique box ids, box fields, every patchline joining existing
boxes within their inlet and outlet counts, and - independently of the generator -
the inlet and outlet counts of every object against a table of what Max 8 saves for
that object (read from patches saved by Max 8 in public repositories), and of
every [js] box against the ``inlets``/``outlets`` its script declares.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REQUIRED_BOX_KEYS = ("id", "maxclass", "numinlets", "numoutlets", "patching_rect")

# maxclass of UI boxes -> (inlets, outlets)
UI_IO = {
    "message": (2, 1),
    "comment": (1, 0),
    "umenu": (1, 3),
    "live.dial": (1, 2),
    "live.numbox": (1, 2),
    "number": (1, 2),
    "flonum": (1, 2),
    "live.text": (1, 2),
    "textedit": (1, 4),
    "ezdac~": (2, 0),
}


def _plain(args: list[str]) -> list[str]:
    """Arguments without @attribute pairs."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a.startswith("@"):
            skip = True
            continue
        out.append(a)
    return out


def _int(args, i, default):
    try:
        return int(float(args[i]))
    except (IndexError, ValueError):
        return default


# newobj name -> function(plain args) -> (inlets, outlets), as Max 8 saves them
NEWOBJ_IO = {
    "udpsend": lambda a: (1, 0),
    "udpreceive": lambda a: (1, 1),
    "route": lambda a: (len(a) + 1, len(a) + 1),      # Max 7+: one inlet per argument
    "prepend": lambda a: (1, 1),
    "unpack": lambda a: (1, max(1, len(a)) if a else 2),
    "print": lambda a: (1, 0),
    "t": lambda a: (1, len(a)),
    "trigger": lambda a: (1, len(a)),
    "live.thisdevice": lambda a: (1, 3),
    "dspstate~": lambda a: (1, 4),
    "adc~": lambda a: (1, max(1, len(a)) if a else 2),
    "plugin~": lambda a: (2, 2),
    "plugout~": lambda a: (2, 2),
    "count~": lambda a: (2, 1),
    "buffer~": lambda a: (1, 2),
    "poke~": lambda a: (3, 0),
    "index~": lambda a: (2, 1),
    "snapshot~": lambda a: (2, 1),
    "record~": lambda a: (_int(a, 1, 1) + 2, 1),
    "sig~": lambda a: (1, 1),
    "groove~": lambda a: (3, _int(a, 1, 1) + 1),
    "+~": lambda a: (2, 1),
    "*~": lambda a: (2, 1),
    "metro": lambda a: (2, 1),
    "transport": lambda a: (2, 9),
    "deferlow": lambda a: (1, 1),
    "defer": lambda a: (1, 1),
    "thispatcher": lambda a: (1, 2),
    "loadbang": lambda a: (1, 1),
    # Jitter and the dry path (from the Max 8 reference pages: inlets/outlets incl. dumpout)
    "jit.catch~": lambda a: (max(1, _int(a, 0, 1)), 2),
    "jit.release~": lambda a: (1, max(1, _int(a, 0, 1)) + 1),
    "jit.net.send": lambda a: (2, 1),
    "jit.net.recv": lambda a: (1, 3),
    "jit.matrix": lambda a: (1, 2),
    "gate": lambda a: (2, max(1, _int(a, 0, 1))),
    "onebang": lambda a: (2, 2),
    "line~": lambda a: (2, 2),
    "delay~": lambda a: (2, 1),
    "!-~": lambda a: (2, 1),
    # the clip path (Max 8 reference pages)
    "phasor~": lambda a: (2, 1),
    "-~": lambda a: (2, 1),
    "%~": lambda a: (2, 1),
    "<~": lambda a: (2, 1),
    ">~": lambda a: (2, 1),
    "!=~": lambda a: (2, 1),
    "maximum~": lambda a: (2, 1),
    "delta~": lambda a: (1, 1),
    "sah~": lambda a: (2, 1),
    "edge~": lambda a: (1, 2),
}

SIGNAL_OBJECTS = {"adc~", "plugin~", "plugout~", "count~", "poke~", "index~", "snapshot~", "record~", "sig~",
                  "groove~", "+~", "*~", "ezdac~", "jit.catch~", "delay~", "!-~", "line~", "phasor~", "-~",
                  "%~", "<~", ">~", "!=~", "maximum~", "delta~", "sah~", "edge~"}


def js_io(script: Path) -> tuple[int, int]:
    """The ``inlets = N; outlets = M;`` a classic [js] script declares (1 and 1 by default)."""
    src = script.read_text(encoding="utf-8")
    ins = re.search(r"^\s*inlets\s*=\s*(\d+)\s*;", src, re.M)
    outs = re.search(r"^\s*outlets\s*=\s*(\d+)\s*;", src, re.M)
    return (int(ins.group(1)) if ins else 1, int(outs.group(1)) if outs else 1)


def box_name(box: dict) -> str:
    if box["maxclass"] == "newobj":
        return box.get("text", "").split()[0] if box.get("text", "").strip() else ""
    return box["maxclass"]


def box_args(box: dict) -> list[str]:
    return box.get("text", "").split()[1:] if box["maxclass"] == "newobj" else []


def lint_patcher(doc: dict, script_dir: Path | None = None) -> list[str]:
    """Returns a list of problems (empty when the patcher is sound)."""
    problems: list[str] = []
    if not isinstance(doc, dict) or "patcher" not in doc:
        return ["top level: expected {'patcher': {...}}"]
    pt = doc["patcher"]
    for key in ("fileversion", "appversion", "classnamespace", "rect", "boxes", "lines"):
        if key not in pt:
            problems.append(f"patcher: missing {key!r}")
    if pt.get("classnamespace") != "box":
        problems.append("patcher: classnamespace should be 'box'")
    boxes: dict[str, dict] = {}
    for i, entry in enumerate(pt.get("boxes", [])):
        box = entry.get("box") if isinstance(entry, dict) else None
        if not isinstance(box, dict):
            problems.append(f"boxes[{i}]: expected {{'box': {{...}}}}")
            continue
        missing = [k for k in REQUIRED_BOX_KEYS if k not in box]
        if missing:
            problems.append(f"boxes[{i}] ({box.get('id')}): missing {missing}")
            continue
        bid = box["id"]
        if bid in boxes:
            problems.append(f"duplicate box id {bid}")
        boxes[bid] = box
        rect = box["patching_rect"]
        if not (isinstance(rect, list) and len(rect) == 4 and all(isinstance(v, (int, float)) for v in rect)):
            problems.append(f"{bid}: patching_rect must be 4 numbers")
        nin, nout = box["numinlets"], box["numoutlets"]
        if nout and len(box.get("outlettype", [])) != nout:
            problems.append(f"{bid}: {nout} outlets but outlettype has {len(box.get('outlettype', []))}")
        if box["maxclass"] == "newobj":
            if not box.get("text", "").strip():
                problems.append(f"{bid}: empty object box")
                continue
            name, args = box_name(box), _plain(box_args(box))
            if name == "js":
                if script_dir is not None:
                    script = script_dir / args[0]
                    if not script.is_file():
                        problems.append(f"{bid}: script {args[0]} not found next to the patch")
                    elif js_io(script) != (nin, nout):
                        problems.append(f"{bid}: box has {nin}/{nout} inlets/outlets, {args[0]} declares "
                                        f"{js_io(script)}")
            elif name in NEWOBJ_IO:
                want = NEWOBJ_IO[name](args)
                if want != (nin, nout):
                    problems.append(f"{bid} [{box['text']}]: Max has {want[0]} inlets/{want[1]} outlets, "
                                    f"box says {nin}/{nout}")
            else:
                problems.append(f"{bid}: object {name!r} is not in the linter's table")
        elif box["maxclass"] in UI_IO:
            if UI_IO[box["maxclass"]] != (nin, nout):
                problems.append(f"{bid} ({box['maxclass']}): Max has {UI_IO[box['maxclass']]}, box says {nin}/{nout}")
        else:
            problems.append(f"{bid}: maxclass {box['maxclass']!r} is not in the linter's table")
    seen = set()
    for i, entry in enumerate(pt.get("lines", [])):
        line = entry.get("patchline") if isinstance(entry, dict) else None
        if not isinstance(line, dict) or "source" not in line or "destination" not in line:
            problems.append(f"lines[{i}]: expected {{'patchline': {{'source', 'destination'}}}}")
            continue
        (src, outlet), (dst, inlet) = line["source"], line["destination"]
        key = (src, outlet, dst, inlet)
        if key in seen:
            problems.append(f"lines[{i}]: duplicate line {key}")
        seen.add(key)
        if src not in boxes:
            problems.append(f"lines[{i}]: source {src} does not exist")
            continue
        if dst not in boxes:
            problems.append(f"lines[{i}]: destination {dst} does not exist")
            continue
        if not 0 <= outlet < boxes[src]["numoutlets"]:
            problems.append(f"lines[{i}]: {src} has no outlet {outlet} ({boxes[src]['numoutlets']} outlets)")
        if not 0 <= inlet < boxes[dst]["numinlets"]:
            problems.append(f"lines[{i}]: {dst} has no inlet {inlet} ({boxes[dst]['numinlets']} inlets)")
        if 0 <= outlet < boxes[src]["numoutlets"]:
            if boxes[src].get("outlettype", [""] * (outlet + 1))[outlet] == "signal" \
                    and box_name(boxes[dst]) not in SIGNAL_OBJECTS:
                problems.append(f"lines[{i}]: signal from {src} into non-signal object {dst}")
    return problems


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
