// The connection to one room: hello, resume from the last seq held, back-off, close codes.
//
// Every page that follows a room (viewer, captioner, chair, participant) uses this class. It
// hands recorded events to the page exactly once and in order (seq increases by exactly one),
// reconnects by itself and resumes with `after` = the last seq it holds, so a page never misses
// or repeats an event. See docs/protocol.md for the frames. Where the network lets no websocket
// through, it follows the room over plain HTTP instead (Server-Sent Events, messages as POSTs)
// with the same frames and guarantees, and goes back to the websocket once one gets through.

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
// A websocket that opens but says no welcome within this long is held up on the way (a proxy
// that lets the upgrade through and then holds the frames): it counts as one that failed.
const WELCOME_TIMEOUT_MS = 8000;
// After this many websockets in a row that failed before their welcome, the page falls back to
// plain HTTP (docs/protocol.md, "Plain HTTP"): Server-Sent Events to follow, POSTs to send.
const WS_FAILURES_BEFORE_FALLBACK = 2;
// On the fallback, the websocket is tried again after this long, then twice as long each time it
// still cannot open, up to the maximum: the page goes back to it once the network lets it.
const PROBE_FIRST_MS = 15000;
const PROBE_MAX_MS = 5 * 60000;
// A live-line edit over HTTP replaces the whole line (its POST may reach another server process,
// which does not hold the text typed so far): `del` larger than any live line clears it first.
const WHOLE_LINE = 100000;

export const Transport = Object.freeze({ WEBSOCKET: "websocket", HTTP: "http" });

