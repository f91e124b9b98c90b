// The chair's console (/m/{meeting}/chair?room=…#key=…): runs one room's speakers' list and
// clock, the agenda, the rolling document, participants and their links, and break-out groups.
// The same page serves the scoped links: a convener's runs its one group's room (its list, its
// share of the document, its report); the secretariat's keeps participants, documents and the
// record without running the floor. The server checks every command; the page only leaves out
// what the link cannot do.
//
// Nothing here keeps its own version of the list: every view is drawn from the projection of
// the room's log (floor-view.js), and every action is a command the server decides against its
// current state. When the chair and the secretariat act at once, the second command is decided
// on the list the first left, or refused with a message that is shown here; the list on screen
// is always the list in the record.

import { RoomConnection, State, fragmentParam, randomId, stateText, store } from "./client.js";
import { DocumentPanel } from "./document-panel.js";
import { Commands, floor, h, keepFocus, onFloor, presence } from "./floor-view.js";
import { KIND_LABELS, STATUS_LABELS, fmtDuration, whoLabel } from "./floor-state.js";
import { formatNumber, serverMessage, t, tn } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("meeting-title"),
  roomName: $("room-name"),
  roomSelect: $("room-select"),
  myName: $("my-name"),
  recordLink: $("record-link"),
  conn: $("conn-state"),
  fatal: $("fatal"),
  closed: $("room-closed"),
  message: $("message"),
  grantNext: $("grant-next"),
  end: $("end"),
  pause: $("pause"),
  readd: $("readd"),
  limit: $("limit"),
  applyLimit: $("apply-limit"),
  toggleList: $("toggle-list"),
  pooClosed: $("poo-closed"),
  speakers: $("speakers"),
  listTitle: $("list-title"),
  addForm: $("add-form"),
  addParticipant: $("add-participant"),
  addName: $("add-name"),
  addDelegation: $("add-delegation"),
  addGroup: $("add-group"),
  addKind: $("add-kind"),
  addNote: $("add-note"),
  agendaBody: $("agenda-body"),
  totalsDelegation: $("totals-delegation"),
  totalsGroup: $("totals-group"),
  presenceSummary: $("presence-summary"),
  participantRows: $("participant-rows"),
  registerForm: $("register-form"),
  regName: $("reg-name"),
  regDelegation: $("reg-delegation"),
  regGroup: $("reg-group"),
  regPresence: $("reg-presence"),
  csvForm: $("csv-form"),
  csvFile: $("csv-file"),
  newLinks: $("new-links"),
  groupForm: $("group-form"),
  groupName: $("group-name"),
  groupKind: $("group-kind"),
  groupConvener: $("group-convener"),
  groupTopic: $("group-topic"),
  groupItem: $("group-item"),
  groupLinks: $("group-links"),
  groupList: $("group-list"),
  myRole: $("my-role"),
  floorCard: $("floor"),
  list: $("list"),
  listNews: $("list-news"),
  agenda: $("agenda"),
  listHint: $("list-hint"),
  addChair: $("add-chair"),
  addChairLabel: $("add-chair-label"),
  participantsCard: $("participants"),
  groupsCard: $("groups"),
  linksCard: $("links"),
  secretariatLabel: $("secretariat-label"),
  makeSecretariat: $("make-secretariat"),
  madeLinks: $("made-links"),
  screenLink: $("screen-link"),
  docMessage: $("doc-message"),
  docBody: $("doc-body"),
  importForm: $("import-form"),
  importFile: $("import-file"),
  importTitle: $("import-title"),
  importDescription: $("import-description"),
  importPosted: $("import-posted"),
  importErrors: $("import-errors"),
  stationsCard: $("stations"),
  stationList: $("station-list"),
  stationForm: $("station-form"),
  stationName: $("station-name"),
  stationLinks: $("station-links"),
  stationChannel: $("station-channel"),
  channelList: $("channel-list"),
  channelForm: $("channel-form"),
  channelTag: $("channel-tag"),
};

// What each link may do here (the server checks it again for every command).
const ROLE_NAMES = { chair: t("Chair"), secretariat: t("Secretariat"), convener: t("Convener") };

const STATE_TEXT = {
  [State.CONNECTING]: t("Connecting…"),
  [State.LIVE]: t("Connected"),
  [State.RECONNECTING]: t("Reconnecting…"),
  [State.FAILED]: t("Not connected"),
};

const meetingId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const key = fragmentParam("key");
let meeting = { id: meetingId, title: "", rooms: [] };
let room = new URLSearchParams(location.search).get("room") || "";
let conn = null;
let commands = null;
let people = []; // registered participants
let groups = []; // the meeting's stakeholder groups
let agendaItems = []; // the agenda as the agenda room holds it (fetched when not in that room)
let role = "chair";
let linkRoom = null; // a convener's one room
let focusEntry = null; // the entry to keep focus on after the list is redrawn
let dragId = null;
let editing = null; // the agenda item being edited

// -- helpers -------------------------------------------------------------------------------------
function say(text, isError = false) {
  ui.message.textContent = text;
  ui.message.classList.toggle("error", isError);
}

