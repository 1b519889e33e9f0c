// The console's side of the shared API client: the session's bearer token, and a signed-out session on 401.

import { ApiError, queryString, request, useToken } from "../shared/api.js";
import { currentSession, endSession } from "./session.js";

useToken(() => currentSession()?.token || null);

function signedOut(error) {
  if (error instanceof ApiError && error.status === 401) {
    endSession();
    window.dispatchEvent(new CustomEvent("console:signed-out", { detail: "Your sign-in has ended. Please sign in again." }));
  }
  throw error;
}

/** JSON from the API (null for 204), or an ApiError. */
export function call(path, { method = "GET", body } = {}) {
  return request(path, { method, body }).catch(signedOut);
}

/** A file from the API (for example the metrics CSV) as a Blob. */
export async function blob(path) {
  const response = await request(path, { raw: true, headers: { accept: "*/*" } }).catch(signedOut);
  return response.blob();
}

export function withQuery(path, params) {
  return path + queryString(params);
}

/** A sentence a person can act on, whatever went wrong. */
export function plainError(error) {
  return error instanceof ApiError ? error.message : "Something went wrong in this page. Reload it and try again.";
}
