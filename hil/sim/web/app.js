// The bench page (hil/sim/web): draws the bench from GET /bench, follows the twin through
// GET /events (server-sent events), and acts only through the control endpoint's JSON
// endpoints (POST /button, /wire, /faults, /reset), as scripts do. No build step, no CDN.
"use strict";

// Off loopback the endpoint wants a token: `?token=...` in the page's URL is passed on as
// an Authorization header (fetch) and as a query parameter (EventSource cannot send headers).
// It is then taken out of the address bar (kept for this tab only), so a screenshot or a
// copied link does not carry it.
const TOKEN = (() => {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("token");
  if (fromUrl === null) return sessionStorage.getItem("hil-token");
  sessionStorage.setItem("hil-token", fromUrl);
  params.delete("token");
  const rest = params.toString();
  history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : "") + location.hash);
  return fromUrl;
})();
const STRIP_S = 10; // seconds of history in the strip
const SVG_NS = "http://www.w3.org/2000/svg";

const bench = {            // what the page knows; tests read it through window.bench
  layout: null,
  state: null,             // the last `state` event
  clock: null,             // {server: twin monotonic s, perf: performance.now() ms}
  connected: false,
  history: {},             // channel -> [[t, value], ...] (twin time, s)
  flashHeld: false,
  replay: null,            // {source, signals, t0, end, start, speed}
};
window.bench = bench;

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, parent = null, text = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function html(tag, attrs = {}, parent = null, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function withToken(path) {
  return TOKEN ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(TOKEN)}` : path;
}

function headers(extra = {}) {
  return TOKEN ? { ...extra, Authorization: `Bearer ${TOKEN}` } : extra;
}

function showError(text) {
  const box = $("#error");
  box.textContent = text;
  box.hidden = !text;
}

// -- the endpoints -----------------------------------------------------------------------

async function getJson(path) {
  const r = await fetch(path, { headers: headers(), cache: "no-store" });
  const body = await r.json();
  if (!r.ok) throw new Error(`GET ${path}: ${body.error || r.status}`);
  return body;
}

async function post(path, body) {
  try {
    const r = await fetch(path, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(body),
    });
    const reply = await r.json();
    if (!r.ok) {
      showError(`POST ${path}: ${reply.error || r.status}`);
      return null;
    }
    showError("");
    return reply;
  } catch (e) {
    showError(`POST ${path}: the twin did not answer (${e.message}); is \`hil sim\` still running?`);
    return null;
  }
}

const act = {
  press: (pressed) => post("button", { pressed }),
  wire: (wire, connect) => post("wire", { wire, connect }),
  jumper: (a, b, connect) => post("wire", { a, b, connect }),
  faults: (set, clear) => post("faults", { set, clear }),
  reset: (flash) => post("reset", { flash }),
};

// -- the drawing -------------------------------------------------------------------------

const PIN_X0 = 226, PIN_PITCH = 32, TOP_Y = 58, BOTTOM_Y = 202;
const GEO = {
  ledBoard: [240, 128],  // NodeMCU board LED (GPIO16) next to the USB socket
  ledModule: [604, 100], // ESP-12 module LED (GPIO2) by the antenna
  button: [380, 375],
  rowA: [300, 330, 470], // x0, y, x1
  rowB: [300, 420, 470],
  railFar: [170, 510, 470],
  railNear: [510, 510, 840],
  solenoid: [486, 352],
};
const anchors = {};        // net name -> [x, y] where wires land

function pinX(i) { return PIN_X0 + i * PIN_PITCH; }

