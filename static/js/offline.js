// Offline copies on this device: registering the service worker, saving a meeting for offline
// reading, keeping those copies current, and deleting them when they may no longer be kept
// (signed out, removed from the board, another person signed in on this device).

import { wipe as wipeQueue } from "./offline-store.js";

const LIST_KEY = "boardroom.offline.meetings";
const USER_KEY = "boardroom.offline.user";
// What the offline home shows of each saved meeting: title, board, start, when saved, bytes.
const DETAILS_KEY = "boardroom.offline.details";
const STATIC_CACHE = "boardroom-static";

function saved() {
  try {
    return JSON.parse(localStorage.getItem(LIST_KEY) || "[]");
  } catch {
    return [];
  }
}

function setSaved(list) {
  try {
    localStorage.setItem(LIST_KEY, JSON.stringify([...new Set(list)]));
  } catch {
    /* storage full: the copies still work, they are just not listed */
  }
}

function details() {
  try {
    return JSON.parse(localStorage.getItem(DETAILS_KEY) || "{}");
  } catch {
    return {};
  }
}

function setDetails(map) {
  try {
    localStorage.setItem(DETAILS_KEY, JSON.stringify(map));
  } catch {
    /* storage full: the copies still open, the offline home just knows less about them */
  }
}

// The saved meetings with what is known of them, for the offline home.
export function savedDetails() {
  const known = details();
  return saved().map((id) => ({ id, ...(known[id] || {}) }));
}

export async function wipeAll() {
  try {
    localStorage.removeItem(LIST_KEY);
    localStorage.removeItem(DETAILS_KEY);
    localStorage.removeItem(USER_KEY);
  } catch {
    /* nothing stored */
  }
  if ("caches" in globalThis) {
    for (const name of await caches.keys()) if (name.startsWith("boardroom-")) await caches.delete(name);
  }
  await wipeQueue();
}

// Store each URL's response in the named cache; returns the bytes stored.
async function store(cacheName, urls) {
  const cache = await caches.open(cacheName);
  let done = 0;
  let bytes = 0;
  for (const url of urls) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    bytes += Number(response.headers.get("Content-Length")) || 0;
    await cache.put(url, response);
    done += 1;
    document.dispatchEvent(new CustomEvent("boardroom:offline-progress", { detail: { done, total: urls.length } }));
  }
  return bytes;
}

// Whether this connection may cost by the byte: mobile data, or the person asked to save data.
// Safari has no Network Information API, so an iPad counts as unmetered (iPadOS pauses
// background data on its own in Low Data Mode).
export function metered() {
  const connection = navigator.connection;
  return Boolean(connection && (connection.saveData || connection.type === "cellular"));
}

