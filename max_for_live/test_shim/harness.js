#!/usr/bin/env node
// Runs bridge.maxpat against a real daemon, without Max: the patch's message graph
// and [js] scripts run in patch_runtime.js, OSC goes over real UDP, and this file
// emulates the signal side (the counter, the input and output rings) and the user.
//
//   node harness.js --scenario protocol --daemon-port P --files DIR --out summary.json
//   node harness.js --scenario jitter --daemon-port P --jitter-port J --input y.f32 --frames N
//                   --margin-ms 60 --stall-at 1 --stall-ms 500 --capture out.f32 --out summary.json
//                   [--input a.f32,b.f32 --capture a.out,b.out --auto-ports 1] [--off-at S]
//   node harness.js --scenario clip --daemon-port P --files DIR --input y.f32 --sr 48000
//                   --tempo 187.5 --timesig 3/4 --bars 2 --start-ticks T --rec-at S --stall-ms 500
//                   --cycles 2 --capture clip.f32 --out summary.json
//
// protocol: every control of the patch is used (menus filled from /bridge/info,
//   dials at their extremes, stream on/off, clip record/process/play, one-shot
//   generate/play, reconnect, unload); the summary lists every OSC message sent
//   and received, daemon errors, script errors and what the audio objects got.
// jitter: the device's audio path (jit.catch~ -> jit.net.send, jit.net.recv ->
//   jit.release~, the dry delay and the crossfade) in 64-frame vectors at real-time
//   pace, with [js] in a low-priority queue that is stalled once.
// clip: the clip path's signal objects (signal.js) sample by sample at real-time pace with
//   the transport moving; Rec pressed mid-bar; [js] stalled as the take starts and ends.
"use strict";

const fs = require("fs");
const path = require("path");
const dgram = require("dgram");
const {Runtime} = require("./patch_runtime");
const {SignalGraph} = require("./signal");

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
  for (const id of ["obj-status", "obj-state", "obj-daemon-error", "obj-clipstatus", "obj-shotstatus"]) {
    texts[id] = rt.objects.get(id).text;
  }
  const numbers = {};
  for (const o of rt.byName("number").concat(rt.byName("flonum"))) numbers[o.box.id] = o.value;
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
    audio: ev.filter((e) => e.kind === "groove~" || e.kind === "sig~" || e.kind === "phasor~"),
    buffers: rt.buffers.log,
    jsErrors: rt.jsObjects().reduce((a, js) => a.concat(js.errors), []),
    texts, numbers, menus,
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

// ---------------------------------------------------------------- scenario: protocol
async function protocol(args) {
  const {rt} = await boot(args, {}, false);
  const o = (id) => rt.objects.get(id);
  const streamJs = o("obj-js-stream").js.ctx;
  rt.deliver("obj-js-stream", 0, "jitterport", [{t: "i", v: Number(args["jitter-port"])}]);
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

  // stream mode over Jitter matrices (the audio itself: the jitter scenario): on, off
  const streamOn = o("obj-stream-on");
  const closedBefore = () => streamJs.counts.closed;
  await step("stream on", async () => { streamOn.press(); await until(() => streamJs.state === "starting", 10000, "opened"); });
  let c0 = closedBefore();
  await step("stream off", async () => { streamOn.press(); await until(() => streamJs.counts.closed > c0, 10000, "closed"); });
  let since;

  // clip mode: 1 bar at 240 bpm (one second), processed with the chosen preset
  const files = args.files;
  await step("work folder", () => o("obj-folder").enter(files));
  await step("bars = 1", () => o("obj-bars").set(1));
  rt.transport = {running: true, tempo: 240, timesig: [4, 4], ticks: 0};
  let clipMarks = null;
  await step("clip: rec, 1 bar recorded, processed, played one cycle", async () => {
    clipMarks = await runClip(rt, {sr: rt.sampleRate, input: (n, ch) => tone(330)(n, ch), recAt: 0.3, cycles: 1,
                                   maxSeconds: 40});
  });

  // one-shot: generate with the model the menu chose, then play it
  since = rt.events.length;
  await step("generate", () => o("obj-generate").press(), "/bridge/generate/done", 30000);
  await until(() => o("obj-shotstatus").text.includes("ready"), 10000, "one-shot loaded");
  await step("hit", () => o("obj-hit").press());

  await sleep(1200);   // the watchdog's ping (once a second while connected)
  // reconnect, then unload the device (unlisten, stream close)
  await step("connect", () => o("obj-connect").press(), "/bridge/welcome");
  await step("stream on again", async () => { streamOn.press(); await until(() => streamJs.state === "starting", 10000, "opened"); });
  since = rt.events.length;
  c0 = closedBefore();
  rt.close();
  await until(() => rt.events.slice(since).filter((e) => e.kind === "osc-in" && e.address === "/bridge/unlistened").length >= 3,
              5000, "unlisten replies");
  await until(() => streamJs.counts.closed > c0, 5000, "close on unload");
  await sleep(200);
  const out = summary(rt, {scenario: "protocol", steps, clipMarks});
  rt.shutdown();
  return out;
}

