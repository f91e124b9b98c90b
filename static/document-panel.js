// The console's rolling-document card: the room's documents as the server projects them
// (GET /api/m/{meeting}/{room}/documents, read again whenever a doc.* event arrives), and the
// commands that change them (docs/chair.md, "doc.*"). In the plenary it is the whole document;
// in a group's room, the group's share.
//
// Nothing here decides anything: every change is a command the server decides against the
// record as it is, with the `rev` of the proposal as shown here, so an edit made on a version
// someone else has changed since is refused with what the proposal says now.
// Everything anyone typed is inserted as text, never as markup.

import { downloadFile, h } from "./floor-view.js";
import { PROPOSAL_KINDS, PROPOSAL_STATUSES } from "./floor-state.js";
import { formatList, serverMessage, t, tn } from "./i18n.js";

// Many doc.* events arrive together (an import, an endorsement): the state is read once after.
const REFRESH_DELAY_MS = 150;

const TASK_STATES = {
  "": t("with the group"),
  endorsed: t("its version was endorsed"),
  taken_up: t("its version was taken up proposal by proposal"),
  withdrawn: t("set aside"),
};

function button(text, onClick, attrs = {}) {
  const b = h("button", { type: "button", ...attrs }, text);
  b.addEventListener("click", onClick);
  return b;
}

function select(attrs, entries, value) {
  const s = h("select", attrs, ...entries.map(([v, label]) => h("option", { value: v }, label)));
  s.value = value;
  return s;
}

export class DocumentPanel {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root        where the card's content goes
   * @param {HTMLElement} o.message     a status line for what happened or was refused
   * @param {(method, path, body?, type?) => Promise<object>} o.api   the meeting's HTTP API
   * @param {(op, args, done?) => Promise<object|null>} o.command     a room command
   * @param {() => object} o.context    {meeting, room, home, canEdit, canRun, isChair, groups}
   */
  constructor({ root, message, api, command, context }) {
    this.root = root;
    this.message = message;
    this.api = api;
    this.command = command;
    this.context = context;
    this.state = { docs: [], current: null };
    this.seq = -1;
    this.chosen = null; // the document shown, when there are several
    this.editing = null; // {id, mode: "text" | "split" | "merge"} of the proposal being edited
    this.drafts = new Map(); // what was typed in an editor, kept across redraws
    this.timer = null;
  }

  say(text, isError = false) {
    this.message.textContent = text;
    this.message.classList.toggle("error", isError);
  }

