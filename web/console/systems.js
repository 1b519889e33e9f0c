// The downstream registry (GET /systems): everyone who may read it sees it; an admin adds, edits and removes.

import { call, plainError } from "./client.js";
import { IDENTIFIERS, label, SYSTEM_KINDS, TYPES } from "./labels.js";
import { can, currentSession } from "./session.js";
import { dateTime } from "./time.js";
import { alertBox, empty, facts, field, formValues, h, loading, select, show } from "./ui.js";

export async function render(view) {
  document.title = "Systems · Privacy console";
  if (!can("admin", "analyst")) {
    show(view, h("h1", {}, "Systems"),
      h("p", { class: "notice" }, `Your role (${currentSession().roles.join(", ")}) cannot view the downstream registry. Analysts and admins can.`));
    return;
  }
  const area = h("div", {});
  const editor = h("div", {});
  const admin = can("admin");
  show(view, h("h1", {}, "Systems"),
    h("p", { class: "lede" }, "Where opt-outs, limits and deletions are sent, and how each system confirms."),
    admin ? h("div", { class: "buttons" }, h("button", { type: "button", class: "primary", onclick: () => edit(editor, null, reload) }, "Add a system")) : null,
    editor, area);
  async function reload(note) {
    show(area, loading("Loading the registry…"));
    let answer;
    try {
      answer = await call("/systems");
    } catch (error) {
      show(area, alertBox(plainError(error)));
      return;
    }
    const items = answer.items || [];
    show(area,
      note ? h("p", { class: "saved", role: "status" }, note) : null,
      items.length ? h("ul", { class: "systems" }, items.map((system) => card(system, admin, editor, reload)))
        : empty("No downstream system is registered. Requests are then honored without instructions."));
  }
  await reload();
}

function card(system, admin, editor, reload) {
  const connector = system.connector || {};
  const confirmArea = h("div", {});
  return h("li", { class: "card system" },
    h("h2", {}, system.name, " ", h("span", { class: "muted" }, `(${system.system_id})`)),
    facts([
      ["Kind", label(SYSTEM_KINDS, system.kind)],
      ["Applies to", (system.applies_to || []).map((type) => label(TYPES, type)).join(", ")],
      ["Connector", connector.type === "webhook" ? `Webhook to ${connector.url}${connector.secret_set ? " (signing secret set)" : ""}`
        : `Manual: ${connector.instructions || "confirm with evidence"}`],
      ["Deadline", `${system.sla_hours} hours`],
      ["Receives", (system.identifiers || []).map((id) => label(IDENTIFIERS, id).toLowerCase()).join(", ")],
      ["Retries after", `${(system.retry_backoff_seconds || []).join(", ")} seconds`],
      ["Version", `${system.version}, updated ${dateTime(system.updated_at)}`],
    ]),
    admin ? h("div", { class: "buttons" },
      h("button", { type: "button", onclick: () => edit(editor, system, reload) }, `Edit ${system.system_id}`),
      h("button", { type: "button", class: "danger", onclick: () => confirmRemoval(confirmArea, system, reload) }, `Delete ${system.system_id}`)) : null,
    confirmArea);
}

function confirmRemoval(area, system, reload) {
  const problem = h("div", {});
  show(area, h("div", { class: "confirm", role: "group", "aria-label": `Delete ${system.system_id}?` },
    h("p", {}, `Remove ${system.name} from the registry? New requests will not be sent there; past records keep its name.`),
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "danger", onclick: async () => {
        try {
          await call(`/systems/${encodeURIComponent(system.system_id)}`, { method: "DELETE" });
          await reload(`${system.system_id} was removed.`);
        } catch (error) {
          show(problem, alertBox(plainError(error)));
        }
      } }, `Yes, remove ${system.system_id}`),
      h("button", { type: "button", class: "secondary", onclick: () => show(area) }, "Keep it")),
    problem));
  area.querySelector("button").focus();
}

