// Times in the business time zone (the API gives it as `time_zone`), and back to UTC for the API.

let businessZone = "America/Los_Angeles";

export function setBusinessZone(zone) {
  if (zone) businessZone = zone;
}

export function zone() {
  return businessZone;
}

function parts(date, timeZone = businessZone) {
  const fields = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
  }).formatToParts(date);
  return Object.fromEntries(fields.map(({ type, value }) => [type, value]));
}

/** "2026-11-29 17:45 PST" */
export function dateTime(iso) {
  if (!iso) return "";
  const p = parts(new Date(iso));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName}`;
}

/** "2026-11-29": the calendar day in the business time zone. */
export function day(iso) {
  if (!iso) return "";
  const p = parts(new Date(iso));
  return `${p.year}-${p.month}-${p.day}`;
}

/** Now as a datetime-local value ("2026-11-29T17:45:03") in the business time zone. */
export function nowInput() {
  const p = parts(new Date());
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

export function thisYear() {
  return Number(parts(new Date()).year);
}

/** A wall-clock time in the business time zone ("2026-11-29T17:45[:03]") as an RFC 3339 UTC string. */
export function toUtc(local) {
  const [datePart, timePart = "00:00:00"] = local.split("T");
  const [year, month, dayOfMonth] = datePart.split("-").map(Number);
  const [hour, minute, second = 0] = timePart.split(":").map(Number);
  const wall = Date.UTC(year, month - 1, dayOfMonth, hour, minute, Math.floor(second), Math.round((second % 1) * 1000));
  // The zone's offset at that instant; a second pass settles times near a daylight-saving change.
  let guess = wall;
  for (let pass = 0; pass < 2; pass += 1) {
    const p = parts(new Date(guess));
    const seen = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    const offset = seen - Math.floor(guess / 1000) * 1000; // the zone's clock ahead of UTC, in ms
    guess = wall - offset;
  }
  return new Date(guess).toISOString();
}

/** The first instant of a business day, as RFC 3339 UTC. */
export function dayStart(dateText) {
  return dateText ? toUtc(`${dateText}T00:00:00`) : "";
}

/** The last instant of a business day, as RFC 3339 UTC. */
export function dayEnd(dateText) {
  return dateText ? toUtc(`${dateText}T23:59:59.999`) : "";
}
