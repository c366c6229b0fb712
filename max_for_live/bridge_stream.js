// bridge_stream.js - stream mode for the bridge device (Max classic [js], ES5 only).
//
// No audio passes through this script. Classic [js] runs in Max's low-priority queue,
// which in Live is the interface thread: a browser scan or a set save would stall it.
// The audio path is built of Max objects in the scheduler and signal domains:
//   [plugin~] -> [jit.catch~ 2 @mode 0] -> [gate] -> [jit.net.send]   (TCP to bridge serve)
//   [jit.net.recv] -> [jit.release~ 2 @mode 0] -> wet
//   [plugin~] -> [delay~ L+P] -> dry;   out = wet * g + dry * (1 - g), g from [line~]
// A [metro 5] banging [jit.catch~] drives the matrices; the daemon answers each with a
// matrix of the same size, its input delayed by L samples (it says L in "opened").
//
// What this script does (control only):
// - opens the stream in band: "open <stream> <rate> <channels> <return port>" into
//   [jit.net.send]'s right inlet; the daemon connects back to [jit.net.recv] on that port;
// - on "opened <stream> L ...", sizes the silence that primes [jit.release~] to P samples
//   (the margin), sets the dry delay to L + P, reports L + P to Live and arms [onebang]:
//   at the next metro tick the gate opens and [jit.release~] gets the P samples, so output
//   sample k plays exactly L + P samples after input sample k (both start on that tick's
//   vector boundary); then it fades from dry to wet;
// - fades back to the dry signal (same latency) when Stream is off, the daemon goes away
//   or the stream is lost, and reopens by itself.
//
// Inlet 0: from the patch (samplerate, dsp, stream, playdelay, daemonport, ready, started,
//          jit <daemon message>, senddump/recvdump <connection state>).
// Inlet 1: OSC replies routed to stream handlers (the device does not stream over OSC).
// Outlet 0: OSC to [udpsend] (unused by this script).
// Outlet 1: display, as numbers into number boxes (a string with numbers in it would be a new
//           symbol in Max's symbol table at every update): "latency <ms> <samples> <daemon ms>",
//           "counts <late> <lost> <reopens>", "daemon <steps> <p50 ms> <p99 ms>"; "state <word>"
//           and "daemonerror <code>" are symbols from a fixed set.
// Outlet 2: "latency <samples>" for Live's delay compensation (Max for Live only).
// Outlet 3: control of the audio objects: net, netattr, recvattr, arm, primedim,
//           releaseattr, gate, gain, drydelay (through [route]).

autowatch = 1;
inlets = 2;
outlets = 4;

var STREAM_ID = 1;        // one stream per jit.net.send connection: the daemon keys by connection
var NCH = 2;              // the device is stereo
var FADE_MS = 20;

var host = "127.0.0.1";
var jitterPort = 9002;    // bridge serve --jitter-port: its OSC port + 2 by default
var recvPort = 0;         // this device's [jit.net.recv], picked at random (two devices never share one)
var sr = 0;
var dspOn = 0;
var enabled = 0;
var playMs = 60;          // P in ms (the "Margin" control)
var P = 0;
var state = "off";        // off | opening | starting | open
var L = 0;
var daemonMs = 0;
var reported = -1;
var openSentAt = 0;
var sendConnected = 0;
var counts = {opened: 0, closed: 0, lost: 0, late: 0, undelivered: 0, chunksIn: 0, chunksOut: 0, reopens: 0};
var lastShown = 0;
var showPending = 0;

var watchdog = new Task(tick, this);
watchdog.interval = 1000;

function post_(s) { post("bridge~ " + s + "\n"); }
function now() { return new Date().getTime(); }

function isPlugin() {
    return (typeof max !== "undefined" && max !== null && max.isplugin) ? 1 : 0;
}

function setP() {
    P = sr > 0 ? Math.round(playMs * sr / 1000.0) : 0;
}

function pickPort() {
    return 40000 + Math.floor(Math.random() * 20000);
}

// ---------------------------------------------------------------- patch -> script
function ready() {
    if (!recvPort) { recvPort = pickPort(); }
    outlet(3, "recvattr", "port", recvPort);
    outlet(3, "netattr", "ip", host);
    outlet(3, "netattr", "port", jitterPort);
    outlet(3, "gain", 0);
    if (!watchdog.running) { watchdog.repeat(); }
    show(1);
}

function daemonport(n) {
    var p = Math.floor(Number(n));
    if (p >= 1) { jitterport(p + 2); }
}

// For a daemon started with --jitter-port other than its --port + 2.
function jitterport(n) {
    var p = Math.floor(Number(n));
    if (!(p >= 1 && p <= 65535) || p === jitterPort) { return; }
    jitterPort = p;
    outlet(3, "netattr", "port", jitterPort);
    if (state !== "off") { reopen("daemon port changed"); }
}

function samplerate(v) {
    var nsr = Math.round(Number(v));
    if (nsr <= 0 || nsr === sr) { return; }
    sr = nsr;
    setP();
    if (state !== "off") { reopen("sample rate changed"); }
}

function dsp(on) {
    dspOn = Number(on) ? 1 : 0;
    if (!dspOn) {
        if (state !== "off") { close(); }
    } else if (enabled) {
        open();
    }
}

