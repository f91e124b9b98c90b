// The load generator: viewers and captioners for plenary and for the peers, on one clock.
//
// Usage: node gen.js CONFIG.json. Progress and results are JSON lines on stdout:
//   {"event":"connected",...}   every viewer and captioner is connected (idle mode: then waits)
//   {"event":"phase-start","name":...} / {"event":"phase-end",...}  around each measured phase
//   {"event":"result",...}      the figures; the last line
// Standard input: a line "stop" ends idle mode.
//
// The captioner is this process, so a line's send time written into its text and read back by
// each viewer is measured on the same clock (performance.timeOrigin + performance.now()).
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const WebSocket = require(path.join(__dirname, "node_modules", "ws"));

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const log = (msg) => process.stderr.write(`[gen] ${msg}\n`);

const PROTO = cfg.proto; // "plenary" | "plain" | "socketio"
const BASE = cfg.url; // ws://127.0.0.1:PORT
const LOCAL_ADDRS = cfg.localAddrs || ["127.0.0.1"];

// Each connection's local address AND port, chosen here. Left to the kernel, a socket bound to an
// address with port 0 makes it search the port table for a free port; with the tens of thousands
// of TIME_WAIT sockets a few storms leave behind, that search cost this process seconds of kernel
// time per storm (perf: inet_bhash2_conflict, inet_csk_bind_conflict) and made it, not the
// server, decide the run. A port named outright costs one lookup. Ports go round each address's
// share of the ephemeral range from a random start, so no two connections of a run share one;
// one that is taken all the same (EADDRINUSE, or EADDRNOTAVAIL for a four-tuple still open) is
// passed over by trying the next (`retryable`).
const PORT_RANGE = (() => {
  try {
    const [lo, hi] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (lo > 0 && hi > lo) return [lo, hi];
  } catch {}
  return [32768, 60999];
})();
const PORT_SPAN = PORT_RANGE[1] - PORT_RANGE[0] + 1;
const nextPort = LOCAL_ADDRS.map(() => Math.floor(Math.random() * PORT_SPAN));
let addrTurn = 0;
function localEndpoint() {
  const a = addrTurn++ % LOCAL_ADDRS.length;
  const localPort = PORT_RANGE[0] + (nextPort[a]++ % PORT_SPAN);
  return { localAddress: LOCAL_ADDRS[a], localPort };
}
const TAKEN = new Set(["EADDRINUSE", "EADDRNOTAVAIL"]);
const MAX_PORT_TRIES = 20;
// Whether a connection that failed with `code` on its `tries`-th port is tried on the next.
const retryable = (code, tries) => TAKEN.has(code) && tries < MAX_PORT_TRIES;

// -- statistics ---------------------------------------------------------------------------------
function pct(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 10) / 10;
}
function summary(samples) {
  const s = Float64Array.from(samples).sort();
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s.length ? Math.round(s[s.length - 1] * 10) / 10 : null };
}

class Phase {
  constructor(name, index) {
    this.name = name;
    this.index = index;
    this.lineLat = [];
    this.liveLat = [];
    this.ackLat = [];
    this.expected = 0;
    this.delivered = 0;
    this.commitsSent = 0;
    this.liveSent = 0;
    this.liveRecv = 0;
    this.messages = 0; // websocket messages the readers received (a message may carry several frames)
    this.bytes = 0;
  }
}
const phases = [];
let current = null; // the phase new sends belong to
const stats = { gaps: 0, dups: 0, closes: {}, readerCloses: 0, errors: 0 };

