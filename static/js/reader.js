// The tablet reader: a paper in PDF.js (pdf_viewer components), with thumbnails, outline,
// search, zoom by pinch or buttons, and annotations (highlight, note, pen) kept on the server.
//
// - The file is fetched by HTTP ranges (disableAutoFetch + disableStream): page 1 shows after
//   a small part of a large linearized file. Offline, the whole cached file is read instead.
// - Only visible pages are rendered, with canvases capped below iPad Safari's limit.
// - Annotations are stored with W3C-style anchors: page, rectangles in PDF points, the quote
//   with its prefix and suffix, and its position in the page text. Each gets a client id, so a
//   save retried after a dropped connection (or made offline) is stored once.
// - Shared annotations and the presenter's page arrive on the meeting socket. The chair, the
//   secretary and the item's presenter can show the page they are on to everyone (presenter.page);
//   the bar names who is presenting. A note can be placed from the keyboard ("Add note on this
//   page", or N): at the selected text, or at the top of the page being read.
// No innerHTML with data: text goes in as text.

import { LiveSocket } from "./live-socket.js";
import { queueAnnotation, pendingAnnotations, dropPending } from "./offline-store.js";

const config = JSON.parse(document.getElementById("reader-config").textContent);
const RANGE_CHUNK = 128 * 1024;

// Byte ranges of one version of the paper (If-Range: a newer version answers 200, not a
// mismatched range, and the reader asks to be reloaded). Made once PDF.js is loaded.
function rangeTransport(lib, url, length, etag) {
  class RangeTransport extends lib.PDFDataRangeTransport {
    requestDataRange(begin, end) {
      const headers = { Range: `bytes=${begin}-${end - 1}` };
      if (etag) headers["If-Range"] = `"${etag}"`;
      fetch(url, { headers, credentials: "same-origin" })
        .then((response) => {
          if (response.status !== 206) throw new Error(`range answered ${response.status}`);
          return response.arrayBuffer();
        })
        .then((body) => this.onDataRange(begin, new Uint8Array(body)))
        .catch(() => say("This paper changed or the connection dropped. Reload to read on."));
    }
  }
  return new RangeTransport(length, null);
}
const root = document.querySelector("[data-reader]");
const q = (sel, scope = root) => scope.querySelector(sel);
const qa = (sel, scope = root) => [...scope.querySelectorAll(sel)];
const LAST_PAGE_KEY = `boardroom.reader.${config.paper}.page`;
const FOLLOW_KEY = "boardroom.followChair";
const IOS = /iPad|iPhone|Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1;
// iPad Safari refuses canvases above 16.7 megapixels (and caps their total memory).
const MAX_CANVAS_PIXELS = IOS ? 4096 * 4096 : 8192 * 8192;
const QUOTE_CONTEXT = 32;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function newId() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function say(message) {
  const status = q("[data-status]");
  status.textContent = message;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => (status.textContent = ""), 5000);
}

// --- the server --------------------------------------------------------------------------

async function api(url, { method = "GET", body } = {}) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      ...(body !== undefined ? { "Content-Type": "application/json", "X-CSRFToken": csrfToken() } : {}),
      ...(method === "DELETE" ? { "X-CSRFToken": csrfToken() } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (response.status === 204) return null;
  let data;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new Error((data && data.error) || `The server answered ${response.status}.`);
    error.status = response.status;
    throw error;
  }
  return data;
}

// --- state -------------------------------------------------------------------------------

const annotations = new Map(); // id or client id -> annotation (server shape)
let viewer = null;
let pdfDocument = null;
let pdfjsLib = null;
let tool = "read";
let inkStrokes = new Map(); // page -> [[x, y], ...][]
let currentStroke = null;

function keyOf(a) {
  return a.client_id || String(a.id);
}

function remember(a) {
  for (const [key, existing] of annotations) {
    if ((a.id && existing.id === a.id) || (a.client_id && existing.client_id === a.client_id)) annotations.delete(key);
  }
  annotations.set(keyOf(a), a);
}

function forget(id) {
  for (const [key, existing] of annotations) if (existing.id === id) annotations.delete(key);
}

// --- geometry: PDF points <-> the page on screen -------------------------------------------

function pageView(number) {
  return viewer.getPageView(number - 1);
}

function baseViewport(number) {
  const view = pageView(number);
  if (!view || !view.pdfPage) return null;
  return view.pdfPage.getViewport({ scale: 1, rotation: view.rotation });
}

// [x, y, w, h] in PDF points -> {left, top, width, height} as percentages of the page box.
function toPercent(number, rect) {
  const viewport = baseViewport(number);
  if (!viewport) return null;
  const [x, y, w, h] = rect;
  const [x1, y1, x2, y2] = viewport.convertToViewportRectangle([x, y, x + w, y + h]);
  const left = Math.min(x1, x2);
  const top = Math.min(y1, y2);
  return {
    left: (100 * left) / viewport.width,
    top: (100 * top) / viewport.height,
    width: (100 * Math.abs(x2 - x1)) / viewport.width,
    height: (100 * Math.abs(y2 - y1)) / viewport.height,
  };
}

