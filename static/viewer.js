// The viewer page: follows one room's transcript live, for reading, searching and downloading.
//
// Committed lines go into a polite live region; the line being typed is shown apart from them
// and is never announced (screen readers would otherwise read every keystroke). Everything
// anyone typed is inserted as text, never as markup.

import { RoomConnection, State, roomFromPath, stateText, store } from "./client.js";
import { Announcer } from "./announcer.js";
import { RoomSwitcher } from "./rooms.js";
import { Transcript, cleanText, download, el } from "./transcript.js";
import { formatTime, t, tn } from "./i18n.js";
import { ChannelPane, FLOOR, fillMarked, pickChannel, rememberChannel } from "./channels.js";
import { findFolded } from "./fold.js";

// Within this many pixels of the end counts as "at the end": reading the last line while a
// new one arrives must not stop auto-scroll.
const FOLLOW_SLACK_PX = 32;
// Searching many thousand lines on every keystroke would make typing lag on a phone.
const SEARCH_DELAY_MS = 120;

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("meeting-title"),
  roomName: $("room-name"),
  conn: $("conn-state"),
  rooms: $("rooms"),
  roomList: $("room-list"),
  closed: $("room-closed"),
  fatal: $("fatal"),
  passForm: $("passcode-form"),
  passInput: $("passcode"),
  passWrong: $("passcode-wrong"),
  scroller: $("transcript"),
  lines: $("lines"),
  announce: $("announce"),
  empty: $("empty"),
  live: $("live"),
  back: $("back-to-live"),
  searchForm: $("search-form"),
  search: $("search"),
  searchPrev: $("search-prev"),
  searchFilter: $("search-filter"),
  searchStatus: $("search-status"),
  stage: $("stage"),
  channelTools: $("channel-tools"),
  channel: $("channel"),
  sideBySide: $("side-by-side"),
  floorTitle: $("floor-title"),
  channelPane: $("channel-pane"),
  channelTitle: $("channel-title"),
};

const where = roomFromPath();
const transcript = new Transcript();
const switcher = new RoomSwitcher(ui.rooms, ui.roomList,
  (r) => `/m/${encodeURIComponent(meeting.id)}/${encodeURIComponent(r.id)}`);
/** @type {Map<number, HTMLLIElement>} */
const rows = new Map();
/** @type {Map<string, HTMLElement>} live lines by captioner connection */
const liveLines = new Map();
let meeting = { id: where ? where.meeting : "", title: "", timezone: "UTC" };
let roomName = where ? where.room : "";
let following = true;
let lastAdded = null; // the line appended last, for grouping lines by speaker
// Search state: what is looked for (compared folded: static/fold.js), the seqs of matching
// lines in order, the index of the one shown.
let searchQuery = null;
let found = [];
let current = -1;
let searchTimer = null;

// -- connection -----------------------------------------------------------------------------
const STATE_TEXT = {
  [State.CONNECTING]: t("Connecting…"),
  [State.LIVE]: t("Live"),
  [State.RECONNECTING]: t("Reconnecting…"),
  [State.PASSCODE]: t("Passcode required"),
  [State.FAILED]: t("Not connected"),
};

const passKey = `plenary:passcode:${where ? where.meeting : ""}`;

function storedPasscode() {
  try {
    return sessionStorage.getItem(passKey);
  } catch {
    return null;
  }
}

const conn = where
  ? new RoomConnection(
      { meeting: where.meeting, room: where.room, passcode: storedPasscode() },
      {
        onState: showState,
        onWelcome: welcomed,
        onReset: clearTranscript,
        onEvent: recorded,
        onFrame: ephemeral,
        onBatch: afterBatch,
      },
    )
  : null;