async function api(method, path, body, type = "application/json") {
  const headers = { authorization: `Bearer ${key}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers["content-type"] = type;
    init.body = type === "application/json" ? JSON.stringify(body) : body;
  }
  const res = await fetch(`/api/m/${encodeURIComponent(meetingId)}${path}`, init);
  let data = {};
  try {
    data = await res.json();
  } catch {
    data = { error: t("The server answered {status}.", { status: res.status }) };
  }
  if (!res.ok) {
    const err = new Error(serverMessage(data, t("The server answered {status}.", { status: res.status })));
    err.details = data.details || [];
    throw err;
  }
  return data;
}

function inAgendaRoom() {
  return room === agendaRoom();
}

/** Run this room's floor and discussion: the chair, or this group's convener. */
function canRun() {
  return role === "chair" || (role === "convener" && room === linkRoom);
}

/** Keep documents and participants: the chair and the secretariat. */
function canManage() {
  return role === "chair" || role === "secretariat";
}

/** Change proposals here: who keeps the document in the plenary, who runs a group's share. */
function canEdit() {
  return inAgendaRoom() ? canManage() : canRun();
}

function applyRole() {
  document.body.dataset.role = role;
  const here = meeting.rooms.find((r) => r.id === linkRoom);
  ui.myRole.textContent = role === "convener" && here ? t("Convener of {room}", { room: here.name }) : ROLE_NAMES[role] || role;
  ui.floorCard.hidden = !canRun();
  ui.addForm.hidden = !canRun();
  ui.listHint.hidden = !canRun();
  ui.addChairLabel.hidden = role !== "chair";
  ui.registerForm.hidden = !canManage();
  ui.csvForm.hidden = !canManage();
  ui.groupForm.hidden = role !== "chair";
  ui.linksCard.hidden = role !== "chair";
  ui.stationsCard.hidden = role !== "chair";
  ui.recordLink.hidden = !canManage();
  ui.importForm.hidden = !(canManage() && inAgendaRoom());
  ui.screenLink.href = `/m/${encodeURIComponent(meetingId)}/${encodeURIComponent(room)}/screen`;
}

/** Send a command; show what was refused, and why. Resolves with the answer frame. */
async function command(op, args = {}, done = null) {
  if (!commands) return null;
  const answer = await commands.send(op, args);
  if (answer.type === "error") say(serverMessage(answer, t("Refused.")), true);
  else if (done) say(done);
  return answer;
}

function agendaRoom() {
  const plenary = meeting.rooms.find((r) => r.kind === "plenary") || meeting.rooms[0];
  return plenary ? plenary.id : "";
}

function limitSeconds() {
  const minutes = Number(ui.limit.value);
  return Number.isFinite(minutes) && minutes > 0 ? Math.round(minutes * 60) : 0;
}

function button(text, onClick, attrs = {}) {
  const b = h("button", { type: "button", ...attrs }, text);
  b.addEventListener("click", onClick);
  return b;
}

function options(select, entries, keep = true) {
  const chosen = select.value;
  const first = select.options[0] && select.options[0].value === "" ? select.options[0] : null;
  select.replaceChildren(...(first ? [first] : []), ...entries.map(([value, label]) => h("option", { value }, label)));
  if (keep && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

// -- start and rooms -------------------------------------------------------------------------------
async function start() {
  if (!key) {
    ui.fatal.hidden = false;
    ui.fatal.textContent = t("This console needs the chair's link (it ends in #key=…). Open it again.");
    return;
  }
  // The record console takes the same key from its fragment, which is never sent to the server.
  ui.recordLink.href = `/m/${encodeURIComponent(meetingId)}/record#key=${encodeURIComponent(key)}`;
  ui.myName.value = store.get("plenary:chair-name", "");
  ui.limit.value = String(store.get(`plenary:limit:${meetingId}`, 3));
  try {
    await loadMeeting();
  } catch (err) {
    ui.fatal.hidden = false;
    ui.fatal.textContent = err.message;
    return;
  }
  if (role === "convener") room = linkRoom;
  if (!meeting.rooms.some((r) => r.id === room)) room = agendaRoom();
  ui.roomSelect.value = room;
  applyRole();
  connect();
  loadParticipants();
}

async function loadMeeting() {
  const info = await api("GET", "");
  if (!ROLE_NAMES[info.role]) throw new Error(t("This link is not a chair's, a convener's or the secretariat's: it cannot open the console."));
  role = info.role;
  linkRoom = info.link_room || null;
  meeting = { ...meeting, ...info };
  ui.title.textContent = meeting.title;
  const shown = role === "convener" ? meeting.rooms.filter((r) => r.id === linkRoom) : meeting.rooms;
  options(ui.roomSelect, shown.map((r) => [r.id, r.status === "open" ? r.name : t("{room} (closed)", { room: r.name })]), false);
  ui.roomSelect.value = room || (role === "convener" ? linkRoom : agendaRoom());
  renderGroups();
  // The document card offers the open groups a share can go to.
  if (typeof documentsPanel !== "undefined") documentsPanel.render();
}

function connect() {
  if (conn) conn.stop();
  const clientKey = `plenary:client:chair:${meetingId}`;
  let id = null;
  try {
    id = sessionStorage.getItem(clientKey) || randomId("chair-");
    sessionStorage.setItem(clientKey, id);
  } catch {
    id = randomId("chair-");
  }
  const name = ui.myName.value.trim();
  conn = new RoomConnection(
    { meeting: meetingId, room, key, hello: () => ({ client: id, ...(name ? { name } : {}) }) },
    {
      onState(state, detail) {
        ui.conn.dataset.state = state;
        ui.conn.textContent = stateText(STATE_TEXT[state] || state, conn);
        ui.conn.dataset.transport = conn ? conn.transport : "";
        if (state === State.FAILED) {
          ui.fatal.hidden = false;
          ui.fatal.textContent = detail;
        }
      },
      onWelcome(welcome) {
        if (!ROLE_NAMES[welcome.role]) {
          ui.fatal.hidden = false;
          ui.fatal.textContent = t("This link cannot open the console.");
        }
        const here = (welcome.rooms || []).find((r) => r.id === welcome.room);
        ui.roomName.textContent = here ? here.name : welcome.room;
        document.title = `${t("Chair")} — ${here ? here.name : welcome.room} — ${meeting.title}`;
        window.dispatchEvent(new CustomEvent("plenary:welcome", { detail: welcome }));
        commands.resend();
      },
      onEvent(frame) {
        window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
        if (frame.type === "group.opened" || frame.type === "group.reported") loadMeeting().catch(() => {});
      },
      onFrame(frame) {
        if ((frame.type === "ack" || frame.type === "error") && commands.answer(frame)) return;
        if (frame.type === "error") say(serverMessage(frame, t("Refused.")), true);
        // A room opened or closed (by this console, another one or the HTTP API).
        if (frame.type === "rooms") loadMeeting().catch(() => {});
        window.dispatchEvent(new CustomEvent("plenary:frame", { detail: frame }));
      },
    },
  );
  commands = new Commands(conn, id);
  conn.start();
  if (room !== agendaRoom()) loadAgenda();
  if (role === "chair") loadStations();  // the chair's alone (the server checks it too)
}

ui.roomSelect.addEventListener("change", () => {
  room = ui.roomSelect.value;
  applyRole();
  const url = new URL(location.href);
  url.searchParams.set("room", room);
  history.replaceState(null, "", url);
  say("");
  connect();
});

ui.myName.addEventListener("change", () => {
  store.set("plenary:chair-name", ui.myName.value.trim());
  connect(); // the name is part of the hello: reconnect so the record uses it
});

ui.limit.addEventListener("change", () => store.set(`plenary:limit:${meetingId}`, Number(ui.limit.value) || 0));

// -- the floor -------------------------------------------------------------------------------------
ui.grantNext.addEventListener("click", () => {
  const next = floor.waiting[0];
  if (!next) return say(t("Nobody is waiting for the floor."), true);
  // The entry this console shows first: if another chair granted it a moment ago, the server
  // refuses instead of giving the floor to whoever happens to be next by then.
  // "X has the floor" is said once, by the floor view.
  command("floor.grant", { entry: next.id, limit_s: limitSeconds() });
});
ui.end.addEventListener("click", () => {
  if (floor.current) command("floor.end", { intervention: floor.current.id }, t("Intervention ended."));
});
ui.pause.addEventListener("click", () => {
  const cur = floor.current;
  if (!cur) return;
  command(cur.pausedSince === null ? "floor.pause" : "floor.resume", { intervention: cur.id });
});
ui.readd.addEventListener("click", () => command("floor.readd", {}, t("The last speaker is back on the list.")));
ui.applyLimit.addEventListener("click", () => {
  if (floor.current) command("floor.limit", { intervention: floor.current.id, limit_s: limitSeconds() }, t("Limit changed."));
});
ui.toggleList.addEventListener("click", () => {
  if (floor.closed) command("floor.open", {}, t("The list is open."));
  else command("floor.close", { points_of_order: ui.pooClosed.checked }, t("The list is closed."));
});

function renderFloorControls() {
  const cur = floor.current;
  const open = floor.open;
  const focused = document.activeElement;
  ui.grantNext.disabled = !open || floor.waiting.length === 0;
  // Who is next is on the button itself.
  ui.grantNext.textContent = floor.waiting.length
    ? t("Give the floor — next: {name}", { name: whoLabel(floor.waiting[0].who) })
    : t("Give the floor to the next speaker");
  ui.end.disabled = !open || !cur;
  ui.pause.disabled = !open || !cur;
  ui.applyLimit.disabled = !open || !cur;
  ui.readd.disabled = !open || !floor.last;
  ui.pause.textContent = cur && cur.pausedSince !== null ? t("Resume the clock") : t("Pause the clock");
  ui.toggleList.textContent = floor.closed ? t("Reopen the list") : t("Close the list");
  ui.toggleList.disabled = !open;
  ui.closed.hidden = open;
  ui.closed.textContent = open ? "" : floor.report ? t("This room is closed. Report: {report}", { report: floor.report }) : t("This room is closed.");
  // A button just used that is now disabled (End the intervention, Give the floor to the last
  // one waiting) would drop focus to <body>: it goes to what the chair does next instead.
  if (focused instanceof HTMLButtonElement && focused.disabled && ui.floorCard.contains(focused)) {
    const next = [ui.grantNext, ui.end, ui.readd].find((b) => !b.disabled);
    (next || ui.list).focus();
  }
}

// -- the list ----------------------------------------------------------------------------------------
function move(entryId, delta) {
  const ids = floor.waiting.map((e) => e.id);
  const from = ids.indexOf(entryId);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= ids.length) return;
  ids.splice(from, 1);
  ids.splice(to, 0, entryId);
  focusEntry = entryId;
  command("floor.reorder", { order: ids });
}

