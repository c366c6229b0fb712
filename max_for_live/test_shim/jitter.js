// Stand-ins for the device's Jitter audio path, for patch_runtime.js: jit.catch~, jit.net.send,
// jit.net.recv, jit.release~, jit.matrix, as the Max reference pages describe them, with real
// TCP (node's net) and the wire format of the Max SDK's Jitter Networking Specification,
// written here independently of the daemon (big-endian header fields, float32 cells LE).
// Matrices travel between stand-ins as {planes, cells: [Float32Array per plane]}.
"use strict";

const net = require("net");

function encodeMatrix(m, timeMs) {
  const n = m.cells[0].length, planes = m.planes;
  const head = Buffer.alloc(8 + 288);
  head.write("JMTX", 0, "latin1");
  head.writeInt32BE(288, 4);
  head.write("JMTX", 8, "latin1");
  head.writeInt32BE(288, 12);
  head.writeInt32BE(planes, 16);
  head.writeInt32BE(2, 20);            // float32
  head.writeInt32BE(1, 24);            // dimcount
  head.writeInt32BE(n, 28);            // dim[0]
  head.writeInt32BE(4 * planes, 28 + 128);        // dimstride[0]
  head.writeInt32BE(4 * planes * n, 28 + 132);    // dimstride[1]
  head.writeInt32BE(4 * planes * n, 28 + 256);    // datasize
  head.writeDoubleBE(timeMs, 28 + 260);
  const data = Buffer.alloc(4 * planes * n);
  for (let i = 0; i < n; i++) for (let p = 0; p < planes; p++) data.writeFloatLE(m.cells[p][i], 4 * (i * planes + p));
  return Buffer.concat([head, data]);
}