function showState(state, detail) {
  ui.conn.dataset.state = state;
  ui.conn.textContent = stateText(STATE_TEXT[state] || state, conn);
  ui.conn.dataset.transport = conn ? conn.transport : "";
  if (state !== State.LIVE) clearLive();
  else for (const [by, open] of transcript.open) setLive(by, cleanText(open.text));
  ui.passForm.hidden = state !== State.PASSCODE;
  if (state === State.PASSCODE) {
    ui.passWrong.hidden = detail !== "wrong";
    ui.passInput.value = "";
    ui.passInput.focus();
  }
  ui.fatal.hidden = state !== State.FAILED;
  if (state === State.FAILED) ui.fatal.textContent = detail;
}

function welcomed(welcome) {
  meeting = { ...meeting, ...welcome.meeting };
  const rooms = Array.isArray(welcome.rooms) ? welcome.rooms : [];
  const here = rooms.find((r) => r.id === welcome.room);
  offerChannels(here && Array.isArray(here.channels) ? here.channels.map(String) : [FLOOR]);
  roomName = here ? here.name : welcome.room;
  ui.title.textContent = meeting.title || t("Live transcript");
  ui.roomName.textContent = roomName;
  document.title = `${roomName} — ${meeting.title || t("Live transcript")}`;
  ui.closed.hidden = welcome.open !== false;
  switcher.welcome(welcome);
  window.dispatchEvent(new CustomEvent("plenary:welcome", { detail: welcome }));
}

function recorded(frame) {
  const change = transcript.apply(frame);
  if (change && change.added) {
    addRow(change.line);
    if (conn.caughtUp) announcer.line(change.line);
    if (change.line.by) setLive(change.line.by, ""); // the typed line became this committed one
  } else if (change && change.corrected) {
    const changed = change.lines || [change.line];
    for (const line of changed) replaceRow(line);
    // The line after a re-attributed run may now show its speaker's name, or no longer.
    const after = rows.get(changed[changed.length - 1].seq)?.nextElementSibling;
    const next = after ? transcript.lines.get(Number(after.dataset.seq)) : undefined;
    if (change.reattributed && next) replaceRow(next);
    // A corrected text is read out ("Corrected: …"); a new attribution is shown, not read.
    if (conn.caughtUp && !change.reattributed) announcer.corrected(change.line);
  } else if (change && change.open) {
    setLive(change.open.by, cleanText(change.open.text)); // a caption station's open line

  } else if (frame.type === "room.closed" || frame.type === "room.opened") {
    ui.closed.hidden = frame.type === "room.opened";
  }
  switcher.frame(frame);
  window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
}

function ephemeral(frame) {
  if (frame.type === "live" && frame.data && Array.isArray(frame.data.lines)) {
    for (const line of frame.data.lines) setLive(String(line.by), String(line.text ?? ""));
  } else {
    switcher.frame(frame);
  }
  window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
}

// Committed lines are read from their own polite region, held until the backlog is in and
// gathered into few announcements when they come fast (announcer.js).
const announcer = new Announcer(ui.announce);

function afterBatch() {
  if (conn.caughtUp) announcer.release();
  else announcer.hold();
  ui.empty.hidden = transcript.lines.size > 0;
  stick();
}

// -- lines ------------------------------------------------------------------------------------
function renderRow(line, previous) {
  // Each line in its language, its direction from its own text (Arabic reads right to left).
  const li = el("li", {
    class: "line", id: `line-${line.seq}`, "data-seq": line.seq, lang: line.lang || null, dir: "auto",
  });
  // The time has its own direction ("2:05 PM" is not the line's text): dir="auto" skips it.
  li.append(el("time", { class: "ts", dir: "auto", datetime: new Date(line.ts).toISOString() },
    formatTime(line.ts, meeting.timezone)));
  if (line.speaker) {
    // A run of lines by one speaker shows the name once; screen readers still hear it.
    if (previous && previous.speaker === line.speaker) li.classList.add("same-speaker");
    // The name is isolated (bdi): the line takes its direction from its text, not the name.
    const speaker = el("bdi", { class: "speaker" });
    fillText(speaker, line.speaker);
    li.append(speaker, el("span", { class: "sep" }, ": "));
  }
  const text = el("span", { class: "text" });
  fillText(text, line.text);
  li.append(text);
  if (line.corrected) {
    li.classList.add("corrected");
    li.append(" ", el("span", { class: "corrected-mark", title: t("Was: {text}", { text: line.was }) }, t("(corrected)")));
  }
  if (line.reattributed) {
    // Said in words, not only by a style: who it was attributed to before is in the title.
    li.classList.add("corrected", "reattributed");
    const before = line.wasSpeaker ? t("Was attributed to {name}", { name: line.wasSpeaker }) : t("Was attributed to no speaker");
    li.append(" ", el("span", { class: "corrected-mark reattributed-mark", title: before }, t("(re-attributed)")));
  }
  if (searchQuery && matches(line)) li.classList.add("match");
  return li;
}

