// The personal-data access log (GET /access-events): who touched whose data, through which service, and why.

import { call, plainError, withQuery } from "./client.js";
import { ACCESS_ACTIONS } from "./labels.js";
import { can, READERS } from "./session.js";
import { dateTime, dayEnd, dayStart } from "./time.js";
import { alertBox, empty, field, formValues, h, loading, select, show, tableRegion } from "./ui.js";

const FILTERS = ["consumer_email", "actor_id", "service", "action", "from", "to"];
const PAGE_SIZE = 50;

export async function render(view, route) {
  document.title = "Access log · Privacy console";
  if (!can(...READERS)) {
    show(view, h("h1", {}, "Access log"), h("p", { class: "notice" }, "Only analysts and auditors can read the access log."));
    return;
  }
  const criteria = Object.fromEntries(FILTERS.map((name) => [name, route.params.get(name) || ""]));
  const form = h("form", { class: "card filters", role: "search", "aria-label": "Search the access log" },
    h("div", { class: "grid" },
      field("Consumer email", h("input", { name: "consumer_email", type: "email", value: criteria.consumer_email, autocomplete: "off" })),
      field("Actor", h("input", { name: "actor_id", value: criteria.actor_id, autocomplete: "off" }), "A person's or a service's id."),
      field("Service", h("input", { name: "service", value: criteria.service, autocomplete: "off" })),
      field("Action", select("action", [["", "Any action"], ...ACCESS_ACTIONS.map((a) => [a, a[0].toUpperCase() + a.slice(1)])], criteria.action)),
      field("From", h("input", { name: "from", type: "date", value: criteria.from })),
      field("To", h("input", { name: "to", type: "date", value: criteria.to }))),
    h("div", { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, "Search"),
      h("a", { href: "#/access-log", class: "button secondary" }, "Clear filters")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(Object.entries(formValues(form)).filter(([, value]) => value));
    const target = `#/access-log?${new URLSearchParams({ search: "1", ...values })}`;
    if (window.location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else window.location.hash = target;
  });
  const results = h("section", { "aria-labelledby": "log-heading" });
  show(view, h("h1", {}, "Access log"),
    h("p", { class: "lede" }, "Every recorded access to personal data, newest first, including reads of this ledger by staff."),
    form, results);
  const query = { ...criteria, from: dayStart(criteria.from), to: dayEnd(criteria.to), limit: PAGE_SIZE };
  const cursors = [null];
  const heading = h("h2", { id: "log-heading" }, FILTERS.some((name) => criteria[name]) ? "Matching events" : "Latest events");

  async function load(index) {
    show(results, heading, loading("Loading events…"));
    let page;
    try {
      page = await call(withQuery("/access-events", { ...query, cursor: cursors[index] }));
    } catch (error) {
      show(results, heading, alertBox(plainError(error)));
      return;
    }
    cursors[index + 1] = page.cursor;
    if (!page.items.length) {
      show(results, heading, empty("No access event matches."));
      return;
    }
    const rows = page.items.map((item) => [
      dateTime(item.occurred_at),
      `${item.actor?.id || item.actor?.type || ""}${item.actor?.role ? ` (${item.actor.role})` : ""}`,
      item.action,
      item.service || "",
      item.consumer?.email || item.consumer?.id || "",
      (item.data_categories || []).map((category) => String(category).replaceAll("_", " ")).join(", "),
      item.purpose || "",
      describe(item),
    ]);
    show(results, heading,
      h("p", { class: "count", role: "status" }, `Page ${index + 1}: ${page.items.length} events${page.cursor ? ", more on the next page" : ""}.`),
      tableRegion("Access events", ["When", "Actor", "Action", "Service", "Consumer", "Data", "Purpose", "What"], rows),
      h("div", { class: "buttons pager" },
        index > 0 ? h("button", { type: "button", onclick: () => load(index - 1) }, "Previous page") : null,
        page.cursor ? h("button", { type: "button", onclick: () => load(index + 1) }, "Next page") : null));
  }
  await load(0);
}

function describe(item) {
  if (item.resource) return item.resource;
  if (item.scope) return h("span", { class: "scope" }, plain(item.scope, new Set(["consumer_tag"])));
  return item.type ? item.type.replaceAll("_", " ") : "";
}

/** A staff read's scope (filters, limits, an export's selection) as short words, never raw JSON: nested values
 * read "filters: status open, channel web", and empty or internal fields are left out. */
function plain(value, skip = new Set()) {
  if (Array.isArray(value)) return value.map((entry) => plain(entry)).filter(Boolean).join(", ");
  if (value && typeof value === "object") {
    return Object.entries(value)
      .filter(([key, entry]) => !skip.has(key) && entry !== null && entry !== "" && !(Array.isArray(entry) && !entry.length))
      .map(([key, entry]) => {
        const text = plain(entry);
        const label = key.replaceAll("_", " ");
        return entry && typeof entry === "object" && !Array.isArray(entry) ? `${label}: ${text}` : `${label} ${text}`;
      })
      .filter(Boolean)
      .join(typeof value === "object" && Object.values(value).some((entry) => entry && typeof entry === "object") ? "; " : ", ");
  }
  return value === undefined || value === null ? "" : String(value);
}
