// The invoiceflow dashboard: figures from /api/v1/metrics, lag from /api/v1/lag, the live feed from
// /api/v1/stream (Server-Sent Events read with fetch, so the token travels in the Authorization header and
// never in a URL), and an invoice's journey from /api/v1/invoices/{id}. No build step, no library.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("invoiceflow-token") || "", tenant: sessionStorage.getItem("invoiceflow-tenant") || "",
                window: "minute", lastEventId: null, stream: null, timer: null };
const FEED_MAX = 200;

function headers() {
  return { "Authorization": "Bearer " + state.token };
}

async function api(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) {
    throw new Error(response.status + " " + (await response.text()).slice(0, 200));
  }
  return response.json();
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

function number(n) {
  return n === null || n === undefined ? "-" : Number(n).toLocaleString("en");
}

function ms(n) {
  return n === null || n === undefined ? "-" : Math.round(n).toLocaleString("en");
}

function setStatus(text, live) {
  $("status").textContent = text;
  $("status").classList.toggle("live", !!live);
}

function fill(table, counts) {
  const rows = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  table.replaceChildren(...rows.map(([name, n]) => {
    const tr = document.createElement("tr");
    tr.dataset.key = name;
    const a = document.createElement("td"); a.textContent = name;
    const b = document.createElement("td"); b.textContent = number(n);
    tr.append(a, b);
    return tr;
  }));
}

function bars(svg, values) {
  const max = Math.max(1, ...values);
  const w = 600 / Math.max(1, values.length);
  svg.replaceChildren(...values.map((v, i) => {
    const r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    const h = 118 * v / max;
    r.setAttribute("x", (i * w).toFixed(1)); r.setAttribute("width", Math.max(1, w - 1).toFixed(1));
    r.setAttribute("y", (120 - h).toFixed(1)); r.setAttribute("height", h.toFixed(1));
    return r;
  }));
}

function line(svg, values) {
  const max = Math.max(1, ...values);
  const step = 600 / Math.max(1, values.length - 1);
  const p = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  p.setAttribute("points", values.map((v, i) => `${(i * step).toFixed(1)},${(118 - 116 * v / max).toFixed(1)}`).join(" "));
  svg.replaceChildren(p);
}

const WINDOW_S = { minute: 60, hour: 3600, day: 86400 };

// Every bucket of [from, to), in order: the series lists only buckets that hold something (null elsewhere),
// so a quiet hour shows as a gap in time, not as two neighbouring bars.
function timeline(m) {
  const step = WINDOW_S[m.window] * 1000;
  const held = new Map(m.series.map((b) => [Date.parse(b.start), b]));
  const out = [];
  for (let t = Date.parse(m.from); t < Date.parse(m.to) && out.length < 2000; t += step) out.push(held.get(t) || null);
  return out;
}

async function refreshMetrics() {
  const m = await api("/api/v1/metrics" + query({ tenant: state.tenant, window: state.window }));
  const t = m.totals;
  $("kpi-scored").textContent = number(t.scored);
  $("kpi-touchless").textContent = t.touchless_rate === null ? "-" : (100 * t.touchless_rate).toFixed(1) + "%";
  const d = t.decisions || {};
  $("kpi-decisions").textContent = [d.auto_approve, d.review, d.reject].map((n) => number(n || 0)).join(" / ");
  $("kpi-dead").textContent = number(t.dead_letters.total);
  $("kpi-latency").textContent = [t.latency.p50_ms, t.latency.p95_ms, t.latency.p99_ms].map(ms).join(" / ") + " ms";
  $("kpi-paid").textContent = number(t.paid_pages) + " / $" + (t.cost_micro_usd / 1e6).toFixed(2);
  const buckets = timeline(m);
  bars($("chart-throughput"), buckets.map((b) => (b ? b.scored : 0)));
  line($("chart-latency"), buckets.map((b) => (b ? b.latency.p95_ms || 0 : 0)));
  fill($("table-decisions"), t.decisions);
  fill($("table-routes"), t.routes);
  fill($("table-formats"), t.formats);
  fill($("table-extractors"), t.extractors);
  const dead = {};
  for (const [stage, reasons] of Object.entries(t.dead_letters.by_stage)) {
    for (const [reason, n] of Object.entries(reasons)) dead[stage + " / " + reason] = n;
  }
  fill($("table-dead"), dead);
}

async function refreshLag() {
  const response = await fetch("/api/v1/lag", { headers: headers() });
  if (response.status === 403) {  // the shared workers' backlog is for admin tokens
    fill($("table-lag"), { "(admin tokens only)": null });
    return;
  }
  if (!response.ok) throw new Error(response.status + " lag");
  fill($("table-lag"), (await response.json()).stages);
}

async function refresh() {
  try {
    await refreshMetrics();
    await refreshLag();
    if (!state.stream) setStatus("connected");
  } catch (error) {
    setStatus("error: " + error.message, false);
  }
}

