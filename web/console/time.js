// The console's date words, on top of the shared business-time-zone formatting.

import { businessDate, formatInstant, fromLocalInput, TIME_ZONE, toLocalInput } from "../shared/dates.js";

/** "Nov 29, 2026, 5:45 PM PST" */
export const dateTime = formatInstant;

/** "2026-11-29": the calendar day of an instant in the business time zone. */
export const day = businessDate;

export const nowInput = () => toLocalInput(new Date());

export const toUtc = fromLocalInput;

export const zone = () => TIME_ZONE;

export const thisYear = () => Number(businessDate(new Date()).slice(0, 4));

/** The first instant of a business day, as RFC 3339 UTC ("" for no day). */
export function dayStart(dateText) {
  return dateText ? fromLocalInput(`${dateText}T00:00`) : "";
}

/** The last instant of a business day: one millisecond before the next day starts. */
export function dayEnd(dateText) {
  if (!dateText) return "";
  const next = new Date(`${dateText}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const start = new Date(fromLocalInput(`${next.toISOString().slice(0, 10)}T00:00`));
  return new Date(start.getTime() - 1).toISOString();
}
