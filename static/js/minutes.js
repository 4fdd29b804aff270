// The secretary's minutes editor: a small rich-text box per agenda item, saved by itself.
// Each save carries the version it was edited from; if someone else saved in between the server
// answers 409 with both texts, autosave pauses for that item, and the secretary merges.
const AUTOSAVE_MS = 1500;
const RETRY_MS = 5000;

function csrfToken(form) {
  const input = form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

class MinuteEditor {
  constructor(form) {
    this.form = form;
    this.rich = form.querySelector("[data-rich]");
    this.body = form.querySelector("[data-body]");
    this.decisions = form.querySelector("[data-decisions]");
    this.version = form.querySelector("input[name=version]");
    this.state = form.querySelector("[data-save-state]");
    this.conflictBox = form.querySelector("[data-conflict]");
    this.timer = null;
    this.saving = false;
    this.dirty = false;
    this.paused = false;
    this.enhance();
  }

  enhance() {
    // With script, the contenteditable box replaces the plain textarea (which stays the form field).
    this.rich.hidden = false;
    this.form.querySelector("[data-toolbar]").hidden = false;
    this.body.hidden = true;
    const label = this.form.querySelector("[data-plain-label]");
    if (label) label.hidden = true;
    this.form.querySelectorAll("[data-command]").forEach((button) => {
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => {
        this.rich.focus();
        document.execCommand(button.dataset.command, false, null);
        this.changed();
      });
    });
    this.rich.addEventListener("input", () => this.changed());
    this.rich.addEventListener("blur", () => this.saveSoon(0));
    this.decisions.addEventListener("input", () => this.changed());
    this.decisions.addEventListener("blur", () => this.saveSoon(0));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.form.querySelector("[data-use-theirs]").addEventListener("click", () => this.useTheirs());
    this.form.querySelector("[data-keep-mine]").addEventListener("click", () => this.keepMine());
  }

  changed() {
    this.dirty = true;
    this.say("Not saved yet…");
    this.saveSoon(AUTOSAVE_MS);
  }

  saveSoon(delay) {
    if (!this.dirty || this.paused) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), delay);
  }

  say(text) {
    this.state.textContent = text;
  }

  async save() {
    if (this.saving) {
      this.saveSoon(AUTOSAVE_MS);
      return;
    }
    clearTimeout(this.timer);
    this.saving = true;
    this.dirty = false;
    this.body.value = this.rich.innerHTML;
    const data = new FormData(this.form);
    this.say("Saving…");
    let response;
    try {
      response = await fetch(this.form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken(this.form) },
        credentials: "same-origin",
      });
    } catch (error) {
      this.saving = false;
      this.dirty = true;
      this.say("Not saved: no connection. Trying again…");
      this.saveSoon(RETRY_MS);
      return;
    }
    this.saving = false;
    let answer;
    try {
      answer = await response.json();
    } catch {
      answer = { error: "The server's answer could not be read." };
    }
    if (response.ok) {
      this.version.value = answer.version;
      this.say(`Saved at ${answer.saved_at}`);
      if (this.dirty) this.saveSoon(AUTOSAVE_MS);
    } else if (response.status === 409 && answer.conflict) {
      this.showConflict(answer);
    } else {
      this.dirty = true;
      this.paused = true;
      this.say(`Not saved: ${answer.error || "the server refused the change"}`);
    }
  }

  showConflict(answer) {
    this.paused = true;
    this.dirty = true;
    this.theirs = answer;
    this.conflictBox.hidden = false;
    this.conflictBox.querySelector("[data-conflict-message]").textContent = answer.message;
    // Both texts came back through the server's sanitiser: the allowed tags only, no attributes.
    this.conflictBox.querySelector("[data-theirs]").innerHTML = answer.theirs || "<p>(empty)</p>";
    this.conflictBox.querySelector("[data-mine]").innerHTML = answer.mine || "<p>(empty)</p>";
    this.conflictBox.querySelector("[data-theirs-decisions]").textContent = answer.theirs_decisions
      ? `Their decisions: ${answer.theirs_decisions}`
      : "";
    this.say(`Not saved: ${answer.by} saved at ${answer.at}. Merge below.`);
  }

  useTheirs() {
    this.rich.innerHTML = this.theirs.theirs;
    this.decisions.value = this.theirs.theirs_decisions;
    this.resume();
    this.say("Their text is in the editor; add your changes and it saves by itself.");
  }

  keepMine() {
    this.resume();
    this.dirty = true;
    this.save();
  }

  resume() {
    this.version.value = this.theirs.version;
    this.conflictBox.hidden = true;
    this.paused = false;
  }
}

const editors = Array.from(document.querySelectorAll("[data-minute-form]"), (form) => new MinuteEditor(form));
window.addEventListener("beforeunload", (event) => {
  if (editors.some((editor) => editor.dirty || editor.saving)) {
    event.preventDefault();
  }
});
