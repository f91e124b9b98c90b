// The transcript a page holds: committed lines by seq with corrections applied, and the text
// and WebVTT files made from it. The formats are the server's (server/record/exports.py), so a file
// downloaded from the page is the same as the export of the same lines.

// Cue timing, as server/record/exports.py MAX_CUE_MS and SPREAD_MS.
const MAX_CUE_MS = 8000;
const SPREAD_MS = 2000;

// The character classes of server/domain/text.py, spelled out: JavaScript's \s and Python's idea
// of whitespace differ (U+FEFF, U+0085), and the page must keep what the record keeps.
// tests/domain/test_text.py runs this and the server's on one table (tests/data/clean_text.json).
const SPACES = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;
// eslint-disable-next-line no-control-regex
const REMOVED = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufeff]/g;
// With the u flag a surrogate pair is one code point: only unpaired surrogates match.
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

/** The server's clean_text: one line of real text, no control characters, spaces folded. */
export function cleanText(text) {
  const real = text.replace(LONE_SURROGATE, "\ufffd");
  return real.replace(REMOVED, "").replace(SPACES, " ").replace(/^ | $/g, "");
}

/** Length in characters as the server counts them (code points, not UTF-16 units). */
export function charLength(text) {
  return Array.from(text).length;
}

function zoneOrUtc(timezone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
    return timezone;
  } catch {
    return "UTC";
  }
}