  /** Frames applied to the room's projection: read the documents again if one changed them. */
  frames(frames) {
    if (!frames.some((f) => f.type === "welcome" || (f.type.startsWith("doc.") && f.seq > this.seq))) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  async refresh() {
    const { room } = this.context();
    if (!room) return;
    try {
      const data = await this.api("GET", `/${encodeURIComponent(room)}/documents`);
      if (data.room !== this.context().room) return; // the console moved to another room meanwhile
      this.state = data;
      this.seq = data.seq;
    } catch (err) {
      this.say(err.message, true);
    }
    this.render();
  }

  doc() {
    const docs = this.state.docs || [];
    return docs.find((d) => d.doc === this.chosen) || docs[docs.length - 1] || null;
  }

  async run(op, args, done) {
    const answer = await this.command(op, { doc: this.doc()?.doc, ...args });
    if (!answer) return false;
    if (answer.type === "error") {
      this.say(serverMessage(answer, t("Refused.")), true);
      return false;
    }
    if (done) this.say(done);
    return true;
  }

  // -- drawing -------------------------------------------------------------------------------
  /** True while someone is typing in the card: redrawing then would replace the field under
   * their caret. The card is redrawn when the typing is over (focus leaves the card, or the
   * editor is closed). */
  typing() {
    const active = document.activeElement;
    if (!active || !this.root.contains(active)) return false;
    return active.tagName === "TEXTAREA" || (active.tagName === "INPUT" && active.type !== "file");
  }

  render() {
    if (this.typing()) {
      if (!this.waiting) {
        this.waiting = true;
        const later = (ev) => {
          if (ev.relatedTarget && this.root.contains(ev.relatedTarget)) return;
          this.root.removeEventListener("focusout", later);
          this.waiting = false;
          this.render();
        };
        this.root.addEventListener("focusout", later);
      }
      return;
    }
    const ctx = this.context();
    const doc = this.doc();
    const keep = this.focusKeeper();
    const parts = [];
    const docs = this.state.docs || [];
    if (docs.length > 1) {
      const choose = select({ id: "doc-select", "aria-label": t("Document") },
        docs.map((d) => [String(d.doc), d.title]), String(doc.doc));
      choose.addEventListener("change", () => {
        this.chosen = Number(choose.value);
        this.render();
      });
      parts.push(h("div", { class: "row" }, h("label", { for: "doc-select" }, t("Document")), choose));
    }
    if (!doc) {
      parts.push(h("p", { class: "muted" }, ctx.home
        ? t("No rolling document yet.")
        : t("This room has no share of a rolling document.")));
      this.root.replaceChildren(...parts);
      keep();
      return;
    }
    parts.push(h("p", {}, h("strong", {}, doc.title), doc.description ? ` — ${doc.description}` : "",
      doc.posted ? h("span", { class: "muted" }, ` ${t("(posted {date})", { date: doc.posted })}`) : null));
    if (doc.share) {
      const share = doc.share.task
        ? t("This group's share of the document: {task}.", { task: doc.share.task })
        : t("This group's share of the document.");
      parts.push(h("p", { class: "muted" }, `${share} ${doc.share.reported
        ? t("It has been reported back.") : t("The group's report sends it back to the plenary.")}`));
    }
    parts.push(this.currentRow(ctx));
    parts.push(this.exportsRow(ctx, doc));
    if (ctx.home && doc.tasks.length) parts.push(this.tasksList(ctx, doc));
    if (ctx.home && ctx.isChair) parts.push(this.taskForm(ctx, doc));
    for (const c of doc.categories) parts.push(this.category(ctx, doc, c));
    if (ctx.canEdit && !(doc.share && doc.share.reported)) parts.push(this.addForm(doc));
    this.root.replaceChildren(...parts);
    keep();
  }

  /** Keep focus (and the caret) where the chair was when another change redraws the card. */
  focusKeeper() {
    const active = document.activeElement;
    const id = active && this.root.contains(active) ? active.id : "";
    return () => {
      const again = id ? document.getElementById(id) : null;
      if (again) again.focus();
    };
  }

  currentRow(ctx) {
    const cur = this.state.current;
    const row = h("div", { class: "row doc-current" });
    row.append(h("span", {}, h("span", { class: "muted" }, `${t("Under discussion here:")} `),
      cur ? h("strong", {}, cur.proposal) : t("none")));
    if (cur && ctx.canRun) {
      row.append(button(t("None under discussion"), () => this.run("doc.current", { proposal: null }, t("No proposal is under discussion."))));
    }
    return row;
  }

  exportsRow(ctx, doc) {
    const path = (fmt, view) => `/api/m/${encodeURIComponent(ctx.meeting)}/documents/${doc.doc}.${fmt}${view ? "?view=text" : ""}`;
    const dl = (label, fmt, view) => button(label, () => downloadFile(path(fmt, view),
      `${ctx.meeting}-document-${doc.doc}${view ? "-text" : ""}.${fmt}`).catch((err) => this.say(err.message, true)));
    return h("div", { class: "row" }, h("span", { class: "muted" }, `${t("Download:")} `),
      dl(t("Word, with history"), "docx", false), dl(t("HTML"), "html", false), dl(t("Markdown"), "md", false),
      dl(t("Current text only (Word)"), "docx", true));
  }

  tasksList(ctx, doc) {
    const ul = h("ul", { class: "doc-tasks", "aria-label": t("Shares sent to groups") });
    for (const task of doc.tasks) {
      const state = task.ended ? TASK_STATES[task.ended] : task.returned ? t("its version is back") : TASK_STATES[""];
      const categories = tn("category {letters}", "categories {letters}", task.categories.length, { letters: formatList(task.categories) });
      const li = h("li", {}, h("strong", {}, task.name), ` — ${categories}`,
        task.task ? h("span", { class: "muted" }, ` (${task.task})`) : null, `: ${state}.`);
      if (!task.ended && ctx.isChair) {
        const actions = h("div", { class: "row" });
        if (task.returned) {
          actions.append(button(t("Endorse its version"), () => this.run("doc.endorse", { room: task.room }, t("The plenary endorsed {group}'s version.", { group: task.name })),
            { "aria-label": t("Endorse the version of {group}", { group: task.name }) }));
          for (const pid of task.pending) {
            actions.append(button(t("Take up {proposal}", { proposal: pid }), () => this.run("doc.take_up", { room: task.room, proposal: pid }, t("{group}'s version of {proposal} is taken up.", { group: task.name, proposal: pid })),
              { "aria-label": t("Take up {group}'s version of {proposal}", { group: task.name, proposal: pid }) }));
          }
        }
        actions.append(button(task.returned ? t("Set it aside") : t("Withdraw the task"), () => this.run("doc.withdraw_task", { room: task.room }, t("{group}'s share is set aside.", { group: task.name }))));
        li.append(actions);
      }
      ul.append(li);
    }
    return h("div", {}, h("h3", {}, t("Groups")), ul);
  }

  taskForm(ctx, doc) {
    const groups = ctx.groups.filter((r) => r.status === "open");
    const form = h("form", { class: "doc-task-form" });
    if (!groups.length) return h("p", { class: "muted" }, t("Open a break-out group to send it a share of the document."));
    const room = select({ id: "task-room" }, groups.map((r) => [r.id, r.name]), groups[0].id);
    const boxes = doc.categories.map((c) => h("label", { class: "check" },
      h("input", { type: "checkbox", value: c.letter, name: "task-category" }), ` ${c.letter}`));
    const what = h("input", { id: "task-what", maxlength: "300", class: "grow", autocomplete: "off",
      value: this.drafts.get("task-what") || t("to separate the draft recommendations from the statements") });
    what.addEventListener("input", () => this.drafts.set("task-what", what.value));
    form.append(h("h3", {}, t("Send a share to a group")),
      h("div", { class: "row" }, h("label", { for: "task-room" }, t("Group")), room,
        h("fieldset", { class: "inline" }, h("legend", {}, t("Categories")), ...boxes)),
      h("div", { class: "row" }, h("label", { for: "task-what" }, t("Task")), what,
        h("button", { type: "submit" }, t("Send the share"))));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const categories = [...form.querySelectorAll('input[name="task-category"]:checked')].map((b) => b.value);
      if (!categories.length) return this.say(t("Tick the categories the group is tasked with."), true);
      await this.run("doc.task", { room: room.value, categories, task: what.value }, t("The share is sent."));
    });
    return form;
  }

  category(ctx, doc, c) {
    const mine = doc.proposals.filter((p) => p.category === c.letter);
    const ol = h("ol", { class: "proposals", "aria-label": t("Category {letter}", { letter: c.letter }) });
    for (const p of mine) ol.append(this.proposal(ctx, doc, p));
    if (!mine.length) ol.append(h("li", { class: "muted" }, t("No proposals.")));
    return h("section", { class: "doc-category", "aria-labelledby": `cat-${c.letter}` },
      h("h3", { id: `cat-${c.letter}` }, `${c.letter}. ${c.title}`), ol);
  }

  locked(doc, p) {
    return (doc.tasks || []).find((t) => !t.ended
      && ((!t.returned && (t.categories.includes(p.category) || t.proposals.includes(p.proposal)))
        || (t.returned && t.pending.includes(p.proposal)))) || null;
  }

  proposal(ctx, doc, p) {
    const cur = this.state.current;
    const here = cur && cur.doc === doc.doc && cur.proposal === p.proposal;
    const li = h("li", { class: `proposal${here ? " current" : ""}${p.merged_into ? " retired" : ""}`, "data-proposal": p.proposal });
    const meta = p.merged_into
      ? t("merged into {proposal}", { proposal: p.merged_into })
      : `${PROPOSAL_KINDS[p.kind] || p.kind} · ${PROPOSAL_STATUSES[p.status] || p.status}`;
    const lock = this.locked(doc, p);
    li.append(h("p", { class: "proposal-head" }, h("strong", {}, p.proposal), " ", h("span", { class: "muted" }, meta),
      here ? h("strong", {}, ` — ${t("under discussion")}`) : null,
      lock ? h("span", { class: "tag" }, ` ${t("with {name}", { name: lock.name })}`) : null));
    if (!p.merged_into) li.append(h("p", { class: "proposal-text" }, p.text));
    if (p.submitted_by.length) li.append(h("p", { class: "muted" }, t("Submitted by: {names}", { names: p.submitted_by.map((s) => s.name).join("; ") })));
    if (p.merged_into || lock || (doc.share && doc.share.reported)) return li;
    const actions = h("div", { class: "row" });
    if (ctx.canRun && !here) {
      actions.append(button(t("Under discussion"), () => this.run("doc.current", { proposal: p.proposal }, t("{proposal} is under discussion.", { proposal: p.proposal })),
        { "aria-label": t("Put {proposal} under discussion", { proposal: p.proposal }) }));
    }
    if (ctx.canEdit) {
      const status = select({ id: `status-${p.proposal}`, "aria-label": t("Status of {proposal}", { proposal: p.proposal }) },
        Object.entries(PROPOSAL_STATUSES), p.status);
      status.addEventListener("change", () => this.run("doc.status", { proposal: p.proposal, status: status.value },
        t("{proposal}: {status}.", { proposal: p.proposal, status: PROPOSAL_STATUSES[status.value] })));
      const kind = select({ id: `kind-${p.proposal}`, "aria-label": t("Kind of {proposal}", { proposal: p.proposal }) },
        Object.entries(PROPOSAL_KINDS), p.kind);
      kind.addEventListener("change", () => this.run("doc.kind", { proposal: p.proposal, kind: kind.value },
        t("{proposal} is a {kind}.", { proposal: p.proposal, kind: PROPOSAL_KINDS[kind.value] })));
      const move = select({ id: `move-${p.proposal}`, "aria-label": t("Category of {proposal}", { proposal: p.proposal }) },
        doc.categories.map((c) => [c.letter, t("Category {letter}", { letter: c.letter })]), p.category);
      move.addEventListener("change", () => this.run("doc.move", { proposal: p.proposal, category: move.value, rev: p.rev },
        t("{proposal} is under category {letter}.", { proposal: p.proposal, letter: move.value })));
      actions.append(status, kind, move,
        button(t("Edit text"), () => this.edit(p, "text"), { id: `edit-text-${p.proposal}`, "aria-label": t("Edit the text of {proposal}", { proposal: p.proposal }) }),
        button(t("Split"), () => this.edit(p, "split"), { "aria-label": t("Split {proposal}", { proposal: p.proposal }) }),
        button(t("Merge"), () => this.edit(p, "merge"), { "aria-label": t("Merge another proposal into {proposal}", { proposal: p.proposal }) }));
    }
    if (actions.childElementCount) li.append(actions);
    if (this.editing && this.editing.id === p.proposal) li.append(this.editor(doc, p));
    return li;
  }

  edit(p, mode) {
    this.editing = { id: p.proposal, mode };
    this.drafts.delete(`edit-${p.proposal}`);
    this.render();
    const box = document.getElementById(`edit-${p.proposal}`);
    if (box) box.focus();
  }

  editor(doc, p) {
    const { mode } = this.editing;
    const key = `edit-${p.proposal}`;
    const others = doc.proposals.filter((q) => !q.merged_into && q.proposal !== p.proposal && !this.locked(doc, q));
    const initial = mode === "split" ? `${p.text}\n\n` : p.text;
    const area = h("textarea", { id: key, rows: mode === "text" ? "3" : "5", class: "grow", maxlength: "4000",
      "aria-label": mode === "split" ? t("The parts of {proposal}, separated by an empty line", { proposal: p.proposal }) : t("Text of {proposal}", { proposal: p.proposal }) });
    area.value = this.drafts.has(key) ? this.drafts.get(key) : initial;
    area.addEventListener("input", () => this.drafts.set(key, area.value));
    const done = () => {
      this.editing = null;
      this.drafts.delete(key);
      if (document.activeElement instanceof HTMLElement && this.root.contains(document.activeElement)) {
        document.activeElement.blur(); // the typing is over: the card may be redrawn
      }
      this.render();
      // Keyboard users land back on the proposal they edited.
      const back = document.getElementById(`edit-text-${p.proposal}`);
      if (back) back.focus();
    };
    const box = h("div", { class: "doc-editor" });
    let other = null;
    if (mode === "merge") {
      if (!others.length) return h("p", { class: "muted" }, t("No other proposal can be merged into it now."));
      other = select({ id: `merge-${p.proposal}`, "aria-label": t("The proposal to merge into {proposal}", { proposal: p.proposal }) },
        others.map((q) => [q.proposal, q.proposal]), others[0].proposal);
      box.append(h("div", { class: "row" }, h("label", { for: `merge-${p.proposal}` }, t("Merge")), other,
        h("span", { class: "muted" }, t("into {proposal}; its text becomes:", { proposal: p.proposal }))));
    } else if (mode === "split") {
      box.append(h("p", { class: "muted" }, t("One part per paragraph, with an empty line between them. The first keeps the id {proposal}; the others get new ids.", { proposal: p.proposal })));
    }
    const save = async () => {
      let ok = false;
      if (mode === "text") {
        ok = await this.run("doc.revise", { proposal: p.proposal, text: area.value, rev: p.rev }, t("{proposal} is revised.", { proposal: p.proposal }));
      } else if (mode === "split") {
        const parts = area.value.split(/\n\s*\n/).map((t) => t.trim()).filter(Boolean);
        if (parts.length < 2) return this.say(t("Write at least two parts, with an empty line between them."), true);
        ok = await this.run("doc.split", { proposal: p.proposal, parts, rev: p.rev }, t("{proposal} is split.", { proposal: p.proposal }));
      } else {
        const q = others.find((x) => x.proposal === other.value);
        ok = await this.run("doc.merge", { proposals: [p.proposal, other.value], text: area.value,
          revs: { [p.proposal]: p.rev, [other.value]: q ? q.rev : undefined } }, t("{other} is merged into {proposal}.", { other: other.value, proposal: p.proposal }));
      }
      if (ok) done();
    };
    box.append(area, h("div", { class: "row" },
      button(mode === "text" ? t("Save the text") : mode === "split" ? t("Split it") : t("Merge them"), save),
      button(t("Cancel"), done)));
    return box;
  }

  addForm(doc) {
    const form = h("form", { class: "doc-add" });
    const category = select({ id: "new-proposal-category" }, doc.categories.map((c) => [c.letter, `${c.letter}. ${c.title}`]),
      this.drafts.get("new-proposal-category") || (doc.categories[0] ? doc.categories[0].letter : ""));
    category.addEventListener("change", () => this.drafts.set("new-proposal-category", category.value));
    const text = h("textarea", { id: "new-proposal-text", rows: "2", class: "grow", maxlength: "2000", required: true });
    text.value = this.drafts.get("new-proposal-text") || "";
    text.addEventListener("input", () => this.drafts.set("new-proposal-text", text.value));
    const by = h("input", { id: "new-proposal-by", maxlength: "400", autocomplete: "off", placeholder: t("Brazil; APC") });
    form.append(h("h3", {}, t("Add a proposal")),
      h("div", { class: "row" }, h("label", { for: "new-proposal-category" }, t("Category")), category,
        h("label", { for: "new-proposal-by" }, t("Submitted by")), by),
      h("div", { class: "row" }, h("label", { for: "new-proposal-text" }, t("Text")), text,
        h("button", { type: "submit" }, t("Add it"))));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const submitted = by.value.split(";").map((s) => s.trim()).filter(Boolean);
      const ok = await this.run("doc.propose", { category: category.value, text: text.value, submitted_by: submitted }, t("The proposal is added."));
      if (ok) {
        this.drafts.delete("new-proposal-text");
        text.value = "";
        by.value = "";
      }
    });
    return form;
  }
}
