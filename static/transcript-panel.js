// The live transcript on the participant page, shown if the participant asks for it (kept in
// localStorage), so that a remote participant needs one tab, not two. It reads the frames the
// page already receives: committed lines, corrections, and the line being typed (`live` frames
// and caption stations' open lines), as the viewer shows them. Screen readers hear committed
// lines through the same announcer and budget as on the viewer (announcer.js), only while the
// transcript is shown and never the backlog.

import { Announcer } from "./announcer.js";
import { Transcript, cleanText, el } from "./transcript.js";
import { store } from "./client.js";
import { t } from "./i18n.js";

const KEY = "plenary:participant-transcript";
// The panel keeps the latest lines; the whole record is on the viewer and in the exports.
const KEEP = 300;

export class TranscriptPanel {
  /** `caughtUp()`: whether the backlog is in (nothing is announced before). */
  constructor({ toggle, body, scroller, list, live, announce }, caughtUp) {
    Object.assign(this, { toggle, body, scroller, list, live, caughtUp });
    this.transcript = new Transcript();
    this.rows = new Map();
    this.liveLines = new Map();
    this.announcer = new Announcer(announce);
    toggle.checked = store.get(KEY, false) === true;
    body.hidden = !toggle.checked;
    toggle.addEventListener("change", () => {
      store.set(KEY, toggle.checked);
      body.hidden = !toggle.checked;
      if (toggle.checked) this.scroller.scrollTop = this.scroller.scrollHeight;
    });
  }

  /** Any frame the page received (recorded or not). */
  frame(frame) {
    if (frame.type === "live" && frame.data && Array.isArray(frame.data.lines)) {
      for (const line of frame.data.lines) this.setLive(String(line.by), cleanText(String(line.text ?? "")));
      return;
    }
    const change = this.transcript.apply(frame);
    if (!change) return;
    const announce = this.caughtUp() && !this.body.hidden;
    if (announce) this.announcer.release();
    else this.announcer.hold();
    if (change.added) {
      this.follow(() => this.add(change.line));
      if (change.line.by) this.setLive(String(change.line.by), "");
      if (announce) this.announcer.line(change.line);
    } else if (change.corrected) {
      for (const line of change.lines || [change.line]) {
        const old = this.rows.get(line.seq);
        if (!old) continue;
        const row = this.row(line);
        old.replaceWith(row);
        this.rows.set(line.seq, row);
      }
      // A corrected text is read out; a new attribution is shown, not read.
      if (announce && !change.reattributed) this.announcer.corrected(change.line);
    } else if (change.open) {
      this.setLive(change.open.by, cleanText(change.open.text));
    }
  }

  row(line) {
    const li = el("li", { class: "line" });
    if (line.speaker) li.append(el("span", { class: "speaker" }, line.speaker), el("span", { class: "sep" }, ": "));
    li.append(el("span", { class: "text" }, line.text));
    if (line.corrected) li.append(" ", el("span", { class: "corrected-mark", title: t("Was: {text}", { text: line.was }) }, t("(corrected)")));
    return li;
  }

  add(line) {
    const li = this.row(line);
    this.rows.set(line.seq, li);
    this.list.append(li);
    while (this.rows.size > KEEP) {
      const [oldest] = this.rows.keys();
      this.rows.get(oldest).remove();
      this.rows.delete(oldest);
      this.transcript.lines.delete(oldest);
    }
  }

  setLive(by, text) {
    let node = this.liveLines.get(by);
    if (!text) {
      if (node) node.remove();
      this.liveLines.delete(by);
      return;
    }
    if (!node) {
      node = el("p", { class: "live-line" });
      node.append(el("span", { class: "live-tag" }, t("typing")), el("span", { class: "live-text" }));
      this.liveLines.set(by, node);
      this.live.append(node);
    }
    this.follow(() => { node.lastChild.textContent = text; });
  }

  /** Keep following the end unless the reader scrolled up. */
  follow(change) {
    const l = this.scroller;
    const atEnd = l.scrollHeight - l.scrollTop - l.clientHeight < 24;
    change();
    if (atEnd) l.scrollTop = l.scrollHeight;
  }
}
