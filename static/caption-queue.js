// The captioner's numbered commands (lines, corrections), kept in localStorage until the server
// acknowledges them, so that a reconnect, a reload or a crashed browser loses nothing.
//
// Exactly once: the page says hello with a stable client id and numbers its commands 1, 2, 3 …
// The server carries out a command only if its number is higher than the last one it carried
// out for that client id, so sending a command again after a lost acknowledgement records it
// once. For that to be safe, commands are sent one at a time, in order: a later command must
// never be recorded before an earlier one is.

import { randomId, store } from "./client.js";

// Tabs of one browser captioning the same room at once each need their own client id (two tabs
// numbering commands under one id would make the server skip one tab's lines).
const MAX_SLOTS = 8;
// How long a page waits for slot 0 to be given up by the page it replaces.
const SLOT_RETRY_MS = 300;

/**
 * Claim a numbered slot for this tab: the lowest one no other open tab holds. A reload gets
 * slot 0 back (its lock is released when the page goes away), and with it its unsent lines.
 */
export async function claimSlot(base) {
  if (!navigator.locks) return 0; // without Web Locks (not a secure context): one tab assumed
  if (await take(`${base}:0`)) return 0;
  // Slot 0 may still be held by this tab's previous page, going away after a reload.
  await new Promise((resolve) => setTimeout(resolve, SLOT_RETRY_MS));
  for (let slot = 0; slot < MAX_SLOTS; slot += 1) {
    if (await take(`${base}:${slot}`)) return slot;
  }
  return MAX_SLOTS;
}

function take(name) {
  return new Promise((resolve) => {
    navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      if (lock === null) {
        resolve(false);
        return undefined;
      }
      resolve(true);
      return new Promise(() => {}); // held for the life of the page
    });
  });
}

export class CommandQueue {
  constructor(storageKey) {
    this.key = storageKey;
    const saved = store.get(storageKey, {}) || {};
    this.client = typeof saved.client === "string" && saved.client ? saved.client : randomId();
    this.n = Number.isInteger(saved.n) && saved.n > 0 ? saved.n : 0;
    this.pending = Array.isArray(saved.pending) ? saved.pending.filter((c) => c && Number.isInteger(c.n)) : [];
    this.draft = typeof saved.draft === "string" ? saved.draft : "";
    this.kept = this.save();
  }

  /** Write to localStorage; false if the browser refused (then lines survive only a reconnect). */
  save() {
    this.kept = store.set(this.key, {
      client: this.client,
      n: this.n,
      pending: this.pending,
      draft: this.draft,
    });
    return this.kept;
  }

  /** Number a command and keep it until it is settled. */
  add(command) {
    this.n += 1;
    const entry = { ...command, n: this.n };
    this.pending.push(entry);
    this.save();
    return entry;
  }

  head() {
    return this.pending.length ? this.pending[0] : null;
  }

  /** Forget the command numbered n (acknowledged, or refused for good). */
  settle(n) {
    const i = this.pending.findIndex((c) => c.n === n);
    if (i < 0) return null;
    const [entry] = this.pending.splice(i, 1);
    this.save();
    return entry;
  }

  setDraft(text) {
    if (text === this.draft) return;
    this.draft = text;
    this.save();
  }
}

/** The websocket message for a queued command. */
export function toMessage(entry) {
  if (entry.type === "correct") {
    return { type: "correct", n: entry.n, line: entry.line, text: entry.text };
  }
  if (entry.type === "reattribute") {
    return { type: "cmd", n: entry.n, op: "line.reattribute", args: { ...entry.args, line: entry.line } };
  }
  const message = { type: "commit", n: entry.n, text: entry.text, speaker: entry.speaker || "" };
  if (entry.lang) message.lang = entry.lang;
  return message;
}
