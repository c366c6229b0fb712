// OSC 1.0 encoding as Max's [udpsend] does it, and decoding as [udpreceive] does.
// Max atoms are {t: "i"|"f"|"s", v}: ints go out as int32 "i", floats as float32 "f",
// symbols as "s". Incoming doubles ("d") become 0, as measured for [udpreceive].
"use strict";

function pad4(n) { return (4 - (n % 4)) % 4; }

function oscString(s) {
  const b = Buffer.from(String(s), "utf8");
  return Buffer.concat([b, Buffer.alloc(1 + pad4(b.length + 1))]);
}

function encode(address, atoms) {
  let tags = ",";
  const parts = [];
  for (const a of atoms) {
    if (a.t === "i") {
      const b = Buffer.alloc(4); b.writeInt32BE(a.v | 0); parts.push(b); tags += "i";
    } else if (a.t === "f") {
      const b = Buffer.alloc(4); b.writeFloatBE(a.v); parts.push(b); tags += "f";
    } else if (a.t === "s") {
      parts.push(oscString(a.v)); tags += "s";
    } else {
      throw new Error("cannot send atom " + JSON.stringify(a));
    }
  }
  return Buffer.concat([oscString(address), oscString(tags), ...parts]);
}

function readString(buf, off) {
  let end = off;
  while (end < buf.length && buf[end] !== 0) end++;
  if (end >= buf.length) throw new Error("unterminated OSC string");
  const s = buf.toString("utf8", off, end);
  return [s, end + 1 + pad4(end + 1 - off)];
}

// Returns [{address, types, args: atoms}] for a message or a bundle.
function decode(buf) {
  if (buf.length >= 8 && buf.toString("ascii", 0, 8) === "#bundle\0") {
    const out = [];
    let off = 16;
    while (off + 4 <= buf.length) {
      const n = buf.readInt32BE(off);
      out.push(...decode(buf.subarray(off + 4, off + 4 + n)));
      off += 4 + n;
    }
    return out;
  }
  let [address, off] = readString(buf, 0);
  let types = ",";
  if (off < buf.length) { [types, off] = readString(buf, off); }
  const args = [];
  for (const t of types.slice(1)) {
    if (t === "i") { args.push({t: "i", v: buf.readInt32BE(off)}); off += 4; }
    else if (t === "f") { args.push({t: "f", v: buf.readFloatBE(off)}); off += 4; }
    else if (t === "s") { let s; [s, off] = readString(buf, off); args.push({t: "s", v: s}); }
    else if (t === "d") { args.push({t: "f", v: 0}); off += 8; }            // what Max does with doubles
    else if (t === "b") { const n = buf.readInt32BE(off); args.push({t: "b", v: buf.subarray(off + 4, off + 4 + n)}); off += 4 + n + pad4(n); }
    else if (t === "h") { args.push({t: "i", v: 0}); off += 8; }
    else if (t === "T" || t === "F" || t === "N" || t === "I") { args.push({t: "i", v: t === "T" ? 1 : 0}); }
    else { throw new Error("unknown OSC type tag " + t); }
  }
  return [{address, types, args}];
}

module.exports = {encode, decode};
