// The captioner page: type what is said; every keystroke goes out as the live line, Enter records
// it. Lines and corrections are kept in localStorage until the server acknowledges them and are
// sent exactly once, whatever happens to the connection or the page (see caption-queue.js).
//
// The floor is shown as on the viewer (floor-view.js fills <section id="floor-status">), and the
// speaker label follows it: when someone is given the floor the label becomes their name, so the
// lines are attributed to their intervention (the server attributes a line whose label is empty
// or exactly the floor holder's name), and a label that was their name is cleared when the
// intervention ends. A label the captioner typed during the current intervention (the chair
// interjecting) is left alone.

import { CommandQueue, claimSlot, toMessage } from "./caption-queue.js";
import { RoomConnection, State, fragmentParam, roomFromPath, stateText, store } from "./client.js";
import { whoLabel } from "./floor-state.js";
import { floor, onFloor } from "./floor-view.js";
import { Transcript, charLength, cleanText, el } from "./transcript.js";
import { formatTime, serverMessage, t } from "./i18n.js";

// Keystrokes are sent at most this often (the server shows the live line ten times a second
// anyway); a burst of typing or a paste becomes one message, well under the server's rate limit.
const LIVE_SEND_MS = 40;
// An acknowledgement takes milliseconds; none after this long means the connection is stuck, so
// reconnect and send the command again (the server records it once).
const ACK_TIMEOUT_MS = 10000;
// After "unavailable, retry" the record is having trouble: give it a moment.
const RETRY_MS = 1000;
// Recorded lines listed for checking and correcting. Older ones are in the viewer and exports.
const RECENT_LINES = 200;
// Speaker labels offered for reuse.
const RECENT_SPEAKERS = 40;
// As server/limits.py MAX_LINE_CHARS.
const MAX_LINE_CHARS = 4000;
// Server messages kept on screen.
const MAX_MESSAGES = 20;

const NAME_KEY = "plenary:captioner-name";
const SPEAKERS_KEY = "plenary:speakers";

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("meeting-title"),
  roomName: $("room-name"),
  conn: $("conn-state"),
  closed: $("room-closed"),
  fatal: $("fatal"),
  notKept: $("not-kept"),
  nameForm: $("name-form"),
  nameMain: $("name-main"),
  skip: $("skip"),
  nameInput: $("name"),
  main: $("main"),
  myName: $("my-name"),
  changeName: $("change-name"),
  speaker: $("speaker"),
  speakers: $("speakers"),
  useFloor: $("use-floor"),
  floorHint: $("floor-hint"),
  draft: $("draft"),
  others: $("others"),
  pending: $("pending"),
  pendingCount: $("pending-count"),
  pendingNote: $("pending-note"),
  messages: $("messages"),
  recent: $("recent"),
};

const STATE_TEXT = {
  [State.CONNECTING]: t("Connecting…"),
  [State.LIVE]: t("Connected"),
  [State.RECONNECTING]: t("Reconnecting…"),
  [State.FAILED]: t("Not connected"),
  [State.PASSCODE]: t("Not connected"),
};

function fatal(message) {
  ui.fatal.textContent = message;
  ui.fatal.hidden = false;
  if (ui.main.hidden) {
    // Before captioning starts the message is the page's content: it stands in the main
    // landmark, in place of the name form.
    ui.nameForm.hidden = true;
    ui.nameMain.prepend(ui.fatal);
    ui.nameMain.hidden = false;
  }
}

const where = roomFromPath();
const key = fragmentParam("key");
// The caption channel this page writes in (?channel=fr: an interpretation channel); a channel's
// captioner key writes in its channel whatever the page says. Lines not yet acknowledged are
// kept per channel, so that they are never sent to another one.
const channel = new URLSearchParams(location.search).get("channel") || "";
const roomKey = where ? `${where.meeting}/${where.room}${channel ? `~${channel}` : ""}` : "";