// -- parsing what viewers receive -----------------------------------------------------------------
// Committed line text: "t=<send time> k=<phase> <filler>"; live text: "t=<send time> <filler>".
// A line's seq: duplicates and gaps are counted; false for a duplicate (nothing more to do).
function onSeq(viewer, seq) {
  if (seq <= viewer.last) {
    stats.dups++;
    return false;
  }
  if (seq > viewer.last + 1 && viewer.last >= 0) stats.gaps += seq - viewer.last - 1;
  viewer.last = seq;
  return true;
}
function onLine(viewer, seq, text) {
  if (seq !== undefined && !onSeq(viewer, seq)) return;
  if (viewer.stalled || viewer.role !== "viewer" || typeof text !== "string" || !text.startsWith("t=")) return;
  const t = parseFloat(text.slice(2));
  const sp = text.indexOf(" k=");
  const ph = phases[parseInt(text.slice(sp + 3), 10)];
  if (!ph) return;
  ph.delivered++;
  ph.lineLat.push(now() - t);
}
function onLive(viewer, text) {
  if (viewer.stalled || viewer.role !== "viewer" || typeof text !== "string" || !text.startsWith("t=")) return;
  const sp = text.indexOf(" k=");
  const ph = phases[parseInt(text.slice(sp + 3), 10)];
  if (!ph) return;
  ph.liveRecv++;
  ph.liveLat.push(now() - parseFloat(text.slice(2)));
}
function onFrame(viewer, obj) {
  const type = obj.type;
  if (type === "line") onLine(viewer, obj.seq, obj.data && obj.data.text);
  else if (type === "live") {
    const lines = obj.data && obj.data.lines;
    if (lines) for (const l of lines) onLive(viewer, l.text);
    else onLive(viewer, obj.data && obj.data.text);
  } else if (type === "welcome") {
    viewer.welcome = obj;
    if (viewer.last < 0) viewer.last = 0;
    viewer.ready();
  } else if (type === "ack") viewer.onAck && viewer.onAck(obj);
  else if (type === "error") {
    stats.errors++;
    if (stats.errors < 5) log(`error frame: ${JSON.stringify(obj)}`);
  }
}

// Lines and live updates are most of what arrives: they are read without a full JSON parse, so
// that the generator's own cost stays small beside the server's. Everything else is parsed.
const TEXT_MARK = '"text":"t=';
const TEXT_MARK_BYTES = Buffer.from(TEXT_MARK);
const LINE_TYPE_BYTES = Buffer.from('"type":"line"');
const SEQ_PREFIX_BYTES = Buffer.from('{"seq":');
// The reconnect storm measures whether every viewer ends up holding every line, once (seqs), not
// each line's latency: its 2.5 million backlog frames are not searched for their send time.
const LINE_LATENCY = cfg.mode !== "storm";

// Digits from b[i] on: [value, index after them].
function digitsAt(b, i) {
  let v = 0;
  for (let c = b[i]; c >= 0x30 && c <= 0x39; c = b[++i]) v = v * 10 + (c - 0x30);
  return [v, i];
}

// A message: plenary's may hold several frames, one per line (a batch, a resume's backlog);
// each is read from its bytes, without making a string of it. In the storm a line's seq is all
// that is read, in place (no view of the frame is made): a resume's backlog is 500 of them.
function quickMessage(viewer, b) {
  if (PROTO !== "plenary") return quickBytes(viewer, b);
  const n = b.length;
  for (let start = 0; start < n; ) {
    let nl = b.indexOf(0x0a, start);
    if (nl < 0) nl = n;
    const seqEnd = LINE_LATENCY ? -1 : lineSeqEnd(b, start);
    if (seqEnd > 0) onSeq(viewer, digitsAt(b, start + 7)[0]);
    else quickBytes(viewer, start === 0 && nl === n ? b : b.subarray(start, nl));
    start = nl + 1;
  }
}

// Where the digits of the seq end if a line's frame starts at b[i] ('{"seq":N,"type":"line"',
// the order every server here writes), else -1.
const LINE_AFTER_SEQ = Buffer.from(',"type":"line"');
function lineSeqEnd(b, i) {
  for (let k = 0; k < 7; k++) if (b[i + k] !== SEQ_PREFIX_BYTES[k]) return -1;
  let j = i + 7;
  while (b[j] >= 0x30 && b[j] <= 0x39) j++;
  for (let k = 0; k < LINE_AFTER_SEQ.length; k++) if (b[j + k] !== LINE_AFTER_SEQ[k]) return -1;
  return j;
}

