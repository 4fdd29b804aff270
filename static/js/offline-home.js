// The offline home: the meetings saved on this device, read from the device (localStorage and
// Cache Storage), so it lists them the same with or without a network.

import { savedDetails } from "./offline.js";

function age(savedAt) {
  const minutes = Math.max(0, Math.round((Date.now() - savedAt) / 60000));
  if (minutes < 1) return "saved just now";
  if (minutes < 60) return `saved ${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `saved ${hours} hour${hours === 1 ? "" : "s"} ago`;
  return `saved ${Math.round(hours / 24)} days ago`;
}

function megabytes(bytes) {
  if (!bytes) return "";
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("en-GB", { weekday: "short", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

function show() {
  const list = document.querySelector("[data-offline-list]");
  const empty = document.querySelector("[data-offline-empty]");
  const state = document.querySelector("[data-offline-state]");
  if (!list) return;
  const meetings = savedDetails().sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
  list.replaceChildren();
  for (const meeting of meetings) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/meetings/${meeting.id}/`;
    link.textContent = meeting.title || `Meeting ${meeting.id}`;
    const meta = document.createElement("p");
    meta.className = "meta";
    const waiting = meeting.stale ? "newer papers waiting for Wi-Fi" : "";
    meta.textContent = [meeting.board, when(meeting.starts_at), meeting.savedAt ? age(meeting.savedAt) : "", megabytes(meeting.bytes), waiting]
      .filter(Boolean)
      .join(" · ");
    li.append(link, meta);
    list.append(li);
  }
  empty.hidden = meetings.length > 0;
  state.textContent = navigator.onLine ? "You are online: saved copies are brought up to date when you open Boardroom." : "You are offline: these meetings open from this device.";
  const missed = document.querySelector("[data-offline-missed]");
  if (missed) missed.hidden = location.pathname === "/offline/";
}

show();
document.addEventListener("boardroom:offline-reconciled", show);
window.addEventListener("online", show);
window.addEventListener("offline", show);