let queue = null;
let conn = null;
let myConn = null;
let roomOpen = true;
let inFlight = null; // the command sent and not yet acknowledged on this connection
let ackTimer = null;
let retryTimer = null;
let sentLive = ""; // the live line as the server holds it for this connection
let liveTimer = null;
let lastMessage = "";
const transcript = new Transcript();
const recentRows = new Map(); // seq -> li
const othersTyping = new Map(); // conn -> element
const interventions = new Map(); // intervention id -> who, from the room's floor.granted events

// -- name --------------------------------------------------------------------------------------
function myName() {
  return store.get(NAME_KEY, "") || "";
}

// The name form and the captioning area take turns as the page's one main landmark; the skip
// link goes to whichever is shown.
function showNameForm(shown) {
  ui.nameMain.hidden = !shown;
  ui.main.hidden = shown || conn === null;
  ui.skip.href = shown ? "#name" : "#draft";
  ui.skip.textContent = shown ? t("Skip to your name") : t("Skip to the caption input");
}

function askName() {
  ui.nameInput.value = myName();
  showNameForm(true);
  ui.nameInput.focus();
}

ui.nameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = cleanText(ui.nameInput.value).slice(0, 200);
  if (!name) return;
  const changed = name !== myName();
  store.set(NAME_KEY, name);
  ui.myName.textContent = name;
  if (conn === null) {
    start();
  } else if (changed) {
    conn.reconnectNow(); // the name is part of the hello
  }
  showNameForm(false);
  ui.draft.focus();
});

ui.changeName.addEventListener("click", askName);

// -- connection ----------------------------------------------------------------------------------
function start() {
  ui.main.hidden = false;
  ui.myName.textContent = myName();
  ui.draft.value = queue.draft;
  renderPending();
  conn = new RoomConnection(
    {
      meeting: where.meeting,
      room: where.room,
      key,
      hello: () => ({ client: queue.client, name: myName(), ...(channel ? { channel } : {}) }),
    },
    {
      onState: showState,
      onWelcome: welcomed,
      onReset: () => {
        transcript.clear();
        recentRows.clear();
        ui.recent.replaceChildren();
      },
      onEvent: recorded,
      onFrame: ephemeral,
      // The label follows the floor only once the backlog is in: replaying it must not walk the
      // label through every past intervention. A batch may hold no floor event at all.
      onBatch: followFloor,
    },
  );
  conn.start();
}

// A captioner of an interpretation channel follows the floor too, read only: who has the floor
// (the speaker label follows it), the agenda item, the room's opening and closing are in the
// floor's log, not the channel's.
let floorConn = null;

function followTheFloor() {
  if (floorConn !== null) return;
  floorConn = new RoomConnection(
    { meeting: where.meeting, room: where.room, key, hello: () => ({ channel: "floor" }) },
    {
      onWelcome: (welcome) => {
        setRoomOpen(welcome.open !== false);
        window.dispatchEvent(new CustomEvent("plenary:welcome", { detail: welcome }));
      },
      onEvent: (frame) => {
        if (frame.type === "room.closed" || frame.type === "room.opened") setRoomOpen(frame.type === "room.opened");
        noteIntervention(frame);
        window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
      },
      onFrame: (frame) => {
        if (frame.type === "presence") window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
      },
      onBatch: followFloor,
    },
  );
  floorConn.start();
}

function interpreting(welcome) {
  return Boolean(welcome.channel) && welcome.channel !== "floor";
}

function showState(state, detail) {
  ui.conn.dataset.state = state;
  ui.conn.textContent = stateText(STATE_TEXT[state] || state, conn);
  ui.conn.dataset.transport = conn ? conn.transport : "";
  if (state !== State.LIVE) {
    // Whatever was in flight is sent again on the next connection; its live line is gone.
    inFlight = null;
    clearTimeout(ackTimer);
    sentLive = "";
    othersTyping.clear();
    ui.others.replaceChildren();
  } else {
    // Caption stations' open lines are in the record: they are still being sent.
    for (const [by, open] of transcript.open) showOther(by, open.name, cleanText(open.text));
  }
  if (state === State.FAILED) fatal(detail);
  renderPending();
}

