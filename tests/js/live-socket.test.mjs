// Unit tests for the meeting socket client (static/js/live-socket.js) under node's test runner:
// a fake WebSocket and browser globals, no server. `make lint` runs them.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

class FakeSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;
  static made = [];

  constructor(url) {
    super();
    this.url = url;
    this.readyState = FakeSocket.CONNECTING;
    this.sent = [];
    FakeSocket.made.push(this);
  }

  send(text) {
    this.sent.push(JSON.parse(text));
  }

  close() {
    this.readyState = FakeSocket.CLOSED;
  }

  open() {
    this.readyState = FakeSocket.OPEN;
    this.dispatchEvent(new Event("open"));
  }

  serverSends(frame) {
    const event = new Event("message");
    event.data = JSON.stringify(frame);
    this.dispatchEvent(event);
  }

  serverCloses(code) {
    this.readyState = FakeSocket.CLOSED;
    const event = new Event("close");
    event.code = code;
    this.dispatchEvent(event);
  }
}

const stored = new Map();
globalThis.window = Object.assign(new EventTarget(), {
  location: { protocol: "https:", host: "board.example.org" },
  WebSocket: FakeSocket,
});
globalThis.WebSocket = FakeSocket;
globalThis.document = Object.assign(new EventTarget(), { visibilityState: "visible" });
globalThis.sessionStorage = { setItem: (key, value) => stored.set(key, value), getItem: (key) => stored.get(key) };

const { LiveSocket, reconnectDelay } = await import("../../static/js/live-socket.js");

function client(seq = 10) {
  const frames = [];
  const states = [];
  const live = new LiveSocket({
    path: "/ws/meetings/3/",
    meeting: 3,
    seq,
    onFrame: (frame) => frames.push(frame),
    onConnection: (state) => states.push(state),
  });
  return { live, frames, states };
}

beforeEach(() => {
  FakeSocket.made = [];
  stored.clear();
});

test("connects over wss with the seq the page is a snapshot of", () => {
  const { live } = client(10);
  live.start();
  assert.equal(FakeSocket.made.at(-1).url, "wss://board.example.org/ws/meetings/3/?after=10");
  live.stopped = true;
});

test("events already seen are dropped; new ones move the seq and are remembered", () => {
  const { live, frames } = client(10);
  live.start();
  const socket = FakeSocket.made.at(-1);
  socket.open();
  socket.serverSends({ type: "event", seq: 9, event: "comment.created", data: {} });
  socket.serverSends({ type: "event", seq: 11, event: "comment.created", data: {} });
  socket.serverSends({ type: "event", seq: 11, event: "comment.created", data: {} });
  assert.deepEqual(
    frames.map((f) => f.seq),
    [11],
  );
  assert.equal(stored.get("boardroom.live.3.seq"), "11");
  assert.equal(live.url(), "wss://board.example.org/ws/meetings/3/?after=11");
  live.stopped = true;
  live.stopPings();
});

test("a frame sent while closed goes out on open; after a drop it is sent again with the same id", async () => {
  const { live } = client();
  live.start();
  const first = FakeSocket.made.at(-1);
  const acked = live.send("comment.create", { item: 4, body: "Agreed" });
  assert.equal(first.sent.length, 0);
  first.open();
  const [frame] = first.sent;
  assert.equal(frame.type, "comment.create");
  assert.match(frame.id, /^[0-9a-f-]{36}$/);
  first.serverCloses(1006);
  live.connect(); // the backoff's timer, without waiting for it
  const second = FakeSocket.made.at(-1);
  second.open();
  assert.deepEqual(second.sent[0], frame);
  second.serverSends({ type: "ack", id: frame.id, object: { id: 99 } });
  assert.deepEqual(await acked, { id: 99 });
  assert.equal(live.pending.size, 0);
  live.stopped = true;
  live.stopPings();
});

test("a refusal rejects the frame with the server's reason; an error without id reaches the page", async () => {
  const { live, frames } = client();
  live.start();
  const socket = FakeSocket.made.at(-1);
  socket.open();
  const refused = live.send("vote.cast", { motion: 1, choice: "For" });
  const { id } = socket.sent[0];
  socket.serverSends({ type: "error", id, code: "forbidden", message: "The vote is closed." });
  await assert.rejects(refused, (error) => error.message === "The vote is closed.");
  socket.serverSends({ type: "error", id: null, code: "rate_limited", message: "Slow down." });
  assert.equal(frames.at(-1).code, "rate_limited");
  live.stopped = true;
  live.stopPings();
});

test("signed out and forbidden closes stop reconnecting", () => {
  for (const [code, state] of [
    [4401, "signed_out"],
    [4403, "forbidden"],
  ]) {
    const { live, states } = client();
    live.start();
    const socket = FakeSocket.made.at(-1);
    socket.open();
    socket.serverCloses(code);
    assert.equal(states.at(-1), state);
    assert.equal(live.stopped, true);
    live.reconnectNow();
    assert.equal(FakeSocket.made.at(-1), socket);
  }
});

test("reconnect delays: full jitter under a ceiling that doubles up to a cap", () => {
  assert.equal(reconnectDelay(0, () => 0), 0);
  assert.equal(reconnectDelay(0, () => 0.999), 250);
  assert.equal(reconnectDelay(3, () => 0.5), 1000);
  assert.equal(reconnectDelay(30, () => 0.999), 7992);
  for (let attempt = 0; attempt < 12; attempt += 1) {
    const delay = reconnectDelay(attempt);
    assert.ok(delay >= 0 && delay <= 8000);
  }
});
