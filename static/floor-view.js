// The floor as everyone sees it: the current agenda item, who has the floor with a countdown,
// and who is waiting (by delegation). Fills <section id="floor-status"> on any page that
// dispatches the room's frames as window events: "plenary:welcome" (detail: the welcome) and
// "plenary:frame" (detail: any other frame). The viewer, the participant page and the chair's
// console all do; the console and the participant page import `floor` from here to share this
// one projection of the log.
//
// The countdown is computed from the events' server timestamps and the server's clock (sent
// in the welcome), so every page shows the same time left; between events it ticks locally.
// Everything anyone typed is inserted as text (textContent), never as markup.

import { FloorState, KIND_LABELS, PROPOSAL_KINDS, PROPOSAL_STATUSES, PresenceBook, clock, whoLabel } from "./floor-state.js";
import { formatNumber, t, tn } from "./i18n.js";

export const floor = new FloorState();
export const presence = new PresenceBook();

// How often the countdown is redrawn: often enough that seconds never skip visibly.
const TICK_MS = 250;
// Events older than this when they arrive are backlog being replayed, not news to announce.
const FRESH_MS = 10_000;

/** Create an element; attributes as strings, children as nodes or text (never parsed). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * Redraw part of a page with `draw()` without losing the keyboard focus. If an element inside
 * `container` had it, the element of the new drawing with the same `data-focus-key` gets it back;
 * if there is none (the thing is gone), `fallback()` says where focus goes next. Pages redraw on
 * every change and every presence heartbeat: without this, focus would fall to <body>.
 */
