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

function start(config) {
  const bar = document.querySelector("[data-livebar]");
  const q = (sel, root = document) => root.querySelector(sel);
  const qa = (sel, root = document) => [...root.querySelectorAll(sel)];
  const state = {
    status: config.status,
    current: config.currentItem,
    highlighted: q(".item.is-current")?.dataset.item ?? null,
    follow: readFollow(),
    vote: config.vote, // the open (or last closed) motion shown in the bar
    myChoice: config.vote ? config.vote.mine : null,
    downSince: null,
  };

  // --- messages --------------------------------------------------------------------------
  const messageNode = q("[data-live-message]", bar);
  let messageTimer = null;
  function say(text, kind = "info") {
    messageNode.textContent = text;
    messageNode.dataset.kind = kind;
    clearTimeout(messageTimer);
    if (kind === "info") messageTimer = setTimeout(() => (messageNode.textContent = ""), 12_000);
  }
  function sayError(error) {
    const text = error && error.message ? error.message : "That did not work.";
    say(`${text}`, "error");
  }

  // --- connection ------------------------------------------------------------------------
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

  // --- items -----------------------------------------------------------------------------
  const itemNode = (id) => (id === null || id === undefined ? null : q(`.item[data-item="${id}"]`));
  const itemLabel = (node) => `${node.dataset.number} ${node.dataset.title}`;

  // --- meeting status --------------------------------------------------------------------
  function setStatus(status) {
    state.status = status;
    q("[data-live-status]", bar).textContent = STATUS_LABELS[status] || status;
    const badge = q("[data-live-badge]");
    if (badge) {
      badge.className = `badge status-${status}`;
      badge.replaceChildren(el("span", "visually-hidden", "Status: "), STATUS_LABELS[status] || status);
    }
    for (const node of qa("[data-when]")) node.hidden = !node.dataset.when.split(" ").includes(status);
    const hint = q(".console-hint");
    if (hint) {
      hint.textContent =
        status === "published"
          ? "Start the meeting to move through the agenda and hold votes."
          : status === "live"
            ? ""
            : `The meeting is ${(STATUS_LABELS[status] || status).toLowerCase()}.`;
    }
    updateChairButtons();
  }

  // --- current item and follow the chair ---------------------------------------------------
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
      highlight(state.current, { scroll: true });
      say("Following the chair again.");
    } else {
      say("Paused: your screen stays where you are. The bar still shows the current item.");
    }
  });

  function setCurrent(itemId, { scroll }) {
    state.current = itemId;
    const now = q("[data-live-now]", bar);
    const node = itemNode(itemId);
    if (node) {
      const link = el("a", "live-now-link", `Now: ${itemLabel(node)}`);
      link.href = `#item-${itemId}`;
      now.replaceChildren(link);
    } else if (itemId !== null && itemId !== undefined) {
      now.replaceChildren("Now: an item you cannot see");
    } else {
      now.replaceChildren("No item under discussion");
    }
    if (state.follow) highlight(itemId, { scroll });
    updateChairButtons();
  }

  function highlight(itemId, { scroll }) {
    for (const node of qa(".item.is-current")) {
      node.classList.remove("is-current");
      node.removeAttribute("aria-current");
    }
    state.highlighted = itemId;
    const node = itemNode(itemId);
    if (!node) return;
    node.classList.add("is-current");
    node.setAttribute("aria-current", "step");
    if (scroll) scrollToItem(node);
  }

  function scrollToItem(node) {
    const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    // Keep the item clear of the sticky top bar and live bar.
    const covered = [q(".topbar"), bar].reduce((sum, n) => sum + (n ? n.getBoundingClientRect().height : 0), 0);
    const top = node.getBoundingClientRect().top + window.scrollY - covered - 12;
    window.scrollTo({ top: Math.max(0, top), behavior: reduce ? "auto" : "smooth" });
  }

  // --- presence and quorum -----------------------------------------------------------------
  function showPresence(online) {
    q("[data-live-online-count]", bar).textContent = String(online.length);
    const list = q("[data-live-online-list]", bar);
    list.replaceChildren(
      ...online.map((person) => {
        const devices = person.devices || [];
        const detail = devices.length > 1 ? ` — ${plural(devices.length, "device", "devices")}` : "";
        return el("li", null, `${person.name}${detail}`);
      }),
    );
  }

  function showQuorum(quorum) {
    if (!quorum) return;
    const verdict = quorum.quorate ? "Quorate" : "Not quorate";
    const node = q("[data-live-quorum]", bar);
    node.hidden = false;
    node.dataset.quorate = String(quorum.quorate);
    node.textContent = `${verdict}: ${quorum.present} present, ${quorum.required} needed`;
    const panel = q("[data-attendance-quorum]");
    if (panel) {
      panel.textContent = `${verdict}: ${quorum.present} of ${quorum.voting_members} voting members present, ${quorum.required} needed`;
    }
  }

  // --- presenter ---------------------------------------------------------------------------
  function showPresenter(data) {
    const paper = q(`[data-paper="${data.paper}"]`);
    const note = q("[data-live-presenter]", bar);
    if (!paper) return;
    const link = el("a", null, `${paper.dataset.paperTitle} page ${data.page}`);
    link.href = `${paper.getAttribute("href")}#page=${data.page}`;
    note.replaceChildren("Chair is showing ", link);
    note.hidden = false;
  }

  // --- votes -------------------------------------------------------------------------------
  const votePanel = q("[data-live-vote]", bar);

  function renderVote() {
    const vote = state.vote;
    if (!vote) {
      votePanel.hidden = true;
      votePanel.replaceChildren();
      return;
    }
    const node = itemNode(vote.item);
    const where = node ? `Item ${itemLabel(node)}` : "";
    const parts = [];
    const open = vote.status === "open";
    const kicker = el("p", "vote-kicker", [open ? "Vote open" : "Vote closed", where, vote.secret ? "Secret ballot" : ""]
      .filter(Boolean)
      .join(" · "));
    parts.push(kicker, el("p", "vote-motion", vote.text));
    if (open) {
      if (config.mayVote) {
        const group = el("div", "vote-options");
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", "Your vote");
        for (const option of vote.options) {
          const button = el("button", "button vote-option", option);
          button.type = "button";
          button.setAttribute("aria-pressed", String(state.myChoice === option));
          button.addEventListener("click", () => castVote(vote, option, button));
          group.append(button);
        }
        parts.push(group);
        parts.push(
          el(
            "p",
            "vote-mine",
            state.myChoice
              ? `Your vote: ${state.myChoice} (you can change it until the vote closes)`
              : "Tap your choice. You can change it until the vote closes.",
          ),
        );
      } else {
        parts.push(el("p", "vote-mine", "Voting is for the chair and the members."));
      }
      if (typeof vote.cast === "number") {
        const of = typeof vote.eligible === "number" ? ` of ${vote.eligible}` : "";
        parts.push(el("p", "vote-count", `${vote.cast}${of} have voted`));
      }
      if (config.canChair) {
        const close = el("button", "button danger", "Close vote");
        close.type = "button";
        close.addEventListener("click", () => {
          close.disabled = true;
          live.send("vote.close", { motion: vote.id }).catch(sayError).finally(() => (close.disabled = false));
        });
        parts.push(close);
      }
    } else {
      const result = vote.result || {};
      const outcome = el("p", "vote-outcome", `Result: ${capital(result.outcome || "recorded")}`);
      if (/not carried|inquorate|tied/.test(result.outcome || "")) outcome.dataset.doubt = "true";
      parts.push(outcome);
      const counts = el("ul", "vote-counts");
      for (const [option, count] of Object.entries(result.counts || {})) {
        counts.append(el("li", null, `${option}: ${count}`));
      }
      parts.push(counts);
      if (typeof result.ballots === "number") parts.push(el("p", "vote-count", `${plural(result.ballots, "vote", "votes")} cast`));
      const dismiss = el("button", "button quiet", "Dismiss");
      dismiss.type = "button";
      dismiss.addEventListener("click", () => {
        state.vote = null;
        renderVote();
      });
      parts.push(dismiss);
    }
    votePanel.replaceChildren(...parts);
    votePanel.dataset.status = vote.status;
    votePanel.hidden = false;
  }

  function capital(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function castVote(vote, option, button) {
    button.disabled = true;
    live
      .send("vote.cast", { motion: vote.id, choice: option })
      .then((object) => {
        if (state.vote && state.vote.id === object.motion) {
          state.myChoice = object.choice;
          renderVote();
        }
      })
      .catch(sayError)
      .finally(() => (button.disabled = false));
  }

  function voteOpened(data) {
    state.vote = { ...data, cast: 0 };
    state.myChoice = null;
    renderVote();
    updateChairButtons();
  }

  function voteCast(data) {
    if (state.vote && state.vote.id === data.motion && state.vote.status === "open") {
      state.vote.cast = data.cast;
      const count = q(".vote-count", votePanel);
      if (count) {
        const of = typeof state.vote.eligible === "number" ? ` of ${state.vote.eligible}` : "";
        count.textContent = `${data.cast}${of} have voted`;
      }
    }
  }

  function voteClosed(data) {
    state.vote = { ...(state.vote && state.vote.id === data.id ? state.vote : {}), ...data };
    renderVote();
    const node = itemNode(data.item);
    if (node) {
      const result = data.result || {};
      const counts = Object.entries(result.counts || {})
        .map(([option, count]) => `${option} ${count}`)
        .join(", ");
      const li = el("li", "item-vote");
      li.append(el("span", "item-vote-label", "Vote"), ` ${data.text} — `, el("strong", null, capital(result.outcome || "")));
      if (counts) li.append(` (${counts})`);
      q("[data-item-votes]", node).append(li);
    }
    updateChairButtons();
  }

  // --- declarations ------------------------------------------------------------------------
  function stepOut(itemId) {
    const node = itemNode(itemId);
    if (!node) return;
    const label = itemLabel(node);
    const note = el("li", "item recused-note");
    note.append(
      el("div", "item-num", node.dataset.number),
      el(
        "p",
        "recused-text",
        `You declared an interest in item ${label}. You have stepped out of this item: its papers, comments and votes are hidden from you for this meeting.`,
      ),
    );
    // Sub-items are covered by a declaration on their parent.
    for (const sub of qa(`.item[data-parent="${itemId}"]`)) sub.remove();
    node.replaceWith(note);
    if (state.vote && state.vote.item === itemId) {
      state.vote = null;
      renderVote();
    }
    if (state.current === itemId) setCurrent(itemId, { scroll: false });
    say(`Your declaration on item ${label} is recorded. The item is now hidden from you.`, "notice");
  }

  // --- chair console -----------------------------------------------------------------------
  const order = () => qa(".item[data-item]").map((node) => Number(node.dataset.item));

  function updateChairButtons() {
    if (!config.canChair) return;
    const live = state.status === "live";
    for (const button of qa('[data-command="item.current"]')) {
      const isCurrent = Number(button.dataset.targetItem) === state.current;
      button.disabled = !live || isCurrent;
      button.textContent = isCurrent ? "Current item" : "Make current";
    }
    const ids = order();
    const at = ids.indexOf(state.current);
    const previous = q('[data-command="item.previous"]');
    const next = q('[data-command="item.next"]');
    if (previous) previous.disabled = !live || at <= 0;
    if (next) next.disabled = !live || at === ids.length - 1;
  }

  function command(button) {
    const kind = button.dataset.command;
    const ids = order();
    const at = ids.indexOf(state.current);
    let frame;
    if (kind === "meeting.start" || kind === "meeting.close") {
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
    button.disabled = true;
    live
      .send(...frame)
      .catch(sayError)
      .finally(() => {
        button.disabled = false;
        updateChairButtons();
      });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-command]");
    if (button) command(button);
    const mark = event.target.closest("[data-attendance-status]");
    if (mark) {
      const row = mark.closest("[data-attendance-user]");
      mark.disabled = true;
      live
        .send("attendance.mark", { user: Number(row.dataset.attendanceUser), status: mark.dataset.attendanceStatus })
        .catch(sayError)
        .finally(() => (mark.disabled = false));
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

  // --- forms -------------------------------------------------------------------------------
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const item = Number(form.dataset.targetItem);
    let sending;
    if (form.matches("[data-vote-open-form]")) {
      const text = form.elements.text.value.trim();
      if (!text) return event.preventDefault();
      sending = live.send("vote.open", { item, text, secret: form.elements.secret.checked }).then(() => {
        form.reset();
        form.closest("details").open = false;
      });
    } else if (form.matches("[data-declare-form]")) {
      const nature = form.elements.nature.value.trim();
      if (!nature) return event.preventDefault();
      sending = live.send("declaration.create", { item, nature }).then(() => stepOut(item));
    } else {
      return;
    }
    event.preventDefault();
    const submit = form.querySelector('[type="submit"]');
    submit.disabled = true;
    if (!live.isOpen()) say("Not connected: this will be sent as soon as the connection is back.", "notice");
    sending.catch(sayError).finally(() => (submit.disabled = false));
  });

  // --- frames ------------------------------------------------------------------------------
  function onFrame(frame) {
    if (frame.type === "state") {
      setStatus(frame.status);
      if (frame.current_item !== state.current) setCurrent(frame.current_item, { scroll: true });
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
        if (data.status === "closed") setCurrent(null, { scroll: false });
        break;
      case "meeting.current_item":
        setCurrent(data.item, { scroll: true });
        break;
      case "presenter.page":
        showPresenter(data);
        break;
      case "attendance.updated":
        showAttendance(data);
        break;
      case "declaration.recorded":
        if (data.user && data.user.id === config.user) stepOut(data.item);
        else if ((config.canChair || config.canManage) && data.user) {
          const node = itemNode(data.item);
          say(`${data.user.name} declared an interest${node ? ` in item ${node.dataset.number}` : ""}.`);
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

  // --- modules: comments (live-comments.js) and the debate (live-debate.js) -----------------
  function announce(itemId, text) {
    // Until the page has a badge per item, news on an item is said in the live bar.
    const node = itemNode(itemId);
    say(node ? `${text} on item ${node.dataset.number}.` : `${text}.`);
  }
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

  showFollow();
  setStatus(state.status);
  setCurrent(state.current, { scroll: state.status === "live" && state.follow });
  renderVote();
  showQuorum(config.quorum);

  const live = new LiveSocket({
    path: config.socket,
    meeting: config.meeting,
    seq: config.seq,
    onFrame,
    onConnection,
  });
  live.start();
}

const configNode = document.getElementById("live-config");
if (configNode) start(JSON.parse(configNode.textContent));
