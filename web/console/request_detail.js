// One request: its clocks, 7101 record, downstream systems, notice and consents, timeline, actions and export.

import { actionPanel } from "./actions.js";
import { call, plainError, withQuery } from "./client.js";
import { clockEntries, clockName, clockState, marker } from "./clocks.js";
import { exportPanel } from "./exports.js";
import { CHANNELS, DENIAL_BASES, DOWNSTREAM, label, STATUSES, TYPES } from "./labels.js";
import { ACTORS, can, READERS } from "./session.js";
import { dateTime } from "./time.js";
import { actorWords, sentence } from "./timeline.js";
import { alertBox, empty, facts, h, loading, show, tableRegion } from "./ui.js";

export async function render(view, requestId) {
  document.title = `Request ${requestId} · Privacy console`;
  show(view, h("h1", {}, `Request ${requestId}`), loading("Loading the request…"));
  if (!can(...READERS)) {
    showForActorOnly(view, requestId);
    return;
  }
  let record;
  try {
    record = await call(`/requests/${encodeURIComponent(requestId)}`);
  } catch (error) {
    show(view, h("h1", {}, `Request ${requestId}`),
      error.status === 404 ? alertBox("No request has this id. Check it, or search on the Requests page.") : alertBox(plainError(error)));
    return;
  }
  const consents = h("div", {});
  show(view, ...page(record, consents, (updated, note) => rerender(view, updated, note)));
  loadConsents(consents, record);
}

function rerender(view, record, note) {
  const consents = h("div", {});
  show(view, ...page(record, consents, (updated, again) => rerender(view, updated, again), note));
  loadConsents(consents, record);
  view.querySelector(".saved")?.focus();
}

/** An agent may record actions but not read the record: the buttons, then the record the action answers. */
function showForActorOnly(view, requestId) {
  if (!can(...ACTORS)) {
    show(view, h("h1", {}, `Request ${requestId}`), h("p", { class: "notice" }, "Your role cannot read or act on requests."));
    return;
  }
  show(view, h("h1", {}, `Request ${requestId}`),
    h("p", { class: "notice" }, "Your role records actions but cannot read the record. After an action, the updated record shows here."),
    actionPanel(requestId, null, (updated, note) => rerender(view, updated, note)));
}

function page(record, consents, onDone, note) {
  const closedNote = ["responded", "denied"].includes(record.status) || (record.status === "honored" && record.clocks.honor_by)
    ? h("p", { class: "hint" }, "This request is closed; no further action can be recorded.") : null;
  return [
    h("div", { class: "title-row" }, h("h1", {}, h("span", { class: "muted" }, "Request "), h("span", { class: "request-id" }, record.request_id)), marker(record.clocks)),
    note ? h("p", { class: "saved", role: "status", tabindex: "-1" }, note) : null,
    facts([
      ["Type", label(TYPES, record.type)],
      ["Channel", label(CHANNELS, record.channel)],
      ["Status", h("span", { class: `status status-${record.status}` }, label(STATUSES, record.status))],
      ["Received", dateTime(record.received_at)],
      ["Consumer", record.consumer?.email || ""],
      record.agent ? ["Authorized agent", `${record.agent.name}${record.agent.authorization_ref ? ` (${record.agent.authorization_ref})` : ""}`] : null,
      record.details?.scope ? ["Scope", record.details.scope.replaceAll("_", " ")] : null,
    ].filter(Boolean), "facts summary"),
    section("Clocks", clocksTable(record)),
    can(...ACTORS) ? actionPanel(record.request_id, record, onDone) : null,
    closedNote,
    exportPanel({ request_id: record.request_id }),
    section("Record under 11 CCR 7101", record7101(record)),
    section("Downstream systems", downstream(record)),
    record.notice_in_force ? section("Privacy notice in force at receipt", notices(record.notice_in_force)) : null,
    consents,
    section("Timeline", timeline(record)),
  ];
}

function section(title, ...content) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), content);
}

