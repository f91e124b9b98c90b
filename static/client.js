// The connection to one room: hello, resume from the last seq held, back-off, close codes.
//
// Every page that follows a room (viewer, captioner, chair, participant) uses this class. It
// hands recorded events to the page exactly once and in order (seq increases by exactly one),
// reconnects by itself and resumes with `after` = the last seq it holds, so a page never misses
// or repeats an event. See docs/protocol.md for the frames.

// The first retry is quick: most drops are a blip or a server restart that is over in a second.
import { t } from "./i18n.js";

const BACKOFF_FIRST_MS = 250;
// Never wait longer than this between tries: a reader must be caught up soon after the server
// is back, and thousands of viewers retrying every 10 s (with jitter) is a light load.
const BACKOFF_MAX_MS = 10000;
// After "too many messages" (4429) or "record unavailable" (4503) the server asked for a pause.
const PAUSE_MS = 5000;
// The server sends a heartbeat every 15 s (server/limits.py HEARTBEAT_INTERVAL_S). Browsers
// cannot see websocket pings, so silence for two heartbeats and a margin means the connection
// is dead even though the browser has not noticed (a laptop that slept, a NAT that forgot us).
const SILENCE_MS = 2 * 15000 + 5000;

export const State = Object.freeze({
  CONNECTING: "connecting",
  LIVE: "live",
  RECONNECTING: "reconnecting",
  PASSCODE: "passcode",
  FAILED: "failed",
});

// Close codes after which trying again cannot help; the message says what the person can do.
const FATAL = {
  4400: () => t("The page sent something the server did not understand. Reload the page."),
  4403: (reason) => t("This page may not connect here: {reason}", { reason }),
  4404: () => t("There is no such meeting or room. Check the link."),
};

/** The meeting and room ids in a page's path: /m/{meeting}/{room}[/...]. */
export function roomFromPath(pathname = location.pathname) {
  const parts = pathname.split("/").filter(Boolean);
  if (parts.length < 3 || parts[0] !== "m") return null;
  return { meeting: decodeURIComponent(parts[1]), room: decodeURIComponent(parts[2]) };
}

