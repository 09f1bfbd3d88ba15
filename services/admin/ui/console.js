// The console only calls the admin API with the operator's token; the
// token stays in this tab (sessionStorage), never in a URL or a cookie.
// What the token may do comes from GET /v1/whoami: a read token sees no
// action buttons (and the API answers 403 if one is tried anyway).
"use strict";
const $ = (id) => document.getElementById(id);
const V = globalThis.countersignVerify;

// ---- API ----------------------------------------------------------------

class APIError extends Error {
  constructor(status, message, notServed) { super(message); this.status = status; this.notServed = notServed; }
}

async function api(path, opts = {}) {
  const headers = { Authorization: "Bearer " + sessionStorage.getItem("countersign-token") };
  if (opts.body) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { ...opts, headers });
  const text = await resp.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!resp.ok) {
    const msg = (body && body.error) || resp.statusText;
    // The mux's own 404 ("Not Found") or a 405: this deployment does not
    // serve the route at all (the service behind it is not running here).
    const notServed = resp.status === 405 || (resp.status === 404 && msg === "Not Found");
    let text = resp.status + " " + msg;
    if (resp.status === 401) text = "401: the token was refused — enter a valid admin token above";
    if (resp.status === 403) text = "403 forbidden: " + msg;
    if (notServed) text = "not available: this server does not serve " + (opts.method || "GET") + " " + path.split("?")[0];
    throw new APIError(resp.status, text, notServed);
  }
  return body;
}

// ---- DOM helpers --------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== false && v !== undefined && v !== null) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}

function table(headers, rows, rowAttrs) {
  return el("table", {}, el("tr", {}, headers.map((h) => el("th", {}, h))),
    rows.map((r, i) => el("tr", rowAttrs ? rowAttrs(i) : {}, r.map((c) => el("td", {}, c)))));
}

function errorLine(e) { return el("p", { class: "err" }, e.message); }
function mono(s, n) { s = String(s ?? ""); return el("span", { class: "mono", title: s }, n && s.length > n ? s.slice(0, n) + "…" : s); }
function when(s) { return s ? String(s).replace(/\.\d+Z$/, "Z") : "–"; }
function envPath(tenant, id) { return "/v1/tenants/" + encodeURIComponent(tenant) + "/envelopes/" + encodeURIComponent(id); }

// ---- token and role -----------------------------------------------------

let role = "";

async function applyToken() {
  sessionStorage.setItem("countersign-token", $("token").value);
  role = "";
  try {
    const who = await api("/v1/whoami");
    role = who.role || "operate";
    $("role").textContent = "role: " + role + (who.tenants ? " · " + who.tenants.join(", ") : " · every tenant");
    $("role").className = "badge";
  } catch (e) {
    // An admin without /v1/whoami treats every token as operate.
    role = e.notServed ? "operate" : "";
    $("role").textContent = role ? "role: operate" : e.message;
    $("role").className = role ? "badge" : "badge err";
  }
  document.body.classList.toggle("read-only", role !== "operate");
}

$("tokenForm").addEventListener("submit", (ev) => { ev.preventDefault(); applyToken().then(route); });
$("token").value = sessionStorage.getItem("countersign-token") || "";

async function refreshReady() {
  try {
    const b = await (await fetch("/readyz")).json();
    $("ready").textContent = "ready: " + b.status;
  } catch { $("ready").textContent = "ready: unknown"; }
}

// ---- routing ------------------------------------------------------------

function show(view) {
  for (const s of document.querySelectorAll(".view")) s.classList.toggle("shown", s.id === "view-" + view);
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view || (view === "envelope" && a.dataset.view === "envelopes"));
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const view = parts[0] || "envelopes";
  if (view === "envelope" && parts.length >= 3) {
    show("envelope");
    return showEnvelope(parts[1], parts.slice(2).join("/"));
  }
  show(["envelopes", "dlq", "reconcile", "notify", "audit"].includes(view) ? view : "envelopes");
}
window.addEventListener("hashchange", route);

// ---- envelope search ----------------------------------------------------