function drawBench(layout) {
  const svg = $("#bench");
  svg.textContent = "";
  const board = el("g", { id: "board" }, svg);
  el("rect", { class: "board", x: 150, y: 40, width: 560, height: 180, rx: 8 }, board);
  el("rect", { class: "usb", x: 124, y: 108, width: 40, height: 44, rx: 3 }, board);
  // ESP-12 module: shield plus antenna
  el("rect", { class: "shield", x: 470, y: 80, width: 150, height: 104, rx: 3 }, board);
  el("rect", { class: "antenna", x: 620, y: 80, width: 70, height: 104 }, board);
  el("path", { class: "antenna-trace", d: "M630 176 V88 H645 V168 H660 V88 H675 V168" }, board);
  el("text", { class: "silk", x: 490, y: 135 }, board, "ESP-12E");
  el("text", { class: "silk small", x: 490, y: 150 }, board, "ESP8266");
  el("text", { class: "silk", x: 280, y: 110 }, board, `NodeMCU · ${layout.name} bench`);

  // headers: the A side along the top (static), the D side along the bottom (live)
  layout.header.a_side.forEach((name, i) => {
    el("rect", { class: "pin power", x: pinX(i) - 6, y: TOP_Y - 6, width: 12, height: 12 }, board);
    el("text", { class: "silk small", x: pinX(i), y: TOP_Y - 9, "text-anchor": "middle" }, board, name);
  });
  layout.header.d_side.forEach((name, i) => {
    const live = /^D\d$|^RX$|^TX$/.test(name);
    const g = el("g", live ? { id: `pin-${name}` } : {}, board);
    el("rect", { class: `pin ${live ? "lnone" : "power"}`, x: pinX(i) - 7, y: BOTTOM_Y - 7, width: 14, height: 14 }, g);
    el("text", { class: "silk small", x: pinX(i), y: BOTTOM_Y - 12, "text-anchor": "middle" }, g, name);
    if (live) el("text", { class: "pin-mode", x: pinX(i), y: BOTTOM_Y + 16, "text-anchor": "middle" }, g, "");
    el("title", {}, g, name);
    if (!(name in anchors)) anchors[name] = [pinX(i), BOTTOM_Y + 7];
  });
  // the board's GND for W3 is the second GND on the D side; jumpers to GND use the first
  const gndPins = layout.header.d_side.map((n, i) => (n === "GND" ? i : -1)).filter((i) => i >= 0);
  const w3Gnd = [pinX(gndPins[gndPins.length - 1]), BOTTOM_Y + 7];

  // RST and FLASH either side of the USB socket, as on the DevKit
  tact(board, "rst-key", 184, 72, "RST", () => pressReset());
  tact(board, "flash-key", 184, 172, "FLASH", () => toggleFlash());

  // LEDs: positions by their role on a NodeMCU (module LED GPIO2, board LED GPIO16)
  for (const led of layout.leds) {
    const [x, y] = led.gpio === 16 ? GEO.ledBoard : GEO.ledModule;
    const g = el("g", {}, board);
    el("circle", { id: `led-${led.label}`, class: "led", cx: x, cy: y, r: 9 }, g);
    // the module LED sits on the silver shield: dark text beside it; the board LED: silk below
    const onShield = led.gpio !== 16;
    el("text", onShield
      ? { class: "label small", x: x - 14, y: y + 4, "text-anchor": "end" }
      : { class: "silk small", x: x, y: y + 22, "text-anchor": "middle" }, g,
    `LED ${led.label}${led.active_low ? " (active-low)" : ""}`);
    el("title", {}, g, `LED on ${led.label}/GPIO${led.gpio}, ${led.active_low ? "lit when the pin is low" : "lit when the pin is high"}`);
  }

  // breadboard, rows, rail halves
  const bb = el("g", { id: "breadboard" }, svg);
  el("rect", { class: "breadboard", x: 150, y: 290, width: 710, height: 250, rx: 6 }, bb);
  for (const [name, [x0, y, x1]] of [["ROW_A", GEO.rowA], ["ROW_B", GEO.rowB]]) {
    el("rect", { class: "row", x: x0, y: y - 7, width: x1 - x0, height: 14, rx: 3 }, bb);
    for (let x = x0 + 8; x < x1; x += 16) el("circle", { class: "hole", cx: x, cy: y, r: 2.2 }, bb);
    el("text", { class: "label small", x: x0 - 6, y: y + 4, "text-anchor": "end" }, bb,
      name === "ROW_A" ? "row A" : "row B");
    anchors[name] = [x0 + 8, y];
  }
  for (const [name, [x0, y, x1], text] of [["RAIL_FAR", GEO.railFar, "GND rail, far half"],
    ["RAIL_NEAR", GEO.railNear, "GND rail, near half"]]) {
    el("line", { class: "rail", x1: x0, y1: y, x2: x1, y2: y }, bb);
    el("text", { class: "label small", x: (x0 + x1) / 2, y: y + 22, "text-anchor": "middle" }, bb, text);
  }
  anchors.RAIL_FAR = [190, GEO.railFar[1]];
  anchors.RAIL_NEAR = [820, GEO.railNear[1]];

  // the push button between the rows
  const [bx, by] = GEO.button;
  const btn = el("g", { id: "button", class: "tact", tabindex: 0, role: "button",
    "aria-label": `the stop button on ${layout.button.label}` }, bb);
  el("rect", { class: "button-body body", x: bx - 36, y: by - 36, width: 72, height: 72, rx: 6 }, btn);
  el("circle", { class: "cap", cx: bx, cy: by, r: 22 }, btn);
  el("title", {}, btn, `stop button (${layout.button.label}/GPIO${layout.button.gpio}): hold to press`);
  el("text", { class: "label", x: bx - 44, y: by + 4, "text-anchor": "end" }, bb, `button (${layout.button.label})`);
  holdable(btn, (down) => act.press(down));

  // the press actuator, if the bench has one
  if (layout.actuator) {
    const [sx, sy] = GEO.solenoid;
    el("rect", { id: "solenoid", class: "solenoid", x: sx, y: sy, width: 40, height: 46, rx: 4 }, bb);
    el("text", { class: "label small", x: sx + 46, y: sy + 26 }, bb, `press (${layout.actuator.label})`);
    probe(bb, anchors[layout.actuator.label], [sx + 20, sy], "", "actuator");
  }

  // probes
  for (const [name, p] of Object.entries(layout.probes)) {
    const to = { ROW_A: [GEO.rowA[2] - 10, GEO.rowA[1]], ROW_B: [GEO.rowB[2] - 10, GEO.rowB[1]],
      RAIL_FAR: [anchors[p.label][0], GEO.railFar[1]] }[p.net];
    probe(bb, anchors[p.label], to, `${name} ${p.label}`, p.role);
  }

  // the bench's own wires
  const ends = {
    W1: [anchors[layout.button.label], [GEO.rowA[0] + 120, GEO.rowA[1]]],
    W2: [[GEO.rowB[0] + 24, GEO.rowB[1]], [GEO.rowB[0] + 8, GEO.railFar[1]]],
    W3: [w3Gnd, [w3Gnd[0] + 20, GEO.railNear[1]]],
    BRIDGE: [[GEO.railFar[2] - 6, GEO.railFar[1]], [GEO.railNear[0] + 6, GEO.railNear[1]]],
  };
  const wires = el("g", { id: "wires" }, svg);
  for (const name of Object.keys(layout.bench_wires)) {
    const [[x1, y1], [x2, y2]] = ends[name];
    const d = name === "BRIDGE"
      ? `M${x1} ${y1} C${x1} ${y1 - 40} ${x2} ${y2 - 40} ${x2} ${y2}`
      : `M${x1} ${y1} C${x1} ${(y1 + y2) / 2} ${x2} ${(y1 + y2) / 2} ${x2} ${y2}`;
    const g = el("g", { id: `wire-${name}`, "data-wire": name }, wires);
    el("path", { class: `wire ${name}`, d }, g);
    el("path", { class: "wire-hit", d }, g);
    const lx = name === "BRIDGE" ? (x1 + x2) / 2 : (x1 + x2) / 2 + 10;
    const ly = name === "BRIDGE" ? y1 - 36 : (y1 + y2) / 2;
    el("text", { class: "wire-label", x: lx, y: ly, "text-anchor": name === "BRIDGE" ? "middle" : "start" }, g, name);
    const spec = layout.bench_wires[name];
    el("title", {}, g, `${name}: ${spec.from} → ${spec.to} (click to pull out / put back)`);
    g.addEventListener("click", () => toggleWire(name));
  }
  el("g", { id: "jumper-layer" }, svg);
}