export function keepFocus(container, draw, fallback = null) {
  const active = document.activeElement;
  const inside = active instanceof HTMLElement && active !== container && container.contains(active);
  const key = inside ? active.dataset.focusKey : undefined;
  draw();
  if (!inside || container.contains(active)) return;
  const again = key ? container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`) : null;
  const target = again || (fallback ? fallback() : null);
  if (target) target.focus({ preventScroll: true });
}

const listeners = new Set();

/** Call `fn(frames)` after the projection changed, once per batch: the recorded events applied,
 * plus `{type: "welcome"}` after a (re)connect and `{type: "presence"}` for presence news. */
export function onFloor(fn) {
  listeners.add(fn);
}

let scheduled = false;
let changed = [];

function schedule(frame) {
  changed.push(frame);
  if (scheduled) return;
  scheduled = true;
  // A websocket message may carry hundreds of backlog events, each dispatched on its own:
  // draw once after all of them.
  queueMicrotask(() => {
    scheduled = false;
    const frames = changed;
    changed = [];
    render(frames);
    for (const fn of listeners) fn(frames);
  });
}

function frameOf(event) {
  const d = event.detail;
  if (typeof d === "string") {
    try {
      return JSON.parse(d);
    } catch {
      return null;
    }
  }
  return d && typeof d === "object" ? d : null;
}

let meetingId = "";

window.addEventListener("plenary:welcome", (event) => {
  const welcome = frameOf(event);
  if (!welcome) return;
  floor.welcome(welcome);
  if (welcome.meeting && typeof welcome.meeting.id === "string") meetingId = welcome.meeting.id;
  schedule({ type: "welcome" });
});

/** Headers for the meeting's HTTP API: the link's key (from the fragment) or the viewer
 * passcode this tab was given, if any. */
export function apiHeaders(meeting = meetingId) {
  const key = new URLSearchParams(location.hash.replace(/^#/, "")).get("key");
  if (key) return { authorization: `Bearer ${key}` };
  try {
    const passcode = sessionStorage.getItem(`plenary:passcode:${meeting}`);
    if (passcode) return { "x-plenary-passcode": passcode };
  } catch {
    /* no stored passcode */
  }
  return {};
}

/** Save a file the API serves, sending the headers a plain link cannot carry. */
export async function downloadFile(url, filename) {
  const res = await fetch(url, { headers: apiHeaders() });
  if (!res.ok) throw new Error(t("The server answered {status}.", { status: res.status }));
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = h("a", { href, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

window.addEventListener("plenary:frame", (event) => {
  const frame = frameOf(event);
  if (!frame) return;
  if (frame.type === "presence") {
    presence.update(frame.data);
    schedule({ type: "presence" });
  } else if (floor.apply(frame)) {
    schedule(frame);
  }
});

// -- the status section ---------------------------------------------------------------------
let ui = null;
let announcedFor = null; // the intervention whose clock state was last announced
let lastClockState = null;

function build(section) {
  section.classList.add("floor-status");
  const heading = section.querySelector("h2") || h("h2", { class: "visually-hidden" }, t("The floor"));
  const item = h("p", { class: "fs-item" });
  const speaker = h("p", { class: "fs-speaker" });
  const timer = h("p", { class: "fs-timer", role: "timer", "aria-live": "off", hidden: true });
  const queueTitle = h("h3", { class: "fs-queue-title", id: "fs-queue-title" });
  const queue = h("ol", { class: "fs-queue", "aria-labelledby": "fs-queue-title" });
  const closed = h("p", { class: "fs-closed", hidden: true });
  const announce = h("p", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
  const proposal = h("div", { class: "fs-proposal", hidden: true });
  const files = h("div", { class: "fs-files", hidden: true });
  const wrap = h("div", { class: "fs-grid" },
    h("div", { class: "fs-now" }, item, proposal, speaker, timer, files),
    h("div", { class: "fs-waiting" }, queueTitle, queue, closed));
  section.replaceChildren(heading, wrap, announce);
  return { section, item, speaker, timer, queueTitle, queue, closed, announce, proposal, files };
}

// -- the proposal under discussion, and the current item's files -----------------------------
/** "A.3" with its kind and status: "A.3 (recommendation, under discussion)". */
export function proposalLabel(p) {
  const kind = p.kind && p.kind !== "unsorted" ? `${PROPOSAL_KINDS[p.kind] || p.kind}, ` : "";
  return `${p.id} (${kind}${PROPOSAL_STATUSES[p.status] || p.status})`;
}

function renderProposal() {
  const p = floor.proposal;
  ui.proposal.hidden = !p;
  if (!p) {
    ui.proposal.replaceChildren();
    return;
  }
  ui.proposal.replaceChildren(
    h("p", { class: "fs-proposal-head" }, h("span", { class: "fs-label" }, `${t("Under discussion:")} `),
      h("strong", { class: "fs-proposal-id" }, p.id), " ",
      h("span", { class: "fs-proposal-meta" }, proposalLabel(p).slice(p.id.length + 1))),
    h("p", { class: "fs-proposal-text" }, p.text));
}

let filesFor = undefined; // the item whose files were fetched last
let files = [];

async function loadFiles(force = false) {
  const itemId = floor.item ? floor.item.id : null;
  if (!meetingId || (!force && itemId === filesFor)) return;
  filesFor = itemId;
  if (itemId === null) {
    files = [];
    renderFiles();
    return;
  }
  try {
    const res = await fetch(`/api/m/${encodeURIComponent(meetingId)}/agenda`, { headers: apiHeaders() });
    if (!res.ok) return;
    const agenda = await res.json();
    const item = (agenda.items || []).find((i) => i.item === itemId);
    files = item && Array.isArray(item.attachments) ? item.attachments : [];
  } catch {
    files = [];
  }
  renderFiles();
}

function sizeLabel(bytes) {
  if (bytes >= 1024 * 1024) return t("{size} MB", { size: formatNumber(bytes / 1024 / 1024, { maximumFractionDigits: 1 }) });
  return t("{size} KB", { size: Math.max(1, Math.round(bytes / 1024)) });
}

function renderFiles() {
  if (!ui) return;
  ui.files.hidden = files.length === 0;
  const list = h("ul", { class: "fs-file-list" });
  for (const f of files) {
    const url = `/api/m/${encodeURIComponent(meetingId)}/files/${encodeURIComponent(f.file)}`;
    const ext = f.filename.includes(".") ? f.filename.split(".").pop().toUpperCase() : t("file");
    const a = h("a", { href: url, download: f.filename }, f.title);
    a.addEventListener("click", (ev) => {
      // A plain link carries no key or passcode: fetch with them when the meeting needs one.
      if (Object.keys(apiHeaders()).length === 0) return;
      ev.preventDefault();
      downloadFile(url, f.filename).catch(() => {});
    });
    list.append(h("li", {}, a, h("span", { class: "muted" }, ` (${ext}, ${sizeLabel(f.size)})`)));
  }
  ui.files.replaceChildren(h("p", { class: "fs-label" }, t("Documents for this item:")), list);
}

/** What this page says itself and the floor view must not say again (the participant page
 * announces the person's own turn in its own words): `skip(text, frame)` returns true. */
export const speech = { skip: () => false };

function say(text) {
  if (!ui || !text) return;
  // Replacing the text of a live region makes screen readers read it once.
  ui.announce.textContent = "";
  setTimeout(() => {
    if (ui) ui.announce.textContent = text;
  }, 50);
}

function render(frames) {
  const section = document.getElementById("floor-status");
  if (!section) return;
  if (!ui || ui.section !== section) ui = build(section);
  section.hidden = false;

  ui.item.replaceChildren(h("span", { class: "fs-label" }, `${t("Agenda item:")} `),
    floor.item ? `${floor.item.number ? `${floor.item.number}. ` : ""}${floor.item.title}` : t("none announced"));
  renderProposal();
  const filesChanged = frames.some((f) => f.type === "agenda.attached" || f.type === "agenda.detached");
  loadFiles(filesChanged || frames.some((f) => f.type === "welcome"));

  const cur = floor.current;
  if (cur) {
    const kind = cur.kind !== "speak" ? h("span", { class: "fs-kind" }, ` — ${KIND_LABELS[cur.kind] || cur.kind}`) : null;
    ui.speaker.replaceChildren(h("span", { class: "fs-label" }, `${t("Has the floor:")} `),
      h("strong", { class: "fs-name" }, cur.who.name),
      // replaceChildren, unlike h(), would write a missing part out as the text "null".
      ...[cur.who.delegation ? h("span", { class: "fs-delegation" }, ` (${cur.who.delegation})`) : null, kind]
        .filter(Boolean));
  } else {
    ui.speaker.replaceChildren(h("span", { class: "fs-label" }, `${t("Has the floor:")} `),
      h("span", { class: "fs-nobody" }, t("nobody")));
  }
  tick();

  const n = floor.waiting.length;
  ui.queueTitle.textContent = n ? t("Waiting for the floor ({count})", { count: n }) : t("Nobody is waiting for the floor");
  ui.queue.replaceChildren(...floor.waiting.map((e) => h("li", { class: `fs-entry kind-${e.kind}` },
    h("span", { class: "fs-delegation-name" }, e.who.delegation || e.who.name),
    e.who.delegation ? h("span", { class: "fs-person" }, ` — ${e.who.name}`) : null,
    e.kind !== "speak" ? h("span", { class: "fs-kind" }, ` (${KIND_LABELS[e.kind] || e.kind})`) : null,
    e.about ? h("span", { class: "fs-kind" }, ` ${t("on {proposal}", { proposal: e.about.proposal })}`) : null)));
  // A long list scrolls in its box: then the box takes focus, so that keyboard users can scroll it.
  if (ui.queue.scrollHeight > ui.queue.clientHeight + 1) ui.queue.tabIndex = 0;
  else ui.queue.removeAttribute("tabindex");
  ui.closed.hidden = !floor.closed;
  ui.closed.textContent = floor.closed
    ? (floor.pooWhenClosed ? t("The list is closed (points of order are still taken).") : t("The list is closed."))
    : "";

  // What changed, said once in one polite announcement (news only, never the backlog).
  const news = [];
  for (const frame of frames) {
    if (typeof frame.ts !== "number" || floor.now() - frame.ts >= FRESH_MS) continue;
    let text = "";
    if (frame.type === "floor.granted" && cur && cur.id === frame.seq) {
      text = t("{name} has the floor.", { name: whoLabel(cur.who) });
    } else if (frame.type === "doc.current" && floor.proposal && floor.proposal.since === frame.ts) {
      text = t("Now under discussion: proposal {proposal}.", { proposal: floor.proposal.id });
    } else {
      text = CHANGE_TEXT[frame.type] ? CHANGE_TEXT[frame.type]() : "";
    }
    if (text && !speech.skip(text, frame) && !news.includes(text)) news.push(text);
  }
  say(news.join(" "));
}

// Functions, so that each message is a literal t() call the catalogue extractor finds.
const CHANGE_TEXT = {
  "floor.closed": () => t("The list of speakers is closed."),
  "floor.opened": () => t("The list of speakers is open again."),
  "floor.paused": () => t("The clock is paused."),
  "floor.resumed": () => t("The clock is running again."),
};

function tick() {
  if (!ui) return;
  const cur = floor.current;
  if (!cur) {
    ui.timer.hidden = true;
    ui.timer.textContent = "";
    announcedFor = null;
    return;
  }
  const c = clock(cur, floor.now());
  ui.timer.hidden = false;
  ui.timer.dataset.state = c.state;
  ui.timer.textContent = c.state === "paused" ? t("Paused — {time}", { time: c.text }) : c.text;
  if (announcedFor === cur.id && lastClockState !== c.state) {
    if (c.state === "warning") say(tn("{n} second left.", "{n} seconds left.", Math.ceil(c.remaining / 1000)));
    else if (c.state === "over") say(t("Speaking time is up."));
  }
  announcedFor = cur.id;
  lastClockState = c.state;
}

setInterval(tick, TICK_MS);

/**
 * Numbered commands over a RoomConnection, carried out exactly once: each has an `n` from a
 * counter kept for this tab, and the ones not yet answered are sent again after a reconnect
 * (the server acknowledges a repeat as a duplicate instead of doing it twice).
 */
export class Commands {
  constructor(conn, clientId) {
    this.conn = conn;
    this.key = `plenary:cmd-n:${clientId}`;
    this.pending = new Map(); // n -> {message, resolve}
  }

  nextN() {
    let n = 0;
    try {
      n = Number(sessionStorage.getItem(this.key) || "0") || 0;
    } catch {
      n = this.memoryN || 0;
    }
    n += 1;
    this.memoryN = n;
    try {
      sessionStorage.setItem(this.key, String(n));
    } catch {
      /* kept in memory */
    }
    return n;
  }

  /** Send a command; resolves with the ack, or with the error frame (never rejects). */
  send(op, args = {}) {
    const n = this.nextN();
    const message = { type: "cmd", n, op, args };
    return new Promise((resolve) => {
      this.pending.set(n, { message, resolve });
      this.conn.send(message);
    });
  }

  /** After a (re)connect: send what was not answered, in order. */
  resend() {
    for (const [, p] of [...this.pending].sort((a, b) => a[0] - b[0])) this.conn.send(p.message);
  }

  /** An ack or error frame; true if it answered one of our commands. */
  answer(frame) {
    const n = frame.type === "ack" ? frame.n : frame.n ?? frame.ref;
    const p = this.pending.get(n);
    if (!p) return false;
    this.pending.delete(n);
    p.resolve(frame);
    return true;
  }
}

let audio = null;

/** Allow sound: must run in a user gesture (a click) for browsers to let the page play it. */
export function unlockSound() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
  } catch {
    audio = null;
  }
}

/** A short two-tone beep, if sound was allowed. */
export function beep() {
  if (!audio || audio.state !== "running") return false;
  const t = audio.currentTime;
  for (const [i, freq] of [880, 1320].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + i * 0.18);
    gain.gain.exponentialRampToValueAtTime(0.3, t + i * 0.18 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.18 + 0.16);
    osc.connect(gain).connect(audio.destination);
    osc.start(t + i * 0.18);
    osc.stop(t + i * 0.18 + 0.17);
  }
  return true;
}

// The floor's own styles, for pages (like the viewer) that do not link them.
if (!document.querySelector('link[href="/static/floor.css"]')) {
  document.head.append(h("link", { rel: "stylesheet", href: "/static/floor.css" }));
}