// ---------------------------------------------------------------- scenario: jitter
// The device's audio path as Max runs it: signal vectors of 64 at real-time pace, the
// scheduler (metro) between vectors, [js] in a low-priority queue that is stalled for
// --stall-ms at --stall-at s. Input: silence until the stream starts, then y. Output:
// what plugout~ plays from that vector on, written to --capture.
// Several devices in one set: comma-separated --input and --capture files, one device each,
// all on the same signal vectors; --auto-ports 1 leaves every port to the devices ("Reply
// port" 0). --off-at S turns Stream off S seconds into the first device's input (dry path).
function makeDevice(args, index, sr, marginMs, replyPort) {
  const rt = new Runtime(PATCH, {
    numbers: "auto", isplugin: true, lowPriority: true, sampleRate: sr,
    paramValues: {"Reply port": replyPort, "Daemon port": Number(args["daemon-port"]), "Margin": marginMs},
  });
  const get = (id) => rt.objects.get(id);
  const raw = fs.readFileSync(String(args.input).split(",")[index]);
  return {
    rt, get, y: new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4),   // interleaved stereo
    catcher: get("obj-catch"), release: get("obj-release"), gain: get("obj-gain"), gate: get("obj-jit-gate"),
    delays: [get("obj-dry-delay-1"), get("obj-dry-delay-2")],
    dryLine: [new Float32Array(1 << 20), new Float32Array(1 << 20)],
    tStart: null, L: null, stallAt: null, stalls: 0, offAt: null, on: true, captured: null, capturedFrames: 0,
  };
}