// A point on the page element (CSS pixels from its top left) -> PDF points.
function toPdfPoint(number, pageDiv, clientX, clientY) {
  // The page element has a border; the rendered page is its content box (the canvas wrapper).
  const box = (pageDiv.querySelector(".canvasWrapper") || pageDiv).getBoundingClientRect();
  const viewport = baseViewport(number);
  const sx = viewport.width / box.width;
  const sy = viewport.height / box.height;
  return viewport.convertToPdfPoint((clientX - box.left) * sx, (clientY - box.top) * sy);
}

function round(n) {
  return Math.round(n * 100) / 100;
}

// --- drawing annotations on the pages -------------------------------------------------------

function overlay(number) {
  const view = pageView(number);
  if (!view || !view.div) return null;
  let layer = view.div.querySelector(".marks-layer");
  if (!layer) {
    layer = el("div", "marks-layer");
    layer.dataset.page = String(number);
    view.div.append(layer);
  }
  return layer;
}

function place(node, box) {
  node.style.left = `${box.left}%`;
  node.style.top = `${box.top}%`;
  node.style.width = `${box.width}%`;
  node.style.height = `${box.height}%`;
}

function drawPage(number) {
  const layer = overlay(number);
  if (!layer || !baseViewport(number)) return;
  layer.replaceChildren();
  const viewport = baseViewport(number);
  for (const a of annotations.values()) {
    if (a.page !== number || a.orphaned) continue;
    const who = a.mine ? "" : ` by ${a.author.name}`;
    if (a.kind === "highlight") {
      for (const rect of a.rects) {
        const box = toPercent(number, rect);
        if (!box) continue;
        const mark = el("div", `mark mark-highlight${a.visibility === "shared" ? " is-shared" : ""}`);
        mark.style.backgroundColor = a.color;
        mark.title = (a.body || a.quote.exact || "Highlight") + who;
        mark.dataset.annotation = keyOf(a);
        place(mark, box);
        layer.append(mark);
      }
    } else if (a.kind === "note") {
      const [x, y] = a.rects.length ? a.rects[0] : [20, 20];
      const box = toPercent(number, [x, y, 0, 0]);
      const pin = el("button", `mark mark-note${a.visibility === "shared" ? " is-shared" : ""}`, "✎");
      pin.type = "button";
      pin.setAttribute("aria-label", `Note${who}: ${a.body}`);
      pin.title = a.body + who;
      pin.dataset.annotation = keyOf(a);
      pin.style.left = `${box.left}%`;
      pin.style.top = `${box.top}%`;
      pin.addEventListener("click", () => openNotes(a));
      layer.append(pin);
    } else if (a.kind === "ink") {
      layer.append(inkSvg(a.ink, viewport, a.color, a.visibility === "shared"));
    }
  }
  const pending = inkStrokes.get(number);
  if (pending && pending.length) layer.append(inkSvg(pending, viewport, "#1b5a8c", false, true));
}

