// Runs a .maxpat's message graph under node: the [js] objects (through max_shim.js),
// [udpsend]/[udpreceive] over real UDP (dgram), and stand-ins for the control objects
// the patch uses (route, prepend, t, message boxes, umenu, live.*, buffer~, ...).
// Signal objects of the clip path run in signal.js (a harness ticks them sample by sample);
// the stream path's signal side is emulated by the harness (rings, delay, crossfade), which
// also drives the patch's sources (live.thisdevice, dspstate~, metro) and the transport.
//
// Message passing follows Max: depth first, an outlet feeding several inlets fires
// them right to left (by the destination box's x position), [t] fires right to left.
// An object of an unknown class, or a message an object cannot take, is an error.
"use strict";

const fs = require("fs");
const path = require("path");
const dgram = require("dgram");
const osc = require("./osc");
const {JsObject, BufferStore} = require("./max_shim");
const jitter = require("./jitter");
const signal = require("./signal");

// ---------------------------------------------------------------- atoms
function parseAtoms(text) {
  const out = [];
  for (const tok of String(text).trim().split(/\s+/)) {
    if (tok === "") continue;
    if (/^-?\d+$/.test(tok)) out.push({t: "i", v: parseInt(tok, 10)});
    else if (/^-?(\d+\.\d*|\.\d+|\d+\.)([eE][-+]?\d+)?$/.test(tok) || /^-?\d+[eE][-+]?\d+$/.test(tok)) out.push({t: "f", v: parseFloat(tok)});
    else out.push({t: "s", v: tok});
  }
  return out;
}

// A message (selector + atoms) as Max builds it from a list of atoms.
function messageOf(atoms) {
  if (atoms.length === 0) return {sel: "bang", args: []};
  if (atoms[0].t === "s") return {sel: atoms[0].v, args: atoms.slice(1)};
  if (atoms.length === 1) return {sel: atoms[0].t === "i" ? "int" : "float", args: atoms};
  return {sel: "list", args: atoms};
}

// The atoms of a message, as prepend or a message box's $n see them.
function atomsOf(sel, args) {
  if (sel === "bang") return [];
  if (sel === "int" || sel === "float" || sel === "list") return args;
  return [{t: "s", v: sel}].concat(args);
}

const text = (atoms) => atoms.map((a) => a.v).join(" ");

const {MaxError} = signal;   // one error class for what Max would refuse

// ---------------------------------------------------------------- the runtime
class Runtime {
  // opts: {dir, numbers, isplugin, sampleRate, paramValues: {longname: value}, log(event)}
  constructor(patchPath, opts = {}) {
    this.patchPath = patchPath;
    this.dir = opts.dir || path.dirname(patchPath);
    this.opts = opts;
    this.sampleRate = opts.sampleRate || 44100;
    this.doc = JSON.parse(fs.readFileSync(patchPath, "utf8"));
    this.buffers = new BufferStore(this.sampleRate);
    this.events = [];
    this.objects = new Map();
    this.outs = new Map();       // id -> [[{dst, inlet}], ...]
    this.listeners = {oscOut: [], oscIn: []};
    this.sockets = [];
    this.closed = false;
    this.lowQueue = [];
    this.stallUntil = 0;
    // Live's (or Max's global) transport, as a harness runs it: position in ticks (480 a beat)
    this.transport = {running: false, tempo: 120, timesig: [4, 4], ticks: 0};
    const boxes = this.doc.patcher.boxes.map((b) => b.box);
    for (const b of boxes) this.objects.set(b.id, this.create(b));
    for (const {patchline: l} of this.doc.patcher.lines) {
      const [src, o] = l.source, [dst, i] = l.destination;
      if (!this.outs.has(src)) this.outs.set(src, []);
      const arr = this.outs.get(src);
      while (arr.length <= o) arr.push([]);
      arr[o].push({dst, inlet: i});
    }
    for (const arr of this.outs.values()) {
      for (const conns of arr) conns.sort((a, b) => this.box(b.dst).patching_rect[0] - this.box(a.dst).patching_rect[0]);
    }
  }

  box(id) { return this.objects.get(id).box; }
  log(ev) { this.events.push(ev); if (this.opts.log) this.opts.log(ev); }
  error(msg) { this.log({kind: "error", text: msg}); }