async function manifestOf(meetingId) {
  const response = await fetch(`/meetings/${meetingId}/offline.json`, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error("This meeting cannot be saved for offline reading.");
  return response.json();
}

// Delete what the meeting no longer lists (a paper withdrawn or moved to Part B): at once, on
// any connection, before anything is downloaded.
async function dropUnlisted(cacheName, urls) {
  const cache = await caches.open(cacheName);
  const listed = new Set(urls.map((url) => new URL(url, location.origin).href));
  for (const request of await cache.keys()) if (!listed.has(request.url)) await cache.delete(request);
}

export async function saveMeeting(meetingId, manifest = null) {
  manifest = manifest || (await manifestOf(meetingId));
  await store(STATIC_CACHE, manifest.assets);
  await dropUnlisted(manifest.cache, manifest.urls);
  // Each file is written over its old copy, so the meeting stays readable offline while a newer
  // copy is on its way, and a download that breaks off leaves the old copy whole.
  const bytes = await store(manifest.cache, manifest.urls);
  setSaved([...saved(), meetingId]);
  setDetails({
    ...details(),
    [meetingId]: {
      title: manifest.title,
      board: manifest.board,
      starts_at: manifest.starts_at,
      savedAt: Date.now(),
      bytes,
      version: manifest.version,
      stale: false,
    },
  });
  return manifest;
}

// Bring a saved meeting up to date: the meeting page every time; the papers and the pack only
// when they changed, and then by itself only on an unmetered connection (else it waits, marked
// "stale", for Wi-Fi or for the person to tap "Update now").
async function refresh(meetingId, { force = false } = {}) {
  const manifest = await manifestOf(meetingId);
  const known = details()[meetingId] || {};
  await dropUnlisted(manifest.cache, manifest.urls);
  if (known.version === manifest.version) {
    await store(manifest.cache, manifest.urls.slice(0, 1));
    return;
  }
  if (metered() && !force) {
    setDetails({ ...details(), [meetingId]: { ...known, stale: true } });
    return;
  }
  await saveMeeting(meetingId, manifest);
}

export async function removeMeeting(meetingId) {
  await caches.delete(`boardroom-meeting-${meetingId}`);
  setSaved(saved().filter((id) => id !== meetingId));
  const known = details();
  delete known[meetingId];
  setDetails(known);
}

// Online: ask which meetings may stay; delete the rest, refresh what stays.
async function reconcile() {
  let keep;
  try {
    const response = await fetch("/offline/keep.json", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    keep = await response.json();
  } catch {
    return; // offline: nothing to check now
  }
  if (!keep.signed_in) {
    await wipeAll();
    return;
  }
  let owner;
  try {
    owner = localStorage.getItem(USER_KEY);
  } catch {
    owner = null;
  }
  if (owner !== null && owner !== String(keep.user)) await wipeAll();
  try {
    localStorage.setItem(USER_KEY, String(keep.user));
  } catch {
    /* not remembered: checked again next time */
  }
  const allowed = new Set(keep.meetings);
  for (const name of await caches.keys()) {
    const match = /^boardroom-meeting-(\d+)$/.exec(name);
    if (match && !allowed.has(Number(match[1]))) await caches.delete(name);
  }
  const still = saved().filter((id) => allowed.has(id));
  setSaved(still);
  setDetails(Object.fromEntries(Object.entries(details()).filter(([id]) => allowed.has(Number(id)))));
  for (const id of still) {
    try {
      await refresh(id);
    } catch {
      /* refreshed next time */
    }
  }
  lastReconciled = Date.now();
  document.dispatchEvent(new CustomEvent("boardroom:offline-reconciled"));
}

// Also when the network comes back, when the connection changes (to Wi-Fi), and when the app
// comes back to the screen after a while: a pack reissued overnight is on the iPad by morning.
const RECHECK_AFTER_MS = 10 * 60 * 1000;
let lastReconciled = 0;
let reconciling = null;
function reconcileSoon() {
  if (!navigator.onLine || reconciling) return;
  reconciling = reconcile().finally(() => (reconciling = null));
}

function wireButtons() {
  for (const box of document.querySelectorAll("[data-offline-meeting]")) {
    const id = Number(box.dataset.offlineMeeting);
    const button = box.querySelector("button");
    const status = box.querySelector("[data-offline-status]");
    const update = document.createElement("button");
    update.type = "button";
    update.className = "button secondary";
    update.textContent = "Update now";
    update.hidden = true;
    button.after(" ", update);
    const show = () => {
      const on = saved().includes(id);
      const stale = on && Boolean((details()[id] || {}).stale);
      button.textContent = on ? "Remove offline copy" : "Make available offline";
      button.setAttribute("aria-pressed", String(on));
      status.textContent = stale
        ? "Newer papers are available: they will be saved on Wi-Fi."
        : on
          ? "Available offline on this device."
          : "";
      update.hidden = !stale;
    };
    update.addEventListener("click", async () => {
      update.disabled = true;
      try {
        await refresh(id, { force: true });
      } catch (error) {
        status.textContent = error.message;
      } finally {
        update.disabled = false;
        show();
      }
    });
    show();
    box.hidden = !("serviceWorker" in navigator && "caches" in globalThis);
    document.addEventListener("boardroom:offline-progress", (event) => {
      status.textContent = `Saving ${event.detail.done} of ${event.detail.total}…`;
    });
    document.addEventListener("boardroom:offline-reconciled", show);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        if (saved().includes(id)) await removeMeeting(id);
        else await saveMeeting(id);
      } catch (error) {
        status.textContent = error.message;
      } finally {
        button.disabled = false;
        show();
      }
    });
  }
}

async function startOffline() {
  const signedIn = document.body.dataset.signedIn === "true";
  if (!signedIn) {
    await wipeAll(); // signed out on this device: nothing of the boards stays on it
    return;
  }
  if ("serviceWorker" in navigator) {
    try {
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    } catch {
      /* plain-http LAN installs without a secure context: no offline mode */
    }
  }
  wireButtons();
  reconcileSoon();
  window.addEventListener("online", reconcileSoon);
  navigator.connection?.addEventListener?.("change", reconcileSoon);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && Date.now() - lastReconciled > RECHECK_AFTER_MS) reconcileSoon();
  });
}

startOffline();
