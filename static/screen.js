// The screen in the room (/m/{meeting}/{room}/screen): follows the room like a viewer and shows
// the proposal under discussion with its text, its status and who has the floor, large enough to
// read from the back of a hall. The text shrinks to fit the screen when a proposal is long.
// Everything anyone typed is inserted as text, never as markup.

import { RoomConnection, State, roomFromPath } from "./client.js";
import { floor, onFloor } from "./floor-view.js";
import { PROPOSAL_KINDS, PROPOSAL_STATUSES, clock } from "./floor-state.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("screen-title"),
  where: $("where"),
  proposal: $("proposal"),
  id: $("proposal-id"),
  status: $("proposal-status"),
  text: $("proposal-text"),
  idle: $("idle"),
  speaker: $("speaker"),
  timer: $("timer"),
  conn: $("conn"),
  passForm: $("passcode-form"),
  passInput: $("passcode"),
};

// The clock is redrawn this often; seconds never skip visibly.
const TICK_MS = 250;
// The pointer disappears after this long without moving, so a captured window shows none.
const STILL_MS = 3000;
// Smallest and largest text, as a share of the window's width.
const MIN_TEXT_VW = 1.6;
const MAX_TEXT_VW = 5;

const params = new URLSearchParams(location.search);
if (params.get("theme") === "light") document.documentElement.dataset.theme = "light";

const where = roomFromPath(location.pathname);
const passKey = `plenary:passcode:${where ? where.meeting : ""}`;
let meeting = { title: "" };
let roomName = "";

function storedPasscode() {
  try {
    return sessionStorage.getItem(passKey);
  } catch {
    return null;
  }
}

/** The largest size at which the text fits its box (a few steps of halving the gap). */
function fit() {
  const box = ui.text;
  if (ui.proposal.hidden) return;
  let lo = MIN_TEXT_VW;
  let hi = MAX_TEXT_VW;
  box.style.fontSize = `${hi}vw`;
  if (box.scrollHeight <= box.clientHeight) return;
  for (let i = 0; i < 8; i += 1) {
    const mid = (lo + hi) / 2;
    box.style.fontSize = `${mid}vw`;
    if (box.scrollHeight <= box.clientHeight) lo = mid;
    else hi = mid;
  }
  box.style.fontSize = `${lo}vw`;
}

function render() {
  const item = floor.item ? `${floor.item.number ? `${floor.item.number}. ` : ""}${floor.item.title}` : "";
  ui.where.textContent = [meeting.title, roomName, item].filter(Boolean).join(" — ");
  const p = floor.proposal;
  ui.proposal.hidden = !p;
  ui.idle.hidden = Boolean(p);
  if (p) {
    ui.id.textContent = p.id;
    const kind = p.kind && p.kind !== "unsorted" ? `${PROPOSAL_KINDS[p.kind] || p.kind} · ` : "";
    ui.status.textContent = `${kind}${PROPOSAL_STATUSES[p.status] || p.status}`;
    ui.status.dataset.status = p.status;
    if (ui.text.textContent !== p.text) ui.text.textContent = p.text;
    fit();
  }
  const cur = floor.current;
  if (cur) {
    ui.speaker.replaceChildren(`${t("Has the floor:")} `, Object.assign(document.createElement("span"),
      { className: "who", textContent: cur.who.chair ? t("the Chair") : cur.who.name }),
    cur.who.delegation ? ` (${cur.who.delegation})` : "");
  } else {
    ui.speaker.textContent = "";
  }
  tick();
}

function tick() {
  const cur = floor.current;
  if (!cur) {
    ui.timer.textContent = "";
    return;
  }
  const c = clock(cur, floor.now());
  ui.timer.dataset.state = c.state;
  ui.timer.textContent = c.state === "paused" ? t("Paused — {time}", { time: c.text }) : c.text;
}

onFloor(render);
setInterval(tick, TICK_MS);
window.addEventListener("resize", fit);

let stillTimer = null;
document.addEventListener("pointermove", () => {
  document.body.classList.remove("still");
  clearTimeout(stillTimer);
  stillTimer = setTimeout(() => document.body.classList.add("still"), STILL_MS);
});

const conn = where
  ? new RoomConnection({ meeting: where.meeting, room: where.room, passcode: storedPasscode() }, {
    onState(state, detail) {
      ui.passForm.hidden = state !== State.PASSCODE;
      ui.conn.textContent = state === State.LIVE ? "" : state === State.FAILED ? detail : t("Connecting…");
    },
    onWelcome(welcome) {
      meeting = welcome.meeting || meeting;
      const here = (welcome.rooms || []).find((r) => r.id === welcome.room);
      roomName = here ? here.name : welcome.room;
      document.title = `${t("Screen")} — ${roomName} — ${meeting.title || "plenary"}`;
      ui.title.textContent = t("Screen: {room}", { room: roomName });
      window.dispatchEvent(new CustomEvent("plenary:welcome", { detail: welcome }));
    },
    onEvent(frame) {
      window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
    },
    onFrame(frame) {
      window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
    },
  })
  : null;

ui.passForm.addEventListener("submit", (event) => {
  event.preventDefault();
  try {
    sessionStorage.setItem(passKey, ui.passInput.value);
  } catch {
    /* asked again after a reload */
  }
  conn.setPasscode(ui.passInput.value);
});

if (conn) conn.start();
else ui.conn.textContent = t("This address is not a room's: it should look like /m/MEETING/ROOM/screen.");