function stream(on) {
    enabled = Number(on) ? 1 : 0;
    if (enabled && state === "off") { open(); }
    if (!enabled && state !== "off") { close(); }
    show(1);
}

function playdelay(ms) {
    var v = Number(ms);
    if (!(v >= 0)) { return; }
    playMs = v;
    setP();
    if (state !== "off") { reopen("margin changed"); } else { show(1); }
}

function reset() {
    counts = {opened: 0, closed: 0, lost: 0, late: 0, undelivered: 0, chunksIn: 0, chunksOut: 0, reopens: 0};
    show(1);
}

// [onebang] let the start through: the gate is open and jit.release~ has its P samples.
function started() {
    if (state !== "starting") { return; }
    state = "open";
    outlet(3, "gain", 1, FADE_MS);
    show(1);
}

function senddump() {
    var a = arrayfromargs(arguments);
    if (String(a[0]) !== "connected") { return; }
    sendConnected = Number(a[1]) ? 1 : 0;
    if (!sendConnected && state !== "off") {
        toDry();
        state = "opening";   // the daemon went away: reopen when it answers again
        openSentAt = 0;
    }
    show(1);
}

function recvdump() {}

// ---------------------------------------------------------------- stream lifecycle
function open() {
    if (sr <= 0 || !dspOn) { state = "off"; show(1); return; }
    toDry();
    state = "opening";
    openSentAt = now();
    outlet(3, "net", "open", STREAM_ID, sr, NCH, recvPort);
    show(1);
}

function close() {
    if (state !== "off") { outlet(3, "net", "close", STREAM_ID); }
    toDry();
    state = "off";
    show(1);
}

function toDry() {
    outlet(3, "gate", 0);
    outlet(3, "gain", 0, FADE_MS);
}

function reopen(why) {
    counts.reopens++;
    post_("reopening stream: " + why);
    if (state !== "off") { outlet(3, "net", "close", STREAM_ID); }
    open();
}

function tick() {
    // No "opened" yet: the daemon was not running, or jit.net.send was still connecting.
    if (enabled && state === "opening" && now() - openSentAt > 2000) { open(); }
    if (showPending) { show(1); }
}

function notifydeleted() {
    watchdog.cancel();
    if (state !== "off") { outlet(3, "net", "close", STREAM_ID); }
    state = "off";
}

function reportLatency() {
    var total = L + P;
    if (total !== reported) {
        reported = total;
        outlet(3, "drydelay", total);       // the dry path keeps the same latency
        if (isPlugin()) { outlet(2, "latency", total); }
    }
}

// The display, at most 4 times a second (status lines are not worth the UI's time).
function show(force) {
    var t = now();
    if (!force && t - lastShown < 250) { showPending = 1; return; }
    lastShown = t;
    showPending = 0;
    var total = L + P;
    var word = state === "open" ? "streaming" : (state === "opening" || state === "starting") ? "opening (dry)"
        : "off (dry)";
    outlet(1, "state", word);
    outlet(1, "latency", round1(1000.0 * total / sr), total, round1(daemonMs));
    outlet(1, "counts", counts.late, counts.lost + counts.undelivered, counts.reopens);
}

function round1(x) { return isFinite(x) ? Math.round(x * 10) / 10 : 0; }   // 0 before the rate is known

// ---------------------------------------------------------------- daemon -> script (jit.net.recv)
function jit() {
    var a = arrayfromargs(arguments);
    var sel = String(a[0]);
    if (sel === "opened") { jitOpened(a); }
    else if (sel === "closed") { jitClosed(a); }
    else if (sel === "gap" && Number(a[1]) === STREAM_ID) { counts.lost += Number(a[3]); show(0); }
    else if (sel === "late" && Number(a[1]) === STREAM_ID) { counts.late++; show(0); }
    else if (sel === "status" && Number(a[1]) === STREAM_ID) {
        outlet(1, "daemon", Number(a[8]), round1(Number(a[9])), round1(Number(a[10])));
    } else if (sel === "error") {
        var msg = String(a[3]);
        outlet(1, "daemonerror", String(a[2]));   // the code (a fixed set); the message goes to the Max window
        post_("daemon error " + a[2] + ": " + msg);
        if (msg.indexOf("is not open") >= 0 && enabled) { reopen("the daemon lost the stream"); }
    }
}

function jitOpened(a) {
    if (Number(a[1]) !== STREAM_ID || state !== "opening") { return; }
    L = Math.round(Number(a[2]));
    daemonMs = Number(a[3]);
    counts.opened++;
    outlet(3, "primedim", P);
    outlet(3, "releaseattr", "latency", playMs / 2);   // starts on the primed P samples at once
    reportLatency();
    state = "starting";
    outlet(3, "arm");
    show(1);
}

function jitClosed(a) {
    if (Number(a[1]) !== STREAM_ID) { return; }
    counts.closed++;
    counts.chunksIn += Number(a[2]);
    counts.chunksOut += Number(a[3]);
    counts.undelivered += Number(a[9]);
    show(1);
}

// The device streams over Jitter matrices, not OSC: these OSC replies are not expected.
function on_audio() {}
function on_opened() {}
function on_closed() {}
function on_gap() {}
function on_late() {}
function on_streamstatus() {}
function on_latency() {}
function on_error() {}

function anything() {
    post_("stream: no handler for " + messagename);
}