function addRow(line) {
  const li = renderRow(line, lastAdded);
  lastAdded = line;
  rows.set(line.seq, li);
  ui.lines.append(li);
  if (searchQuery && matches(line)) {
    found.push(line.seq);
    showSearchCount();
  }
}

function replaceRow(line) {
  const old = rows.get(line.seq);
  if (!old) return;
  const prevRow = old.previousElementSibling;
  const previous = prevRow ? transcript.lines.get(Number(prevRow.dataset.seq)) : null;
  const li = renderRow(line, previous);
  if (old.classList.contains("current-match")) li.classList.add("current-match");
  old.replaceWith(li);
  rows.set(line.seq, li);
  if (searchQuery) runSearch(false);
}

function clearTranscript() {
  transcript.clear();
  rows.clear();
  lastAdded = null;
  ui.lines.replaceChildren();
  found = [];
  current = -1;
  showSearchCount();
}

function setLive(by, text) {
  let node = liveLines.get(by);
  if (!text) {
    if (node) node.remove();
    liveLines.delete(by);
    return;
  }
  if (!node) {
    node = el("p", { class: "live-line" });
    node.append(el("span", { class: "live-tag" }, t("typing")), el("span", { class: "live-text" }));
    liveLines.set(by, node);
    ui.live.append(node);
  }
  node.lastChild.textContent = text;
  stick();
}

function clearLive() {
  liveLines.clear();
  ui.live.replaceChildren();
}

// -- following the end ------------------------------------------------------------------------
// On a wide screen the transcript scrolls inside its own box under the tools; on a phone the
// whole page scrolls, so that the transcript gets the whole screen once the header is passed.
function scrollBox() {
  const overflow = getComputedStyle(ui.scroller).overflowY;
  return overflow === "auto" || overflow === "scroll" ? ui.scroller : document.scrollingElement;
}

function atEnd() {
  const s = scrollBox();
  return s.scrollHeight - s.scrollTop - s.clientHeight <= FOLLOW_SLACK_PX;
}

function stick() {
  if (!following) return;
  const s = scrollBox();
  s.scrollTop = s.scrollHeight;
}

function scrolled() {
  following = atEnd();
  ui.back.hidden = following;
}

ui.scroller.addEventListener("scroll", scrolled);
window.addEventListener("scroll", scrolled);
window.addEventListener("resize", stick);

ui.back.addEventListener("click", () => {
  following = true;
  ui.back.hidden = true;
  stick();
  ui.scroller.focus({ preventScroll: true });
});

document.addEventListener("plenary:display", () => stick());

// -- search -------------------------------------------------------------------------------------
function matches(line) {
  return findFolded(line.text, searchQuery).length > 0 || findFolded(line.speaker, searchQuery).length > 0;
}

function fillText(span, text) {
  fillMarked(span, text, searchQuery);
}

function runSearch(resetPosition = true) {
  const query = ui.search.value.trim();
  // Case and accents do not matter, in any script: "adebayo" finds "Adébáyọ̀".
  searchQuery = query || null;
  channelPane.search(query);
  const before = found.length && current >= 0 ? found[current] : null;
  found = [];
  for (const [seq, li] of rows) {
    const line = transcript.lines.get(seq);
    const hit = searchQuery !== null && matches(line);
    const had = li.classList.contains("match") || li.querySelector("mark") !== null;
    if (hit) found.push(seq);
    if (hit || had) {
      li.classList.toggle("match", hit);
      fillText(li.querySelector(".text"), line.text);
      const speaker = li.querySelector(".speaker");
      if (speaker) fillText(speaker, line.speaker);
    }
    if (!hit) li.classList.remove("current-match");
  }
  current = resetPosition ? -1 : found.indexOf(before);
  ui.lines.classList.toggle("filtering", ui.searchFilter.checked && searchQuery !== null);
  showSearchCount();
}

