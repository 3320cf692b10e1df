// The console: traffic now (polled), the KPI month, a subscriber's conversation and
// an account manager's worklist, each from the admin API. No framework, no build
// step, no CDN; every text from the API goes in through textContent.
"use strict";

import { Unauthorised, download, getJson, token } from "./api.js";
import { showKpi } from "./kpi.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 5000;
const ZONE = "Asia/Shanghai";
let polling = null;
const asked = new Map();  // per view, the last request made: an older answer is dropped

// Fetch for one view; resolves to null when a newer request for it was made meanwhile.
async function latest(view, path) {
  const ticket = (asked.get(view) ?? 0) + 1;
  asked.set(view, ticket);
  const body = await getJson(path);
  return asked.get(view) === ticket ? body : null;
}

function status(message, kind = "") {
  $("status").textContent = message;
  $("status").className = "status " + kind;
}

function failed(err) {
  if (err instanceof Unauthorised) {
    token.forget();
    showTokenForm(true);
    status(err.message + ": enter the admin token", "warn");
  } else {
    $("error").textContent = err.message;
  }
}

function cell(value) {
  const td = document.createElement("td");
  td.textContent = value ?? "";
  return td;
}

function rows(tbody, items, columns, empty) {
  const trs = items.map((item) => {
    const tr = document.createElement("tr");
    tr.append(...columns.map((column) => cell(column(item))));
    return tr;
  });
  if (!trs.length) {
    const td = cell(empty);
    td.colSpan = tbody.parentElement.tHead.rows[0].cells.length;
    td.className = "empty";
    const tr = document.createElement("tr");
    tr.append(td);
    trs.push(tr);
  }
  tbody.replaceChildren(...trs);
}

function age(seconds) {
  if (seconds === null) return "none";
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// Traffic now: GET /v1/traffic, and every process's binds and links from GET /v1/links.
async function refreshTraffic() {
  try {
    const [t, links] = await Promise.all([getJson("/v1/traffic"), getJson("/v1/links")]);
    $("mo-rate").textContent = t.mo_per_second.toFixed(2);
    $("reply-rate").textContent = t.replies_per_second.toFixed(2);
    for (const state of ["queued", "sent", "delivered", "failed"]) {
      $("state-" + state).textContent = t.replies_by_state[state] ?? 0;
    }
    $("state-failed").classList.toggle("bad", (t.replies_by_state.failed ?? 0) > 0);
    $("queue-queued").textContent = t.queue.queued;
    $("queue-oldest").textContent = age(t.queue.oldest_queued_age_seconds);
    $("traffic-at").textContent = "as of " + new Date(t.at).toLocaleTimeString("en-GB", { timeZone: ZONE });
    $("traffic").dataset.at = t.at;
    $("traffic-note").textContent =
      `${t.mo} MOs and ${t.replies} replies in the last ${t.window_seconds} s; ` +
      `${t.queue.later} queued replies wait for a later time`;
    rows($("binds").tBodies[0], links.links,
      [(l) => l.channel.toUpperCase() + " " + l.name, (l) => l.process,
       (l) => l.view.system_id ?? l.view.source_addr ?? "", (l) => l.view.role ?? "",
       (l) => (l.stale ? `stale (${age(l.silent_seconds)} silent)` : l.state),
       (l) => l.view.outstanding, (l) => l.view.last_error],
      "no SMPP bind or CMPP link reported by any process");
    const up = links.links.filter((l) => !l.stale && ["bound", "connected"].includes(l.state));
    status(`connected · ${up.length} of ${links.links.length} link(s) up`, "ok");
    if (!$("kpi-month").value) {
      // The last whole month by the service clock, operator time: the month in
      // progress has no usage imported yet, and would read as every subscriber lost.
      $("kpi-month").value = monthBefore(t.at);
      loadKpi($("kpi-month").value);
    }
  } catch (err) {
    failed(err);
  }
}

export function monthBefore(instant) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit" })
    .formatToParts(new Date(instant));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const [year, month] = get("month") === 1 ? [get("year") - 1, 12] : [get("year"), get("month") - 1];
  return `${year}-${String(month).padStart(2, "0")}`;
}