/** Date and time parts of a server timestamp (ms) in the meeting's time zone. */
function parts(ms, timezone) {
  const format = new Intl.DateTimeFormat("en", {
    timeZone: zoneOrUtc(timezone),
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  const out = {};
  for (const p of format.formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

/** "14:05:09" in the meeting's time zone. */
export function clockTime(ms, timezone) {
  const p = parts(ms, timezone);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** "2014-02-24 14:05:09" in the meeting's time zone, as in the text export. */
export function clockStamp(ms, timezone) {
  const p = parts(ms, timezone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** When a line began (ms): its `at` (a caption sender's cue time, or the first part of a line
 * sent in parts; UTC, YYYY-MM-DDTHH:MM:SS.mmm), else when it was recorded. */
function beganAt(at, ts) {
  if (typeof at !== "string") return ts;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(at) ? at : `${at}Z`);
  return Number.isFinite(ms) ? ms : ts;
}

export class Transcript {
  constructor() {
    /** @type {Map<number, {seq:number, ts:number, begins:number, text:string, speaker:string, captioner:string, corrected:boolean, was:string}>} */
    this.lines = new Map();
    /** @type {Map<string, {name:string, text:string}>} caption stations' open lines, by `by` */
    this.open = new Map();
  }

  clear() {
    this.lines.clear();
    this.open.clear();
  }

  /**
   * Apply a recorded event. Returns the line it added or changed (with `added` or `corrected`
   * set; a re-attribution also gives every line it changed as `lines`), `{open: {by, name, text}}` when a caption station's open line grew, or null for
   * events that do not touch the transcript.
   */
  apply(frame) {
    const data = frame.data || {};
    if (frame.type === "line") {
      const line = {
        seq: frame.seq,
        ts: frame.ts,
        begins: beganAt(data.at, frame.ts),
        text: String(data.text ?? ""),
        speaker: String(data.speaker ?? ""),
        captioner: String(data.captioner ?? ""),
        lang: String(data.lang ?? ""),
        by: data.by ?? null,
        corrected: false,
        was: "",
        intervention: data.intervention ?? null,
        reattributed: false,
        wasSpeaker: "",
        reattributedBy: "",
      };
      this.lines.set(frame.seq, line);
      if (line.by !== null) this.open.delete(String(line.by)); // it ends its open line
      return { line, added: true };
    }
    if (frame.type === "line.partial" && typeof data.by === "string") {
      // Text a caption station sent without a line end, recorded: the line it is sending.
      const before = this.open.get(data.by);
      const open = { name: String(data.captioner ?? ""), text: (before ? before.text : "") + String(data.text ?? "") };
      this.open.set(data.by, open);
      return { open: { by: data.by, ...open } };
    }
    if (frame.type === "line.reattributed") {
      // Who a run of lines is attributed to, put right: the speaker shown follows, and the line
      // says it was re-attributed and from whom.
      const set = data.set || {};
      const was = new Map((data.was || []).map((w) => [w.line, w]));
      const lines = [];
      for (const seq of data.lines || []) {
        const line = this.lines.get(seq);
        if (line === undefined) continue;
        if ("speaker" in set) {
          const before = was.get(seq);
          line.wasSpeaker = String(before && "speaker" in before ? before.speaker ?? "" : line.speaker);
          line.speaker = String(set.speaker ?? "");
        }
        if ("intervention" in set) line.intervention = set.intervention;
        line.reattributed = true;
        line.reattributedBy = String(data.by ?? "");
        lines.push(line);
      }
      if (!lines.length) return null;
      return { line: lines[0], lines, corrected: true, reattributed: true };
    }
    if (frame.type === "correction") {
      const line = this.lines.get(data.line);
      if (line === undefined) return null;
      line.was = String(data.was ?? line.text);
      line.text = String(data.text ?? "");
      line.corrected = true;
      return { line, corrected: true };
    }
    return null;
  }

  toText(title, timezone) {
    const out = title ? [title, "=".repeat(charLength(title)), ""] : [];
    for (const line of this.lines.values()) {
      const who = line.speaker ? `${line.speaker}: ` : "";
      out.push(`[${clockStamp(line.ts, timezone)}] ${who}${line.text}`);
    }
    return out.join("\n") + "\n";
  }

  toWebVtt() {
    const lines = [...this.lines.values()];
    const out = ["WEBVTT", ""];
    cueTimes(lines).forEach(([start, end], i) => {
      const line = lines[i];
      out.push(String(line.seq), `${stamp(start)} --> ${stamp(end)}`);
      let text = vttEscape(line.text);
      if (line.speaker) text = `<v ${vttEscape(line.speaker).replace(/>/g, "")}>${text}</v>`;
      out.push(text, "");
    });
    return out.join("\n");
  }
}

/** server/record/exports.py cue_times: cues in the record's order, each from when its line
 * began, strictly increasing, each ending no later than the next begins. */
function cueTimes(lines) {
  if (!lines.length) return [];
  const began = lines.map((line) => line.begins);
  for (let i = 1; i < began.length; i++) began[i] = Math.max(began[i], began[i - 1]);
  const starts = [];
  for (let i = 0; i < began.length;) {
    let j = i;
    while (j < began.length && began[j] === began[i]) j++;
    // Lines i..j-1 began together: spread them until the next line begins.
    const room = j < began.length ? began[j] - began[i] : (j - i) * SPREAD_MS;
    const slot = Math.min(SPREAD_MS, Math.floor(room / (j - i)));
    for (let k = 0; k < j - i; k++) starts.push(began[i] + k * slot);
    i = j;
  }
  for (let i = 1; i < starts.length; i++) starts[i] = Math.max(starts[i], starts[i - 1] + 1);
  const origin = starts[0];
  return starts.map((start, i) => {
    const next = i + 1 < starts.length ? starts[i + 1] : start + MAX_CUE_MS;
    return [start - origin, Math.min(next, start + MAX_CUE_MS) - origin];
  });
}

function floorDiv(a, b) {
  return [Math.floor(a / b), ((a % b) + b) % b];
}

function stamp(ms) {
  const [h, r1] = floorDiv(ms, 3600000);
  const [m, r2] = floorDiv(r1, 60000);
  const [s, rest] = floorDiv(r2, 1000);
  const two = (n) => String(n).padStart(2, "0");
  return `${two(h)}:${two(m)}:${two(s)}.${String(rest).padStart(3, "0")}`;
}

function vttEscape(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Offer text as a file download. */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the file by the next turn; free the memory after a generous delay.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** Create an element with attributes and text content (never markup). */
export function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  if (text !== null) node.textContent = text;
  return node;
}
