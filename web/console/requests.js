// Requests: open requests most urgent first, search with cursor paging, and each request's own page.

import { call, plainError, withQuery } from "./client.js";
import { clockEntries, clockName, daysLeft, marker } from "./clocks.js";
import { exportPanel } from "./exports.js";
import { CHANNELS, label, STATUSES, TYPES } from "./labels.js";
import { can, currentSession, READERS } from "./session.js";
import { day, dayEnd, dayStart } from "./time.js";
import { alertBox, empty, field, formValues, h, loading, select, show } from "./ui.js";

const PAGE_SIZE = 50; // a `limit` in the address (#/requests?limit=10) changes it
const CRITERIA = ["consumer_email", "request_id", "type", "status", "from", "to"];

export async function render(view, route) {
  if (route.rest.length) {
    const detail = await import("./request_detail.js");
    await detail.render(view, route.rest[0]);
    return;
  }
  document.title = "Requests · Privacy console";
  if (!can(...READERS)) {
    show(view, ...agentView());
    return;
  }
  const criteria = Object.fromEntries(CRITERIA.map((name) => [name, route.params.get(name) || ""]));
  const attention = route.params.get("attention");
  const searching = CRITERIA.some((name) => criteria[name]) || route.params.has("search");
  const results = h("section", { class: "results", "aria-labelledby": "results-heading" });
  show(view, h("h1", {}, "Requests"), searchForm(criteria), results);
  const size = Math.min(500, Number(route.params.get("limit")) || PAGE_SIZE);
  if (searching) await showSearch(results, criteria, size);
  else await showQueue(results, attention, size);
}

