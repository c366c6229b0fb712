// A small stand-in for Max's classic [js] API, so the device's scripts run under node.
//
// Provided to a script: inlets, outlets, autowatch, jsarguments, inlet, messagename,
// post, error, outlet, arrayfromargs, Buffer (peek/poke/framecount/channelcount/send
// on a named buffer~), Task (schedule/repeat/cancel/interval/running), max (isplugin).
// Dispatch follows Max: bang -> bang(), int -> msg_int(), float -> msg_float(),
// list -> list(), other selectors -> the function of that name, else anything().
// Numbers a script sends become ints when integral (numbers: "auto") or always
// floats (numbers: "float"), to test both readings of Max's conversion.
"use strict";

const fs = require("fs");
const vm = require("vm");
const wav = require("./wav");

// ---------------------------------------------------------------- buffer~ registry
class BufferStore {
  constructor(sampleRate) { this.buffers = new Map(); this.sampleRate = sampleRate || 44100; this.log = []; }

  define(name, frames, channels) {
    const b = {name, channels, frames, sr: this.sampleRate, data: []};
    for (let c = 0; c < channels; c++) b.data.push(new Float32Array(frames));
    this.buffers.set(name, b);
    return b;
  }

  get(name) {
    const b = this.buffers.get(name);
    if (!b) throw new Error("no buffer~ named " + name);
    return b;
  }

  resize(name, frames, channels) {
    const b = this.get(name);
    channels = channels || b.channels;
    const data = [];
    for (let c = 0; c < channels; c++) {
      const d = new Float32Array(frames);
      if (c < b.data.length) d.set(b.data[c].subarray(0, Math.min(frames, b.frames)));
      data.push(d);
    }
    b.data = data; b.frames = frames; b.channels = channels;
  }

  // buffer~ messages; returns true when a file was read (the object then bangs)
  message(name, sel, args) {
    const b = this.get(name);
    this.log.push({buffer: name, sel, args: args.map((a) => a.v)});
    if (sel === "clear") { for (const d of b.data) d.fill(0); return false; }
    if (sel === "sizeinsamps") { this.resize(name, Math.max(0, Math.floor(args[0].v)), args[1] ? args[1].v : b.channels); return false; }
    if (sel === "samps") { this.resize(name, Math.max(0, Math.floor(args[0].v))); return false; }
    if (sel === "size") { this.resize(name, Math.round(args[0].v * b.sr / 1000)); return false; }
    if (sel === "writewave" || sel === "write") {
      wav.write(String(args.map((a) => a.v).join(" ")), b.data, b.sr);
      return false;
    }
    if (sel === "replace" || sel === "read") {
      const {channels, sampleRate} = wav.read(String(args.map((a) => a.v).join(" ")));
      const frames = channels[0].length;
      if (sel === "replace") {
        b.channels = channels.length; b.frames = frames; b.data = channels.map((c) => Float32Array.from(c));
        b.sr = sampleRate;
      } else {
        for (let c = 0; c < b.channels && c < channels.length; c++) b.data[c].set(channels[c].subarray(0, b.frames));
      }
      return true;
    }
    throw new Error("buffer~ " + name + " does not understand " + sel);
  }
}

// ---------------------------------------------------------------- atoms
function toAtom(v, numbers) {
  if (typeof v === "number") {
    if (!isFinite(v)) throw new Error("non-finite number sent from js: " + v);
    return (numbers !== "float" && Number.isInteger(v)) ? {t: "i", v} : {t: "f", v: Math.fround(v)};
  }
  if (typeof v === "boolean") return {t: "i", v: v ? 1 : 0};
  return {t: "s", v: String(v)};
}

function fromAtom(a) { return a.v; }

// ---------------------------------------------------------------- one [js] object
class JsObject {
  // opts: {path, args, buffers, numbers, isplugin, onOutlet(index, sel, atoms), onPost(text), clock}
  constructor(opts) {
    this.opts = opts;
    this.path = opts.path;
    this.tasks = new Set();
    this.errors = [];
    const self = this;
    const ctx = {
      inlets: 1, outlets: 1, autowatch: 0, inlet: 0, messagename: "",
      jsarguments: [require("path").basename(opts.path)].concat(opts.args || []),
      post: (...a) => self.post(a.map(String).join(" ")),
      error: (...a) => self.post("error: " + a.map(String).join(" ")),
      cpost: (...a) => self.post(a.map(String).join(" ")),
      outlet: (n, ...a) => self.outlet(n, a),
      arrayfromargs: (...a) => {
        if (a.length === 2 && typeof a[0] === "string") return [a[0]].concat(Array.prototype.slice.call(a[1]));
        return Array.prototype.slice.call(a[0]);
      },
      Buffer: function (name) { return self.makeBuffer(name); },
      Task: function (fn, thisobj, args) { return self.makeTask(fn, thisobj, args); },
      max: {isplugin: opts.isplugin ? 1 : 0, os: "node", version: "shim"},
    };
    ctx.this = ctx;
    this.ctx = vm.createContext(ctx);
    const src = fs.readFileSync(opts.path, "utf8");
    vm.runInContext(src, this.ctx, {filename: opts.path});
    this.numInlets = this.ctx.inlets;
    this.numOutlets = this.ctx.outlets;
  }

