// Evidence bundles: an `Export` button wherever a scope is on screen, progress while a large one builds, then
// `Download bundle` (the presigned URL) and its SHA-256. The Exports page starts one from any scope and lists the
// exports started in this browser session.

import { call, plainError } from "./client.js";
import { label, TYPES } from "./labels.js";
import { can, READERS } from "./session.js";
import { dateTime } from "./time.js";
import { alertBox, empty, field, formValues, h, select, show, tableRegion } from "./ui.js";

const STARTED = "ccpa-console.exports";
const POLL_MS = 1000;

function started() {
  try {
    return JSON.parse(sessionStorage.getItem(STARTED) || "[]");
  } catch {
    return [];
  }
}

function remember(exported, scope) {
  const list = started().filter((item) => item.export_id !== exported.export_id);
  list.unshift({ export_id: exported.export_id, scope, started_at: new Date().toISOString() });
  sessionStorage.setItem(STARTED, JSON.stringify(list.slice(0, 50)));
}

function scopeWords(scope) {
  const parts = [];
  if (scope.request_id) parts.push(`request ${scope.request_id}`);
  if (scope.consumer_email) parts.push(`consumer ${scope.consumer_email}`);
  if (scope.action_type) parts.push(label(TYPES, scope.action_type).toLowerCase());
  if (scope.from || scope.to) parts.push(`received ${scope.from || "…"} to ${scope.to || "…"}`);
  return parts.join(", ") || "everything";
}

function cleanScope(scope) {
  return Object.fromEntries(Object.entries(scope).filter(([, value]) => value));
}

/** Starts an export and follows it in `status` (a live region) until its bundle can be downloaded. */
async function runExport(scope, status) {
  show(status, h("p", { class: "loading" }, "Starting the export…"));
  let job;
  try {
    job = await call("/exports", { method: "POST", body: cleanScope(scope) });
  } catch (error) {
    show(status, alertBox(plainError(error)));
    return;
  }
  remember(job, cleanScope(scope));
  while (job.status === "building" || job.status === "queued") {
    const done = job.progress?.done ?? 0;
    const total = job.progress?.total || 0;
    show(status, h("div", { class: "progress" },
      h("label", { for: "export-progress" }, total ? `Building the bundle: ${done} of ${total} events` : "Building the bundle…"),
      h("progress", { id: "export-progress", max: total || 1, value: total ? done : null })));
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    try {
      job = await call(`/exports/${encodeURIComponent(job.export_id)}`);
    } catch (error) {
      show(status, alertBox(plainError(error)));
      return;
    }
  }
  if (job.status !== "ready") {
    show(status, alertBox(`The export failed: ${job.error || "no reason was given"}. Try again or narrow the scope.`));
    return;
  }
  show(status, bundleFacts(job));
  status.querySelector("a")?.focus();
}

function bundleFacts(job) {
  return h("div", { class: "bundle" },
    h("p", {}, h("a", { href: job.url, class: "button primary", rel: "noopener" }, "Download bundle"),
      ` ${job.event_count} ${job.event_count === 1 ? "event" : "events"}, link valid until ${dateTime(job.expires_at)}.`),
    h("p", { class: "sha" }, h("span", {}, "SHA-256 "), h("code", {}, job.sha256)),
    job.unsealed_count ? h("p", { class: "hint" }, `${job.unsealed_count} events were not yet sealed; the manifest lists them.`) : null);
}

/** The `Export` button for a scope, with its own progress and result area. */
export function exportPanel(scope, note = "") {
  if (!can(...READERS)) return null;
  const status = h("div", { class: "export-status", "aria-live": "polite" });
  const button = h("button", { type: "button" }, "Export");
  button.addEventListener("click", async () => {
    button.disabled = true;
    await runExport(scope, status);
    button.disabled = false;
  });
  return h("section", { class: "card export", "aria-label": "Signed bundle" },
    h("h2", {}, "Signed bundle"),
    h("p", {}, `A signed bundle of ${scopeWords(cleanScope(scope))}, checkable offline with ccpa-audit verify.`),
    note ? h("p", { class: "hint" }, note) : null,
    h("div", { class: "buttons" }, button), status);
}

export async function render(view) {
  document.title = "Exports · Privacy console";
  if (!can(...READERS)) {
    show(view, h("h1", {}, "Exports"), h("p", { class: "notice" }, "Only analysts and auditors can export evidence."));
    return;
  }
  const status = h("div", { class: "export-status", "aria-live": "polite" });
  const form = h("form", { class: "card", "aria-label": "Start an export" },
    h("p", {}, "Give a request id, a consumer email, a type or a date range; given together they narrow each other."),
    h("div", { class: "grid" },
      field("Request id", h("input", { name: "request_id", autocomplete: "off", spellcheck: "false" })),
      field("Consumer email", h("input", { name: "consumer_email", type: "email", autocomplete: "off" })),
      field("Type", select("action_type", [["", "Any type"], ...Object.entries(TYPES)], "")),
      field("From", h("input", { name: "from", type: "date" })),
      field("To", h("input", { name: "to", type: "date" }))),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Export")),
    status);
  const list = h("section", { "aria-labelledby": "session-exports" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const scope = cleanScope(formValues(form));
    if (!Object.keys(scope).length) {
      show(status, alertBox("Give at least one of: request id, consumer email, type, or a date."));
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    await runExport(scope, status);
    button.disabled = false;
    await showStarted(list);
  });
  show(view, h("h1", {}, "Exports"), form, list);
  await showStarted(list);
}

async function showStarted(list) {
  const heading = h("h2", { id: "session-exports" }, "Exports started in this session");
  const items = started();
  if (!items.length) {
    show(list, heading, empty("None yet. Exports you start here or on a request appear in this list."));
    return;
  }
  const jobs = await Promise.all(items.map((item) => call(`/exports/${encodeURIComponent(item.export_id)}`)
    .catch((error) => ({ export_id: item.export_id, status: "unavailable", error: plainError(error) }))));
  const rows = items.map((item, index) => {
    const job = jobs[index];
    const shortId = item.export_id.slice(-8);
    return [
      dateTime(item.started_at),
      scopeWords(item.scope),
      job.status === "building" ? `Building (${job.progress?.done ?? 0} of ${job.progress?.total ?? "?"})` : job.status,
      job.status === "ready" ? String(job.event_count) : "",
      job.status === "ready"
        ? h("a", { href: job.url, rel: "noopener", "aria-label": `Get export ${shortId}` }, "Get zip")
        : job.error || "",
    ];
  });
  show(list, heading, tableRegion("Exports started in this session", ["Started", "Scope", "Status", "Events", "Bundle"], rows));
}
