// A request's status page. The token travels in the URL's fragment, which browsers never send to a server (so
// no access log or referrer ever holds it); the page asks GET /status/{token} and follows the request live.

import { ApiError, get } from "/shared/api.js";
import { describeDate, formatInstant } from "/shared/dates.js";
import { RIGHTS, rightName } from "/privacy/rights.js";

const POLL_MS = 5000;
const POLL_LIMIT_MS = 15 * 60 * 1000;
const FINAL_DISPLAYS = new Set(["Opt-Out Request Honored", "Answered", "Denied"]);

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.hash.replace(/^#/, "").replace(/^token=/, ""));
const started = Date.now();
let timer = null;

function sentence(state) {
  const due = `${state.due} (${describeDate(state.due)})`;
  switch (state.display) {
    case "Opt-Out Request Honored":
      return state.type === "limit_sensitive_pi"
        ? "We and the companies we share information with now use your sensitive personal information only " +
          "to provide what you asked for."
        : "We and the companies we share information with have stopped selling and sharing your personal " +
          "information.";
    case "Received":
      return `We received your request. We will ${RIGHTS[state.type]?.verb ?? "respond to"} it by ${due}.`;
    case "In progress":
      return `We are working on your request. We will ${RIGHTS[state.type]?.verb ?? "respond to"} it by ${due}.`;
    case "Honored":
      return `We carried out your request. We will send you our response by ${due}.`;
    case "Answered":
      return "We answered your request. Our response was sent to you; check your email.";
    case "Denied":
      return "We could not carry out your request. We sent you our reasons and how to ask us again.";
    default:
      return "";
  }
}

function steps(state) {
  const optOut = RIGHTS[state.type]?.clock === "honor_by";
  const last = state.display === "Denied" ? "Denied" : optOut ? "Honored" : "Answered";
  const reached = { Received: 0, "In progress": 1, Honored: optOut ? 2 : 1 }[state.display] ?? 2;
  return ["Received", "In progress", last].map((label, index) => {
    const item = document.createElement("li");
    item.textContent = label;
    if (index === 2 && reached === 2 && label === "Denied") item.className = "denied";
    else if (index < reached || (index === reached && index === 2)) item.className = "done";
    else if (index === reached) item.className = "current";
    if (index === reached) item.setAttribute("aria-current", "step");
    return item;
  });
}

function setText(id, text) {
  if ($(id).textContent !== text) $(id).textContent = text; // live regions re-read any rewrite
}

function render(state) {
  const optOut = RIGHTS[state.type]?.clock === "honor_by";
  setText("status-display", state.display);
  $("status-card").className = "card";
  setText("status-sentence", sentence(state));
  $("steps").replaceChildren(...steps(state));
  $("request-id").textContent = state.request_id;
  $("request-type").textContent = rightName(state.type);
  $("received").textContent = formatInstant(state.received_at);
  const closed = FINAL_DISPLAYS.has(state.display);
  $("due-label").textContent = closed ? "Deadline" : optOut ? "To be honored by" : "To be answered by";
  $("due").textContent = state.due;
  $("due-words").textContent = `(${describeDate(state.due)})`;
  $("checked").textContent = "Last checked " + formatInstant(new Date()) + ".";
  $("loading").hidden = true;
  $("problem").hidden = true;
  $("status-card").hidden = false;
}

function fail(message) {
  $("loading").hidden = true;
  $("problem").textContent = message;
  $("problem").hidden = false;
}

async function refresh() {
  clearTimeout(timer);
  if (!/^[A-Za-z0-9_-]{20,}$/.test(token)) {
    fail("This link is incomplete. Open the status link exactly as we gave it to you, including everything " +
      "after the # sign.");
    return;
  }
  try {
    const state = await get("/status/" + encodeURIComponent(token));
    render(state);
    if (!FINAL_DISPLAYS.has(state.display) && Date.now() - started < POLL_LIMIT_MS) {
      timer = setTimeout(refresh, POLL_MS);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      fail("We could not find a request for this link. Check that you copied the whole link.");
    } else {
      fail(error.message);
      timer = setTimeout(refresh, POLL_MS * 2);
    }
  }
}

$("refresh").addEventListener("click", refresh);
window.addEventListener("hashchange", () => location.reload());
refresh();