function welcomed(welcome) {
  myConn = welcome.conn;
  const rooms = Array.isArray(welcome.rooms) ? welcome.rooms : [];
  const here = rooms.find((r) => r.id === welcome.room);
  const roomName = here ? here.name : welcome.room;
  const title = (welcome.meeting && welcome.meeting.title) || "";
  ui.title.textContent = title || t("Captioning");
  // An interpretation channel is named by its language tag, the same in every language.
  const into = welcome.channel && welcome.channel !== "floor" ? ` — ${welcome.channel}` : "";
  ui.roomName.textContent = t("Captioning: {room}", { room: roomName }) + into;
  document.title = `${t("Captioning {room}", { room: roomName })} — ${title || "plenary"}`;
  setRoomOpen(welcome.open !== false);
  ui.fatal.hidden = true;
  if (interpreting(welcome)) followTheFloor();
  else window.dispatchEvent(new CustomEvent("plenary:welcome", { detail: welcome }));
  pump();
  scheduleLive();
}

function setRoomOpen(open) {
  roomOpen = open;
  ui.closed.hidden = open;
  renderPending();
  if (open) {
    pump();
    scheduleLive();
  }
}

function recorded(frame) {
  const change = transcript.apply(frame);
  if (change && change.added) {
    addRecent(change.line);
    if (change.line.by && change.line.by !== myConn) showOther(String(change.line.by), "", "");
  } else if (change && change.open) {
    // Captioning software over HTTP: its open line, as the record holds it.
    showOther(change.open.by, change.open.name, cleanText(change.open.text));
  } else if (change && change.corrected) {
    const li = recentRows.get(change.line.seq);
    if (li && !li.querySelector("form")) {
      const focused = li.contains(document.activeElement);
      li.replaceChildren(lineButton(change.line));
      if (focused) li.querySelector("button").focus(); // the corrected line keeps the focus
    }
  } else if (frame.type === "room.closed" || frame.type === "room.opened") {
    setRoomOpen(frame.type === "room.opened");
  }
  if (change && change.reattributed) {
    for (const line of change.lines) {
      const li = recentRows.get(line.seq);
      if (li && !li.querySelector("form")) li.replaceChildren(lineButton(line));
    }
  }
  noteIntervention(frame);
  // An interpretation channel's own log holds no floor events: the floor connection brings them.
  if (floorConn === null) window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
}

function noteIntervention(frame) {
  if (frame.type === "floor.granted" && frame.data && frame.data.who) {
    interventions.set(frame.seq, frame.data.who); // what a line can be re-attributed to
  }
}

function ephemeral(frame) {
  if (frame.type === "ack") {
    acknowledged(frame.n);
  } else if (frame.type === "error") {
    refused(frame);
  } else if (frame.type === "live" && frame.data && Array.isArray(frame.data.lines)) {
    for (const line of frame.data.lines) {
      if (line.by !== myConn) showOther(String(line.by), String(line.name || ""), String(line.text || ""));
    }
  }
  if (frame.type === "presence" && floorConn === null) window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
}

// -- sending commands, one at a time ---------------------------------------------------------------
function pump() {
  if (inFlight !== null || conn === null || !conn.open || !roomOpen) return;
  const head = queue.head();
  if (head === null) return;
  if (!conn.send(toMessage(head))) return;
  inFlight = head;
  if (head.type === "commit") {
    // The server clears this connection's live line when it records a commit: whatever is
    // typed now must be sent again from an empty line.
    sentLive = "";
    scheduleLive();
  }
  clearTimeout(ackTimer);
  ackTimer = setTimeout(() => conn.reconnectNow(), ACK_TIMEOUT_MS);
  renderPending();
}

function acknowledged(n) {
  if (typeof n !== "number") return;
  queue.settle(n);
  if (inFlight !== null && inFlight.n === n) {
    inFlight = null;
    clearTimeout(ackTimer);
  }
  renderPending();
  pump();
}