function encodeMessage(atoms) {   // atoms: [{t, v}], the first one the selector
  const parts = [];
  const sym = (s) => Buffer.concat([Buffer.from("s"), Buffer.from(String(s) + "\0", "utf8")]);
  parts.push(sym(atoms[0].v));
  for (const a of atoms.slice(1)) {
    const b = Buffer.alloc(5);
    if (a.t === "i") { b.write("l", 0); b.writeInt32BE(a.v, 1); parts.push(b); }
    else if (a.t === "f") { b.write("f", 0); b.writeFloatBE(a.v, 1); parts.push(b); }
    else parts.push(sym(a.v));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(16);
  head.write("JMMP", 0, "latin1");
  head.writeInt32BE(8 + body.length, 4);
  head.writeInt32BE(8 + body.length, 8);
  head.writeInt32BE(atoms.length - 1, 12);
  return Buffer.concat([head, body]);
}

function decodeMessage(body) {
  const argc = body.readInt32BE(4);
  let pos = 8;
  const readSym = () => { const end = body.indexOf(0, pos); const s = body.toString("utf8", pos, end); pos = end + 1; return s; };
  pos++;   // 's'
  const atoms = [{t: "s", v: readSym()}];
  for (let i = 0; i < argc; i++) {
    const code = String.fromCharCode(body[pos++]);
    if (code === "l") { atoms.push({t: "i", v: body.readInt32BE(pos)}); pos += 4; }
    else if (code === "f") { atoms.push({t: "f", v: body.readFloatBE(pos)}); pos += 4; }
    else atoms.push({t: "s", v: readSym()});
  }
  return atoms;
}

// Reads chunks from a TCP stream; calls onChunk(kind, body, data) (data: a matrix's cells).
function chunkReader(onChunk) {
  let buf = Buffer.alloc(0), matrix = null;
  return (data) => {
    buf = Buffer.concat([buf, data]);
    for (;;) {
      if (matrix) {
        if (buf.length < matrix.datasize) return;
        const cells = buf.subarray(0, matrix.datasize);
        buf = buf.subarray(matrix.datasize);
        const m = matrix; matrix = null;
        onChunk("JMTX", m, cells);
        continue;
      }
      if (buf.length < 8) return;
      const kind = buf.toString("latin1", 0, 4);
      if (kind === "JMLP" && buf.length >= 32) { buf = buf.subarray(32); continue; }   // a latency answer
      if (kind === "JMLP") return;
      const size = buf.readInt32BE(4);
      if (buf.length < 8 + size) return;
      const body = buf.subarray(8, 8 + size);
      buf = buf.subarray(8 + size);
      if (kind === "JMTX") {
        matrix = {planes: body.readInt32BE(8), n: body.readInt32BE(20), datasize: body.readInt32BE(20 + 256),
                  time: body.readDoubleBE(20 + 260)};
      } else if (kind === "JMMP") {
        onChunk("JMMP", body, null);
      } else {
        throw new Error("jitter stand-in: chunk " + kind);
      }
    }
  };
}

function cellsOf(m, data) {
  const cells = [];
  for (let p = 0; p < m.planes; p++) cells.push(new Float32Array(m.n));
  for (let i = 0; i < m.n; i++) for (let p = 0; p < m.planes; p++) cells[p][i] = data.readFloatLE(4 * (i * m.planes + p));
  return {planes: m.planes, cells};
}

// ---------------------------------------------------------------- the objects
// Each maker gets (rt, obj, out, plain, args) and sets obj.receive; returns nothing.
function attr(args, name, dflt) {
  const i = args.findIndex((x) => x.v === "@" + name);
  return i >= 0 ? args[i + 1].v : dflt;
}

const makers = {
  "jit.catch~"(rt, obj, out, plain, args) {
    obj.planes = Number((plain[0] || {v: 1}).v);
    obj.pending = [];   // Float32Array per plane, per vector
    obj.capture = (vectors) => { if (rt.dspOn !== false) obj.pending.push(vectors); };   // the signal side
    obj.receive = (inlet, sel) => {
      if (sel !== "bang") throw new Error("jit.catch~: only bang is used");
      if (!obj.pending.length) return;
      const n = obj.pending.reduce((s, v) => s + v[0].length, 0);
      const cells = [];
      for (let p = 0; p < obj.planes; p++) {
        const c = new Float32Array(n);
        let pos = 0;
        for (const v of obj.pending) { c.set(v[p], pos); pos += v[p].length; }
        cells.push(c);
      }
      obj.pending = [];
      out(0, "jit_matrix", [{t: "m", v: {planes: obj.planes, cells}}]);
    };
  },

  "gate"(rt, obj, out) {
    obj.open = 0;
    obj.receive = (inlet, sel, a) => {
      if (inlet === 0) { obj.open = Number(a[0].v); return; }
      if (obj.open) out(obj.open - 1, sel, a);
    };
  },

  "onebang"(rt, obj, out) {
    obj.armed = false;
    obj.receive = (inlet, sel) => {
      if (inlet === 1) { obj.armed = true; return; }
      if (obj.armed) { obj.armed = false; out(0, "bang", []); } else out(1, "bang", []);
    };
  },

  "jit.matrix"(rt, obj, out, plain) {
    obj.planes = Number(plain[0].v);
    obj.n = Number(plain[2].v);
    obj.receive = (inlet, sel, a) => {
      if (sel === "dim") { obj.n = Number(a[0].v); return; }
      if (sel !== "bang") throw new Error("jit.matrix: " + sel);
      const cells = [];
      for (let p = 0; p < obj.planes; p++) cells.push(new Float32Array(obj.n));
      out(0, "jit_matrix", [{t: "m", v: {planes: obj.planes, cells}}]);
    };
  },

  "jit.net.send"(rt, obj, out, plain, args) {
    obj.ip = String(attr(args, "ip", "127.0.0.1"));
    obj.port = Number(attr(args, "port", 7474));
    obj.sock = null;
    obj.connected = false;
    obj.sentMatrices = 0;
    const connect = () => {
      if (obj.sock) obj.sock.destroy();
      const s = net.createConnection({host: obj.ip, port: obj.port});
      s.setNoDelay(true);
      obj.sock = s;
      rt.sockets.push(s);
      s.on("connect", () => { obj.connected = true; out(0, "connected", [{t: "i", v: 1}]); });
      s.on("data", () => {});   // JMLP latency answers
      s.on("error", () => {});
      s.on("close", () => { if (obj.sock === s) { obj.connected = false; out(0, "connected", [{t: "i", v: 0}]); } });
    };
    obj.receive = (inlet, sel, a) => {
      if (inlet === 0 && (sel === "port" || sel === "ip")) {
        obj[sel] = sel === "port" ? Number(a[0].v) : String(a[0].v);
        connect();
        return;
      }
      if (inlet === 0 && sel === "jit_matrix") {
        if (obj.connected) { obj.sock.write(encodeMatrix(a[0].v, Date.now())); obj.sentMatrices++; }
        return;
      }
      if (inlet === 1) {
        if (obj.connected) obj.sock.write(encodeMessage([{t: "s", v: sel}].concat(a)));
        return;
      }
      throw new Error("jit.net.send: " + sel);
    };
  },

  "jit.net.recv"(rt, obj, out, plain, args) {
    obj.server = null;
    obj.matrices = 0;
    const listen = (port) => {
      if (obj.server) obj.server.close();
      obj.server = net.createServer((c) => {
        c.setNoDelay(true);
        rt.sockets.push(c);
        out(2, "connected", [{t: "i", v: 1}]);
        c.on("error", () => {});
        c.on("data", chunkReader((kind, m, data) => {
          if (kind === "JMTX") {
            c.write(Buffer.concat([Buffer.from("JMLP"), Buffer.alloc(28)]));
            obj.matrices++;
            out(0, "jit_matrix", [{t: "m", v: cellsOf(m, data)}]);
          } else {
            const atoms = decodeMessage(m);
            out(1, atoms[0].v, atoms.slice(1));
          }
        }));
      });
      rt.sockets.push(obj.server);
      obj.server.listen(port, "127.0.0.1");
    };
    obj.receive = (inlet, sel, a) => {
      if (sel === "port") { listen(Number(a[0].v)); return; }
      throw new Error("jit.net.recv: " + sel);
    };
  },

  "jit.release~"(rt, obj, out, plain, args) {
    obj.planes = Number((plain[0] || {v: 1}).v);
    obj.latencyMs = Number(attr(args, "latency", 0));
    obj.fifo = [];        // [cells per plane, read offset]
    obj.buffered = 0;
    obj.playing = false;
    obj.underruns = 0;
    obj.receive = (inlet, sel, a) => {
      if (sel === "latency") { obj.latencyMs = Number(a[0].v); return; }
      if (sel !== "jit_matrix") throw new Error("jit.release~: " + sel);
      const m = a[0].v;
      obj.fifo.push({cells: m.cells, off: 0});
      obj.buffered += m.cells[0].length;
    };
    // The signal side: n samples per plane (zeros, and an underrun counted, when data is missing).
    obj.pull = (n) => {
      const outv = [];
      for (let p = 0; p < obj.planes; p++) outv.push(new Float32Array(n));
      if (!obj.playing && obj.buffered > 0 && obj.buffered >= obj.latencyMs * rt.sampleRate / 1000) obj.playing = true;
      if (!obj.playing) return outv;
      let i = 0;
      while (i < n && obj.fifo.length) {
        const f = obj.fifo[0];
        const take = Math.min(n - i, f.cells[0].length - f.off);
        for (let p = 0; p < obj.planes; p++) outv[p].set(f.cells[p].subarray(f.off, f.off + take), i);
        f.off += take; i += take; obj.buffered -= take;
        if (f.off >= f.cells[0].length) obj.fifo.shift();
      }
      if (i < n) obj.underruns++;
      return outv;
    };
  },
};

module.exports = {makers, encodeMatrix, encodeMessage, decodeMessage};
