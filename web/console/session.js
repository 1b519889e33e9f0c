// Who is signed in. Kept in sessionStorage (gone when the tab closes), never in localStorage.

const KEY = "ccpa-console.session";

function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (saved && saved.token && (!saved.expiresAt || saved.expiresAt > Date.now())) return saved;
  } catch {
    // A damaged entry is the same as none.
  }
  sessionStorage.removeItem(KEY);
  return null;
}

let current = load();

/** {token, roles, mode, name?, expiresAt?} or null. */
export function currentSession() {
  if (current && current.expiresAt && current.expiresAt <= Date.now()) endSession();
  return current;
}

export function startSession(session) {
  current = session;
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function endSession() {
  current = null;
  sessionStorage.removeItem(KEY);
}

/** True when the signed-in person holds any of the roles. */
export function can(...roles) {
  return Boolean(current) && current.roles.some((role) => roles.includes(role));
}

export const READERS = ["analyst", "auditor"];
export const ACTORS = ["agent", "analyst"];