function refused(frame) {
  const entry = typeof frame.n === "number" ? queue.pending.find((c) => c.n === frame.n) : null;
  if (entry && frame.retry) {
    // Nothing was recorded; the same command may go again. Keep the order: it stays first.
    inFlight = null;
    clearTimeout(ackTimer);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(pump, RETRY_MS);
    showMessage(t("{message} (sending it again)", { message: serverMessage(frame) }));
    return;
  }
  if (entry) {
    // Refused for good (a line that no longer exists, a room closed meanwhile…): say what was
    // not recorded, with its text, so nothing typed is lost.
    queue.settle(entry.n);
    if (inFlight !== null && inFlight.n === entry.n) {
      inFlight = null;
      clearTimeout(ackTimer);
    }
    showMessage(t("Not recorded: “{text}” — {message}", { text: entry.text, message: serverMessage(frame) }));
    renderPending();
    pump();
    return;
  }
  showMessage(serverMessage(frame, frame.code));
}

function showMessage(text) {
  if (text === lastMessage) return; // one keystroke after another would repeat it
  lastMessage = text;
  const time = formatTime(Date.now());
  $("no-messages").hidden = true;
  ui.messages.append(el("li", {}, `${time} ${text}`));
  while (ui.messages.children.length > MAX_MESSAGES) ui.messages.firstElementChild.remove();
}

// -- the live line ---------------------------------------------------------------------------------
function scheduleLive() {
  if (liveTimer === null) liveTimer = setTimeout(syncLive, LIVE_SEND_MS);
}

function syncLive() {
  liveTimer = null;
  if (conn === null || !conn.open || !roomOpen) return;
  // Characters as the server counts them (code points), so an emoji is one to delete.
  const target = Array.from(ui.draft.value.replace(/\r?\n/g, " "));
  const sent = Array.from(sentLive);
  let same = 0;
  while (same < target.length && same < sent.length && target[same] === sent[same]) same += 1;
  const del = sent.length - same;
  const ins = target.slice(same).join("");
  if (del === 0 && ins === "") return;
  // A change in the middle is sent as deleting back to it and typing the rest again.
  if (conn.send({ type: "edit", del, ins })) sentLive = target.join("");
}

function commitText(raw) {
  const text = cleanText(raw);
  if (!text) return true;
  if (charLength(text) > MAX_LINE_CHARS) {
    showMessage(t("This line is longer than {limit} characters: split it into sentences.", { limit: MAX_LINE_CHARS }));
    return false;
  }
  const speaker = cleanText(ui.speaker.value).slice(0, 200);
  queue.add({ type: "commit", text, speaker });
  rememberSpeaker(speaker);
  renderPending();
  pump();
  return true;
}

ui.draft.addEventListener("keydown", (event) => {
  // Up in an empty caption box opens the newest recorded line for correction: one keystroke,
  // not one Tab per line. Enter (or Escape) there comes back here.
  if (event.key === "ArrowUp" && !ui.draft.value && !event.altKey && !event.ctrlKey && !event.metaKey) {
    const newest = [...recentRows.keys()].pop();
    if (newest !== undefined) {
      event.preventDefault();
      editLine(newest, ui.draft);
    }
    return;
  }
  if (event.key !== "Enter" || event.isComposing) return;
  event.preventDefault();
  if (commitText(ui.draft.value)) {
    ui.draft.value = "";
    queue.setDraft("");
    scheduleLive();
  }
});

ui.draft.addEventListener("input", () => {
  if (ui.draft.value.includes("\n")) {
    // Pasted text: each whole line is recorded, the unfinished last one stays to be typed on.
    const parts = ui.draft.value.split(/\r?\n/);
    let rest = parts.pop();
    for (let i = 0; i < parts.length; i += 1) {
      if (!commitText(parts[i])) {
        rest = [...parts.slice(i), rest].join("\n");
        break;
      }
    }
    ui.draft.value = rest;
  }
  // Kept at once, not with the next send: the page may be closed in the next millisecond.
  queue.setDraft(ui.draft.value);
  scheduleLive();
});

// -- speaker -----------------------------------------------------------------------------------------
const speakerKey = `plenary:speaker:${roomKey}`;
let shownSpeakers = null;

