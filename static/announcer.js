// What a screen reader hears of the transcript: committed lines, read from a polite live region
// of their own, within a budget a listener can follow.
//
// - Nothing is read while the backlog arrives (opening the page mid-meeting, or catching up
//   after a reconnect): the page calls `hold()` until it has caught up, then `release()`.
// - The first line after a quiet spell is read at once. Lines committed within the next
//   WINDOW_MS are gathered and read together, as one announcement, when the window closes
//   (the speaker's name only where it changes). So a listener hears at most one announcement
//   every WINDOW_MS however fast captioning software sends lines: in any 10 seconds, at most
//   1 + 10 / 2 = 6 announcements. Nothing committed is left out.
// - A correction is read as "Corrected: …", in the same budget.
// - What someone is typing is never given to it (the live line is outside any live region).
//
// The list of lines itself is not a live region: the reader reads it on demand, as a list.

import { t } from "./i18n.js";

export const WINDOW_MS = 2000;
// Announcements already read are removed after a while: the region stays small.
const KEEP = 5;

export class Announcer {
  constructor(region, windowMs = WINDOW_MS) {
    this.region = region;
    this.windowMs = windowMs;
    this.held = true;
    this.pending = []; // texts gathered in the current window
    this.lastSpeaker = null;
    this.timer = null; // the open window, if any
  }

  hold() {
    this.held = true;
    this.pending = [];
  }

  release() {
    this.held = false;
  }

  line(line) {
    if (this.held) return;
    const speaker = line.speaker || "";
    const prefix = speaker && speaker !== this.lastSpeaker ? `${speaker}: ` : "";
    this.lastSpeaker = speaker || this.lastSpeaker;
    this.push(`${prefix}${line.text}`);
  }

  corrected(line) {
    if (this.held) return;
    this.push(t("Corrected: {text}", { text: line.text }));
  }

  push(text) {
    this.pending.push(text);
    if (this.timer === null) {
      this.flush();
      this.timer = setTimeout(() => this.closeWindow(), this.windowMs);
    }
  }

  closeWindow() {
    this.timer = null;
    if (!this.pending.length) return;
    this.flush();
    this.timer = setTimeout(() => this.closeWindow(), this.windowMs);
  }

  flush() {
    if (!this.pending.length) return;
    const p = document.createElement("p");
    p.textContent = this.pending.join(" ");
    this.pending = [];
    this.region.append(p);
    while (this.region.children.length > KEEP) this.region.firstElementChild.remove();
  }
}