// One frame: a committed line ({"seq":N,... with its text "t=<send time> k=<phase> ...") read
// from its bytes, the same work for every server; anything else as a string.
function quickBytes(viewer, b) {
  if (b.length > 8 && b.compare(SEQ_PREFIX_BYTES, 0, 7, 0, 7) === 0) {
    const [seq, end] = digitsAt(b, 7);
    const m = b.indexOf(TEXT_MARK_BYTES, end);
    if (m > 0 && b.indexOf(LINE_TYPE_BYTES, end) > 0) {
      if (!onSeq(viewer, seq) || viewer.stalled || viewer.role !== "viewer") return;
      let [t, i] = digitsAt(b, m + 10);
      if (b[i] === 0x2e) {
        const [fraction, j] = digitsAt(b, i + 1);
        t += fraction / 10 ** (j - i - 1);
        i = j;
      }
      if (b[i] !== 0x20 || b[i + 1] !== 0x6b || b[i + 2] !== 0x3d) return; // " k="
      const ph = phases[digitsAt(b, i + 3)[0]];
      if (!ph) return;
      ph.delivered++;
      ph.lineLat.push(now() - t);
      return;
    }
  }
  quickFrame(viewer, b.toString("latin1"));
}
function quickFrame(viewer, s) {
  if (s.startsWith('{"seq":')) {
    const i = s.indexOf(TEXT_MARK);
    if (i > 0 && s.indexOf('"type":"line"') > 0) {
      onLine(viewer, parseInt(s.slice(7, 24), 10), s.slice(i + 8, i + 60));
      return;
    }
  } else if (s.startsWith('{"type":"live"')) {
    let i = s.indexOf(TEXT_MARK);
    while (i > 0) {
      onLive(viewer, s.slice(i + 8, i + 60));
      i = s.indexOf(TEXT_MARK, i + 8);
    }
    return;
  }
  onFrame(viewer, JSON.parse(s));
}

// -- connections --------------------------------------------------------------------------------
const URLS = cfg.urls && cfg.urls.length ? cfg.urls : [BASE];
let urlTurn = 0;
function urlFor(room, role) {
  // Viewers are spread over the server processes; captioners all use the first.
  const BASE = role === "viewer" ? URLS[urlTurn++ % URLS.length] : URLS[0];
  if (PROTO === "plenary") return `${BASE}/ws/${room.meeting}/${room.room}`;
  if (PROTO === "plain") return `${BASE}/${role === "viewer" ? "ws" : "pub"}/${room.room}`;
  const pub = role === "viewer" ? "" : "&pub=1";
  return `${BASE}/socket.io/?EIO=4&transport=websocket&room=${room.room}${pub}`;
}

