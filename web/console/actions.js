// The lifecycle action forms of a request (API.md POST /requests/{id}/actions). Each opens under the buttons,
// times default to now in the business time zone, and a refusal (409) or a bad field (422) is said in plain
// words next to the form.

import { call, plainError } from "./client.js";
import { DENIAL_BASES } from "./labels.js";
import { nowInput, toUtc, zone } from "./time.js";
import { alertBox, field, formValues, h, select, show } from "./ui.js";

const METHODS = [["email", "Email"], ["mail", "Mail"], ["phone", "Phone"], ["in_person", "In person"], ["account", "Account message"]];
const VERIFY_METHODS = [["email_code", "Code sent to the email on file"], ["account_login", "Signed-in account"],
  ["knowledge_based", "Matching data points"], ["document", "Signed declaration or document"]];

/** A time field defaulting to now; if left untouched, the moment of submitting is sent. */
function timeField(text, name) {
  const input = h("input", { name, type: "datetime-local", value: nowInput(), required: true });
  input.dataset.initial = input.value;
  return field(text, input, `Business time (${zone()}). Leave as is for now.`);
}

function textArea(name, value, rows = 3) {
  return h("textarea", { name, rows, required: true }, value);
}

const FORMS = {
  acknowledge: {
    title: "Acknowledge receipt",
    fields: () => [timeField("Sent at", "sent_at"), field("Method", select("method", METHODS, "email"))],
  },
  verify: {
    title: "Verify identity",
    fields: () => [
      field("Verification method", select("method", VERIFY_METHODS, "email_code")),
      field("Outcome", select("outcome", [["verified", "Verified"], ["failed", "Could not verify"]], "verified")),
      field("Degree of certainty", select("level", [["reasonable", "Reasonable"], ["reasonably_high", "Reasonably high"]], "reasonable")),
    ],
  },
  extend: {
    title: "Extend the response period by 45 days",
    fields: () => [
      field("Reason", textArea("reason", "The request is complex and more time is reasonably necessary to complete it.")),
      timeField("Notice sent at", "notice_sent_at"),
    ],
  },
  deny: {
    title: "Deny the request",
    fields: (record) => {
      const basis = select("basis", DENIAL_BASES, "unverifiable");
      const exemption = field("Exemption", h("input", { name: "exemption" }), "Which one, for example Civ. Code 1798.105(d)(1).");
      exemption.hidden = true;
      basis.addEventListener("change", () => {
        exemption.hidden = basis.value !== "exemption";
      });
      const offer = record?.type === "delete"
        ? h("div", { class: "field check" }, h("input", { type: "checkbox", name: "opt_out_offered", id: "opt-out-offered", value: "yes", checked: true }),
          h("label", { for: "opt-out-offered" }, "The consumer was offered an opt-out of sale or sharing"))
        : null;
      return [field("Basis", basis), exemption,
        field("Explanation to the consumer", textArea("explanation", "We could not verify your identity from the information provided.")),
        timeField("Sent at", "sent_at"), offer];
    },
  },
  respond: {
    title: "Record the response",
    fields: () => [
      timeField("Sent at", "sent_at"),
      field("Method", select("method", METHODS, "email")),
      field("Outcome", select("outcome", [["complied", "Complied"], ["complied_in_part", "Complied in part"]], "complied")),
      field("Summary", textArea("summary", "We completed your request.")),
    ],
  },
  confirm_system: {
    title: "Confirm a downstream system",
    fields: (record, systemId) => [
      systemId ? h("input", { type: "hidden", name: "system_id", value: systemId })
        : field("System id", h("input", { name: "system_id", required: true, autocomplete: "off" })),
      field("Evidence", textArea("evidence", `${systemId || "The system"} confirmed on ${nowInput().slice(0, 10)}.`),
        "What the system or vendor confirmed: a ticket number, their reply, a reference."),
    ],
  },
};

/** The body the API expects: untouched times become "now", business times become UTC. */
function actionBody(action, form) {
  const values = formValues(form);
  const body = { action };
  for (const [name, value] of Object.entries(values)) {
    const input = form.elements[name];
    if (input?.type === "datetime-local") {
      body[name] = value === input.dataset.initial ? new Date().toISOString() : toUtc(value);
    } else if (name === "opt_out_offered") {
      body[name] = true;
    } else if (value !== "") {
      body[name] = value;
    }
  }
  if (action === "deny" && form.elements.opt_out_offered && !form.elements.opt_out_offered.checked) body.opt_out_offered = false;
  if (action === "deny" && body.basis !== "exemption") delete body.exemption;
  return body;
}

/** Action buttons and the area where the chosen form opens; `onDone(record)` gets the updated record. */
export function actionPanel(requestId, record, onDone) {
  const area = h("div", { class: "action-area" });
  const buttons = [
    ["acknowledge", "Acknowledge"], ["verify", "Verify identity"], ["extend", "Extend"], ["deny", "Deny"], ["respond", "Respond"],
  ].map(([action, text]) => h("button", { type: "button", onclick: (event) => open(action, null, event.currentTarget) }, text));
  const manual = (record?.downstream || []).filter((system) => system.connector === "manual" && system.status !== "confirmed");
  for (const system of manual) {
    buttons.push(h("button", { type: "button", onclick: (event) => open("confirm_system", system.system_id, event.currentTarget) },
      `Confirm ${system.system_id}`));
  }
  if (!record) {
    buttons.push(h("button", { type: "button", onclick: (event) => open("confirm_system", null, event.currentTarget) }, "Confirm a manual system"));
  }

  function open(action, systemId, opener) {
    const spec = FORMS[action];
    const problem = h("div", { class: "form-problem", "aria-live": "assertive" });
    const title = systemId ? `Confirm ${systemId}` : spec.title;
    const form = h("form", { class: "card action-form", "aria-label": title, novalidate: true },
      h("h3", {}, title),
      spec.fields(record, systemId),
      problem,
      h("div", { class: "buttons" },
        h("button", { type: "submit", class: "primary" }, "Record"),
        h("button", { type: "button", class: "secondary", onclick: () => { show(area); opener.focus(); } }, "Cancel")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      show(problem, h("p", { class: "loading", role: "status" }, "Recording…"));
      try {
        const updated = await call(`/requests/${encodeURIComponent(requestId)}/actions`, { method: "POST", body: actionBody(action, form) });
        window.dispatchEvent(new CustomEvent("console:changed"));
        onDone(updated, `${title}: recorded.`);
      } catch (error) {
        submit.disabled = false;
        show(problem, alertBox(refusal(error)));
      }
    });
    show(area, form);
    form.querySelector("select, input:not([type=hidden]), textarea")?.focus();
  }

  return h("section", { class: "actions", "aria-labelledby": "actions-heading" },
    h("h2", { id: "actions-heading" }, "Actions"),
    h("div", { class: "buttons action-buttons" }, buttons),
    area);
}

function refusal(error) {
  const text = plainError(error);
  if (error.status === 409) return `Not recorded: ${text}`;
  if (error.status === 422) return `Not recorded. ${text}`;
  return text;
}
