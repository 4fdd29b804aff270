// Irreversible acts ask first: a form with data-confirm="…" submits only after the person
// agrees to that question. Loaded on every page; works for forms added later (htmx) too.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
