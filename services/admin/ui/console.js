// The console only calls the admin API with the operator's token; the
// token stays in this tab (sessionStorage), never in a URL or a cookie.
"use strict";
const $ = (id) => document.getElementById(id);
$("token").value = sessionStorage.getItem("countersign-token") || "";
$("token").addEventListener("change", () => sessionStorage.setItem("countersign-token", $("token").value));

async function api(path, opts = {}) {
  const headers = { Authorization: "Bearer " + $("token").value };
  if (opts.body) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { ...opts, headers });
  const text = await resp.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!resp.ok) throw new Error(resp.status + " " + ((body && body.error) || resp.statusText));
  return body;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}

function table(headers, rows) {
  return el("table", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h))),
    ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c)))));
}

async function refreshReady() {
  try {
    const r = await fetch("/readyz");
    const b = await r.json();
    $("ready").textContent = "ready: " + b.status;
  } catch (e) { $("ready").textContent = "ready: unknown"; }
}

$("envForm").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("envOut");
  out.replaceChildren();
  const base = "/v1/tenants/" + encodeURIComponent($("tenant").value) + "/envelopes/" + encodeURIComponent($("envelope").value);
  try {
    const [env, ledger] = await Promise.all([api(base), api(base + "/ledger")]);
    out.append(
      el("p", {}, "State ", el("b", {}, env.state), " · provider " + env.provider + " · updated " + env.updated_at +
        " · ledger seq " + env.ledger_seq + " · chain ",
        el("span", { class: ledger.verified ? "ok" : "bad" }, ledger.verified ? "verified" : "BROKEN")),
      table(["recipient id", "email", "state"], (env.recipients || []).map((r) => [r.id, r.email, r.state])),
      table(["seq", "type", "state", "source", "occurred", "recorded", "hash"],
        ledger.entries.map((e) => [String(e.seq), e.type, e.state, e.source, e.occurred_at, e.recorded_at,
          el("span", { class: "mono" }, String(e.hash).slice(0, 16) + "…")])));
  } catch (e) { out.append(el("p", { class: "err" }, e.message)); }
});

function dlqFilter() {
  const f = {};
  for (const [k, id] of [["tenant", "dlqTenant"], ["service", "dlqService"], ["class", "dlqClass"], ["since", "dlqSince"]]) {
    if ($(id).value) f[k] = $(id).value;
  }
  return f;
}

$("dlqForm").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("dlqOut");
  out.replaceChildren();
  try {
    const q = new URLSearchParams({ ...dlqFilter(), limit: "200" });
    const body = await api("/v1/dlq?" + q);
    out.append(table(["dead at", "service", "tenant", "envelope", "class", "attempts", "error", "id"],
      body.entries.map((d) => [d.dead_at, d.service, d.tenant, d.envelope_id, d.error_class, String(d.attempts), d.error,
        el("span", { class: "mono" }, d.id)])));
  } catch (e) { out.append(el("p", { class: "err" }, e.message)); }
});

async function replay(dryRun) {
  const out = $("dlqOut");
  const f = dlqFilter();
  if (!f.since) f.since = "1970-01-01T00:00:00Z";
  f.until = new Date().toISOString();
  try {
    const r = await api("/v1/replay", { method: "POST", body: JSON.stringify({ ...f, dry_run: dryRun }) });
    out.prepend(el("p", {}, (dryRun ? "Dry run: " : "Replayed: ") + r.matched + " matched, " + r.replayed + " replayed"));
  } catch (e) { out.prepend(el("p", { class: "err" }, e.message)); }
}
$("replayDry").addEventListener("click", () => replay(true));
$("replay").addEventListener("click", () => {
  if (confirm("Replay every matching dead letter to its original subject?")) replay(false);
});
refreshReady();