  post(text) {
    const t = String(text);
    if (this.opts.onPost) this.opts.onPost(t, this);
  }

  outlet(n, a) {
    if (!(n >= 0 && n < this.ctx.outlets)) throw new Error(`${this.path}: outlet ${n} does not exist`);
    let items = a;
    if (a.length === 1 && Array.isArray(a[0])) items = a[0];
    if (items.length === 0) return;
    let sel, args;
    const atoms = items.map((v) => toAtom(v, this.opts.numbers));
    if (atoms[0].t === "s") { sel = atoms[0].v; args = atoms.slice(1); }
    else if (atoms.length === 1) { sel = atoms[0].t === "i" ? "int" : "float"; args = atoms; }
    else { sel = "list"; args = atoms; }
    this.opts.onOutlet(n, sel, args);
  }

  // A message arriving at an inlet, Max-style.
  send(inletIndex, sel, atoms) {
    const c = this.ctx;
    c.inlet = inletIndex;
    c.messagename = sel;
    const vals = atoms.map(fromAtom);
    let fn;
    if (sel === "bang") fn = c.bang;
    else if (sel === "int") fn = c.msg_int || c.msg_float || c.list;
    else if (sel === "float") fn = c.msg_float || c.list;
    else if (sel === "list") fn = c.list;
    else if (typeof c[sel] === "function" && !/^(post|outlet|arrayfromargs|error|cpost|Buffer|Task)$/.test(sel)) fn = c[sel];
    if (!fn) {
      if (typeof c.anything === "function") { fn = c.anything; }
      else { this.post(`js: ${this.path} does not understand ${sel}`); return; }
    }
    try {
      fn.apply(c, vals);
    } catch (e) {
      this.errors.push(String(e && e.stack || e));
      this.post("js exception: " + (e && e.stack || e));
    }
  }

  makeBuffer(name) {
    const store = this.opts.buffers;
    const js = this;
    return {
      name,
      framecount() { return store.get(name).frames; },
      channelcount() { return store.get(name).channels; },
      length() { const b = store.get(name); return 1000 * b.frames / b.sr; },
      peek(ch, frame, count) {
        const b = store.get(name);
        if (!(ch >= 1 && ch <= b.channels)) throw new Error(`peek: channel ${ch} of ${name}`);
        count = count === undefined ? 1 : count;
        if (frame < 0 || frame + count > b.frames) throw new Error(`peek: frames ${frame}+${count} outside ${name} (${b.frames})`);
        if (count === 1) return b.data[ch - 1][frame];
        return Array.from(b.data[ch - 1].subarray(frame, frame + count));
      },
      poke(ch, frame, values) {
        const b = store.get(name);
        if (!(ch >= 1 && ch <= b.channels)) throw new Error(`poke: channel ${ch} of ${name}`);
        const arr = Array.isArray(values) ? values : [values];
        if (frame < 0 || frame + arr.length > b.frames) throw new Error(`poke: frames ${frame}+${arr.length} outside ${name} (${b.frames})`);
        b.data[ch - 1].set(arr.map(Math.fround), frame);
      },
      send(sel, ...args) { store.message(name, sel, args.map((v) => toAtom(v, js.opts.numbers))); },
    };
  }

  makeTask(fn, thisobj, args) {
    const js = this;
    const task = {
      interval: 0, running: false, _t: null,
      _fire() {
        try { fn.apply(thisobj || js.ctx, args || []); }
        catch (e) { js.errors.push(String(e && e.stack || e)); js.post("task exception: " + e); }
      },
      schedule(delay) {
        task.cancel();
        task.running = true;
        task._t = setTimeout(() => { task.running = false; task._fire(); }, delay || 0);
        js.tasks.add(task);
      },
      repeat(count, initialDelay) {
        task.cancel();
        task.running = true;
        let left = count === undefined || count < 0 ? Infinity : count;
        const step = () => {
          if (!task.running) return;
          task._fire();
          left -= 1;
          if (left > 0 && task.running) task._t = setTimeout(step, task.interval || 1);
          else task.running = false;
        };
        task._t = setTimeout(step, initialDelay === undefined ? (task.interval || 1) : initialDelay);
        js.tasks.add(task);
      },
      cancel() { task.running = false; if (task._t) clearTimeout(task._t); task._t = null; },
      execute() { task._fire(); },
      freepeer() { task.cancel(); },
    };
    return task;
  }

  stopTasks() { for (const t of this.tasks) t.cancel(); }
}

module.exports = {JsObject, BufferStore, toAtom};