  emit(id, outlet, sel, args) {
    const arr = this.outs.get(id);
    if (!arr || !arr[outlet]) return;
    for (const {dst, inlet} of arr[outlet]) this.deliver(dst, inlet, sel, args);
  }

  deliver(id, inlet, sel, args) {
    if (this.closed) return;
    const obj = this.objects.get(id);
    try {
      obj.receive(inlet, sel, args);
    } catch (e) {
      this.error(`${obj.box.id} (${obj.name}) inlet ${inlet} <- ${sel} ${text(args)}: ${e.message}`);
    }
  }

  find(pred) { return [...this.objects.values()].filter(pred); }
  byName(name) { return this.find((o) => o.name === name); }

  // ---- construction of the stand-ins
  create(b) {
    const rt = this;
    const tokens = b.maxclass === "newobj" ? parseAtoms(b.text) : [];
    const name = b.maxclass === "newobj" ? String(tokens[0].v) : b.maxclass;
    const args = tokens.slice(1);
    const plain = args.filter((a, i) => !(a.t === "s" && a.v.startsWith("@")) && !(i > 0 && args[i - 1].t === "s" && args[i - 1].v.startsWith("@")));
    const obj = {box: b, name, args, receive: (inlet, sel, a) => { throw new MaxError(`${name} does not take messages here`); }};
    const out = (o, sel, a) => rt.emit(b.id, o, sel, a);
    const ignore = () => {};

    switch (name) {
      case "message": {
        obj.text = b.text || "";
        obj.receive = (inlet, sel, a) => {
          if (sel === "set") { obj.text = text(a); return; }
          if (inlet !== 0) { obj.text = text(atomsOf(sel, a)); return; }
          const input = atomsOf(sel, a);
          const atoms = parseAtoms(obj.text.replace(/\$(\d)/g, (_, n) => {
            const x = input[Number(n) - 1];
            return x === undefined ? "0" : String(x.v);
          }));
          const m = messageOf(atoms);
          out(0, m.sel, m.args);
        };
        break;
      }
      case "comment": case "live.comment": case "panel":
        obj.receive = ignore;
        break;
      case "prepend": {
        obj.receive = (inlet, sel, a) => {
          const m = messageOf(plain.concat(atomsOf(sel, a)));
          out(0, m.sel, m.args);
        };
        break;
      }
      case "route": {
        obj.receive = (inlet, sel, a) => {
          if (inlet !== 0) throw new MaxError("route: only the left inlet is used");
          const numeric = sel === "int" || sel === "float" || sel === "list";
          for (let i = 0; i < plain.length; i++) {
            const hit = numeric ? (a.length && plain[i].t !== "s" && Number(plain[i].v) === Number(a[0].v))
                                : (plain[i].t === "s" && plain[i].v === sel);
            if (hit) {
              const m = messageOf(numeric ? a.slice(1) : a);
              out(i, m.sel, m.args);
              return;
            }
          }
          out(plain.length, sel, a);
        };
        break;
      }
      case "t": case "trigger": {
        obj.receive = (inlet, sel, a) => {
          for (let i = plain.length - 1; i >= 0; i--) {
            const kind = String(plain[i].v);
            if (plain[i].t === "i") out(i, "int", [plain[i]]);            // a constant: [t b 1]
            else if (plain[i].t === "f") out(i, "float", [plain[i]]);
            else if (kind === "b") out(i, "bang", []);
            else if (kind === "i") out(i, "int", [{t: "i", v: Math.trunc(Number((a[0] || {v: 0}).v))}]);
            else if (kind === "f") out(i, "float", [{t: "f", v: Number((a[0] || {v: 0}).v)}]);
            else out(i, sel, a);
          }
        };
        break;
      }
      case "defer": case "deferlow":
        obj.receive = (inlet, sel, a) => out(0, sel, a);
        break;
      case "print":
        obj.receive = (inlet, sel, a) => rt.log({kind: "print", name: String((plain[0] || {v: "print"}).v), text: text(atomsOf(sel, a))});
        break;
      case "thispatcher":
        obj.receive = (inlet, sel, a) => rt.log({kind: "thispatcher", sel, args: a.map((x) => x.v)});
        break;
      case "js": {
        const file = path.join(rt.dir, String(args[0].v));
        const js = new JsObject({
          path: file, args: args.slice(1).map((x) => x.v), buffers: rt.buffers, numbers: rt.opts.numbers,
          isplugin: rt.opts.isplugin,
          onOutlet: (n, sel, a) => out(n, sel, a),
          onPost: (t) => rt.log({kind: "post", js: path.basename(file), text: t}),
        });
        obj.js = js;
        obj.receive = (inlet, sel, a) => {
          if (inlet >= js.ctx.inlets) throw new MaxError(`js ${path.basename(file)} has no inlet ${inlet}`);
          // Classic [js] runs in Max's low-priority queue (Live's interface thread): with
          // opts.lowPriority its input waits in rt.lowQueue until rt.runLow(), which a stall holds up.
          if (rt.opts.lowPriority) rt.lowQueue.push(() => js.send(inlet, sel, a));
          else js.send(inlet, sel, a);
        };
        break;
      }
      case "udpsend": {
        obj.host = String(plain[0].v); obj.port = Number(plain[1].v);
        obj.sock = dgram.createSocket("udp4");
        rt.sockets.push(obj.sock);
        obj.receive = (inlet, sel, a) => {
          if (sel === "host") { obj.host = text(a); return; }
          if (sel === "port") { obj.port = Number(a[0].v); return; }
          if (!sel.startsWith("/")) throw new MaxError(`udpsend: ${sel} is not an OSC address`);
          const data = osc.encode(sel, a);
          const ev = {kind: "osc-out", address: sel, types: "," + a.map((x) => x.t).join(""), args: a.map((x) => x.v), port: obj.port};
          rt.log(ev);
          for (const f of rt.listeners.oscOut) f(ev);
          obj.sock.send(data, obj.port, obj.host);
        };
        break;
      }
      case "udpreceive": {
        obj.port = Number(plain[0].v);
        obj.defer = b.text.includes("@defer 1");
        obj.sock = null;
        obj.bind = (port) => {
          if (obj.sock) { try { obj.sock.close(); } catch (e) { /* closed */ } }
          obj.port = port;
          const sock = dgram.createSocket("udp4");
          obj.sock = sock;
          rt.sockets.push(sock);
          sock.on("error", (e) => rt.error(`udpreceive ${port}: ${e.message}`));
          sock.on("message", (data) => {
            let msgs;
            try { msgs = osc.decode(data); } catch (e) { rt.error("udpreceive: " + e.message); return; }
            for (const m of msgs) {
              const ev = {kind: "osc-in", address: m.address, types: m.types, args: m.args.map((x) => (x.t === "b" ? "<blob>" : x.v))};
              rt.log(ev);
              out(0, m.address, m.args);
              for (const f of rt.listeners.oscIn) f(ev);
            }
          });
          sock.bind(port, "127.0.0.1");
        };
        obj.receive = (inlet, sel, a) => {
          if (sel === "port") { obj.bind(Number(a[0].v)); return; }
          throw new MaxError("udpreceive: takes only port");
        };
        break;
      }
      case "umenu": {
        obj.items = (b.items || []).filter((x) => x !== ",").map(String);
        obj.index = -1;
        obj.emitSelection = () => {
          const m = messageOf(parseAtoms(obj.items[obj.index] || ""));
          out(1, m.sel, m.args);
          out(0, "int", [{t: "i", v: obj.index}]);
        };
        obj.select = (i) => { obj.index = i; obj.emitSelection(); };
        obj.receive = (inlet, sel, a) => {
          if (sel === "clear") { obj.items = []; obj.index = -1; }
          else if (sel === "append") { obj.items.push(text(a)); }
          else if (sel === "setsymbol") { obj.index = obj.items.indexOf(text(a)); }
          else if (sel === "set") { obj.index = Number(a[0].v); }
          else if (sel === "int" || sel === "float") {
            const i = Math.trunc(Number(a[0].v));
            if (i < 0 || i >= obj.items.length) throw new MaxError(`umenu: no item ${i}`);
            obj.select(i);
          } else throw new MaxError("umenu: does not understand " + sel);
        };
        break;
      }
      case "live.dial": case "live.numbox": case "live.text": {
        const v = (b.saved_attribute_attributes || {}).valueof || {};
        obj.param = v;
        obj.value = v.parameter_initial ? Number(v.parameter_initial[0]) : 0;
        const isInt = v.parameter_type === 1 || v.parameter_type === 2;
        obj.output = () => out(0, isInt ? "int" : "float", [{t: isInt ? "i" : "f", v: isInt ? Math.round(obj.value) : obj.value}]);
        obj.clamp = (x) => {
          let y = Number(x);
          if (v.parameter_mmin !== undefined) y = Math.max(v.parameter_mmin, y);
          if (v.parameter_mmax !== undefined) y = Math.min(v.parameter_mmax, y);
          return y;
        };
        obj.set = (x) => { obj.value = obj.clamp(x); obj.output(); };   // a user's change
        obj.press = () => {
          if (b.mode === 1) { obj.value = obj.value ? 0 : 1; obj.output(); }
          else { obj.value = 1; obj.output(); }
        };
        obj.receive = (inlet, sel, a) => {
          if (sel === "set") { obj.value = obj.clamp(a[0].v); return; }
          if (sel === "int" || sel === "float") { obj.set(a[0].v); return; }
          if (sel === "bang") { obj.output(); return; }
          throw new MaxError(`${name}: does not understand ${sel}`);
        };
        break;
      }
      case "number": case "flonum": {
        obj.value = 0;
        const keep = (x) => { obj.value = name === "number" ? Math.trunc(Number(x)) : Number(x); };
        obj.receive = (inlet, sel, a) => {
          if (sel === "set") { keep(a[0].v); return; }
          if (sel === "int" || sel === "float") { keep(a[0].v); out(0, name === "number" ? "int" : "float",
                                                                     [{t: name === "number" ? "i" : "f", v: obj.value}]); return; }
          throw new MaxError(`${name}: does not understand ${sel}`);
        };
        break;
      }
      case "unpack": {
        obj.receive = (inlet, sel, a) => {
          const atoms = atomsOf(sel, a);
          for (let i = plain.length - 1; i >= 0; i--) {   // right to left, as Max does
            if (i >= atoms.length) continue;
            const kind = String(plain[i].v);
            if (atoms[i].t === "s" && kind !== "s") throw new MaxError("unpack: a symbol where a number goes");
            if (kind === "f") out(i, "float", [{t: "f", v: Number(atoms[i].v)}]);
            else if (kind === "i") out(i, "int", [{t: "i", v: Math.trunc(Number(atoms[i].v))}]);
            else out(i, "symbol", [atoms[i]]);
          }
        };
        break;
      }
      case "textedit": {
        obj.text = String(b.text || "");
        obj.enter = (t) => { obj.text = t; const m = messageOf(parseAtoms(t)); out(0, m.sel, m.args); };
        obj.receive = (inlet, sel, a) => {
          if (sel === "set") { obj.text = text(a); return; }
          throw new MaxError("textedit: does not understand " + sel);
        };
        break;
      }
      case "buffer~": {
        const bname = String(plain[0].v);
        const chans = plain.length > 2 ? Number(plain[2].v) : 1;
        const sampsAt = args.findIndex((x) => x.v === "@samps");
        const frames = sampsAt >= 0 ? Number(args[sampsAt + 1].v) : Math.round((plain.length > 1 ? Number(plain[1].v) : 0) * rt.sampleRate / 1000);
        rt.buffers.define(bname, frames, chans);
        obj.bufferName = bname;
        obj.receive = (inlet, sel, a) => {
          const read = rt.buffers.message(bname, sel, a);
          if (read) setImmediate(() => out(1, "bang", []));
        };
        break;
      }
      case "groove~":
        obj.receive = (inlet, sel, a) => {
          if (inlet === 0 && (sel === "int" || sel === "float")) { rt.log({kind: name, id: b.id, value: Number(a[0].v)}); return; }
          throw new MaxError(`${name}: unexpected ${sel}`);
        };
        break;
      case "dspstate~":
        obj.receive = (inlet, sel) => {
          if (sel !== "bang") throw new MaxError("dspstate~: unexpected " + sel);
          out(3, "int", [{t: "i", v: 64}]);
          out(2, "int", [{t: "i", v: 64}]);
          out(1, "float", [{t: "f", v: rt.sampleRate}]);
          out(0, "int", [{t: "i", v: rt.dspOn === false ? 0 : 1}]);
        };
        break;
      case "transport":   // reports rt.transport, which the harness runs
        obj.receive = (inlet, sel) => {
          if (sel !== "bang") throw new MaxError("transport: unexpected " + sel);
          out(5, "list", rt.transport.timesig.map((v) => ({t: "i", v})));
          out(4, "float", [{t: "f", v: rt.transport.tempo}]);
        };
        break;
      case "line~":
        obj.value = 0; obj.target = 0; obj.step = 0;
        obj.receive = (inlet, sel, a) => {
          const target = Number(a[0].v), ms = a.length > 1 ? Number(a[1].v) : 0;
          const n = Math.max(1, Math.round(ms * rt.sampleRate / 1000));
          obj.target = target;
          obj.step = ms > 0 ? (target - obj.value) / n : target - obj.value;
        };
        obj.next = () => {   // one sample of the ramp
          if (obj.value !== obj.target) {
            obj.value += obj.step;
            if ((obj.step > 0 && obj.value >= obj.target) || (obj.step < 0 && obj.value <= obj.target)) obj.value = obj.target;
          }
          return obj.value;
        };
        break;
      case "delay~":
        obj.delay = Number((plain[1] || {v: 0}).v);
        obj.receive = (inlet, sel, a) => {
          if (inlet !== 1) throw new MaxError("delay~: the delay goes in the right inlet");
          obj.delay = Math.round(Number(a[0].v));
        };
        break;
      case "jit.catch~": case "jit.release~": case "jit.net.send": case "jit.net.recv": case "jit.matrix":
      case "gate": case "onebang":
        jitter.makers[name](rt, obj, out, plain, args);
        break;
      case "live.thisdevice": case "snapshot~": case "metro": case "loadbang":
        obj.receive = (inlet, sel) => { throw new MaxError(`${name}: the harness drives it`); };
        break;
      case "adc~": case "plugin~": case "ezdac~": case "dac~": case "plugout~":
        break;   // the harness gives the input and takes the output
      case "*~": case "+~": case "-~": case "!-~": case "%~": case "<~": case ">~": case "!=~": case "maximum~":
      case "sig~": case "phasor~": case "delta~": case "sah~": case "edge~": case "poke~": case "index~":
        signal.makers[name](rt, obj, out, plain, args);
        break;
      default:
        throw new Error(`patch_runtime: no stand-in for ${name} (box ${b.id})`);
    }
    return obj;
  }