function dropBefore(entryId, beforeId) {
  const ids = floor.waiting.map((e) => e.id).filter((id) => id !== entryId);
  const at = beforeId === null ? ids.length : ids.indexOf(beforeId);
  ids.splice(at < 0 ? ids.length : at, 0, entryId);
  focusEntry = entryId;
  command("floor.reorder", { order: ids });
}

function renderList() {
  const connected = presence.connected();
  const now = floor.now();
  ui.listTitle.textContent = floor.closed
    ? t("Speakers' list ({count} waiting, closed)", { count: floor.waiting.length })
    : t("Speakers' list ({count} waiting)", { count: floor.waiting.length });
  const items = floor.waiting.map((e, i) => {
    const label = whoLabel(e.who);
    const li = h("li", { tabindex: "0", draggable: "true", "data-entry": e.id, "aria-label": t("{place}. {name}, {kind}", { place: i + 1, name: label, kind: KIND_LABELS[e.kind] }) });
    const where = e.who.presence === "remote"
      ? h("span", { class: e.who.participant && connected.has(e.who.participant) ? "tag online" : "tag offline" },
        e.who.participant && connected.has(e.who.participant) ? t("remote, connected") : t("remote"))
      : h("span", { class: "tag" }, t("in the room"));
    li.append(
      h("span", { class: "handle", "aria-hidden": "true" }, "⠿"),
      h("span", { class: "pos" }, `${formatNumber(i + 1)}.`),
      h("span", { class: "who" },
        h("strong", {}, e.who.name),
        e.who.delegation ? ` — ${e.who.delegation}` : "",
        e.who.group ? h("span", { class: "muted" }, ` (${e.who.group})`) : null, " ",
        h("span", { class: e.kind === "point_of_order" ? "tag poo" : "tag" }, KIND_LABELS[e.kind] || e.kind), " ",
        where,
        e.note ? h("span", { class: "muted" }, ` “${e.note}”`) : null,
        e.about ? h("span", { class: "tag" }, ` ${t("on {proposal}", { proposal: e.about.proposal })}`) : null,
        h("span", { class: "muted waited", "data-since": e.ts }, ` ${t("waiting {time}", { time: fmtDuration(now - e.ts) })}`)),
      !canRun() ? null : h("span", { class: "actions" },
        // "X has the floor" is said by the floor view, once: no message of its own here.
        button(t("Give the floor"), () => command("floor.grant", { entry: e.id, limit_s: limitSeconds() }),
          { "aria-label": t("Give the floor to {name}", { name: label }), "data-focus-key": `grant-${e.id}` }),
        button("↑", () => move(e.id, -1), { "aria-label": t("Move {name} up", { name: label }), disabled: i === 0, "data-focus-key": `up-${e.id}` }),
        button("↓", () => move(e.id, 1), { "aria-label": t("Move {name} down", { name: label }), disabled: i === floor.waiting.length - 1, "data-focus-key": `down-${e.id}` }),
        button(t("Remove"), () => command("floor.remove", { entry: e.id }, t("{name} was removed from the list.", { name: label })),
          { "aria-label": t("Remove {name} from the list", { name: label }), "data-focus-key": `remove-${e.id}` })),
    );
    li.addEventListener("keydown", (ev) => {
      if (ev.target !== li || !ev.altKey) return;
      if (ev.key === "ArrowUp") {
        ev.preventDefault();
        move(e.id, -1);
      } else if (ev.key === "ArrowDown") {
        ev.preventDefault();
        move(e.id, 1);
      }
    });
    li.addEventListener("dragstart", (ev) => {
      dragId = e.id;
      li.classList.add("dragging");
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", String(e.id));
    });
    li.addEventListener("dragend", () => {
      dragId = null;
      li.classList.remove("dragging");
    });
    li.addEventListener("dragover", (ev) => {
      if (dragId === null) return;
      ev.preventDefault();
      li.classList.add("drop-before");
    });
    li.addEventListener("dragleave", () => li.classList.remove("drop-before"));
    li.addEventListener("drop", (ev) => {
      ev.preventDefault();
      li.classList.remove("drop-before");
      if (dragId !== null && dragId !== e.id) dropBefore(dragId, e.id);
    });
    return li;
  });
  // Redrawn on every change and presence heartbeat: focus stays on the same control of the same
  // entry (or the entry itself); if the entry is gone (granted, removed), on the one that took
  // its place, or on the list.
  const active = ui.speakers.contains(document.activeElement) ? document.activeElement : null;
  const hadFocus = active ? active.closest("li") : null;
  const focusId = focusEntry ?? (hadFocus ? Number(hadFocus.dataset.entry) : null);
  const place = hadFocus ? [...ui.speakers.children].indexOf(hadFocus) : -1;
  ui.speakers.replaceChildren(...items);
  if (!items.length) ui.speakers.append(h("li", { class: "muted" }, t("Nobody is waiting.")));
  if (focusId === null || !(hadFocus || focusEntry !== null)) return;
  const entry = ui.speakers.querySelector(`li[data-entry="${focusId}"]`);
  const same = entry && active && active !== hadFocus && focusEntry === null && active.dataset.focusKey
    ? entry.querySelector(`[data-focus-key="${active.dataset.focusKey}"]`) : null;
  const neighbour = ui.speakers.querySelector(`li[data-entry]:nth-child(${Math.min(place, items.length - 1) + 1})`);
  const target = (same && !same.disabled ? same : null) || entry || (place >= 0 ? neighbour : null) || ui.list;
  target.focus();
}

