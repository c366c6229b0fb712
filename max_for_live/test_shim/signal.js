// The MSP objects of the clip path, run sample by sample, and a graph that runs the ones a
// harness names in the order their patchlines require (as MSP sorts its DSP chain).
//
// Each stand-in holds `scalars` (the number an inlet uses when no signal is connected to it:
// its box argument or the last float it got) and `tick(inputs)` -> the outlets' values for
// one sample. Signal inlets sum what is connected to them, as in MSP. Semantics follow the
// Max reference pages: phasor~ @lock 1 derives its phase from the transport's position
// (ticks modulo its period), sah~ samples its left input when the right one rises above the
// threshold, poke~ writes nothing at a negative or too large index, edge~ reports in the
// scheduler (here: after the vector).
"use strict";

class MaxError extends Error {}

const num = (a) => Number(a.v);

function binary(fn) {
  return (rt, obj, out, plain) => {
    obj.scalars = [0, plain.length ? num(plain[0]) : 0];
    obj.receive = (inlet, sel, a) => {
      if ((sel === "int" || sel === "float") && inlet < 2) { obj.scalars[inlet] = num(a[0]); return; }
      throw new MaxError(`${obj.name}: unexpected ${sel} in inlet ${inlet}`);
    };
    obj.tick = (x) => [fn(x[0], x[1])];
  };
}

const makers = {
  "*~": binary((a, b) => a * b),
  "+~": binary((a, b) => a + b),
  "-~": binary((a, b) => a - b),
  "!-~": binary((a, b) => b - a),
  "%~": binary((a, b) => (b === 0 ? 0 : a % b)),        // C fmod, as MSP
  "<~": binary((a, b) => (a < b ? 1 : 0)),
  ">~": binary((a, b) => (a > b ? 1 : 0)),
  "!=~": binary((a, b) => (a !== b ? 1 : 0)),
  "maximum~": binary((a, b) => Math.max(a, b)),

  "sig~": (rt, obj, out, plain) => {
    obj.scalars = [plain.length ? num(plain[0]) : 0];
    obj.receive = (inlet, sel, a) => {
      if (inlet === 0 && (sel === "int" || sel === "float")) {
        obj.scalars[0] = num(a[0]);
        rt.log({kind: "sig~", id: obj.box.id, value: obj.scalars[0]});
        return;
      }
      throw new MaxError(`sig~: unexpected ${sel}`);
    };
    obj.tick = () => [obj.scalars[0]];
  },

  // phasor~ <T> ticks @lock 1: the ramp over T ticks of the transport; "frequency T ticks" changes T.
  "phasor~": (rt, obj, out, plain, args) => {
    const lock = obj.box.text.includes("@lock 1");
    const interval = (atoms) => {
      if (atoms.length !== 2 || atoms[1].v !== "ticks" || !(num(atoms[0]) > 0)) {
        throw new MaxError("phasor~ (stand-in): only a period in ticks is emulated, got " + atoms.map((x) => x.v).join(" "));
      }
      return num(atoms[0]);
    };
    if (!lock) throw new MaxError("phasor~ (stand-in): only @lock 1 is emulated");
    obj.ticks = interval(plain.slice(0, 2));
    obj.scalars = [0, 0];
    obj.receive = (inlet, sel, a) => {
      if (inlet === 0 && sel === "frequency") { obj.ticks = interval(a); rt.log({kind: "phasor~", id: obj.box.id, ticks: obj.ticks}); return; }
      throw new MaxError(`phasor~: unexpected ${sel}`);
    };
    obj.tick = () => {
      const t = rt.transport.ticks;
      return [(((t % obj.ticks) + obj.ticks) % obj.ticks) / obj.ticks];
    };
  },

  "delta~": (rt, obj) => {
    obj.scalars = [0];
    obj.prev = 0;
    obj.receive = (inlet, sel) => { throw new MaxError(`delta~: unexpected ${sel}`); };
    obj.tick = (x) => { const d = x[0] - obj.prev; obj.prev = x[0]; return [d]; };
  },

  "sah~": (rt, obj, out, plain) => {
    obj.scalars = [0, 0];
    obj.thresh = plain.length ? num(plain[0]) : 0;
    obj.held = 0;
    obj.prevControl = 0;
    obj.receive = (inlet, sel, a) => {
      if (inlet === 0 && (sel === "int" || sel === "float")) { obj.thresh = num(a[0]); return; }
      throw new MaxError(`sah~: unexpected ${sel}`);
    };
    obj.tick = (x) => {
      if (obj.prevControl <= obj.thresh && x[1] > obj.thresh) obj.held = x[0];
      obj.prevControl = x[1];
      return [obj.held];
    };
  },

  "edge~": (rt, obj, out) => {
    obj.scalars = [0];
    obj.prev = 0;
    obj.pending = [];
    obj.receive = (inlet, sel) => { throw new MaxError(`edge~: unexpected ${sel}`); };
    obj.tick = (x) => {
      if (obj.prev === 0 && x[0] !== 0) obj.pending.push(0);
      else if (obj.prev !== 0 && x[0] === 0) obj.pending.push(1);
      obj.prev = x[0];
      return [];
    };
    obj.flush = () => { const p = obj.pending; obj.pending = []; for (const o of p) out(o, "bang", []); };
  },

  // poke~ <buffer> <channel>: value (left) at the sample index (middle), truncated.
  "poke~": (rt, obj, out, plain) => {
    obj.bufferName = String(plain[0].v);
    obj.channel = plain.length > 1 ? num(plain[1]) : 1;
    obj.scalars = [0, -1, obj.channel];
    obj.receive = (inlet, sel) => { throw new MaxError(`poke~: unexpected ${sel}`); };
    obj.tick = (x) => {
      const b = rt.buffers.get(obj.bufferName);
      const i = Math.floor(x[1]);
      if (x[1] >= 0 && i < b.frames && obj.channel <= b.channels) b.data[obj.channel - 1][i] = x[0];
      return [];
    };
  },

  // index~ <buffer> <channel>: the sample at the index (truncated), 0 outside the buffer.
  "index~": (rt, obj, out, plain) => {
    obj.bufferName = String(plain[0].v);
    obj.channel = plain.length > 1 ? num(plain[1]) : 1;
    obj.scalars = [0, obj.channel];
    obj.receive = (inlet, sel) => { throw new MaxError(`index~: unexpected ${sel}`); };
    obj.tick = (x) => {
      const b = rt.buffers.get(obj.bufferName);
      const i = Math.floor(x[0]);
      return [(x[0] >= 0 && i < b.frames && obj.channel <= b.channels) ? b.data[obj.channel - 1][i] : 0];
    };
  },
};