// A websocket client on a bare TCP socket, for the reconnect storm (5,000 handshakes at once
// through Node's HTTP client and `ws` cost the generator more than the server they measure) and
// for the viewers of the streaming workloads (`ws`'s receiver cost more per message than the
// floor's plain readers, and took the generator's core past 80 % first).
// It speaks what the storm needs (RFC 6455: the upgrade, masked text frames out, unmasked frames
// in, ping and close answered) and offers the same surface `open()` uses: "open", "message",
// "close" and "error" events, send(), terminate(), readyState, _socket.
const net = require("net");
const { EventEmitter } = require("events");
const HEAD_END = Buffer.from("\r\n\r\n");
class BareWebSocket extends EventEmitter {
  constructor(url, { localAddress, localPort }) {
    super();
    const u = new URL(url);
    this.readyState = WebSocket.CONNECTING;
    this.chunks = [];
    this.have = 0;
    this.need = HEAD_END.length; // bytes buffered before parsing is worth trying again
    this.upgraded = false;
    this.fragments = null; // a fragmented message's payloads so far
    const sock = net.connect({ host: u.hostname, port: Number(u.port), localAddress, localPort });
    this._socket = sock;
    sock.setNoDelay(true);
    sock.on("connect", () =>
      sock.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: cGxlbmFyeS1iZW5jaC0xNg==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    sock.on("data", (chunk) => this.data(chunk));
    sock.on("error", (e) => this.emit("error", e));
    sock.on("close", () => this.closed(this.closeCode || 1006));
  }
  data(chunk) {
    this.chunks.push(chunk);
    this.have += chunk.length;
    if (this.have < this.need) return;
    let b = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.have);
    this.chunks = [];
    this.have = 0;
    let off = 0;
    if (!this.upgraded) {
      const end = b.indexOf(HEAD_END);
      if (end < 0) return this.keep(b, 0, b.length + 1);
      if (!b.toString("latin1", 0, 13).startsWith("HTTP/1.1 101")) {
        log(`upgrade refused: ${b.toString("latin1", 0, end)}`);
        this.closeCode = 1002;
        return this._socket.destroy();
      }
      this.upgraded = true;
      this.readyState = WebSocket.OPEN;
      this.emit("open");
      off = end + HEAD_END.length;
    }
    for (;;) {
      const left = b.length - off;
      if (left < 2) return this.keep(b, off, 2);
      const b0 = b[off];
      let len = b[off + 1] & 0x7f;
      let head = 2;
      if (len === 126) {
        if (left < 4) return this.keep(b, off, 4);
        len = b.readUInt16BE(off + 2);
        head = 4;
      } else if (len === 127) {
        if (left < 10) return this.keep(b, off, 10);
        len = Number(b.readBigUInt64BE(off + 2));
        head = 10;
      }
      if (left < head + len) return this.keep(b, off, head + len);
      this.frame(b0 & 0x0f, (b0 & 0x80) !== 0, b.subarray(off + head, off + head + len));
      off += head + len;
      if (this.readyState !== WebSocket.OPEN) return;
    }
  }
  // The unparsed tail b[off:], and how many bytes of it a frame (or the head) needs.
  keep(b, off, need) {
    if (off < b.length) {
      this.chunks.push(off ? b.subarray(off) : b);
      this.have = b.length - off;
    }
    this.need = need;
  }
  frame(opcode, fin, payload) {
    if (opcode === 0x9) return this.write(0xa, payload); // ping: pong with its payload
    if (opcode === 0xa) return;
    if (opcode === 0x8) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.write(0x8, payload.subarray(0, 2));
      this.readyState = WebSocket.CLOSING;
      return this._socket.end();
    }
    if (!fin || opcode === 0x0) {
      (this.fragments ||= []).push(Buffer.from(payload));
      if (!fin) return;
      payload = Buffer.concat(this.fragments);
      this.fragments = null;
    }
    this.emit("message", payload);
  }
  // One unfragmented frame, masked as a client's must be. The key is zero: masking guards
  // browsers' intermediaries against forged requests, which a load generator is not.
  write(opcode, payload) {
    const len = payload.length;
    const head = Buffer.alloc(len < 126 ? 6 : 8);
    head[0] = 0x80 | opcode;
    if (len < 126) head[1] = 0x80 | len;
    else {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    }
    this._socket.write(Buffer.concat([head, payload]));
  }
  send(text) {
    if (this.readyState === WebSocket.OPEN) this.write(0x1, Buffer.from(text));
  }
  terminate() {
    this._socket.destroy();
  }
  closed(code) {
    if (this.readyState === WebSocket.CLOSED) return;
    this.readyState = WebSocket.CLOSED;
    this.emit("close", code);
  }
}