ui.speakers.addEventListener("dragover", (ev) => {
  if (dragId !== null) ev.preventDefault();
});
ui.speakers.addEventListener("drop", (ev) => {
  if (dragId === null || ev.target !== ui.speakers) return;
  ev.preventDefault();
  dropBefore(dragId, null);
});

ui.addParticipant.addEventListener("change", () => {
  const chosen = ui.addParticipant.value !== "";
  for (const field of [ui.addName, ui.addDelegation, ui.addGroup]) field.disabled = chosen;
});

ui.addForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  // A presentation is an intervention to speak whose note says "Presentation: subject"; the
  // record's digest and the draft summary list it as a presentation (docs/record.md).
  const presentation = ui.addKind.value === "presentation";
  const note = ui.addNote.value.trim();
  const args = { kind: presentation ? "speak" : ui.addKind.value };
  // The note goes into the record as it is: in English, the record's language.
  if (presentation) args.note = note ? `Presentation: ${note}` : "Presentation";
  else if (note) args.note = note;
  if (ui.addChair.checked) {
    // The chair on their own list, as the Chair: no delegation's or group's time.
    args.chair = true;
  } else if (ui.addParticipant.value) {
    args.participant = ui.addParticipant.value;
  } else {
    args.name = ui.addName.value.trim();
    args.delegation = ui.addDelegation.value.trim();
    if (ui.addGroup.value) args.group = ui.addGroup.value;
    args.presence = "in_room";
  }
  const answer = await command("floor.add", args);
  if (answer && answer.type === "ack") {
    say(answer.duplicate ? t("Already on the list.") : t("Added to the list."));
    ui.addName.value = "";
    ui.addDelegation.value = "";
    ui.addNote.value = "";
    ui.addParticipant.value = "";
    ui.addChair.checked = false;
    ui.addParticipant.dispatchEvent(new Event("change"));
  }
});

// -- totals ------------------------------------------------------------------------------------------
function renderTotals() {
  for (const [kind, body, empty] of [["delegation", ui.totalsDelegation, "—"], ["group", ui.totalsGroup, t("(no group given)")]]) {
    const rows = floor.totalsNow(kind);
    body.replaceChildren(...rows.map(([name, total]) => h("tr", {},
      h("th", { scope: "row" }, name || empty), h("td", { class: "num" }, formatNumber(total.count)), h("td", { class: "num" }, fmtDuration(total.ms)))));
    if (!rows.length) body.append(h("tr", {}, h("td", { colspan: "3", class: "muted" }, t("Nobody has spoken yet."))));
  }
}

// -- agenda ------------------------------------------------------------------------------------------
async function loadAgenda() {
  try {
    const data = await api("GET", "/agenda");
    agendaItems = data.items || [];
  } catch (err) {
    say(err.message, true);
  }
  renderAgenda();
  renderGroupItems();
}

function items() {
  return room === agendaRoom()
    ? floor.items.map((i) => ({ ...i, item: i.id }))
    : agendaItems.map((i) => ({ ...i, id: i.item }));
}

function itemLabel(i) {
  return `${i.number ? `${i.number}. ` : ""}${i.title}`;
}