function checkboxes(name, legend, options, chosen) {
  return h("fieldset", { class: "checks" }, h("legend", {}, legend),
    options.map(([value, text]) => {
      const id = `${name}-${value}`;
      return h("span", { class: "check" }, h("input", { type: "checkbox", name, value, id, checked: chosen.includes(value) }),
        h("label", { for: id }, text));
    }));
}

/** The add/edit form (PUT /systems/{id}); a webhook's secret is write-only and kept when left empty. */
function edit(editor, system, reload) {
  const connector = system?.connector || { type: "manual" };
  const connectorType = select("connector_type", [["manual", "Manual (a person confirms with evidence)"], ["webhook", "Webhook (signed HTTPS call)"]], connector.type);
  const webhookFields = h("div", {},
    field("Webhook URL", h("input", { name: "url", type: "url", value: connector.url || "" }), "https, or http on loopback only."),
    field("Signing secret", h("input", { name: "secret", type: "password", autocomplete: "new-password" }),
      system?.connector?.secret_set ? "Leave empty to keep the current secret." : "Required for a new webhook."));
  const manualFields = field("Instructions", h("textarea", { name: "instructions", rows: 2 }, connector.instructions || ""));
  const sync = () => {
    webhookFields.hidden = connectorType.value !== "webhook";
    manualFields.hidden = connectorType.value !== "manual";
  };
  connectorType.addEventListener("change", sync);
  sync();
  const problem = h("div", { "aria-live": "assertive" });
  const form = h("form", { class: "card", "aria-label": system ? `Edit ${system.system_id}` : "Add a system", novalidate: true },
    h("h2", {}, system ? `Edit ${system.name}` : "Add a system"),
    h("div", { class: "grid" },
      field("System id", h("input", { name: "system_id", value: system?.system_id || "", readonly: Boolean(system), required: true, pattern: "[a-z0-9][a-z0-9_-]{0,62}" }),
        "Lowercase letters, digits, - and _."),
      field("System name", h("input", { name: "name", value: system?.name || "", required: true })),
      field("Kind", select("kind", SYSTEM_KINDS, system?.kind || "service_provider")),
      field("Deadline in hours", h("input", { name: "sla_hours", type: "number", min: "0.01", step: "any", value: system?.sla_hours ?? 72, required: true })),
      field("Retry after (seconds)", h("input", { name: "retry_backoff_seconds", value: (system?.retry_backoff_seconds || [30, 120, 600]).join(", ") }),
        "Comma-separated waits between attempts.")),
    checkboxes("applies_to", "Applies to", Object.entries(TYPES),
      system?.applies_to || ["opt_out_sale_sharing", "limit_sensitive_pi", "delete"]),
    checkboxes("identifiers", "Receives these identifiers", Object.entries(IDENTIFIERS), system?.identifiers || ["email"]),
    field("Connector", connectorType), webhookFields, manualFields,
    problem,
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Save"),
      h("button", { type: "button", class: "secondary", onclick: () => show(editor) }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = formValues(form);
    const body = {
      name: values.name, kind: values.kind, applies_to: values.applies_to || [], identifiers: values.identifiers || [],
      sla_hours: Number(values.sla_hours),
      retry_backoff_seconds: (values.retry_backoff_seconds || "").split(",").map((part) => Number(part.trim())).filter((n) => Number.isFinite(n) && n >= 0),
      connector: values.connector_type === "webhook"
        ? { type: "webhook", url: values.url, ...(values.secret ? { secret: values.secret } : {}) }
        : { type: "manual", instructions: values.instructions || "Confirm with evidence." },
    };
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(values.system_id || "")) {
      show(problem, alertBox("The system id must start with a lowercase letter or digit and use only a-z, 0-9, - and _."));
      return;
    }
    try {
      await call(`/systems/${encodeURIComponent(values.system_id)}`, { method: "PUT", body });
      show(editor);
      await reload(`${values.system_id} was saved.`);
    } catch (error) {
      show(problem, alertBox(plainError(error)));
    }
  });
  show(editor, form);
  form.querySelector("input:not([readonly])")?.focus();
}