function rememberSpeaker(speaker) {
  if (!speaker) return;
  const known = (store.get(SPEAKERS_KEY, []) || []).filter((s) => typeof s === "string" && s !== speaker);
  known.unshift(speaker);
  store.set(SPEAKERS_KEY, known.slice(0, RECENT_SPEAKERS));
  showSpeakers();
}

function showSpeakers() {
  // Whoever has the floor and whoever is waiting come first: they are who speaks next.
  const onFloorNow = [floor.current, ...floor.waiting].filter(Boolean).map((e) => e.who.name);
  const known = (store.get(SPEAKERS_KEY, []) || []).filter((s) => typeof s === "string");
  const names = [...new Set([...onFloorNow, ...known])].filter(Boolean);
  // Redrawn only when it changed: a list open under the label would otherwise close.
  if (names.join("\n") === shownSpeakers) return;
  shownSpeakers = names.join("\n");
  ui.speakers.replaceChildren(...names.map((s) => el("option", { value: s })));
}

function setLabel(text) {
  ui.speaker.value = text;
  store.set(speakerKey, text);
  showFloorHint();
}

ui.speaker.value = store.get(speakerKey, "") || "";
showSpeakers();
ui.speaker.addEventListener("change", () => store.set(speakerKey, cleanText(ui.speaker.value)));
ui.speaker.addEventListener("input", showFloorHint);
ui.speaker.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === "Escape") {
    event.preventDefault();
    store.set(speakerKey, cleanText(ui.speaker.value));
    ui.draft.focus();
  }
});

// -- the speaker label follows the floor ------------------------------------------------------------
// What the label was last brought in line with: the intervention (its id, null for nobody) and
// the name of whoever had the floor. Kept with the label, so that a reload neither refills a label
// typed during this intervention nor forgets which name to clear when it ends.
const floorKey = `plenary:speaker-floor:${roomKey}`;
let settled = store.get(floorKey, null);

function followFloor() {
  const source = floorConn || conn;
  if (source === null || !source.caughtUp) return;
  const cur = floor.current;
  const id = cur ? cur.id : null;
  if (settled === null || typeof settled !== "object" || settled.id !== id) {
    const label = cleanText(ui.speaker.value);
    // A label being typed at this moment is the captioner's own, for this intervention.
    if (document.activeElement !== ui.speaker) {
      if (cur) setLabel(cur.who.name);
      else if (settled && settled.name && label === settled.name) setLabel("");
    }
    settled = { id, name: cur ? cur.who.name : "" };
    store.set(floorKey, settled);
    showFloorHint();
  }
}

function showFloorHint() {
  const cur = floor.current;
  const label = cleanText(ui.speaker.value);
  ui.floorHint.hidden = !cur;
  ui.useFloor.hidden = !cur || label === cur.who.name;
  if (!cur) {
    ui.floorHint.textContent = "";
    return;
  }
  ui.useFloor.textContent = t("Use “{name}”", { name: cur.who.name });
  // The spoken name starts with the visible one, so that voice control finds the button by it.
  ui.useFloor.setAttribute("aria-label", t("Use “{name}” as the speaker: {who} has the floor", { name: cur.who.name, who: whoLabel(cur.who) }));
  ui.floorHint.textContent = !label || label === cur.who.name
    ? t("Lines are attributed to {who}, who has the floor.", { who: whoLabel(cur.who) })
    : t("{who} has the floor; lines labelled “{label}” are not attributed to them.", { who: whoLabel(cur.who), label });
}

ui.useFloor.addEventListener("click", () => {
  if (floor.current) setLabel(floor.current.who.name);
  ui.draft.focus();
});

onFloor(() => {
  followFloor();
  showFloorHint();
  showSpeakers();
});

document.addEventListener("keydown", (event) => {
  // Alt+S or Ctrl+K (Cmd+K): set the speaker without leaving the keyboard. event.code, since
  // Alt+S types "ß" on some keyboards.
  const alt = event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyS";
  const ctrl = (event.ctrlKey || event.metaKey) && !event.altKey && event.code === "KeyK";
  if ((alt || ctrl) && !ui.main.hidden) {
    event.preventDefault();
    ui.speaker.focus();
    ui.speaker.select();
  }
});

