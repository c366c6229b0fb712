// bridge_stream.js - stream mode for the bridge device (Max classic [js], ES5 only).
//
// The signal side of the patch (not this script) runs one sample counter
// [count~ 0 R 1 1] that indexes two ring buffer~s of R frames:
//   input:  [poke~ IN 1] / [poke~ IN 2] write the track's audio at the counter;
//   output: [index~ OUT 1] / [index~ OUT 2] play the ring at the counter.
// [snapshot~ 5] reports the counter ("head <h>") every 5 ms. On each head this
// script peeks the frames written since the last head, cuts them into chunks of
// at most 256 atoms per Max message (127 stereo frames + stream + seq), and sends
//   /bridge/audio/in <stream> <seq> <f f f ...>     (interleaved, float32)
// Each reply /bridge/audio/out <stream> <seq> <f ...> carries the daemon's output
// for the same frames; the daemon's output is its input delayed by L samples
// (the latency it reports in /bridge/stream/opened). The reply for input frame n
// is poked into the output ring at counter position t0 + n + P, where P is a
// fixed play-out margin that covers the chunking, the 5 ms polling, UDP and
// Max's main-thread jitter. So the device's total latency is L + P samples;
// that is what it reports to Live (deferlow -> [thispatcher] "latency N") and shows.
// Frames whose reply comes after their play-out time are dropped and counted.
//
// Inlet 0: from the patch (samplerate, dsp, head, stream, playdelay, ready, ...).
// Inlet 1: daemon replies, via [udpreceive] -> [route /bridge/...] -> [prepend on_*].
// Outlet 0: OSC to [udpsend].  Outlet 1: display ("latency ...", "counts ...").
// Outlet 2: "latency <samples>" for Live's delay compensation (Max for Live only).

autowatch = 1;
inlets = 2;
outlets = 3;

var MAX_ATOMS = 256;       // Max's default list length: address args per message
var SEQ_MEMORY = 8192;     // chunks remembered for reassembly
var STREAM_ID = 1;         // one stream per [udpsend] socket; the daemon keys by socket too

var IN_NAME = jsarguments.length > 1 ? String(jsarguments[1]) : "---bridge_in";
var OUT_NAME = jsarguments.length > 2 ? String(jsarguments[2]) : "---bridge_out";
var RING = jsarguments.length > 3 ? Math.floor(Number(jsarguments[3])) : 524288;

var inBuf = null;
var outBuf = null;
var sr = 0;               // DSP sample rate, from [dspstate~]
var dspOn = 0;
var nch = 2;              // channels sent (the device is stereo)
var enabled = 0;          // the Stream toggle
var playMs = 60;          // P in ms (the "Margin" control)
var P = 0;                // P in samples
var state = "off";        // off | opening | open
var L = 0;                // daemon latency (samples at sr), from /bridge/stream/opened
var daemonMs = 0;
var reported = -1;        // last latency reported to Live
var chunkFrames = 0;      // frames per chunk (127 for stereo)
var lastHead = -1;        // last counter value (wrapped)
var T = 0;                // unwrapped counter
var t0 = -1;              // counter time of stream frame 0
var readT = 0;            // next input frame (counter time) to send
var zeroT = 0;            // output ring cleared up to this counter time
var seq = 0;
var seqStart = [];        // seq % SEQ_MEMORY -> stream frame of its first sample
var seqFrames = [];
var seqGot = [];
var checkedSeq = 0;       // replies older than this seq were checked for loss
var counts = {sent: 0, received: 0, late: 0, lost: 0, gaps: 0, dup: 0, daemonLate: 0};
var lastReopen = -1e9;
var openSentAt = 0;       // when /bridge/stream/open was last sent
var statusText = "";

function post_(s) { post("bridge~ " + s + "\n"); }

function isPlugin() {
    return (typeof max !== "undefined" && max !== null && max.isplugin) ? 1 : 0;
}

function now() { return new Date().getTime(); }

function ensureBuffers() {
    if (!inBuf) { inBuf = new Buffer(IN_NAME); }
    if (!outBuf) { outBuf = new Buffer(OUT_NAME); }
}

function computeChunk() {
    chunkFrames = Math.floor((MAX_ATOMS - 2) / nch);  // 2 atoms: stream and seq
}
computeChunk();

function setP() {
    P = sr > 0 ? Math.round(playMs * sr / 1000.0) : 0;
}

// ---------------------------------------------------------------- patch -> script
function ready() {
    ensureBuffers();
    show();
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
    lastHead = -1;   // [count~] restarts with the audio
    if (!dspOn) {
        if (state !== "off") { close(); }
    } else if (enabled) {
        open();
    }
}

