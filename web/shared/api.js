// The pages' one way to the API: same origin (no CORS), JSON in and out, and every failure turned into a
// sentence a person can act on. Errors keep the API's shape ({error, message, details}) for forms that show
// a message next to the field it names.

const PLAIN_WORDS = {
  0: "We could not reach the server. Check your connection and try again.",
  401: "Please sign in again: your session has ended or the token is not valid.",
  403: "Your role does not allow this.",
  404: "We could not find that.",
  413: "That is too large to send.",
  429: "Too many attempts in a short time. Please wait a moment and try again.",
  500: "Something went wrong on our side. Please try again in a minute.",
};

export class ApiError extends Error {
  constructor(status, body) {
    const known = body && typeof body === "object" && typeof body.message === "string";
    super(ApiError.sentence(status, known ? body : null));
    this.name = "ApiError";
    this.status = status;
    this.code = known ? body.error : status === 0 ? "network_error" : "http_" + status;
    this.details = known && Array.isArray(body.details) ? body.details : [];
  }

  static sentence(status, body) {
    if (status >= 500 || status === 0) return PLAIN_WORDS[status] ?? PLAIN_WORDS[500];
    if (body) {
      const issues = (body.details || [])
        .filter((d) => d && d.field && d.issue)
        .map((d) => `${fieldWords(d.field)} ${d.issue}`);
      const head = body.message.trim();
      return issues.length && !issues.some((issue) => head.includes(issue)) ? `${head} (${issues.join("; ")})` : head;
    }
    return PLAIN_WORDS[status] ?? `The request failed (HTTP ${status}).`;
  }

  // The issue the API reported for one field ("consumer.email" matches "email"), or null.
  issueFor(field) {
    const hit = this.details.find((d) => d && d.field && (d.field === field || d.field.endsWith("." + field)));
    return hit ? `${fieldWords(hit.field)} ${hit.issue}` : null;
  }
}

// "consumer.email" -> "email", "details.look_back_from" -> "look back from": what a person calls the field.
export function fieldWords(field) {
  const last = String(field).split(".").pop().replace(/\[\d+\]$/, "");
  return last.replace(/_/g, " ");
}

let tokenSource = () => null;

// The console gives a function returning the current bearer token (kept in memory or session storage).
export function useToken(source) {
  tokenSource = source;
}

export function queryString(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "" && value !== false) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

// fetch with JSON both ways. Resolves to the parsed body (null for 204); rejects with ApiError.
export async function request(path, { method = "GET", body, headers = {}, token, raw = false, signal } = {}) {
  const sent = { accept: "application/json", ...headers };
  const bearer = token === undefined ? tokenSource() : token;
  if (bearer) sent.authorization = "Bearer " + bearer;
  if (body !== undefined) sent["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(0, null);
  }
  if (raw && response.ok) return response;
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const get = (path, options = {}) => request(path, { ...options, method: "GET" });
export const post = (path, body, options = {}) => request(path, { ...options, method: "POST", body });
export const put = (path, body, options = {}) => request(path, { ...options, method: "PUT", body });
export const del = (path, options = {}) => request(path, { ...options, method: "DELETE" });
