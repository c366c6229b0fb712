#!/usr/bin/env node
// Runs bridge.maxpat against a real daemon, without Max: the patch's message graph
// and [js] scripts run in patch_runtime.js, OSC goes over real UDP, and this file
// emulates the signal side (the counter, the input and output rings) and the user.
//
//   node harness.js --scenario protocol --daemon-port P --files DIR --out summary.json
//   node harness.js --scenario stream --daemon-port P --input y.f32 --frames N
//                   --margin-ms 80 --capture out.f32 --out summary.json
//
// protocol: every control of the patch is used (menus filled from /bridge/info,
//   dials at their extremes, stream on/off, clip record/process/play, one-shot
//   generate/play, reconnect, unload); the summary lists every OSC message sent
//   and received, daemon errors, script errors and what the audio objects got.
// stream: a stereo signal is played into the input ring in 64-frame vectors; the
//   output ring is captured from the frame the stream started. The clock waits for
//   replies it needs (an ideal network) but never runs faster than real time.
"use strict";

const fs = require("fs");
const path = require("path");
const dgram = require("dgram");
const {Runtime} = require("./patch_runtime");

const HERE = __dirname;
const PATCH = path.join(HERE, "..", "bridge.maxpat");

function parseArgs(argv) {
  const a = {};
  for (let i = 2; i < argv.length; i++) {
    if (!argv[i].startsWith("--")) throw new Error("unexpected argument " + argv[i]);
    a[argv[i].slice(2)] = argv[i + 1];
    i++;
  }
  return a;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(pred, timeoutMs, what) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error("timed out waiting for " + what);
    await sleep(2);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.on("error", reject);
    s.bind(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// ---------------------------------------------------------------- the signal side
class Audio {
  constructor(rt, sr) {
    this.rt = rt;
    this.sr = sr;
    this.vectorSize = 64;
    const clock = rt.byName("count~")[0];
    this.ring = Number(clock.args[1].v);
    const bufArg = (name) => rt.byName(name).map((o) => String(o.args[0].v));
    this.inName = bufArg("poke~")[0];
    this.outName = bufArg("index~")[0];
    const snap = rt.byName("snapshot~")[0];
    this.snapId = snap.box.id;
    this.snapFrames = Number(snap.args[0].v) * sr / 1000;
    this.count = 0;        // [count~], wrapped
    this.T = 0;            // frames since the audio started
    this.snapAcc = 0;
    this.input = () => 0;  // (absolute frame, channel) -> sample
    this.onVector = null;  // (start T, [out channel arrays]) -> void
    this.onSnapshot = null;
  }

  vector() {
    const inB = this.rt.buffers.get(this.inName);
    const outB = this.rt.buffers.get(this.outName);
    const n = this.vectorSize;
    const played = [new Float32Array(n), new Float32Array(n)];
    for (let i = 0; i < n; i++) {
      const idx = (this.count + i) % this.ring;
      for (let c = 0; c < 2; c++) {
        inB.data[c][idx] = Math.fround(this.input(this.T + i, c));   // [poke~ IN c] at the counter
        played[c][i] = outB.data[c][idx];                             // [index~ OUT c] at the counter
      }
    }
    const start = this.count;
    const startT = this.T;
    this.count = (this.count + n) % this.ring;
    this.T += n;
    this.snapAcc += n;
    while (this.snapAcc >= this.snapFrames) {
      this.snapAcc -= this.snapFrames;
      if (this.onSnapshot) this.onSnapshot(startT);
      this.rt.emit(this.snapId, 0, "float", [{t: "f", v: start}]);   // [snapshot~] reads the counter
    }
    if (this.onVector) this.onVector(startT, played);
  }
}

// ---------------------------------------------------------------- common set-up
async function boot(args, extraParams, isplugin) {
  const replyPort = await freePort();
  const rt = new Runtime(PATCH, {
    numbers: args.numbers || "auto",
    isplugin,
    sampleRate: Number(args.sr || 44100),
    paramValues: Object.assign({"Reply port": replyPort, "Daemon port": Number(args["daemon-port"])}, extraParams),
  });
  rt.start();
  const status = rt.objects.get("obj-status");
  await until(() => /^connected/.test(status.text) && rt.objects.get("obj-menu-preset").items.length > 0,
              20000, "the device to connect and fill its menus");
  return {rt, replyPort};
}

function summary(rt, extra) {
  const texts = {};
  for (const id of ["obj-status", "obj-latency", "obj-counts", "obj-daemon", "obj-clipstatus", "obj-shotstatus"]) {
    texts[id] = rt.objects.get(id).text;
  }
  const menus = {};
  for (const o of rt.byName("umenu")) menus[o.box.id] = o.items;
  const ev = rt.events;
  return Object.assign({
    sent: ev.filter((e) => e.kind === "osc-out").map((e) => ({address: e.address, types: e.types, args: e.args.slice(0, 8)})),
    received: ev.filter((e) => e.kind === "osc-in").map((e) => ({address: e.address, types: e.types, args: e.args.slice(0, 8)})),
    errors: ev.filter((e) => e.kind === "error").map((e) => e.text),
    posts: ev.filter((e) => e.kind === "post").map((e) => e.js + ": " + e.text),
    prints: ev.filter((e) => e.kind === "print").map((e) => e.name + ": " + e.text),
    thispatcher: ev.filter((e) => e.kind === "thispatcher"),
    audio: ev.filter((e) => e.kind === "groove~" || e.kind === "sig~" || e.kind === "record"),
    buffers: rt.buffers.log,
    jsErrors: rt.jsObjects().reduce((a, js) => a.concat(js.errors), []),
    texts, menus,
  }, extra);
}

function hasReply(rt, address, since) {
  return rt.events.slice(since).some((e) => e.kind === "osc-in" && e.address === address);
}

async function expectReply(rt, address, since, what, timeoutMs) {
  await until(() => hasReply(rt, address, since) || rt.events.slice(since).some((e) => e.kind === "osc-in" && e.address === "/bridge/error"),
              timeoutMs || 10000, what + " (" + address + ")");
}

function tone(freq) {
  return (t, c) => 0.2 * Math.sin(2 * Math.PI * freq * (c ? 1.5 : 1) * t / 44100);
}

async function runAudio(audio, seconds) {
  const frames = seconds * audio.sr;
  const start = Date.now();
  let done = 0;
  while (done < frames) {
    const allowed = (Date.now() - start) * audio.sr / 1000;
    while (done < allowed && done < frames) { audio.vector(); done += audio.vectorSize; }
    await sleep(1);
  }
}

// ---------------------------------------------------------------- scenario: protocol
async function protocol(args) {
  const {rt} = await boot(args, {}, false);
  const o = (id) => rt.objects.get(id);
  const audio = new Audio(rt, rt.sampleRate);
  audio.input = tone(220);
  const steps = [];
  const step = async (what, action, reply, timeoutMs) => {
    const since = rt.events.length;
    await action();
    if (reply) await expectReply(rt, reply, since, what, timeoutMs);
    steps.push(what);
  };

  // every preset, every target, morph partners (from the menus /bridge/info filled)
  const presetMenu = o("obj-menu-preset");
  for (let i = 0; i < presetMenu.items.length; i++) {
    await step("preset " + presetMenu.items[i], () => presetMenu.select(i), "/bridge/preset/loaded");
  }
  const targetMenu = o("obj-menu-target");
  for (let i = 0; i < targetMenu.items.length; i++) {
    await step("target " + targetMenu.items[i], () => targetMenu.select(i), "/bridge/param");
  }
  const morphMenu = o("obj-menu-morph");
  for (let i = morphMenu.items.length - 1; i >= 0; i--) {
    await step("morph with " + morphMenu.items[i], () => morphMenu.select(i), "/bridge/param");
  }
  // each dial at its minimum, maximum and middle
  for (const name of ["strength", "steps", "mix", "morph", "seed"]) {
    const d = o("obj-dial-" + name);
    const lo = d.param.parameter_mmin, hi = d.param.parameter_mmax;
    for (const v of [lo, hi, (lo + hi) / 2]) {
      await step(`${name} = ${v}`, () => d.set(v), "/bridge/param");
    }
  }
  // back to the daemon's default preset
  const def = presetMenu.items.indexOf("guitar-to-violin");
  await step("preset guitar-to-violin", () => presetMenu.select(def >= 0 ? def : 0), "/bridge/preset/loaded");
  await until(() => rt.events.filter((e) => e.kind === "osc-in" && e.address === "/bridge/info/end").length >= 2, 5000, "info after preset");

  // stream mode: on, half a second of audio, off
  const streamOn = o("obj-stream-on");
  await step("stream on", () => streamOn.press(), "/bridge/stream/opened");
  let since = rt.events.length;
  await runAudio(audio, 0.6);
  await expectReply(rt, "/bridge/audio/out", since, "stream replies");
  await sleep(300);
  await runAudio(audio, 0.1);
  await step("stream off", () => streamOn.press(), "/bridge/stream/closed");

  // clip mode: 1 bar at 240 bpm (one second), processed with the chosen preset
  const files = args.files;
  o("obj-transport").tempo = 240;
  await step("work folder", () => o("obj-folder").enter(files));
  await step("bars = 1", () => o("obj-bars").set(1));
  rt.listeners.record.push((ev) => {
    if (ev.on) {   // what [record~] would have captured by the end of the bar
      const b = rt.buffers.get(ev.buffer);
      for (let c = 0; c < b.channels; c++) for (let i = 0; i < b.frames; i++) b.data[c][i] = tone(330)(i, c);
    }
  });
  const bar = () => rt.emit("obj-bar-metro", 0, "bang", []);
  await step("rec", () => o("obj-clip-rec").press());
  await step("bar 1 (recording starts)", bar);
  since = rt.events.length;
  await step("bar 2 (recording ends)", bar);
  await expectReply(rt, "/bridge/file/done", since, "clip processed", 30000);
  await until(() => o("obj-clipstatus").text.includes("next bar"), 10000, "clip loaded");
  await step("bar 3 (clip starts)", bar);
  await step("bar 4 (clip restarts)", bar);

  // one-shot: generate with the model the menu chose, then play it
  since = rt.events.length;
  await step("generate", () => o("obj-generate").press(), "/bridge/generate/done", 30000);
  await until(() => o("obj-shotstatus").text.includes("ready"), 10000, "one-shot loaded");
  await step("hit", () => o("obj-hit").press());

  // reconnect, then unload the device (unlisten, stream close)
  await step("connect", () => o("obj-connect").press(), "/bridge/welcome");
  await step("stream on again", () => streamOn.press(), "/bridge/stream/opened");
  await runAudio(audio, 0.2);
  since = rt.events.length;
  rt.close();
  await until(() => rt.events.slice(since).filter((e) => e.kind === "osc-in" && e.address === "/bridge/unlistened").length >= 3,
              5000, "unlisten replies");
  await expectReply(rt, "/bridge/stream/closed", since, "close on unload");
  await sleep(200);
  const out = summary(rt, {scenario: "protocol", steps});
  rt.shutdown();
  return out;
}

// ---------------------------------------------------------------- a fake daemon
// Answers like bridge serve, with an identity "model": its output is its input delayed
// by exactly `latency` frames. `faults` drops or delays replies to chosen seqs, or swaps
// the order of two replies, to exercise the script's loss and lateness handling.
function fakeDaemon(latency, faults) {
  const osc = require("./osc");
  const sock = dgram.createSocket("udp4");
  let replyPort = 9001, fifo = null, nch = 2, held = null;
  const send = (addr, atoms) => sock.send(osc.encode(addr, atoms), replyPort, "127.0.0.1");
  const I = (v) => ({t: "i", v}), F = (v) => ({t: "f", v}), S = (v) => ({t: "s", v});
  sock.on("message", (data) => {
    for (const m of osc.decode(data)) {
      const a = m.args.map((x) => x.v);
      if (m.address === "/bridge/hello") { replyPort = a[0]; send("/bridge/welcome", [S("fake"), I(replyPort), S("none")]); }
      else if (m.address === "/bridge/ping") send("/bridge/pong", [I(a[0])]);
      else if (m.address === "/bridge/listen") send("/bridge/listening", [S(a[0])]);
      else if (m.address === "/bridge/unlisten") send("/bridge/unlistened", [S(a[0])]);
      else if (m.address === "/bridge/status") { /* nothing to report */ }
      else if (m.address === "/bridge/info") {
        send("/bridge/info/version", [S("fake"), I(1)]);
        send("/bridge/info/model", [S("identity"), I(22050), I(80), I(64), I(256), I(0)]);
        send("/bridge/info/preset", [S("identity"), S("transfer"), S("identity"), S("")]);
        send("/bridge/info/preset/current", [S("identity")]);
        send("/bridge/info/end", [I(1), I(1)]);
      } else if (m.address === "/bridge/stream/open") {
        nch = a[2]; fifo = new Array(latency * nch).fill(0);
        send("/bridge/stream/opened", [I(a[0]), I(latency), F(1000 * latency / a[1]), I(a[1]), I(nch)]);
      } else if (m.address === "/bridge/stream/close") {
        send("/bridge/stream/closed", [I(a[0]), I(0), I(0), I(0), I(0), I(0), I(0)]);
      } else if (m.address === "/bridge/audio/in") {
        const seq = a[1];
        for (const v of a.slice(2)) fifo.push(v);
        const out = fifo.splice(0, a.length - 2);
        const reply = () => send("/bridge/audio/out", [I(a[0]), I(seq)].concat(out.map(F)));
        if (faults.drop.includes(seq)) continue;
        if (faults.delayMs[seq]) { setTimeout(reply, faults.delayMs[seq]); continue; }
        if (faults.swap.includes(seq)) { held = reply; continue; }   // sent after the next one
        reply();
        if (held) { held(); held = null; }
      }
    }
  });
  return new Promise((resolve) => sock.bind(0, "127.0.0.1", () => resolve({port: sock.address().port, sock})));
}

// ---------------------------------------------------------------- scenario: stream
async function stream(args) {
  const marginMs = Number(args["margin-ms"] || 80);
  let fake = null;
  const faults = {drop: [], delayMs: {}, swap: []};
  if (args.fake) {
    for (const s of (args.drop || "").split(",").filter(Boolean)) faults.drop.push(Number(s));
    for (const s of (args.late || "").split(",").filter(Boolean)) faults.delayMs[Number(s)] = 1000;
    for (const s of (args.swap || "").split(",").filter(Boolean)) faults.swap.push(Number(s));
    fake = await fakeDaemon(Number(args.fake), faults);
    args["daemon-port"] = fake.port;
  }
  const realtime = args.realtime !== "0";
  const {rt} = await boot(args, {"Margin": marginMs}, true);
  const sr = rt.sampleRate;
  const raw = fs.readFileSync(args.input);
  const y = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);   // interleaved stereo
  const n = Number(args.frames);
  const audio = new Audio(rt, sr);

  let L = null, t0 = null, t0Pending = false, cf = null, sentSeqs = 0, stalls = 0;
  const received = new Set();
  rt.listeners.oscIn.push((e) => {
    if (e.address === "/bridge/stream/opened") { L = e.args[1]; if (t0 === null) t0Pending = true; }
    if (e.address === "/bridge/audio/out") received.add(e.args[1]);
  });
  rt.listeners.oscOut.push((e) => {
    if (e.address !== "/bridge/audio/in") return;
    sentSeqs = Math.max(sentSeqs, e.args[1] + 1);
    if (cf === null) cf = (e.types.length - 3) / 2;   // ",ii" + 2 floats a frame
  });
  audio.input = (t, c) => (t0 !== null && t >= t0 && t - t0 < n ? y[2 * (t - t0) + c] : 0);
  audio.onSnapshot = (vectorStartT) => {
    // The script starts its stream at the first counter reading after /bridge/stream/opened.
    if (t0Pending) {
      t0Pending = false;
      t0 = vectorStartT;
      const inB = rt.buffers.get(audio.inName);
      for (let t = t0; t < audio.T + audio.vectorSize; t++) {   // frames of this vector, written before t0 was known
        for (let c = 0; c < 2; c++) inB.data[c][t % audio.ring] = Math.fround(audio.input(t, c));
      }
    }
  };
  const captured = [];
  audio.onVector = (startT, played) => {
    if (t0 === null) return;
    for (let i = 0; i < played[0].length; i++) {
      const k = startT + i - t0;
      if (k >= 0) { captured[2 * k] = played[0][i]; captured[2 * k + 1] = played[1][i]; }
    }
  };

  rt.objects.get("obj-stream-on").press();
  const P = Math.round(marginMs * sr / 1000);
  const wallStart = Date.now();
  let done = 0;
  for (;;) {
    if (t0 !== null && L !== null && audio.T >= t0 + P + L + n + 2 * audio.vectorSize) break;
    if (realtime && done > (Date.now() - wallStart) * sr / 1000) { await sleep(1); continue; }
    if (!realtime && done % (64 * audio.vectorSize) === 0) await sleep(0);   // let UDP in
    if (t0 !== null && cf) {
      // replies needed to play the next vector (not those the fake daemon withholds)
      const from = Math.max(0, Math.floor((audio.T - t0 - P) / cf));
      const to = Math.floor((audio.T + audio.vectorSize - 1 - t0 - P) / cf);
      const missing = [];
      for (let s = from; s <= to && s < sentSeqs; s++) {
        if (!received.has(s) && !faults.drop.includes(s) && !faults.delayMs[s]) missing.push(s);
      }
      if (missing.length) {
        stalls++;
        try { await until(() => missing.every((s) => received.has(s)), 30000, "replies " + missing.join(",")); }
        catch (e) { rt.error(e.message); }
      }
    }
    audio.vector();
    done += audio.vectorSize;
    if (audio.T - (t0 || 0) > n + 60 * sr) throw new Error("stream scenario did not finish within 60 s of audio");
  }
  if (Object.keys(faults.delayMs).length) await sleep(1200);   // let the late replies arrive
  audio.vector();   // and a head, so the script counts them
  const since = rt.events.length;
  rt.objects.get("obj-stream-on").press();
  await expectReply(rt, "/bridge/stream/closed", since, "stream close");
  const frames = Math.floor(captured.length / 2);
  const outBuf = Buffer.alloc(frames * 8);
  for (let i = 0; i < frames * 2; i++) outBuf.writeFloatLE(captured[i] === undefined ? NaN : captured[i], 4 * i);
  fs.writeFileSync(args.capture, outBuf);
  const out = summary(rt, {scenario: "stream", t0, L, P, chunkFrames: cf, sent: [], received: [], frames, stalls,
                           chunksSent: sentSeqs, repliesReceived: received.size, ring: audio.ring,
                           streamState: streamState(rt)});
  rt.shutdown();
  if (fake) fake.sock.close();
  return out;
}

// Counters from the stream script (what its display shows).
function streamState(rt) {
  const js = rt.objects.get("obj-js-stream").js.ctx;
  return {counts: js.counts, P: js.P, L: js.L, chunkFrames: js.chunkFrames, ring: js.RING};
}

async function main() {
  const args = parseArgs(process.argv);
  const scenarios = {protocol, stream};
  const run = scenarios[args.scenario];
  if (!run) throw new Error("--scenario must be one of " + Object.keys(scenarios).join(", "));
  const out = await run(args);
  fs.writeFileSync(args.out, JSON.stringify(out, null, 1));
  process.exit(0);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
