// Comments under each agenda item on the live meeting page (docs/live-protocol.md, comment.*).
// A module of meeting-live.js: it gets the page's context and is handed every state frame
// and event; it owns the markup of templates/meetings/_item_comments.html (and _comment.html).
//
// - Replies go one level deep: a Reply button on each first-level comment opens a form under it.
// - Authors may edit or delete their own comment for ten minutes after posting (the server's
//   window, documents/services.py COMMENT_EDIT_WINDOW); the buttons go when the window passes.
//   comment.edited and comment.deleted update every screen. A deleted comment that has replies
//   stays as "Comment withdrawn" so the replies keep their context.
// - Typing @ in a comment box suggests the people who may see the item (meetings/mentions.py),
//   chosen by arrow keys and Enter, or by a tap.
// No innerHTML with data: text goes in as text.

const EDIT_WINDOW_MS = 10 * 60 * 1000;
const MENTION_AT_CARET = /(?:^|[^\w@])@([\w.+-]*)$/;

/**
 * @param {object} ctx  what meeting-live.js shares: config, send(type, payload) -> Promise of the
 *   acknowledged object, isOpen(), say(text, kind), sayError(error), itemNode(id), el(tag, class, text),
 *   announce(itemId, text) for news on an item the reader may not be looking at.
 */
