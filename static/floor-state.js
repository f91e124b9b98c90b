// The speakers' list, the current agenda item and the agenda of one room, as a projection of
// the room's recorded events: the same projection as the server's (server/domain/floor.py,
// server/domain/agenda.py), so every page holds the same list at the same seq. Events say where an
// entry went and what the new order is, so nothing here decides anything: it carries out what
// the record says. Event schemas: docs/events.md.

import { t } from "./i18n.js";

export { KIND_ASKING, KIND_LABELS, PROPOSAL_KINDS, PROPOSAL_STATUSES, STATUS_LABELS } from "./vocabulary.js";

// Recorded events that change what pages read from the server rather than project here.
const FOLLOWED = ["doc.", "agenda."];

// The countdown turns to a warning in the last 30 seconds, or the last quarter of a short limit.
const WARN_MS = 30_000;

export function whoLabel(who) {
  if (!who) return "";
  return who.delegation ? `${who.name} (${who.delegation})` : who.name;
}

/** The key speaking time is totalled under: the delegation, or the name when there is none. */
export function delegationKey(who) {
  return who.chair ? "Chair" : who.delegation || who.name;
}

/** The stakeholder group speaking time is totalled under: the Chair's is no group's. */
export function groupKey(who) {
  return who.chair ? "Chair" : who.group;
}

