// Sign-in. Locally a `local-<role>` token typed in; on AWS the Cognito hosted UI with the authorization-code flow
// and PKCE, the role coming from the `cognito:groups` claim. Tokens live in sessionStorage (session.js).

import { ROLES } from "./labels.js";
import { endSession, startSession } from "./session.js";
import { alertBox, field, h } from "./ui.js";

const PENDING = "ccpa-console.pkce";

/** /console/config.json: {"auth": "local"}, or {"auth": "cognito", "auth_domain", "client_id", "redirect_uri",
 * "logout_uri", "scopes", "groups_claim"} as the deploy writes it. */
export async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) return await response.json();
  } catch {
    // No config: the local stack.
  }
  return { auth: "local" };
}

function cognitoSettings(config) {
  const settings = { ...config, ...(config.cognito || {}) };
  const domain = String(settings.auth_domain || settings.domain || "").replace(/\/$/, "");
  const here = new URL(".", window.location.href).href;
  const scopes = settings.scopes || settings.scope || "openid email";
  return {
    domain: /^https?:\/\//.test(domain) ? domain : `https://${domain}`,
    clientId: settings.client_id,
    redirectUri: settings.redirect_uri || here,
    logoutUri: settings.logout_uri || settings.redirect_uri || here,
    scope: Array.isArray(scopes) ? scopes.join(" ") : scopes,
    groupsClaim: settings.groups_claim || "cognito:groups",
  };
}

/** The sign-in form of the configured mode; calls `onSignedIn` once a session exists. */
export function signInView(config, onSignedIn, notice) {
  return config.auth === "cognito" ? cognitoView(config, notice) : localView(onSignedIn, notice);
}

function localView(onSignedIn, notice) {
  const token = h("input", { name: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const problem = h("div", { class: "form-problem" });
  const form = h("form", { class: "card sign-in", novalidate: true },
    h("h1", {}, "Sign in to the privacy console"),
    notice ? h("p", { class: "notice" }, notice) : null,
    field("Access token", token, "Locally: local-agent, local-analyst, local-auditor or local-admin."),
    problem,
    h("button", { type: "submit", class: "primary" }, "Sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = token.value.trim();
    const role = /^local-([a-z]+)$/.exec(value)?.[1];
    if (!role || !ROLES.includes(role)) {
      problem.replaceChildren(alertBox("That access token is not valid here. Use local- followed by a role, for example local-analyst."));
      token.setAttribute("aria-invalid", "true");
      token.focus();
      return;
    }
    startSession({ token: value, roles: [role], mode: "local", name: value });
    onSignedIn();
  });
  return form;
}

function cognitoView(config, notice) {
  return h("div", { class: "card sign-in" },
    h("h1", {}, "Sign in to the privacy console"),
    notice ? h("p", { class: "notice" }, notice) : null,
    h("p", {}, "You sign in with your organisation's account; you come back here afterwards."),
    h("button", { type: "button", class: "primary", onclick: () => startCognito(cognitoSettings(config)) }, "Sign in"));
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function randomText(length = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(length)));
}

async function startCognito(settings) {
  const verifier = randomText(48);
  const state = randomText(16);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code", client_id: settings.clientId, redirect_uri: settings.redirectUri, scope: settings.scope,
    state, code_challenge: challenge, code_challenge_method: "S256",
  });
  window.location.assign(`${settings.domain}/oauth2/authorize?${query}`);
}

function claims(jwt) {
  const payload = jwt.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
  const bytes = Uint8Array.from(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Back from the hosted UI with ?code=&state=: exchange the code (with the PKCE verifier) for tokens.
 * Answers null when this page load is not such a return, or a sentence saying why signing in failed. */
export async function finishCognito(config) {
  const params = new URLSearchParams(window.location.search);
  if (config.auth !== "cognito" || (!params.has("code") && !params.has("error"))) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  window.history.replaceState(null, "", window.location.pathname + window.location.hash);
  if (params.has("error")) return "Signing in was cancelled or refused. Try again.";
  if (!pending || pending.state !== params.get("state")) return "That sign-in link is stale. Please sign in again.";
  const settings = cognitoSettings(config);
  let tokens;
  try {
    const response = await fetch(`${settings.domain}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", client_id: settings.clientId, code: params.get("code"),
        redirect_uri: settings.redirectUri, code_verifier: pending.verifier,
      }),
    });
    if (!response.ok) return "The sign-in service refused the code. Please sign in again.";
    tokens = await response.json();
  } catch {
    return "The sign-in service could not be reached. Please try again.";
  }
  const identity = claims(tokens.id_token || tokens.access_token);
  const groups = claims(tokens.access_token)[settings.groupsClaim] || identity[settings.groupsClaim] || [];
  const roles = groups.filter((group) => ROLES.includes(group));
  if (!roles.length) return "Your account is in no console group (agent, analyst, auditor, admin). Ask an administrator.";
  startSession({
    token: tokens.access_token, roles, mode: "cognito", name: identity.email || identity["cognito:username"] || "",
    expiresAt: Date.now() + (Number(tokens.expires_in) || 3600) * 1000,
  });
  return null;
}

/** Ends the session; on AWS also the hosted UI's own session, which then comes back here. */
export function signOut(config) {
  endSession();
  if (config.auth === "cognito") {
    const settings = cognitoSettings(config);
    const query = new URLSearchParams({ client_id: settings.clientId, logout_uri: settings.logoutUri });
    window.location.assign(`${settings.domain}/logout?${query}`);
    return true;
  }
  return false;
}