function renderAgenda() {
  const home = room === agendaRoom();
  const list = items();
  const body = [];
  const currentId = floor.item ? floor.item.id : null;
  if (home && role === "chair") {
    const state = floor.adopted === null ? t("Not adopted yet.") : floor.amended ? t("Adopted, and amended since.") : t("Adopted.");
    body.push(h("div", { class: "row" }, h("span", {}, state),
      button(floor.adopted === null ? t("Adopt the agenda") : t("Adopt as amended"), () => command("agenda.adopt", {}, t("The agenda is adopted.")),
        { disabled: !list.length || (floor.adopted !== null && !floor.amended) }),
      button(t("On no item"), () => command("agenda.current", { item: null }), { disabled: currentId === null })));
  } else if (!home) {
    body.push(h("p", { class: "muted" }, t("The agenda is edited in the {room} room; here you choose which item this room is on.", { room: agendaRoom() })),
      h("div", { class: "row" }, button(t("Reload the agenda"), loadAgenda), button(t("On no item"), () => command("agenda.current", { item: null }), { disabled: currentId === null })));
  }
  const ol = h("ol", { class: "agenda-list" });
  list.forEach((i, index) => ol.append(agendaRow(i, index, list, home, currentId)));
  if (!list.length) ol.append(h("li", { class: "muted" }, t("No items yet.")));
  body.push(ol);
  if (home && role === "chair") body.push(addItemForm(list));
  // Keep what the chair is typing (and where) when another chair's change redraws the agenda.
  const active = document.activeElement && ui.agendaBody.contains(document.activeElement) ? document.activeElement : null;
  const typing = active && active.id && "value" in active && active.tagName !== "SELECT" ? active.value : null;
  ui.agendaBody.replaceChildren(...body);
  const again = active && active.id ? $(active.id) : null;
  if (again && again.disabled) {
    // "Make current" pressed: the item is current and its button disabled; focus goes to the
    // item's next control (its status, for the chair), never to <body>.
    const row = again.closest("li");
    const controls = row ? [...row.querySelectorAll("button, select, input")] : [];
    const next = (row && row.querySelector('select[id^="status-"]'))
      || controls.slice(controls.indexOf(again) + 1).find((c) => !c.disabled);
    (next || ui.agenda).focus();
  } else if (again) {
    if (typing !== null) again.value = typing;
    again.focus();
  } else if (active) {
    ui.agenda.focus();
  }
}

function agendaRow(i, index, list, home, currentId) {
  const li = h("li", { class: `${i.parent ? "sub" : ""}${i.id === currentId ? " current" : ""}` });
  const name = itemLabel(i);
  if (editing === i.id && home) {
    const number = h("input", { id: `edit-number-${i.id}`, value: i.number, maxlength: "20", "aria-label": t("Number") });
    const title = h("input", { id: `edit-title-${i.id}`, value: i.title, maxlength: "300", class: "grow", "aria-label": t("Title") });
    const parent = h("select", { "aria-label": t("Under item") }, h("option", { value: "" }, t("— top level —")),
      ...list.filter((p) => p.id !== i.id).map((p) => h("option", { value: String(p.id) }, itemLabel(p))));
    parent.value = i.parent ? String(i.parent) : "";
    li.append(h("div", { class: "row" }, number, title, parent,
      button(t("Save"), async () => {
        const answer = await command("agenda.edit", { item: i.id, number: number.value, title: title.value, parent: parent.value ? Number(parent.value) : null });
        if (answer && answer.type === "ack") {
          editing = null;
          renderAgenda();
        }
      }),
      button(t("Cancel"), () => {
        editing = null;
        renderAgenda();
      })));
    return li;
  }
  li.append(h("div", { class: "row" },
    h("span", { class: "title grow" }, name, i.id === currentId ? h("strong", {}, ` — ${t("current")}`) : null),
    h("span", { class: "muted" }, STATUS_LABELS[i.status] || i.status || ""),
    canRun() ? button(i.id === currentId ? t("Current") : t("Make current"), () => command("agenda.current", { item: i.id }, t("This room is on item {item}.", { item: name })),
      { id: `current-${i.id}`, disabled: i.id === currentId, "aria-label": t("Make {item} the current item", { item: name }) }) : null));
  if (home) li.append(attachmentsOf(i, name));
  if (!home || role !== "chair") return li;
  const status = h("select", { id: `status-${i.id}`, "aria-label": t("Status of {item}", { item: name }) },
    ...Object.entries(STATUS_LABELS).map(([value, label]) => h("option", { value }, label)));
  status.value = i.status;
  status.addEventListener("change", () => command("agenda.status", { item: i.id, status: status.value }));
  const outcome = h("input", { id: `outcome-${i.id}`, value: i.outcome || "", class: "grow", maxlength: "4000", "aria-label": t("Outcome of {item}", { item: name }), placeholder: t("Outcome, e.g. approved with amendments") });
  li.append(h("div", { class: "row" }, status, outcome,
    button(t("Save outcome"), () => command("agenda.outcome", { item: i.id, text: outcome.value }, t("Outcome recorded.")), { id: `save-outcome-${i.id}`, "aria-label": t("Save the outcome of {item}", { item: name }) }),
    button(t("Edit"), () => {
      editing = i.id;
      renderAgenda();
    }, { id: `edit-${i.id}`, "aria-label": t("Edit {item}", { item: name }) }),
    button("↑", () => moveItem(list, index, -1), { id: `item-up-${i.id}`, disabled: index === 0, "aria-label": t("Move {name} up", { name }) }),
    button("↓", () => moveItem(list, index, 1), { id: `item-down-${i.id}`, disabled: index === list.length - 1, "aria-label": t("Move {name} down", { name }) }),
    button(t("Remove"), () => command("agenda.remove", { item: i.id }), { id: `item-remove-${i.id}`, disabled: i.status !== "pending" || i.id === currentId, "aria-label": t("Remove {item}", { item: name }) })));
  return li;
}

// -- files attached to an item ------------------------------------------------------------------------
function attachmentsOf(i, name) {
  const box = h("div", { class: "attachments" });
  const files = i.attachments || [];
  if (files.length) {
    box.append(h("ul", { "aria-label": t("Files for {item}", { item: name }) }, ...files.map((f) => h("li", {},
      h("a", { href: `/api/m/${encodeURIComponent(meetingId)}/files/${encodeURIComponent(f.file)}`, download: f.filename }, f.title),
      h("span", { class: "muted" }, ` (${f.filename})`), " ",
      canManage() ? button(t("Remove"), async () => {
        try {
          await api("DELETE", `/files/${encodeURIComponent(f.file)}`);
          say(t("{file} is removed.", { file: f.title }));
        } catch (err) {
          say(err.message, true);
        }
      }, { "aria-label": t("Remove the file {file}", { file: f.title }) }) : null))));
  }
  if (!canManage()) return box;
  const fileInput = h("input", { id: `attach-file-${i.id}`, type: "file" });
  const title = h("input", { id: `attach-title-${i.id}`, maxlength: "300", autocomplete: "off", placeholder: t("Title") });
  const form = h("form", { class: "row" }, h("label", { for: `attach-file-${i.id}` }, t("Attach a file to {item}", { item: name })), fileInput,
    h("label", { for: `attach-title-${i.id}`, class: "visually-hidden" }, t("Title of the file")), title,
    h("button", { type: "submit" }, t("Attach")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = fileInput.files && fileInput.files[0];
    if (!file) return say(t("Choose a file first."), true);
    const q = new URLSearchParams({ item: String(i.id), title: title.value || file.name, filename: file.name });
    try {
      await api("POST", `/files?${q}`, file, file.type || "application/octet-stream");
      say(t("{file} is attached to {item}.", { file: title.value || file.name, item: name }));
    } catch (err) {
      say(err.message, true);
    }
  });
  box.append(form);
  return box;
}

