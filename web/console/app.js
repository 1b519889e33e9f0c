// The console's shell: sign-in, navigation with the attention counts, and hash routing to one module per page.

import { finishCognito, loadConfig, signInView, signOut } from "./auth.js";
import { call } from "./client.js";
import { can, currentSession, READERS } from "./session.js";
import { focusHeading, h, show } from "./ui.js";

const PAGES = {
  requests: () => import("./requests.js"),
  "access-log": () => import("./access_log.js"),
  exports: () => import("./exports.js"),
  metrics: () => import("./metrics.js"),
  systems: () => import("./systems.js"),
};

const main = document.getElementById("main");
const top = document.getElementById("top");
const attention = document.getElementById("attention");
let config = { auth: "local" };
let renderCount = 0;

/** "#/requests/abc?x=1" -> {page: "requests", rest: ["abc"], params: URLSearchParams} */
function currentRoute() {
  const [path, query = ""] = window.location.hash.replace(/^#\/?/, "").split("?");
  const [page, ...rest] = path.split("/").filter(Boolean).map(decodeURIComponent);
  const fallback = can(...READERS, "agent") ? "requests" : "systems";
  return { page: PAGES[page] ? page : fallback, rest, params: new URLSearchParams(query) };
}

async function render() {
  const session = currentSession();
  if (!session) {
    showSignIn();
    return;
  }
  top.hidden = false;
  document.getElementById("who").textContent = `${session.name || "Signed in"} · ${session.roles.join(", ")}`;
  const route = currentRoute();
  for (const link of document.querySelectorAll("[data-route]")) {
    if (link.dataset.route === route.page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const mine = ++renderCount;
  const module = await PAGES[route.page]();
  if (mine !== renderCount) return; // a later navigation won
  const view = h("div", { class: "page" });
  show(main, view);
  await module.render(view, route);
  if (mine === renderCount) focusHeading(main);
}

function showSignIn(notice) {
  top.hidden = true;
  attention.replaceChildren();
  document.title = "Sign in · Privacy console";
  show(main, signInView(config, async () => {
    await render();
    refreshAttention();
  }, notice));
  main.querySelector("input")?.focus();
}

/** The at-risk and overdue counts, always in the navigation (for the roles that may read requests). */
export async function refreshAttention() {
  if (!can(...READERS)) {
    attention.replaceChildren();
    return;
  }
  try {
    // The API counts a clock-ranked list without reading its records; one item is the least it sends back.
    const [risk, late] = await Promise.all([call("/requests?at_risk=true&limit=1"), call("/requests?overdue=true&limit=1")]);
    const count = (page) => page.total ?? `${page.items.length}${page.cursor ? "+" : ""}`;
    attention.replaceChildren(
      h("a", { href: "#/requests?attention=at_risk", class: `badge ${risk.items.length ? "risk" : "calm"}` },
        `${count(risk)} at-risk`),
      h("a", { href: "#/requests?attention=overdue", class: `badge ${late.items.length ? "late" : "calm"}` },
        `${count(late)} overdue`));
  } catch {
    attention.replaceChildren(h("span", { class: "badge calm" }, "Counts unavailable"));
  }
}

document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
document.getElementById("sign-out").addEventListener("click", () => {
  if (!signOut(config)) showSignIn("You are signed out.");
});
window.addEventListener("console:signed-out", (event) => showSignIn(event.detail));
window.addEventListener("console:changed", () => refreshAttention());
// A followed link empties the page at once, so nothing (a person or a test) types into the page being left
// while the next one loads.
document.addEventListener("click", (event) => {
  const link = event.target.closest?.('a[href^="#/"]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  if (link.getAttribute("href") === window.location.hash) return;
  show(main, h("p", { class: "hint", "aria-busy": "true" }, "Loading…"));
});
window.addEventListener("hashchange", () => {
  if (window.location.hash.startsWith("#/") || !window.location.hash) render();
});

async function start() {
  config = await loadConfig();
  const problem = await finishCognito(config);
  if (problem || !currentSession()) {
    showSignIn(problem);
    return;
  }
  await render(); // the page first: the local API answers one call at a time
  refreshAttention();
  setInterval(() => currentSession() && refreshAttention(), 60_000);
}

start();