function channels(n) {
    var c = Math.max(1, Math.min(2, Math.floor(Number(n))));
    if (c !== nch) {
        nch = c;
        computeChunk();
        if (state !== "off") { reopen("channels changed"); }
    }
}

function stream(on) {
    enabled = Number(on) ? 1 : 0;
    if (enabled && state === "off") { open(); }
    if (!enabled && state !== "off") { close(); }
    show();
}

function playdelay(ms) {
    var v = Number(ms);
    if (!(v >= 0)) { return; }
    playMs = v;
    setP();
    reportLatency();
    show();
}

function reset() {
    counts = {sent: 0, received: 0, late: 0, lost: 0, gaps: 0, dup: 0, daemonLate: 0};
    show();
}

function head(h) {
    h = Math.floor(Number(h));
    if (!(h >= 0)) { return; }
    if (lastHead < 0) {
        T = h;
    } else {
        T += (h - lastHead + RING) % RING;
    }
    lastHead = h;
    if (state === "opening" && now() - openSentAt > 5000) {
        reopen("no answer to /bridge/stream/open");   // the daemon was not running yet
    }
    if (state === "open" && t0 < 0) {
        // First head after /bridge/stream/opened: the stream starts here, on a silent ring.
        t0 = T;
        readT = T;
        zeroT = T;
        outBuf.send("clear");
    }
    if (state !== "open" || t0 < 0) { return; }
    if (T - readT > RING / 2) {
        // Main thread stalled for longer than the ring can hold: skip ahead.
        post_("input overrun: skipped " + (T - readT) + " frames");
        counts.lost += Math.ceil((T - readT) / chunkFrames);
        readT = T;
    }
    while (T - readT >= chunkFrames) {
        sendChunk(readT, chunkFrames);
        readT += chunkFrames;
    }
    clearPlayed();
    checkLost();
}

function sendChunk(tStart, n) {
    var i = tStart % RING;
    var first = Math.min(n, RING - i);
    var chans = [];
    for (var c = 0; c < nch; c++) {
        var a = toArray(inBuf.peek(c + 1, i, first));
        if (first < n) { a = a.concat(toArray(inBuf.peek(c + 1, 0, n - first))); }
        chans.push(a);
    }
    var msg = ["/bridge/audio/in", STREAM_ID, seq];
    for (var f = 0; f < n; f++) {
        for (c = 0; c < nch; c++) { msg.push(chans[c][f]); }
    }
    var k = seq % SEQ_MEMORY;
    seqStart[k] = tStart - t0;
    seqFrames[k] = n;
    seqGot[k] = 0;
    outlet(0, msg);
    seq++;
    counts.sent++;
}

function toArray(v) {
    if (v === null || v === undefined) { return []; }
    if (typeof v === "number") { return [v]; }
    var out = [];
    for (var i = 0; i < v.length; i++) { out.push(v[i]); }
    return out;
}

// The output ring is played at the counter: everything before T has been played.
function clearPlayed() {
    var n = T - zeroT;
    if (n <= 0) { return; }
    if (n > RING) { zeroT = T - RING; n = RING; }
    var i = zeroT % RING;
    var first = Math.min(n, RING - i);
    for (var c = 0; c < nch; c++) {
        outBuf.poke(c + 1, i, zeros(first));
        if (first < n) { outBuf.poke(c + 1, 0, zeros(n - first)); }
    }
    zeroT = T;
}

var zeroCache = [];
function zeros(n) {
    if (zeroCache.length < n) {
        zeroCache = [];
        for (var i = 0; i < n; i++) { zeroCache.push(0); }
    }
    return n === zeroCache.length ? zeroCache : zeroCache.slice(0, n);
}

// A chunk whose play-out time has passed without its reply is lost.
function checkLost() {
    while (checkedSeq < seq) {
        var k = checkedSeq % SEQ_MEMORY;
        var due = t0 + seqStart[k] + P + seqFrames[k];
        if (due > T) { break; }
        if (!seqGot[k]) { counts.lost++; seqGot[k] = -1; }
        checkedSeq++;
    }
    if (seq - checkedSeq > SEQ_MEMORY / 2) { checkedSeq = seq - SEQ_MEMORY / 2; }
}

// ---------------------------------------------------------------- stream lifecycle
function open() {
    ensureBuffers();
    if (sr <= 0 || !dspOn) { state = "off"; show(); return; }
    state = "opening";
    t0 = -1;
    seq = 0;
    checkedSeq = 0;
    seqStart = []; seqFrames = []; seqGot = [];
    openSentAt = now();
    outlet(0, "/bridge/stream/open", STREAM_ID, sr, nch);
    show();
}

function close() {
    if (state !== "off") { outlet(0, "/bridge/stream/close", STREAM_ID); }
    state = "off";
    t0 = -1;
    if (outBuf) { outBuf.send("clear"); }   // the output ring keeps playing: make it silent
    show();
}

