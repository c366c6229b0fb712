// bridge_clip.js - clip mode and one-shot generation for the bridge device
// (Max classic [js], ES5 only).
//
// Clip mode is timed by the audio clock, not by this script: the patch records and plays
// in the signal domain (see build.py, "clip mode"). "Rec" reads the tempo and time signature
// (the patch bangs [transport] first), sizes the record buffer~ to N bars at that tempo, sets
// the transport-locked ramp to N bars of that signature and arms. The patch starts the take
// on the next bar line (or where the transport starts) and stops it exactly N bars later;
// [edge~] reports both ("recstarted", "recended"). Then the buffer is written with
// "writewave" to the work folder and sent with
//   /bridge/file/process clip-<session>-<k> <in.wav> <out.wav> [preset]
// /bridge/file/done loads the result with "replace" into the clip buffer~; "play" is sampled
// by the patch where the take's N-bar cycle wraps, so playback starts on the take's grid and
// loops without a re-trigger. The daemon's file output is aligned with its input, so no
// latency is involved.
// One-shots: "Generate" sends /bridge/generate <model> hit-<k> <out.wav> <seed>;
// /bridge/generate/done loads the file into the one-shot buffer~; "Hit" plays it.
//
// Paths: the daemon only reads and writes inside its allowed folders (by default
// the system temp folder and ~/Music/bridge; more with "bridge serve --files DIR").
// The work folder must be one of them and must exist.
//
// Inlet 0: from the patch (bpm, timesig, samplerate, setbars, cliprec, clipplay, recstarted,
//          recended, playstarted, playstopped, generate, shotplay, workfolder, preset,
//          genmodel, setseed, loaded, ready).
// Inlet 1: daemon replies (on_progress, on_filedone, on_gendone, on_pairdone, on_error).
// Outlet 0: OSC to [udpsend].  Outlet 1: display ("clipstatus ...", "shotstatus ...",
// "folder set ...").  Outlet 2: audio control, routed in the patch: "recbuf ...",
// "clipbuf ...", "shotbuf ...", "shotpos 0", "shotspeed 0/1", "cliparm 0/1", "clipgo 0/1",
// "clipticks T" (the ramp's period in ticks), "clipbars N", "cliplen L" (record buffer
// frames), "clipplaylen L" (the loaded clip's frames).

autowatch = 1;
inlets = 2;
outlets = 3;

var folder = "~/Music/bridge";
var sr = 44100;
var tempo = 120.0;
var tsNum = 4;
var tsDen = 4;
var bars = 4;
var presetName = "";
var genModel = "";
var seed = 0;
var k = 0;                  // job counter
// Job (and file) names carry when this device was loaded, so a reopened Live set never asks
// the daemon to write over the clips of an earlier session (it would refuse).
var session = new Date().getTime().toString(36);

var armed = 0;              // "cliparm 1" sent, the take has not started
var recording = 0;          // between [edge~]'s "recstarted" and "recended"
var ticks = 0;              // the ramp's period as last sent (0: never)
var sentBars = 0;           // N as last sent (the bar lines are where frac(ramp * N) wraps)
var clipJob = "";
var clipLen = 0;            // frames of the take (N bars at the tempo read when armed)
var clipLoaded = 0;         // the processed clip is in its buffer~
var clipWanted = 1;         // the Play toggle
var shotJob = "";
var shotLoaded = 0;

var sendLater = new Task(sendPending, this);
var pending = null;
var armLater = new Task(arm, this);

function post_(s) { post("bridge clip " + s + "\n"); }

function joinArgs(args) { return arrayfromargs(args).join(" "); }

// A Max path ("Macintosh HD:/Users/me/x.wav") as the daemon wants it ("/Users/me/x.wav").
function daemonPath(p) {
    var m = /^([^\/:]{2,}):(\/.*)$/.exec(p);
    return m ? m[2] : p;
}

function join(dir, name) {
    return dir.replace(/\/+$/, "") + "/" + name;
}

function clipStatus(s) { outlet(1, "clipstatus", s); }
function shotStatus(s) { outlet(1, "shotstatus", s); }

// ---------------------------------------------------------------- settings
function ready() {
    outlet(1, "folder", "set", folder);
    outlet(2, "clipgo", 0);
    outlet(2, "cliparm", 0);
    outlet(2, "shotspeed", 0);
    clipStatus("clip: press Rec, then play the transport");
    shotStatus("one-shot: pick a model, press Generate");
}

function samplerate(v) { if (Number(v) > 0) { sr = Number(v); } }
function timesig(num, den) {
    if (Number(num) > 0 && Number(den) > 0) { tsNum = Number(num); tsDen = Number(den); }
}

function bpm(v) { if (Number(v) > 0) { tempo = Number(v); } }

function setbars(n) {
    var b = Math.floor(Number(n));
    if (b >= 1 && b <= 64) { bars = b; }
}

function preset() { presetName = joinArgs(arguments); }
function genmodel() { genModel = joinArgs(arguments); }
function setseed(v) { seed = Math.max(0, Math.floor(Number(v))); }

var userFolder = 0;        // 1 once the user typed a folder: the daemon's suggestion no longer applies

function workfolder() {
    var f = daemonPath(joinArgs(arguments));
    if (f === "") { return; }
    folder = f.replace(/\/+$/, "");
    userFolder = 1;
    outlet(1, "folder", "set", folder);
}

