// The participant page: a registered participant's personal link (#key=…). Ask for the floor
// (to speak, a point of order with a short note, a right of reply), withdraw, see your place;
// when your turn comes the page says so unmistakably: a notice, the page title, and a short
// sound if you allowed it (browsers let a page play sound only after a click on it).

import { RoomConnection, State, fragmentParam, randomId, roomFromPath, stateText } from "./client.js";
import { Commands, apiHeaders, beep, floor, h, keepFocus, onFloor, speech, unlockSound } from "./floor-view.js";
import { KIND_ASKING, KIND_LABELS, clock } from "./floor-state.js";
import { serverMessage, t } from "./i18n.js";
import { RoomSwitcher } from "./rooms.js";
import { TranscriptPanel } from "./transcript-panel.js";

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("meeting-title"),
  roomName: $("room-name"),
  conn: $("conn-state"),
  rooms: $("rooms"),
  roomList: $("room-list"),
  fatal: $("fatal"),
  closed: $("room-closed"),
  me: $("me"),
  turn: $("turn"),
  turnText: $("turn-text"),
  turnTimer: $("turn-timer"),
  speak: $("ask-speak"),
  reply: $("ask-reply"),
  poo: $("ask-poo"),
  pooNote: $("poo-note"),
  closedNote: $("closed-note"),
  mine: $("mine"),
  status: $("status"),
  sound: $("sound"),
  transcript: $("transcript-link"),
  about: $("about"),
  ask: $("ask"),
  aboutRow: $("about-row"),
};

const STATE_TEXT = {
  [State.CONNECTING]: t("Connecting…"),
  [State.LIVE]: t("Connected"),
  [State.RECONNECTING]: t("Reconnecting…"),
  [State.FAILED]: t("Not connected"),
};

const where = roomFromPath();
const key = fragmentParam("key");
let meeting = { id: where ? where.meeting : "", title: "" };
let roomName = where ? where.room : "";
// The key stays in the fragment: it is never sent to the server in the page request.
const switcher = new RoomSwitcher(ui.rooms, ui.roomList,
  (r) => `/m/${encodeURIComponent(meeting.id)}/${encodeURIComponent(r.id)}/me${location.hash}`);
let myId = null;
let turn = null; // "floor", "next" or null: what the page last told the person
let turnFor = null; // the intervention or entry that notice was about

function clientId() {
  const k = `plenary:client:participant:${meeting.id}`;
  try {
    const id = sessionStorage.getItem(k) || randomId("p-");
    sessionStorage.setItem(k, id);
    return id;
  } catch {
    return randomId("p-");
  }
}

function fail(text) {
  ui.fatal.hidden = false;
  ui.fatal.textContent = text;
}

function status(text, isError = false) {
  ui.status.textContent = text;
  ui.status.classList.toggle("error", isError);
}

// The person's own turn is announced by this page ("You have the floor"), assertively and
// once: the floor view does not say it again politely.
speech.skip = (_text, frame) =>
  frame.type === "floor.granted" && myId !== null && floor.current !== null &&
  floor.current.who.participant === myId;

// -- connection -------------------------------------------------------------------------------
let conn = null;
let commands = null;
const panel = new TranscriptPanel({
  toggle: $("show-transcript"),
  body: $("transcript-body"),
  scroller: $("p-scroll"),
  list: $("p-lines"),
  live: $("p-live"),
  announce: $("p-announce"),
}, () => conn !== null && conn.caughtUp);

function start() {
  if (!where) return fail(t("This page's address is not a meeting's. Open your personal link again."));
  if (!key) return fail(t("This page needs your personal link (it ends in #key=…). Open the link you were sent."));
  const id = clientId();
  conn = new RoomConnection(
    { meeting: where.meeting, room: where.room, key, hello: () => ({ client: id }) },
    {
      onState(state, detail) {
        ui.conn.dataset.state = state;
        ui.conn.textContent = stateText(STATE_TEXT[state] || state, conn);
        ui.conn.dataset.transport = conn ? conn.transport : "";
        if (state === State.FAILED) fail(detail);
      },
      onWelcome(welcome) {
        welcomed(welcome);
        commands.resend();
      },
      onEvent(frame) {
        panel.frame(frame);
        window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
        if (frame.type === "room.closed" || frame.type === "room.opened") {
          ui.closed.hidden = frame.type === "room.opened";
        }
        switcher.frame(frame);
      },
      onFrame(frame) {
        if ((frame.type === "ack" || frame.type === "error") && commands.answer(frame)) return;
        switcher.frame(frame);
        panel.frame(frame);
        if (frame.type === "error") status(serverMessage(frame), true);
        window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
      },
    },
  );
  commands = new Commands(conn, id);
  conn.start();
  loadMe();
}

