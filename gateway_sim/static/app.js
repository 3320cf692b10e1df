// Handset page: send MO and dial USSD through the control API, poll the conversation.
// No framework and no build step; works offline.
"use strict";

const params = new URLSearchParams(location.search);
if (params.get("token")) localStorage.setItem("gatewaySimToken", params.get("token"));
const token = localStorage.getItem("gatewaySimToken");

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;
let lastRendered = "";

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
    throw new Error(`HTTP ${res.status}: ${detail}`);
  }
  return data;
}

function bubble(msg) {
  const div = document.createElement("div");
  div.className = "msg " + msg.direction;
  div.dataset.id = msg.id;
  const text = document.createElement("div");
  text.className = "text";
  text.textContent = msg.text;
  const meta = document.createElement("div");
  meta.className = "meta";
  const time = new Date(msg.t * 1000).toLocaleTimeString();
  if (msg.direction === "mt") {
    div.dataset.state = msg.state;
    meta.textContent = `${msg.from} · ${time} · ${msg.segments} part(s) · dc=${msg.data_coding}` +
      ` · ${msg.state}` + (msg.ussd ? ` · USSD op=${msg.ussd.op}` : "");
  } else {
    const acked = msg.acked ? "delivered to service" : "queued";
    meta.textContent = `${time} · ${msg.segments} part(s) · dc=${msg.data_coding} · ${acked}`;
  }
  div.append(text, meta);
  return div;
}

async function refresh() {
  const msisdn = $("msisdn").value.trim();
  try {
    const [convo, stats] = await Promise.all([
      msisdn ? api("GET", `/api/handsets/${encodeURIComponent(msisdn)}/conversation`)
             : { messages: [] },
      api("GET", "/api/stats"),
    ]);
    const key = JSON.stringify(convo.messages.map((m) => [m.id, m.state, m.acked]));
    if (key !== lastRendered) {
      lastRendered = key;
      const box = $("conversation");
      box.replaceChildren(...convo.messages.map(bubble));
      box.scrollTop = box.scrollHeight;
    }
    const bound = stats.binds.filter((b) => b.state === "bound");
    $("status").textContent = bound.length
      ? `${bound.length} ESME bind(s): ` + bound.map((b) => `${b.system_id}/${b.mode}`).join(", ")
      : "no ESME bound: messages wait in the SMSC queue";
    $("status").className = "status " + (bound.length ? "ok" : "warn");
    if ($("ussd-screen").dataset.state === "waiting") loadUssd();  // a late screen
    const list = await api("GET", "/api/handsets");
    $("handsets").replaceChildren(...list.handsets.map((h) => new Option(h, h)));
  } catch (err) {
    $("status").textContent = "control API unreachable: " + err.message;
    $("status").className = "status warn";
  }
}

// Each handset keeps its own way in (SMPP bind or CMPP link), remembered in this browser.
function protocolKey() {
  return "gateway-sim:protocol:" + $("msisdn").value.trim();
}
function loadProtocol() {
  $("protocol").value = localStorage.getItem(protocolKey()) || "smpp";
}
$("protocol").addEventListener("change", () => localStorage.setItem(protocolKey(), $("protocol").value));
$("msisdn").addEventListener("change", loadProtocol);
loadProtocol();

$("compose").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("error").textContent = "";
  const text = $("text").value;
  try {
    const body = { from: $("msisdn").value.trim(), to: $("to").value.trim(), text };
    if ($("protocol").value === "cmpp") body.protocol = "cmpp";
    await api("POST", "/api/mo", body);
    $("text").value = "";
    await refresh();
  } catch (err) {
    $("error").textContent = err.message;
  }
});

// USSD: the simulator plays the USSDC (POST /api/ussd sends deliver_sm op 1, then 18).
let ussdOpen = false;

function showUssd(d) {
  const box = $("ussd-screen");
  const code = $("ussd-code");
  if (!d) {
    box.hidden = true;
    ussdOpen = false;
  } else {
    box.hidden = false;
    $("ussd-text").textContent = d.screen ?? "…";
    const state = d.waiting ? "waiting" : d.active ? "open" : "ended";
    box.dataset.state = state;
    $("ussd-state").textContent = {
      waiting: `${d.code}: waiting for the service…`,
      open: `${d.code}: type your choice`,
      ended: `${d.code}: session ended` + (d.released ? " (hung up)" : ""),
    }[state];
    ussdOpen = d.active;
  }
  $("dial").textContent = ussdOpen ? "Reply" : "Dial";
  $("hangup").hidden = !ussdOpen;
  code.placeholder = ussdOpen ? "Your choice" : "*10086#";
}

$("ussd").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("error").textContent = "";
  const value = $("ussd-code").value.trim();
  const body = { msisdn: $("msisdn").value.trim(), wait: 10 };
  if (ussdOpen) body.input = value; else body.code = value;
  try {
    const d = await api("POST", "/api/ussd", body);
    $("ussd-code").value = d.active ? "" : (d.code || value);
    showUssd(d);
    if (d.timed_out) $("error").textContent = "no USSD screen from the service yet";
  } catch (err) {
    $("error").textContent = err.message;
  }
});

$("hangup").addEventListener("click", async () => {
  try {
    showUssd(await api("DELETE", `/api/ussd/${encodeURIComponent($("msisdn").value.trim())}`));
  } catch (err) {
    $("error").textContent = err.message;
  }
});

async function loadUssd() {
  const msisdn = $("msisdn").value.trim();
  try {
    showUssd(msisdn ? await api("GET", `/api/ussd/${encodeURIComponent(msisdn)}`) : null);
  } catch (err) {
    showUssd(null);
  }
}

$("msisdn").addEventListener("change", () => { lastRendered = ""; refresh(); loadUssd(); });

refresh();
loadUssd();
setInterval(refresh, POLL_MS);
