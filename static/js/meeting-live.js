// The live meeting page: the live bar, follow the chair, comments, votes, declarations,
// the chair's console and the secretary's attendance panel. Everything shown can be
// rebuilt from the socket's frames (docs/live-protocol.md); the server-rendered page is
// the snapshot they start from. No innerHTML with data: text goes in as text.

import { setupComments } from "./live-comments.js";
import { setupDebate } from "./live-debate.js";
import { LiveSocket } from "./live-socket.js";

const STATUS_LABELS = {
  draft: "Draft",
  published: "Not started",
  live: "In progress",
  closed: "Closed",
  minuted: "Minuted",
};
const RECONNECT_QUIET_MS = 3_000;
const FOLLOW_KEY = "boardroom.followChair";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function shown(node) {
  return Boolean(node && node.isConnected && !node.closest("[hidden]") && node.getClientRects().length > 0);
}

function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false }).format(d);
}

function capital(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
}

function start(config) {
  const bar = document.querySelector("[data-livebar]");
  const q = (sel, root = document) => root.querySelector(sel);
  const qa = (sel, root = document) => [...root.querySelectorAll(sel)];
  const first = config.state || null; // the full state dict (docs/live-protocol.md, `state`), when the server sends it
  const state = {
    status: config.status,
    current: config.currentItem,
    follow: readFollow(),
    vote: first ? first.vote : config.vote, // the open (or last closed) motion shown in the bar
    myChoice: null,
    adjourned: first ? first.adjourned : null,
    presenter: null,
    declarations: new Map(), // key -> declaration, as the state frame lists them
    recused: new Set(),
    downSince: null,
  };
  state.myChoice = state.vote ? state.vote.mine ?? null : null;

  // --- people ------------------------------------------------------------------------------
  const names = new Map();
  for (const person of config.people || []) names.set(Number(person.id), person.name);
  for (const row of qa("[data-attendance-user]")) {
    const name = q(".attendance-name", row);
    if (name) names.set(Number(row.dataset.attendanceUser), name.textContent.trim());
  }
  const nameOf = (who) => {
    if (who && typeof who === "object") {
      if (who.name) names.set(Number(who.id), who.name);
      return who.name || names.get(Number(who.id)) || "Someone";
    }
    return names.get(Number(who)) || "Someone";
  };
  const idOf = (who) => (who && typeof who === "object" ? Number(who.id) : Number(who));

  // --- messages ----------------------------------------------------------------------------
  const messageNode = q("[data-live-message]", bar);
  let messageTimer = null;
  function say(text, kind = "info") {
    messageNode.textContent = text;
    messageNode.dataset.kind = kind;
    clearTimeout(messageTimer);
    // Errors stay until the next message; the rest clear themselves so the bar stays short.
    if (kind !== "error") messageTimer = setTimeout(() => (messageNode.textContent = ""), kind === "info" ? 8_000 : 15_000);
  }
  function sayError(error) {
    // Refusals carry a sentence a person understands ("The meeting is closed."): show it as it comes.
    const text = error && error.message ? error.message : "That did not work. Check the connection and try again.";
    say(text, "error");
  }

  // --- focus: never let it fall to <body> ----------------------------------------------------
  function keepFocus(...candidates) {
    requestAnimationFrame(() => {
      const active = document.activeElement;
      if (active && active !== document.body && shown(active)) return;
      for (const node of candidates.flat()) {
        if (shown(node)) {
          node.focus();
          return;
        }
      }
      const fallback = q("[data-live-now] a", bar) || q("[data-live-follow]", bar);
      if (fallback) fallback.focus();
    });
  }

  // A control busy with a send keeps focus (aria-disabled, not disabled) and says "Sending…";
  // pressing it again says why nothing more happens instead of doing nothing.
  function busy(button, promise, label = "Sending…") {
    const original = button.textContent;
    button.dataset.busy = "true";
    button.setAttribute("aria-disabled", "true");
    button.textContent = label;
    if (!live.isOpen()) say("Not connected: this will be sent as soon as the connection is back.", "notice");
    return promise.finally(() => {
      delete button.dataset.busy;
      button.removeAttribute("aria-disabled");
      if (button.textContent === label) button.textContent = original;
    });
  }
  function stillBusy(button) {
    if (button.dataset.busy !== "true") return false;
    say(live.isOpen() ? "Still sending: one moment." : "Still waiting for the connection: it will be sent when it is back.", "notice");
    return true;
  }

  // --- confirmation for what cannot be undone ------------------------------------------------
  const dialog = q("[data-confirm-dialog]");
  function confirmAct({ title, text, ok }, opener) {
    if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(window.confirm(`${title}\n\n${text}`));
    q("[data-confirm-dialog-title]", dialog).textContent = title;
    q("[data-confirm-dialog-text]", dialog).textContent = text;
    q("[data-confirm-dialog-ok]", dialog).textContent = ok;
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener(
        "close",
        () => {
          if (opener && shown(opener)) opener.focus();
          resolve(dialog.returnValue === "ok");
        },
        { once: true },
      );
    });
  }

  // --- connection ----------------------------------------------------------------------------
  const connNode = q("[data-live-connection]", bar);
  const connText = q("[data-live-connection-text]", bar);
  let quietTimer = null;
  function showConnection(kind, text) {
    connNode.dataset.state = kind;
    connText.textContent = text;
  }
  function onConnection(kind) {
    if (kind === "connected") {
      clearTimeout(quietTimer);
      state.downSince = null;
      showConnection("connected", "Connected");
    } else if (kind === "connecting" && state.downSince === null && connNode.dataset.state !== "connected") {
      showConnection("connecting", "Connecting…");
    } else if (kind === "down") {
      if (state.downSince === null) {
        state.downSince = Date.now();
        // A short drop is silent: most reconnects take well under 3 s.
        clearTimeout(quietTimer);
        quietTimer = setTimeout(showDown, RECONNECT_QUIET_MS);
      }
      if (navigator.onLine === false) showDown();
    } else if (kind === "forbidden") {
      clearTimeout(quietTimer);
      showConnection("offline", "Disconnected");
      say("You no longer have access to this meeting. Reload the page or go back to your boards.", "error");
    } else if (kind === "signed_out") {
      clearTimeout(quietTimer);
      showConnection("offline", "Signed out");
      say("You were signed out (on this device or everywhere). Sign in again to carry on.", "error");
    } else if (kind === "unsupported") {
      showConnection("offline", "Live updates off");
      say("This browser cannot receive live updates. Reload the page to see changes.", "error");
    }
  }
  function showDown() {
    if (state.downSince === null) return;
    if (navigator.onLine === false) showConnection("offline", "Offline — we will reconnect when you are back");
    else showConnection("reconnecting", "Reconnecting…");
  }
  window.addEventListener("offline", () => state.downSince !== null && showDown());

  // --- items ---------------------------------------------------------------------------------
  const itemNode = (id) => (id === null || id === undefined ? null : q(`.item[data-item="${id}"]`));
  const itemLabel = (node) => `${node.dataset.number} ${node.dataset.title}`;

  // --- meeting status --------------------------------------------------------------------------
  const isOpenMeeting = () => state.status === "published" || state.status === "live";
  function setStatus(status) {
    state.status = status;
    q("[data-live-status]", bar).textContent = STATUS_LABELS[status] || status;
    const badge = q("[data-live-badge]");
    if (badge) {
      badge.className = `badge status-${status}`;
      badge.replaceChildren(el("span", "visually-hidden", "Status: "), STATUS_LABELS[status] || status);
    }
    for (const node of qa("[data-when]")) node.hidden = !node.dataset.when.split(" ").includes(status);
    if (!isOpenMeeting()) {
      // A closed meeting takes nothing more: no comment, declaration or vote forms.
      for (const form of qa("form[data-target-item]")) form.hidden = true;
    }
    const hint = q(".console-hint");
    if (hint) {
      hint.textContent =
        status === "published"
          ? "Start the meeting to move through the agenda and hold votes."
          : status === "live"
            ? ""
            : `The meeting is ${(STATUS_LABELS[status] || status).toLowerCase()}.`;
    }
    showAdjourned(state.adjourned);
    updateChairButtons();
  }

  // --- current item and follow the chair ------------------------------------------------------
  function readFollow() {
    try {
      return localStorage.getItem(FOLLOW_KEY) !== "off";
    } catch {
      return true;
    }
  }
  const followButton = q("[data-live-follow]", bar);
  function showFollow() {
    followButton.setAttribute("aria-pressed", String(state.follow));
    q("[data-live-follow-state]", followButton).textContent = state.follow ? "On" : "Off";
  }
  followButton.addEventListener("click", () => {
    state.follow = !state.follow;
    try {
      localStorage.setItem(FOLLOW_KEY, state.follow ? "on" : "off");
    } catch {
      // Storage refused: the choice lasts for this page.
    }
    showFollow();
    if (state.follow) {
      const node = itemNode(state.current);
      if (node) scrollToItem(node);
      say("Following the chair again.");
    } else {
      say("Paused: your screen stays where you are. The bar still shows the current item.");
    }
  });

  function setCurrent(itemId, { scroll }) {
    const changed = itemId !== state.current;
    state.current = itemId;
    const now = q("[data-live-now]", bar);
    const consoleNow = q("[data-console-now]");
    const node = itemNode(itemId);
    let text;
    if (node) {
      text = `Now: ${itemLabel(node)}`;
      const link = el("a", "live-now-link", text);
      link.href = `#item-${itemId}`;
      now.replaceChildren(link);
    } else if (itemId !== null && itemId !== undefined) {
      text = "Now: an item you cannot see";
      now.replaceChildren(text);
    } else {
      text = "No item under discussion";
      now.replaceChildren(text);
    }
    if (consoleNow) consoleNow.textContent = text;
    // The flag follows the current item whatever "follow" says; following only decides scrolling.
    highlight(itemId);
    if (node && scroll && state.follow) scrollToItem(node);
    if (changed && state.presenter && state.presenter.item !== itemId) showPresenter(null);
    updateChairButtons();
  }

  function highlight(itemId) {
    for (const node of qa(".item.is-current")) {
      node.classList.remove("is-current");
      node.removeAttribute("aria-current");
    }
    const node = itemNode(itemId);
    if (!node) return;
    node.classList.add("is-current");
    node.setAttribute("aria-current", "step");
  }

  function scrollToItem(node) {
    const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    // Keep the item clear of the sticky top bar and live bar.
    const covered = [q(".topbar"), bar].reduce((sum, n) => sum + (n ? n.getBoundingClientRect().height : 0), 0);
    const top = node.getBoundingClientRect().top + window.scrollY - covered - 12;
    window.scrollTo({ top: Math.max(0, top), behavior: reduce ? "auto" : "smooth" });
  }

  // The side panel in landscape sits under the bar, whose height changes with what it shows.
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(() => {
      document.documentElement.style.setProperty("--livebar-height", `${Math.ceil(bar.getBoundingClientRect().height)}px`);
    }).observe(bar);
  }

  // --- presence, quorum, adjournment -----------------------------------------------------------
  function showPresence(online) {
    q("[data-live-online-count]", bar).textContent = String(online.length);
    const list = q("[data-live-online-list]", bar);
    list.replaceChildren(
      ...online.map((person) => {
        names.set(Number(person.id), person.name);
        const devices = person.devices || [];
        const detail = devices.length > 1 ? ` — ${plural(devices.length, "device", "devices")}` : "";
        return el("li", null, `${person.name}${detail}`);
      }),
    );
  }

  function showQuorum(quorum) {
    const node = q("[data-live-quorum]", bar);
    if (!quorum) {
      node.hidden = true;
      return;
    }
    const verdict = quorum.quorate ? "Quorate" : "Not quorate";
    node.hidden = false;
    node.dataset.quorate = String(quorum.quorate);
    node.textContent = `${verdict}: ${quorum.present} present, ${quorum.required} needed`;
    const panel = q("[data-attendance-quorum]");
    if (panel) {
      panel.textContent = `${verdict}: ${quorum.present} of ${quorum.voting_members} voting members present, ${quorum.required} needed`;
    }
  }

  function showAdjourned(adjourned) {
    state.adjourned = adjourned || null;
    const node = q("[data-live-adjourned]", bar);
    const on = Boolean(state.adjourned) && state.status === "live";
    node.hidden = !on;
    if (on) {
      const since = clock(state.adjourned.since);
      const by = state.adjourned.by ? ` by ${nameOf(state.adjourned.by)}` : "";
      node.textContent = `Adjourned${since ? ` since ${since}` : ""}${by}`;
    }
    const adjourn = q('[data-command="meeting.adjourn"]');
    const resume = q('[data-command="meeting.resume"]');
    if (adjourn && resume) {
      const hadFocus = document.activeElement === adjourn || document.activeElement === resume;
      adjourn.hidden = state.status !== "live" || on;
      resume.hidden = state.status !== "live" || !on;
      if (hadFocus) keepFocus(on ? resume : adjourn);
    }
  }

  // --- presenter ---------------------------------------------------------------------------------
  function showPresenter(data) {
    const note = q("[data-live-presenter]", bar);
    state.presenter = data || null;
    if (!data) {
      note.hidden = true;
      note.replaceChildren();
      return;
    }
    const paper = q(`[data-paper="${data.paper}"]`);
    const who = data.presenter;
    const subject = idOf(who) === config.user ? "You are" : `${nameOf(who)} is`;
    const title = paper ? paper.dataset.paperTitle : "a paper";
    const link = el("a", null, `${title} p. ${data.page}`);
    if (paper) link.href = `${paper.getAttribute("href")}#page=${data.page}`;
    note.replaceChildren(`${subject} showing `, paper ? link : `${title} p. ${data.page}`);
    note.hidden = false;
  }

  // --- news on an item (comments call ctx.announce) -------------------------------------------------
  const announcer = q("[data-live-announce]", bar);
  const newsButton = q("[data-live-news]", bar);
  const unseen = new Map(); // item id -> count of news not yet looked at
  function announce(itemId, text) {
    const node = itemNode(itemId);
    announcer.textContent = node ? `${text} on item ${node.dataset.number}.` : `${text}.`;
    if (!node) return;
    const comments = q("[data-comments]", node);
    const rect = comments ? comments.getBoundingClientRect() : null;
    const seen = comments && comments.open && rect.bottom > 0 && rect.top < window.innerHeight;
    if (seen) return;
    unseen.set(itemId, (unseen.get(itemId) || 0) + 1);
    showNews();
  }
  function showNews() {
    let total = 0;
    for (const [itemId, count] of unseen) {
      total += count;
      const node = itemNode(itemId);
      const badge = node && q("[data-item-news]", node);
      if (!badge) continue;
      badge.textContent = `${plural(count, "new comment", "new comments")}`;
      badge.hidden = count === 0;
    }
    newsButton.textContent = plural(total, "new comment", "new comments");
    newsButton.hidden = total === 0;
  }
  function seenItem(itemId) {
    if (!unseen.has(itemId)) return;
    unseen.delete(itemId);
    const node = itemNode(itemId);
    const badge = node && q("[data-item-news]", node);
    if (badge) badge.hidden = true;
    showNews();
  }
  function openComments(itemId) {
    const node = itemNode(itemId);
    if (!node) return;
    const comments = q("[data-comments]", node);
    seenItem(itemId);
    if (!comments) return;
    comments.open = true;
    comments.scrollIntoView({ block: "center" });
    const summary = q("summary", comments);
    if (summary) summary.focus();
  }
  newsButton.addEventListener("click", () => {
    const [itemId] = unseen.keys();
    if (itemId !== undefined) openComments(itemId);
  });
  document.addEventListener(
    "toggle",
    (event) => {
      const details = event.target;
      if (details.matches && details.matches("[data-comments]") && details.open) {
        const node = details.closest(".item[data-item]");
        if (node) seenItem(Number(node.dataset.item));
      }
    },
    true,
  );

  // --- declarations --------------------------------------------------------------------------------
  const declarationKey = (d) => (d.id !== undefined ? `id:${d.id}` : `${d.item}:${idOf(d.user)}`);
  function renderDeclarations() {
    const byItem = new Map();
    for (const d of state.declarations.values()) {
      if (!byItem.has(d.item)) byItem.set(d.item, []);
      byItem.get(d.item).push(d);
    }
    for (const list of qa("[data-item-declarations]")) {
      const node = list.closest(".item[data-item]");
      const mine = byItem.get(Number(node.dataset.item)) || [];
      list.replaceChildren(
        ...mine.map((d) => {
          const li = el("li", "item-declaration");
          li.append(el("span", "item-declaration-label", "Interest declared"), ` ${nameOf(d.user)}`);
          if (d.nature) li.append(`: ${d.nature}`);
          if (d.recorded_by && idOf(d.recorded_by) !== idOf(d.user)) li.append(` (recorded by ${nameOf(d.recorded_by)})`);
          return li;
        }),
      );
      list.hidden = mine.length === 0;
    }
  }

  function recusedNote(itemId, number, title) {
    const note = el("li", "item recused-note");
    note.dataset.recused = String(itemId);
    const body = el("div", "item-body");
    body.append(
      el("p", "recused-text", `You stepped out of item ${number} (interest declared)`),
      el("p", "recused-detail", `${title ? `${title}: its` : "Its"} papers, comments and votes are hidden from you for this meeting.`),
    );
    note.append(el("div", "item-num", number), body);
    return note;
  }

  function stepOut(itemId, { quiet = false } = {}) {
    state.recused.add(itemId);
    const node = itemNode(itemId);
    if (node) {
      const hadFocus = node.contains(document.activeElement);
      const note = recusedNote(itemId, node.dataset.number, node.dataset.title);
      // Sub-items are covered by a declaration on their parent.
      for (const sub of qa(`.item[data-parent="${itemId}"]`)) sub.remove();
      node.replaceWith(note);
      if (hadFocus) {
        note.tabIndex = -1;
        note.focus();
      }
      if (!quiet) say(`Your declaration on item ${node.dataset.number} is recorded. You have stepped out of it.`, "notice");
    }
    if (state.vote && state.vote.item === itemId) {
      state.vote = null;
      renderVote();
    }
    if (state.current === itemId) setCurrent(itemId, { scroll: false });
  }

  // Items this person is recused from are not on the page at all (the policy hides them): a
  // placeholder where the item was keeps the agenda from jumping from 6.3 to 8 without a word.
  function placeRecused(entries) {
    for (const entry of entries || []) {
      if (q(`[data-recused="${entry.id}"]`)) continue;
      state.recused.add(entry.id);
      if (itemNode(entry.id)) {
        stepOut(entry.id, { quiet: true });
        continue;
      }
      const note = recusedNote(entry.id, entry.number, entry.title);
      const before = entry.after ? q(`.item[data-item="${entry.after}"], [data-recused="${entry.after}"]`) : null;
      const agenda = q(".agenda");
      if (before) {
        // After the item and its sub-items.
        let last = before;
        while (last.nextElementSibling && last.nextElementSibling.dataset.parent === String(entry.after)) last = last.nextElementSibling;
        last.after(note);
      } else if (agenda) {
        agenda.prepend(note);
      }
    }
  }

  // --- votes ----------------------------------------------------------------------------------------
  const votePanel = q("[data-live-vote]", bar);
  let focusVoteAfterOpen = false;

  function voteButton(text, key, className = "button") {
    const button = el("button", className, text);
    button.type = "button";
    button.dataset.key = key;
    return button;
  }

  function renderVote() {
    const focusKey = votePanel.contains(document.activeElement) ? document.activeElement.dataset.key || "" : null;
    const moreOpen = Boolean(q(".vote-more[open]", votePanel));
    const vote = state.vote;
    if (!vote) {
      votePanel.hidden = true;
      votePanel.replaceChildren();
      if (focusKey !== null) keepFocus(q('[data-command="vote.jump"]'));
      updateChairButtons();
      return;
    }
    const node = itemNode(vote.item);
    const open = vote.status === "open";
    const result = vote.result || {};
    const pending = !open && Boolean(result.casting_pending);
    const line = el("div", "vote-line");
    const more = el("details", "vote-more");
    more.open = moreOpen;
    const summary = el("summary", null, "Details");
    summary.dataset.key = "details";
    const body = el("div", "vote-more-body");
    more.append(summary, body);

    const kicker = open ? "Vote open" : pending ? "Vote tied" : "Vote closed";
    line.append(el("p", "vote-kicker", kicker));
    body.append(
      el("p", "vote-where", [node ? `Item ${itemLabel(node)}` : "", vote.secret ? "Secret ballot" : "Open ballot"].filter(Boolean).join(" · ")),
      el("p", "vote-motion-full", vote.text),
    );
    if (vote.mover || vote.seconder) {
      const who = [];
      if (vote.mover) who.push(`Moved by ${nameOf(vote.mover)}`);
      if (vote.seconder) who.push(`seconded by ${nameOf(vote.seconder)}`);
      body.append(el("p", "vote-movers", who.join(", ")));
    }

    if (open) {
      const motion = el("p", "vote-motion", vote.text);
      line.append(motion);
      if (config.mayVote && !state.recused.has(vote.item)) {
        const group = el("div", "vote-options");
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", "Your vote");
        for (const option of vote.options) {
          const button = voteButton(option, `option:${option}`, "button vote-option");
          button.setAttribute("aria-pressed", String(state.myChoice === option));
          button.addEventListener("click", () => castVote(vote, option, button));
          group.append(button);
        }
        line.append(group);
        body.append(
          el(
            "p",
            "vote-mine",
            state.myChoice
              ? `Your vote: ${state.myChoice} (you can change it until the vote closes)`
              : "Tap your choice. You can change it until the vote closes.",
          ),
        );
      } else {
        body.append(el("p", "vote-mine", "Voting is for the chair and the members."));
      }
      const cast = typeof vote.cast === "number" ? vote.cast : 0;
      const of = typeof vote.eligible === "number" ? ` of ${vote.eligible}` : "";
      line.append(el("p", "vote-count", `${cast}${of} have voted`));
      if (config.canChair) {
        const close = voteButton("Close vote", "close", "button danger");
        close.addEventListener("click", () => closeVote(vote, close));
        line.append(close);
        const people = vote.eligible_people || [];
        if (people.length) {
          const voted = new Set((vote.voted || []).map(Number));
          const waiting = people.filter((p) => !voted.has(Number(p.id)));
          body.append(
            el("p", "vote-waiting", waiting.length ? `Not yet voted: ${waiting.map((p) => p.name).join(", ")}` : "Everyone has voted."),
          );
        }
      }
    } else {
      const outcome = pending ? "Tied: the chair has a casting vote" : capital(result.outcome || "recorded");
      const outcomeNode = el("p", "vote-outcome", `Result: ${outcome}`);
      if (pending || /not carried|inquorate|tied/.test(result.outcome || "")) outcomeNode.dataset.doubt = "true";
      line.append(outcomeNode);
      const counts = el("ul", "vote-counts");
      for (const [option, count] of Object.entries(result.counts || {})) counts.append(el("li", null, `${option}: ${count}`));
      line.append(counts);
      if (pending && config.canChair) {
        const group = el("div", "vote-options casting");
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", "Casting vote");
        group.append(el("span", "vote-casting-label", "Casting vote:"));
        for (const option of result.tied || vote.options || Object.keys(result.counts || {})) {
          const button = voteButton(option, `casting:${option}`, "button vote-option");
          button.addEventListener("click", () => castingVote(vote, option, button));
          group.append(button);
        }
        line.append(group);
      } else if (pending) {
        body.append(el("p", "vote-mine", "Waiting for the chair's casting vote."));
      }
      if (result.casting) {
        body.append(el("p", "vote-casting", `Casting vote by ${nameOf(result.casting.user)}: ${result.casting.choice}`));
      }
      if (typeof result.ballots === "number") body.append(el("p", "vote-count", `${plural(result.ballots, "vote", "votes")} cast`));
      const named = Array.isArray(result.votes) ? result.votes : [];
      if (named.length) {
        const list = el("ul", "vote-named");
        list.setAttribute("aria-label", "How each member voted");
        for (const v of named) list.append(el("li", null, `${nameOf(v.user)}: ${v.choice}`));
        body.append(el("p", "vote-named-title", "How each member voted"), list);
      } else if (vote.secret) {
        body.append(el("p", "vote-count", "Secret ballot: who chose what is not recorded."));
      }
      if (!pending) {
        const dismiss = voteButton("Dismiss", "dismiss", "button quiet");
        dismiss.addEventListener("click", () => {
          state.vote = null;
          renderVote();
        });
        line.append(dismiss);
      }
    }
    line.append(more);
    votePanel.replaceChildren(line);
    votePanel.dataset.status = vote.status;
    votePanel.hidden = false;
    if (focusKey !== null) {
      const again = focusKey ? q(`[data-key="${CSS.escape(focusKey)}"]`, votePanel) : null;
      keepFocus(again, qa("button, summary", votePanel));
    } else if (focusVoteAfterOpen && open) {
      focusVoteAfterOpen = false;
      keepFocus(q('[data-key="close"]', votePanel));
      const close = q('[data-key="close"]', votePanel);
      if (close) requestAnimationFrame(() => close.focus());
    }
    updateChairButtons();
  }

  function castVote(vote, option, button) {
    if (stillBusy(button)) return;
    busy(button, live.send("vote.cast", { motion: vote.id, choice: option }), `${option}…`)
      .then((object) => {
        if (state.vote && state.vote.id === object.motion) {
          state.myChoice = object.choice;
          renderVote();
        }
      })
      .catch(sayError);
  }

  function closeVote(vote, button) {
    if (stillBusy(button)) return;
    confirmAct(
      {
        title: "Close the vote?",
        text: "Members can no longer vote or change their vote; the result is recorded with the quorum now.",
        ok: "Close the vote",
      },
      button,
    ).then((yes) => {
      if (!yes) return;
      busy(button, live.send("vote.close", { motion: vote.id }))
        .then((object) => object && object.id === vote.id && voteClosed(object))
        .catch(sayError)
        .finally(() => keepFocus(qa("button, summary", votePanel)));
    });
  }

  function castingVote(vote, option, button) {
    if (stillBusy(button)) return;
    busy(button, live.send("vote.casting", { motion: vote.id, choice: option }))
      .then((object) => object && object.id === vote.id && object.result && voteClosed(object))
      .catch(sayError)
      .finally(() => keepFocus(qa("button, summary", votePanel)));
  }

  function voteOpened(data) {
    const same = state.vote && state.vote.id === data.id;
    state.vote = { cast: 0, voted: [], ...(same ? state.vote : {}), ...data };
    if (!same) state.myChoice = null;
    renderVote();
  }

  function voteCast(data) {
    if (!state.vote || state.vote.id !== data.motion || state.vote.status !== "open") return;
    state.vote.cast = data.cast;
    if (Array.isArray(data.voted)) state.vote.voted = data.voted;
    renderVote();
  }

  function voteClosed(data) {
    state.vote = { ...(state.vote && state.vote.id === data.id ? state.vote : {}), ...data };
    renderVote();
    const node = itemNode(data.item);
    const result = data.result || {};
    if (node && !result.casting_pending) {
      const counts = Object.entries(result.counts || {})
        .map(([option, count]) => `${option} ${count}`)
        .join(", ");
      const li = el("li", "item-vote");
      li.dataset.motion = String(data.id);
      li.append(el("span", "item-vote-label", "Vote"), ` ${data.text} — `, el("strong", null, capital(result.outcome || "")));
      if (counts) li.append(` (${counts})`);
      if (result.casting) li.append(`; casting vote ${result.casting.choice}`);
      const old = q(`[data-motion="${data.id}"]`, node);
      if (old) old.replaceWith(li);
      else q("[data-item-votes]", node).append(li);
    }
  }

  // --- chair console -----------------------------------------------------------------------------
  const order = () => qa(".item[data-item]").map((node) => Number(node.dataset.item));
  // Why a control cannot act now, said when it is pressed (it stays focusable: aria-disabled).
  function setUnavailable(button, reason) {
    if (!button || button.dataset.busy === "true") return;
    if (reason) {
      button.setAttribute("aria-disabled", "true");
      button.dataset.reason = reason;
    } else {
      button.removeAttribute("aria-disabled");
      delete button.dataset.reason;
    }
  }

  function updateChairButtons() {
    if (!config.canChair) return;
    const live = state.status === "live";
    const notLive = state.status === "published" ? "Start the meeting first." : "The meeting is not in progress.";
    for (const button of qa('[data-command="item.current"]')) {
      if (button.dataset.busy === "true") continue;
      const isCurrent = Number(button.dataset.targetItem) === state.current;
      setUnavailable(button, !live ? notLive : isCurrent ? "This is the current item." : "");
      button.textContent = isCurrent ? "Current item" : "Make current";
    }
    const ids = order();
    const at = ids.indexOf(state.current);
    setUnavailable(q('[data-command="item.previous"]'), !live ? notLive : at <= 0 ? "There is no item before this one." : "");
    setUnavailable(q('[data-command="item.next"]'), !live ? notLive : at === ids.length - 1 && at !== -1 ? "This is the last item." : "");
    const voteOpen = state.vote && state.vote.status === "open";
    setUnavailable(
      q('[data-command="vote.jump"]'),
      !live
        ? notLive
        : voteOpen
          ? "A vote is open: close it before opening another."
          : !itemNode(state.current)
            ? "Move to an item first: a vote is on the current item."
            : "",
    );
  }

  function command(button) {
    if (stillBusy(button)) return;
    if (button.getAttribute("aria-disabled") === "true") {
      say(button.dataset.reason || "Not available now.", "notice");
      return;
    }
    const kind = button.dataset.command;
    const ids = order();
    const at = ids.indexOf(state.current);
    let frame;
    if (kind === "vote.jump") {
      // The vote form of the current item: open it and put the cursor in the motion.
      const node = itemNode(state.current);
      const details = node && q("[data-vote-open]", node);
      if (!details) return;
      details.open = true;
      const text = q("textarea", details);
      text.focus({ preventScroll: true });
      details.scrollIntoView({ block: "center" });
      return;
    }
    if (["meeting.start", "meeting.close", "meeting.adjourn", "meeting.resume"].includes(kind)) {
      frame = [kind, {}];
    } else if (kind === "item.current") {
      frame = ["item.current", { item: Number(button.dataset.targetItem) }];
    } else if (kind === "item.next") {
      frame = ["item.current", { item: ids[at + 1] ?? ids[0] }];
    } else if (kind === "item.previous") {
      if (at <= 0) return;
      frame = ["item.current", { item: ids[at - 1] }];
    } else {
      return;
    }
    const go = () =>
      busy(button, live.send(...frame))
        .then(() => {
          if (kind === "meeting.adjourn" || kind === "meeting.resume") {
            // The event follows; show it at once for the chair.
            if (kind === "meeting.resume") showAdjourned(null);
          }
        })
        .catch(sayError)
        .finally(() => {
          updateChairButtons();
          keepFocus(
            button,
            kind === "meeting.start" ? q('[data-command="item.next"]') : null,
            kind === "meeting.adjourn" ? q('[data-command="meeting.resume"]') : null,
            kind === "meeting.resume" ? q('[data-command="meeting.adjourn"]') : null,
            qa(".console button:not([hidden])"),
          );
        });
    if (button.dataset.confirmTitle) {
      confirmAct({ title: button.dataset.confirmTitle, text: button.dataset.confirmText, ok: button.dataset.confirmOk }, button).then(
        (yes) => yes && go(),
      );
    } else {
      go();
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-command]");
    if (button) command(button);
    const casting = event.target.closest("[data-casting-motion]");
    if (casting) castingVote({ id: Number(casting.dataset.castingMotion) }, casting.dataset.castingChoice, casting);
    const badge = event.target.closest("[data-item-news]");
    if (badge) openComments(Number(badge.closest(".item[data-item]").dataset.item));
    const mark = event.target.closest("[data-attendance-status]");
    if (mark && !stillBusy(mark)) {
      const row = mark.closest("[data-attendance-user]");
      busy(mark, live.send("attendance.mark", { user: Number(row.dataset.attendanceUser), status: mark.dataset.attendanceStatus }), mark.textContent)
        .catch(sayError)
        .finally(() => keepFocus(mark));
    }
  });

  function showAttendance(data) {
    const row = q(`[data-attendance-user="${data.user.id}"]`);
    if (row) {
      for (const button of qa("[data-attendance-status]", row)) {
        button.setAttribute("aria-pressed", String(button.dataset.attendanceStatus === data.status));
      }
    }
    showQuorum(data.quorum);
  }

  // --- forms -------------------------------------------------------------------------------------
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const item = Number(form.dataset.targetItem);
    let sending;
    let after = () => {};
    if (form.matches("[data-vote-open-form]")) {
      const text = form.elements.text.value.trim();
      if (!text) return event.preventDefault();
      const payload = { item, text, secret: form.elements.secret.checked };
      const mover = form.elements.mover && form.elements.mover.value;
      const seconder = form.elements.seconder && form.elements.seconder.value;
      if (mover) payload.mover = Number(mover);
      if (seconder) payload.seconder = Number(seconder);
      if (mover && mover === seconder) {
        event.preventDefault();
        say("The mover and the seconder must be two different people.", "error");
        form.elements.seconder.focus();
        return;
      }
      focusVoteAfterOpen = true;
      sending = live.send("vote.open", payload).then((object) => {
        form.reset();
        const details = form.closest("details");
        details.open = false;
        if (object && object.id && object.status === "open") voteOpened(object);
        keepFocus(q('[data-key="close"]', votePanel), q("summary", details));
      });
    } else if (form.matches("[data-declare-form]")) {
      const nature = form.elements.nature.value.trim();
      if (!nature) return event.preventDefault();
      sending = live.send("declaration.create", { item, nature }).then(() => stepOut(item));
    } else if (form.matches("[data-declare-other-form]")) {
      const nature = form.elements.nature.value.trim();
      const user = Number(form.elements.user.value);
      if (!nature || !user) return event.preventDefault();
      const who = form.elements.user.selectedOptions[0].textContent;
      sending = live.send("declaration.create", { item, nature, user }).then((object) => {
        form.reset();
        addDeclaration({ item, nature, user: { id: user, name: who }, ...(object || {}) });
        say(`${who}'s declaration on item ${itemNode(item)?.dataset.number ?? ""} is recorded.`);
      });
      after = () => keepFocus(form.elements.user);
    } else {
      return;
    }
    event.preventDefault();
    const submit = form.querySelector('[type="submit"]');
    if (stillBusy(submit)) return;
    busy(submit, sending)
      .catch((error) => {
        focusVoteAfterOpen = false;
        sayError(error);
      })
      .finally(() => {
        after();
        keepFocus(submit, q("summary", form.closest("details") || form));
      });
  });

  function addDeclaration(d) {
    if (!d || d.item === undefined) return;
    // The acknowledged object may name the user by id only: keep the name we know.
    if (d.user && typeof d.user !== "object") d.user = { id: d.user, name: nameOf(d.user) };
    for (const [key, old] of state.declarations) {
      if (old.item === d.item && idOf(old.user) === idOf(d.user) && key !== declarationKey(d)) state.declarations.delete(key);
    }
    state.declarations.set(declarationKey(d), d);
    renderDeclarations();
  }

  // --- the state: at first paint from the page, then from every `state` frame ----------------------
  function applyState(s, { initial = false } = {}) {
    if (s.status) setStatus(s.status);
    if ("adjourned" in s) showAdjourned(s.adjourned);
    if ("current_item" in s && (initial || s.current_item !== state.current)) {
      setCurrent(s.current_item, { scroll: !initial || (s.status === "live" && state.follow) });
    }
    if ("quorum" in s) showQuorum(s.quorum);
    if ("presenter" in s) showPresenter(s.presenter);
    if (Array.isArray(s.declarations)) {
      state.declarations.clear();
      for (const d of s.declarations) state.declarations.set(declarationKey(d), d);
      renderDeclarations();
    }
    if (Array.isArray(s.my_recusals)) {
      for (const itemId of s.my_recusals) if (itemNode(itemId)) stepOut(itemId, { quiet: true });
      for (const itemId of s.my_recusals) state.recused.add(itemId);
    }
    if ("vote" in s) {
      if (s.vote) {
        const same = state.vote && state.vote.id === s.vote.id;
        state.vote = { ...(same ? state.vote : {}), ...s.vote };
        state.myChoice = s.vote.mine ?? (same ? state.myChoice : null);
        renderVote();
      } else if (state.vote && state.vote.status === "open") {
        // Closed while we were away: the log replay brings the result; until then, no open vote.
        state.vote = null;
        renderVote();
      }
    }
  }

  // --- frames ------------------------------------------------------------------------------------
  function onFrame(frame) {
    if (frame.type === "state") {
      applyState(frame);
      for (const module of modules) module.onState(frame);
      return;
    }
    if (frame.type === "presence") return showPresence(frame.online || []);
    if (frame.type === "error") return sayError(frame);
    if (frame.type !== "event") return;
    const data = frame.data || {};
    for (const module of modules) module.onEvent(frame.event, data, frame);
    switch (frame.event) {
      case "meeting.status":
        setStatus(data.status);
        if (data.status === "closed") {
          setCurrent(null, { scroll: false });
          showPresenter(null);
        }
        break;
      case "meeting.current_item":
        setCurrent(data.item, { scroll: true });
        break;
      case "meeting.adjourned":
        showAdjourned(data.adjourned);
        break;
      case "presenter.page":
        showPresenter(data);
        break;
      case "attendance.updated":
        showAttendance(data);
        break;
      case "declaration.recorded":
        if (data.user && idOf(data.user) === config.user) {
          stepOut(data.item);
        } else if ((config.canChair || config.canManage) && data.user) {
          addDeclaration({ ...data });
          const node = itemNode(data.item);
          say(`${nameOf(data.user)} declared an interest${node ? ` in item ${node.dataset.number}` : ""}.`);
        }
        break;
      case "vote.opened":
        voteOpened(data);
        break;
      case "vote.cast":
        voteCast(data);
        break;
      case "vote.closed":
        voteClosed(data);
        break;
      default:
        break;
    }
  }

  // --- modules: comments (live-comments.js) and the debate (live-debate.js) ---------------------------
  const ctx = {
    config,
    send: (type, payload) => live.send(type, payload),
    isOpen: () => live.isOpen(),
    say,
    sayError,
    itemNode,
    el,
    announce,
  };
  const modules = [setupComments(ctx), setupDebate(ctx)];

  const live = new LiveSocket({
    path: config.socket,
    meeting: config.meeting,
    seq: config.seq,
    onFrame,
    onConnection,
  });

  showFollow();
  setStatus(state.status);
  setCurrent(state.current, { scroll: state.status === "live" && state.follow });
  placeRecused(config.recusedItems);
  if (first) {
    applyState(first, { initial: true });
    for (const module of modules) module.onState({ type: "state", ...first });
  } else {
    renderVote();
    showQuorum(config.quorum);
  }
  live.start();
}

const configNode = document.getElementById("live-config");
if (configNode) start(JSON.parse(configNode.textContent));