function moveItem(list, index, delta) {
  const ids = list.map((i) => i.id);
  const [id] = ids.splice(index, 1);
  ids.splice(index + delta, 0, id);
  command("agenda.reorder", { order: ids });
}

function addItemForm(list) {
  const number = h("input", { id: "new-item-number", maxlength: "20", size: "5" });
  const title = h("input", { id: "new-item-title", maxlength: "300", class: "grow", required: true });
  const parent = h("select", { id: "new-item-parent" }, h("option", { value: "" }, t("— top level —")),
    ...list.map((p) => h("option", { value: String(p.id) }, itemLabel(p))));
  const form = h("form", { class: "row" },
    h("label", { for: "new-item-number" }, t("Number")), number,
    h("label", { for: "new-item-title" }, t("Title")), title,
    h("label", { for: "new-item-parent" }, t("Under")), parent,
    h("button", { type: "submit" }, t("Add the item")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const answer = await command("agenda.add", { number: number.value, title: title.value, parent: parent.value ? Number(parent.value) : null }, t("Item added."));
    if (answer && answer.type === "ack") {
      number.value = "";
      title.value = "";
      title.focus();
    }
  });
  return form;
}

// -- participants --------------------------------------------------------------------------------------
async function loadParticipants() {
  try {
    const data = await api("GET", "/participants");
    people = data.participants || [];
    groups = data.groups || [];
  } catch (err) {
    say(err.message, true);
    return;
  }
  const groupOptions = groups.map((g) => [g, g]);
  options(ui.addGroup, groupOptions);
  options(ui.regGroup, groupOptions);
  options(ui.addParticipant, people.map((p) => [p.id, p.delegation ? `${p.name} — ${p.delegation}` : p.name]));
  renderParticipants();
}

function renderParticipants() {
  const connected = presence.connected();
  const remote = people.filter((p) => p.presence === "remote");
  const online = remote.filter((p) => connected.has(p.id)).length;
  const summary = people.length
    ? tn("{n} registered; {online} of {remote} remote participants connected to this room.",
      "{n} registered; {online} of {remote} remote participants connected to this room.", people.length,
      { online, remote: remote.length })
    : t("Nobody is registered yet.");
  // Not a live region: set only when it changes, read on demand.
  if (ui.presenceSummary.textContent !== summary) ui.presenceSummary.textContent = summary;
  keepFocus(ui.participantRows, () => ui.participantRows.replaceChildren(...people.map((p) => {
    const isOn = connected.has(p.id);
    const where = p.presence === "remote"
      ? h("span", { class: isOn ? "online" : "offline" }, isOn ? t("remote, connected") : t("remote, not connected"))
      : t("in the room");
    return h("tr", {},
      h("td", {}, p.name), h("td", {}, p.delegation), h("td", {}, p.group), h("td", {}, where),
      h("td", {},
        canRun() ? button(t("Add to the list"), () => command("floor.add", { participant: p.id, kind: "speak" }, t("{name} is on the list.", { name: p.name })),
          { "aria-label": t("Add {name} to the speakers' list", { name: p.name }), "data-focus-key": `add-${p.id}` }) : null,
        " ",
        canManage() ? button(t("New link"), () => newLink(p), { "aria-label": t("Make a new personal link for {name}", { name: p.name }), "data-focus-key": `link-${p.id}` }) : null));
  })), () => ui.participantsCard);
}

function showLinks(title, rows) {
  ui.newLinks.replaceChildren(h("h3", {}, title),
    h("p", { class: "muted" }, t("Each link is a secret shown only now: send it to that person only.")),
    h("ul", {}, ...rows.map((r) => h("li", {}, h("strong", {}, r.name), r.delegation ? ` (${r.delegation})` : "", h("br"), h("code", {}, r.link)))));
}

async function newLink(p) {
  try {
    const data = await api("POST", `/participants/${encodeURIComponent(p.id)}/link`);
    showLinks(t("New link for {name} (the old one no longer works)", { name: p.name }), [data]);
  } catch (err) {
    say(err.message, true);
  }
}

ui.registerForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const data = await api("POST", `/participants?room=${encodeURIComponent(agendaRoom())}`, {
      name: ui.regName.value, delegation: ui.regDelegation.value, group: ui.regGroup.value, presence: ui.regPresence.value,
    });
    showLinks(t("Registered"), data.participants);
    ui.regName.value = "";
    ui.regDelegation.value = "";
    say(t("Registered."));
    await loadParticipants();
  } catch (err) {
    say(err.message, true);
  }
});

ui.csvForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = ui.csvFile.files && ui.csvFile.files[0];
  if (!file) return say(t("Choose a CSV file first."), true);
  try {
    const data = await api("POST", `/participants?room=${encodeURIComponent(agendaRoom())}`, await file.text(), "text/csv");
    showLinks(t("Registered {count} from {file}", { count: data.participants.length, file: file.name }), data.participants);
    say(tn("Registered {n} participant.", "Registered {n} participants.", data.participants.length));
    ui.csvFile.value = "";
    await loadParticipants();
  } catch (err) {
    say(err.message, true);
  }
});

// -- groups ------------------------------------------------------------------------------------------------
function renderGroupItems() {
  options(ui.groupItem, items().map((i) => [String(i.id), itemLabel(i)]));
}

function renderGroups() {
  const list = meeting.rooms.filter((r) => r.kind !== "plenary");
  // A group closed on its report loses its report box and button: focus goes to the group's
  // first remaining button (Run its list), not to <body>.
  const focused = document.activeElement && ui.groupList.contains(document.activeElement)
    ? document.activeElement.closest("li[data-group]") : null;
  const group = focused ? focused.dataset.group : null;
  keepFocus(ui.groupList, () => drawGroups(list), () => {
    const li = group ? ui.groupList.querySelector(`li[data-group="${CSS.escape(group)}"]`) : null;
    return (li && li.querySelector("button")) || ui.groupsCard;
  });
}