function showSearchCount() {
  if (searchQuery && ui.stage.dataset.view === "channel") {
    const n = channelPane.matchCount();
    ui.searchStatus.textContent = n === 0 ? t("No lines match") : tn("{n} line matches", "{n} lines match", n, { n });
    return;
  }
  if (!searchQuery) {
    ui.searchStatus.textContent = "";
  } else if (found.length === 0) {
    ui.searchStatus.textContent = t("No lines match");
  } else if (current >= 0) {
    ui.searchStatus.textContent = t("Match {current} of {count}", { current: current + 1, count: found.length });
  } else {
    ui.searchStatus.textContent = tn("{n} line matches", "{n} lines match", found.length);
  }
}

function goToMatch(step) {
  clearTimeout(searchTimer);
  if (searchTimer !== null) {
    searchTimer = null;
    runSearch();
  }
  if (ui.stage.dataset.view === "channel") {
    // The floor is not shown: go through the interpretation channel's matches.
    if (channelPane.goToMatch(step)) {
      following = false;
      channelPane.following = false;
    }
    return;
  }
  if (found.length === 0) return;
  const old = current >= 0 ? rows.get(found[current]) : null;
  if (old) old.classList.remove("current-match");
  current = current < 0 ? (step > 0 ? 0 : found.length - 1) : (current + step + found.length) % found.length;
  const li = rows.get(found[current]);
  li.classList.add("current-match");
  following = false;
  ui.back.hidden = false;
  li.scrollIntoView({ block: "center" });
  showSearchCount();
}

ui.search.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    searchTimer = null;
    runSearch();
  }, SEARCH_DELAY_MS);
});

ui.search.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.shiftKey) {
    event.preventDefault();
    goToMatch(-1);
  } else if (event.key === "Escape" && ui.search.value) {
    event.preventDefault();
    ui.search.value = "";
    runSearch();
  }
});

ui.searchForm.addEventListener("submit", (event) => {
  event.preventDefault();
  goToMatch(1);
});
ui.searchPrev.addEventListener("click", () => goToMatch(-1));
ui.searchFilter.addEventListener("change", () => runSearch(false));

document.addEventListener("keydown", (event) => {
  // "/" jumps to the search box, as on many reading sites, unless the reader is typing.
  const target = event.target;
  const typing = target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    ui.search.focus();
    ui.search.select();
  }
});

// -- menus ----------------------------------------------------------------------------------------
// The Display and Download menus close with Escape (focus back on their button) and as soon as
// focus leaves them, so an open menu is never left behind while the reader follows the text.
for (const menu of document.querySelectorAll("details.menu")) {
  menu.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !menu.open) return;
    event.preventDefault();
    menu.open = false;
    menu.querySelector("summary").focus();
  });
  menu.addEventListener("focusout", (event) => {
    if (event.relatedTarget instanceof Node && menu.contains(event.relatedTarget)) return;
    // A click on nothing focusable (the page's text) moves focus to <body>: close then too.
    menu.open = false;
  });
}

// -- caption channels --------------------------------------------------------------------------
// The floor connection above always runs (it carries the floor, the agenda and the rooms); an
// interpretation channel is followed by the channel pane, beside the floor or instead of it.
const channelPane = new ChannelPane({
  pane: ui.channelPane,
  list: $("channel-lines"),
  live: $("channel-live"),
  status: $("channel-status"),
  announce: $("channel-announce"),
  where: () => ({
    meeting: meeting.id,
    room: where ? where.room : "",
    timezone: meeting.timezone,
    passcode: storedPasscode(),
  }),
  onBatch: () => {
    if (searchQuery) showSearchCount();
  },
});
const sideKey = "plenary:side-by-side";
let channelsOffered = "";
let channelChosen = null;