// -- what is shown --------------------------------------------------------------------------------------
function renderPending() {
  if (queue === null) return;
  ui.notKept.hidden = queue.kept;
  ui.pendingCount.textContent = String(queue.pending.length);
  ui.pending.replaceChildren(
    ...queue.pending.map((entry) => {
      const li = el("li", { "data-n": entry.n, class: entry === inFlight ? "in-flight" : null });
      if (entry.type === "correct") {
        li.append(el("span", { class: "kind" }, t("Correction of line {line}", { line: entry.line })), entry.text);
      } else if (entry.type === "reattribute") {
        li.append(el("span", { class: "kind" }, t("Re-attribution of line {line}", { line: entry.line })), entry.text);
      } else {
        if (entry.speaker) li.append(el("strong", {}, `${entry.speaker}: `));
        li.append(entry.text);
      }
      return li;
    }),
  );
  let note = "";
  if (queue.pending.length) {
    if (conn !== null && conn.open && !roomOpen) note = t("Held until the room is reopened.");
    else if (conn !== null && conn.open) note = t("Sending…");
    else note = t("Kept here and sent when the connection is back.");
  }
  ui.pendingNote.textContent = note;
}

function lineButton(line) {
  const button = el("button", { type: "button", class: "line-button", "data-seq": line.seq });
  button.append(el("span", { class: "seq" }, `#${line.seq}`));
  if (line.speaker) button.append(el("strong", {}, `${line.speaker}: `));
  button.append(el("span", { class: "text" }, line.text));
  if (line.corrected) button.append(" ", el("span", { class: "hint" }, t("(corrected)")));
  if (line.reattributed) button.append(" ", el("span", { class: "hint" }, t("(re-attributed)")));
  button.addEventListener("click", () => editLine(line.seq));
  return button;
}

function addRecent(line) {
  const list = ui.recent;
  const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  const li = el("li");
  li.append(lineButton(line));
  recentRows.set(line.seq, li);
  list.append(li);
  while (recentRows.size > RECENT_LINES) {
    const [oldest] = recentRows.keys();
    if (recentRows.get(oldest).querySelector("form")) break; // being corrected: keep it
    recentRows.get(oldest).remove();
    recentRows.delete(oldest);
    transcript.lines.delete(oldest);
  }
  if (atEnd) list.scrollTop = list.scrollHeight;
}

/** A select of the room's interventions a line can be attributed to, and "none". */
function interventionSelect(seq, current, speaker) {
  const select = el("select", { "aria-label": t("Intervention line {line} belongs to", { line: seq }), name: "intervention" });
  select.append(el("option", { value: "" }, t("No intervention (the speaker label alone)")));
  if (current !== null && current !== undefined && !interventions.has(current)) {
    // Granted before this page's part of the record (it resumed): still the line's own.
    interventions.set(current, { name: speaker });
  }
  for (const [id, who] of [...interventions.entries()].reverse()) {
    const option = el("option", { value: String(id) }, `${whoLabel(who)} (intervention ${id})`);
    if (id === current) option.selected = true;
    select.append(option);
  }
  return select;
}

/** Open a recorded line for correction; saving or cancelling puts focus back on `back` (the
 * caption box when opened from it with Up), or on the line itself. */