// Runs the boxes `ids` of rt, sample by sample. `sources`: {box id: (outlet) => value}, for the
// boxes whose signal comes from outside (plugin~/adc~: the harness's input).
class SignalGraph {
  constructor(rt, ids, sources) {
    this.rt = rt;
    this.sources = sources || {};
    const inSet = new Set(ids);
    this.inputs = new Map();    // id -> [[{src, outlet}], ...] per inlet
    const deps = new Map(ids.map((id) => [id, new Set()]));
    for (const {patchline: l} of rt.doc.patcher.lines) {
      const [src, o] = l.source, [dst, i] = l.destination;
      if (!inSet.has(dst) || !(inSet.has(src) || src in this.sources)) continue;
      if ((rt.box(src).outlettype || [])[o] !== "signal") continue;
      if (!this.inputs.has(dst)) this.inputs.set(dst, []);
      const arr = this.inputs.get(dst);
      while (arr.length <= i) arr.push([]);
      arr[i].push({src, outlet: o});
      if (inSet.has(src)) deps.get(dst).add(src);
    }
    this.order = [];
    const state = new Map();
    const visit = (id) => {
      if (state.get(id) === 2) return;
      if (state.get(id) === 1) throw new MaxError("signal loop through " + id);
      state.set(id, 1);
      for (const d of deps.get(id)) visit(d);
      state.set(id, 2);
      this.order.push(id);
    };
    for (const id of ids) {
      const obj = rt.objects.get(id);
      if (!obj || typeof obj.tick !== "function") throw new MaxError(`${id} (${obj ? obj.name : "?"}) is not a signal object the shim runs`);
      visit(id);
    }
    this.values = new Map();   // id -> the outlets' values this sample
  }

  value(id, outlet) {
    if (id in this.sources) return this.sources[id](outlet);
    const v = this.values.get(id);
    return v ? v[outlet || 0] : 0;
  }

  // One sample.
  tick() {
    for (const id of this.order) {
      const obj = this.rt.objects.get(id);
      const conns = this.inputs.get(id) || [];
      const x = obj.scalars.slice();
      for (let i = 0; i < conns.length; i++) {
        if (conns[i].length) x[i] = conns[i].reduce((s, c) => s + this.value(c.src, c.outlet), 0);
      }
      this.values.set(id, obj.tick(x));
    }
  }

  // What the scheduler does after a vector: edge~ reports.
  flush() {
    for (const id of this.order) {
      const obj = this.rt.objects.get(id);
      if (obj.flush) obj.flush();
    }
  }
}

module.exports = {makers, SignalGraph, MaxError};
