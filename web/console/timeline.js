// The request's timeline in words: one sentence per ledger event.

import { CHANNELS, CLOCKS, DENIAL_BASES, label } from "./labels.js";

const who = (actor) => {
  if (!actor) return "";
  if (actor.type === "consumer") return "the consumer";
  if (actor.type === "staff" || actor.role) return `${actor.id || "staff"}${actor.role ? ` (${actor.role})` : ""}`;
  if (actor.type === "downstream") return actor.id;
  return "the system";
};

const evidenceText = (evidence) => {
  if (!evidence) return "";
  if (typeof evidence === "string") return evidence;
  return Object.entries(evidence).map(([key, value]) => `${key.replaceAll("_", " ")} ${value}`).join(", ");
};

const SENTENCES = {
  request_received: (d) => `Request received by ${label(CHANNELS, d.request?.channel)}; clocks started (${Object.entries(d.request?.clocks || {}).map(([n, due]) => `${label(CLOCKS, n).toLowerCase()} ${due}`).join(", ")}).`,
  request_acknowledged: (d) => `Receipt acknowledged to the consumer by ${d.method}.`,
  identity_verified: (d) => `Identity verified (${d.level?.replaceAll("_", " ") || "reasonable"} degree, by ${d.method}).`,
  identity_verification_failed: (d) => `Identity could not be verified (by ${d.method})${d.downgraded_to ? `; treated as a request for ${d.downgraded_to}` : ""}.`,
  request_extended: (d) => `Response period extended from ${d.original_due} to ${d.new_due}: ${d.reason}`,
  request_denied: (d) => `Denied: ${label(DENIAL_BASES, d.basis).toLowerCase()}${d.exemption ? ` (${d.exemption})` : ""}. ${d.explanation || ""}${d.opt_out_offered ? " An opt-out was offered." : ""}`,
  response_sent: (d) => `Response sent by ${d.method}${d.outcome === "complied_in_part" ? " (complied in part)" : ""}: ${d.summary}`,
  clock_at_risk: (d) => `${label(CLOCKS, d.clock)} is at risk: due ${d.due}, ${d.days_left} days left${d.reason ? ` (${d.reason.replaceAll("_", " ")})` : ""}.`,
  clock_overdue: (d) => `${label(CLOCKS, d.clock)} is overdue: it was due ${d.due}.`,
  suppression_started: (d) => `Downstream instructions started for ${(d.systems || []).map((s) => s.system_id).join(", ") || "no registered system"}.`,
  instruction_sent: (d) => d.connector === "manual"
    ? `Task for ${d.system_id} (manual): ${d.task || "confirm with evidence"}.`
    : `Instruction sent to ${d.system_id}${d.attempt ? ` (attempt ${d.attempt + 1})` : ""}.`,
  confirmation_received: (d) => `${d.system_id} confirmed${d.via ? ` (${d.via.replaceAll("_", " ")})` : ""}${d.evidence ? `: ${evidenceText(d.evidence)}` : ""}.`,
  instruction_failed: (d) => `Instruction to ${d.system_id} failed${d.error ? `: ${d.error}` : ""}${d.will_retry ? "; it will be retried" : ""}.`,
  instruction_timed_out: (d) => `${d.system_id} did not confirm within its deadline.`,
  callback_refused: (d) => `A callback from ${d.system_id} was refused (${String(d.reason || "").replaceAll("_", " ")}).`,
  request_honored: () => "Honored: every downstream system confirmed.",
  request_partially_honored: () => "Partially honored: some downstream systems have not confirmed.",
  gpc_signal_received: () => "A further Global Privacy Control signal was linked to this request.",
};

export function sentence(event) {
  const make = SENTENCES[event.type];
  try {
    if (make) return make(event.details || {}).replace(/\.\.$/, ".");
  } catch {
    // An older or unexpected shape: fall back to the event type.
  }
  return `${label({}, event.type)}.`;
}

export function actorWords(actor) {
  return who(actor);
}