/** The words for a connection state, saying when the page is on the plain-HTTP fallback. */
export function stateText(text, conn) {
  return conn && conn.transport === Transport.HTTP ? t("{state} (over plain HTTP)", { state: text }) : text;
}

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
    this.transport = Transport.WEBSOCKET;
    this.wsFailures = 0;
    this.serverSeenUp = false; // plain HTTP reached the server since the last welcome
    this.welcomeTimer = null;
    this.probeTimer = null;
    this.probeDelay = PROBE_FIRST_MS / 2; // doubled each time the page falls back
    this.stream = null; // the fallback's open stream: { abort }
    this.posts = []; // messages waiting to be POSTed, in order
    this.posting = false;
    this.liveText = ""; // this connection's live line as sent, for whole-line edits over HTTP
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

  get httpUrl() {
    return `/sse/${encodeURIComponent(this.meeting)}/${encodeURIComponent(this.room)}`;
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
    clearTimeout(this.probeTimer);
    this.retryTimer = null;
    this.drop();
  }

  /** Send a message if the connection is open and welcomed; false if it could not be sent. */
  send(message) {
    if (!this.open) return false;
    if (message.type === "edit") {
      this.liveText = this.liveText.slice(0, Math.max(0, this.liveText.length - (message.del || 0)));
      this.liveText += message.ins || "";
    } else if (message.type === "commit") {
      this.liveText = "";
    }
    if (this.transport === Transport.HTTP) {
      this.post(message);
      return true;
    }
    this.ws.send(JSON.stringify(message));
    return true;
  }

  get open() {
    if (this.welcome === null) return false;
    if (this.transport === Transport.HTTP) return this.stream !== null;
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
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
    clearTimeout(this.welcomeTimer);
    this.dropStream();
    // A socket still connecting is closed by its open handler: closing it now would make the
    // browser log an error for a connection we chose to drop.
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.close(1000, "reconnecting");
  }

  connect() {
    this.setState(this.everLive ? State.RECONNECTING : State.CONNECTING);
    if (this.transport === Transport.HTTP) {
      this.connectHttp();
      return;
    }
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
      clearTimeout(this.welcomeTimer);
      this.welcomeTimer = setTimeout(() => {
        if (ws === this.ws && this.welcome === null) this.closed(1006, "no welcome");
      }, WELCOME_TIMEOUT_MS);
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
    const welcomed = this.welcome !== null;
    const ws = this.ws;
    this.ws = null;
    this.welcome = null;
    clearTimeout(this.silenceTimer);
    clearTimeout(this.welcomeTimer);
    this.dropStream();
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.close(1000, "no welcome");
    if (this.stopped) return;
    if (this.transport === Transport.WEBSOCKET && !welcomed && code < 4000) {
      // Not one of the server's own codes: the websocket did not get through.
      this.wsFailures += 1;
      if (this.wsFailures >= WS_FAILURES_BEFORE_FALLBACK) {
        this.setState(this.everLive ? State.RECONNECTING : State.CONNECTING);
        this.checkReachable();
        return;
      }
    }
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
    this.backOff(code);
  }

  /** Try again after a pause that doubles with each failure. */
  backOff(code) {
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
    clearTimeout(this.welcomeTimer);
    this.serverSeenUp = false;
    // A new connection has a new live line of its own: nothing of it has been sent yet.
    this.liveText = "";
    if (this.transport === Transport.WEBSOCKET) {
      this.wsFailures = 0;
      this.probeDelay = PROBE_FIRST_MS / 2;
    } else {
      this.scheduleProbe();
    }
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

  // -- the plain-HTTP fallback ------------------------------------------------------------------
  /** Websockets keep failing: is the server down, or is the websocket stopped on the way? Only
   * when plain HTTP reaches the server, and a websocket tried right after fails again, does the
   * page fall back; a server that is restarting is waited for on the websocket as before. */
  async checkReachable() {
    let up = false;
    try {
      up = (await fetch("/healthz", { cache: "no-store" })).ok;
    } catch {
      up = false;
    }
    if (this.stopped || this.ws !== null || this.transport !== Transport.WEBSOCKET) return;
    if (!up) {
      this.serverSeenUp = false;
      this.backOff(1006);
    } else if (this.serverSeenUp) {
      // Each fall back waits longer before trying the websocket again: one that opens and then
      // never delivers must not cost a gap every quarter of a minute.
      this.probeDelay = Math.min(PROBE_MAX_MS, this.probeDelay * 2);
      this.useTransport(Transport.HTTP);
      this.schedule(0);
    } else {
      this.serverSeenUp = true;
      this.schedule(0); // the server is up: one more websocket, at once
    }
  }

  useTransport(transport) {
    this.transport = transport;
    this.attempt = 0;
    clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  /** Query parameters and headers of the fallback's requests: the hello, secrets in headers. */
  httpRequest(withResume) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(this.helloExtra())) {
      if (value !== null && value !== undefined) query.set(name, String(value));
    }
    const headers = {};
    if (this.key) headers.Authorization = `Bearer ${this.key}`;
    if (this.passcode) headers["X-Plenary-Passcode"] = this.passcode;
    if (withResume) {
      query.set("after", String(this.lastSeq));
      headers["Last-Event-ID"] = String(this.lastSeq);
      // The epoch names which record our resume point is in, as in the websocket's hello.
      if (this.epoch) query.set("epoch", this.epoch);
    }
    return { query: query.toString(), headers };
  }

  async connectHttp() {
    const controller = new AbortController();
    const stream = { abort: () => controller.abort() };
    this.stream = stream;
    const { query, headers } = this.httpRequest(true);
    let response;
    try {
      response = await fetch(`${this.httpUrl}?${query}`, {
        headers,
        cache: "no-store",
        signal: controller.signal,
      });
    } catch {
      if (stream === this.stream) this.closed(1006, "");
      return;
    }
    if (stream !== this.stream) return;
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      if (stream === this.stream) this.closed(body.close || 1006, body.error || "");
      return;
    }
    this.watch();
    // Server-Sent Events, read by hand: EventSource cannot send the key in a header.
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let data = [];
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || stream !== this.stream) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, end).replace(/\r$/, "");
          buffer = buffer.slice(end + 1);
          if (line === "") {
            // One event is one websocket message: its data lines are its frames.
            if (data.length) this.receive(data.join("\n"));
            data = [];
            if (stream !== this.stream) return;
          } else if (line.startsWith("data:")) {
            data.push(line.slice(line[5] === " " ? 6 : 5));
          }
        }
      }
    } catch {
      /* the stream broke: reconnect below */
    }
    if (stream === this.stream) this.closed(1006, "");
  }

  dropStream() {
    const stream = this.stream;
    this.stream = null;
    this.posts = [];
    if (stream !== null) stream.abort();
  }

  /** POST messages one at a time, in order (numbered commands must arrive in order); edits
   * waiting behind one another become one edit of the whole line. */
  post(message) {
    const last = this.posts[this.posts.length - 1];
    if (message.type === "edit") {
      message = { type: "edit", del: WHOLE_LINE, ins: this.liveText };
      if (last && last.type === "edit") this.posts.pop();
    }
    this.posts.push(message);
    if (!this.posting) this.postNext();
  }

  async postNext() {
    const stream = this.stream;
    const message = this.posts.shift();
    if (message === undefined || stream === null || this.welcome === null) {
      this.posting = false;
      return;
    }
    this.posting = true;
    const { query, headers } = this.httpRequest(false);
    headers["Content-Type"] = "application/json";
    headers["X-Plenary-Conn"] = this.welcome.conn;
    let reply = null;
    try {
      const response = await fetch(`${this.httpUrl}?${query}`, {
        method: "POST",
        headers,
        body: JSON.stringify(message),
        cache: "no-store",
      });
      if (response.status !== 204) reply = await response.json();
      if (reply && typeof reply.close === "number") {
        this.posting = false;
        if (stream === this.stream) this.closed(reply.close, reply.error || "");
        return;
      }
    } catch {
      // Lost on the way: the page sends what was not acknowledged again after the reconnect.
      this.posting = false;
      if (stream === this.stream) this.reconnectNow();
      return;
    }
    if (reply !== null && stream === this.stream) {
      this.handlers.onFrame?.(reply);
      this.handlers.onBatch?.();
    }
    this.postNext();
  }

  /** On the fallback, try the websocket now and then; once one opens, go back to it. */
  scheduleProbe() {
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => this.probe(), this.probeDelay);
  }

  probe() {
    this.probeTimer = null;
    if (this.stopped || this.transport !== Transport.HTTP) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      return;
    }
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      ws.close(1000, "probe");
      if (this.stopped || this.transport !== Transport.HTTP) return;
      this.useTransport(Transport.WEBSOCKET);
      this.wsFailures = 0;
      this.reconnectNow();
    });
    ws.addEventListener("close", () => {
      if (opened || this.stopped || this.transport !== Transport.HTTP) return;
      this.probeDelay = Math.min(PROBE_MAX_MS, this.probeDelay * 2);
      this.scheduleProbe();
    });
  }
}
