// Caption channels on the viewer page: which channel a reader follows, and the pane that follows
// an interpretation channel beside (or instead of) the floor.
//
// A room's floor channel is what is said in the room; its interpretation channels (`fr`, `es` …)
// are what interpreters say, each a log of its own with its own seq (docs/protocol.md). The page
// always follows the floor (it carries who has the floor, the agenda and the rooms); a reader who
// picks an interpretation channel gets a second connection for it. Each channel keeps its own
// transcript and cursor here, in one place: switching away and back resumes it exactly from the
// last seq it holds, with no gap and no repeat.

import { Announcer } from "./announcer.js";
import { RoomConnection, State, store } from "./client.js";
import { findFolded } from "./fold.js";
import { formatTime, t } from "./i18n.js";
import { Transcript, cleanText, el } from "./transcript.js";

export const FLOOR = "floor";

// Within this many pixels of the end counts as "at the end" (as the floor pane).
const FOLLOW_SLACK_PX = 32;

function primary(tag) {
  return String(tag).toLowerCase().split("-")[0];
}

/** The tag of `channels` a language tag belongs to (`fr-CA` → `fr`), or null. */
export function matchChannel(channels, lang) {
  if (!lang) return null;
  const exact = channels.find((c) => c.toLowerCase() === String(lang).toLowerCase());
  return exact || channels.find((c) => c !== FLOOR && primary(c) === primary(lang)) || null;
}

const choiceKey = (meeting) => `plenary:channel:${meeting}`;

/**
 * The channel to follow: the link's (`?channel=fr`), else the reader's own choice kept from an
 * earlier visit, else the first of the browser's languages that a channel is in (a browser in
 * the meeting's own language stays on the floor), else the floor.
 */
export function pickChannel(channels, { meeting, link, languages, meetingLanguage }) {
  const offered = channels.includes(FLOOR) ? channels : [FLOOR, ...channels];
  const fromLink = link === FLOOR ? FLOOR : matchChannel(offered, link);
  if (fromLink) return fromLink;
  const chosen = store.get(choiceKey(meeting));
  if (typeof chosen === "string" && offered.includes(chosen)) return chosen;
  for (const lang of languages || []) {
    if (meetingLanguage && primary(lang) === primary(meetingLanguage)) return FLOOR;
    const found = matchChannel(offered, lang);
    if (found) return found;
  }
  return FLOOR;
}

/** Keep the reader's choice of channel for their next visit to this meeting. */
export function rememberChannel(meeting, channel) {
  store.set(choiceKey(meeting), channel);
}