function drawGroups(list) {
  ui.groupList.replaceChildren(...list.map((r) => {
    const li = h("li", { "data-group": r.id }, h("div", { class: "row" },
      h("span", { class: "title grow" }, r.name, r.status === "closed" ? h("span", { class: "muted" }, ` ${t("(closed)")}`) : null),
      r.convener ? h("span", {}, t("Convener: {name}", { name: r.convener })) : null,
      r.topic ? h("span", { class: "muted" }, r.topic) : null,
      role === "chair" ? button(t("Run its list"), () => {
        ui.roomSelect.value = r.id;
        ui.roomSelect.dispatchEvent(new Event("change"));
      }, { "aria-label": t("Run the speakers' list of {room}", { room: r.name }), "data-focus-key": `run-${r.id}` }) : null,
      role === "chair" && r.status === "open" ? button(t("Make a convener link"), () => makeLink("convener", r.id, r.name),
        { "aria-label": t("Make a convener link for {room}", { room: r.name }), "data-focus-key": `convener-${r.id}` }) : null));
    const mayReport = role === "chair" || (role === "convener" && r.id === linkRoom);
    if (r.status === "open" && mayReport) {
      const report = h("textarea", { id: `report-${r.id}`, "data-focus-key": `report-${r.id}`, maxlength: "4000", "aria-label": t("Report of {room}", { room: r.name }), placeholder: t("What the group reports back") });
      li.append(report, h("div", { class: "row" }, button(t("Close the group on this report"), async () => {
        try {
          await api("POST", `/${encodeURIComponent(r.id)}/report`, { report: report.value });
          say(t("{room} reported back and is closed.", { room: r.name }));
          await loadMeeting();
        } catch (err) {
          say(err.message, true);
        }
      }, { "aria-label": t("Close {room} on its report", { room: r.name }), "data-focus-key": `close-${r.id}` })));
    }
    return li;
  }));
  if (!list.length) ui.groupList.append(h("li", { class: "muted" }, t("No groups yet.")));
}

async function makeLink(linkRole, forRoom, name) {
  try {
    const data = await api("POST", "/links", { role: linkRole, room: forRoom, label: linkRole === "secretariat" ? ui.secretariatLabel.value : "" });
    const target = linkRole === "convener" ? ui.groupLinks : ui.madeLinks;
    target.replaceChildren(h("h3", {}, linkRole === "convener" ? t("Convener link for {room}", { room: name }) : t("Secretariat link")),
      h("p", { class: "muted" }, t("A secret shown only now: give it to that person only.")),
      h("code", { id: linkRole === "convener" ? "new-convener-link" : "new-secretariat-link" }, data.link));
    say(linkRole === "convener" ? t("A convener link for {room} is made.", { room: name }) : t("A secretariat link is made."));
  } catch (err) {
    say(err.message, true);
  }
}

ui.makeSecretariat.addEventListener("click", () => makeLink("secretariat", null, ""));

ui.groupForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const data = await api("POST", "/rooms", {
      name: ui.groupName.value, kind: ui.groupKind.value, convener: ui.groupConvener.value,
      topic: ui.groupTopic.value, item: ui.groupItem.value ? Number(ui.groupItem.value) : null,
    });
    ui.groupLinks.replaceChildren(h("h3", {}, t("{room} is open", { room: data.name })),
      h("p", { class: "muted" }, t("Keep the captioner links secret: give them to the group's captioner only.")),
      h("ul", {},
        h("li", {}, `${t("Viewers:")} `, h("code", {}, data.viewer)),
        h("li", {}, `${t("Captioner page:")} `, h("code", {}, data.captioner)),
        h("li", {}, `${t("Caption API (Zoom format):")} `, h("code", {}, data.caption_api)),
        h("li", {}, `${t("YouTube format:")} `, h("code", {}, data.youtube_api))));
    for (const field of [ui.groupName, ui.groupConvener, ui.groupTopic]) field.value = "";
    say(t("{room} is open.", { room: data.name }));
    await loadMeeting();
  } catch (err) {
    say(err.message, true);
  }
});

// -- caption stations ----------------------------------------------------------------------------------------
function roomPath() {
  return `/${encodeURIComponent(room)}`;
}

async function loadStations() {
  try {
    const data = await api("GET", `${roomPath()}/stations`);
    renderStations(data.stations);
    const info = await api("GET", "");
    const here = (info.rooms || []).find((r) => r.id === room);
    renderChannels(here && Array.isArray(here.channels) ? here.channels : ["floor"]);
  } catch (err) {
    say(err.message, true);
  }
}

// A room's caption channels: the floor and its interpretation channels (docs/protocol.md).
function renderChannels(channels) {
  const interpreted = channels.filter((c) => c !== "floor");
  ui.channelList.textContent = interpreted.length
    ? t("Besides the floor: {channels}.", { channels: interpreted.join(", ") })
    : t("Only the floor: what is said in the room.");
  const chosen = ui.stationChannel.value;
  ui.stationChannel.replaceChildren(h("option", { value: "" }, t("Any, by each caption's language")),
    ...channels.map((c) => h("option", { value: c }, c === "floor" ? t("Floor (as spoken)") : c)));
  ui.stationChannel.value = channels.includes(chosen) ? chosen : "";
}

function linkList(s) {
  return h("ul", {},
    h("li", {}, `${t("Captioner page:")} `, h("code", {}, s.captioner)),
    h("li", {}, `${t("Caption API (Zoom format):")} `, h("code", {}, s.caption_api)),
    h("li", {}, `${t("YouTube format:")} `, h("code", {}, s.youtube_api)));
}

ui.channelForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const c = await api("POST", `${roomPath()}/channels`, { channel: ui.channelTag.value });
    ui.stationLinks.replaceChildren(h("h3", {}, t("The {channel} channel: its links", { channel: c.channel })),
      h("p", { class: "muted" }, t("Shown once: keep the captioner's links secret.")),
      h("p", {}, `${t("Viewers:")} `, h("code", {}, c.viewer)), linkList(c));
    ui.channelTag.value = "";
    renderChannels(c.channels);
    say(t("This room has a {channel} caption channel.", { channel: c.channel }));
  } catch (err) {
    say(err.message, true);
  }
});