function probe(parent, from, to, text, role) {
  const [x1, y1] = from, [x2, y2] = to;
  el("path", { class: "probe", d: `M${x1} ${y1} C${x1} ${y1 + 60} ${x2} ${y2 - 60} ${x2} ${y2}` }, parent);
  if (text) {
    const t = el("text", { class: "label small", x: x2 + 6, y: y2 - 10 }, parent, text);
    el("title", {}, t, role);
  }
}

function tact(parent, id, x, y, text, onClick) {
  const g = el("g", { id, class: "tact", tabindex: 0, role: "button", "aria-label": text }, parent);
  el("rect", { class: "body", x: x - 14, y: y - 14, width: 28, height: 28, rx: 3, fill: "#c9ced3" }, g);
  el("circle", { class: "cap", cx: x, cy: y, r: 8 }, g);
  el("text", { class: "silk small", x: x, y: y + 26, "text-anchor": "middle" }, g, text);
  g.addEventListener("click", onClick);
  g.addEventListener("keydown", (e) => { if (e.key === "Enter") onClick(); });
  return g;
}

// Press and hold: pointer down presses, pointer up (anywhere: the pointer is captured),
// cancel or focus loss releases. Space / Enter do the same from the keyboard.
function holdable(node, onChange) {
  let held = false;
  const set = (down) => {
    if (down === held) return;
    held = down;
    node.classList.toggle("held", down);
    onChange(down);
  };
  node.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    node.setPointerCapture(e.pointerId);
    e.preventDefault();
    set(true);
  });
  for (const ev of ["pointerup", "pointercancel", "lostpointercapture"]) {
    node.addEventListener(ev, () => set(false));
  }
  node.addEventListener("keydown", (e) => {
    if ((e.key === " " || e.key === "Enter") && !e.repeat) { e.preventDefault(); set(true); }
  });
  node.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") set(false); });
  node.addEventListener("blur", () => set(false));
  window.addEventListener("blur", () => set(false));
}

