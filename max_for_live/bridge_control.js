// bridge_control.js - connection, menus, parameters and status for the bridge device
// (Max classic [js], ES5 only).
//
// [udpsend] has no outlet, so Max cannot read replies on the socket it sends from.
// This script registers the port of the device's [udpreceive] with
// "/bridge/hello <port>"; the daemon then answers there. A watchdog pings once a
// second and says hello again when the daemon stops answering (e.g. restarted).
// Menus (presets, targets, morph partners, one-shot models) and control values
// come from /bridge/info: nothing about the daemon's models is hard-coded here.
//
// Inlet 0: from the patch (ready, preset, target, morphwith, param, replyport, ...).
// Inlet 1: daemon replies, via [udpreceive] -> [route /bridge/...] -> [prepend on_*].
// Outlet 0: OSC and configuration ("host", "port") to [udpsend].
// Outlet 1: display and menus: "status ...", "presetmenu ...", "dial <name> <v>", ...
// Outlet 2: "port <n>" to [udpreceive].

autowatch = 1;
inlets = 2;
outlets = 3;

var host = "127.0.0.1";
var daemonPort = 9000;
var replyPort = pickPort();  // "Reply port" 0 (the default): a free one picked here, so two devices never share
var autoPort = 1;
var unanswered = 0;          // hellos without a welcome since the port was picked
var connected = 0;
var lastHeard = 0;
var lastHello = -1e9;
var pingN = 0;
var version = "";
var provider = "";
var providerNote = "";
var presetLatencyMs = -1;
var lastError = "";
var models = [];
var melOf = {};             // model -> "rate n_mels window hop" (from /bridge/info/model)
var morphFor = null;       // the target the morph menu was filled for
var presets = [];          // {name, mode, target, description}
var currentPreset = "";
var params = {};           // name -> {kind, lo, hi, value}
var collecting = 0;        // between /bridge/info and /bridge/info/end
var lastRefresh = 0;
var NONE = "(none)";
var DIALS = ["strength", "steps", "mix", "morph", "seed"];

var watchdog = new Task(tick, this);
watchdog.interval = 1000;

function now() { return new Date().getTime(); }
function pickPort() { return 20000 + Math.floor(Math.random() * 20000); }
function post_(s) { post("bridge " + s + "\n"); }

// ---------------------------------------------------------------- patch -> script
function ready() {
    outlet(2, "port", replyPort);
    outlet(0, "host", host);
    outlet(0, "port", daemonPort);
    hello();
    if (!watchdog.running) { watchdog.repeat(); }
    show();
}

function connect() {
    connected = 0;
    hello();
    show();
}

function hello() {
    lastHello = now();
    unanswered++;
    if (autoPort && unanswered > 4 && !connected) {
        // Five hellos unanswered: the daemon may be down, or this port taken; try another.
        replyPort = pickPort();
        unanswered = 1;
        outlet(2, "port", replyPort);
    }
    outlet(0, "/bridge/hello", replyPort);
}

function refresh() {
    lastRefresh = now();
    collecting = 1;
    outlet(0, "/bridge/info");
    outlet(0, "/bridge/status");
}

function replyport(n) {
    var p = Math.floor(Number(n));
    if (p === 0) {
        if (!autoPort) { autoPort = 1; newReplyPort(pickPort()); }
        return;
    }
    if (!(p >= 1 && p <= 65535) || (p === replyPort && !autoPort)) { return; }
    autoPort = 0;
    newReplyPort(p);
}

function newReplyPort(p) {
    replyPort = p;
    unanswered = 0;
    outlet(2, "port", replyPort);
    connect();
}

function daemonport(n) {
    var p = Math.floor(Number(n));
    if (!(p >= 1 && p <= 65535) || p === daemonPort) { return; }
    daemonPort = p;
    outlet(0, "port", daemonPort);
    connect();
}

function daemonhost() {
    var h = arrayfromargs(arguments).join(" ");
    if (!h || h === host) { return; }
    host = h;
    outlet(0, "host", host);
    connect();
}

function preset() {
    var name = arrayfromargs(arguments).join(" ");
    if (!name || name === NONE) { return; }
    outlet(0, "/bridge/preset/load", name);
}

function target() {
    var name = arrayfromargs(arguments).join(" ");
    if (!name || name === NONE) { return; }
    // A morph partner with other mel settings cannot stay: drop it first, or the daemon refuses the target.
    var partner = params.morph_with ? String(params.morph_with.value) : "";
    if (partner !== "" && melOf[partner] !== undefined && melOf[partner] !== melOf[name]) {
        outlet(0, "/bridge/param/set", "morph_with", "");
    }
    outlet(0, "/bridge/param/set", "target", name);
}