export function setupComments(ctx) {
  const { el, itemNode } = ctx;
  const q = (sel, root = document) => root.querySelector(sel);
  const qa = (sel, root = document) => [...root.querySelectorAll(sel)];
  const me = String(ctx.config.user);
  const timers = new Map(); // comment id -> timeout that hides its Edit and Delete buttons

  function shortTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    const day = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" }).format(d);
    const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false }).format(d);
    return `${day}, ${time}`;
  }

  const formOf = (node) => q("[data-comment-form]", node);
  const commentNode = (id, root = document) => q(`.comment[data-comment-id="${id}"]`, root);
  const itemOf = (li) => li.closest(".item[data-item]");
  const mayWrite = (li) => {
    const form = formOf(itemOf(li));
    return Boolean(form) && !form.hidden;
  };

  function bodyText(text) {
    const body = el("p", "comment-body");
    text.split("\n").forEach((line, i) => {
      if (i) body.append(document.createElement("br"));
      body.append(line);
    });
    return body;
  }

  // --- one comment ------------------------------------------------------------------------------

  function build(data) {
    const li = el("li", `comment${data.parent ? " is-reply" : ""}`);
    li.dataset.commentId = data.id;
    li.dataset.author = data.author.id;
    li.dataset.created = data.created_at;
    if (data.parent) li.dataset.parent = data.parent;
    const meta = el("p", "comment-meta");
    const time = el("time", null, shortTime(data.created_at));
    time.dateTime = data.created_at;
    meta.append(el("span", "comment-author", data.author.name), " ", time);
    if (data.edited_at) meta.append(" ", el("span", "comment-edited", "(edited)"));
    li.append(meta, bodyText(data.body));
    if (!data.parent) {
      const replies = el("ol", "comment-replies");
      replies.dataset.commentReplies = "";
      li.append(replies);
    }
    return li;
  }

  function withinWindow(li) {
    const created = Date.parse(li.dataset.created);
    return !Number.isNaN(created) && Date.now() - created < EDIT_WINDOW_MS;
  }

  // The Reply, Edit and Delete buttons of one comment, as they should be now.
  function decorate(li) {
    q(":scope > .comment-actions", li)?.remove();
    clearTimeout(timers.get(li.dataset.commentId));
    if (li.classList.contains("is-withdrawn") || !mayWrite(li)) return;
    const actions = el("div", "comment-actions");
    if (!li.dataset.parent) actions.append(button("Reply", "reply"));
    const own = li.dataset.author === me && withinWindow(li);
    if (own) {
      actions.append(button("Edit", "edit"), button("Delete", "delete"));
      const left = EDIT_WINDOW_MS - (Date.now() - Date.parse(li.dataset.created));
      timers.set(li.dataset.commentId, setTimeout(() => closeWindow(li), left + 500));
    }
    if (!actions.children.length) return;
    const replies = q(":scope > .comment-replies", li);
    li.insertBefore(actions, replies);
  }

  function button(text, action) {
    const b = el("button", "button small quiet", text);
    b.type = "button";
    b.dataset.commentAction = action;
    return b;
  }

  // Ten minutes have passed: no more editing or deleting (an open editor is closed, its text kept in view).
  function closeWindow(li) {
    const editor = q(":scope > [data-comment-editor]", li);
    if (editor) {
      editor.remove();
      for (const node of qa(":scope > .comment-meta, :scope > .comment-body", li)) node.hidden = false;
      ctx.say("Comments can be changed for ten minutes after posting; that time has passed.", "notice");
    }
    q(":scope > [data-comment-confirm]", li)?.remove();
    decorate(li);
  }

  // --- lists and counts -------------------------------------------------------------------------

  function refreshCount(node) {
    const list = q("[data-comment-list]", node);
    const shown = qa(".comment:not(.is-withdrawn)", list).length;
    q("[data-comment-count]", node).textContent = String(shown);
    q("[data-comment-empty]", node).hidden = qa(".comment", list).length > 0;
  }

  // A placeholder for a first-level comment withdrawn before this page loaded (its replies stay).
  function withdrawnParent(id) {
    const li = el("li", "comment is-withdrawn");
    li.dataset.commentId = id;
    li.append(el("p", "comment-withdrawn", "Comment withdrawn"));
    const replies = el("ol", "comment-replies");
    replies.dataset.commentReplies = "";
    li.append(replies);
    return li;
  }

  function repliesOf(list, parentId) {
    let parent = commentNode(parentId, list);
    if (!parent) {
      parent = withdrawnParent(parentId);
      // Keep the thread where its first reply falls in time.
      list.append(parent);
    }
    return q(":scope > .comment-replies", parent);
  }

  function addComment(data, { announce }) {
    const node = itemNode(data.item);
    if (!node || data.deleted) return;
    const list = q("[data-comment-list]", node);
    if (commentNode(data.id, list)) return; // already shown (ack and event, or replay)
    const li = build(data);
    if (data.parent) repliesOf(list, data.parent).append(li);
    else list.append(li);
    decorate(li);
    refreshCount(node);
    if (announce && String(data.author.id) !== me) {
      const what = data.parent ? "New reply" : "New comment";
      ctx.announce(data.item, `${what} from ${data.author.name}`);
    }
  }

  function showEdited(data) {
    const li = commentNode(data.id);
    if (!li || li.classList.contains("is-withdrawn")) return;
    q(":scope > [data-comment-editor]", li)?.remove();
    const body = q(":scope > .comment-body", li);
    const fresh = bodyText(data.body);
    if (body) body.replaceWith(fresh);
    const meta = q(":scope > .comment-meta", li);
    meta.hidden = false;
    if (!q(".comment-edited", meta)) meta.append(" ", el("span", "comment-edited", "(edited)"));
    decorate(li);
  }

  function showDeleted(data) {
    const li = commentNode(data.id);
    if (!li) return;
    const node = itemOf(li);
    const hadFocus = li.contains(document.activeElement);
    clearTimeout(timers.get(String(data.id)));
    const replies = q(":scope > .comment-replies", li);
    const parent = li.parentElement.closest(".comment");
    if (replies && replies.children.length) {
      // The replies keep their place under a withdrawn first comment.
      li.classList.add("is-withdrawn");
      for (const child of [...li.children]) if (child !== replies) child.remove();
      li.prepend(el("p", "comment-withdrawn", "Comment withdrawn"));
    } else {
      li.remove();
      // A withdrawn first comment whose last reply went goes too.
      if (parent && parent.classList.contains("is-withdrawn") && !q(".comment", parent)) parent.remove();
    }
    refreshCount(node);
    if (hadFocus) {
      const summary = q("[data-comments] > summary", node);
      if (summary) summary.focus();
    }
  }

  // --- forms: new comment, reply, edit, delete ---------------------------------------------------

  function sendComment(form, payload, done) {
    const submit = form.querySelector('[type="submit"]');
    submit.disabled = true;
    if (!ctx.isOpen()) ctx.say("Not connected: this will be sent as soon as the connection is back.", "notice");
    ctx
      .send("comment.create", payload)
      .then((comment) => {
        addComment(comment, { announce: false });
        done(comment);
      })
      .catch(ctx.sayError)
      .finally(() => (submit.disabled = false));
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("[data-comment-form]")) {
      event.preventDefault();
      const item = Number(form.dataset.targetItem);
      const body = form.elements.body.value.trim();
      if (!body) return;
      sendComment(form, { item, body, parent: null }, () => {
        form.reset();
        mentions.close(form.elements.body);
      });
    } else if (form.matches("[data-reply-form]")) {
      event.preventDefault();
      const li = form.closest(".comment");
      const body = form.elements.body.value.trim();
      if (!body) return;
      const item = Number(itemOf(li).dataset.item);
      sendComment(form, { item, body, parent: Number(li.dataset.commentId) }, (comment) => {
        form.remove();
        const posted = commentNode(comment.id);
        const focus = posted && q("[data-comment-action]", posted);
        (focus || q('[data-comment-action="reply"]', li))?.focus();
      });
    } else if (form.matches("[data-comment-editor]")) {
      event.preventDefault();
      const li = form.closest(".comment");
      const body = form.elements.body.value.trim();
      if (!body) return ctx.say("A comment needs some text (or delete it).", "error");
      const save = form.querySelector('[type="submit"]');
      save.disabled = true;
      ctx
        .send("comment.edit", { comment: Number(li.dataset.commentId), body })
        .then((comment) => {
          showEdited(comment);
          q('[data-comment-action="edit"]', li)?.focus();
        })
        .catch(ctx.sayError)
        .finally(() => (save.disabled = false));
    }
  });

  function openReply(li) {
    let form = q(":scope > [data-reply-form]", li);
    if (!form) {
      const id = `reply-${li.dataset.commentId}`;
      form = el("form", "tool-form reply-form");
      form.dataset.replyForm = "";
      const label = el("label", "tool-label", "Your reply");
      label.htmlFor = id;
      const field = el("div", "mention-field");
      field.dataset.mentionField = "";
      const text = el("textarea");
      text.id = id;
      text.name = "body";
      text.rows = 2;
      text.required = true;
      text.maxLength = 5000;
      field.append(text);
      const post = el("button", "button primary small", "Post reply");
      post.type = "submit";
      const cancel = el("button", "button quiet small", "Cancel");
      cancel.type = "button";
      cancel.dataset.commentAction = "cancel-reply";
      const row = el("div", "comment-form-actions");
      row.append(post, cancel);
      form.append(label, field, row);
      li.insertBefore(form, q(":scope > .comment-replies", li));
    }
    q("textarea", form).focus();
  }

  function openEditor(li) {
    if (q(":scope > [data-comment-editor]", li)) return q(":scope > [data-comment-editor] textarea", li).focus();
    const body = q(":scope > .comment-body", li);
    const id = `edit-${li.dataset.commentId}`;
    const form = el("form", "tool-form comment-editor");
    form.dataset.commentEditor = "";
    const label = el("label", "tool-label", "Edit your comment");
    label.htmlFor = id;
    const text = el("textarea");
    text.id = id;
    text.name = "body";
    text.rows = 3;
    text.required = true;
    text.maxLength = 5000;
    text.value = body.innerText.replace(/\r\n/g, "\n");
    const save = el("button", "button primary small", "Save");
    save.type = "submit";
    const cancel = el("button", "button quiet small", "Cancel");
    cancel.type = "button";
    cancel.dataset.commentAction = "cancel-edit";
    const row = el("div", "comment-form-actions");
    row.append(save, cancel);
    form.append(label, text, row);
    body.hidden = true;
    q(":scope > .comment-actions", li).hidden = true;
    li.insertBefore(form, q(":scope > .comment-actions", li));
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }

  function closeEditor(li) {
    q(":scope > [data-comment-editor]", li)?.remove();
    q(":scope > .comment-body", li).hidden = false;
    const actions = q(":scope > .comment-actions", li);
    if (actions) actions.hidden = false;
    q('[data-comment-action="edit"]', li)?.focus();
  }

  function askDelete(li) {
    if (q(":scope > [data-comment-confirm]", li)) return;
    const box = el("div", "comment-confirm");
    box.dataset.commentConfirm = "";
    box.setAttribute("role", "group");
    const question = el("p", "comment-confirm-text", "Delete this comment? Everyone will stop seeing it.");
    question.id = `confirm-${li.dataset.commentId}`;
    box.setAttribute("aria-labelledby", question.id);
    const yes = el("button", "button danger small", "Delete comment");
    yes.type = "button";
    yes.dataset.commentAction = "confirm-delete";
    const no = el("button", "button quiet small", "Keep it");
    no.type = "button";
    no.dataset.commentAction = "cancel-delete";
    box.append(question, yes, no);
    const actions = q(":scope > .comment-actions", li);
    actions.hidden = true;
    actions.after(box);
    no.focus();
  }

  function cancelDelete(li) {
    q(":scope > [data-comment-confirm]", li)?.remove();
    const actions = q(":scope > .comment-actions", li);
    if (actions) actions.hidden = false;
    q('[data-comment-action="delete"]', li)?.focus();
  }

  function confirmDelete(li, yes) {
    yes.disabled = true;
    ctx
      .send("comment.delete", { comment: Number(li.dataset.commentId) })
      .then((comment) => {
        showDeleted(comment);
        ctx.say("Your comment was deleted.");
      })
      .catch((error) => {
        ctx.sayError(error);
        yes.disabled = false;
      });
  }

  document.addEventListener("click", (event) => {
    const action = event.target.closest("[data-comment-action]");
    if (!action) return;
    const li = action.closest(".comment");
    switch (action.dataset.commentAction) {
      case "reply":
        openReply(li);
        break;
      case "cancel-reply":
        q(":scope > [data-reply-form]", li)?.remove();
        q('[data-comment-action="reply"]', li)?.focus();
        break;
      case "edit":
        openEditor(li);
        break;
      case "cancel-edit":
        closeEditor(li);
        break;
      case "delete":
        askDelete(li);
        break;
      case "cancel-delete":
        cancelDelete(li);
        break;
      case "confirm-delete":
        confirmDelete(li, action);
        break;
      default:
        break;
    }
  });

  // --- @mention suggestions ------------------------------------------------------------------------
  // The text box keeps the focus (it is the textbox of an ARIA combobox-like pattern: aria-autocomplete,
  // aria-controls, aria-activedescendant); the suggestions are a listbox under it.

  const mentions = (() => {
    const cache = new Map(); // url?q -> Promise of [{username, name}]
    let seq = 0;
    let debounce = null;

    function urlFor(box) {
      const form = box.closest("form");
      const itemForm = form.matches("[data-comment-form]") ? form : formOf(itemOf(form));
      return itemForm ? itemForm.dataset.mentions : null;
    }

    function listFor(box) {
      const field = box.closest("[data-mention-field]");
      let list = q(":scope > [data-mention-list]", field);
      if (!list) {
        list = el("ul", "mention-list");
        list.dataset.mentionList = "";
        list.id = `${box.id}-people`;
        list.setAttribute("role", "listbox");
        list.setAttribute("aria-label", "People to mention");
        list.hidden = true;
        const status = el("p", "visually-hidden");
        status.dataset.mentionStatus = "";
        status.setAttribute("aria-live", "polite");
        field.append(list, status);
        box.setAttribute("aria-autocomplete", "list");
        box.setAttribute("aria-controls", list.id);
        box.setAttribute("autocomplete", "off");
      }
      return list;
    }

    function wanted(box) {
      const before = box.value.slice(0, box.selectionStart);
      const match = MENTION_AT_CARET.exec(before);
      return match && box.selectionStart === box.selectionEnd ? match[1] : null;
    }

    function fetchPeople(url, query) {
      const key = `${url}?${query}`;
      if (!cache.has(key)) {
        const asked = fetch(`${url}?q=${encodeURIComponent(query)}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        }).then((response) => (response.ok ? response.json() : []));
        asked.catch(() => cache.delete(key));
        cache.set(key, asked);
      }
      return cache.get(key);
    }

    function update(box) {
      const query = wanted(box);
      const url = urlFor(box);
      if (query === null || !url) return close(box);
      clearTimeout(debounce);
      const mine = ++seq;
      debounce = setTimeout(() => {
        fetchPeople(url, query)
          .then((people) => mine === seq && show(box, people))
          .catch(() => close(box));
      }, 120);
    }

    function show(box, people) {
      const list = listFor(box);
      const status = q("[data-mention-status]", list.parentElement);
      list.replaceChildren(
        ...people.map((person, i) => {
          const option = el("li", "mention-option");
          option.id = `${list.id}-${i}`;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", "false");
          option.dataset.username = person.username;
          option.append(el("span", "mention-name", person.name), " ", el("span", "mention-username", `@${person.username}`));
          return option;
        }),
      );
      if (!people.length) {
        list.hidden = true;
        box.removeAttribute("aria-activedescendant");
        status.textContent = "Nobody who can see this item matches.";
        return;
      }
      list.hidden = false;
      select(box, 0);
      status.textContent = `${people.length === 1 ? "1 person" : `${people.length} people`} suggested. Up and down arrows to choose, Enter to mention.`;
    }

    function select(box, index) {
      const list = listFor(box);
      const options = qa('[role="option"]', list);
      if (!options.length) return;
      const at = (index + options.length) % options.length;
      options.forEach((option, i) => option.setAttribute("aria-selected", String(i === at)));
      box.setAttribute("aria-activedescendant", options[at].id);
      options[at].scrollIntoView({ block: "nearest" });
    }

    function choose(box, option) {
      const before = box.value.slice(0, box.selectionStart);
      const after = box.value.slice(box.selectionEnd);
      const at = before.lastIndexOf("@");
      const text = `${before.slice(0, at)}@${option.dataset.username} `;
      box.value = text + after.replace(/^[\w.+-]+/, "").replace(/^ /, "");
      box.setSelectionRange(text.length, text.length);
      close(box);
      box.focus();
    }

    function close(box) {
      clearTimeout(debounce);
      seq += 1;
      const field = box && box.closest("[data-mention-field]");
      const list = field && q(":scope > [data-mention-list]", field);
      if (!list) return;
      list.hidden = true;
      list.replaceChildren();
      box.removeAttribute("aria-activedescendant");
    }

    const isBox = (node) => node instanceof HTMLTextAreaElement && node.closest("[data-mention-field]");

    document.addEventListener("input", (event) => isBox(event.target) && update(event.target));
    document.addEventListener("keydown", (event) => {
      const box = event.target;
      if (!isBox(box)) return;
      const list = q(":scope > [data-mention-list]", box.closest("[data-mention-field]"));
      if (!list || list.hidden) return;
      const options = qa('[role="option"]', list);
      const current = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        select(box, current + (event.key === "ArrowDown" ? 1 : -1));
      } else if ((event.key === "Enter" || event.key === "Tab") && current >= 0 && !event.shiftKey) {
        event.preventDefault();
        choose(box, options[current]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close(box);
      }
    });
    // A tap or click on a suggestion: keep the focus in the text box, then choose.
    document.addEventListener("pointerdown", (event) => {
      if (event.target.closest("[data-mention-list]")) event.preventDefault();
    });
    document.addEventListener("click", (event) => {
      const option = event.target.closest('[data-mention-list] [role="option"]');
      if (!option) return;
      const box = q("textarea", option.closest("[data-mention-field]"));
      choose(box, option);
    });
    document.addEventListener("focusout", (event) => {
      if (!isBox(event.target)) return;
      // Leaving the box (not for the list) closes the suggestions.
      setTimeout(() => document.activeElement !== event.target && close(event.target), 150);
    });
    return { close };
  })();

  // --- on load: nest the replies of a flat list, and add the buttons ---------------------------------

  function arrange() {
    for (const list of qa("[data-comment-list]")) {
      for (const reply of qa(":scope > .comment[data-parent]", list)) repliesOf(list, reply.dataset.parent).append(reply);
    }
    for (const li of qa("[data-comment-list] .comment")) decorate(li);
    for (const node of qa(".item[data-item]")) if (q("[data-comment-list]", node)) refreshCount(node);
  }
  arrange();

  return {
    onState() {},
    onEvent(type, data) {
      if (type === "comment.created") addComment(data, { announce: true });
      else if (type === "comment.edited") showEdited(data);
      else if (type === "comment.deleted") showDeleted(data);
      else if (type === "meeting.status") {
        // Forms go when the meeting closes (meeting-live.js hides [data-when]); so do the buttons.
        setTimeout(() => {
          for (const li of qa("[data-comment-list] .comment")) decorate(li);
          if (data.status !== "published" && data.status !== "live") {
            for (const form of qa("[data-reply-form], [data-comment-editor], [data-comment-confirm]")) form.remove();
            for (const node of qa(".comment > .comment-body")) node.hidden = false;
          }
        });
      }
    },
  };
}
