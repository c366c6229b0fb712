// Minimal WAV files for the buffer~ stand-in: writes 32-bit float, reads PCM 16/24/32 and float 32/64.
"use strict";

const fs = require("fs");

function write(path, channels, sampleRate) {
  const nch = channels.length;
  const frames = nch ? channels[0].length : 0;
  const data = Buffer.alloc(frames * nch * 4);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < nch; c++) data.writeFloatLE(channels[c][f], 4 * (f * nch + c));
  }
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(3, 0);                      // IEEE float
  fmt.writeUInt16LE(nch, 2);
  fmt.writeUInt32LE(Math.round(sampleRate), 4);
  fmt.writeUInt32LE(Math.round(sampleRate) * nch * 4, 8);
  fmt.writeUInt16LE(nch * 4, 12);
  fmt.writeUInt16LE(32, 14);
  const chunk = (id, body) => {
    const h = Buffer.alloc(8); h.write(id, 0, "ascii"); h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body, Buffer.alloc(body.length % 2)]);
  };
  const body = Buffer.concat([Buffer.from("WAVE", "ascii"), chunk("fmt ", fmt), chunk("data", data)]);
  const riff = Buffer.alloc(8); riff.write("RIFF", 0, "ascii"); riff.writeUInt32LE(body.length, 4);
  fs.writeFileSync(path, Buffer.concat([riff, body]));
}

function read(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") throw new Error(path + ": not a WAV file");
  let off = 12, format = 0, nch = 0, sampleRate = 0, bits = 0, data = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString("ascii", off, off + 4);
    const n = buf.readUInt32LE(off + 4);
    const body = buf.subarray(off + 8, off + 8 + n);
    if (id === "fmt ") {
      format = body.readUInt16LE(0); nch = body.readUInt16LE(2); sampleRate = body.readUInt32LE(4); bits = body.readUInt16LE(14);
      if (format === 0xfffe) format = body.readUInt16LE(24);
    } else if (id === "data") {
      data = body;
    }
    off += 8 + n + (n % 2);
  }
  if (!data) throw new Error(path + ": no data chunk");
  const bytes = bits / 8;
  const frames = Math.floor(data.length / (bytes * nch));
  const channels = [];
  for (let c = 0; c < nch; c++) channels.push(new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < nch; c++) {
      const o = (f * nch + c) * bytes;
      let v;
      if (format === 3 && bits === 32) v = data.readFloatLE(o);
      else if (format === 3 && bits === 64) v = data.readDoubleLE(o);
      else if (format === 1 && bits === 16) v = data.readInt16LE(o) / 32768;
      else if (format === 1 && bits === 24) v = data.readIntLE(o, 3) / 8388608;
      else if (format === 1 && bits === 32) v = data.readInt32LE(o) / 2147483648;
      else throw new Error(`${path}: unsupported WAV format ${format}/${bits}`);
      channels[c][f] = v;
    }
  }
  return {channels, sampleRate};
}

module.exports = {write, read};
