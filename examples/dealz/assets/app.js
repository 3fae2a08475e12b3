// dealz: the page. One WebSocket to the host; the host's state is the truth,
// the page only draws it and sends requests (see web.rs for the protocol).
"use strict";

const TALK_SYMBOLS = ["MSFT", "AAPL", "GOOG", "YHOO", "BBRY"];
const $ = (id) => document.getElementById(id);

// What the tests (and a curious user in the console) can read.
const dealz = (window.dealz = {
  connected: false,
  ticks: {},
  chatLines: 0,
  errors: [],
  closeCodes: [],
});

let socket = null;
let state = null;
// Sends any text as is, e.g. to see how the host answers bad input.
dealz.sendRaw = (text) => {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(text);
  return true;
};
let retry = 250;
let preFollowed = false;

// ---------------------------------------------------------------- helpers
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}
function hms(epoch) {
  const d = new Date(epoch * 1000);
  return d.toTimeString().slice(0, 8);
}
function money(x) {
  return x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
function signed(x, digits) {
  return (x >= 0 ? "+" : "") + x.toFixed(digits);
}
function hue(name) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h}, 70%, 68%)`;
}
function send(request) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(request));
    return true;
  }
  toast("Not connected to the host; retrying…");
  return false;
}
let toastTimer = null;
function toast(message) {
  const t = $("toast");
  t.textContent = message;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 5000);
}
function setLink(id, up) {
  $(id).dataset.up = up ? "true" : "false";
}

// ---------------------------------------------------------------- connection
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.onopen = () => {
    retry = 250;
    dealz.connected = true;
    setLink("link-host", true);
    if (!preFollowed) {
      preFollowed = true;
      const wanted = new URLSearchParams(location.search).get("follow");
      if (wanted) {
        for (const symbol of wanted.split(",").map((s) => s.trim()).filter(Boolean)) {
          send({ type: "follow", symbol });
        }
      }
    }
  };
  socket.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    handle(message);
  };
  socket.onclose = (event) => {
    dealz.connected = false;
    dealz.closeCodes.push(event.code);
    // 1008 (not answering), 1009 (too big), 1002/1007 (broken frames): say why.
    if (event.code !== 1000 && event.code !== 1001 && event.code !== 1006) {
      toast(`The host closed the connection (${event.code}${event.reason ? ": " + event.reason : ""}); reconnecting…`);
    }
    setLink("link-host", false);
    for (const id of ["link-tickz", "link-chatz", "link-valuz"]) setLink(id, false);
    $("ticker-status").textContent = "host gone — reconnecting…";
    $("ticker-status").className = "status down";
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 4000);
  };
}

function handle(m) {
  switch (m.type) {
    case "snapshot":
      state = m;
      drawAll();
      break;
    case "tick":
      onTick(m);
      break;
    case "followed":
      state.ticker.symbols[m.symbol] = m.quote;
      drawTicker();
      break;
    case "forgot":
      delete state.ticker.symbols[m.symbol];
      drawTicker();
      break;
    case "ticker_link":
      state.ticker.connected = m.connected;
      drawTicker();
      break;
    case "chat":
      state.chat.lines.push(m);
      if (state.chat.lines.length > 200) state.chat.lines.shift();
      appendChat(m, true);
      break;
    case "chat_status":
      state.chat.connected = m.connected;
      state.chat.users = m.users;
      drawChatStatus();
      break;
    case "valuation":
      state.valuation = m;
      drawValuation();
      break;
    case "diag":
      state.diagnostics.sockets[m.socket.name] = m.socket;
      state.diagnostics.events.push(m.event);
      if (state.diagnostics.events.length > 300) state.diagnostics.events.shift();
      drawSockets();
      prependEvent(m.event);
      break;
    case "error":
      dealz.errors.push(m.message);
      toast(m.message);
      break;
  }
}

function drawAll() {
  $("handle").textContent = state.handle;
  drawTicker();
  drawChatStatus();
  const log = $("chat-log");
  log.replaceChildren();
  for (const line of state.chat.lines) appendChat(line, false);
  log.scrollTop = log.scrollHeight;
  drawValuation();
  drawSockets();
  const events = $("diag-events");
  events.replaceChildren();
  for (const e of state.diagnostics.events) prependEvent(e);
}

// ---------------------------------------------------------------- ticker
const charts = {}; // symbol -> canvas

function drawTicker() {
  const t = state.ticker;
  setLink("link-tickz", t.connected);
  const status = $("ticker-status");
  status.textContent = t.connected ? `live · ${t.endpoint}` : `disconnected · ${t.endpoint}`;
  status.className = "status " + (t.connected ? "up" : "down");

  const quick = $("quick");
  quick.replaceChildren();
  for (const symbol of TALK_SYMBOLS) {
    const on = symbol in t.symbols;
    const chip = el("button", "chip" + (on ? " on" : ""), (on ? "✓ " : "+ ") + symbol);
    chip.type = "button";
    chip.dataset.symbol = symbol;
    chip.onclick = () => send({ type: on ? "forget" : "follow", symbol });
    quick.append(chip);
  }

  const cards = $("cards");
  const wanted = Object.keys(t.symbols);
  for (const card of [...cards.children]) {
    if (!wanted.includes(card.dataset.symbol)) {
      delete charts[card.dataset.symbol];
      card.remove();
    }
  }
  for (const symbol of wanted) {
    let card = $("sym-" + symbol);
    if (!card) {
      card = makeCard(symbol);
      cards.append(card);
    }
    drawQuote(symbol);
  }
  $("cards-empty").hidden = wanted.length > 0;
  cards.hidden = wanted.length === 0;
}

function makeCard(symbol) {
  const card = el("div", "card");
  card.id = "sym-" + symbol;
  card.dataset.symbol = symbol;
  const top = el("div", "top");
  top.append(el("span", "sym", symbol), el("span", "change last-move"));
  const forget = el("button", "forget", "×");
  forget.type = "button";
  forget.title = "Forget " + symbol;
  forget.onclick = () => send({ type: "forget", symbol });
  top.append(forget);
  const canvas = el("canvas");
  charts[symbol] = canvas;
  card.append(top, el("div", "price", "—"), el("div", "change total", "waiting for a tick…"), canvas);
  return card;
}

function drawQuote(symbol) {
  const q = state.ticker.symbols[symbol];
  const card = $("sym-" + symbol);
  if (!q || !card) return;
  const price = card.querySelector(".price");
  const total = card.querySelector(".total");
  const move = card.querySelector(".last-move");
  if (q.price !== null) {
    price.textContent = money(q.price);
    const rising = q.previous === null || q.price >= q.previous;
    price.className = "price " + (rising ? "up" : "down");
    move.textContent = q.previous === null ? "" : (rising ? "▲ " : "▼ ") + signed(q.price - q.previous, 2);
    move.className = "change last-move " + (rising ? "up" : "down");
    const change = q.price - q.first;
    total.textContent = `${signed(change, 2)} (${signed((100 * change) / q.first, 2)}%)`;
    total.title = "since followed";
    total.className = "change total " + (change >= 0 ? "up" : "down");
  }
  drawChart(symbol);
}

function onTick(m) {
  dealz.ticks[m.symbol] = (dealz.ticks[m.symbol] || 0) + 1;
  const q = state.ticker.symbols[m.symbol];
  if (!q) return;
  q.previous = q.price;
  q.price = m.price;
  if (q.first === null) q.first = m.price;
  q.history.push([m.time, m.price]);
  if (q.history.length > 240) q.history.shift();
  drawQuote(m.symbol);
  const card = $("sym-" + m.symbol);
  if (card && q.previous !== null) {
    card.classList.remove("flash-up", "flash-down");
    card.classList.add(m.price >= q.previous ? "flash-up" : "flash-down");
    clearTimeout(card.flashTimer);
    card.flashTimer = setTimeout(() => card.classList.remove("flash-up", "flash-down"), 350);
  }
}

function drawChart(symbol) {
  const canvas = charts[symbol];
  const q = state.ticker.symbols[symbol];
  if (!canvas || !q) return;
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (!w || !h) return;
  if (canvas.width !== w * ratio || canvas.height !== h * ratio) {
    canvas.width = w * ratio;
    canvas.height = h * ratio;
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#1a2431";
  g.lineWidth = 1;
  for (let i = 1; i < 4; i++) {
    g.beginPath();
    g.moveTo(0, Math.round((h * i) / 4) + 0.5);
    g.lineTo(w, Math.round((h * i) / 4) + 0.5);
    g.stroke();
  }
  const points = q.history;
  if (points.length < 2) return;
  let lo = Infinity, hi = -Infinity;
  for (const [, p] of points) {
    lo = Math.min(lo, p);
    hi = Math.max(hi, p);
  }
  const pad = (hi - lo) * 0.1 || 0.5;
  lo -= pad;
  hi += pad;
  const n = points.length;
  const x = (i) => (i / (n - 1)) * (w - 2) + 1;
  const y = (p) => h - 2 - ((p - lo) / (hi - lo)) * (h - 4);
  const rising = points[n - 1][1] >= points[0][1];
  const color = rising ? "#1fd286" : "#ff5468";
  const fill = g.createLinearGradient(0, 0, 0, h);
  fill.addColorStop(0, rising ? "rgba(31,210,134,.28)" : "rgba(255,84,104,.28)");
  fill.addColorStop(1, "rgba(0,0,0,0)");
  g.beginPath();
  g.moveTo(x(0), y(points[0][1]));
  for (let i = 1; i < n; i++) g.lineTo(x(i), y(points[i][1]));
  g.lineTo(x(n - 1), h);
  g.lineTo(x(0), h);
  g.closePath();
  g.fillStyle = fill;
  g.fill();
  g.beginPath();
  g.moveTo(x(0), y(points[0][1]));
  for (let i = 1; i < n; i++) g.lineTo(x(i), y(points[i][1]));
  g.strokeStyle = color;
  g.lineWidth = 1.6;
  g.stroke();
  g.fillStyle = color;
  g.beginPath();
  g.arc(x(n - 1), y(points[n - 1][1]), 2.5, 0, Math.PI * 2);
  g.fill();
}

window.addEventListener("resize", () => {
  if (state) for (const symbol of Object.keys(charts)) drawChart(symbol);
});

$("follow-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("follow-input");
  const symbol = input.value.trim();
  if (!symbol) return;
  if (send({ type: "follow", symbol })) input.value = "";
});

// ---------------------------------------------------------------- chat
function drawChatStatus() {
  const c = state.chat;
  setLink("link-chatz", c.connected);
  const status = $("chat-status");
  status.textContent = c.connected ? `${c.users.length} online · ${c.endpoint}` : `disconnected · ${c.endpoint}`;
  status.className = "status " + (c.connected ? "up" : "down");
  const users = $("users");
  users.replaceChildren();
  for (const user of c.users) {
    const li = el("li", user === state.handle ? "me" : "", user);
    li.dataset.handle = user;
    users.append(li);
  }
}

function appendChat(line, scroll) {
  dealz.chatLines += 1;
  const log = $("chat-log");
  const li = el("li", line.handle === state.handle ? "mine" : "");
  const body = el("span");
  const who = el("span", "handle", line.handle);
  if (line.handle !== state.handle) who.style.color = hue(line.handle);
  body.append(who, el("span", "text", line.text));
  li.append(el("span", "time", hms(line.time)), body);
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(li);
  while (log.children.length > 200) log.firstChild.remove();
  if (!scroll || atBottom) log.scrollTop = log.scrollHeight;
}

$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("chat-input");
  const text = input.value.trim();
  if (!text) return;
  if (send({ type: "post", text })) input.value = "";
});

// ---------------------------------------------------------------- valuation
function drawValuation() {
  const v = state.valuation;
  $("val-workers").textContent = `${v.workers} worker(s) · ${v.worker_program}`;
  $("val-workers").title = v.worker_command;
  const running = v.phase === "starting" || v.phase === "running";
  $("val-run-random").disabled = running;
  $("val-run-list").disabled = running;
  $("val-phase").textContent = v.phase === "starting" ? `starting (${v.ready}/${v.workers} ready)` : v.phase;
  $("val-done").textContent = v.total ? `${v.done.toLocaleString("en-US")} / ${v.total.toLocaleString("en-US")}` : "–";
  $("val-elapsed").textContent = v.total && v.phase !== "starting" ? `${v.elapsed_ms} ms` : "–";
  $("val-bar").style.width = v.total ? `${(100 * v.done) / v.total}%` : "0";
  const result = $("val-result");
  result.textContent = v.result ?? "–";
  result.className = v.result ? (v.result.startsWith("-") ? "down" : "up") : "";
  const note = $("val-note");
  note.className = "val-note";
  if (v.error) {
    note.textContent = v.error;
    note.className = "val-note bad";
  } else if (v.result && v.expected) {
    const ok = v.result === v.expected && v.bad_values === 0;
    note.textContent = ok
      ? `✓ matches the expected ${v.expected}`
      : `✗ expected ${v.expected}` + (v.bad_values ? `, ${v.bad_values} bad value(s)` : "");
    if (!ok) note.className = "val-note bad";
  } else {
    note.textContent = "";
  }
  const runs = $("val-runs");
  if (v.history.length) {
    runs.replaceChildren();
    for (const r of [...v.history].reverse()) {
      const tr = el("tr");
      const result = el("td", (r.result.startsWith("-") ? "down " : "up ") + (r.matches ? "ok" : "bad"), r.result);
      tr.append(
        el("td", "", hms(r.time)),
        el("td", "", r.orders.toLocaleString("en-US")),
        el("td", "", String(r.workers)),
        el("td", "", `${r.elapsed_ms} ms`),
        result
      );
      runs.append(tr);
    }
  }
  let valuzUp = true;
  for (const [name, s] of Object.entries(state.diagnostics.sockets)) {
    if (name.startsWith("valuz") && s.state !== "listening" && s.state !== "up" && s.state !== "handshaking") valuzUp = false;
  }
  setLink("link-valuz", valuzUp);
}

$("val-run-random").addEventListener("click", () => {
  const orders = Number($("val-count").value);
  send({ type: "run", orders });
});
$("val-run-list").addEventListener("click", () => {
  send({ type: "run", list: $("val-list").value });
});
$("val-list").addEventListener("input", () => {
  const n = $("val-list").value.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#")).length;
  $("val-list-count").textContent = n ? `${n.toLocaleString("en-US")} order(s) pasted` : "";
});

// ---------------------------------------------------------------- diagnostics
function drawSockets() {
  const body = $("diag-sockets");
  body.replaceChildren();
  for (const s of Object.values(state.diagnostics.sockets)) {
    const tr = el("tr");
    tr.dataset.socket = s.name;
    tr.dataset.state = s.state;
    const counts = el("td", "counts");
    for (const [kind, n] of Object.entries(s.counts)) {
      const c = el("span", "count " + eventClass(kind));
      c.dataset.event = kind;
      c.title = `${kind}: ${n}`;
      c.append(SHORT_KINDS[kind] || kind, el("b", "", String(n)));
      counts.append(c);
    }
    const ep = el("td", "ep", s.endpoint.replace(/^tcp:\/\//, ""));
    ep.title = s.endpoint;
    tr.append(el("td", "", s.name), ep, el("td", "", ""), counts);
    tr.children[2].append(el("span", "state " + s.state, s.state));
    body.append(tr);
  }
  if (state.valuation) drawValuation();
}

// Compact labels for the per-socket counts (the full name is the tooltip).
const SHORT_KINDS = {
  Connected: "conn",
  ConnectDelayed: "delayed",
  ConnectRetried: "retry",
  Listening: "listen",
  BindFailed: "bind fail",
  Accepted: "accept",
  AcceptFailed: "accept fail",
  Closed: "closed",
  CloseFailed: "close fail",
  Disconnected: "disc",
  MonitorStopped: "stopped",
  HandshakeSucceeded: "hs ok",
  HandshakeFailedNoDetail: "hs fail",
  HandshakeFailedProtocol: "hs proto",
  HandshakeFailedAuth: "hs auth",
  // The web host's own line (browsers it closed).
  Evicted: "evicted",
  TooBig: "too big",
  ProtocolError: "bad frames",
};

function eventClass(kind) {
  if (/^(HandshakeSucceeded|Connected|Listening|Accepted)$/.test(kind)) return "ev-good";
  if (/Failed|Disconnected|Evicted|TooBig|ProtocolError/.test(kind)) return "ev-bad";
  return "ev-info";
}

function prependEvent(e) {
  const list = $("diag-events");
  const li = el("li");
  li.dataset.socket = e.socket;
  li.dataset.event = e.event;
  li.append(
    el("span", "time", hms(e.time)),
    el("span", "", e.socket),
    el("span", eventClass(e.event), e.event),
    el("span", "detail", `${e.endpoint} ${e.detail}`.trim())
  );
  list.prepend(li);
  while (list.children.length > 300) list.lastChild.remove();
}

// ---------------------------------------------------------------- start
setInterval(() => ($("clock").textContent = new Date().toTimeString().slice(0, 8)), 1000);
connect();