function open(room, role, opts = {}) {
  const viewer = {
    room,
    role,
    last: opts.after === undefined ? -1 : opts.after,
    stalled: !!opts.stalled,
    ws: null,
    welcome: null,
    closed: null,
    ready: null,
    onAck: null,
  };
  return new Promise((resolve, reject) => {
    const local = localEndpoint();
    const url = urlFor(room, role);
    const ws = opts.bare ? new BareWebSocket(url, local) : new WebSocket(url, {
      // inflateConcurrency: how many messages ws inflates at once in this process (default 10).
      perMessageDeflate: cfg.deflate ? { concurrencyLimit: cfg.inflateConcurrency || 10 } : false,
      ...local,
      maxPayload: 64 * 1024 * 1024,
      skipUTF8Validation: true,
      handshakeTimeout: 30000,
    });
    viewer.ws = ws;
    let done = false;
    const timer = setTimeout(() => {
      if (!done) {
        done = true;
        ws.terminate();
        reject(new Error("no welcome within 30 s"));
      }
    }, 30000);
    viewer.ready = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (viewer.stalled) ws._socket.pause(); // connected, never reads again
      resolve(viewer);
    };
    ws.on("open", () => {
      if (PROTO === "plenary") {
        const hello = { type: "hello", after: Math.max(0, viewer.last) };
        if (role !== "viewer") hello.key = room.key;
        ws.send(JSON.stringify(hello));
      } else if (PROTO === "plain") {
        viewer.last = 0;
        viewer.ready();
      }
    });
    ws.on("message", (data) => {
      if (current && role === "viewer" && !viewer.stalled) {
        current.messages++;
        current.bytes += data.length;
      }
      if (PROTO === "plenary" || PROTO === "plain") {
        // Every server's frames here are ASCII JSON (non-ASCII text is escaped).
        quickMessage(viewer, data);
      } else {
        const s = data.toString("latin1");
        // Engine.IO v4 / Socket.IO v5 over a websocket, spoken directly.
        if (s === "2") ws.send("3");
        else if (s[0] === "0") ws.send("40");
        else if (s.startsWith("40")) {
          viewer.last = 0;
          viewer.ready();
        } else if (s.startsWith("42")) {
          const [, payload] = JSON.parse(s.slice(2));
          onFrame(viewer, typeof payload === "string" ? JSON.parse(payload) : payload);
        }
      }
    });
    ws.on("close", (code) => {
      const tries = opts.tries || 1;
      if (!done && retryable(failure, tries)) {
        // Its local port was taken: never connected, so nothing to count; the next port.
        done = true;
        clearTimeout(timer);
        resolve(open(room, role, { ...opts, tries: tries + 1 }));
        return;
      }
      viewer.closed = code;
      stats.closes[code] = (stats.closes[code] || 0) + 1;
      if (role === "viewer" && !viewer.stalled && !viewer.leaving) stats.readerCloses++;
      if (!done) {
        done = true;
        clearTimeout(timer);
        reject(new Error(`closed ${code} before welcome${failure ? ` (${failure})` : ""}`));
      }
    });
    let failure = null;
    ws.on("error", (e) => (failure = e.code || null));
  });
}

