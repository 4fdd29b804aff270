// The meeting socket client (docs/live-protocol.md): connect, resume after drops, retry frames.
//
// - Remembers the last event seq it received (in memory and in sessionStorage per meeting)
//   and reconnects with ?after=<seq>, with jittered exponential backoff, so no event is lost or
//   doubled and a room of tablets does not reconnect in step.
// - Frames that change something get a crypto.randomUUID() id and stay pending until the
//   server acknowledges them; after a reconnect they are sent again with the same id (the
//   server is idempotent on it).
// - A heartbeat: while the page is visible it pings every 4.5 s (0.2 frames a second, far under
//   the server's 20 a second); a ping not answered in 3 s means the connection is dead (poor
//   Wi-Fi often leaves sockets half open, and a browser that goes offline may not close the
//   socket for 20 s or more), so the socket is dropped at once, reported "down" and redone. The
//   browser's own "offline" event drops it at once too. So the page says "Offline" within ~5 s
//   (issue 17). A hidden page pings every 30 s, which is what keeps a person listed as online.

const PING_VISIBLE_MS = 4_500;
const PING_HIDDEN_MS = 30_000;
const PONG_WITHIN_MS = 3_000;
// Reconnecting: "full jitter" over a ceiling that doubles from RETRY_BASE_MS up to RETRY_CAP_MS.
// When a server process dies, every tablet on it sees its socket close at the same instant; a
// random delay anywhere below the ceiling spreads the room's reconnects instead of sending them
// in waves, and the ceiling stays low enough that a tablet is back within seconds.
const RETRY_BASE_MS = 250;
const RETRY_CAP_MS = 8_000;
const CLOSE_SIGNED_OUT = 4401;
const CLOSE_FORBIDDEN = 4403;
const CLOSE_FLOOD = 4429;

/** How long to wait before reconnect attempt number `attempt` (0 for the first after a drop). */
export function reconnectDelay(attempt, random = Math.random) {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(random() * ceiling);
}

function newId() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; plain-http LAN installs fall back to getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class LiveSocket {
  /**
   * @param {object} options
   * @param {string} options.path       the socket path, e.g. /ws/meetings/3/
   * @param {number} options.meeting    the meeting id (the sessionStorage key)
   * @param {number} options.seq        the seq the server-rendered page is a snapshot of
   * @param {(frame: object) => void} options.onFrame   every server frame but ack/pong
   * @param {(state: string, detail?: object) => void} options.onConnection
   *        "connecting" | "connected" | "down" (just dropped) | "forbidden"
   */
  constructor({ path, meeting, seq, onFrame, onConnection }) {
    this.path = path;
    this.storageKey = `boardroom.live.${meeting}.seq`;
    // The page is a snapshot at `seq`: resume from exactly there, so events committed between
    // rendering and connecting are replayed (the UI drops doubles by id).
    this.seq = seq;
    this.onFrame = onFrame;
    this.onConnection = onConnection;
    this.pending = new Map(); // id -> {frame, resolve, reject}
    this.attempt = 0;
    this.socket = null;
    this.stopped = false;
    this.pingTimer = null;
    this.pongTimer = null;
    this.retryTimer = null;
    this.remember();
  }

  url() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${this.path}?after=${this.seq}`;
  }

  start() {
    if (typeof window.WebSocket !== "function") {
      this.stopped = true;
      this.onConnection("unsupported");
      return;
    }
    this.stopped = false;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.drop());
    document.addEventListener("visibilitychange", () => {
      // Tablets freeze background tabs; coming back should not wait for the next backoff step.
      if (document.visibilityState === "visible") this.reconnectNow();
    });
    this.connect();
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.onConnection("connecting");
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.onConnection("connected");
      for (const { frame } of this.pending.values()) this.rawSend(frame); // retry, same ids
      this.startPings();
    });
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return; // already dropped by the heartbeat
      this.socket = null;
      this.stopPings();
      if (event.code === CLOSE_FORBIDDEN || event.code === CLOSE_SIGNED_OUT) {
        this.stopped = true;
        this.onConnection(event.code === CLOSE_SIGNED_OUT ? "signed_out" : "forbidden");
        return;
      }
      this.onConnection("down", { flood: event.code === CLOSE_FLOOD });
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.stopped || this.socket) return;
    this.attempt = 0;
    this.connect();
  }

  startPings() {
    this.stopPings();
    this.lastPing = Date.now();
    this.pingTimer = setInterval(() => {
      if (!this.isOpen() || this.pongTimer) return; // one ping in flight at a time
      const every = document.visibilityState === "hidden" ? PING_HIDDEN_MS : PING_VISIBLE_MS;
      if (Date.now() - this.lastPing < every - 250) return;
      this.lastPing = Date.now();
      this.rawSend({ type: "ping" });
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null;
        this.drop();
      }, PONG_WITHIN_MS);
    }, PING_VISIBLE_MS);
  }

  stopPings() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  /** The connection is dead (no pong, or the browser went offline): let the socket go without
   * waiting for its close handshake, which cannot finish without a network, and reconnect. */
  drop() {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    this.stopPings();
    try {
      socket.close();
    } catch {
      // Closing a socket that never opened may throw; it is gone either way.
    }
    this.onConnection("down", { flood: false });
    this.scheduleReconnect();
  }

  isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  rawSend(frame) {
    if (this.isOpen()) this.socket.send(JSON.stringify(frame));
  }

  /** Send a frame that changes something; resolves with the acknowledged object. */
  send(type, fields = {}) {
    const id = newId();
    const frame = { type, id, ...fields };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, resolve, reject });
      this.rawSend(frame); // if closed, it goes out when the socket reopens
    });
  }

  remember() {
    try {
      sessionStorage.setItem(this.storageKey, String(this.seq));
    } catch {
      // Private browsing may refuse storage; the in-memory seq still works.
    }
  }

  advance(seq) {
    if (typeof seq === "number" && seq > this.seq) {
      this.seq = seq;
      this.remember();
    }
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    switch (frame.type) {
      case "event":
        if (frame.seq <= this.seq) return; // already seen (a replay overlapping the snapshot)
        this.advance(frame.seq);
        this.onFrame(frame);
        return;
      case "pong":
        clearTimeout(this.pongTimer);
        this.pongTimer = null;
        // The server has processed (sent or skipped) everything up to here for this socket.
        this.advance(frame.seq);
        return;
      case "ack": {
        const waiting = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        if (waiting) waiting.resolve(frame.object);
        return;
      }
      case "error": {
        const waiting = frame.id ? this.pending.get(frame.id) : undefined;
        if (waiting) {
          this.pending.delete(frame.id);
          waiting.reject(frame);
        } else {
          this.onFrame(frame);
        }
        return;
      }
      case "state":
        // Admitted (not merely opened: a server that accepts and then closes at once must not
        // be retried at full speed): the next drop starts the backoff from the beginning.
        this.attempt = 0;
        this.onFrame(frame);
        return;
      default:
        this.onFrame(frame); // presence
    }
  }
}