/** Text into `span`, the folded matches of `query` marked (text nodes only, never markup). */
export function fillMarked(span, text, query) {
  if (!query) {
    span.textContent = text;
    return 0;
  }
  const parts = [];
  let at = 0;
  const hits = findFolded(text, query);
  for (const [start, end] of hits) {
    if (start > at) parts.push(document.createTextNode(text.slice(at, start)));
    parts.push(el("mark", {}, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) parts.push(document.createTextNode(text.slice(at)));
  span.replaceChildren(...parts);
  return hits.length;
}

/** A line as a list item: its language and `dir="auto"`, so Arabic or Hebrew reads right to
 * left inside any page and a screen reader speaks it in its language. */
export function lineItem(line, { timezone, fallbackLang, previous, query }) {
  const li = el("li", {
    class: "line",
    "data-seq": line.seq,
    lang: line.lang || fallbackLang || null,
    dir: "auto",
  });
  // The time has its own direction ("2:05 PM" is not the line's text): dir="auto" skips it.
  li.append(el("time", { class: "ts", dir: "auto", datetime: new Date(line.ts).toISOString() },
    formatTime(line.ts, timezone)));
  if (line.speaker) {
    if (previous && previous.speaker === line.speaker) li.classList.add("same-speaker");
    // The name is isolated (bdi): the line takes its direction from its text, not the name.
    const speaker = el("bdi", { class: "speaker" });
    fillMarked(speaker, line.speaker, query);
    li.append(speaker, el("span", { class: "sep" }, ": "));
  }
  const text = el("span", { class: "text" });
  const hits = fillMarked(text, line.text, query);
  li.append(text);
  if (line.corrected) {
    li.classList.add("corrected");
    li.append(" ", el("span", { class: "corrected-mark", title: t("Was: {text}", { text: line.was }) }, t("(corrected)")));
  }
  if (hits) li.classList.add("match");
  return li;
}

/** The pane that follows one interpretation channel of the room at a time. */
export class ChannelPane {
  /**
   * @param {object} options
   * @param {HTMLElement} options.pane      the scrolling box
   * @param {HTMLOListElement} options.list the lines
   * @param {HTMLElement} options.live      the lines being typed (never announced)
   * @param {HTMLElement} options.status    the connection's state, as text
   * @param {HTMLElement} [options.announce] the channel's own polite region: its committed lines
   *   are read from it within the budget of announcer.js, never during a backlog
   * @param {() => {meeting: string, room: string, timezone: string, passcode: string|null}} options.where
   * @param {() => void} [options.onBatch] after the lines changed
   */
  constructor(options) {
    Object.assign(this, options);
    /** @type {Map<string, {transcript: Transcript, lastSeq: number}>} each channel's own */
    this.channels = new Map();
    this.channel = null;
    this.conn = null;
    this.query = "";
    this.lastAdded = null;
    this.liveLines = new Map();
    this.announcer = options.announce ? new Announcer(options.announce) : null;
    this.pane.addEventListener("scroll", () => {
      this.following = this.atEnd();
    });
    this.following = true;
  }

  /** Follow `channel` (a tag), or nothing with null. The channel left keeps its transcript and
   * cursor; coming back to it resumes from there. */
  follow(channel) {
    if (channel === this.channel) return;
    this.leave();
    this.channel = channel;
    this.announcer?.hold(); // until this channel's backlog is in
    if (channel === null) return;
    if (this.announce) this.announce.lang = channel;
    let held = this.channels.get(channel);
    if (!held) {
      held = { transcript: new Transcript(), lastSeq: 0 };
      this.channels.set(channel, held);
    }
    this.held = held;
    this.redraw();
    const where = this.where();
    const conn = new RoomConnection(
      { meeting: where.meeting, room: where.room, passcode: where.passcode, hello: () => ({ channel }) },
      {
        onState: (state) => this.showState(state),
        onReset: () => {
          held.transcript.clear();
          this.redraw();
        },
        onEvent: (frame) => this.recorded(frame),
        onFrame: (frame) => this.ephemeral(frame),
        onBatch: () => {
          held.lastSeq = conn.lastSeq;
          held.epoch = conn.epoch;
          if (conn.caughtUp) this.announcer?.release();
          else this.announcer?.hold();
          this.stick();
          this.onBatch?.();
        },
      },
    );
    conn.lastSeq = held.lastSeq; // resume this channel exactly where it was left
    conn.epoch = held.epoch; // in the record (epoch) that position counts in
    this.conn = conn;
    conn.start();
  }

  leave() {
    if (this.conn) {
      this.held.lastSeq = this.conn.lastSeq;
      this.held.epoch = this.conn.epoch;
      this.conn.stop();
    }
    this.conn = null;
    this.channel = null;
    this.clearLive();
  }

  showState(state) {
    this.status.textContent = state === State.LIVE ? "" : state === State.FAILED ? t("Not connected") : t("Connecting…");
    this.status.hidden = state === State.LIVE;
    if (state !== State.LIVE) this.clearLive();
  }

  redraw() {
    this.lastAdded = null;
    this.list.replaceChildren();
    for (const line of this.held.transcript.lines.values()) this.add(line);
    this.stick();
  }

  add(line) {
    const li = lineItem(line, {
      timezone: this.where().timezone,
      fallbackLang: this.channel,
      previous: this.lastAdded,
      query: this.query,
    });
    this.lastAdded = line;
    this.list.append(li);
  }

  recorded(frame) {
    const change = this.held.transcript.apply(frame);
    if (change && change.added) {
      this.add(change.line);
      if (this.conn?.caughtUp) this.announcer?.line(change.line);
      if (change.line.by) this.setLive(change.line.by, "");
    } else if (change && change.corrected) {
      this.redraw();
      if (this.conn?.caughtUp && !change.reattributed) this.announcer?.corrected(change.line);
    } else if (change && change.open) {
      this.setLive(change.open.by, cleanText(change.open.text));
    }
  }

  ephemeral(frame) {
    if (frame.type === "live" && frame.data && Array.isArray(frame.data.lines)) {
      for (const line of frame.data.lines) this.setLive(String(line.by), String(line.text ?? ""));
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
      node = el("p", { class: "live-line", lang: this.channel, dir: "auto" });
      node.append(el("span", { class: "live-tag" }, t("typing")), el("span", { class: "live-text" }));
      this.liveLines.set(by, node);
      this.live.append(node);
    }
    node.lastChild.textContent = text;
    this.stick();
  }

  clearLive() {
    this.liveLines.clear();
    this.live.replaceChildren();
  }

  /** Mark the lines that hold `query` (folded); the number of lines that match. */
  search(query) {
    if (query === this.query) return this.matchCount();
    this.query = query;
    if (this.channel !== null) this.redraw();
    return this.matchCount();
  }

  matchCount() {
    return this.list.querySelectorAll(".line.match").length;
  }

  /** Show the next (or, with a negative step, the previous) matching line; false if none. */
  goToMatch(step) {
    const found = [...this.list.querySelectorAll(".line.match")];
    if (!found.length) return false;
    const at = found.findIndex((li) => li.classList.contains("current-match"));
    if (at >= 0) found[at].classList.remove("current-match");
    const next = at < 0 ? (step > 0 ? 0 : found.length - 1) : (at + step + found.length) % found.length;
    found[next].classList.add("current-match");
    this.following = false;
    found[next].scrollIntoView({ block: "center" });
    return true;
  }

  atEnd() {
    const s = this.pane;
    return s.scrollHeight - s.scrollTop - s.clientHeight <= FOLLOW_SLACK_PX;
  }

  stick() {
    if (this.following) this.pane.scrollTop = this.pane.scrollHeight;
  }
}