function channelLabel(tag) {
  if (tag === FLOOR) return t("Floor (as spoken)");
  try {
    const names = new Intl.DisplayNames([document.documentElement.lang || "en"], { type: "language" });
    return `${names.of(tag)} (${tag})`;
  } catch {
    return tag;
  }
}

function offerChannels(channels) {
  const list = channels.includes(FLOOR) ? channels : [FLOOR, ...channels];
  if (list.join(" ") === channelsOffered) return;
  channelsOffered = list.join(" ");
  ui.channel.replaceChildren(...list.map((tag) => el("option", { value: tag }, channelLabel(tag))));
  ui.channelTools.hidden = list.length < 2;
  if (channelChosen === null || !list.includes(channelChosen)) {
    channelChosen = pickChannel(list, {
      meeting: meeting.id,
      link: new URLSearchParams(location.search).get("channel"),
      languages: navigator.languages || [navigator.language],
      meetingLanguage: meeting.language,
    });
  }
  ui.sideBySide.checked = store.get(sideKey, false) === true;
  showChannel();
}

function showChannel() {
  ui.channel.value = channelChosen;
  const interpreted = channelChosen !== FLOOR;
  const both = interpreted && ui.sideBySide.checked;
  ui.sideBySide.disabled = !interpreted;
  ui.stage.dataset.view = interpreted ? (both ? "both" : "channel") : "floor";
  // A screen reader hears the channel the reader chose, not two languages at once.
  ui.announce.setAttribute("aria-live", interpreted ? "off" : "polite");
  ui.channelPane.hidden = !interpreted;
  ui.floorTitle.hidden = !both;
  ui.channelTitle.textContent = interpreted ? channelLabel(channelChosen) : "";
  channelPane.follow(interpreted ? channelChosen : null);
  if (searchQuery) channelPane.search(searchQuery);
  showSearchCount();
  stick();
}

ui.channel.addEventListener("change", () => {
  channelChosen = ui.channel.value;
  rememberChannel(meeting.id, channelChosen);
  showChannel();
});
ui.sideBySide.addEventListener("change", () => {
  store.set(sideKey, ui.sideBySide.checked);
  showChannel();
});

// -- downloads ----------------------------------------------------------------------------------
// What the reader follows is what they download: the floor, or the interpretation channel
// shown instead of it.
function followed() {
  const interpreted = channelChosen !== null && channelChosen !== FLOOR && channelPane.held;
  return interpreted
    ? { transcript: channelPane.held.transcript, suffix: `-${channelChosen}`, name: `${roomName} — ${channelLabel(channelChosen)}` }
    : { transcript, suffix: "", name: roomName };
}

function fileBase() {
  return `${meeting.id}-${where ? where.room : "transcript"}${followed().suffix}`;
}

$("download-txt").addEventListener("click", () => {
  const { transcript: lines, name } = followed();
  const title = meeting.title ? `${meeting.title} — ${name}` : name;
  download(`${fileBase()}.txt`, lines.toText(title, meeting.timezone), "text/plain;charset=utf-8");
});

$("download-vtt").addEventListener("click", () => {
  download(`${fileBase()}.vtt`, followed().transcript.toWebVtt(), "text/vtt;charset=utf-8");
});

// -- passcode -----------------------------------------------------------------------------------
ui.passForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const passcode = ui.passInput.value;
  if (!passcode) return;
  try {
    // Kept for this tab only, so moving between rooms does not ask again.
    sessionStorage.setItem(passKey, passcode);
  } catch {
    /* asked again after a reload */
  }
  conn.setPasscode(passcode);
});

// -- start ---------------------------------------------------------------------------------------
if (conn) {
  conn.start();
} else {
  showState(State.FAILED, t("This address is not a transcript link: it should look like /m/MEETING/ROOM."));
}