// -- the hands ---------------------------------------------------------------------------

function toggleWire(name) {
  const wires = (bench.state && bench.state.bench_wires) || {};
  act.wire(name, !(wires[name] !== false)); // in -> pull out; out -> put back
}

function toggleFlash() {
  bench.flashHeld = !bench.flashHeld;
  renderFlash();
}

async function pressReset() {
  const flash = bench.flashHeld;
  bench.flashHeld = false;
  renderFlash();
  await act.reset(flash);
}

function renderFlash() {
  $("#flash").setAttribute("aria-pressed", String(bench.flashHeld));
  const key = $("#flash-key");
  if (key) key.classList.toggle("held", bench.flashHeld);
  $("#flash-hint").textContent = bench.flashHeld ? "FLASH held: press RST for the bootloader" : "";
}

function buildControls(layout) {
  const wireBox = $("#wire-buttons");
  wireBox.textContent = "";
  for (const name of Object.keys(layout.bench_wires)) {
    const b = html("button", { id: `wire-button-${name}`, type: "button" }, wireBox, name);
    b.addEventListener("click", () => toggleWire(name));
  }
  for (const id of ["#jumper-a", "#jumper-b"]) {
    const sel = $(id);
    sel.textContent = "";
    for (const n of layout.nets) html("option", { value: n }, sel, n);
  }
  $("#jumper-a").value = layout.button.label;
  $("#jumper-b").value = "GND";
  $("#jumper-connect").addEventListener("click", () => {
    const a = $("#jumper-a").value, b = $("#jumper-b").value;
    if (a === b) { showError(`a jumper from ${a} to ${b} joins a net to itself: pick two nets`); return; }
    act.jumper(a, b, true);
  });
  const list = $("#faults");
  list.textContent = "";
  for (const f of layout.faults) {
    const li = html("li", { id: `fault-row-${f.name}`, title: f.description }, list);
    const box = html("input", { type: "checkbox", id: `fault-${f.name}` }, li);
    html("label", { for: `fault-${f.name}` }, li, f.name);
    let rate = null;
    if (f.rated) {  // optional: NAME:RATE (e.g. intermittent:0.02); empty = the plain fault
      rate = html("input", { type: "number", id: `fault-rate-${f.name}`, min: "0", max: "1", step: "0.01",
        placeholder: "rate", "aria-label": `${f.name} rate (0 to 1)`, class: "rate" }, li);
    }
    const spec = () => (rate && rate.value !== "" ? `${f.name}:${rate.value}` : f.name);
    box.addEventListener("change", () =>
      box.checked ? act.faults([spec()], []) : act.faults([], [f.name]));
    if (rate) rate.addEventListener("change", () => { if (box.checked) act.faults([spec()], []); });
  }
  $("#rst").addEventListener("click", () => pressReset());
  $("#flash").addEventListener("click", () => toggleFlash());
  $("#vcd-file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    if (file) readVcdFile(file);
  });
  $("#replay-twin").addEventListener("click", () => replayTwin());
  $("#replay-stop").addEventListener("click", () => stopReplay());
  $("#replay-restart").addEventListener("click", () => {
    if (bench.replay) Object.assign(bench.replay, { start: performance.now(), offset: 0 });
  });
  $("#replay-speed").addEventListener("change", (e) => {
    if (!bench.replay) return;
    const r = bench.replay, now = performance.now();
    r.offset = replayTime() - r.t0; // keep the replay where it is, change only its speed
    r.start = now;
    r.speed = Number(e.target.value);
  });
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) readVcdFile(file);
  });
}