function renderStations(stations) {
  ui.stationList.replaceChildren(...stations.map((s) => h("li", {}, h("div", { class: "row" },
    h("span", { class: "title grow" }, s.name, s.revoked ? h("span", { class: "muted" }, ` ${t("(revoked)")}`) : null),
    s.revoked ? null : button(t("Revoke"), async () => {
      try {
        await api("POST", `${roomPath()}/stations/${encodeURIComponent(s.station)}/revoke`);
        say(t("{name} is revoked: its links no longer work.", { name: s.name }));
        await loadStations();
      } catch (err) {
        say(err.message, true);
      }
    }, { "aria-label": t("Revoke the caption station {name}", { name: s.name }) })))));
  if (!stations.length) ui.stationList.append(h("li", { class: "muted" }, t("No caption stations.")));
}

ui.stationForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const body = { name: ui.stationName.value };
    if (ui.stationChannel.value) body.channel = ui.stationChannel.value;
    const s = await api("POST", `${roomPath()}/stations`, body);
    ui.stationLinks.replaceChildren(h("h3", {}, t("{name}: its links", { name: s.name })),
      h("p", { class: "muted" }, t("Shown once: keep them secret and give them to this station only.")),
      linkList(s));
    ui.stationName.value = "";
    say(t("{name} can caption this room.", { name: s.name }));
    await loadStations();
  } catch (err) {
    say(err.message, true);
  }
});

// -- drawing ---------------------------------------------------------------------------------------------------
// -- the rolling document ------------------------------------------------------------------------------
const documentsPanel = new DocumentPanel({
  root: ui.docBody,
  message: ui.docMessage,
  api,
  command,
  context: () => ({
    meeting: meetingId,
    room,
    home: inAgendaRoom(),
    canEdit: canEdit(),
    canRun: canRun(),
    isChair: role === "chair",
    groups: meeting.rooms.filter((r) => r.kind !== "plenary"),
  }),
});

const IMPORT_TYPES = { csv: "text/csv", md: "text/markdown", markdown: "text/markdown" };

ui.importForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = ui.importFile.files && ui.importFile.files[0];
  if (!file) return;
  const type = IMPORT_TYPES[file.name.split(".").pop().toLowerCase()] || file.type;
  const q = new URLSearchParams();
  if (ui.importTitle.value.trim()) q.set("title", ui.importTitle.value.trim());
  if (ui.importDescription.value.trim()) q.set("description", ui.importDescription.value.trim());
  if (ui.importPosted.value) q.set("posted", ui.importPosted.value);
  ui.importErrors.replaceChildren();
  try {
    const data = await api("POST", `/documents?${q}`, await file.text(), type);
    documentsPanel.chosen = data.doc;
    documentsPanel.say(tn("Imported {n} proposal from {file}.", "Imported {n} proposals from {file}.", data.proposals, { file: file.name }));
    ui.importFile.value = "";
  } catch (err) {
    documentsPanel.say(err.message, true);
    ui.importErrors.replaceChildren(...(err.details || []).map((d) => h("li", {}, d.line ? t("Line {line}: {error}", { line: d.line, error: d.error }) : d.error)));
  }
});

// -- what changed in the list, said once -----------------------------------------------------------
// The chair hears who asked and who withdrew ("Egypt asks for the floor (point of order)."),
// politely and once; not the presence summary, which is not a live region. Who has the floor
// is said by the floor view. Only news: the backlog and a reconnect's catch-up are not read.
const known = new Map(); // entry id -> who, to name who withdrew
const FRESH_MS = 10_000;

function listNews(frames) {
  const news = [];
  for (const f of frames) {
    const fresh = typeof f.ts === "number" && floor.now() - f.ts < FRESH_MS;
    if (fresh && f.type === "floor.requested") {
      const e = floor.waiting.find((w) => w.id === f.seq);
      if (e) {
        const who = e.who.delegation || e.who.name;
        news.push(e.kind === "speak"
          ? t("{who} asks for the floor.", { who })
          : t("{who} asks for the floor ({kind}).", { who, kind: KIND_LABELS[e.kind] || e.kind }));
      }
    } else if (fresh && f.type === "floor.withdrawn" && f.data && known.has(f.data.entry)) {
      news.push(t("{name} withdrew.", { name: known.get(f.data.entry).name }));
    }
  }
  known.clear();
  for (const e of floor.waiting) known.set(e.id, e.who);
  if (news.length) ui.listNews.textContent = news.join(" ");
}

// -- shortcuts -------------------------------------------------------------------------------------
// Alt+Shift+F, L, A, D, P, G: the floor, the speakers' list, the agenda, documents,
// participants, groups (also the links of the "Parts of the console" navigation).
const SHORTCUTS = { F: "floor", L: "list", A: "agenda", D: "documents", P: "participants", G: "groups" };
for (const id of Object.values(SHORTCUTS)) {
  const section = $(id);
  if (section && !section.hasAttribute("tabindex")) section.tabIndex = -1;
}

function goTo(id) {
  const section = $(id);
  if (!section || section.hidden) return;
  // The place to act: the floor's first usable button, the list's first entry, else the part.
  const first = id === "floor" ? [ui.grantNext, ui.end].find((b) => !b.disabled)
    : id === "list" ? ui.speakers.querySelector("li[data-entry]") : null;
  (first || section).focus();
  section.scrollIntoView({ block: "nearest" });
}

document.addEventListener("keydown", (ev) => {
  if (!ev.altKey || !ev.shiftKey || ev.ctrlKey || ev.metaKey) return;
  const id = SHORTCUTS[ev.code.replace(/^Key/, "")];
  if (!id) return;
  ev.preventDefault();
  goTo(id);
});
for (const link of document.querySelectorAll("#jump a")) {
  link.addEventListener("click", (ev) => {
    ev.preventDefault();
    goTo(link.getAttribute("href").slice(1));
  });
}

onFloor((frames) => {
  listNews(frames);
  documentsPanel.frames(frames);
  renderFloorControls();
  renderList();
  renderTotals();
  // Redrawn only when the agenda changed: presence news every few seconds must not disturb an
  // outcome being typed.
  if (frames.some((f) => f.type === "welcome" || f.type.startsWith("agenda.")) || !ui.agendaBody.childElementCount) {
    renderAgenda();
    renderGroupItems();
  }
  renderParticipants();
  focusEntry = null;
});

// Running totals and waiting times move with the clock (updated in place: redrawing the list
// would interrupt a drag or the keyboard).
setInterval(() => {
  if (floor.current) renderTotals();
  const now = floor.now();
  for (const span of ui.speakers.querySelectorAll(".waited")) {
    span.textContent = ` ${t("waiting {time}", { time: fmtDuration(now - Number(span.dataset.since)) })}`;
  }
}, 1000);

start();