async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  let failures = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]);
      } catch (e) {
        failures++;
        if (failures <= 3) log(`connect failed: ${e.message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return { out: out.filter(Boolean), failures };
}

// -- captioners ---------------------------------------------------------------------------------
const FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ".repeat(60);

class Captioner {
  constructor(conn) {
    this.conn = conn;
    this.n = 0;
    this.sentAt = new Map();
    this.liveLen = 0;
    this.acked = 0;
    this.maxSeq = 0;
    conn.onAck = (ack) => {
      const entry = this.sentAt.get(ack.n);
      if (entry) {
        this.sentAt.delete(ack.n);
        entry.ph.ackLat.push(now() - entry.t);
      }
      if (ack.seq) {
        this.acked++;
        this.maxSeq = Math.max(this.maxSeq, ack.seq);
      }
    };
  }
  send(obj) {
    const ws = this.conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (PROTO === "socketio") ws.send(`42${JSON.stringify([obj.type, obj])}`);
    else ws.send(JSON.stringify(obj));
    return true;
  }
  commit(ph, bytes) {
    const t = now();
    const head = `t=${t.toFixed(3)} k=${ph.index} `;
    // cfg.texts: real lines committed in turn (bench/compression.py), else filler of `bytes`.
    const body = cfg.texts ? cfg.texts[this.n % cfg.texts.length] : FILLER.slice(0, Math.max(0, bytes - head.length));
    const text = head + body;
    const n = ++this.n;
    if (PROTO === "plenary") this.sentAt.set(n, { t, ph });
    if (this.send({ type: "commit", n, text, speaker: "Chair" })) ph.commitsSent++;
  }
  live(ph, bytes) {
    const t = now();
    const head = `t=${t.toFixed(3)} k=${ph.index} `;
    const text = head + FILLER.slice(0, Math.max(0, bytes - head.length));
    const msg = PROTO === "plenary" ? { type: "edit", del: this.liveLen, ins: text } : { type: "live", text };
    this.liveLen = text.length;
    if (this.send(msg)) ph.liveSent++;
  }
}

// -- the rooms ------------------------------------------------------------------------------------
const rooms = cfg.rooms; // [{meeting, room, key, viewers, stalled, captioners}]
const viewers = [];
const captioners = new Map(); // room index -> [Captioner]

// Viewers through BareWebSocket when the config says `"bareViewers": true` (and never with
// deflate, which it does not speak).
const BARE_VIEWERS = cfg.bareViewers === true && !cfg.deflate;

async function connectAll() {
  const started = now();
  const capSpecs = [];
  rooms.forEach((room, ri) => {
    for (let c = 0; c < (room.captioners || 1); c++) capSpecs.push({ room, ri });
  });
  const caps = await pool(capSpecs, 50, async (spec) => ({ spec, conn: await open(spec.room, "captioner") }));
  for (const { spec, conn } of caps.out) {
    if (!captioners.has(spec.ri)) captioners.set(spec.ri, []);
    captioners.get(spec.ri).push(new Captioner(conn));
  }
  const specs = [];
  rooms.forEach((room) => {
    for (let i = 0; i < room.viewers; i++) specs.push({ room, stalled: i < (room.stalled || 0) });
  });
  const res = await pool(specs, cfg.connectConcurrency || 100, (s) => open(s.room, "viewer", { stalled: s.stalled, bare: BARE_VIEWERS }));
  viewers.push(...res.out);
  return { viewers: res.out.length, failures: res.failures + caps.failures, connect_s: (now() - started) / 1000 };
}

function readersOf(ri) {
  let n = 0;
  for (const v of viewers) if (v.room === rooms[ri] && !v.stalled && v.closed === null) n++;
  return n;
}

// One phase: every room's captioner commits `commitRate` lines/s and types `liveRate` updates/s.
async function runPhase(spec, index) {
  const ph = new Phase(spec.name, index);
  phases[index] = ph;
  current = ph;
  const readers = rooms.map((_, ri) => readersOf(ri));
  const cpu0 = process.cpuUsage();
  const t0 = now();
  emit({ event: "phase-start", name: spec.name });
  const durMs = spec.duration * 1000;
  const timers = [];
  rooms.forEach((room, ri) => {
    const caps = captioners.get(ri) || [];
    if (!caps.length) return;
    // Commits are spread over the room's captioner connections (each stays under the server's
    // per-connection message rate); live updates come from the first, as one person typing.
    const committers = caps.length > 1 ? caps.slice(1) : caps;
    // Rooms are staggered within one interval so they do not all send in the same millisecond.
    const schedule = (rate, send) => {
      const every = 1000 / rate;
      const startAt = t0 + (ri / rooms.length) * every;
      let i = 0;
      const tick = () => {
        for (;;) {
          const due = startAt + i * every;
          if (due >= t0 + durMs) return;
          if (due > now()) {
            timers.push(setTimeout(tick, due - now()));
            return;
          }
          send(i);
          i++;
        }
      };
      tick();
    };
    if (spec.commitRate > 0) {
      schedule(spec.commitRate, (i) => {
        committers[i % committers.length].commit(ph, spec.lineBytes || 120);
        ph.expected += readers[ri];
      });
    }
    if (spec.liveRate > 0) schedule(spec.liveRate, () => caps[0].live(ph, spec.liveBytes || 60));
  });
  await sleep(durMs);
  const sendEnd = now();
  // Drain: wait for what was sent to arrive, up to the phase's drain time.
  const drainUntil = now() + (spec.drain || 3) * 1000;
  while (now() < drainUntil && ph.delivered < ph.expected) await sleep(20);
  await sleep(150); // stragglers of live updates
  for (const t of timers) clearTimeout(t);
  const cpu = process.cpuUsage(cpu0);
  const wall = (now() - t0) / 1000;
  const line = summary(ph.lineLat);
  const result = {
    name: spec.name,
    commit_rate: spec.commitRate,
    live_rate: spec.liveRate,
    readers: readers.reduce((a, b) => a + b, 0),
    duration_s: spec.duration,
    commits_sent: ph.commitsSent,
    expected: ph.expected,
    delivered: ph.delivered,
    deliveries_per_s: Math.round(ph.delivered / ((sendEnd - t0) / 1000)),
    messages: ph.messages,
    messages_per_s: Math.round(ph.messages / ((sendEnd - t0) / 1000)),
    bytes_per_message: ph.messages ? Math.round(ph.bytes / ph.messages) : null,
    line_latency_ms: line,
    live_sent: ph.liveSent,
    live_received: ph.liveRecv,
    live_latency_ms: summary(ph.liveLat),
    ack_latency_ms: summary(ph.ackLat),
    generator_cpu_s: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
    generator_cpu_pct: Math.round(((cpu.user + cpu.system) / 1e4 / wall) * 10) / 10,
    wall_s: Math.round(wall * 100) / 100,
  };
  emit({ event: "phase-end", name: spec.name });
  return result;
}

async function streamMode() {
  const conn = await connectAll();
  emit({ event: "connected", ...conn });
  await sleep((cfg.settle || 1) * 1000);
  const results = [];
  for (let i = 0; i < cfg.phases.length; i++) {
    const r = await runPhase(cfg.phases[i], i);
    results.push(r);
    const lost = r.expected - r.delivered;
    const ok = lost === 0 && r.line_latency_ms.p99 !== null && r.line_latency_ms.p99 <= (cfg.p99LimitMs || 250);
    r.ok = ok;
    log(`${r.name}: ${r.delivered}/${r.expected} p99 ${r.line_latency_ms.p99} ms, gen cpu ${r.generator_cpu_pct}%`);
    if (cfg.stopOnFail && !ok) break;
    if (cfg.pause) await sleep(cfg.pause * 1000);
  }
  // Stalled viewers read again: what they find says how the server let them go.
  const stalled = viewers.filter((v) => v.stalled);
  const closedWhileStalled = stalled.filter((v) => v.closed !== null).length;
  for (const v of stalled) if (v.ws._socket) v.ws._socket.resume();
  if (stalled.length) await sleep(1500);
  const stalledCodes = {};
  for (const v of stalled) stalledCodes[v.closed] = (stalledCodes[v.closed] || 0) + 1;
  const acked = [];
  for (const [ri, caps] of captioners) {
    acked[ri] = { room: rooms[ri].room, acked: caps.reduce((a, c) => a + c.acked, 0), max_seq: Math.max(0, ...caps.map((c) => c.maxSeq)) };
  }
  return {
    connect: conn,
    viewer_client: BARE_VIEWERS ? "bare" : "ws",
    phases: results,
    gaps: stats.gaps,
    duplicates: stats.dups,
    reader_closes: stats.readerCloses,
    errors: stats.errors,
    stalled: { count: stalled.length, closed_while_stalled: closedWhileStalled, close_codes: stalledCodes },
    acked: acked.filter(Boolean),
  };
}

async function idleMode() {
  const conn = await connectAll();
  emit({ event: "connected", ...conn });
  const rl = readline.createInterface({ input: process.stdin });
  await new Promise((resolve) => rl.on("line", (l) => l.trim() === "stop" && resolve()));
  const open = viewers.filter((v) => v.closed === null).length;
  return { connect: conn, still_open: open };
}

// Reconnect storm: every viewer drops at once while lines are committed, then all resume
// (through BareWebSocket unless the config says `"bareReconnect": false`). Peers (PROTO "plain")
// take the same drop, lines and reconnects, but have no acknowledgement and no resume: for them
// the storm ends when every viewer is connected again.
const BARE_RECONNECT = cfg.bareReconnect !== false;
const RESUMES = PROTO === "plenary";
async function stormMode() {
  const conn = await connectAll();
  emit({ event: "connected", ...conn });
  const caps = captioners.get(0);
  const warm = new Phase("warm-up", 0);
  phases[0] = warm;
  const storm = new Phase("storm", 1);
  phases[1] = storm;
  const warmup = cfg.warmup || 20;
  for (let i = 0; i < warmup; i++) caps[i % caps.length].commit(warm, 120);
  if (RESUMES) while (caps.reduce((a, c) => a + c.acked, 0) < warmup) await sleep(10);
  const warmSeq = RESUMES ? Math.max(...caps.map((c) => c.maxSeq)) : warmup;
  while (viewers.some((v) => v.last < warmSeq)) await sleep(10);
  emit({ event: "phase-start", name: "storm" });
  const cpu0 = process.cpuUsage();
  const t0 = now();
  // Everyone drops at once ...
  for (const v of viewers) {
    v.leaving = true;
    v.ws.terminate();
  }
  // ... while the captioners commit `events` lines ...
  const total = cfg.events || 500;
  for (let i = 0; i < total; i++) caps[i % caps.length].commit(storm, 120);
  // ... and every viewer reconnects at once, resuming from the last seq it holds.
  const states = viewers.map((v) => ({ last: v.last }));
  const reconnectStarted = now();
  const res = await pool(states, cfg.reconnectConcurrency || 1000, async (s) => {
    const v = await open(rooms[0], "viewer", { after: s.last, bare: BARE_RECONNECT });
    v.last = Math.max(v.last, s.last);
    return v;
  });
  const reconnected_s = (now() - reconnectStarted) / 1000;
  let finalSeq = null;
  if (RESUMES) {
    while (caps.reduce((a, c) => a + c.acked, 0) < warmup + total) await sleep(10);
    finalSeq = Math.max(...caps.map((c) => c.maxSeq));
    const deadline = now() + (cfg.timeout || 60) * 1000;
    while (now() < deadline && res.out.some((v) => v.last < finalSeq)) await sleep(10);
  }
  const complete_s = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  emit({ event: "phase-end", name: "storm" });
  return {
    connect: conn,
    viewers: viewers.length,
    reconnected: res.out.length,
    reconnect_failures: res.failures,
    resumes: RESUMES,
    complete: RESUMES ? res.out.filter((v) => v.last >= finalSeq).length : null,
    final_seq: finalSeq,
    events: total,
    reconnect_client: BARE_RECONNECT ? "bare" : "ws",
    all_reconnected_s: Math.round(reconnected_s * 1000) / 1000,
    complete_s: Math.round(complete_s * 1000) / 1000,
    gaps: stats.gaps,
    duplicates: stats.dups,
    ack_latency_ms: summary(storm.ackLat),
    generator_cpu_s: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
    generator_cpu_pct: Math.round(((cpu.user + cpu.system) / 1e4 / complete_s) * 10) / 10,
  };
}

// Kernel floor (bench/floor.c): plain TCP readers that count the bytes the C sender writes to them
// and otherwise do nothing; the sender closes every connection when it is done.
async function floorMode() {
  const [host, port] = [cfg.floorHost || "127.0.0.1", cfg.floorPort];
  let received = 0;
  let open = 0;
  let closedAll;
  const allClosed = new Promise((r) => (closedAll = r));
  const connectOne = (_, tries = 1) =>
    new Promise((resolve, reject) => {
      let connected = false;
      const sock = net.connect({ host, port, ...localEndpoint() }, () => {
        connected = true;
        open++;
        resolve(sock);
      });
      sock.on("error", (e) => {
        if (connected) return;
        if (retryable(e.code, tries)) resolve(connectOne(_, tries + 1));
        else reject(e);
      });
      sock.on("data", (d) => (received += d.length));
      sock.on("close", () => {
        if (connected && --open === 0) closedAll();
      });
    });
  const items = Array.from({ length: cfg.connections }, (_, i) => i);
  const res = await pool(items, cfg.connectConcurrency || 100, connectOne);
  emit({ event: "connected", viewers: res.out.length, failures: res.failures });
  await Promise.race([allClosed, sleep((cfg.timeout || 600) * 1000)]);
  return { connections: res.out.length, failures: res.failures, received_bytes: received, still_open: open };
}

(async () => {
  let result;
  try {
    if (cfg.mode === "floor") result = await floorMode();
    else if (cfg.mode === "idle") result = await idleMode();
    else if (cfg.mode === "storm") result = await stormMode();
    else result = await streamMode();
  } catch (e) {
    result = { error: String(e && e.stack ? e.stack : e) };
  }
  emit({ event: "result", ...result });
  for (const v of viewers) v.ws.terminate();
  for (const caps of captioners.values()) for (const c of caps) c.conn.ws.terminate();
  setTimeout(() => process.exit(0), 200);
})();
