// How a request's clocks read: the marker (Overdue / At risk), days left, due dates, and whether each was met.

import { CLOCKS, label } from "./labels.js";
import { h } from "./ui.js";

const ORDER = ["acknowledge_by", "honor_by", "respond_by"];

export function clockEntries(clocks) {
  return Object.entries(clocks || {}).sort(([a], [b]) => ORDER.indexOf(a) - ORDER.indexOf(b));
}

/** The most urgent open clock: overdue before at risk before the rest, then the earliest due. */
export function urgentClock(clocks) {
  const open = clockEntries(clocks).filter(([, clock]) => !clock.satisfied_at);
  const rank = (clock) => (clock.overdue ? 0 : clock.at_risk ? 1 : 2);
  open.sort(([, a], [, b]) => rank(a) - rank(b) || a.due.localeCompare(b.due));
  return open[0] || null;
}

export function marker(clocks) {
  const urgent = urgentClock(clocks);
  if (!urgent) return null;
  const [, clock] = urgent;
  if (clock.overdue) return h("span", { class: "marker overdue" }, "Overdue");
  if (clock.at_risk) return h("span", { class: "marker at-risk" }, "At risk");
  return null;
}

export function daysLeft(clock) {
  if (clock.satisfied_at) return "";
  if (clock.overdue) return `${Math.abs(clock.days_left)} ${Math.abs(clock.days_left) === 1 ? "day" : "days"} late`;
  if (clock.days_left === 0) return "due today";
  return `${clock.days_left} ${clock.days_left === 1 ? "day" : "days"} left`;
}

/** "Met", "Missed", "Open, 5 days left", "Overdue, 2 days late". */
export function clockState(clock) {
  if (clock.satisfied_at) return clock.met === false ? "Missed" : "Met";
  if (clock.overdue) return `Overdue, ${daysLeft(clock)}`;
  if (clock.at_risk) return `At risk, ${daysLeft(clock)}`;
  return `Open, ${daysLeft(clock)}`;
}

export function clockName(name) {
  return label(CLOCKS, name);
}
