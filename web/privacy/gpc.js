// Global Privacy Control (11 CCR 7025): a browser that sends the signal is opted out of sale and sharing, and the
// site must show that it honored it. The page forwards the page load to POST /gpc (the browser adds Sec-GPC
// itself; a page cannot set it), keeps a device id in first-party storage so this browser sees its own status
// later, and polls until the opt-out is honored. Without the signal nothing is shown and nothing is stored.

import { get, post } from "/shared/api.js";

const DEVICE_KEY = "ccpa-audit.gpc-device-id";
const POLL_MS = 4000;
const POLL_LIMIT_MS = 15 * 60 * 1000;

function storedDeviceId() {
  try {
    return localStorage.getItem(DEVICE_KEY);
  } catch {
    return null; // storage blocked: the signal still counts for this page load
  }
}

function keepDeviceId(id) {
  try {
    localStorage.setItem(DEVICE_KEY, id);
  } catch {
    /* storage blocked */
  }
}

export function signalPresent() {
  return navigator.globalPrivacyControl === true;
}

let shown = null;

// Redrawn only when what it says changes: the region is live, and a screen reader would re-read every poll.
function render(region, state) {
  const key = JSON.stringify(state);
  if (key === shown) return;
  shown = key;
  region.replaceChildren();
  const heading = document.createElement("h2");
  const text = document.createElement("p");
  if (state.honored) {
    region.className = "notice ok";
    heading.textContent = "Opt-Out Request Honored";
    text.textContent = "Your browser's Global Privacy Control signal was honored: we do not sell or share " +
      "personal information linked to this browser.";
  } else {
    region.className = "notice";
    heading.textContent = "Global Privacy Control signal received";
    text.textContent = "Your browser sent a Global Privacy Control signal. We are processing it as a request to " +
      "opt out of the sale and sharing of your personal information.";
  }
  region.append(heading, text);
  if (state.error) {
    const problem = document.createElement("p");
    problem.textContent = state.error;
    region.append(problem);
  }
  region.hidden = false;
}

// Starts the GPC flow when the signal is present; returns the device id in use (or null without a signal).
export async function startGpc(region) {
  if (!signalPresent()) return null;
  const deviceId = storedDeviceId() || crypto.randomUUID();
  render(region, { honored: false });
  let answer;
  try {
    answer = await post("/gpc", { device_id: deviceId });
  } catch (error) {
    render(region, { honored: false, error: error.message });
    return null;
  }
  if (!answer || answer.gpc !== true) {
    // The browser exposes the signal but did not send the header: nothing was recorded, so nothing is claimed.
    region.hidden = true;
    region.replaceChildren();
    shown = null;
    return null;
  }
  keepDeviceId(deviceId);
  const started = Date.now();
  const poll = async () => {
    try {
      const state = await get("/gpc/status?device_id=" + encodeURIComponent(deviceId));
      render(region, { honored: state.honored === true });
      if (state.honored) return;
    } catch {
      /* a missed poll is retried */
    }
    if (Date.now() - started < POLL_LIMIT_MS) setTimeout(poll, POLL_MS);
  };
  poll(); // not awaited: a slow first poll must not keep the device id from a request filed meanwhile
  return deviceId;
}

// A consumer who files a request while the signal is on is opted out as a person too, not only this browser.
export async function linkConsumer(deviceId, email) {
  if (!deviceId || !signalPresent()) return;
  try {
    await post("/gpc", { device_id: deviceId, consumer: { email } });
  } catch {
    /* the request itself was recorded; the link is a courtesy */
  }
}
