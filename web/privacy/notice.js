// The privacy notice in force, linked above the form; the version shown is recorded with the request
// (details.notice_seen). When no notice is published (or the API has none), nothing is shown.

import { get } from "/shared/api.js";

function inForce(group, now) {
  const versions = Array.isArray(group.versions) ? group.versions : [];
  if (group.in_force) return versions.find((v) => v.version === group.in_force) || null;
  const current = versions.filter((v) => Date.parse(v.effective_from) <= now
    && (!v.effective_to || Date.parse(v.effective_to) > now));
  current.sort((a, b) => Date.parse(b.effective_from) - Date.parse(a.effective_from));
  return current[0] || null;
}

// The notice to link: the privacy policy if one is named so, else the first notice in force.
export async function loadNotice(line) {
  let listing;
  try {
    listing = await get("/notices");
  } catch {
    return null;
  }
  const groups = Array.isArray(listing?.items) ? listing.items : [];
  const now = Date.now();
  const candidates = groups.map((g) => ({ group: g, version: inForce(g, now) })).filter((c) => c.version);
  const chosen = candidates.find((c) => /privacy/i.test(c.group.notice_id)) || candidates[0];
  if (!chosen) return null;
  const { version } = chosen;
  if (!/^(https:\/\/|http:\/\/|\/)/i.test(String(version.url))) return null; // never a script: URL
  const link = document.createElement("a");
  link.href = version.url;
  link.textContent = version.title || "Privacy notice";
  line.replaceChildren("Before you start, you can read our ", link, ` (version ${version.version}).`);
  line.hidden = false;
  return { notice_id: chosen.group.notice_id, version: version.version };
}
