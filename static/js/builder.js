// Agenda builder: drag items by their handle to reorder them (touch, pen or mouse).
// Without this script the Up / Down / In / Out buttons do the same, one step at a time.

const list = document.getElementById("builder-list");
const status = document.getElementById("reorder-status");

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function say(text) {
  if (status) status.textContent = text;
}

// An item with the sub-items that follow it: they move together.
function blockOf(li) {
  const block = [li];
  if (li.classList.contains("sub")) return block;
  let next = li.nextElementSibling;
  while (next && next.classList.contains("sub")) {
    block.push(next);
    next = next.nextElementSibling;
  }
  return block;
}

function currentOrder() {
  let parent = null;
  return Array.from(list.children).map((li) => {
    if (!li.classList.contains("sub")) parent = Number(li.dataset.id);
    return { id: Number(li.dataset.id), parent: li.classList.contains("sub") ? parent : null };
  });
}

async function save(before) {
  say("Saving the new order…");
  try {
    const response = await fetch(list.dataset.reorderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ order: currentOrder() }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || "The order could not be saved.");
    for (const entry of body.items) {
      const li = document.getElementById(`item-${entry.id}`);
      const num = li && li.querySelector(".num");
      if (num) num.textContent = entry.number;
    }
    say("Order saved. The agenda was renumbered.");
  } catch (error) {
    before.forEach((li) => list.appendChild(li));
    say(`${error.message} The previous order is back.`);
  }
}

function startDrag(handle, event) {
  const li = handle.closest("li");
  const block = blockOf(li);
  const before = Array.from(list.children);
  const sub = li.classList.contains("sub");
  block.forEach((el) => el.classList.add("dragging"));
  // Listen on the document, not the handle: moving the item in the list would drop a pointer
  // capture held by its handle.
  const pointer = event.pointerId;
  let moved = false;

  function onMove(moveEvent) {
    if (moveEvent.pointerId !== pointer) return;
    moveEvent.preventDefault();
    const over = document.elementFromPoint(moveEvent.clientX, moveEvent.clientY);
    let target = over && over.closest("#builder-list > li");
    if (!target || block.includes(target)) return;
    if (sub) {
      // A sub-item moves among the sub-items (and past the main items) around it.
      const rect = target.getBoundingClientRect();
      const after = moveEvent.clientY > rect.top + rect.height / 2;
      if (!target.classList.contains("sub") && !after) return;
      list.insertBefore(li, after ? target.nextElementSibling : target);
    } else {
      // A main item moves before or after another main item's whole block.
      if (target.classList.contains("sub")) {
        while (target && target.classList.contains("sub")) target = target.previousElementSibling;
        if (!target || block.includes(target)) return;
      }
      const rect = target.getBoundingClientRect();
      const after = moveEvent.clientY > rect.top + rect.height / 2;
      const anchor = after ? blockOf(target).at(-1).nextElementSibling : target;
      block.forEach((el) => list.insertBefore(el, anchor));
    }
    moved = true;
  }

  function onUp(upEvent) {
    if (upEvent.pointerId !== pointer) return;
    document.removeEventListener("pointermove", onMove);
    document.removeEventListener("pointerup", onUp);
    document.removeEventListener("pointercancel", onUp);
    block.forEach((el) => el.classList.remove("dragging"));
    const changed = moved && before.some((el, i) => list.children[i] !== el);
    if (changed) save(before);
  }

  document.addEventListener("pointermove", onMove, { passive: false });
  document.addEventListener("pointerup", onUp);
  document.addEventListener("pointercancel", onUp);
}

if (list) {
  list.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".drag-handle");
    if (!handle) return;
    event.preventDefault();
    startDrag(handle, event);
  });
  // The handle is for pointers; keyboard users have the move buttons beside it.
  list.querySelectorAll(".drag-handle").forEach((handle) => handle.setAttribute("tabindex", "-1"));
}