function clocksTable(record) {
  const rows = clockEntries(record.clocks).map(([name, clock]) => [
    clockName(name),
    h("span", { class: "date" }, clock.due),
    h("span", { class: clock.overdue ? "late" : clock.at_risk ? "risk" : clock.met === false ? "late" : "" }, clockState(clock)),
    clock.satisfied_at ? dateTime(clock.satisfied_at) : "",
    clock.extended ? "Extended" : "",
  ]);
  return tableRegion("Clocks", ["Clock", "Due", "State", "Satisfied at", "Note"], rows);
}

function record7101(record) {
  const r = record.record_7101 || {};
  return facts([
    ["Date of request", r.request_date],
    ["Nature of request", label(TYPES, r.request_nature)],
    ["Manner made", label(CHANNELS, r.request_manner)],
    ["Date of response", r.response_date],
    ["Nature of response", r.response_nature ? label({}, r.response_nature) : ""],
    ["Basis for denial", r.denial_basis ? label(DENIAL_BASES, r.denial_basis) : ""],
  ]);
}

function evidenceFor(record, systemId) {
  const confirmation = [...record.timeline].reverse()
    .find((event) => event.type === "confirmation_received" && event.details?.system_id === systemId);
  const evidence = confirmation?.details?.evidence;
  if (!evidence) return "";
  return typeof evidence === "string" ? evidence : Object.entries(evidence).map(([k, v]) => `${k.replaceAll("_", " ")}: ${v}`).join(", ");
}

function downstream(record) {
  if (!record.downstream?.length) {
    return empty(["delete", "opt_out_sale_sharing", "limit_sensitive_pi"].includes(record.type)
      ? "No instruction has gone out yet (a deletion starts once identity is verified)."
      : "This type of request is not sent to downstream systems.");
  }
  const rows = record.downstream.map((system) => [
    h("span", {}, h("strong", {}, system.system_id), h("br"), h("span", { class: "muted" }, system.connector === "manual" ? "manual" : "webhook")),
    h("span", { class: `ds ds-${system.status}` }, label(DOWNSTREAM, system.status)),
    system.instruction_sent_at ? dateTime(system.instruction_sent_at) : "",
    system.confirmed_at ? dateTime(system.confirmed_at) : "",
    evidenceFor(record, system.system_id) || system.last_error || "",
  ]);
  return tableRegion("Downstream systems", ["System", "Status", "Instruction sent", "Confirmed", "Evidence"], rows);
}

function notices(list) {
  if (!list.length) return empty("No privacy notice was in force when this request was received.");
  return h("ul", { class: "plain" }, list.map((notice) => h("li", {},
    `${notice.notice_id}, version ${notice.version} `, h("code", { class: "hash", title: "SHA-256 of the notice text" }, notice.text_sha256))));
}

/** The consumer's consent history, when the API offers it; nothing at all when it does not. */
async function loadConsents(container, record) {
  const email = record.consumer?.email;
  if (!email) return;
  let answer;
  try {
    answer = await call(withQuery("/consents", { consumer_email: email }));
  } catch {
    return;
  }
  const items = Array.isArray(answer) ? answer : answer?.items || answer?.consents || [];
  const rows = items.map((item) => [
    dateTime(item.occurred_at || item.recorded_at),
    String(item.purpose || "").replaceAll("_", " "),
    String(item.decision || item.type || "").replaceAll("_", " "),
    String(item.method || "").replaceAll("_", " "),
    item.notice ? `${item.notice.notice_id} v${item.notice.version}` : "",
  ]);
  show(container, section("Consent history", rows.length
    ? tableRegion("Consent history", ["When", "Purpose", "Decision", "Method", "Notice"], rows)
    : empty("No consent records for this consumer.")));
}

function timeline(record) {
  return h("ol", { class: "timeline" }, record.timeline.map((event) => h("li", {},
    h("time", { datetime: event.occurred_at }, dateTime(event.occurred_at)),
    h("p", {}, sentence(event)),
    h("p", { class: "by" }, `By ${actorWords(event.actor)}`,
      event.recorded_at !== event.occurred_at ? ` · recorded ${dateTime(event.recorded_at)}` : ""))));
}