function welcomed(welcome) {
  if (welcome.role !== "participant") {
    fail(t("This is not a participant's link: ask the secretariat for your personal link."));
  }
  myId = welcome.participant || null;
  meeting = { ...meeting, ...welcome.meeting };
  const rooms = Array.isArray(welcome.rooms) ? welcome.rooms : [];
  const here = rooms.find((r) => r.id === welcome.room);
  roomName = here ? here.name : welcome.room;
  ui.title.textContent = meeting.title || t("Ask for the floor");
  ui.roomName.textContent = roomName;
  ui.closed.hidden = welcome.open !== false;
  ui.transcript.href = `/m/${encodeURIComponent(meeting.id)}/${encodeURIComponent(welcome.room)}`;
  ui.transcript.target = "_blank";
  ui.transcript.rel = "noopener";
  switcher.welcome(welcome);
  window.dispatchEvent(new CustomEvent("plenary:welcome", { detail: welcome }));
  setTitle();
}

async function loadMe() {
  try {
    const res = await fetch(`/api/m/${encodeURIComponent(where.meeting)}/me`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (!res.ok) return;
    const me = await res.json();
    const about = [me.delegation, me.group, me.presence === "in_room" ? t("in the room") : t("remote")]
      .filter(Boolean).join(t(", "));
    ui.me.replaceChildren(h("span", { class: "muted" }, t("You are")), " ", h("strong", {}, me.name),
      about ? h("span", {}, ` ${t("({details})", { details: about })}`) : null);
  } catch {
    /* the page works without it: the name is in the welcome */
  }
}

// -- asking and withdrawing --------------------------------------------------------------------
let askedWith = null; // {button, kind} of the request being sent

async function ask(kind) {
  unlockSound();
  askedWith = { button: { speak: ui.speak, reply: ui.reply, point_of_order: ui.poo }[kind], kind };
  const args = { kind };
  if (kind === "point_of_order" && ui.pooNote.value.trim()) args.note = ui.pooNote.value.trim();
  if (ui.about.value) {
    const [doc, proposal] = ui.about.value.split("|");
    Object.assign(args, { doc: Number(doc), proposal });
  }
  confirm = confirmed = null;
  status(t("Sending…"));
  const answer = await commands.send("floor.request", args);
  if (answer.type === "error") return status(serverMessage(answer), true);
  if (kind === "point_of_order") ui.pooNote.value = "";
  const text = answer.duplicate
    ? t("You are already on the list ({kind}).", { kind: KIND_ASKING[kind] })
    : t("Your request ({kind}) is on the list.", { kind: KIND_ASKING[kind] });
  confirmWhen(text, (entries) => entries.some((e) => e.kind === kind));
}

// The button just pressed is disabled while the request waits: focus, which the browser would
// drop to <body>, moves to that request's Withdraw button.
function focusAfterAsking(button, kind) {
  if (document.activeElement !== button && document.activeElement !== document.body) return;
  const entry = mine().find((e) => e.kind === kind);
  const withdraw = entry ? ui.mine.querySelector(`[data-focus-key="withdraw-${entry.id}"]`) : null;
  if (withdraw) withdraw.focus();
}

async function withdraw(entry) {
  unlockSound();
  confirm = confirmed = null;
  const answer = await commands.send("floor.withdraw", { entry });
  if (answer.type === "error") return status(serverMessage(answer), true);
  confirmWhen(t("Your request was withdrawn."), (entries) => !entries.some((e) => e.id === entry));
}

ui.speak.addEventListener("click", () => ask("speak"));
ui.reply.addEventListener("click", () => ask("reply"));
ui.poo.addEventListener("click", () => ask("point_of_order"));
ui.pooNote.addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    ask("point_of_order");
  }
});
// Any click on the page counts as permission to play the turn sound.
document.addEventListener("pointerdown", unlockSound, { once: true });
document.addEventListener("keydown", unlockSound, { once: true });

// -- what the list says about me ----------------------------------------------------------------
function mine() {
  return floor.waiting.filter((e) => myId !== null && e.who.participant === myId);
}

// The status line never contradicts the list of requests under it: "… is on the list" is said
// once the list shows it, "… was withdrawn" once it is gone from it, and either is cleared when
// the list changes again (the request granted or removed by the chair).
let confirm = null; // {text, shows(entries)}: a success to say once the list agrees
let confirmed = null; // the same, said: cleared once it no longer holds

function confirmWhen(text, shows) {
  confirm = { text, shows };
  render();
}

function confirmStatus(entries) {
  if (confirm && confirm.shows(entries)) {
    status(confirm.text);
    confirmed = confirm;
    confirm = null;
  } else if (confirmed && !confirmed.shows(entries)) {
    status("");
    confirmed = null;
  }
}