// -- live state --------------------------------------------------------------------------

function serverNow() {
  if (!bench.clock) return 0;
  return bench.clock.server + (performance.now() - bench.clock.perf) / 1000;
}

function record(channel, t, value) {
  const h = bench.history[channel] || (bench.history[channel] = []);
  if (h.length && h[h.length - 1][1] === value) return;
  h.push([t, value]);
  const cutoff = t - 120;  // keep two minutes
  while (h.length > 2 && h[1][0] < cutoff) h.shift();
}

function ledLit(led, level) {
  if (level === null || level === undefined) return false;
  return led.active_low ? level === 0 : level === 1;
}

function onState(st) {
  bench.state = st;
  bench.clock = { server: st.t, perf: performance.now() };
  const layout = bench.layout;
  for (const c of st.led_changes) record(`LED ${c.label}`, c.t, c.level);
  for (const led of layout.leds) {
    if (!bench.history[`LED ${led.label}`]) record(`LED ${led.label}`, st.t, st.leds[led.label]);
  }
  const bp = st.pins[layout.button.label];
  record(`${layout.button.label} (button pin)`, st.t, bp ? bp.level : null);
  record("button pressed", st.t, st.button.pressed || st.button.solenoid ? 1 : 0);
  render(st);
}

function render(st) {
  const layout = bench.layout;
  if (!bench.replay) {
    for (const led of layout.leds) setLed(led, st.leds[led.label]);
  }
  // pins on the header and in the table
  const body = $("#pins tbody");
  body.textContent = "";
  const roles = new Set([...layout.leds.map((l) => l.label), layout.button.label]);
  for (const [label, p] of Object.entries(st.pins)) {
    const lv = p.level === null ? "none" : String(p.level);
    const g = document.getElementById(`pin-${label}`);
    if (g) {
      g.querySelector("rect").setAttribute("class", `pin l${lv}${p.mode === "in" ? "" : " out"}`);
      const mode = g.querySelector(".pin-mode");
      if (mode) mode.textContent = p.mode === "in" ? (p.pull ? "in↑" : "in") : p.mode;
      g.querySelector("title").textContent =
        `${label}/GPIO${p.gpio}: ${p.mode}${p.pull ? " pull-up" : ""}, latch ${p.latch}, level ${p.level === null ? "floating" : p.level}`;
    }
    const tr = html("tr", { id: `pinrow-${label}`, class: roles.has(label) ? "role" : "" }, body);
    html("td", {}, tr, label);
    html("td", {}, tr, String(p.gpio));
    html("td", {}, tr, p.mode);
    html("td", {}, tr, p.pull ? "up" : "");
    html("td", {}, tr, String(p.latch));
    html("td", { class: `l${lv}` }, tr, p.level === null ? "float" : String(p.level));
  }
  // the button and the actuator
  $("#button").classList.toggle("pressed", !!st.button.pressed);
  const sol = $("#solenoid");
  if (sol) sol.classList.toggle("on", !!st.button.solenoid);
  // bench wires
  for (const [name, inPlace] of Object.entries(st.bench_wires || {})) {
    const g = document.getElementById(`wire-${name}`);
    if (g) {
      g.querySelector(".wire").classList.toggle("pulled", !inPlace);
      g.querySelector(".wire-label").classList.toggle("pulled", !inPlace);
      g.dataset.in = String(inPlace);
    }
    const b = document.getElementById(`wire-button-${name}`);
    if (b) {
      b.textContent = inPlace ? `${name}: pull out` : `${name}: put back`;
      b.classList.toggle("out", !inPlace);
    }
  }
  renderJumpers(st.wires || []);
  // faults
  const specs = new Map(st.faults.map((spec) => [spec.split(":")[0], spec.split(":")[1]]));
  const active = new Set(specs.keys());
  for (const f of layout.faults) {
    const box = document.getElementById(`fault-${f.name}`);
    box.checked = active.has(f.name);
    const rate = document.getElementById(`fault-rate-${f.name}`);
    if (rate && document.activeElement !== rate && active.has(f.name)) rate.value = specs.get(f.name) || "";
    document.getElementById(`fault-row-${f.name}`).classList.toggle("on", active.has(f.name));
  }
  // boot state and the UART line
  const boot = $("#boot");
  const names = { off: "off", rom: "ROM bootloader", stub: "flasher stub", micropython: "MicroPython", "boot-loop": "boot loop" };
  boot.textContent = `boot: ${names[st.boot] || st.boot}`;
  boot.dataset.state = st.boot;
  boot.className = `pill ${st.boot === "micropython" ? "ok" : st.boot === "boot-loop" ? "bad" : "warn"}`;
  boot.title = st.boot_failure ? `${st.boot_failure.reason}` : `boots: ${st.boot_count}`;
  const client = st.client || {};
  const who = [client.pty ? "pty" : null, client.rfc2217 ? "rfc2217" : null].filter(Boolean);
  const uart = $("#uart");
  uart.textContent = `UART ${st.baud} baud · ${who.length ? `client: ${who.join(", ")}` : "no client"}`;
  uart.title = `DTR ${st.lines.dtr ? 1 : 0} RTS ${st.lines.rts ? 1 : 0}${st.lines.en_held ? " (EN held low)" : ""} · pty ${st.pty} · ${st.url}`;
  uart.dataset.client = who.join(",");
  $("#firmware").textContent = st.boot_failure
    ? `boot loop: ${st.boot_failure.reason}`
    : st.firmware ? st.firmware.banner : "no firmware";
  const shorts = $("#shorts");
  shorts.hidden = !st.shorts.length;
  shorts.textContent = st.shorts.length ? st.shorts[st.shorts.length - 1].message : "";
}