function openEnvelope(tenant, id) { location.hash = "#/envelope/" + encodeURIComponent(tenant) + "/" + encodeURIComponent(id); }

$("searchForm").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("searchOut");
  out.replaceChildren(el("p", { class: "muted" }, "searching…"));
  const tenant = $("searchTenant").value;
  const q = new URLSearchParams({ limit: "100" });
  for (const [k, id] of [["q", "searchQ"], ["state", "searchState"], ["provider", "searchProvider"]]) if ($(id).value) q.set(k, $(id).value);
  try {
    const r = await api("/v1/tenants/" + encodeURIComponent(tenant) + "/envelopes?" + q);
    out.replaceChildren(
      el("p", { class: "muted" }, r.envelopes.length + " envelopes (most recently updated first; " + r.scanned + " scanned" + (r.truncated ? ", more match — narrow the search" : "") + ")"),
      table(["envelope", "provider", "state", "recipients", "updated", "ledger seq"], r.envelopes.map((e) => [
        el("a", { href: "#/envelope/" + encodeURIComponent(tenant) + "/" + encodeURIComponent(e.envelope_id), class: "envlink" }, e.envelope_id),
        e.provider, e.state, String((e.recipients || []).length), when(e.updated_at), String(e.ledger_seq)])));
  } catch (e) { out.replaceChildren(errorLine(e)); }
});
$("openExact").addEventListener("click", () => { if ($("searchQ").value) openEnvelope($("searchTenant").value, $("searchQ").value); });

// ---- envelope page ------------------------------------------------------

const notificationTypes = new Set(["reminder_sent", "escalated", "recipient_replaced", "expiry_warning"]);

async function showEnvelope(tenant, id) {
  const out = $("envOut");
  out.replaceChildren(el("p", { class: "muted" }, "loading " + tenant + "/" + id + "…"));
  let env, ledger;
  try {
    [env, ledger] = await Promise.all([api(envPath(tenant, id)), api(envPath(tenant, id) + "/ledger")]);
  } catch (e) { out.replaceChildren(errorLine(e)); return; }
  const check = await V.verifyChain(ledger.entries, tenant, id);
  const n = ledger.entries.length;
  const last = n ? ledger.entries[n - 1] : null;
  // The record's head must be the chain's end (it may be ahead by an entry
  // not yet published, never behind).
  let head = "";
  if (check.ok && env.ledger_seq < n) head = "the chain runs past the envelope record's head (seq " + env.ledger_seq + ")";
  else if (check.ok && env.ledger_seq === n && last && last.hash !== env.ledger_hash) head = "the last entry is not the envelope record's head";
  const ok = check.ok && !head;
  const chain = el("span", { id: "chainStatus", class: ok ? "ok" : "bad", "data-verified": String(ok) },
    ok ? "✓ chain verified in this browser (" + n + " entries)" : "✗ chain BROKEN" + (check.ok ? ": " + head : " at seq " + check.brokenAt + ": " + check.reason));
  const pending = check.ok && env.ledger_seq > n ? el("span", { class: "muted" }, " · the record is at seq " + env.ledger_seq + ": an entry not yet published") : "";
  out.replaceChildren(
    el("h2", {}, tenant + " / " + id),
    el("dl", { class: "summary" },
      el("dt", {}, "state"), el("dd", {}, el("b", { id: "envState" }, env.state)),
      el("dt", {}, "provider"), el("dd", {}, env.provider),
      el("dt", {}, "updated"), el("dd", {}, when(env.updated_at)),
      el("dt", {}, "ledger"), el("dd", {}, chain, pending, el("span", { class: "muted" }, " · server says " + (ledger.verified ? "verified" : "not verified"))),
      el("dt", {}, "head"), el("dd", {}, mono(env.ledger_hash || "–"))),
    el("h3", {}, "Recipients"),
    (env.recipients || []).length ? table(["id", "email", "state"], env.recipients.map((r) => [r.id || "–", r.email || "–", r.state])) : el("p", { class: "muted" }, "none known"),
    el("h3", {}, "Ledger"),
    table(["seq", "type", "state", "recipient", "source", "occurred", "recorded", "detail", "hash", "check"],
      ledger.entries.map((e, i) => [String(e.seq), e.type, e.state, e.recipient ? (e.recipient.email || e.recipient.id) : "–", e.source,
        when(e.occurred_at), when(e.recorded_at), e.detail ? mono(detailText(e.detail), 40) : "–", mono(e.hash, 16),
        check.results[i].ok ? el("span", { class: "ok" }, "✓") : el("span", { class: "bad" }, "✗ " + check.results[i].reason)]),
      (i) => ({ class: check.results[i].ok ? "entry" : "entry broken" })),
    el("h3", {}, "Reminders and escalations"),
    notificationsOf(ledger.entries),
    el("h3", {}, "Export"),
    el("div", { id: "exportOut" }, el("p", { class: "muted" }, "loading…")));
  showExport(tenant, id);
}