function inkSvg(strokes, viewport, color, shared, drafting = false) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", `mark mark-ink${shared ? " is-shared" : ""}${drafting ? " is-drafting" : ""}`);
  svg.setAttribute("viewBox", `0 0 ${viewport.width} ${viewport.height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  for (const stroke of strokes) {
    const points = stroke.map(([x, y]) => viewport.convertToViewportPoint(x, y).map(round).join(",")).join(" ");
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points);
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", color);
    line.setAttribute("stroke-width", "2");
    line.setAttribute("stroke-linecap", "round");
    line.setAttribute("stroke-linejoin", "round");
    svg.append(line);
  }
  return svg;
}

function redrawAll() {
  if (!viewer) return;
  for (let n = 1; n <= viewer.pagesCount; n += 1) if (pageView(n)?.div?.querySelector(".marks-layer, canvas")) drawPage(n);
  renderNotesList();
}

// --- the notes panel ------------------------------------------------------------------------

function describe(a) {
  if (a.kind === "note") return a.body;
  if (a.kind === "ink") return "Drawing";
  return a.quote.exact ? `“${a.quote.exact.slice(0, 160)}”` : "Highlight";
}

function renderNotesList() {
  const list = q("[data-notes]");
  const all = [...annotations.values()].sort((x, y) => x.page - y.page || (x.id || 0) - (y.id || 0));
  q("[data-notes-empty]").hidden = all.length > 0;
  const rows = [];
  const orphans = all.filter((a) => a.orphaned);
  for (const a of all.filter((x) => !x.orphaned)) rows.push(noteRow(a));
  if (orphans.length) {
    const head = el("li", "notes-orphans", "Could not be placed on this version (the text changed):");
    rows.push(head, ...orphans.map(noteRow));
  }
  list.replaceChildren(...rows);
}

function noteRow(a) {
  const li = el("li", `note-row kind-${a.kind}${a.orphaned ? " is-orphaned" : ""}`);
  li.dataset.annotation = keyOf(a);
  const head = el("p", "note-head");
  const go = el("button", "link-button", `Page ${a.page}`);
  go.type = "button";
  go.addEventListener("click", () => {
    viewer.currentPageNumber = a.page;
  });
  head.append(go, " · ", a.mine ? (a.visibility === "shared" ? "shared by you" : "only you") : `shared by ${a.author.name}`);
  if (!a.id) head.append(" · saving…");
  li.append(head, el("p", "note-text", describe(a)));
  if (a.kind === "highlight" && a.body) li.append(el("p", "note-text", a.body));
  if (a.mine && a.id) {
    const actions = el("div", "note-actions");
    if (config.canShare) {
      const share = el("button", "button small", a.visibility === "shared" ? "Make private" : "Share");
      share.type = "button";
      share.addEventListener("click", () => updateAnnotation(a, { visibility: a.visibility === "shared" ? "private" : "shared" }));
      actions.append(share);
    }
    const remove = el("button", "button small danger", "Remove");
    remove.type = "button";
    remove.addEventListener("click", () => deleteAnnotation(a));
    actions.append(remove);
    li.append(actions);
  }
  return li;
}

function openNotes(a) {
  showPanel(true);
  selectTab("notes");
  const row = q(`[data-notes] [data-annotation="${CSS.escape(keyOf(a))}"]`);
  if (row) row.scrollIntoView({ block: "nearest" });
}

// --- saving ----------------------------------------------------------------------------------

function shareChosen() {
  const box = q("[data-share]");
  return box && box.checked ? "shared" : "private";
}

async function save(payload) {
  const draft = {
    ...payload,
    id: null,
    version: config.version,
    mine: true,
    orphaned: false,
    author: config.user,
    color: payload.color || "#ffd400",
    quote: payload.quote || { exact: "", prefix: "", suffix: "" },
    rects: payload.rects || [],
    ink: payload.ink || [],
    body: payload.body || "",
  };
  remember(draft);
  drawPage(draft.page);
  renderNotesList();
  const body = { ...payload, version: config.version };
  try {
    const stored = await api(config.annotations, { method: "POST", body });
    remember(stored);
    await dropPending(stored.client_id);
    say(stored.visibility === "shared" ? "Saved and shared with the board." : "Saved (only you can see it).");
  } catch (error) {
    if (error.status && error.status < 500) {
      annotations.delete(draft.client_id);
      say(error.message);
    } else {
      // No connection (or the server is away): keep it on this device and send it later.
      await queueAnnotation(config.paper, config.annotations, body);
      say("Saved on this device; it will be sent when you are back online.");
    }
  }
  drawPage(draft.page);
  renderNotesList();
}

async function flushPending() {
  const waiting = await pendingAnnotations(config.paper);
  for (const entry of waiting) {
    try {
      const stored = await api(entry.url, { method: "POST", body: entry.body });
      remember(stored);
      await dropPending(entry.body.client_id);
    } catch (error) {
      if (error.status && error.status < 500) await dropPending(entry.body.client_id);
      else return; // still offline: try again later
    }
  }
  redrawAll();
}

async function updateAnnotation(a, changes) {
  try {
    const stored = await api(config.annotation.replace("{id}", a.id), { method: "PATCH", body: changes });
    remember(stored);
    redrawAll();
  } catch (error) {
    say(error.message);
  }
}

async function deleteAnnotation(a) {
  try {
    await api(config.annotation.replace("{id}", a.id), { method: "DELETE" });
    forget(a.id);
    redrawAll();
    say("Removed.");
  } catch (error) {
    say(error.message);
  }
}

// --- highlights from a text selection --------------------------------------------------------

function selectionOnPage() {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
  const range = selection.getRangeAt(0);
  const start = range.startContainer.parentElement?.closest(".textLayer");
  const end = range.endContainer.parentElement?.closest(".textLayer");
  if (!start || start !== end) return null;
  const pageDiv = start.closest(".page");
  const number = Number(pageDiv.dataset.pageNumber);
  const exact = selection.toString().replace(/\s+/g, " ").trim();
  if (!exact) return null;
  const full = start.textContent;
  const before = document.createRange();
  before.setStart(start, 0);
  before.setEnd(range.startContainer, range.startOffset);
  const offset = before.toString().length;
  const viewportRects = [];
  for (const r of range.getClientRects()) {
    if (r.width < 1 || r.height < 1) continue;
    const [x1, y1] = toPdfPoint(number, pageDiv, r.left, r.bottom);
    const [x2, y2] = toPdfPoint(number, pageDiv, r.right, r.top);
    viewportRects.push([round(Math.min(x1, x2)), round(Math.min(y1, y2)), round(Math.abs(x2 - x1)), round(Math.abs(y2 - y1))]);
  }
  return {
    number,
    exact,
    rects: mergeLines(viewportRects),
    prefix: full.slice(Math.max(0, offset - QUOTE_CONTEXT), offset),
    suffix: full.slice(offset + selection.toString().length, offset + selection.toString().length + QUOTE_CONTEXT),
    start: offset,
    end: offset + selection.toString().length,
    range,
  };
}

// Text layer spans give one rectangle per span; join those on the same line.
function mergeLines(rects) {
  const sorted = [...rects].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const lines = [];
  for (const [x, y, w, h] of sorted) {
    const last = lines[lines.length - 1];
    if (last && Math.abs(last[1] - y) < Math.min(h, last[3]) * 0.5 && x <= last[0] + last[2] + 4) {
      const right = Math.max(last[0] + last[2], x + w);
      const top = Math.max(last[1] + last[3], y + h);
      last[0] = Math.min(last[0], x);
      last[1] = Math.min(last[1], y);
      last[2] = right - last[0];
      last[3] = top - last[1];
    } else {
      lines.push([x, y, w, h]);
    }
  }
  return lines.map((r) => r.map(round));
}

function highlightSelection() {
  const picked = selectionOnPage();
  if (!picked) return false;
  window.getSelection().removeAllRanges();
  q("[data-mark-selection]").hidden = true;
  save({
    client_id: newId(),
    kind: "highlight",
    visibility: shareChosen(),
    page: picked.number,
    rects: picked.rects,
    quote: { exact: picked.exact, prefix: picked.prefix, suffix: picked.suffix },
    position: { start: picked.start, end: picked.end },
  });
  return true;
}

function offerHighlight() {
  const button = q("[data-mark-selection]");
  const picked = selectionOnPage();
  if (!picked || tool === "ink") {
    button.hidden = true;
    return;
  }
  if (tool === "highlight") {
    highlightSelection();
    return;
  }
  const last = picked.range.getClientRects();
  const anchor = last[last.length - 1];
  const stage = q(".reader-stage").getBoundingClientRect();
  if (!anchor) return;
  button.style.left = `${Math.max(8, Math.min(anchor.right - stage.left - 40, stage.width - 120))}px`;
  button.style.top = `${Math.max(8, anchor.bottom - stage.top + 8)}px`;
  button.hidden = false;
}

// --- notes and ink ---------------------------------------------------------------------------

let noteTarget = null;
let lastNoteFrom = null;

// picked: the text selected when the note was asked for (the dialog's text box takes the selection).
function startNote(number, point, picked = null) {
  noteTarget = { number, point, picked, returnTo: document.activeElement };
  const dialog = q("[data-note-dialog]");
  q("[data-note-body]").value = "";
  const share = q("[data-note-share]");
  if (share) share.checked = shareChosen() === "shared";
  dialog.showModal();
  q("[data-note-body]").focus();
}

function finishNote(event) {
  const dialog = q("[data-note-dialog]");
  const button = event.submitter;
  if (!button || button.value !== "save" || !noteTarget) return;
  const body = q("[data-note-body]").value.trim();
  if (!body) {
    event.preventDefault();
    say("Write the note first.");
    return;
  }
  const share = q("[data-note-share]");
  const picked = noteTarget.picked || selectionOnPage();
  save({
    client_id: newId(),
    kind: "note",
    visibility: share && share.checked ? "shared" : "private",
    page: noteTarget.number,
    rects: [[round(noteTarget.point[0]), round(noteTarget.point[1]), 0, 0]],
    quote: picked && picked.number === noteTarget.number ? { exact: picked.exact, prefix: picked.prefix, suffix: picked.suffix } : undefined,
    body,
  });
  lastNoteFrom = noteTarget.returnTo;
  noteTarget = null;
  dialog.close();
}

// A note without a pointer: at the start of the selected text, or near the top left of the page read.
function noteHere() {
  if (!viewer || !pdfDocument) return;
  const picked = selectionOnPage();
  let number = viewer.currentPageNumber;
  let point;
  const first = picked && picked.range.getClientRects()[0];
  if (first) {
    number = picked.number;
    point = toPdfPoint(number, pageView(number).div, first.left, first.top);
  } else {
    const viewport = baseViewport(number);
    if (!viewport) {
      say("The page is still loading; try again in a moment.");
      return;
    }
    point = viewport.convertToPdfPoint(28, 28);
  }
  startNote(number, point, first ? picked : null);
}

function pageUnder(event) {
  const pageDiv = event.target.closest?.(".page");
  if (!pageDiv) return null;
  return { pageDiv, number: Number(pageDiv.dataset.pageNumber) };
}

function onPointerDown(event) {
  if (tool !== "ink") return;
  const hit = pageUnder(event);
  if (!hit) return;
  event.preventDefault();
  const [x, y] = toPdfPoint(hit.number, hit.pageDiv, event.clientX, event.clientY);
  currentStroke = { number: hit.number, pageDiv: hit.pageDiv, points: [[round(x), round(y)]], pointer: event.pointerId };
  hit.pageDiv.setPointerCapture?.(event.pointerId);
}

function onPointerMove(event) {
  if (!currentStroke || event.pointerId !== currentStroke.pointer) return;
  event.preventDefault();
  const [x, y] = toPdfPoint(currentStroke.number, currentStroke.pageDiv, event.clientX, event.clientY);
  const last = currentStroke.points[currentStroke.points.length - 1];
  if (Math.hypot(x - last[0], y - last[1]) < 0.8) return;
  currentStroke.points.push([round(x), round(y)]);
  const strokes = inkStrokes.get(currentStroke.number) || [];
  inkStrokes.set(currentStroke.number, [...strokes.filter((s) => s !== currentStroke.points), currentStroke.points]);
  drawPage(currentStroke.number);
}

function onPointerUp(event) {
  if (tool === "note") {
    const hit = pageUnder(event);
    if (hit && !window.getSelection()?.toString()) {
      startNote(hit.number, toPdfPoint(hit.number, hit.pageDiv, event.clientX, event.clientY));
    }
    return;
  }
  if (currentStroke && event.pointerId === currentStroke.pointer) {
    const strokes = inkStrokes.get(currentStroke.number) || [];
    if (!strokes.includes(currentStroke.points)) strokes.push(currentStroke.points);
    inkStrokes.set(currentStroke.number, strokes);
    drawPage(currentStroke.number);
    currentStroke = null;
    return;
  }
  setTimeout(offerHighlight, 10);
}

function finishInk() {
  for (const [number, strokes] of inkStrokes) {
    if (!strokes.length) continue;
    save({ client_id: newId(), kind: "ink", visibility: shareChosen(), page: number, ink: strokes, color: "#1b5a8c" });
  }
  inkStrokes = new Map();
  chooseTool("read");
}

function undoInk() {
  const pages = [...inkStrokes.keys()];
  const last = pages[pages.length - 1];
  if (last === undefined) return;
  inkStrokes.get(last).pop();
  if (!inkStrokes.get(last).length) inkStrokes.delete(last);
  drawPage(last);
}

function chooseTool(name) {
  if (tool === "ink" && name !== "ink" && [...inkStrokes.values()].some((s) => s.length)) finishInk();
  tool = tool === name ? "read" : name;
  root.dataset.tool = tool;
  for (const button of qa("[data-tool-button]")) button.setAttribute("aria-pressed", String(button.dataset.toolButton === tool));
  q("[data-ink-bar]").hidden = tool !== "ink";
  const hints = { highlight: "Select text to highlight it.", note: "Tap the page where the note goes.", ink: "Draw on the page." };
  if (hints[tool]) say(hints[tool]);
}

// --- panel, thumbnails, outline -------------------------------------------------------------

function showPanel(open) {
  const panel = q("#reader-panel");
  panel.hidden = !open;
  q('[data-action="panel"]').setAttribute("aria-expanded", String(open));
  root.classList.toggle("has-panel", open);
  refit();
}

// "Fit width" and "fit page" are recomputed when the space for the paper changes (the panel,
// turning the iPad).
function refit() {
  if (!viewer || !viewer.pagesCount) return;
  const value = viewer.currentScaleValue;
  if (["page-width", "page-fit", "auto"].includes(value)) viewer.currentScaleValue = value;
}

function selectTab(name) {
  for (const tab of qa("[data-tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const pane of qa("[data-pane]")) pane.hidden = pane.dataset.pane !== name;
}

const drawLater = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting || !pdfDocument) continue;
      drawLater.unobserve(entry.target);
      drawThumb(entry.target, Number(entry.target.dataset.draw));
    }
  },
  { rootMargin: "200px" },
);

async function drawThumb(face, number) {
  try {
    const page = await pdfDocument.getPage(number);
    const width = config.thumbs.width || 120;
    const viewport = page.getViewport({ scale: width / page.getViewport({ scale: 1 }).width });
    const canvas = el("canvas", "thumb-canvas");
    canvas.width = Math.round(viewport.width);
    canvas.height = Math.round(viewport.height);
    await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
    face.style.height = `${canvas.height}px`;
    face.replaceChildren(canvas);
  } catch {
    /* the page could not be drawn small: the number still leads to it */
  }
}

function buildThumbs() {
  const list = q("[data-thumbs]");
  const { cells, sprites, width } = config.thumbs;
  const items = [];
  for (let n = 1; n <= config.pages; n += 1) {
    const li = el("li");
    const button = el("button", "thumb");
    button.type = "button";
    button.dataset.page = String(n);
    button.setAttribute("aria-label", `Page ${n}`);
    const cell = cells[n - 1];
    const face = el("span", "thumb-face");
    if (cell && sprites[cell[0]]) {
      const [sprite, x, y, w, h] = cell;
      face.style.width = `${w}px`;
      face.style.height = `${h}px`;
      face.style.backgroundImage = `url("${sprites[sprite]}")`;
      face.style.backgroundPosition = `-${x}px -${y}px`;
    } else {
      // No thumbnail made at upload (a paper added as a trusted PDF): drawn here when in view.
      face.style.width = `${width || 120}px`;
      face.style.height = `${Math.round((width || 120) * 1.41)}px`;
      face.dataset.draw = String(n);
      drawLater.observe(face);
    }
    const changed = config.changed && (config.changed.changed.includes(n) || config.changed.added.includes(n));
    button.append(face, el("span", `thumb-number${changed ? " is-changed" : ""}`, changed ? `${n} · changed` : String(n)));
    button.addEventListener("click", () => {
      viewer.currentPageNumber = n;
    });
    li.append(button);
    items.push(li);
  }
  list.replaceChildren(...items);
}

function markThumb(number) {
  for (const button of qa("[data-thumbs] .thumb")) {
    const here = Number(button.dataset.page) === number;
    button.classList.toggle("is-current", here);
    if (here) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
}

async function buildOutline() {
  const outline = await pdfDocument.getOutline();
  const list = q("[data-outline]");
  q("[data-outline-empty]").hidden = Boolean(outline && outline.length);
  if (!outline) return;
  const build = (entries) =>
    entries.map((entry) => {
      const li = el("li");
      const button = el("button", "link-button", entry.title);
      button.type = "button";
      button.addEventListener("click", () => viewer.linkService.goToDestination(entry.dest));
      li.append(button);
      if (entry.items && entry.items.length) {
        const ul = el("ul");
        ul.append(...build(entry.items));
        li.append(ul);
      }
      return li;
    });
  list.replaceChildren(...build(outline));
}

// --- search ----------------------------------------------------------------------------------

function find(type, previous = false) {
  const query = q("[data-search-input]").value.trim();
  viewer.eventBus.dispatch("find", {
    source: null,
    type,
    query,
    caseSensitive: false,
    entireWord: false,
    highlightAll: true,
    findPrevious: previous,
    matchDiacritics: false,
  });
}

// --- pinch zoom ------------------------------------------------------------------------------

function pinchZoom(container) {
  let start = null;
  const distance = (t) => Math.hypot(t[0].clientX - t[1].clientX, t[0].clientY - t[1].clientY);
  container.addEventListener(
    "touchstart",
    (event) => {
      if (event.touches.length === 2) {
        start = { distance: distance(event.touches), scale: viewer.currentScale, ratio: 1 };
        const box = container.getBoundingClientRect();
        const cx = (event.touches[0].clientX + event.touches[1].clientX) / 2 - box.left + container.scrollLeft;
        const cy = (event.touches[0].clientY + event.touches[1].clientY) / 2 - box.top + container.scrollTop;
        q("#viewer").style.transformOrigin = `${cx}px ${cy}px`;
      }
    },
    { passive: true },
  );
  container.addEventListener(
    "touchmove",
    (event) => {
      if (!start || event.touches.length !== 2) return;
      event.preventDefault();
      start.ratio = Math.min(5 / start.scale, Math.max(0.25 / start.scale, distance(event.touches) / start.distance));
      q("#viewer").style.transform = `scale(${start.ratio})`;
    },
    { passive: false },
  );
  container.addEventListener("touchend", () => {
    if (!start) return;
    const scale = start.scale * start.ratio;
    q("#viewer").style.transform = "";
    start = null;
    viewer.currentScale = scale;
    updateFitButtons(null);
  });
}

function updateFitButtons(value) {
  q('[data-action="fit-width"]').setAttribute("aria-pressed", String(value === "page-width"));
  q('[data-action="fit-page"]').setAttribute("aria-pressed", String(value === "page-fit"));
}

// --- live: shared annotations and the presenter -----------------------------------------------

function follow() {
  try {
    return localStorage.getItem(FOLLOW_KEY) !== "off";
  } catch {
    return true;
  }
}

// --- presenting ------------------------------------------------------------------------------

let presented = null; // the last presenter.page seen on this meeting's current item

function presenterId(data) {
  return data.presenter && typeof data.presenter === "object" ? data.presenter.id : data.presenter;
}

function presenterName(data) {
  if (data.presenter && typeof data.presenter === "object" && data.presenter.name) return data.presenter.name;
  return data.presenter_name || (config.people || {})[String(data.presenter)] || "The presenter";
}

function paperInAgenda(id) {
  for (const item of config.agenda || []) for (const paper of item.papers || []) if (paper.id === id) return paper;
  return null;
}

function showPresented(data, { move = false } = {}) {
  presented = data;
  const bar = q("[data-presenter]");
  const go = q('[data-action="go-presented"]');
  if (!data) {
    bar.hidden = true;
    return;
  }
  const mine = presenterId(data) === config.user.id;
  const who = mine ? "You are" : `${presenterName(data)} is`;
  const here = data.paper === config.paper;
  const other = here ? null : paperInAgenda(data.paper);
  let text;
  if (here) text = mine ? `You are showing page ${data.page} to everyone.` : `${who} showing page ${data.page}.`;
  else text = `${who} showing ${other ? other.title : "another paper"}, page ${data.page}.`;
  q("[data-presenter-text]").textContent = text;
  if (here && move && !mine && follow() && viewer) viewer.currentPageNumber = data.page;
  if (here) {
    go.textContent = `Go to page ${data.page}`;
    go.hidden = mine || (viewer && viewer.currentPageNumber === data.page);
  } else {
    go.textContent = "Open that paper";
    go.hidden = mine || !other;
  }
  bar.hidden = false;
  bar.dataset.mine = String(mine);
}

function goPresented() {
  if (!presented) return;
  if (presented.paper === config.paper) {
    viewer.currentPageNumber = presented.page;
    q("#viewerContainer").focus();
    return;
  }
  const other = paperInAgenda(presented.paper);
  if (other) window.location.assign(`${other.url}#page=${presented.page}`);
}