function reopen(why) {
    var t = now();
    if (t - lastReopen < 1000) { return; }
    lastReopen = t;
    post_("reopening stream: " + why);
    open();
}

function notifydeleted() {
    if (state !== "off") { outlet(0, "/bridge/stream/close", STREAM_ID); }
    state = "off";
}

function reportLatency() {
    var total = (state === "open" ? L : 0) + P;
    if (total !== reported && state === "open") {
        reported = total;
        if (isPlugin()) { outlet(2, "latency", total); }
    }
}

function show() {
    var total = L + P;
    var text;
    if (state === "open") {
        text = "latency " + fmt(1000.0 * total / sr) + " ms (" + total + " smp; daemon " + fmt(daemonMs) + " ms)";
    } else if (state === "opening") {
        text = "latency: opening stream";
    } else {
        text = "latency: stream off";
    }
    outlet(1, "latency", text);
    outlet(1, "counts", "late " + (counts.late + counts.daemonLate) + "  lost " + (counts.lost + counts.gaps)
           + "  sent " + counts.sent + "  back " + counts.received);
}

function fmt(x) { return (Math.round(x * 10) / 10).toString(); }

// ---------------------------------------------------------------- daemon -> script
function on_opened(id, latSamples, latMs, rate, ch) {
    if (Number(id) !== STREAM_ID) { return; }
    L = Math.round(Number(latSamples));
    daemonMs = Number(latMs);
    if (state === "open") {
        // A second answer (to a repeated open) while streaming: the daemon has put the
        // repeated open before our chunks, so only the latency can have changed.
        reportLatency();
        show();
        return;
    }
    state = "open";
    t0 = -1;   // set by the next head
    reportLatency();
    show();
}

function on_audio() {
    var a = arrayfromargs(arguments);
    if (a.length < 2 || Number(a[0]) !== STREAM_ID || t0 < 0) { return; }
    var s = Number(a[1]);
    if (s < seq - SEQ_MEMORY || s >= seq) { return; }
    var k = s % SEQ_MEMORY;
    var n = Math.floor((a.length - 2) / nch);
    if (n <= 0) { return; }
    if (seqGot[k] === 1) { counts.dup++; return; }
    if (seqGot[k] === -1) { counts.lost--; }   // not lost after all: late (counted below)
    seqGot[k] = 1;
    counts.received++;
    var start = t0 + seqStart[k] + P;   // counter time the first frame plays
    var skip = 0;
    if (start < T) {
        skip = Math.min(n, T - start);
        counts.late++;
        if (skip >= n) { return; }
    }
    var pos = (start + skip) % RING;
    var m = n - skip;
    var first = Math.min(m, RING - pos);
    for (var c = 0; c < nch; c++) {
        var vals = [];
        for (var f = skip; f < n; f++) { vals.push(Number(a[2 + f * nch + c])); }
        if (first === m) {
            outBuf.poke(c + 1, pos, vals);
        } else {
            outBuf.poke(c + 1, pos, vals.slice(0, first));
            outBuf.poke(c + 1, 0, vals.slice(first));
        }
    }
}

function on_closed(id) {
    if (Number(id) === STREAM_ID && state === "off") { show(); }
}

function on_gap(id, expected, missing) {
    if (Number(id) !== STREAM_ID) { return; }
    counts.gaps += Number(missing);
    show();
}

function on_late(id, s, kind) {
    if (Number(id) !== STREAM_ID) { return; }
    if (String(kind) === "duplicate") { counts.dup++; } else { counts.daemonLate++; }
    show();
}

function on_streamstatus(id, chunksIn, chunksOut, lost, late, dup, lateReplies, steps, p50, p99) {
    if (Number(id) !== STREAM_ID) { return; }
    statusText = "steps " + steps + "  reply p50 " + fmt(Number(p50)) + " ms  p99 " + fmt(Number(p99)) + " ms";
    outlet(1, "daemon", statusText);
    show();
}

function on_latency(samples, ms, rate, id) {
    if (Number(id) === STREAM_ID && state === "open") {
        L = Math.round(Number(samples));
        daemonMs = Number(ms);
        reportLatency();
        show();
    }
}

function on_error(request, code, message) {
    var req = String(request);
    if (req.indexOf("/bridge/audio/in") === 0 || req.indexOf("/bridge/stream/") === 0) {
        var msg = String(message);
        outlet(1, "daemon", "error " + code + ": " + msg);
        if (msg.indexOf("is not open") >= 0 && enabled && state !== "off") {
            reopen("the daemon lost the stream");
        }
    }
}

// Everything this script understands is a named function; anything else is a mistake.
function anything() {
    post_("stream: no handler for " + messagename);
}