function show(kind, event) {
  const li = document.createElement("li");
  li.dataset.invoice = event.invoice_id || "";
  li.dataset.kind = kind;
  const when = document.createElement("span"); when.textContent = (event.at || "").slice(11, 19);
  const id = document.createElement("span"); id.textContent = event.invoice_id || "(no id)";
  const what = document.createElement("span");
  if (kind === "scored") {
    what.className = "decision-" + event.decision;
    what.textContent = `${event.decision} ${Number(event.score).toFixed(2)} ${event.extractor || ""} ${ms(event.latency_ms)} ms ${(event.reasons || []).join(", ")}`;
  } else {
    what.className = "dead";
    what.textContent = `dead letter: ${event.stage} / ${event.reason}`;
  }
  li.append(when, id, what);
  li.addEventListener("click", () => { $("invoice").value = event.invoice_id || ""; findInvoice(); });
  const feed = $("feed");
  feed.prepend(li);
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
}

// Server-Sent Events over fetch: a parser of `id:`, `event:` and `data:` lines, reconnecting with Last-Event-ID.
async function follow() {
  const mine = {};
  state.stream = mine;
  while (state.stream === mine) {
    try {
      const h = headers();
      if (state.lastEventId) h["Last-Event-ID"] = state.lastEventId;
      const response = await fetch("/api/v1/stream" + query({ tenant: state.tenant }), { headers: h });
      if (!response.ok) throw new Error(String(response.status));
      setStatus("live", true);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done || state.stream !== mine) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          let id = null, kind = "message", data = "";
          for (const l of block.split("\n")) {
            if (l.startsWith("id:")) id = l.slice(3).trim();
            else if (l.startsWith("event:")) kind = l.slice(6).trim();
            else if (l.startsWith("data:")) data += l.slice(5).trim();
          }
          if (id) state.lastEventId = id;
          if (data && (kind === "scored" || kind === "dead_letter")) show(kind, JSON.parse(data));
        }
      }
    } catch (error) {
      setStatus("reconnecting (" + error.message + ")", false);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function item(dl, name, value) {
  const dt = document.createElement("dt"); dt.textContent = name;
  const dd = document.createElement("dd"); dd.textContent = value === null || value === undefined ? "-" : value;
  dl.append(dt, dd);
}

async function findInvoice() {
  const id = $("invoice").value.trim();
  const box = $("journey");
  if (!id) return;
  try {
    const j = await api("/api/v1/invoices/" + encodeURIComponent(id) + query({ tenant: state.tenant }));
    const dl = document.createElement("dl");
    item(dl, "tenant", j.tenant_id);
    item(dl, "decision", j.decision === null ? null : `${j.decision} (${Number(j.score).toFixed(2)})`);
    item(dl, "reasons", (j.reasons || []).map((r) => r.code).join(", "));
    item(dl, "format / route / extractor", [j.format, j.route, j.extractor].join(" / "));
    const s = j.stage_times;
    item(dl, "detect / extract / score", s ? [s.detect_ms, s.extract_ms, s.score_ms].map(ms).join(" / ") + " ms" : null);
    item(dl, "received → scored", s ? ms(s.total_ms) + " ms" : null);
    item(dl, "trace id", j.trace_id);
    item(dl, "decisions", j.decisions.length);
    item(dl, "dead letters", j.dead_letters.map((d) => `${d.stage}/${d.reason}`).join(", ") || "none");
    item(dl, "replays", j.replays.length);
    box.replaceChildren(dl);
    box.dataset.invoice = j.invoice_id;
  } catch (error) {
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: error.message }));
  }
}

function start() {
  state.token = $("token").value.trim() || state.token;
  state.tenant = $("tenant").value.trim();
  state.window = $("window").value;
  sessionStorage.setItem("invoiceflow-token", state.token);
  sessionStorage.setItem("invoiceflow-tenant", state.tenant);
  state.lastEventId = null;
  $("feed").replaceChildren();
  clearInterval(state.timer);
  refresh();
  state.timer = setInterval(refresh, 3000);
  follow();
}

$("login").addEventListener("submit", (e) => { e.preventDefault(); start(); });
$("search").addEventListener("submit", (e) => { e.preventDefault(); findInvoice(); });
// `make run` opens the page as /#token=...&tenant=...: taken once, then wiped from the address bar
// (a fragment never reaches a server, so no access log holds it).
if (location.hash.length > 1) {
  const given = new URLSearchParams(location.hash.slice(1));
  if (given.get("token")) state.token = given.get("token");
  if (given.get("tenant") !== null) state.tenant = given.get("tenant");
  history.replaceState(null, "", location.pathname + location.search);
}
$("tenant").value = state.tenant;
if (state.token) {
  $("token").value = state.token;
  start();
}
