// Every date a person reads is in the business time zone (API.md): instants are formatted there, and clock
// dates (YYYY-MM-DD) are already days in that zone, so they are never shifted.

export const TIME_ZONE = "America/Los_Angeles";
const LOCALE = "en-US";

const dateTime = new Intl.DateTimeFormat(LOCALE, {
  timeZone: TIME_ZONE, year: "numeric", month: "short", day: "numeric",
  hour: "numeric", minute: "2-digit", timeZoneName: "short",
});
const dateOnly = new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, year: "numeric", month: "long", day: "numeric" });
const weekdayDate = new Intl.DateTimeFormat(LOCALE, {
  timeZone: "UTC", weekday: "long", year: "numeric", month: "long", day: "numeric",
});
const isoParts = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
const clockParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

function asDate(value) {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

// "Nov 30, 2026, 9:15 AM PST"
export function formatInstant(value) {
  const date = asDate(value);
  return date ? dateTime.format(date) : "";
}

// "November 30, 2026" for an instant (its day in the business time zone)
export function formatDay(value) {
  const date = asDate(value);
  return date ? dateOnly.format(date) : "";
}

// A clock date "2026-12-14" -> "Monday, December 14, 2026" (a calendar day: no time-zone shift).
export function describeDate(isoDate) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(isoDate || ""));
  if (!match) return "";
  return weekdayDate.format(new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])));
}

// The business day of an instant as YYYY-MM-DD (for date inputs and API filters).
export function businessDate(value = new Date()) {
  const date = asDate(value);
  return date ? isoParts.format(date) : "";
}

// The value a <input type="datetime-local"> shows for an instant, in the business time zone.
export function toLocalInput(value = new Date()) {
  const date = asDate(value);
  return date ? `${businessDate(date)}T${clockParts.format(date)}` : "";
}

// The instant a business-time-zone wall time names ("2026-11-30T09:15") as RFC 3339 UTC with Z.
export function fromLocalInput(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(text || ""));
  if (!match) return null;
  const wall = Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5]);
  // The zone's offset at that moment; checked twice so a wall time next to a DST change still lands right.
  let guess = wall;
  for (let i = 0; i < 2; i += 1) guess = wall - offsetAt(new Date(guess));
  return new Date(guess).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function offsetAt(date) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: TIME_ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - Math.floor(date.getTime() / 1000) * 1000;
}

// Whole days from today (business time zone) to a clock date: negative once it has passed.
export function daysUntil(isoDate, now = new Date()) {
  const [y, m, d] = String(isoDate).split("-").map(Number);
  const [ty, tm, td] = businessDate(now).split("-").map(Number);
  return Math.round((Date.UTC(y, m - 1, d) - Date.UTC(ty, tm - 1, td)) / 86400000);
}
