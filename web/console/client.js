// The console's calls to the API: the bearer token of the session, errors turned into plain words.

import { currentSession, endSession } from "./session.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || null;
    this.details = body?.details || [];
  }
}

async function send(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  const token = currentSession()?.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null);
  }
  if (response.status === 401) {
    endSession();
    window.dispatchEvent(new CustomEvent("console:signed-out", { detail: "Your sign-in has ended. Please sign in again." }));
  }
  return response;
}

/** JSON from the API, or an ApiError. A 204 gives null. */
export async function call(path, options) {
  const response = await send(path, options);
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** A file from the API (for example the metrics CSV) as a Blob, or an ApiError. */
export async function blob(path) {
  const response = await send(path);
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response.blob();
}

/** Path with a query string of the non-empty values. */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

const FIELD_WORDS = { body: "the form", sent_at: "the time sent", notice_sent_at: "the notice time" };

/** One or two sentences a person understands, whatever went wrong. */
export function plainError(error) {
  if (!(error instanceof ApiError)) return "Something went wrong in this page. Reload it and try again.";
  if (error.status === 0) return "The service could not be reached. Check the connection and try again.";
  if (error.status === 401) return "Your sign-in has ended. Please sign in again.";
  if (error.status === 403) return "Your role is not allowed to do this.";
  if (error.status === 422) {
    const problems = error.details
      .filter((detail) => detail && detail.field)
      .map((detail) => `${FIELD_WORDS[detail.field] || detail.field.replaceAll("_", " ")} ${detail.issue || "is not valid"}`);
    return problems.length ? `Please check: ${problems.join("; ")}.` : error.message;
  }
  if (error.status >= 500) return "Something went wrong on our side. Try again in a moment.";
  return error.message;
}