function morphwith() {
    var name = arrayfromargs(arguments).join(" ");
    outlet(0, "/bridge/param/set", "morph_with", name === NONE ? "" : name);
}

// "param <name> <value>" from the dials; clamped to the range /bridge/info gave.
function param(name, value) {
    name = String(name);
    var v = Number(value);
    if (isNaN(v)) { return; }
    var spec = params[name];
    if (spec) {
        if (spec.kind === "int" || spec.kind === "bool") {
            v = Math.round(v);
            if (spec.hi > spec.lo) { v = Math.max(spec.lo, Math.min(spec.hi, v)); }
        } else if (spec.hi > spec.lo) {
            // OSC floats are float32: 0.01 arrives as 0.0099999998, below a 0.01 minimum.
            // Keep a relative 1e-6 inside the range so the rounded value stays in it.
            var eps = 1e-6 * Math.max(Math.abs(spec.lo), Math.abs(spec.hi), 1e-3);
            v = Math.max(spec.lo + eps, Math.min(spec.hi - eps, v));
            if (Math.abs(v - spec.lo) <= eps && spec.lo === 0) { v = 0; }
            if (Math.abs(v - spec.hi) <= eps && Math.abs(spec.hi - Math.round(spec.hi)) === 0) { v = spec.hi; }
        }
    }
    outlet(0, "/bridge/param/set", name, v);
}

function tick() {
    var t = now();
    if (connected && t - lastHeard > 4000) {
        connected = 0;
        show();
    }
    if (!connected) {
        if (t - lastHello >= 1000) { hello(); }
        return;
    }
    pingN = (pingN + 1) % 100000;
    outlet(0, "/bridge/ping", pingN);
}

function notifydeleted() {
    watchdog.cancel();
    if (connected) {
        outlet(0, "/bridge/unlisten", "param");
        outlet(0, "/bridge/unlisten", "status");
        outlet(0, "/bridge/unlisten", "latency");
    }
}

// ---------------------------------------------------------------- display
function show() {
    var s;
    if (connected) {
        s = "connected: bridge " + version + " on " + String(provider).toUpperCase();
        if (presetLatencyMs >= 0) { s += ", preset latency " + fmt(presetLatencyMs) + " ms"; }
    } else {
        s = "no reply from " + host + ":" + daemonPort + " (start it: bridge serve; replies to port " + replyPort + ")";
    }
    if (lastError !== "") { s += " | " + lastError; }
    outlet(1, "status", s);
}

function fmt(x) { return (Math.round(x * 10) / 10).toString(); }

function fillMenus() {
    var i;
    outlet(1, "presetmenu", "clear");
    for (i = 0; i < presets.length; i++) { outlet(1, "presetmenu", "append", presets[i].name); }
    if (currentPreset !== "") { outlet(1, "presetmenu", "setsymbol", currentPreset); }
    outlet(1, "targetmenu", "clear");
    outlet(1, "genmenu", "clear");
    for (i = 0; i < models.length; i++) {
        outlet(1, "targetmenu", "append", models[i]);
        outlet(1, "genmenu", "append", models[i]);
    }
    fillMorphMenu();
    syncMenus();
    // The one-shot model: the target of the first "generate" preset, else the first model.
    var gen = models.length ? models[0] : "";
    for (i = 0; i < presets.length; i++) {
        if (presets[i].mode === "generate" && indexOf(models, presets[i].target) >= 0) { gen = presets[i].target; break; }
    }
    if (gen !== "") { outlet(1, "genmenu", indexOf(models, gen)); }  // an int selects and outputs
}

function morphPartners() {
    var target = params.target ? String(params.target.value) : "";
    var out = [];
    for (var i = 0; i < models.length; i++) {
        if (target === "" || melOf[models[i]] === melOf[target]) { out.push(models[i]); }
    }
    return out;
}

function fillMorphMenu() {
    var partners = morphPartners();
    outlet(1, "morphmenu", "clear");
    outlet(1, "morphmenu", "append", NONE);
    for (var i = 0; i < partners.length; i++) { outlet(1, "morphmenu", "append", partners[i]); }
    morphFor = params.target ? String(params.target.value) : "";
}

function syncMenus() {
    if (params.target && String(params.target.value) !== morphFor) { fillMorphMenu(); }
    if (params.target && params.target.value !== "") { outlet(1, "targetmenu", "setsymbol", params.target.value); }
    if (params.morph_with) {
        outlet(1, "morphmenu", "setsymbol", params.morph_with.value === "" ? NONE : params.morph_with.value);
    }
}

