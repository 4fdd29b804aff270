// Running the debate on the live meeting page: the speakers' queue and the item timer
// (docs/live-protocol.md: speaker.* frames, the speakers.changed event, the state frame's
// "speakers" and "current_since"). A module of meeting-live.js, with the same context as
// live-comments.js; it owns the markup of templates/meetings/_debate.html.
//
// Everything shown is rebuilt from the state frame (or the page's config.state, its copy at
// render time) and the events after it, so a reload shows the same queue and the same clock.
// Text goes in as text, never as HTML.

const OPEN_KEY = "boardroom.speakersOpen";
const SOON_SECONDS = 120; // "2 minutes left" is said once, to the chair and the secretary

/**
 * @param {object} ctx  what meeting-live.js shares: config, send(type, payload) -> Promise of the
 *   acknowledged object, isOpen(), say(text, kind), sayError(error), itemNode(id), el(tag, class, text),
 *   announce(itemId, text).
 */
export function setupDebate(ctx) {
  const panel = document.querySelector("[data-debate]");
  if (!panel) return { onState() {}, onEvent() {} };

  const { config, el, itemNode } = ctx;
  const q = (sel, root = panel) => root.querySelector(sel);
  const me = config.user;
  // The chair and the secretary run the queue (the server decides; this only picks the controls).
  const runs = Boolean(config.canChair || config.canManage);
  const initial = config.state || {};

  const s = {
    status: config.status,
    current: config.currentItem ?? null,
    since: parseTime(initial.current_since),
    adjourned: Boolean(initial.adjourned),
    // The newest snapshot applied: events at or before it are already part of what is shown.
    seq: typeof initial.seq === "number" ? initial.seq : config.seq || 0,
    snapshots: new Map(), // item id -> {queue, floor}
    open: readOpen(),
    zone: null, // the timer's zone for zoneItem: "ok", "soon", "over" or "none"
    zoneItem: null,
    withdrawn: new Set(), // ids of requests this page withdrew (not "removed by the chair")
  };
  if (initial.speakers && s.current !== null) s.snapshots.set(s.current, snapshot(initial.speakers));

  const nodes = {
    item: q("[data-debate-item]"),
    timer: q("[data-debate-timer]"),
    clock: q("[data-debate-clock]"),
    schedule: q("[data-debate-schedule]"),
    floor: q("[data-debate-floor]"),
    floorText: q("[data-debate-floor-text]"),
    floorClock: q("[data-debate-floor-clock]"),
    done: q("[data-debate-done]"),
    toggle: q("[data-debate-toggle]"),
    count: q("[data-debate-count]"),
    request: q("[data-debate-request]"),
    mine: q("[data-debate-mine]"),
    box: q("[data-debate-queue-box]"),
    list: q("[data-debate-queue]"),
    empty: q("[data-debate-empty]"),
  };

  // --- helpers -----------------------------------------------------------------------------
  function parseTime(iso) {
    if (!iso) return null;
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : t;
  }

  // The template gives the meeting's planned times as Unix seconds (any browser parses them).
  function epoch(seconds) {
    const n = Number(seconds);
    return seconds && Number.isFinite(n) ? n * 1000 : null;
  }

  function snapshot(data) {
    return {
      queue: Array.isArray(data && data.queue) ? data.queue : [],
      floor: data && data.floor ? data.floor : null,
    };
  }

  function readOpen() {
    try {
      const stored = localStorage.getItem(OPEN_KEY);
      if (stored !== null) return stored === "open";
    } catch {
      // Storage refused: fall back to the default below.
    }
    return runs; // the chair and the secretary start with the queue open
  }

  function clock(seconds) {
    const t = Math.max(0, Math.floor(seconds));
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    const sec = String(t % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  function ordinal(n) {
    const tens = n % 100;
    if (tens >= 11 && tens <= 13) return `${n}th`;
    return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th"}`;
  }

  function hhmm(ms) {
    return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(ms));
  }

  function minutesOf(node) {
    const n = Number(node && node.dataset.minutes);
    return Number.isFinite(n) && n > 0 ? n : 0;
  }

  // --- where the panel sits --------------------------------------------------------------------
  // Landscape: in the side panel beside the agenda (templates/meetings/meeting.html), which stays
  // in view. Portrait (one column, the width below which static/css/app.css stacks the page): the
  // side panel scrolls away while the page follows the chair, so the panel moves into the item
  // under discussion, under its title, where everyone is looking.
  const home = document.createComment(" speakers and time ");
  panel.before(home);
  const heading = q("#debate-heading");
  const oneColumn = window.matchMedia("(max-width: 67.99rem)");

  function place() {
    const node = currentNode();
    const body = node && oneColumn.matches && visible() ? node.querySelector(".item-body") : null;
    const anchor = body ? body.querySelector(":scope > .item-meta") || body.querySelector(":scope > .item-title") : null;
    let moved = false;
    const hadFocus = panel.contains(document.activeElement) ? document.activeElement : null;
    if (body) {
      const inPlace = anchor ? panel.previousElementSibling === anchor : panel.parentNode === body && !panel.previousElementSibling;
      if (!inPlace) {
        if (anchor) anchor.after(panel);
        else body.prepend(panel);
        moved = true;
      }
      heading.setAttribute("aria-level", "4"); // under the item's h3
      panel.classList.add("in-item");
    } else {
      if (home.nextSibling !== panel) {
        home.after(panel);
        moved = true;
      }
      heading.removeAttribute("aria-level");
      panel.classList.remove("in-item");
    }
    if (moved && hadFocus && panel.contains(hadFocus)) hadFocus.focus({ preventScroll: true });
  }

  const current = () => s.snapshots.get(s.current) || { queue: [], floor: null };
  const currentNode = () => (s.current === null ? null : itemNode(s.current));
  const visible = () => s.status === "live" && currentNode() !== null;

  // --- the timer ---------------------------------------------------------------------------
  // Each item's share of the planned time: a parent's minutes cover its sub-items, so the
  // parent itself keeps what its sub-items leave over (the agenda's total counts each minute once).
  function shares(order) {
    return order.map((node) => {
      const children = order.filter((n) => n.dataset.parent === node.dataset.item);
      const childMinutes = children.reduce((sum, n) => sum + minutesOf(n), 0);
      return Math.max(0, minutesOf(node) - childMinutes);
    });
  }

  function tick() {
    const node = currentNode();
    if (!visible() || !node) return;
    const planned = minutesOf(node);
    const label = `Item ${node.dataset.number}`;
    if (nodes.item.textContent !== label) nodes.item.textContent = label;
    let text;
    let zone = "none";
    if (s.since === null) {
      text = planned ? `${planned} min planned` : "No time planned";
    } else {
      const elapsed = (Date.now() - s.since) / 1000;
      if (planned) {
        const left = planned * 60 - elapsed;
        zone = left < 0 ? "over" : left <= SOON_SECONDS ? "soon" : "ok";
        text = `${clock(elapsed)} of ${planned} min`;
        if (zone === "over") text += ` · ${Math.max(1, Math.floor(-left / 60))} min over`;
      } else {
        text = `${clock(elapsed)} · no time planned`;
      }
    }
    if (nodes.clock.textContent !== text) nodes.clock.textContent = text;
    nodes.timer.dataset.zone = zone;
    thresholds(node, zone, planned);

    const floor = current().floor;
    const floorSince = floor ? parseTime(floor.since) : null;
    const floorText = floorSince === null ? "" : clock((Date.now() - floorSince) / 1000);
    if (nodes.floorClock.textContent !== floorText) nodes.floorClock.textContent = floorText;

    schedule(node);
  }

  // Said once per crossing, and only to those who run the meeting: members are not interrupted.
  function thresholds(node, zone, planned) {
    const item = s.current;
    if (s.zoneItem !== item) {
      s.zoneItem = item;
      s.zone = zone; // the first reading of an item (or of a reloaded page) is not news
      return;
    }
    const worse = { none: 0, ok: 0, soon: 1, over: 2 };
    if (worse[zone] > worse[s.zone] && runs) {
      if (zone === "soon") ctx.say(`2 minutes left on item ${node.dataset.number}.`);
      if (zone === "over") ctx.say(`Item ${node.dataset.number} is over its planned ${planned} minutes.`);
    }
    s.zone = zone;
  }

  // The expected finish (for the chair and the secretary): now, plus what is left of this item's
  // plan, plus the plan of every item after it; against the planned end of the meeting.
  function schedule(node) {
    if (!runs || s.since === null) {
      nodes.schedule.hidden = true;
      return;
    }
    const order = [...document.querySelectorAll(".item[data-item]")];
    const at = order.indexOf(node);
    const share = shares(order);
    const total = share.reduce((sum, n) => sum + n, 0);
    if (!total || at < 0) {
      nodes.schedule.hidden = true;
      return;
    }
    const elapsed = (Date.now() - s.since) / 1000;
    const leftHere = Math.max(0, share[at] * 60 - elapsed);
    const after = share.slice(at + 1).reduce((sum, n) => sum + n, 0);
    const expected = Date.now() + leftHere * 1000 + after * 60_000;
    const starts = epoch(panel.dataset.startsAt);
    const plannedEnd = epoch(panel.dataset.endsAt) ?? (starts === null ? null : starts + total * 60_000);
    let text = `Expected end ${hhmm(expected)}`;
    let late = 0;
    // Compared with the planned end only on the day itself (a meeting held on another day than
    // planned has no meaningful "late").
    if (plannedEnd !== null && Math.abs(expected - plannedEnd) < 12 * 3_600_000) {
      late = Math.round((expected - plannedEnd) / 60_000);
      text += late > 0 ? `, ${late} min late` : ` (planned ${hhmm(plannedEnd)})`;
    }
    nodes.schedule.dataset.late = String(late > 0);
    if (nodes.schedule.textContent !== text) nodes.schedule.textContent = text;
    nodes.schedule.hidden = false;
  }

  // --- the queue ---------------------------------------------------------------------------
  function render() {
    panel.hidden = !visible();
    place();
    if (panel.hidden) return;
    const focusKey = document.activeElement && panel.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    const { queue, floor } = current();

    const mineOnFloor = Boolean(floor && floor.user && floor.user.id === me);
    if (floor) {
      nodes.floorText.textContent = mineOnFloor ? "You have the floor" : `${floor.user.name} has the floor`;
    } else {
      // While adjourned the server gives no floor (it says so if asked): say it before anyone tries.
      nodes.floorText.textContent = s.adjourned ? "Adjourned: no one has the floor" : "No one has the floor";
    }
    nodes.floor.dataset.active = String(Boolean(floor));
    nodes.done.hidden = !floor || !(runs || mineOnFloor);
    nodes.done.textContent = mineOnFloor && !runs ? "End my turn" : "End turn";
    if (floor && !mineOnFloor) nodes.done.setAttribute("aria-label", `End ${floor.user.name}'s turn`);
    else nodes.done.removeAttribute("aria-label");

    nodes.count.textContent = String(queue.length);
    nodes.toggle.setAttribute("aria-expanded", String(s.open));
    nodes.box.hidden = !s.open;

    const position = queue.findIndex((r) => r.user && r.user.id === me);
    if (nodes.request) {
      // The chair calls on themselves; a person who has the floor does not queue again.
      nodes.request.hidden = config.canChair || mineOnFloor;
      nodes.request.textContent = position >= 0 ? "Withdraw my request" : "Ask to speak";
      nodes.request.dataset.request = position >= 0 ? String(queue[position].id) : "";
    }
    nodes.mine.hidden = position < 0;
    nodes.mine.textContent = position < 0 ? "" : position === 0 ? "You are next to speak" : `You are ${ordinal(position + 1)} in the queue`;

    nodes.list.replaceChildren(...queue.map((request, i) => row(request, i)));
    nodes.empty.hidden = queue.length > 0;

    if (focusKey) {
      const again = panel.querySelector(`[data-key="${focusKey}"]`);
      if (again && !again.hidden && again.offsetParent !== null) again.focus();
      else fallbackFocus();
    }
    tick();
  }

  function row(request, index) {
    const li = el("li", "debate-request-row");
    li.dataset.request = request.id;
    const who = el("p", "debate-who");
    const name = el("span", "debate-name", request.user.name);
    who.append(el("span", "debate-place", `${index + 1}.`), " ", name);
    if (request.user.id === me) who.append(" ", el("span", "debate-you", "(you)"));
    const asked = parseTime(request.requested_at);
    if (asked !== null) {
      const time = el("time", "debate-asked", `asked ${hhmm(asked)}`);
      time.dateTime = request.requested_at;
      who.append(" ", time);
    }
    li.append(who);
    if (runs) {
      const tools = el("div", "debate-row-actions");
      if (!s.adjourned) tools.append(giveButton(request));
      const remove = el("button", "button quiet debate-remove", "Remove");
      remove.type = "button";
      remove.dataset.key = `remove-${request.id}`;
      remove.dataset.remove = request.id;
      remove.setAttribute("aria-label", `Remove ${request.user.name}'s request`);
      tools.append(remove);
      li.append(tools);
    }
    return li;
  }

  function giveButton(request) {
    const give = el("button", "button debate-give", "Give the floor");
    give.type = "button";
    give.dataset.key = `give-${request.id}`;
    give.dataset.give = request.id;
    give.setAttribute("aria-label", `Give the floor to ${request.user.name}`);
    return give;
  }

  // When the focused control went away with the change it made (the floor given, a request
  // removed, a turn ended), focus moves to the next thing the person is likely to do.
  function fallbackFocus() {
    const candidates = [
      nodes.done,
      panel.querySelector("[data-give]"),
      nodes.request,
      nodes.toggle,
    ];
    const next = candidates.find((n) => n && !n.hidden && n.offsetParent !== null);
    if (next) next.focus();
  }

  function apply(item, data, { news }) {
    const before = s.snapshots.get(item) || { queue: [], floor: null };
    const after = snapshot(data);
    s.snapshots.set(item, after);
    if (item === s.current && news) tell(before, after);
    if (item === s.current) render();
  }

  // What is worth saying aloud: the floor coming to you, your request removed by someone else,
  // and (to the chair and the secretary) a new request while they may be looking elsewhere.
  function tell(before, after) {
    const wasMine = before.floor && before.floor.user && before.floor.user.id === me;
    const isMine = after.floor && after.floor.user && after.floor.user.id === me;
    if (isMine && !wasMine) {
      ctx.say("You have the floor.", "info");
      return;
    }
    const had = before.queue.find((r) => r.user && r.user.id === me);
    const at = after.queue.findIndex((r) => r.user && r.user.id === me);
    if (had && at < 0 && !isMine) {
      ctx.say(s.withdrawn.has(had.id) ? "Your request to speak is withdrawn." : "Your request to speak was removed by the chair.");
    } else if (!had && at >= 0) {
      ctx.say(at === 0 ? "You asked to speak. You are next." : `You asked to speak. You are ${ordinal(at + 1)} in the queue.`);
    }
    if (runs) {
      const known = new Set(before.queue.map((r) => r.id));
      const fresh = after.queue.filter((r) => !known.has(r.id) && r.user && r.user.id !== me);
      if (fresh.length === 1) ctx.say(`${fresh[0].user.name} asks to speak.`);
      else if (fresh.length > 1) ctx.say(`${fresh.length} new requests to speak.`);
    }
  }

  // --- sending -------------------------------------------------------------------------------
  // Buttons are marked busy rather than disabled while a frame is on its way: a disabled button
  // drops keyboard focus to the page (issue 17), and a second press is simply ignored.
  function act(button, type, payload) {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    if (!ctx.isOpen()) ctx.say("Not connected: this will be sent as soon as the connection is back.", "notice");
    ctx
      .send(type, payload)
      // The acknowledgement carries the queue as it was stored, but without a seq it cannot be
      // ordered against other people's changes: the speakers.changed event that follows (every
      // device of the sender gets it too) is what updates the page.
      .catch(ctx.sayError)
      .finally(() => {
        button.removeAttribute("aria-disabled");
      });
  }

  panel.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !panel.contains(button)) return;
    if (button === nodes.toggle) {
      s.open = !s.open;
      try {
        localStorage.setItem(OPEN_KEY, s.open ? "open" : "closed");
      } catch {
        // Storage refused: the choice lasts for this page.
      }
      render();
    } else if (button === nodes.request) {
      const request = button.dataset.request;
      if (request) {
        s.withdrawn.add(Number(request));
        act(button, "speaker.withdraw", { request: Number(request) });
      } else {
        act(button, "speaker.request", { item: s.current });
      }
    } else if (button === nodes.done) {
      act(button, "speaker.done", {});
    } else if (button.dataset.give) {
      act(button, "speaker.give", { request: Number(button.dataset.give) });
    } else if (button.dataset.remove) {
      act(button, "speaker.withdraw", { request: Number(button.dataset.remove) });
    }
  });
  if (nodes.request) nodes.request.dataset.key = "request";
  nodes.done.dataset.key = "done";
  nodes.toggle.dataset.key = "toggle";

  oneColumn.addEventListener("change", render);
  render();
  setInterval(tick, 1000);

  return {
    onState(frame) {
      s.status = frame.status;
      if (frame.current_item !== s.current) s.zoneItem = null;
      s.current = frame.current_item ?? null;
      if ("current_since" in frame) s.since = parseTime(frame.current_since);
      if ("adjourned" in frame) s.adjourned = Boolean(frame.adjourned);
      if (typeof frame.seq === "number") s.seq = frame.seq;
      if ("speakers" in frame) {
        // The state carries the current item's queue only: other items' copies may be stale.
        s.snapshots.clear();
        if (frame.speakers && s.current !== null) s.snapshots.set(s.current, snapshot(frame.speakers));
      }
      render();
    },
    onEvent(type, data, frame) {
      const seq = frame && typeof frame.seq === "number" ? frame.seq : null;
      const stale = seq !== null && seq <= s.seq; // already part of the state shown
      if (type === "meeting.status") {
        if (stale) return;
        s.status = data.status;
        if (data.status !== "live") s.snapshots.clear();
        render();
      } else if (type === "meeting.current_item") {
        if (stale) return;
        s.current = data.item ?? null;
        s.since = parseTime(data.since);
        s.zoneItem = null;
        render();
      } else if (type === "meeting.adjourned") {
        if (stale) return;
        s.adjourned = Boolean(data.adjourned);
        render();
      } else if (type === "speakers.changed") {
        if (stale) return;
        apply(data.item, data, { news: true });
      } else if (type === "declaration.recorded") {
        // A member who declares loses the item (meeting-live.js removes it): hide its queue.
        setTimeout(render, 0);
      }
    },
  };
}