// /bridge/info/files <folder>: a folder the daemon lets file mode use (absolute, so no "~"
// for writewave to expand). Until the user picks one, clips go to the announced
// ~/Music/bridge-like folder, else to the first announced.
function on_infofiles() {
    var f = joinArgs(arguments).replace(/\/+$/, "");
    if (userFolder || f === "") { return; }
    if (folder.charAt(0) === "~" || /Music\/bridge$/.test(f)) {
        folder = f;
        outlet(1, "folder", "set", folder);
    }
}

function barSamples() {
    return Math.round(bars * tsNum * (4.0 / tsDen) * 60.0 / tempo * sr);
}

function barTicks() {
    return Math.round(bars * 480 * tsNum * 4 / tsDen);
}

// ---------------------------------------------------------------- clip mode
// Rec: the patch has just sent bpm and timesig. A changed ramp period (or N) moves the ramp's
// phase at once, which the patch could take for a bar line: the take is armed 100 ms later then.
function cliprec(v) {
    if (!Number(v)) { return; }
    if (recording || armed) { clipStatus("clip: already " + (recording ? "recording" : "armed")); return; }
    clipLen = barSamples();
    outlet(2, "clipgo", 0);   // a playing clip stops at its loop point or where the take starts
    outlet(2, "recbuf", "sizeinsamps", clipLen);
    outlet(2, "cliplen", clipLen);
    armed = 1;
    var t = barTicks();
    if (t !== ticks || bars !== sentBars) {
        ticks = t;
        sentBars = bars;
        outlet(2, "clipbars", bars);
        outlet(2, "clipticks", ticks);
        armLater.schedule(100);
    } else {
        arm();
    }
    clipStatus("clip: armed, " + bars + " bars of " + tsNum + "/" + tsDen + " at " + tempo + " bpm from the next bar");
}

function arm() { if (armed) { outlet(2, "cliparm", 1); } }

function clipplay(v) {
    clipWanted = Number(v) ? 1 : 0;
    outlet(2, "clipgo", clipWanted && clipLoaded && !armed && !recording ? 1 : 0);
}

// [edge~] on the record gate: the take started on a bar line; disarm so that it ends after
// N bars (the patch samples "arm" again only where the N bars end).
function recstarted() {
    armed = 0;
    recording = 1;
    outlet(2, "cliparm", 0);
    clipStatus("clip: recording " + bars + " bars");
}

function recended() {
    if (!recording) { return; }
    recording = 0;
    finishRecording();
}

function playstarted() { clipStatus("clip: " + clipJob + " playing"); }
function playstopped() { if (!recording && !armed) { clipStatus("clip: " + clipJob + " stopped"); } }

function finishRecording() {
    k++;
    clipJob = "clip-" + session + "-" + k;
    var inPath = join(folder, "bridge-" + clipJob + "-in.wav");
    var outPath = join(folder, "bridge-" + clipJob + "-out.wav");
    outlet(2, "recbuf", "writewave", inPath);
    var msg = ["/bridge/file/process", clipJob, daemonPath(inPath), daemonPath(outPath)];
    if (presetName !== "") { msg.push(presetName); }
    // writewave runs in Max's low-priority queue: give it a moment before the daemon reads.
    pending = msg;
    sendLater.schedule(300);
    clipStatus("clip: " + clipJob + " written, sending");
}

function sendPending() {
    if (pending) { outlet(0, pending); pending = null; }
}

function on_progress(job, frac) {
    if (String(job) === clipJob) { clipStatus("clip: " + job + " " + Math.round(100 * Number(frac)) + "%"); }
}

function on_filedone(job, path, seconds) {
    if (String(job) !== clipJob) { return; }
    clipLoaded = 0;
    outlet(2, "clipbuf", "replace", String(path));
    clipStatus("clip: " + job + " done (" + (Math.round(Number(seconds) * 10) / 10) + " s), loading");
}

// [buffer~] bangs when a file has been read: "loaded clip" / "loaded shot".
function loaded(which) {
    if (String(which) === "clip") {
        clipLoaded = 1;
        outlet(2, "clipplaylen", clipLen);
        clipplay(clipWanted);
        clipStatus("clip: " + clipJob + (clipWanted ? " plays from the take's next cycle" : " ready, press Play"));
    } else if (String(which) === "shot") {
        shotLoaded = 1;
        shotStatus("one-shot: " + shotJob + " ready, press Hit");
    }
}

// ---------------------------------------------------------------- one-shots
function generate(v) {
    if (!Number(v)) { return; }
    if (genModel === "") { shotStatus("one-shot: no model (is the daemon connected?)"); return; }
    k++;
    shotJob = "hit-" + session + "-" + k;
    var outPath = join(folder, "bridge-" + shotJob + ".wav");
    outlet(0, "/bridge/generate", genModel, shotJob, daemonPath(outPath), seed);
    shotStatus("one-shot: generating " + genModel);
}

function on_gendone(job, path, seconds) {
    if (String(job) !== shotJob) { return; }
    shotLoaded = 0;
    outlet(2, "shotbuf", "replace", String(path));
}

function shotplay(v) {
    if (!Number(v) || !shotLoaded) { return; }
    outlet(2, "shotpos", 0);
    outlet(2, "shotspeed", 1);
}

function on_pairdone(job, a, b) { post_("pair done: " + a + " " + b); }

function on_error(request, code, message) {
    var req = String(request);
    var text = code + ": " + arrayfromargs(arguments).slice(2).join(" ");
    if (req === "/bridge/file/process") { clipStatus("clip: " + text); }
    if (req === "/bridge/generate") { shotStatus("one-shot: " + text); }
}

function notifydeleted() { sendLater.cancel(); armLater.cancel(); }

function anything() {
    post_("no handler for " + messagename);
}