function detailText(d) { return Object.entries(d).map(([k, v]) => k + ": " + (typeof v === "object" ? JSON.stringify(v) : v)).join(", "); }

function notificationsOf(entries) {
  const rows = entries.filter((e) => e && notificationTypes.has(e.type));
  if (!rows.length) return el("p", { class: "muted", id: "notifications" }, "none in the ledger");
  return table(["seq", "type", "recipient", "occurred", "detail"], rows.map((e) => [String(e.seq), e.type,
    e.recipient ? (e.recipient.email || e.recipient.id) : "–", when(e.occurred_at), mono(detailText(e.detail || {}))]));
}

async function showExport(tenant, id, run) {
  const out = $("exportOut");
  try {
    const x = await api(envPath(tenant, id) + "/export", run ? { method: "POST", body: "{}" } : {});
    out.replaceChildren(
      el("dl", { class: "summary" },
        el("dt", {}, "state"), el("dd", { id: "exportState" }, x.state || "–"),
        el("dt", {}, "location"), el("dd", {}, mono(x.location || "–")),
        el("dt", {}, "exported"), el("dd", {}, when(x.exported_at)),
        el("dt", {}, "purged at provider"), el("dd", {}, when(x.purged_at)),
        x.error ? el("dt", {}, "error") : "", x.error ? el("dd", { class: "err" }, x.error) : ""),
      (x.artefacts || []).length ? table(["artefact", "size", "sha-256"], x.artefacts.map((a) => [a.name, String(a.size), mono(a.sha256)])) : "",
      el("div", { class: "operate actions" }, el("button", { type: "button", id: "exportRun", onclick: () => showExport(tenant, id, true) }, "Export again")));
  } catch (e) {
    // 404: no export (yet) of this envelope — a state, not a failure.
    out.replaceChildren(el("p", { class: e.notServed || e.status === 404 ? "muted" : "err", id: "exportState" },
      e.notServed ? "not available: the DMS export service is not deployed on this server" : e.message));
  }
}

// ---- dead letters -------------------------------------------------------

let dlqEntries = [];
let dryRunOf = ""; // the selection the last dry run counted

function dlqFilter() {
  const f = {};
  for (const [k, id] of [["tenant", "dlqTenant"], ["service", "dlqService"], ["class", "dlqClass"], ["since", "dlqSince"]]) if ($(id).value) f[k] = $(id).value;
  return f;
}

function selectedIDs() { return [...document.querySelectorAll("input.dlqsel:checked")].map((c) => c.value); }

// replayBody is the POST /v1/replay body for the current selection: the
// checked ids, else the filters over [since, now].
function replayBody(dryRun) {
  const ids = selectedIDs();
  if (ids.length) return { ids, dry_run: dryRun };
  const f = dlqFilter();
  if (!f.since) f.since = "1970-01-01T00:00:00Z";
  f.until = new Date().toISOString();
  return { ...f, dry_run: dryRun };
}

function selectionKey() { const ids = selectedIDs(); return ids.length ? "ids:" + ids.join(",") : "filter:" + JSON.stringify(dlqFilter()); }

function selectionChanged() { $("dlqReplay").disabled = selectionKey() !== dryRunOf; }