function editLine(seq, back = null) {
  const line = transcript.lines.get(seq);
  const li = recentRows.get(seq);
  if (!line || !li) return;
  const form = el("form", { class: "correct-form" });
  const input = el("input", { "aria-label": t("Correct line {line}", { line: seq }), maxlength: MAX_LINE_CHARS, autocomplete: "off" });
  input.value = line.text;
  // Re-attribution: to another intervention (its speaker follows) or a speaker label, for this
  // line or a run of lines from it.
  const attribution = el("fieldset", { class: "reattribute" });
  attribution.append(el("legend", {}, t("Attributed to")));
  const select = interventionSelect(seq, line.intervention, line.speaker);
  const label = el("input", { "aria-label": t("Speaker of line {line}", { line: seq }), name: "speaker", autocomplete: "off", list: "speakers" });
  label.value = line.speaker;
  const through = el("input", { "aria-label": t("Through line (a run of lines from {line})", { line: seq }), name: "through", type: "number", min: String(seq), step: "1" });
  through.value = String(seq);
  attribution.append(
    el("label", {}, `${t("Intervention")} `), select,
    el("label", {}, ` ${t("Speaker")} `), label,
    el("label", {}, ` ${t("Through line")} `), through,
  );
  select.addEventListener("change", () => {
    if (select.value !== "") label.value = whoLabelName(Number(select.value));
  });
  const save = el("button", { type: "submit", class: "primary" }, t("Save correction"));
  const cancel = el("button", { type: "button" }, t("Cancel"));
  form.append(input, attribution, save, cancel);
  const close = () => {
    li.replaceChildren(lineButton(transcript.lines.get(seq) || line));
    (back || li.querySelector("button")).focus();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = cleanText(input.value);
    const now = transcript.lines.get(seq) || line;
    if (text && text !== now.text) queue.add({ type: "correct", line: seq, text });
    const args = {};
    const chosen = select.value === "" ? null : Number(select.value);
    if (chosen !== (now.intervention ?? null)) args.intervention = chosen;
    const speaker = cleanText(label.value);
    if (speaker !== now.speaker && (chosen === null || speaker !== whoLabelName(chosen))) args.speaker = speaker;
    const last = Number(through.value);
    if (Number.isInteger(last) && last > seq) args.through = last;
    if ("intervention" in args || "speaker" in args) {
      const to = args.speaker || (chosen !== null ? whoLabelName(chosen) : t("no intervention"));
      queue.add({ type: "reattribute", line: seq, args, text: t("to {name}", { name: to }) });
    }
    renderPending();
    pump();
    close();
  });
  cancel.addEventListener("click", close);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  li.replaceChildren(form);
  input.focus();
  input.select();
}

function whoLabelName(id) {
  const who = interventions.get(id);
  return who ? String(who.name || "") : "";
}

function showOther(by, name, text) {
  let node = othersTyping.get(by);
  if (!text) {
    if (node) node.remove();
    othersTyping.delete(by);
    return;
  }
  if (!node) {
    node = el("p");
    othersTyping.set(by, node);
    ui.others.append(node);
  }
  node.textContent = t("{name} is typing: {text}", { name: name || t("Another captioner"), text });
}

// -- start ----------------------------------------------------------------------------------------------
if (!where) {
  fatal(t("This address is not a captioner link: it should look like /m/MEETING/ROOM/caption#key=…."));
} else if (!key) {
  fatal(t("This page needs the captioner link with its key (the address ends with #key=…). Ask the meeting's organiser for it."));
} else {
  const slot = await claimSlot(`plenary:captioner:${roomKey}`);
  queue = new CommandQueue(`plenary:captioner:${roomKey}:${slot}`);
  const problem = await keyProblem();
  if (problem) fatal(problem);
  else if (myName()) start();
  else askName();
}

/** What is wrong with this link's key, asked of the server before the captioner is asked their
 * name (null when it is a captioner's key for this room, or when the server cannot be asked:
 * the connection then says what it finds). */
async function keyProblem() {
  let res;
  try {
    res = await fetch(`/api/m/${encodeURIComponent(where.meeting)}`, {
      headers: { authorization: `Bearer ${key}` },
    });
  } catch {
    return null;
  }
  if (res.status === 401) {
    return t("This captioner link's key is not valid: it may have been replaced. Ask the meeting's organiser for the current link.");
  }
  if (res.status === 404) return t("There is no such meeting: check the captioner link.");
  if (!res.ok) return null;
  const info = await res.json().catch(() => ({}));
  // The chair may caption any room; a captioner the room of their link.
  const mayCaption = info.role === "chair" || (info.role === "captioner" && (!info.link_room || info.link_room === where.room));
  if (!mayCaption) {
    return t("This link is not a captioner link for this room. Ask the meeting's organiser for the captioner link.");
  }
  return null;
}