function syncDials() {
    for (var i = 0; i < DIALS.length; i++) {
        var p = params[DIALS[i]];
        if (p) { outlet(1, "dial", DIALS[i], Number(p.value)); }
    }
}

function indexOf(list, x) {
    for (var i = 0; i < list.length; i++) { if (list[i] === x) { return i; } }
    return -1;
}

function heard() {
    lastHeard = now();
    if (!connected) {
        connected = 1;
        lastError = "";
        refresh();
        outlet(0, "/bridge/listen", "param");
        outlet(0, "/bridge/listen", "status");
        outlet(0, "/bridge/listen", "latency");
    }
}

// ---------------------------------------------------------------- daemon -> script
function on_welcome(v, port, prov) {
    unanswered = 0;
    version = String(v);
    provider = String(prov);
    heard();
    show();
}

function on_pong(token) { heard(); }

function on_infoversion(v, protocol) {
    heard();
    collecting = 1;
    version = String(v);
    models = [];
    melOf = {};
    presets = [];
}

function on_infoprovider(prov, note) {
    provider = String(prov);
    providerNote = note === undefined ? "" : String(note);
}

function on_infomodel(name, rate, nMels, windowFrames, hop, steps) {
    if (indexOf(models, String(name)) < 0) { models.push(String(name)); }
    // Morph partners must share the target's mel settings (the daemon refuses others); the
    // last argument spells them all, word by word (Max splits a symbol with spaces).
    melOf[String(name)] = arrayfromargs(arguments).slice(6).join(" ");
}

function on_infopreset() {
    var a = arrayfromargs(arguments);
    presets.push({name: String(a[0]), mode: String(a[1]), target: String(a[2]),
                  description: a.slice(3).join(" ")});
}

function on_infopresetcurrent(name) { currentPreset = String(name); }

function on_infoparam(name, kind, lo, hi) {
    var a = arrayfromargs(arguments);
    var value = a.length > 4 ? a.slice(4).join(" ") : "";
    var num = Number(value);
    params[String(name)] = {kind: String(kind), lo: Number(lo), hi: Number(hi),
                            value: (value !== "" && !isNaN(num)) ? num : value};
}

function on_infolatency(samples, ms, rate) { presetLatencyMs = Number(ms); }

function on_infoend(nModels, nPresets) {
    collecting = 0;
    fillMenus();
    syncDials();
    show();
}

// /bridge/status (about once a second): the load goes to a number box; the status line (a
// string, so a symbol in Max's table each time it changes) is redrawn only when the provider does.
function on_status(streams, queued, busyPct, lost, late, dup, lateReplies, malformed, errors, prov, job) {
    heard();
    outlet(1, "busy", Math.round(Number(busyPct) * 10) / 10);
    if (String(prov) !== provider) {
        provider = String(prov);
        show();
    }
}

function on_param() {
    var a = arrayfromargs(arguments);
    var name = String(a[0]);
    var value = a.length > 1 ? a.slice(1).join(" ") : "";
    var num = Number(value);
    if (!params[name]) { params[name] = {kind: "", lo: 0, hi: 0, value: value}; }
    params[name].value = (value !== "" && !isNaN(num)) ? num : value;
    if (indexOf(DIALS, name) >= 0) { outlet(1, "dial", name, Number(params[name].value)); }
    if (name === "target" || name === "morph_with") { syncMenus(); }
}

function on_presetloaded(name, tgt) {
    currentPreset = String(name);
    lastError = "";
    refresh();   // values and latency change with the preset
}

function on_presetchanged(name, tgt) {
    currentPreset = String(name);
    if (now() - lastRefresh > 500) { refresh(); }   // not again right after /bridge/preset/loaded
}

function on_listening(what) { heard(); }
function on_unlistened(what) { }
function on_modelloaded(name, prov) { post_("model loaded: " + name); }
function on_synced(id) { }
function on_midilearning(p) { post_("MIDI learn: " + p); }
function on_midilearned(cc, p, ch) { post_("MIDI learned: CC " + cc + " -> " + p); }
function on_midimapped(cc, p, ch) { }
function on_midiunmapped(cc, ch) { }

function on_error(request, code, message) {
    var req = String(request);
    if (req.indexOf("/bridge/file/") === 0 || req.indexOf("/bridge/generate") === 0) {
        return;   // shown by the clip script
    }
    lastError = req + ": " + code + ": " + arrayfromargs(arguments).slice(2).join(" ");
    post_("error " + lastError);
    if (req === "/bridge/param/set" || req === "/bridge/preset/load") { syncDials(); syncMenus(); }
    show();
}

function anything() {
    post_("control: no handler for " + messagename);
}