function showMeetingStatus(status) {
  config.meetingStatus = status;
  const group = q("[data-present-group]");
  if (group) group.hidden = status !== "live";
  if (status !== "live") showPresented(null);
}

function present(button) {
  if (!config.live) {
    say("Presenting needs the meeting's live connection; reload the page.");
    return;
  }
  const page = viewer.currentPageNumber;
  if (!config.live.isOpen()) say("Not connected: the page will be shown when the connection is back.");
  button.disabled = true;
  config.live
    .send("presenter.page", { paper: config.paper, page })
    .then((data) => {
      showPresented({ ...data, presenter: config.user.id });
      say(`Everyone following now sees page ${data.page}.`);
    })
    .catch((error) => say((error && error.message) || "That did not work."))
    .finally(() => (button.disabled = false));
}

function onFrame(frame) {
  if (frame.type === "state") {
    if (frame.status) showMeetingStatus(frame.status);
    // A presenter note restored on (re)connecting: offered, not jumped to.
    if ("presenter" in frame) showPresented(frame.presenter || null);
    return;
  }
  if (frame.type === "error") {
    say(frame.message || "That did not work.");
    return;
  }
  if (frame.type !== "event") return;
  const data = frame.data || {};
  if (frame.event === "meeting.status") showMeetingStatus(data.status);
  if (frame.event === "meeting.current_item") showPresented(null);
  if (frame.event.startsWith("annotation.") && data.paper === config.paper && data.version === config.version) {
    if (frame.event === "annotation.deleted") forget(data.id);
    else remember({ ...data, mine: data.author && data.author.id === config.user.id });
    redrawAll();
  } else if (frame.event === "presenter.page") {
    showPresented(data, { move: true });
  }
}