/** A parameter of the URL fragment, e.g. the key in #key=ab12.secret. */
export function fragmentParam(name, hash = location.hash) {
  return new URLSearchParams(hash.replace(/^#/, "")).get(name);
}

/** localStorage that never throws (private windows and locked-down browsers refuse it). */
export const store = {
  get(key, fallback = null) {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch {
      return false;
    }
  },
  remove(key) {
    try {
      localStorage.removeItem(key);
    } catch {
      /* nothing stored, nothing to remove */
    }
  },
};

/** A random id for a client (crypto.randomUUID needs a secure context; this does not). */
export function randomId(prefix = "c-") {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class RoomConnection {
  /**
   * @param {object} options
   * @param {string} options.meeting
   * @param {string} options.room
   * @param {string|null} [options.key]       chair or captioner key (none for a viewer)
   * @param {string|null} [options.passcode]  viewer passcode, if the meeting has one
   * @param {() => object} [options.hello]    extra hello fields, read at every (re)connect
   * @param {object} handlers  onState(state, detail), onWelcome(welcome), onReset(),
   *   onEvent(frame) for recorded events (in order, once each), onFrame(frame) for the
   *   others (live, ack, error, hb, pong), onBatch() after each websocket message.
   */
  constructor(options, handlers) {
    this.meeting = options.meeting;
    this.room = options.room;
    this.key = options.key || null;
    this.passcode = options.passcode || null;
    this.helloExtra = options.hello || (() => ({}));
    this.handlers = handlers;
    this.lastSeq = 0;
    this.welcome = null;
    this.state = null;
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.silenceTimer = null;
    this.stopped = true;
    this.everLive = false;
    this.onOnline = () => this.reconnectNow();
    this.onVisible = () => {
      if (document.visibilityState === "visible" && this.retryTimer !== null) this.reconnectNow();
    };
  }

  get url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const path = `/ws/${encodeURIComponent(this.meeting)}/${encodeURIComponent(this.room)}`;
    return `${scheme}//${location.host}${path}`;
  }

  /** True once the backlog announced by the welcome has been received. */
  get caughtUp() {
    return this.welcome !== null && this.lastSeq >= this.welcome.last_seq;
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearTimeout(this.retryTimer);
    clearTimeout(this.silenceTimer);
    this.retryTimer = null;
    this.drop();
  }

  /** Send a message if the connection is open and welcomed; false if it could not be sent. */
  send(message) {
    if (this.ws === null || this.welcome === null || this.ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    this.ws.send(JSON.stringify(message));
    return true;
  }

  get open() {
    return this.ws !== null && this.welcome !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Try with this passcode (after the server asked for one). */
  setPasscode(passcode) {
    this.passcode = passcode;
    this.attempt = 0;
    this.reconnectNow();
  }

  /** Drop the current connection (if any) and connect again at once. */
  reconnectNow() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.drop();
    this.connect();
  }

  setState(state, detail = "") {
    this.state = state;
    this.handlers.onState?.(state, detail);
  }

  drop() {
    const ws = this.ws;
    this.ws = null;
    this.welcome = null;
    // A socket still connecting is closed by its open handler: closing it now would make the
    // browser log an error for a connection we chose to drop.
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.close(1000, "reconnecting");
  }

  connect() {
    this.setState(this.everLive ? State.RECONNECTING : State.CONNECTING);
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.setState(State.FAILED, t("Cannot connect: {error}", { error: err.message }));
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) {
        ws.close(1000, "replaced"); // dropped while connecting; closing earlier logs an error
        return;
      }
      const hello = { type: "hello", after: this.lastSeq, ...this.helloExtra() };
      // The epoch names which record our resume point is in (docs/protocol.md).
      if (this.epoch) hello.epoch = this.epoch;
      if (this.key) hello.key = this.key;
      if (this.passcode) hello.passcode = this.passcode;
      ws.send(JSON.stringify(hello));
      this.watch();
    });
    ws.addEventListener("message", (event) => {
      if (ws === this.ws) this.receive(event.data);
    });
    ws.addEventListener("close", (event) => {
      if (ws === this.ws) this.closed(event.code, event.reason);
    });
  }

  watch() {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.reconnectNow(), SILENCE_MS);
  }

  closed(code, reason) {
    this.ws = null;
    this.welcome = null;
    clearTimeout(this.silenceTimer);
    if (this.stopped) return;
    if (code === 4401) {
      if (this.key) {
        this.setState(State.FAILED, t("This link is not valid (it may have been replaced). Ask for a new link."));
      } else {
        this.setState(State.PASSCODE, this.passcode ? "wrong" : "required");
      }
      return;
    }
    if (code in FATAL) {
      this.setState(State.FAILED, FATAL[code](reason));
      return;
    }
    if (code === 4009) {
      // Fell behind: the server dropped us so we can resume from the record. Go at once.
      this.schedule(0);
      return;
    }
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter spreads a crowd of viewers that all lost the same server.
    const jittered = delay * (0.5 + Math.random() * 0.5);
    this.schedule(code === 4429 || code === 4503 ? Math.max(PAUSE_MS, jittered) : jittered);
  }

  schedule(delay) {
    this.setState(this.everLive ? State.RECONNECTING : State.CONNECTING);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  receive(data) {
    this.watch();
    if (typeof data !== "string") return;
    // One message may carry several frames separated by newlines (a client that is behind).
    for (const part of data.split("\n")) {
      let frame;
      try {
        frame = JSON.parse(part);
      } catch {
        continue;
      }
      if (frame === null || typeof frame !== "object") continue;
      if (this.welcome === null) {
        if (frame.type !== "welcome") continue;
        this.welcomed(frame);
        continue;
      }
      if (!this.frame(frame)) return; // the connection was dropped to resume
    }
    this.handlers.onBatch?.();
  }

  welcomed(welcome) {
    this.welcome = welcome;
    this.attempt = 0;
    this.everLive = true;
    if (welcome.reset) {
      // Our resume point belongs to a record that has been replaced, or to an older copy of it
      // (another epoch): what we hold is not what the record holds now. Start again from seq 1.
      this.lastSeq = 0;
      this.handlers.onReset?.();
    }
    if (typeof welcome.epoch === "string") this.epoch = welcome.epoch;
    this.setState(State.LIVE);
    this.handlers.onWelcome?.(welcome);
  }

  /** Handle one frame after the welcome; false if the connection was dropped to resume. */
  frame(frame) {
    if (frame.type === "hb") {
      if (typeof frame.seq === "number" && frame.seq > this.lastSeq) {
        // Something was recorded that never reached us: resume from what we hold.
        this.reconnectNow();
        return false;
      }
      this.handlers.onFrame?.(frame);
      return true;
    }
    // Recorded events are the frames with a seq and a room; an ack carries a seq too (of the
    // event it recorded), but that event reaches us as a frame of its own.
    if (typeof frame.seq === "number" && "room" in frame && frame.type !== "ack") {
      if (frame.seq <= this.lastSeq) return true; // already held
      if (frame.seq !== this.lastSeq + 1) {
        this.reconnectNow(); // a gap: never show events out of order
        return false;
      }
      this.lastSeq = frame.seq;
      this.handlers.onEvent?.(frame);
      return true;
    }
    this.handlers.onFrame?.(frame);
    return true;
  }
}