async function loadKpi(month) {
  try {
    const report = await latest("kpi", `/v1/reports/kpi?month=${encodeURIComponent(month)}`);
    if (report) showKpi(report);
  } catch (err) {
    failed(err);
  }
}

function bubble(m) {
  const li = document.createElement("li");
  li.className = "msg " + m.direction;
  li.dataset.state = m.state ?? "";
  const text = document.createElement("div");
  text.className = "text";
  text.textContent = m.text;
  const meta = document.createElement("div");
  meta.className = "meta";
  const when = new Date(m.at).toLocaleString("en-GB", { timeZone: ZONE });
  meta.textContent = m.direction === "mo"
    ? `${when} · ${m.gateway ?? ""} · ${m.outcome ?? "no outcome"}`
    : `${when} · ${m.state} · ${m.attempts} attempt(s)` +
      (m.parts.length ? ` · ${m.parts.length} part(s)` : "") +
      (m.last_error ? ` · ${m.last_error}` : "") + (m.in_reply_to ? "" : " · notice");
  li.append(text, meta);
  return li;
}

// Newest first, a page at a time; "Older messages" asks for the next page.
async function loadConversation(msisdn, offset = 0) {
  try {
    const path = `/v1/subscribers/${encodeURIComponent(msisdn)}/conversation?offset=${offset}`;
    const page = await latest("conversation", path);
    if (!page) return;
    const items = page.messages.map(bubble);
    if (!items.length && !offset) {
      const li = document.createElement("li");
      li.className = "meta";
      li.textContent = `nothing from or to ${page.msisdn}`;
      items.push(li);
    }
    if (offset) $("messages").append(...items); else $("messages").replaceChildren(...items);
    $("messages").dataset.msisdn = page.msisdn;
    const older = $("messages-older");
    older.hidden = page.next_offset === null;
    older.dataset.offset = page.next_offset ?? "";
  } catch (err) {
    failed(err);
  }
}

function worklistPath(manager, csv) {
  return `/v1/worklists/${encodeURIComponent(manager)}` + (csv ? "?format=csv" : "");
}

async function loadWorklist(manager) {
  try {
    const list = await latest("worklist", worklistPath(manager, false));
    if (!list) return;
    $("worklist-as-of").textContent = `${list.items.length} to act on, as of ${list.as_of}`;
    rows($("work-items").tBodies[0], list.items,
      [(i) => i.due_on, (i) => i.reason, (i) => i.msisdn, (i) => i.name,
       (i) => [i.contact_method, i.contact_window].filter(Boolean).join(" "), (i) => i.detail],
      "nothing due");
    $("worklist-csv").hidden = false;
    $("worklist-csv").dataset.manager = list.manager;
  } catch (err) {
    failed(err);
  }
}

function showTokenForm(shown) {
  $("token-form").hidden = !shown;
  $("token-forget").hidden = shown;
}

function start() {
  showTokenForm(false);
  $("error").textContent = "";
  status("loading…");
  clearInterval(polling);
  refreshTraffic();
  polling = setInterval(refreshTraffic, POLL_MS);
}

function submitted(form, handler) {
  $(form).addEventListener("submit", (ev) => {
    ev.preventDefault();
    $("error").textContent = "";
    handler();
  });
}

submitted("token-form", () => {
  token.set($("token").value.trim());
  $("token").value = "";
  start();
});
$("token-forget").addEventListener("click", () => {
  token.forget();
  clearInterval(polling);
  showTokenForm(true);
  status("token forgotten: enter the admin token to load the figures");
});
submitted("kpi-form", () => loadKpi($("kpi-month").value));
submitted("conversation-form", () => loadConversation($("msisdn").value.trim()));
$("messages-older").addEventListener("click", () =>
  loadConversation($("messages").dataset.msisdn, Number($("messages-older").dataset.offset)));
submitted("worklist-form", () => loadWorklist($("manager").value.trim()));
$("worklist-csv").addEventListener("click", (ev) => {
  ev.preventDefault();
  const manager = $("worklist-csv").dataset.manager;
  download(worklistPath(manager, true), "worklist.csv").catch(failed);
});

if (token.get()) start(); else showTokenForm(true);