async function listDLQ() {
  const out = $("dlqOut");
  try {
    const body = await api("/v1/dlq?" + new URLSearchParams({ ...dlqFilter(), limit: "200" }));
    dlqEntries = body.entries;
    out.replaceChildren(
      el("p", { class: "muted" }, dlqEntries.length + " dead letters"),
      table([el("input", { type: "checkbox", id: "dlqAll", title: "select all", onchange: (ev) => {
        for (const c of document.querySelectorAll("input.dlqsel")) c.checked = ev.target.checked;
        selectionChanged();
      } }), "dead at", "service", "tenant", "envelope", "class", "attempts", "replayed", "error", "id"],
      dlqEntries.map((d) => [el("input", { type: "checkbox", class: "dlqsel", value: d.id, onchange: selectionChanged }),
        when(d.dead_at), d.service, d.tenant || "–",
        d.tenant && d.envelope_id ? el("a", { href: "#/envelope/" + encodeURIComponent(d.tenant) + "/" + encodeURIComponent(d.envelope_id) }, d.envelope_id) : (d.envelope_id || "–"),
        d.error_class, String(d.attempts),
        d.replayed_at ? when(d.replayed_at) + " (" + (d.replay_result || "") + ")" : "–", d.error, mono(d.id)])));
  } catch (e) { out.replaceChildren(errorLine(e)); }
  selectionChanged();
}

$("dlqForm").addEventListener("submit", (ev) => { ev.preventDefault(); dryRunOf = ""; $("dlqResult").textContent = ""; listDLQ(); });
$("dlqForm").addEventListener("input", () => selectionChanged());

$("dlqDry").addEventListener("click", async () => {
  const res = $("dlqResult");
  try {
    const r = await api("/v1/replay", { method: "POST", body: JSON.stringify(replayBody(true)) });
    dryRunOf = selectionKey();
    res.className = "";
    res.textContent = "Dry run: " + r.matched + " would be replayed" + (r.skipped ? ", " + r.skipped + " already were (skipped)" : "") +
      ((r.not_found || []).length ? "; not found: " + r.not_found.join(", ") : "") + ". Nothing was replayed yet.";
  } catch (e) { dryRunOf = ""; res.className = "err"; res.textContent = e.message; }
  selectionChanged();
});

$("dlqReplay").addEventListener("click", async () => {
  const res = $("dlqResult");
  if (!confirm("Replay the selected dead letters to their original subjects?")) return;
  try {
    const r = await api("/v1/replay", { method: "POST", body: JSON.stringify(replayBody(false)) });
    res.className = r.failed ? "err" : "";
    res.textContent = "Replayed: " + r.replayed + " of " + r.matched + " (" + r.skipped + " skipped as already replayed, " + r.failed + " failed).";
  } catch (e) { res.className = "err"; res.textContent = e.message; }
  dryRunOf = "";
  await listDLQ();
});

// ---- reconciliation -----------------------------------------------------

// metricsOf reads this listener's /metrics for the reconciler's series of
// tenant (present when the reconciler runs in the admin's process).
async function metricsOf(tenant) {
  const out = {};
  try {
    const text = await (await fetch("/metrics")).text();
    const re = /^countersign_reconciler_(incident_mode|drift_total|lag_seconds|checked_total|published_total|api_errors_total)\{([^}]*)\} (\S+)$/;
    for (const line of text.split("\n")) {
      const m = re.exec(line);
      if (!m) continue;
      const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (labels.tenant !== tenant) continue;
      (out[labels.provider] ||= {})[m[1]] = Number(m[3]);
    }
  } catch { /* metrics are a bonus */ }
  return out;
}