function render() {
  const entries = mine();
  confirmStatus(entries);
  const waitingKinds = new Set(entries.map((e) => e.kind));
  const closedToMe = !floor.open || floor.closed;
  ui.speak.disabled = !floor.open || floor.closed || waitingKinds.has("speak");
  ui.reply.disabled = !floor.open || floor.closed || waitingKinds.has("reply");
  ui.poo.disabled = !floor.open || (floor.closed && !floor.pooWhenClosed) || waitingKinds.has("point_of_order");
  // Quiet while the request waits: the page's main call to action is then the list below.
  ui.speak.classList.toggle("primary", !waitingKinds.has("speak"));
  ui.closedNote.hidden = !closedToMe || !floor.open;
  ui.closedNote.textContent = floor.closed
    ? (floor.pooWhenClosed
      ? t("The chair has closed the list; you can still raise a point of order.")
      : t("The chair has closed the list."))
    : "";
  // A withdrawn (or granted) request's button is gone: focus goes to asking again.
  keepFocus(ui.mine, () => {
    ui.mine.replaceChildren(...entries.map((e) => {
      const place = floor.place(e.id);
      return h("li", {},
        h("span", { class: "place" }, t("No. {place}", { place })),
        h("span", {}, ` ${t("of {count} waiting — {kind}", { count: floor.waiting.length, kind: KIND_LABELS[e.kind] || e.kind })}`),
        e.note ? h("span", { class: "muted" }, ` ${t("(“{note}”)", { note: e.note })}`) : null,
        withdrawButton(e));
    }));
    if (!entries.length) ui.mine.replaceChildren(h("li", { class: "muted" }, t("You have no request waiting.")));
  }, () => [ui.speak, ui.reply, ui.poo].find((b) => !b.disabled) || ui.ask);
  if (askedWith && waitingKinds.has(askedWith.kind)) {
    focusAfterAsking(askedWith.button, askedWith.kind);
    askedWith = null;
  }
  showTurn();
}

function withdrawButton(entry) {
  const b = h("button", { type: "button", "data-focus-key": `withdraw-${entry.id}` }, t("Withdraw"));
  b.setAttribute("aria-label", t("Withdraw your request {kind}", { kind: KIND_ASKING[entry.kind] || entry.kind }));
  b.addEventListener("click", () => withdraw(entry.id));
  return b;
}

function showTurn() {
  const cur = floor.current;
  let now = null;
  let about = null;
  if (cur && myId !== null && cur.who.participant === myId) {
    now = "floor";
    about = cur.id;
  } else if (myId !== null && floor.waiting.length && floor.waiting[0].who.participant === myId) {
    now = "next";
    about = floor.waiting[0].id;
  }
  if (now === turn && about === turnFor) return;
  const fresh = now === "floor" && (turn !== "floor" || turnFor !== about);
  turn = now;
  turnFor = about;
  ui.turn.hidden = now === null;
  ui.turn.dataset.turn = now || "";
  if (now === "floor") {
    ui.turnText.textContent = t("You have the floor. Please speak now.");
    if (fresh && ui.sound.checked) beep();
  } else if (now === "next") {
    ui.turnText.textContent = t("You are next: please get ready to speak.");
  } else {
    ui.turnText.textContent = "";
  }
  tickTurn();
  setTitle();
}

// The countdown inside "You have the floor": the speaker need not look elsewhere for it. It is
// a timer, not a live region (the time is read when asked, not every second).
function tickTurn() {
  const cur = floor.current;
  const show = turn === "floor" && cur !== null;
  ui.turnTimer.hidden = !show;
  if (!show) return;
  const c = clock(cur, floor.now());
  ui.turnTimer.dataset.state = c.state;
  ui.turnTimer.textContent = c.state === "paused" ? t("Paused — {time}", { time: c.text }) : c.text;
}
setInterval(tickTurn, 250);

function setTitle() {
  const base = `${roomName || t("Ask for the floor")} — ${meeting.title || "plenary"}`;
  document.title = turn === "floor" ? `▶ ${t("You have the floor")} — ${base}` : turn === "next" ? `${t("You are next")} — ${base}` : base;
}

// -- the proposals a request may name ------------------------------------------------------------
let proposalsSeq = -1;

async function loadProposals() {
  if (!where) return;
  try {
    const res = await fetch(`/api/m/${encodeURIComponent(where.meeting)}/${encodeURIComponent(where.room)}/documents`,
      { headers: apiHeaders(where.meeting) });
    if (!res.ok) return;
    const data = await res.json();
    proposalsSeq = data.seq;
    const chosen = ui.about.value;
    const options = [];
    for (const doc of data.docs || []) {
      for (const p of doc.proposals || []) {
        if (p.merged_into) continue;
        const text = p.text.length > 80 ? `${p.text.slice(0, 79)}…` : p.text;
        options.push(h("option", { value: `${doc.doc}|${p.proposal}` }, `${p.proposal}: ${text}`));
      }
    }
    ui.about.replaceChildren(h("option", { value: "" }, t("— none in particular —")), ...options);
    if ([...ui.about.options].some((o) => o.value === chosen)) ui.about.value = chosen;
    ui.aboutRow.hidden = options.length === 0;
  } catch {
    /* the request works without naming a proposal */
  }
}

let proposalsTimer = null;
onFloor((frames) => {
  render();
  const changed = frames.some((f) => f.type === "welcome" || (f.type.startsWith("doc.") && f.seq > proposalsSeq));
  if (!changed) return;
  // A burst of changes (an import, an endorsement) is read once.
  clearTimeout(proposalsTimer);
  proposalsTimer = setTimeout(loadProposals, 200);
});
start();
