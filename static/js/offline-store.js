// Annotations made while offline wait in IndexedDB until the server has them. Each keeps the
// client id the reader gave it, so sending it twice (a retry after a half-delivered save) still
// stores it once. The queue is per device and cleared with the rest of the offline data.

const DB_NAME = "boardroom-offline";
const STORE = "annotations";

function open() {
  return new Promise((resolve, reject) => {
    if (!("indexedDB" in globalThis)) {
      reject(new Error("IndexedDB is not available"));
      return;
    }
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) {
        const store = db.createObjectStore(STORE, { keyPath: "clientId" });
        store.createIndex("paper", "paper");
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => {
      db.close();
      resolve(result && "result" in result ? result.result : undefined);
    };
    tx.onerror = () => {
      db.close();
      reject(tx.error);
    };
  });
}

export async function queueAnnotation(paper, url, body) {
  try {
    await run("readwrite", (store) => store.put({ clientId: body.client_id, paper, url, body, queuedAt: Date.now() }));
  } catch {
    /* no IndexedDB (a private window): the note stays on screen until the page is closed */
  }
}

export async function pendingAnnotations(paper) {
  try {
    const all = await run("readonly", (store) => store.index("paper").getAll(paper));
    return all || [];
  } catch {
    return [];
  }
}

export async function dropPending(clientId) {
  try {
    await run("readwrite", (store) => store.delete(clientId));
  } catch {
    /* nothing to drop */
  }
}

export async function wipe() {
  await new Promise((resolve) => {
    if (!("indexedDB" in globalThis)) {
      resolve();
      return;
    }
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}