/** "2:05", "1:02:05"; negative durations are shown by the caller. */
export function fmtDuration(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function pausedTotal(cur, now) {
  return cur.pausedMs + (cur.pausedSince !== null ? Math.max(0, now - cur.pausedSince) : 0);
}

export function spokenMs(cur, now) {
  return Math.max(0, now - cur.began - pausedTotal(cur, now));
}

/**
 * The clock of an intervention at server time `now`: what to show and in which state
 * (ok, warning, over, paused), so every page shows the same.
 */
export function clock(cur, now) {
  const spoken = spokenMs(cur, now);
  const paused = cur.pausedSince !== null;
  if (cur.limitMs === null || cur.limitMs === undefined) {
    return { text: t("speaking for {time}", { time: fmtDuration(spoken) }), state: paused ? "paused" : "ok", remaining: null };
  }
  const remaining = cur.limitMs - spoken;
  const warnAt = Math.min(WARN_MS, cur.limitMs / 4);
  let state = remaining <= 0 ? "over" : remaining <= warnAt ? "warning" : "ok";
  const text = remaining >= 0
    ? t("{time} left", { time: fmtDuration(remaining) })
    : t("{time} over time", { time: fmtDuration(remaining) });
  if (paused) state = "paused";
  return { text, state, remaining };
}

function addTotal(map, key, ms, count = 1) {
  const t = map.get(key) || { ms: 0, count: 0 };
  map.set(key, { ms: t.ms + ms, count: t.count + count });
}

function who(d) {
  const w = d && typeof d === "object" ? d : {};
  return {
    participant: typeof w.participant === "string" ? w.participant : null,
    name: String(w.name ?? ""),
    delegation: String(w.delegation ?? ""),
    group: String(w.group ?? ""),
    presence: w.presence === "remote" ? "remote" : "in_room",
    chair: w.chair === true,
  };
}

/** The proposal a request or an intervention is about: {doc, proposal}, or null. */
function about(d) {
  return typeof d.doc === "number" && typeof d.proposal === "string" ? { doc: d.doc, proposal: d.proposal } : null;
}

function clampIndex(at, length) {
  const n = Number.isInteger(at) ? at : length;
  return Math.max(0, Math.min(n, length));
}

function withoutEntry(list, id) {
  return list.filter((e) => e.id !== id);
}

/** A change to a proposal, applied to the one under discussion when it is that one. */
function onProposal(s, d, change) {
  if (s.proposal && s.proposal.doc === d.doc && s.proposal.id === d.proposal) change(s.proposal);
}

const HANDLERS = {
  // The proposal of a rolling document under discussion in this room (docs/events.md): its
  // doc.current event carries its text, and later changes to it in this room update it.
  "doc.current"(s, seq, ts, d) {
    s.proposal = typeof d.proposal === "string" && typeof d.doc === "number"
      ? {
        doc: d.doc,
        id: d.proposal,
        category: String(d.category ?? ""),
        kind: String(d.kind ?? "unsorted"),
        status: String(d.status ?? "under_discussion"),
        text: String(d.text ?? ""),
        since: ts,
      }
      : null;
  },
  "doc.revised"(s, seq, ts, d) {
    onProposal(s, d, (p) => { p.text = String(d.text ?? p.text); });
  },
  "doc.split"(s, seq, ts, d) {
    onProposal(s, d, (p) => { p.text = String(d.text ?? p.text); });
  },
  "doc.merged"(s, seq, ts, d) {
    onProposal(s, d, (p) => { p.text = String(d.text ?? p.text); });
  },
  "doc.kind"(s, seq, ts, d) {
    onProposal(s, d, (p) => { p.kind = String(d.kind ?? p.kind); });
  },
  "doc.status"(s, seq, ts, d) {
    onProposal(s, d, (p) => { p.status = String(d.status ?? p.status); });
  },
  "doc.moved"(s, seq, ts, d) {
    onProposal(s, d, (p) => { p.category = String(d.category ?? p.category); });
  },
  "floor.requested"(s, seq, ts, d) {
    const entry = { id: seq, kind: String(d.kind), who: who(d.who), note: String(d.note ?? ""), ts, about: about(d) };
    s.waiting.splice(clampIndex(d.at, s.waiting.length), 0, entry);
  },
  "floor.withdrawn"(s, seq, ts, d) {
    s.waiting = withoutEntry(s.waiting, d.entry);
  },
  "floor.removed"(s, seq, ts, d) {
    s.waiting = withoutEntry(s.waiting, d.entry);
  },
  "floor.reordered"(s, seq, ts, d) {
    const byId = new Map(s.waiting.map((e) => [e.id, e]));
    const ordered = [];
    for (const id of Array.isArray(d.order) ? d.order : []) {
      if (byId.has(id)) {
        ordered.push(byId.get(id));
        byId.delete(id);
      }
    }
    s.waiting = ordered.concat(s.waiting.filter((e) => byId.has(e.id)));
  },
  "floor.granted"(s, seq, ts, d) {
    s.waiting = withoutEntry(s.waiting, d.entry);
    s.current = {
      id: seq,
      entry: d.entry,
      kind: String(d.kind),
      who: who(d.who),
      note: String(d.note ?? ""),
      began: ts,
      limitMs: typeof d.limit_ms === "number" ? d.limit_ms : null,
      pausedMs: 0,
      pausedSince: null,
      about: about(d),
    };
    s.held.set(seq, s.current.who); // whose time a later correction moves
  },
  "floor.paused"(s, seq, ts) {
    if (s.current && s.current.pausedSince === null) s.current.pausedSince = ts;
  },
  "floor.resumed"(s, seq, ts, d) {
    if (s.current && s.current.pausedSince !== null) {
      s.current.pausedMs += typeof d.paused_ms === "number" ? d.paused_ms : Math.max(0, ts - s.current.pausedSince);
      s.current.pausedSince = null;
    }
  },
  "floor.limit"(s, seq, ts, d) {
    if (s.current) s.current.limitMs = typeof d.limit_ms === "number" ? d.limit_ms : null;
  },
  "floor.ended"(s, seq, ts, d) {
    const w = who(d.who);
    const spoken = typeof d.spoken_ms === "number" ? d.spoken_ms : 0;
    addTotal(s.totals.delegation, delegationKey(w), spoken);
    addTotal(s.totals.group, groupKey(w), spoken);
    if (s.current && s.current.id === d.intervention) s.last = s.current;
    s.current = null;
  },
  "floor.corrected"(s, seq, ts, d) {
    // When an intervention really began or ended, put right: the countdown and the totals follow.
    if (s.current && s.current.id === d.intervention && typeof d.began === "number") {
      s.current.began = d.began;
    }
    const w = s.held.get(d.intervention);
    const was = d.was && typeof d.was.spoken_ms === "number" ? d.was.spoken_ms : null;
    if (w && typeof d.spoken_ms === "number" && was !== null) {
      addTotal(s.totals.delegation, delegationKey(w), d.spoken_ms - was, 0);
      addTotal(s.totals.group, groupKey(w), d.spoken_ms - was, 0);
    }
  },
  "floor.closed"(s, seq, ts, d) {
    s.closed = true;
    s.pooWhenClosed = d.points_of_order !== false;
  },
  "floor.opened"(s) {
    s.closed = false;
  },
  "agenda.item_added"(s, seq, ts, d) {
    const item = {
      id: seq,
      number: String(d.number ?? ""),
      title: String(d.title ?? ""),
      parent: typeof d.parent === "number" ? d.parent : null,
      status: "pending",
      outcome: "",
    };
    s.items.splice(clampIndex(d.at, s.items.length), 0, item);
    s.amended = s.adopted !== null;
  },
  "agenda.item_changed"(s, seq, ts, d) {
    const item = s.items.find((i) => i.id === d.item);
    if (!item) return;
    item.number = String(d.number ?? "");
    item.title = String(d.title ?? "");
    item.parent = typeof d.parent === "number" ? d.parent : null;
    if (s.item && s.item.id === item.id) s.item = { ...s.item, number: item.number, title: item.title };
    s.amended = s.adopted !== null;
  },
  "agenda.item_removed"(s, seq, ts, d) {
    s.items = s.items.filter((i) => i.id !== d.item);
    for (const i of s.items) if (i.parent === d.item) i.parent = null;
    s.amended = s.adopted !== null;
  },
  "agenda.reordered"(s, seq, ts, d) {
    const byId = new Map(s.items.map((i) => [i.id, i]));
    const ordered = [];
    for (const id of Array.isArray(d.order) ? d.order : []) {
      if (byId.has(id)) {
        ordered.push(byId.get(id));
        byId.delete(id);
      }
    }
    s.items = ordered.concat(s.items.filter((i) => byId.has(i.id)));
    s.amended = s.adopted !== null;
  },
  "agenda.adopted"(s, seq, ts) {
    s.adopted = ts;
    s.amended = false;
  },
  "agenda.status"(s, seq, ts, d) {
    const item = s.items.find((i) => i.id === d.item);
    if (item) item.status = String(d.status);
  },
  "agenda.outcome"(s, seq, ts, d) {
    const item = s.items.find((i) => i.id === d.item);
    if (item) item.outcome = String(d.text ?? "");
  },
  "agenda.current"(s, seq, ts, d) {
    s.item = typeof d.item === "number"
      ? { id: d.item, number: String(d.number ?? ""), title: String(d.title ?? ""), since: ts }
      : null;
  },
  "room.closed"(s, seq, ts, d) {
    s.open = false;
    if (typeof d.report === "string") s.report = d.report;
  },
  "room.opened"(s, seq, ts, d) {
    s.open = true;
    if (typeof d.name === "string") {
      s.about = { name: d.name, kind: String(d.kind ?? ""), convener: String(d.convener ?? ""), topic: String(d.topic ?? "") };
    }
  },
  "group.opened"(s, seq, ts, d) {
    s.groups.set(String(d.room), {
      room: String(d.room),
      name: String(d.name ?? d.room),
      kind: String(d.kind ?? ""),
      convener: String(d.convener ?? ""),
      topic: String(d.topic ?? ""),
      status: "open",
      report: "",
    });
  },
  "group.reported"(s, seq, ts, d) {
    const g = s.groups.get(String(d.room));
    if (g) {
      g.status = "closed";
      g.report = String(d.report ?? "");
    }
  },
};

export class FloorState {
  constructor() {
    this.offset = 0; // server clock minus this browser's clock, from the welcome
    this.reset("");
  }

  reset(room) {
    this.room = room;
    this.seq = 0;
    this.open = true;
    this.waiting = [];
    this.current = null;
    this.closed = false;
    this.pooWhenClosed = true;
    this.last = null;
    this.totals = { delegation: new Map(), group: new Map() };
    this.held = new Map(); // intervention id -> who, for corrections of its times
    this.item = null; // the item this room is on: {id, number, title, since}
    this.proposal = null; // the proposal under discussion: {doc, id, category, kind, status, text, since}
    this.items = []; // the agenda (only in the agenda room's log)
    this.adopted = null;
    this.amended = false;
    this.groups = new Map(); // groups opened from here, by room id
    this.about = null; // a group's own description, from its first event
    this.report = null;
  }

  /** A welcome: same room and record, keep what we hold; otherwise start again. */
  welcome(w) {
    if (w.room !== this.room || w.reset) this.reset(w.room);
    if (typeof w.now === "number") this.offset = w.now - Date.now();
    this.open = w.open !== false;
  }

  /** The server's time now, as well as this page can tell. */
  now() {
    return Date.now() + this.offset;
  }

  /** Apply a recorded event; true if it was one this projection follows. */
  apply(frame) {
    // Recorded events have a seq, a room and a ts; acks and heartbeats carry a seq too but
    // are not events.
    if (typeof frame.seq !== "number" || typeof frame.ts !== "number" || typeof frame.room !== "string") {
      return false;
    }
    if (frame.seq <= this.seq) return false;
    this.seq = frame.seq;
    const handler = HANDLERS[frame.type];
    // Events of the document and the agenda this projection does not hold are still news to
    // the pages that read them afresh (the console's document, an item's files).
    if (!handler) return FOLLOWED.some((prefix) => frame.type.startsWith(prefix));
    handler(this, frame.seq, frame.ts, frame.data && typeof frame.data === "object" ? frame.data : {});
    return true;
  }

  place(entryId) {
    const i = this.waiting.findIndex((e) => e.id === entryId);
    return i < 0 ? null : i + 1;
  }

  /** Totals including the intervention running now: [[key, {ms, count}], …], largest first. */
  totalsNow(kind) {
    const map = new Map(this.totals[kind]);
    if (this.current) {
      const key = kind === "group" ? groupKey(this.current.who) : delegationKey(this.current.who);
      const t = map.get(key) || { ms: 0, count: 0 };
      map.set(key, { ms: t.ms + spokenMs(this.current, this.now()), count: t.count + 1 });
    }
    return [...map.entries()].sort((a, b) => b[1].ms - a[1].ms || a[0].localeCompare(b[0]));
  }
}

/** Which registered participants are connected, from ephemeral `presence` frames. */
export class PresenceBook {
  constructor() {
    this.procs = new Map();
  }

  update(data) {
    if (!data || typeof data.proc !== "string" || !Array.isArray(data.participants)) return;
    const ttl = typeof data.ttl_ms === "number" ? data.ttl_ms : 40_000;
    this.procs.set(data.proc, { ids: new Set(data.participants.map(String)), until: Date.now() + ttl });
  }

  connected() {
    const now = Date.now();
    const ids = new Set();
    for (const [proc, entry] of this.procs) {
      if (entry.until < now) this.procs.delete(proc);
      else for (const id of entry.ids) ids.add(id);
    }
    return ids;
  }
}
