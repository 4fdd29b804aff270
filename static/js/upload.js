// The builder's uploader: several files at once, dropped on an item or chosen, each with its own
// progress — the upload, then the server's check (conversion, OCR) until it is ready or refused.
// Without this script each item's form posts one file as a plain form.

const POLL_MS = 1500;

function csrfToken(form) {
  const input = form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function sizeText(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function row(list, file) {
  const li = document.createElement("li");
  li.className = "upload-row";
  const name = document.createElement("span");
  name.className = "upload-name";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Upload of ${file.name}`);
  const state = document.createElement("span");
  state.className = "upload-state";
  state.textContent = `Waiting · ${sizeText(file.size)}`;
  li.append(name, bar, state);
  list.append(li);
  return { li, name, bar, state };
}

function send(form, file, title, view) {
  return new Promise((resolve) => {
    const body = new FormData();
    body.append("file", file);
    if (title) body.append("title", title);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((event.loaded / event.total) * 100);
      view.bar.value = percent;
      view.state.textContent = `Uploading ${percent}%`;
    });
    xhr.addEventListener("load", () => {
      let data;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = { error: `The server answered ${xhr.status}.` };
      }
      resolve(xhr.status === 201 ? data : { error: data.error || `The server answered ${xhr.status}.` });
    });
    xhr.addEventListener("error", () => resolve({ error: "The upload was cut off: check the connection and try again." }));
    xhr.send(body);
  });
}

function show(view, data) {
  view.li.dataset.status = data.status || "error";
  if (data.title) view.name.textContent = data.title;
  if (data.error) {
    view.state.textContent = data.error;
    view.li.classList.add("refused");
  } else if (data.status === "processing") {
    view.bar.removeAttribute("value"); // indeterminate while the server checks it
    view.state.textContent = "Checking…";
  } else if (data.status === "ready") {
    view.bar.value = 100;
    view.state.textContent = `Ready · ${data.pages} page${data.pages === 1 ? "" : "s"}${data.ocr === "done" ? " · text recognised" : ""}`;
  } else if (data.status === "refused") {
    view.bar.value = 0;
    view.state.textContent = `Refused: ${data.reason}`;
    view.li.classList.add("refused");
  }
}

async function follow(view, data) {
  show(view, data);
  while (data.status === "processing") {
    await new Promise((done) => setTimeout(done, POLL_MS));
    try {
      const response = await fetch(data.status_url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.ok) data = await response.json();
    } catch {
      /* offline for a moment: the check carries on at the server; ask again */
    }
    show(view, data);
  }
}

async function uploadAll(form, files) {
  const list = form.parentElement.querySelector(".upload-list") || form.insertAdjacentElement("afterend", Object.assign(document.createElement("ul"), { className: "upload-list" }));
  list.setAttribute("aria-live", "polite");
  const titleInput = form.querySelector("input[name=title]");
  const title = files.length === 1 && titleInput ? titleInput.value.trim() : "";
  const views = files.map((file) => row(list, file));
  // One at a time: the server checks each in the background while the next one uploads.
  const following = [];
  for (let i = 0; i < files.length; i += 1) {
    const data = await send(form, files[i], title, views[i]);
    following.push(follow(views[i], data));
  }
  await Promise.all(following);
  if (titleInput) titleInput.value = "";
  let done = form.parentElement.querySelector(".upload-done");
  if (!done) {
    done = document.createElement("button");
    done.type = "button";
    done.className = "button secondary small upload-done";
    done.textContent = "Show them in the agenda";
    done.addEventListener("click", () => window.location.reload());
    list.insertAdjacentElement("afterend", done);
  }
}

function enhance(form) {
  const input = form.querySelector("input[type=file]");
  if (!input) return;
  input.multiple = true;
  const zone = form.closest(".paper-add") || form;
  zone.classList.add("drop-zone");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const files = Array.from(input.files || []);
    if (!files.length) return;
    input.value = "";
    uploadAll(form, files);
  });
  input.addEventListener("change", () => {
    const files = Array.from(input.files || []);
    if (files.length > 1) {
      input.value = "";
      uploadAll(form, files);
    }
  });
  for (const kind of ["dragenter", "dragover"]) {
    zone.addEventListener(kind, (event) => {
      if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes("Files")) return;
      event.preventDefault();
      zone.classList.add("dragging");
      if (zone.tagName === "DETAILS") zone.open = true;
    });
  }
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (event) => {
    zone.classList.remove("dragging");
    const files = Array.from((event.dataTransfer && event.dataTransfer.files) || []);
    if (!files.length) return;
    event.preventDefault();
    uploadAll(form, files);
  });
}

for (const form of document.querySelectorAll("form.paper-upload")) enhance(form);