  // ---- lifecycle
  // Restores parameter values (saved ones from opts.paramValues, else the initial ones),
  // as Live/Max do when a device loads, then bangs live.thisdevice.
  start() {
    const values = this.opts.paramValues || {};
    for (const obj of this.objects.values()) {
      if (!obj.param) continue;
      const longname = obj.param.parameter_longname;
      if (Object.prototype.hasOwnProperty.call(values, longname)) {
        obj.value = obj.clamp(values[longname]);
        obj.output();
      } else if (obj.param.parameter_initial_enable) {
        obj.output();
      }
    }
    for (const obj of this.byName("live.thisdevice")) this.emit(obj.box.id, 0, "bang", []);
  }

  jsObjects() { return this.byName("js").map((o) => o.js); }

  // Runs what waits in the low-priority queue (unless a stall holds it); returns how many ran.
  runLow() {
    if (Date.now() < this.stallUntil) return 0;
    let n = 0;
    while (this.lowQueue.length && !this.closed) {
      const f = this.lowQueue.shift();
      try { f(); } catch (e) { this.error("low-priority: " + e.message); }
      n++;
    }
    return n;
  }

  close() {
    for (const obj of this.byName("js")) {
      if (typeof obj.js.ctx.notifydeleted === "function") {
        try { obj.js.ctx.notifydeleted(); } catch (e) { this.error("notifydeleted: " + e); }
      }
    }
  }

  shutdown() {
    this.closed = true;
    for (const js of this.jsObjects()) js.stopTasks();
    for (const s of this.sockets) {
      try { if (typeof s.destroy === "function") s.destroy(); else s.close(); } catch (e) { /* already closed */ }
    }
  }
}

module.exports = {Runtime, parseAtoms, messageOf, atomsOf};