function setLed(led, level) {
  const node = document.getElementById(`led-${led.label}`);
  if (!node) return;
  const lit = ledLit(led, level);
  node.classList.toggle("lit", lit);
  node.dataset.lit = String(lit);
}

function renderJumpers(wires) {
  const list = $("#jumpers");
  list.textContent = "";
  const layer = $("#jumper-layer");
  layer.textContent = "";
  for (const w of wires) {
    const li = html("li", {}, list, `${w.a} – ${w.b} `);
    const rm = html("button", { type: "button", "data-jumper": `${w.a}-${w.b}` }, li, "remove");
    rm.addEventListener("click", () => act.jumper(w.a, w.b, false));
    const a = anchors[w.a], b = anchors[w.b];
    if (!a || !b) continue;
    const sag = 70;
    const d = `M${a[0]} ${a[1]} C${a[0]} ${a[1] + sag} ${b[0]} ${b[1] + sag} ${b[0]} ${b[1]}`;
    const g = el("g", { id: `jumper-${w.a}-${w.b}` }, layer);
    el("path", { class: "jumper", d }, g);
    el("path", { class: "wire-hit", d }, g);
    el("title", {}, g, `jumper ${w.a} – ${w.b} (click to remove)`);
    g.addEventListener("click", () => act.jumper(w.a, w.b, false));
  }
}

function connect() {
  const source = new EventSource(withToken("events"));
  source.addEventListener("open", () => {
    bench.connected = true;
    const link = $("#link");
    link.textContent = "live";
    link.className = "pill ok";
  });
  source.addEventListener("state", (e) => onState(JSON.parse(e.data)));
  source.addEventListener("gone", (e) => {
    source.close();  // the twin broke: reconnecting would only repeat it
    bench.connected = false;
    $("#link").textContent = "twin gone";
    $("#link").className = "pill bad";
    showError(`the twin stopped answering: ${JSON.parse(e.data).error}`);
  });
  source.addEventListener("error", () => {
    bench.connected = false;
    const link = $("#link");
    link.textContent = source.readyState === EventSource.CLOSED ? "twin gone" : "reconnecting…";
    link.className = "pill bad";
  });
}

// -- the history strip -------------------------------------------------------------------

function levelAt(changes, t) {
  let v = null;
  for (const [tc, value] of changes) {
    if (tc > t) break;
    v = value;
  }
  return v;
}

