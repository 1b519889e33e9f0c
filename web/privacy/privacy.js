// The privacy center's request form: one web_form request per submission (an Idempotency-Key per filled form, so
// a double click or a retry after a network error files it once), then the request id, the consumer-facing
// deadline and the status link that carries the request's unguessable token.

import { ApiError, post } from "/shared/api.js";
import { describeDate, fromLocalInput, businessDate } from "/shared/dates.js";
import { linkConsumer, startGpc } from "/privacy/gpc.js";
import { loadNotice } from "/privacy/notice.js";
import { RIGHTS, rightName } from "/privacy/rights.js";

// Same rule as the API's, so most typos are caught before anything is sent; the API has the last word.
const EMAIL = /^[^@\s"(),:;<>[\\\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const EARLIEST_LOOK_BACK = "2022-01-01T00:00";

const $ = (id) => document.getElementById(id);
const form = $("request-form");
const email = $("email");
const submit = $("submit");
let idempotencyKey = crypto.randomUUID();
let noticeSeen = null;
// Resolves to the device id once the signal's POST /gpc has answered (null without a signal).
let gpcDevice = Promise.resolve(null);

function showFieldError(input, errorLine, message) {
  errorLine.textContent = message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function chosenType() {
  return form.querySelector('input[name="type"]:checked')?.value ?? null;
}

function twelveMonthsAgo() {
  const [y, m, d] = businessDate().split("-");
  return fromLocalInput(`${Number(y) - 1}-${m}-${d}T00:00`);
}

function details(type) {
  const out = {};
  if (type === "know") {
    out.scope = form.querySelector('input[name="scope"]:checked')?.value ?? "categories";
    const since2022 = form.querySelector('input[name="look_back"]:checked')?.value === "since_2022";
    out.look_back_from = since2022 ? fromLocalInput(EARLIEST_LOOK_BACK) : twelveMonthsAgo();
  }
  if (type === "correct" && $("correction").value.trim()) out.note = $("correction").value.trim();
  if (noticeSeen) out.notice_seen = noticeSeen;
  return Object.keys(out).length ? out : undefined;
}

function validate() {
  let firstBad = null;
  const address = email.value.trim();
  if (!address) {
    showFieldError(email, $("email-error"), "Enter your email address.");
    firstBad = email;
  } else if (address.length > 254 || !EMAIL.test(address)) {
    showFieldError(email, $("email-error"), "Enter a valid email address, like name@example.com.");
    firstBad = email;
  } else {
    showFieldError(email, $("email-error"), "");
  }
  const typeError = $("type-error");
  typeError.textContent = chosenType() ? "" : "Choose the right you want to use.";
  if (!chosenType() && !firstBad) firstBad = form.querySelector('input[name="type"]');
  return firstBad;
}

function showOptions() {
  const type = chosenType();
  $("know-options").hidden = type !== "know";
  $("correct-options").hidden = type !== "correct";
  if (type) $("type-error").textContent = "";
}

function showResult(created) {
  const right = RIGHTS[created.type];
  const due = created.clocks?.[right?.clock]?.due ?? "";
  $("result-id").textContent = created.request_id;
  $("result-type").textContent = rightName(created.type);
  $("result-due-label").textContent = right?.clock === "honor_by" ? "We will honor it by" : "We will respond by";
  $("result-due").textContent = due;
  $("result-due-words").textContent = due ? `(${describeDate(due)})` : "";
  const acknowledge = created.clocks?.acknowledge_by?.due;
  $("result-next").textContent = acknowledge
    ? `By ${acknowledge} (${describeDate(acknowledge)}) we will confirm that we received it and explain how we ` +
      "will verify your identity."
    : "We pass it on to the companies we sell or share information with, and you can follow it on the status page.";
  const link = $("result-status-link");
  link.href = "/privacy/status.html#" + encodeURIComponent(created.status_token);
  $("request-section").hidden = true;
  $("result").hidden = false;
  $("result-title").focus();
}

async function onSubmit(event) {
  event.preventDefault();
  $("form-error").hidden = true;
  const bad = validate();
  if (bad) {
    bad.focus();
    return;
  }
  const type = chosenType();
  const body = { type, channel: "web_form", consumer: { email: email.value.trim() } };
  const extra = details(type);
  if (extra) body.details = extra;
  submit.disabled = true;
  submit.textContent = "Sending your request…";
  try {
    const created = await post("/requests", body, { headers: { "Idempotency-Key": idempotencyKey } });
    showResult(created);
    gpcDevice.then((id) => linkConsumer(id, body.consumer.email));
  } catch (error) {
    const emailIssue = error instanceof ApiError ? error.issueFor("email") : null;
    if (emailIssue) {
      showFieldError(email, $("email-error"), `Check your email address: ${emailIssue}.`);
      email.focus();
    } else {
      $("form-error").textContent = error.message || "We could not send your request. Please try again.";
      $("form-error").hidden = false;
    }
  } finally {
    submit.disabled = false;
    submit.textContent = "Submit request";
  }
}

function reset() {
  form.reset();
  idempotencyKey = crypto.randomUUID();
  showOptions();
  $("result").hidden = true;
  $("request-section").hidden = false;
  $("form-title").setAttribute("tabindex", "-1");
  $("form-title").focus();
}

form.addEventListener("submit", onSubmit);
// A changed form is a new request; an unchanged one re-sent after a failure is the same request.
form.addEventListener("change", (event) => {
  idempotencyKey = crypto.randomUUID();
  if (event.target.name === "type") showOptions();
});
form.addEventListener("input", () => { idempotencyKey = crypto.randomUUID(); });
email.addEventListener("blur", () => { if ($("email-error").textContent) validate(); });
$("another").addEventListener("click", reset);
showOptions();

loadNotice($("notice-line")).then((seen) => { noticeSeen = seen; });
gpcDevice = startGpc($("gpc-status"));