function searchForm(criteria) {
  const form = h("form", { class: "card filters", role: "search", "aria-label": "Search requests" },
    h("div", { class: "grid" },
      field("Consumer email", h("input", { name: "consumer_email", type: "email", value: criteria.consumer_email, autocomplete: "off" })),
      field("Request id", h("input", { name: "request_id", value: criteria.request_id, autocomplete: "off", spellcheck: "false" })),
      field("Type", select("type", [["", "Any type"], ...Object.entries(TYPES)], criteria.type)),
      field("Status", select("status", [["", "Any status"], ["open", "Open (a clock is running)"], ...Object.entries(STATUSES)], criteria.status)),
      field("Received from", h("input", { name: "from", type: "date", value: criteria.from })),
      field("Received to", h("input", { name: "to", type: "date", value: criteria.to }))),
    h("div", { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, "Search"),
      h("a", { href: "#/requests", class: "button secondary" }, "Clear filters")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = formValues(form);
    const target = `#/requests?${new URLSearchParams({ search: "1", ...Object.fromEntries(Object.entries(values).filter(([, v]) => v)) })}`;
    if (window.location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else window.location.hash = target;
  });
  return form;
}

/** The landing list: requests with a running clock, most urgent first (or only at-risk / overdue ones). */
async function showQueue(results, attention, size) {
  const titles = { at_risk: "At-risk requests", overdue: "Overdue requests" };
  const heading = h("h2", { id: "results-heading" }, titles[attention] || "Open requests, most urgent first");
  const query = attention === "at_risk" ? { at_risk: "true" } : attention === "overdue" ? { overdue: "true" } : { open: "true" };
  await pagedList(results, heading, (cursor) => call(withQuery("/requests", { ...query, limit: size, cursor })),
    attention ? "No request is in that state. Nothing needs attention." : "No open requests. Every clock is satisfied.");
}

async function showSearch(results, criteria, size) {
  const heading = h("h2", { id: "results-heading" }, "Search results");
  if (criteria.request_id) {
    show(results, heading, loading("Looking up the request…"));
    try {
      const record = await call(`/requests/${encodeURIComponent(criteria.request_id)}`);
      show(results, heading, requestList([record]), exportPanel({ request_id: record.request_id }));
    } catch (error) {
      show(results, heading, error.status === 404 ? empty("No request has that id.") : alertBox(plainError(error)));
    }
    return;
  }
  const query = {
    consumer_email: criteria.consumer_email, type: criteria.type,
    status: criteria.status === "open" ? "" : criteria.status, open: criteria.status === "open" ? "true" : "",
    from: dayStart(criteria.from), to: dayEnd(criteria.to),
  };
  const scope = { consumer_email: criteria.consumer_email, action_type: criteria.type, from: criteria.from, to: criteria.to };
  const exportable = Object.values(scope).some(Boolean);
  const after = exportable
    ? exportPanel(scope, criteria.status ? "The export covers the email, type and dates; it does not filter by status." : "")
    : h("p", { class: "hint" }, "To export, search by a consumer email, a type or dates.");
  await pagedList(results, heading, (cursor) => call(withQuery("/requests", { ...query, limit: size, cursor })),
    "No request matches. Try fewer filters.", after);
}

/** A list with cursor paging: "Next page" follows the API's cursor, "Previous page" goes back. */
async function pagedList(results, heading, fetchPage, emptyText, after = null) {
  const cursors = [null];
  async function load(index) {
    show(results, heading, loading("Loading requests…"));
    let page;
    try {
      page = await fetchPage(cursors[index]);
    } catch (error) {
      show(results, heading, alertBox(plainError(error)));
      return;
    }
    cursors[index + 1] = page.cursor;
    const nav = h("div", { class: "buttons pager" },
      index > 0 ? h("button", { type: "button", onclick: () => load(index - 1) }, "Previous page") : null,
      page.cursor ? h("button", { type: "button", onclick: () => load(index + 1) }, "Next page") : null);
    const count = h("p", { class: "count", role: "status" },
      page.items.length ? `Page ${index + 1}: ${page.items.length} ${page.items.length === 1 ? "request" : "requests"}${page.total ? ` of ${page.total}` : ""}${page.cursor ? ", more on the next page" : ""}.` : "");
    show(results, heading, page.items.length ? [count, requestList(page.items), nav] : empty(emptyText), after);
    if (index > 0) results.querySelector("a")?.focus();
  }
  await load(0);
}

export function requestList(items) {
  return h("ol", { class: "queue" }, items.map((item) => h("li", { class: "request-row" },
    h("div", { class: "row-head" },
      h("a", { href: `#/requests/${encodeURIComponent(item.request_id)}`, class: "request-id" }, item.request_id),
      marker(item.clocks)),
    h("div", { class: "row-type" }, h("strong", {}, label(TYPES, item.type)), ` · ${label(CHANNELS, item.channel)}`),
    h("div", { class: "row-received" }, `Received ${day(item.received_at)}`),
    h("ul", { class: "dues" }, clockEntries(item.clocks).map(([name, clock]) => h("li", {},
      `${clockName(name)} ${clock.due}`,
      clock.satisfied_at ? h("span", { class: "met" }, clock.met === false ? " · missed" : " · met")
        : h("span", { class: clock.overdue ? "late" : clock.at_risk ? "risk" : "left" }, ` · ${daysLeft(clock)}`)))),
    h("div", { class: "row-status" }, h("span", { class: `status status-${item.status}` }, label(STATUSES, item.status))))));
}

function agentView() {
  const input = h("input", { name: "request_id", autocomplete: "off", spellcheck: "false", required: true });
  const form = h("form", { class: "card" },
    field("Request id", input, "The id the consumer or the intake gave you."),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Open request")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value.trim()) window.location.hash = `#/requests/${encodeURIComponent(input.value.trim())}`;
  });
  const role = currentSession().roles.join(", ");
  if (!can("agent")) {
    return [h("h1", {}, "Requests"), h("p", { class: "notice" }, `Your role (${role}) cannot read consumer requests. Analysts and auditors can.`)];
  }
  return [h("h1", {}, "Requests"),
    h("p", { class: "notice" }, "Agents record actions on a request (acknowledge, verify, respond…) but cannot list or read records. Open a request by its id."),
    form];
}