function drawStrip() {
  const canvas = $("#strip");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const layout = bench.layout;
  if (!layout) return;
  const replay = bench.replay;
  const now = replay ? replayTime() : serverNow();
  const source = replay ? replay.channels : bench.history;
  const names = Object.keys(source);
  const rowH = Math.min(34, (H - 14) / Math.max(1, names.length));
  const x0 = 150, span = W - x0 - 6;
  const tx = (t) => x0 + ((t - (now - STRIP_S)) / STRIP_S) * span;
  ctx.font = "12px system-ui, sans-serif";
  names.forEach((name, row) => {
    const y = 4 + row * rowH, h = rowH - 8;
    const led = layout.leds.find((l) => name === `LED ${l.label}`);
    ctx.fillStyle = "#1d2329";
    ctx.fillText(name + (led ? " lit" : ""), 6, y + h / 2 + 4);
    ctx.strokeStyle = "#e3e7ea";
    ctx.strokeRect(x0, y, span, h);
    const changes = source[name];
    let v = levelAt(changes, now - STRIP_S);
    let t = now - STRIP_S;
    const segs = [];
    for (const [tc, value] of changes) {
      if (tc <= t) continue;
      if (tc > now) break;
      segs.push([t, tc, v]);
      t = tc;
      v = value;
    }
    segs.push([t, now, v]);
    for (const [a, b, value] of segs) {
      if (value === null || value === undefined) {
        ctx.fillStyle = "#d5dade";
        ctx.fillRect(tx(a), y + h / 2 - 1, tx(b) - tx(a), 2);
        continue;
      }
      const on = led ? ledLit(led, value) : value === 1;
      ctx.fillStyle = led ? (on ? "#3aa0ff" : "#20313f")
        : name === "button pressed" ? (on ? "#f08c00" : "#20313f") : (on ? "#e0533d" : "#2b4a6f");
      if (led || name === "button pressed") {
        ctx.fillRect(tx(a), y + (on ? 0 : h - 3), tx(b) - tx(a), on ? h : 3);
      } else {
        ctx.fillRect(tx(a), on ? y : y + h - 3, tx(b) - tx(a), 3);
      }
    }
  });
  ctx.fillStyle = "#6b747c";
  const footY = H - 2;
  for (let s = 0; s <= STRIP_S; s += 2) {
    ctx.fillText(s === 0 ? "now" : `-${s} s`, x0 + span - (s / STRIP_S) * span - (s === 0 ? 24 : 14), footY);
  }
}

// -- replay: a report's VCD or the twin's LED history ------------------------------------

