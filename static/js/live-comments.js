// Comments under each agenda item on the live meeting page (docs/live-protocol.md, comment.*).
// A module of meeting-live.js: it gets the page's context and is handed every state frame
// and event; it owns the markup of templates/meetings/_item_comments.html.

/**
 * @param {object} ctx  what meeting-live.js shares: config, send(type, payload) -> Promise of the
 *   acknowledged object, isOpen(), say(text, kind), sayError(error), itemNode(id), el(tag, class, text),
 *   announce(itemId, text) for news on an item the reader may not be looking at.
 */
export function setupComments(ctx) {
  const { el, itemNode } = ctx;
  const q = (sel, root = document) => root.querySelector(sel);

  function shortTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    const day = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" }).format(d);
    const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false }).format(d);
    return `${day}, ${time}`;
  }

  function addComment(data, { announce }) {
    const node = itemNode(data.item);
    if (!node || data.deleted) return;
    const list = q("[data-comment-list]", node);
    if (q(`[data-comment-id="${data.id}"]`, list)) return; // already shown (ack and event, or replay)
    const li = el("li", "comment");
    li.dataset.commentId = data.id;
    const meta = el("p", "comment-meta");
    const time = el("time", null, shortTime(data.created_at));
    time.dateTime = data.created_at;
    meta.append(el("span", "comment-author", data.author.name), " ", time);
    const body = el("p", "comment-body");
    data.body.split("\n").forEach((line, i) => {
      if (i) body.append(document.createElement("br"));
      body.append(line);
    });
    li.append(meta, body);
    list.append(li);
    q("[data-comment-empty]", node).hidden = true;
    q("[data-comment-count]", node).textContent = String(list.children.length);
    if (announce && data.author.id !== ctx.config.user) ctx.announce(data.item, `New comment from ${data.author.name}`);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-comment-form]")) return;
    event.preventDefault();
    const item = Number(form.dataset.targetItem);
    const body = form.elements.body.value.trim();
    if (!body) return;
    const submit = form.querySelector('[type="submit"]');
    submit.disabled = true;
    if (!ctx.isOpen()) ctx.say("Not connected: this will be sent as soon as the connection is back.", "notice");
    ctx
      .send("comment.create", { item, body, parent: null })
      .then((comment) => {
        addComment(comment, { announce: false });
        form.reset();
      })
      .catch(ctx.sayError)
      .finally(() => (submit.disabled = false));
  });

  return {
    onState() {},
    onEvent(type, data) {
      if (type === "comment.created") addComment(data, { announce: true });
    },
  };
}