async function jitterScenario(args) {
  const marginMs = Number(args["margin-ms"] || 60);
  const sr = Number(args.sr || 48000), V = 64;
  const captures = String(args.capture).split(",");
  const devices = [];
  for (let d = 0; d < captures.length; d++) {
    devices.push(makeDevice(args, d, sr, marginMs, args["auto-ports"] === "1" ? 0 : await freePort()));
  }
  const pump = setInterval(() => devices.forEach((dev) => dev.rt.runLow()), 1);
  for (const dev of devices) {
    dev.rt.start();
    dev.rt.deliver("obj-js-stream", 0, "jitterport", [{t: "i", v: Number(args["jitter-port"])}]);
  }
  await until(() => devices.every((dev) => /^connected/.test(dev.get("obj-status").text)), 20000,
              "the devices to connect");
  const n = Number(args.frames);
  const tickFrames = 5 * sr / 1000;
  const P = Math.round(marginMs * sr / 1000);
  let T = 0, tickAcc = 0;
  const stallAtS = Number(args["stall-at"] || 0), stallMs = Number(args["stall-ms"] || 0);
  const offAtS = args["off-at"] === undefined ? null : Number(args["off-at"]);
  devices.forEach((dev) => dev.get("obj-stream-on").press());
  const wallStart = Date.now();
  const finished = (dev) => dev.tStart !== null && dev.L !== null && T >= dev.tStart + n + dev.L + P + 4 * V;
  for (;;) {
    if (devices.every(finished)) break;
    if (T > (n + 60 * sr)) {
      const js = devices[0].get("obj-js-stream").js.ctx;
      throw new Error("jitter scenario did not finish within 60 s of audio after its input: stream state " + js.state
                      + ", gate " + devices[0].gate.open + ", events " + JSON.stringify(devices[0].rt.events.filter(
                        (e) => e.kind !== "osc-in" && e.kind !== "osc-out").slice(-20)));
    }
    if (T > (Date.now() - wallStart) * sr / 1000) { await sleep(1); continue; }
    // scheduler, between vectors
    tickAcc += V;
    const tick = tickAcc >= tickFrames;
    if (tick) tickAcc -= tickFrames;
    for (const dev of devices) {
      if (tick) {
        const wasOpen = dev.gate.open;
        dev.rt.emit("obj-jit-metro", 0, "bang", []);
        if (!wasOpen && dev.gate.open && dev.tStart === null) {
          dev.tStart = T;
          dev.L = dev.get("obj-js-stream").js.ctx.L;
          dev.stallAt = dev.tStart + stallAtS * sr;
          // Preallocated: a plain array grown to tens of millions of samples stalls node for longer
          // than the margin each time V8 copies it (seen at 103 s of a 600 s run), i.e. the harness
          // itself underran jit.release~.
          dev.captured = new Float32Array(2 * (n + dev.L + P + 8 * V));
          if (offAtS !== null && dev === devices[0]) dev.offAt = dev.tStart + offAtS * sr;
        }
      }
      if (stallMs && dev.stallAt !== null && T >= dev.stallAt && dev.stalls === 0) {
        dev.rt.stallUntil = Date.now() + stallMs;   // Live's interface thread busy: [js] gets nothing for stallMs
        dev.stalls++;
      }
      if (dev.offAt !== null && dev.on && T >= dev.offAt) {
        dev.get("obj-stream-on").press();   // the user turns Stream off: the device fades to its dry path
        dev.on = false;
        dev.offTime = T - dev.tStart;
      }
      // the signal vector
      const x = [new Float32Array(V), new Float32Array(V)];
      if (dev.tStart !== null) {
        for (let i = 0; i < V; i++) {
          const k = T + i - dev.tStart;
          if (k < n) { x[0][i] = dev.y[2 * k]; x[1][i] = dev.y[2 * k + 1]; }
        }
      }
      dev.catcher.capture(x);
      const wet = dev.release.pull(V);
      for (let i = 0; i < V; i++) {
        const g = dev.gain.next();
        const outv = [0, 0];
        for (let c = 0; c < 2; c++) {
          const line = dev.dryLine[c];
          line[(T + i) % line.length] = x[c][i];
          const dry = line[(T + i - dev.delays[c].delay + line.length) % line.length];
          outv[c] = wet[c][i] * g + dry * (1 - g);
        }
        if (dev.captured !== null) {
          const k = T + i - dev.tStart;
          if (2 * k + 1 < dev.captured.length) {
            dev.captured[2 * k] = outv[0];
            dev.captured[2 * k + 1] = outv[1];
            dev.capturedFrames = Math.max(dev.capturedFrames, k + 1);
          }
        }
      }
    }
    T += V;
  }
  const since = devices[0].rt.events.length;
  for (const dev of devices) { if (dev.on) dev.get("obj-stream-on").press(); }
  await until(() => devices.every((dev) => dev.get("obj-js-stream").js.ctx.counts.closed > 0), 10000,
              "the daemon's closed counts");
  clearInterval(pump);
  const each = devices.map((dev, d) => {
    const frames = dev.capturedFrames;
    const outBuf = Buffer.alloc(frames * 8);
    for (let i = 0; i < frames * 2; i++) outBuf.writeFloatLE(dev.captured[i], 4 * i);
    fs.writeFileSync(captures[d], outBuf);
    const js = dev.get("obj-js-stream").js.ctx;
    return {tStart: dev.tStart, L: dev.L, P: js.P, frames, stalls: dev.stalls, underruns: dev.release.underruns,
            matricesSent: dev.get("obj-netsend").sentMatrices, matricesBack: dev.get("obj-netrecv").matrices,
            counts: js.counts, reported: js.reported, offFrame: dev.offTime === undefined ? null : dev.offTime,
            replyPort: dev.get("obj-js-control").js.ctx.replyPort, recvPort: js.recvPort,
            errors: dev.rt.events.filter((e) => e.kind === "error").map((e) => e.text),
            thispatcher: dev.rt.events.filter((e) => e.kind === "thispatcher"),
            jsErrors: dev.rt.jsObjects().reduce((a, j) => a.concat(j.errors), [])};
  });
  const out = summary(devices[0].rt, Object.assign({scenario: "jitter", devices: each,
                                                    wallSeconds: (Date.now() - wallStart) / 1000, since}, each[0]));
  devices.forEach((dev) => dev.rt.shutdown());
  return out;
}

// ---------------------------------------------------------------- the clip path's signal
// Runs the patch's clip objects (ids obj-clip-*) sample by sample in vectors of 64 at
// real-time pace, the transport at rt.transport's tempo from its position; between vectors
// the scheduler runs ([edge~] reports). Presses Rec at recAt s. Returns the sample numbers
// where "arm", the record gate and the play gate changed, and the clip outputs.
function clipGraph(rt) {
  const ids = [...rt.objects.values()].filter((o) => o.box.id.startsWith("obj-clip-") && typeof o.tick === "function")
    .map((o) => o.box.id);
  let x = [0, 0];
  const graph = new SignalGraph(rt, ids, {"obj-in": (outlet) => x[outlet]});
  graph.setInput = (v) => { x = v; };
  return graph;
}