function connectLive() {
  if (!config.socket || !window.WebSocket) return;
  const live = new LiveSocket({
    path: config.socket,
    meeting: config.meeting.id,
    seq: config.seq,
    onFrame,
    onConnection: () => {},
  });
  live.start();
  config.live = live;
}

// --- start -------------------------------------------------------------------------------------

function initialPage() {
  const hash = new URLSearchParams(window.location.hash.slice(1));
  const fromHash = Number(hash.get("page"));
  if (fromHash >= 1 && fromHash <= config.pages) return fromHash;
  try {
    const saved = JSON.parse(localStorage.getItem(LAST_PAGE_KEY) || "null");
    if (saved && saved.page >= 1 && saved.page <= config.pages) return saved.page;
  } catch {
    /* a private window without storage: start at page 1 */
  }
  return 1;
}

async function start() {
  const topbar = document.querySelector(".topbar");
  if (topbar) root.style.setProperty("--reader-top", `${topbar.offsetHeight}px`);
  pdfjsLib = await import(config.pdfjs.lib);
  globalThis.pdfjsLib = pdfjsLib;
  pdfjsLib.GlobalWorkerOptions.workerSrc = config.pdfjs.worker;
  const { EventBus, PDFViewer, PDFLinkService, PDFFindController, ScrollMode } = await import(config.pdfjs.viewer);
  const container = q("#viewerContainer");
  const eventBus = new EventBus();
  const linkService = new PDFLinkService({ eventBus });
  const findController = new PDFFindController({ eventBus, linkService });
  viewer = new PDFViewer({
    container,
    viewer: q("#viewer"),
    eventBus,
    linkService,
    findController,
    textLayerMode: 1,
    maxCanvasPixels: MAX_CANVAS_PIXELS,
    annotationMode: pdfjsLib.AnnotationMode.ENABLE,
  });
  linkService.setViewer(viewer);
  const first = initialPage();

  eventBus.on("pagesinit", () => {
    viewer.currentScaleValue = "page-width";
    if (first > 1) viewer.currentPageNumber = first;
  });
  eventBus.on("pagechanging", ({ pageNumber }) => {
    q("[data-page-input]").value = String(pageNumber);
    markThumb(pageNumber);
    if (presented && presented.paper === config.paper) {
      q('[data-action="go-presented"]').hidden = presenterId(presented) === config.user.id || pageNumber === presented.page;
    }
    try {
      localStorage.setItem(LAST_PAGE_KEY, JSON.stringify({ page: pageNumber, version: config.version }));
    } catch {
      /* storage full or private mode: not remembering is fine */
    }
  });
  eventBus.on("pagerendered", ({ pageNumber }) => drawPage(pageNumber));
  eventBus.on("textlayerrendered", ({ pageNumber }) => drawPage(pageNumber));
  eventBus.on("updatefindmatchescount", ({ matchesCount }) => {
    q("[data-search-count]").textContent = matchesCount.total ? `${matchesCount.current} of ${matchesCount.total}` : "No matches";
  });
  eventBus.on("updatefindcontrolstate", ({ state, matchesCount }) => {
    if (state === 1 && !(matchesCount && matchesCount.total)) q("[data-search-count]").textContent = "No matches";
  });

  const offline = !navigator.onLine;
  // Online, PDF.js asks for byte ranges only, of a file whose length the page already knows:
  // no opening request for the whole file (which the server would start sending in full).
  // Offline, the cached file is read whole.
  const source = offline || !config.size ? { url: config.file } : { range: rangeTransport(pdfjsLib, config.file, config.size, config.rangeEtag) };
  const task = pdfjsLib.getDocument({
    ...source,
    disableAutoFetch: true,
    disableStream: true,
    disableRange: offline,
    rangeChunkSize: RANGE_CHUNK,
    isEvalSupported: false,
    standardFontDataUrl: config.pdfjs.fonts,
    cMapUrl: config.pdfjs.cmaps,
    cMapPacked: true,
    wasmUrl: config.pdfjs.wasm,
    iccUrl: config.pdfjs.iccs,
  });
  try {
    pdfDocument = await task.promise;
  } catch (error) {
    say(offline ? "This paper is not available offline on this device." : "The paper could not be opened. Reload to try again.");
    root.dataset.failed = "true";
    return;
  }
  viewer.setDocument(pdfDocument);
  linkService.setDocument(pdfDocument, null);
  root.dataset.ready = "true";
  buildThumbs();
  buildOutline();

  try {
    const listed = await api(config.annotations);
    for (const a of listed.annotations) remember(a);
  } catch {
    say("Your notes could not be loaded; they are safe on the server.");
  }
  for (const waiting of await pendingAnnotations(config.paper)) {
    remember({ ...waiting.body, id: null, mine: true, author: config.user, orphaned: false, rects: waiting.body.rects || [], ink: waiting.body.ink || [], quote: waiting.body.quote || { exact: "" }, body: waiting.body.body || "" });
  }
  redrawAll();
  flushPending();
  window.addEventListener("online", flushPending);
  connectLive();

  // Controls.
  root.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]")?.dataset.action;
    const toolButton = event.target.closest("[data-tool-button]")?.dataset.toolButton;
    if (toolButton) chooseTool(toolButton);
    switch (action) {
      case "prev":
        viewer.previousPage();
        break;
      case "next":
        viewer.nextPage();
        break;
      case "zoom-in":
        viewer.increaseScale();
        updateFitButtons(null);
        break;
      case "zoom-out":
        viewer.decreaseScale();
        updateFitButtons(null);
        break;
      case "fit-width":
      case "fit-page": {
        const value = action === "fit-width" ? "page-width" : "page-fit";
        viewer.currentScaleValue = value;
        updateFitButtons(value);
        break;
      }
      case "scroll-mode": {
        const paged = viewer.scrollMode !== ScrollMode.PAGE;
        viewer.scrollMode = paged ? ScrollMode.PAGE : ScrollMode.VERTICAL;
        event.target.setAttribute("aria-pressed", String(paged));
        break;
      }
      case "search": {
        const form = q("[data-search-form]");
        form.hidden = !form.hidden;
        event.target.setAttribute("aria-expanded", String(!form.hidden));
        if (!form.hidden) q("[data-search-input]").focus();
        break;
      }
      case "search-next":
        find("again");
        break;
      case "search-prev":
        find("again", true);
        break;
      case "panel":
        showPanel(q("#reader-panel").hidden);
        break;
      case "ink-done":
        finishInk();
        break;
      case "ink-undo":
        undoInk();
        break;
      case "note-here":
        noteHere();
        break;
      case "present":
        present(event.target.closest("[data-action]"));
        break;
      case "go-presented":
        goPresented();
        break;
      default:
        break;
    }
  });
  for (const tab of qa("[data-tab]")) tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  q("[data-page-input]").addEventListener("change", (event) => {
    const n = Number(event.target.value);
    if (n >= 1 && n <= viewer.pagesCount) viewer.currentPageNumber = n;
  });
  q("[data-search-input]").addEventListener("input", () => find(""));
  q("[data-search-form]").addEventListener("submit", (event) => {
    event.preventDefault();
    find("again");
  });
  q("[data-mark-selection]").addEventListener("click", highlightSelection);
  q("[data-note-form]").addEventListener("submit", finishNote);
  q("[data-note-dialog]").addEventListener("close", () => {
    // Back to where the note was asked for (the button or the page), for keyboard users.
    const back = noteTarget ? noteTarget.returnTo : lastNoteFrom;
    noteTarget = null;
    if (back && back.isConnected && back !== document.body) back.focus();
  });
  // N places a note on the page being read, unless typing.
  document.addEventListener("keydown", (event) => {
    if (event.key.toLowerCase() !== "n" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable], dialog")) return;
    event.preventDefault();
    noteHere();
  });
  container.addEventListener("pointerdown", onPointerDown);
  container.addEventListener("pointermove", onPointerMove);
  container.addEventListener("pointerup", onPointerUp);
  container.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea")) return;
    if (["ArrowRight", "PageDown"].includes(event.key) && viewer.scrollMode === ScrollMode.PAGE) viewer.nextPage();
    if (["ArrowLeft", "PageUp"].includes(event.key) && viewer.scrollMode === ScrollMode.PAGE) viewer.previousPage();
  });
  // On a tablet text is chosen with a long press and the selection handles, which end with no
  // pointer event of ours: act when the selection has settled.
  let settle = null;
  document.addEventListener("selectionchange", () => {
    clearTimeout(settle);
    if (!window.getSelection()?.toString()) {
      q("[data-mark-selection]").hidden = true;
      return;
    }
    if (tool !== "highlight") settle = setTimeout(offerHighlight, 250);
  });
  pinchZoom(container);
  let resizing = null;
  new ResizeObserver(() => {
    clearTimeout(resizing);
    resizing = setTimeout(refit, 150);
  }).observe(container);
}

start();
