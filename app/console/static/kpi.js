// The KPI month (GET /v1/reports/kpi?month=): four bar charts with the figures as text.
"use strict";

const charts = new Map();
const BLUE = "#1f7aec", GREEN = "#2e9d57", RED = "#c0392b", AMBER = "#e0a400", GREY = "#8a96a3";

const pct = (rate) => (rate === null || rate === undefined ? "–" : (rate * 100).toFixed(1) + " %");
const signed = (n) => (n > 0 ? "+" + n : String(n));

function bars(id, labels, datasets) {
  charts.get(id)?.destroy();
  const canvas = document.getElementById(id);
  const chart = new window.Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: datasets.length > 1 } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  charts.set(id, chart);
  canvas.dataset.drawn = labels.length ? "yes" : "empty";
}

function text(id, value) {
  document.getElementById(id).textContent = value;
}

function dynamic(d, month) {
  bars("chart-dynamic", [d.previous_month, month], [
    { label: "subscribers", data: [d.previous, d.count], backgroundColor: [GREY, BLUE] },
  ]);
  text("kpi-dynamic",
    `${d.count} in ${month}, ${signed(d.change)} from ${d.previous} in ${d.previous_month}` +
    (d.change_rate === null ? "" : ` (${signed(Number((d.change_rate * 100).toFixed(1)))} %)`));
}

function retention(r) {
  if (!r) {
    bars("chart-retention", [], []);
    text("kpi-retention", "no photo window in the catalog");
    return;
  }
  bars("chart-retention", ["retained", "churned", "spend lost"], [
    { label: "photographed", data: [r.retained, r.churned, r.spend_lost],
      backgroundColor: [GREEN, RED, AMBER] },
  ]);
  const target = r.target.map((t) => Math.round(t * 100)).join("–");
  text("kpi-retention",
    `retained ${r.retained} of ${r.base}: ${pct(r.rate)} (target ${target} %)\n` +
    `churned ${r.churned}, spend lost ${r.spend_lost}`);
}

function bundling(b) {
  if (!b) {
    bars("chart-bundling", [], []);
    text("kpi-bundling", "no photo window in the catalog");
    return;
  }
  const kinds = Object.keys(b.by_kind);
  bars("chart-bundling", kinds, [
    { label: "bundled", data: kinds.map((k) => b.by_kind[k].bundled), backgroundColor: BLUE },
  ]);
  text("kpi-bundling",
    `bundled ${b.bundled} of ${b.base}: ${pct(b.rate)} (target ${pct(b.target)})\n` +
    kinds.map((k) => `${k} ${b.by_kind[k].bundled} (${pct(b.by_kind[k].rate)})`).join(", "));
}

function uptake(rows) {
  const labels = rows.map((u) => `${u.campaign}/${u.package}`);
  bars("chart-uptake", labels, [
    { label: "activations", data: rows.map((u) => u.activations), backgroundColor: BLUE },
    { label: "eligible", data: rows.map((u) => u.eligible), backgroundColor: GREY },
  ]);
  text("kpi-uptake", rows.length
    ? rows.map((u) => `${u.campaign}/${u.package}: ${u.activations} of ${u.eligible} ` +
        `eligible, ${pct(u.rate)}`).join("\n")
    : "no campaign sign-ups this month");
}

function conversion(rows) {
  text("kpi-conversion", rows.length
    ? "Free to paid: " + rows.map((c) => `${c.campaign} kept ${c.kept} of ${c.reminded} ` +
        `reminded (${pct(c.rate)})`).join("; ")
    : "Free to paid: no free periods ended after a reminder this month");
}

export function showKpi(report) {
  document.getElementById("kpi").dataset.month = report.month;
  dynamic(report.dynamic_mid_high_end, report.month);
  retention(report.photographed_retention);
  bundling(report.bundling);
  uptake(report.campaign_uptake);
  conversion(report.free_to_paid);
}