async function showReconcile() {
  const tenant = $("recTenant").value, out = $("recOut");
  try {
    const [st, metrics] = await Promise.all([api("/v1/tenants/" + encodeURIComponent(tenant) + "/reconcile"), metricsOf(tenant)]);
    const providers = new Set([...st.providers.map((p) => p.provider), ...Object.keys(metrics)]);
    const byName = Object.fromEntries(st.providers.map((p) => [p.provider, p]));
    if (!providers.size) { out.replaceChildren(el("p", { class: "muted" }, "no provider of " + tenant + " has been reconciled yet (providers need an api: section)")); return; }
    out.replaceChildren(table(["provider", "last round", "cursor (polls from)", "lease", "incident mode", "drift", "lag", "checked", "published", "API errors", ""],
      [...providers].sort().map((p) => {
        const s = byName[p] || {}, m = metrics[p] || {};
        const num = (k) => (k in m ? String(m[k]) : "–");
        return [p, when(s.last_round), when(s.since), s.lease_holder ? s.lease_holder + " until " + when(s.lease_until) : "–",
          "incident_mode" in m ? (m.incident_mode ? el("span", { class: "bad" }, "on") : "off") : "–",
          num("drift_total"), "lag_seconds" in m ? m.lag_seconds + " s" : "–", num("checked_total"), num("published_total"), num("api_errors_total"),
          el("button", { type: "button", class: "operate recnow", "data-provider": p, onclick: () => reconcileNow(tenant, p) }, "Reconcile now")];
      })));
  } catch (e) { out.replaceChildren(errorLine(e)); }
}

async function reconcileNow(tenant, provider) {
  const res = $("recResult");
  res.className = "muted";
  res.textContent = "reconciling " + provider + "…";
  try {
    const r = await api("/v1/reconcile", { method: "POST", body: JSON.stringify({ tenant, provider }) });
    res.className = "";
    res.textContent = "Reconciled " + tenant + "/" + provider + ": " + r.checked + " checked, " + r.drift + " drifted, " + r.published + " events published.";
  } catch (e) { res.className = "err"; res.textContent = e.message; }
  showReconcile();
}

$("recForm").addEventListener("submit", (ev) => { ev.preventDefault(); showReconcile(); });

// ---- notifier -----------------------------------------------------------

async function showNotify() {
  const tenant = $("notifyTenant").value, out = $("notifyOut");
  try {
    const st = await api("/v1/tenants/" + encodeURIComponent(tenant) + "/notify");
    out.replaceChildren(el("dl", { class: "summary" }, Object.entries(st).flatMap(([k, v]) =>
      [el("dt", {}, k), el("dd", {}, typeof v === "object" ? mono(JSON.stringify(v)) : String(v))])));
  } catch (e) {
    out.replaceChildren(e.notServed ? el("p", { class: "muted" }, "not available: this server does not serve the notifier's status") : errorLine(e));
  }
}

$("notifyForm").addEventListener("submit", (ev) => { ev.preventDefault(); showNotify(); });
$("notifyResume").addEventListener("click", async () => {
  const tenant = $("notifyTenant").value, res = $("notifyResult");
  try {
    await api("/v1/tenants/" + encodeURIComponent(tenant) + "/notify/resume", { method: "POST", body: "{}" });
    res.className = "";
    res.textContent = "Reminders of " + tenant + " resumed.";
  } catch (e) { res.className = "err"; res.textContent = e.notServed ? "not available: the notifier is not deployed on this server" : e.message; }
  showNotify();
});

// ---- audit trail --------------------------------------------------------

$("auditForm").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("auditOut");
  const q = new URLSearchParams({ limit: "200" });
  if ($("auditTenant").value) q.set("tenant", $("auditTenant").value);
  if ($("auditSince").value) q.set("since", $("auditSince").value);
  try {
    const r = await api("/v1/audit?" + q);
    const rows = [...r.records].reverse(); // newest first
    out.replaceChildren(el("p", { class: "muted" }, rows.length + " actions, newest first"),
      table(["at", "token", "action", "path", "tenant", "status", "request"], rows.map((a) => [when(a.at), a.token, a.action, mono(a.path),
        a.tenant || "–", String(a.status), a.request ? mono(JSON.stringify(a.request), 80) : (a.request_omitted || "–")]),
        (i) => ({ class: "audit" })));
  } catch (e) {
    out.replaceChildren(e.notServed ? el("p", { class: "muted" }, "not available: this server keeps no audit trail") : errorLine(e));
  }
});

// ---- start --------------------------------------------------------------

refreshReady();
if ($("token").value) applyToken().then(route); else { document.body.classList.add("read-only"); route(); }
