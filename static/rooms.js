// The room switcher of the viewer and participant pages: the meeting's open rooms, kept current
// while the page is open.
//
// The welcome lists the rooms as they are when the page connects. After that the record says
// what changed: `group.opened` and `group.reported` in the agenda room's log (the plenary the
// groups report to), and `room.closed` / `room.opened` in each room's own log (docs/events.md).
// So a page in the plenary sees every group open and report back, and a page in a group sees its
// own room close. Besides, when a room opens or closes every room is sent the meeting's new list
// as a `rooms` frame (not recorded), so a page in one group sees another one open or close;
// nothing is polled. Names are inserted as text, never as markup.

import { formatList, t, tn } from "./i18n.js";

export class RoomList {
  constructor() {
    /** @type {{id: string, name: string, kind: string, status: string}[]} */
    this.rooms = [];
    this.current = "";
    // Events up to this seq are already reflected in the welcome's list: replaying them (the
    // backlog of a first visit) would reopen a group closed later, or close a reopened one.
    this.since = 0;
  }

  /** The welcome of a (re)connect: its list is the truth as of its `last_seq`. */
  welcome(welcome) {
    this.rooms = normalise(welcome.rooms);
    this.current = String(welcome.room ?? "");
    this.since = typeof welcome.last_seq === "number" ? welcome.last_seq : 0;
    // The room's own log decides whether it is open; the meeting's list follows it a moment later.
    const here = this.find(this.current);
    if (here) here.status = welcome.open === false ? "closed" : "open";
  }

  find(id) {
    return this.rooms.find((r) => r.id === id) || null;
  }

  /**
   * A recorded event of the current room. Returns what to announce ("Break-out A has opened.")
   * when it changed the list, `""` when it changed it silently, `null` when it did not.
   */
  apply(frame) {
    if (typeof frame.seq !== "number" || frame.seq <= this.since) return null;
    const d = frame.data && typeof frame.data === "object" ? frame.data : {};
    if (frame.type === "group.opened" && typeof d.room === "string") {
      const name = String(d.name ?? d.room);
      const known = this.find(d.room);
      if (known) {
        known.status = "open";
        known.name = name;
      } else {
        this.rooms.push({ id: d.room, name, kind: String(d.kind ?? ""), status: "open" });
      }
      return t("{room} has opened.", { room: name });
    }
    if (frame.type === "group.reported" && typeof d.room === "string") {
      const known = this.find(d.room);
      if (!known) return null;
      known.status = "closed";
      return t("{room} has reported back and is closed.", { room: known.name });
    }
    if ((frame.type === "room.closed" || frame.type === "room.opened") && frame.room === this.current) {
      const here = this.find(this.current);
      if (!here) return null;
      here.status = frame.type === "room.opened" ? "open" : "closed";
      return "";
    }
    return null;
  }

  /**
   * A `rooms` frame: the meeting's list as it is now, sent to every room when a room opens or
   * closes (so a page in one group sees another open). Returns what to announce, `""` when the
   * list changed silently, `null` when it did not change. The room this page is in keeps the
   * status its own log gave it.
   */
  replace(list) {
    if (!Array.isArray(list)) return null;
    const before = new Map(this.rooms.map((r) => [r.id, r]));
    const next = normalise(list);
    const here = before.get(this.current);
    for (const r of next) if (here && r.id === here.id) r.status = here.status;
    const opened = next.filter((r) => r.status === "open" && before.get(r.id)?.status !== "open");
    const closed = next.filter((r) => r.status === "closed" && before.get(r.id)?.status === "open");
    const same = next.length === this.rooms.length &&
      next.every((r, i) => JSON.stringify(r) === JSON.stringify(this.rooms[i]));
    this.rooms = next;
    if (same) return null;
    const names = (rooms) => formatList(rooms.map((r) => r.name));
    if (opened.length) {
      return tn("{rooms} has opened.", "{rooms} have opened.", opened.length, { rooms: names(opened) });
    }
    if (closed.length) {
      return tn("{rooms} is closed.", "{rooms} are closed.", closed.length, { rooms: names(closed) });
    }
    return "";
  }

  /** The rooms a reader can move to: the open ones, and the one they are in. */
  shown() {
    return this.rooms.filter((r) => r.status === "open" || r.id === this.current);
  }
}

function normalise(rooms) {
  return (Array.isArray(rooms) ? rooms : []).map((r) => ({
    id: String(r.id),
    name: String(r.name ?? r.id),
    kind: String(r.kind ?? ""),
    status: r.status === "closed" ? "closed" : "open",
  }));
}

/**
 * A page's switcher: its list of rooms, drawn into `list` (a <ul> inside `nav`) with links made
 * by `href(room)`, and every change said once to screen readers. Give it the welcome and then
 * every frame the page receives; it picks out what changes the list.
 */
export class RoomSwitcher {
  constructor(nav, list, href) {
    this.nav = nav;
    this.list = list;
    this.href = href;
    this.rooms = new RoomList();
  }

  welcome(welcome) {
    this.rooms.welcome(welcome);
    this.render();
  }

  /** A recorded event of the page's room, a `rooms` frame, or any other frame (ignored). */
  frame(frame) {
    const news = frame.type === "rooms"
      ? this.rooms.replace(frame.data && frame.data.rooms)
      : this.rooms.apply(frame);
    if (news === null) return;
    this.render();
    announceRooms(this.nav, news);
  }

  render() {
    renderRooms(this.nav, this.list, this.rooms, this.href);
  }
}

/**
 * Draw the switcher into `list` (a <ul> inside `nav`), linking each room with `href(room)`;
 * the nav is shown only when there is somewhere else to go.
 */
function renderRooms(nav, list, rooms, href) {
  const shown = rooms.shown();
  list.replaceChildren(
    ...shown.map((r) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = href(r);
      a.textContent = r.status === "closed" ? t("{room} (closed)", { room: r.name }) : r.name;
      if (r.id === rooms.current) a.setAttribute("aria-current", "page");
      li.append(a);
      return li;
    }),
  );
  nav.hidden = shown.length < 2;
  newsRegion(nav);
}

// The live region that tells screen readers what changed. It sits after the nav, not in it: a
// live region inside an element that was hidden a moment ago is not read out. It exists from the
// first drawing on, since text put into a region created in the same moment is often not read.
function newsRegion(nav) {
  const next = nav.nextElementSibling;
  if (next && next.classList.contains("rooms-news")) return next;
  const region = document.createElement("p");
  region.className = "rooms-news visually-hidden";
  region.setAttribute("aria-live", "polite");
  nav.after(region);
  return region;
}

/** Say a change of the list once to screen readers (the list itself changes silently). */
function announceRooms(nav, text) {
  if (text) newsRegion(nav).textContent = text;
}
