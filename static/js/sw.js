// Boardroom's service worker: pages and papers a member saved for offline reading are served
// from Cache Storage when the network is not there. Online, everything comes from the server
// as usual (network first), so nothing stale is shown while connected. Writes never go through
// a cache: annotations made offline wait in IndexedDB (offline-store.js) and are sent later.

const OFFLINE_PAGE = `<!doctype html><html lang="en-GB"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline · Boardroom</title>
<body style="font-family: system-ui, sans-serif; padding: 2rem; line-height: 1.5">
<h1>You are offline</h1>
<p>This page was not saved on this device. Meetings you made available offline open as usual;
reconnect to see everything else.</p>
<p><a href="/offline/">Meetings saved on this device</a></p></body></html>`;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/ws/")) return;
  event.respondWith(networkFirst(request));
});

async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await fromCaches(request);
    if (cached) return cached;
    if (request.mode === "navigate") {
      // A page that was not saved (the boards list, say): the offline home, which lists what was.
      const home = await fromCaches(new Request(new URL("/offline/", self.location.origin)));
      if (home) return home;
      return new Response(OFFLINE_PAGE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    }
    throw error;
  }
}

async function fromCaches(request) {
  const url = new URL(request.url);
  const keys = await caches.keys();
  let found = null;
  for (const name of keys.filter((key) => key.startsWith("boardroom-"))) {
    const cache = await caches.open(name);
    found = await cache.match(url.pathname + url.search, { ignoreVary: true });
    if (found) break;
  }
  if (!found) return null;
  const range = request.headers.get("Range");
  if (range && found.status === 200) return slice(found, range);
  return found;
}

// Answer a byte range from a whole cached file (PDF.js may ask for ranges even offline).
async function slice(response, header) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const body = await response.arrayBuffer();
  const size = body.byteLength;
  if (!match) return new Response(body, { status: 200, headers: response.headers });
  let start = match[1] === "" ? size - Number(match[2]) : Number(match[1]);
  const end = match[1] === "" || match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  start = Math.max(0, start);
  if (start > end || start >= size) {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}` } });
  }
  const headers = new Headers(response.headers);
  headers.set("Content-Range", `bytes ${start}-${end}/${size}`);
  headers.set("Content-Length", String(end - start + 1));
  return new Response(body.slice(start, end + 1), { status: 206, headers });
}