async function runClip(rt, opts) {
  const sr = opts.sr, V = 64;
  const graph = clipGraph(rt);
  const tr = rt.transport;
  const t0 = tr.ticks, perSample = tr.tempo * 480 / (60 * sr);
  const marks = {arm: [], gate: [], play: [], recPressed: null, stalls: []};
  const capture = opts.capture ? [] : null;
  const prev = {arm: 0, gate: 0, play: 0};
  const wallStart = Date.now();
  let T = 0, playFrom = null;
  for (;;) {
    if (playFrom !== null && T >= playFrom + opts.cycles * marks.len + V) break;
    if (T > opts.maxSeconds * sr) {
      throw new Error(`clip run: no playback within ${opts.maxSeconds} s of audio; marks ${JSON.stringify(marks)}, `
                      + `status ${rt.objects.get("obj-clipstatus").text}, errors ${JSON.stringify(rt.events.filter((e) => e.kind === "error"))}`);
    }
    if (T > (Date.now() - wallStart) * sr / 1000) { await sleep(1); continue; }
    if (marks.recPressed === null && T >= opts.recAt * sr) {
      marks.recPressed = T;
      rt.objects.get("obj-clip-rec").press();
    }
    for (let i = 0; i < V; i++) {
      const n = T + i;
      tr.ticks = t0 + n * perSample;     // not accumulated: the position is exact for dyadic rates
      graph.setInput([opts.input(n, 0), opts.input(n, 1)]);
      graph.tick();
      const now = {arm: graph.value("obj-clip-arm"), gate: graph.value("obj-clip-gate"), play: graph.value("obj-clip-playgate")};
      for (const k of ["arm", "gate", "play"]) {
        if (now[k] !== prev[k]) {
          marks[k].push([n, now[k]]);
          prev[k] = now[k];
          if (opts.stallMs && (k === "arm" || k === "gate") && now[k] === 1) {
            // Live's interface thread busy when the take starts (after the arm) and ends: [js] hears late
            rt.stallUntil = Date.now() + opts.stallMs;
            marks.stalls.push(n);
          }
          if (k === "gate" && now[k] === 1) marks.len = rt.buffers.get("---bridge_rec").frames;
          if (k === "play" && now[k] === 1 && playFrom === null) playFrom = n;
        }
      }
      if (opts.stallMs && prev.gate === 1 && marks.len && n === marks.gate[marks.gate.length - 1][0] + marks.len - Math.round(0.3 * sr)) {
        rt.stallUntil = Date.now() + opts.stallMs;
        marks.stalls.push(n);
      }
      if (capture) capture.push(graph.value("obj-clip-out-1"), graph.value("obj-clip-out-2"));
    }
    graph.flush();
    T += V;
  }
  marks.frames = T;
  if (capture) {
    const buf = Buffer.alloc(capture.length * 4);
    for (let i = 0; i < capture.length; i++) buf.writeFloatLE(capture[i], 4 * i);
    fs.writeFileSync(opts.capture, buf);
  }
  return marks;
}

async function clipScenario(args) {
  const sr = Number(args.sr || 48000);
  const replyPort = await freePort();
  const rt = new Runtime(PATCH, {
    numbers: "auto", isplugin: true, lowPriority: true, sampleRate: sr,
    paramValues: {"Reply port": replyPort, "Daemon port": Number(args["daemon-port"])},
  });
  const pump = setInterval(() => rt.runLow(), 1);
  rt.start();
  await until(() => /^connected/.test(rt.objects.get("obj-status").text), 20000, "the device to connect");
  const [num, den] = String(args.timesig || "4/4").split("/").map(Number);
  rt.transport = {running: true, tempo: Number(args.tempo), timesig: [num, den], ticks: Number(args["start-ticks"] || 0)};
  rt.objects.get("obj-folder").enter(args.files);
  rt.objects.get("obj-bars").set(Number(args.bars));
  const raw = fs.readFileSync(args.input);
  const y = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const frames = y.length / 2;
  const marks = await runClip(rt, {sr, input: (n, c) => (n < frames ? y[2 * n + c] : 0), recAt: Number(args["rec-at"]),
                                   stallMs: Number(args["stall-ms"] || 0), cycles: Number(args.cycles || 2),
                                   capture: args.capture, maxSeconds: Number(args["max-seconds"] || 60)});
  clearInterval(pump);
  const out = summary(rt, {scenario: "clip", marks, sr, tempo: rt.transport.tempo, timesig: [num, den],
                           startTicks: Number(args["start-ticks"] || 0)});
  rt.shutdown();
  return out;
}

async function main() {
  const args = parseArgs(process.argv);
  const scenarios = {protocol, jitter: jitterScenario, clip: clipScenario};
  const run = scenarios[args.scenario];
  if (!run) throw new Error("--scenario must be one of " + Object.keys(scenarios).join(", "));
  const out = await run(args);
  fs.writeFileSync(args.out, JSON.stringify(out, null, 1));
  process.exit(0);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