// VCD (IEEE 1364 §18): header declarations up to $enddefinitions, then `#time` lines and
// value changes (`0!`, `1!`, `x!`, `b101 !`). Returns {timescale: s per tick, signals}.
function parseVcd(text) {
  const tokens = text.split(/\s+/).filter(Boolean);
  const signals = {}; // id -> {name, changes: [[t_s, v]]}
  let timescale = 1e-9;
  let i = 0;
  const units = { s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9, ps: 1e-12, fs: 1e-15 };
  while (i < tokens.length) {
    const tok = tokens[i++];
    if (tok === "$timescale") {
      let spec = "";
      while (i < tokens.length && tokens[i] !== "$end") spec += tokens[i++];
      i++;
      const m = /^(\d+)\s*(s|ms|us|ns|ps|fs)$/.exec(spec);
      if (!m) throw new Error(`VCD timescale ${JSON.stringify(spec)} not understood`);
      timescale = Number(m[1]) * units[m[2]];
    } else if (tok === "$var") {
      const decl = [];
      while (i < tokens.length && tokens[i] !== "$end") decl.push(tokens[i++]);
      i++;
      const [, size, id, ...ref] = decl;
      signals[id] = { name: ref.filter((r) => !/^\[/.test(r)).join(""), size: Number(size), changes: [] };
    } else if (tok === "$enddefinitions") {
      while (i < tokens.length && tokens[i] !== "$end") i++;
      i++;
      break;
    } else if (tok.startsWith("$")) {
      while (i < tokens.length && tokens[i] !== "$end") i++;
      i++;
    }
  }
  if (!Object.keys(signals).length) throw new Error("no $var declarations: is this a VCD file?");
  let t = 0, end = 0;
  const put = (id, raw) => {
    const s = signals[id];
    if (!s) return;
    const v = /^[01]+$/.test(raw) ? parseInt(raw, 2) : null;
    s.changes.push([t * timescale, v]);
  };
  while (i < tokens.length) {
    const tok = tokens[i++];
    if (tok[0] === "#") {
      t = Number(tok.slice(1));
      end = Math.max(end, t);
    } else if (tok[0] === "b" || tok[0] === "B" || tok[0] === "r" || tok[0] === "R") {
      put(tokens[i++], tok.slice(1).toLowerCase());
    } else if ("01xXzZ".includes(tok[0])) {
      put(tok.slice(1), tok[0]);
    } // $dumpvars / $end and friends carry no value themselves
  }
  return { timescale, end: end * timescale, signals: Object.values(signals) };
}

// A VCD signal is a bench pin when its name starts with the pin's label (`D4_GPIO2`)
// or names its GPIO.
function pinOfSignal(name) {
  const layout = bench.layout;
  const pins = [...layout.leds, layout.button];
  return pins.find((p) => new RegExp(`^${p.label}(?![0-9])`, "i").test(name)
    || new RegExp(`GPIO${p.gpio}(?![0-9])`, "i").test(name)) || null;
}

function startReplay(source, channels, t0, end) {
  bench.replay = { source, channels, t0, end, start: performance.now(), speed: Number($("#replay-speed").value), offset: 0 };
  $("#replay-bar").hidden = false;
  $("#replay-source").textContent = source;
  document.body.classList.add("replaying");
}

function replayTime() {
  const r = bench.replay;
  const t = r.t0 + r.offset + ((performance.now() - r.start) / 1000) * r.speed;
  return Math.min(t, r.end);
}

function stopReplay() {
  bench.replay = null;
  $("#replay-bar").hidden = true;
  document.body.classList.remove("replaying");
  if (bench.state) render(bench.state);
}

function replayFrame() {
  const r = bench.replay;
  const t = replayTime();
  $("#replay-time").textContent = `${(t - r.t0).toFixed(1)} s of ${(r.end - r.t0).toFixed(1)} s`;
  for (const led of bench.layout.leds) {
    const ch = r.channels[`LED ${led.label}`];
    if (ch) setLed(led, levelAt(ch, t));
  }
}

function readVcdFile(file) {
  file.text().then((text) => {
    let vcd;
    try {
      vcd = parseVcd(text);
    } catch (e) {
      showError(`${file.name}: ${e.message}`);
      return;
    }
    const channels = {};
    for (const s of vcd.signals) {
      const pin = pinOfSignal(s.name);
      const isLed = pin && bench.layout.leds.includes(pin);
      const key = isLed ? `LED ${pin.label}` : pin ? `${pin.label} (button pin)` : s.name;
      channels[key] = s.changes;
    }
    if (!Object.keys(channels).some((k) => k.startsWith("LED "))) {
      showError(`${file.name}: no signal names an LED pin (${bench.layout.leds.map((l) => l.label).join(", ")}); showing the traces only`);
    } else {
      showError("");
    }
    startReplay(file.name, channels, 0, Math.max(vcd.end, 0.001));
  });
}

async function replayTwin() {
  let st;
  try {
    st = await getJson("state");
  } catch (e) {
    showError(e.message);
    return;
  }
  const hist = st.led_history;
  if (!hist.length) { showError("the twin has no LED history yet: run the app first"); return; }
  showError("");
  const channels = {};
  for (const c of hist) (channels[`LED ${c.label}`] = channels[`LED ${c.label}`] || []).push([c.t, c.level]);
  startReplay(`the twin's LED history (${hist.length} changes)`, channels, hist[0].t, hist[hist.length - 1].t + 1);
}

// -- start -------------------------------------------------------------------------------

// 20 frames a second are plenty for a strip of seconds and keep an idle tab cheap.
const FRAME_MS = 50;
let lastFrame = 0;

function frame(now) {
  if (now - lastFrame >= FRAME_MS) {
    lastFrame = now;
    if (bench.replay) replayFrame();
    drawStrip();
  }
  requestAnimationFrame(frame);
}

async function main() {
  try {
    bench.layout = await getJson("bench");
  } catch (e) {
    showError(`the bench layout did not load (${e.message}); reload the page`);
    return;
  }
  drawBench(bench.layout);
  buildControls(bench.layout);
  $("#strip-seconds").textContent = String(STRIP_S);
  connect();
  requestAnimationFrame(frame);
}

main();
