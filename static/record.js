// The meeting record console: search across the transcript, the per-item digest, participation
// figures with charts, the draft chair's summary and downloads. For the chair and secretariat:
// every request carries the key from the URL fragment (#meeting=…&key=…), which browsers never
// send to the server. Everything anyone typed is inserted as text, never as markup.

import { KIND_NOUNS, PRESENCE_LABELS, PROPOSAL_KINDS, PROPOSAL_STATUSES, STATUS_NAMES } from "./vocabulary.js";
import { dir, formatDateTime, formatList, formatNumber, serverMessage, t, tn } from "./i18n.js";

const params = new URLSearchParams(location.hash.slice(1));
const pathMeeting = location.pathname.match(/^\/m\/([a-z0-9]+)\/record/);
const meeting = params.get("meeting") || (pathMeeting ? pathMeeting[1] : "");
const key = params.get("key") || "";
const api = `/api/m/${encodeURIComponent(meeting)}`;
const PAGE = 100;

const $ = (id) => document.getElementById(id);
let timezone = "UTC";
let lastQuery = null;
let shown = 0;
let languages = []; // the meeting's interpretation channels (tags)

/** An element with attributes and text content (never markup). */
function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  if (text !== null) node.textContent = String(text);
  return node;
}

function status(text, error = false) {
  const node = $("status");
  node.textContent = text;
  node.classList.toggle("error", error);
}

async function get(path) {
  const response = await fetch(api + path, { headers: { authorization: `Bearer ${key}` } });
  if (!response.ok) {
    let message = `${response.status}`;
    try {
      message = serverMessage(await response.json(), message);
    } catch {
      // not JSON: keep the status code
    }
    throw new Error(message);
  }
  return response;
}

async function getJson(path) {
  return (await get(path)).json();
}

/** POST a JSON body; resolves to the answer, or throws with the server's message. */
async function post(path, body) {
  const response = await fetch(api + path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // not JSON: the status says it
  }
  if (!response.ok) throw new Error(serverMessage(answer, `${response.status}`));
  return answer;
}

/** The reports and pages computed from the record are drawn again after a correction. */
function recordChanged() {
  for (const name of ["digest", "figures", "summary", "interventions"]) loaded.delete(name);
}

function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => formatNumber(n, { minimumIntegerDigits: 2 });
  if (h) return t("{h} h {m} min", { h, m: two(m) });
  if (m) return t("{m} min {s} s", { m, s: two(s) });
  return t("{s} s", { s });
}

function clock(ms) {
  return formatDateTime(ms, timezone, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

/** A table of text cells; the last `numeric` columns are figures. */
function table(caption, head, rows, numeric = 0) {
  const tbl = el("table");
  if (caption) tbl.append(el("caption", {}, caption));
  const first = head.length - numeric;
  const tr = el("tr");
  head.forEach((h, i) => tr.append(el("th", { scope: "col", class: i >= first ? "num" : null }, h)));
  const thead = el("thead");
  thead.append(tr);
  tbl.append(thead);
  const body = el("tbody");
  for (const row of rows) {
    const r = el("tr");
    row.forEach((c, i) => r.append(el("td", { class: i >= first ? "num" : null }, c)));
    body.append(r);
  }
  tbl.append(body);
  return tbl;
}

// -- tabs --------------------------------------------------------------------------------------
const loaders = { search: null, digest: loadDigest, figures: loadFigures, summary: loadSummary,
  interventions: loadInterventions, exports: loadExports };
const loaded = new Set();

function select(name) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
  if (loaders[name] && !loaded.has(name)) {
    loaded.add(name);
    loaders[name]().catch((err) => {
      loaded.delete(name);
      status(t("Could not load: {error}", { error: err.message }), true);
    });
  }
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab.id.slice(4)));
    tab.addEventListener("keydown", (event) => {
      // One tab stop for the row; the arrows (in the reading direction: right to left, the next
      // tab is the one on the left), Home and End move between tabs.
      const forward = dir === "rtl" ? "ArrowLeft" : "ArrowRight";
      const back = dir === "rtl" ? "ArrowRight" : "ArrowLeft";
      const target = { [forward]: i + 1, [back]: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (target === undefined) return;
      event.preventDefault();
      const next = tabs[(target + tabs.length) % tabs.length];
      next.focus();
      select(next.id.slice(4));
    });
  });
}

// -- search ------------------------------------------------------------------------------------
let facetsData = { rooms: [], items: [] };

async function loadFacets() {
  const f = await getJson("/record/facets");
  facetsData = f;
  timezone = f.timezone || "UTC";
  $("title").textContent = t("Meeting record: {title}", { title: f.title });
  document.title = `${t("Meeting record: {title}", { title: f.title })} — plenary`;
  const fill = (list, values) => values.forEach((v) => list.append(el("option", { value: v.value })));
  fill($("speakers"), f.speakers);
  fill($("delegations"), f.delegations);
  const items = document.querySelector('select[name="item"]');
  f.items.forEach((i) => items.append(el("option", { value: i.item }, i.label)));
  const rooms = document.querySelector('select[name="room"]');
  f.rooms.forEach((r) => rooms.append(el("option", { value: r.id }, r.name)));
  // The meeting's interpretation channels: search within one, export one or all.
  languages = Array.isArray(f.languages) ? f.languages.map(String) : [];
  const channels = document.querySelector('select[name="channel"]');
  languages.forEach((tag) => channels.append(el("option", { value: tag }, t("Interpretation ({tag})", { tag }))));
  status(tn("{n} transcript line; times in {zone}.", "{n} transcript lines; times in {zone}.", f.lines, { zone: timezone }));
}

function queryString(form, offset) {
  const q = new URLSearchParams();
  for (const [name, value] of new FormData(form).entries()) {
    if (String(value).trim()) q.set(name, String(value).trim());
  }
  q.set("limit", String(PAGE));
  q.set("offset", String(offset));
  return q;
}

function hitItem(hit) {
  const li = el("li");
  const meta = el("span", { class: "meta" });
  meta.append(el("time", { datetime: new Date(hit.ts).toISOString() }, clock(hit.ts)));
  meta.append(document.createTextNode(` · ${hit.room_name}`));
  if (hit.channel && hit.channel !== "floor") meta.append(document.createTextNode(` · interpretation (${hit.channel})`));
  if (hit.item_label) meta.append(document.createTextNode(` · ${hit.item_label}`));
  if (hit.corrected) meta.append(document.createTextNode(` · ${t("corrected")}`));
  if (hit.reattributed) meta.append(document.createTextNode(` · ${t("re-attributed")}`));
  li.append(meta);
  if (hit.speaker) {
    const who = hit.delegation && hit.delegation !== hit.speaker
      ? `${hit.speaker} (${hit.delegation}): ` : `${hit.speaker}: `;
    li.append(el("span", { class: "speaker" }, who));
  }
  for (const seg of hit.segments) {
    li.append(seg.hit ? el("mark", {}, seg.text) : document.createTextNode(seg.text));
  }
  const correct = el("button", { type: "button", class: "correct no-print", "aria-label": t("Correct line {line} of {room}", { line: hit.seq, room: hit.room_name }) }, t("Correct"));
  correct.addEventListener("click", () => openReattribution(li, hit, correct));
  li.append(" ", correct);
  return li;
}

// -- re-attribution ----------------------------------------------------------------------------
const interventionCache = new Map(); // room -> its interventions

async function roomInterventions(room) {
  if (!interventionCache.has(room)) {
    const data = await getJson(`/${encodeURIComponent(room)}/interventions`);
    interventionCache.set(room, data.interventions);
  }
  return interventionCache.get(room);
}

function whoText(who) {
  return who.delegation && who.delegation !== who.name ? `${who.name} (${who.delegation})` : who.name;
}

/** The form that re-attributes a line found (and, with "through", the lines after it). */
async function openReattribution(li, hit, opener) {
  if (li.querySelector("form")) return;
  const form = el("form", { class: "reattribute no-print", "aria-label": t("Re-attribute line {line}", { line: hit.seq }) });
  const fields = el("div", { class: "fields" });
  const intervention = el("select", { name: "intervention" });
  intervention.append(el("option", { value: "" }, t("No intervention")));
  for (const i of await roomInterventions(hit.room)) {
    const option = el("option", { value: String(i.intervention) },
      `${whoText(i.who)}, from ${clock(i.began)} (intervention ${i.intervention})`);
    if (i.intervention === hit.intervention) option.selected = true;
    intervention.append(option);
  }
  const speaker = el("input", { name: "speaker", autocomplete: "off", list: "speakers" });
  speaker.value = hit.speaker;
  const delegation = el("input", { name: "delegation", autocomplete: "off", list: "delegations" });
  delegation.value = hit.delegation;
  const item = el("select", { name: "item" });
  item.append(el("option", { value: "" }, t("No agenda item")));
  for (const i of facetsData.items) {
    item.append(el("option", { value: String(i.item), selected: i.item === hit.item ? "" : null }, i.label));
  }
  const through = el("input", { name: "through", type: "number", min: String(hit.seq), step: "1" });
  through.value = String(hit.seq);
  const field = (label, control) => {
    const l = el("label", {}, label);
    l.append(control);
    return l;
  };
  fields.append(field(t("Intervention (its speaker follows)"), intervention), field(t("Speaker"), speaker),
    field(t("Delegation"), delegation), field(t("Agenda item"), item),
    field(t("Through line (from {line})", { line: hit.seq }), through));
  const save = el("button", { type: "submit" }, t("Re-attribute"));
  const cancel = el("button", { type: "button", class: "secondary" }, t("Cancel"));
  const said = el("p", { role: "status", class: "form-status" });
  form.append(fields, save, " ", cancel, said);
  intervention.addEventListener("change", async () => {
    const found = (await roomInterventions(hit.room)).find((i) => String(i.intervention) === intervention.value);
    if (found) {
      speaker.value = found.who.name;
      delegation.value = found.who.delegation;
    }
  });
  const close = () => {
    form.remove();
    opener.focus();
  };
  cancel.addEventListener("click", close);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    const chosen = intervention.value === "" ? null : Number(intervention.value);
    if (chosen !== (hit.intervention ?? null)) body.intervention = chosen;
    if (speaker.value.trim() !== hit.speaker) body.speaker = speaker.value.trim();
    if (delegation.value.trim() !== hit.delegation) body.delegation = delegation.value.trim() || null;
    const itemId = item.value === "" ? null : Number(item.value);
    if (itemId !== (hit.item ?? null)) body.item = itemId;
    if (Number(through.value) > hit.seq) body.through = Number(through.value);
    if (!Object.keys(body).some((k) => k !== "through")) {
      // Everything given again as it is: the server would refuse it; the form says so first.
      body.speaker = hit.speaker;
    }
    try {
      const answer = await post(`/${encodeURIComponent(hit.room)}/lines/${hit.seq}/attribution`, body);
      const n = answer.event.data.lines.length;
      status(tn("Re-attributed {n} line; the record keeps what it was.", "Re-attributed {n} lines; the record keeps what they were.", n));
      recordChanged();
      if (lastQuery) await runSearch(0);
    } catch (err) {
      said.textContent = t("Not recorded: {error}", { error: err.message });
      said.classList.add("error");
    }
  });
  li.append(form);
  intervention.focus();
}

async function runSearch(offset) {
  const form = $("search-form");
  const q = queryString(form, offset);
  lastQuery = q;
  const result = await getJson(`/record/search?${q}`);
  const list = $("search-results");
  if (offset === 0) {
    list.replaceChildren();
    shown = 0;
  }
  result.hits.forEach((hit) => list.append(hitItem(hit)));
  shown += result.hits.length;
  $("search-count").textContent = result.total
    ? tn("{n} line found; showing {shown}.", "{n} lines found; showing {shown}.", result.total, { shown })
    : t("Nothing found.");
  $("search-more").hidden = shown >= result.total;
}

function setupSearch() {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch(0).catch((err) => {
      $("search-count").textContent = t("The search failed: {error}", { error: err.message });
    });
  });
  $("search-more").addEventListener("click", () => {
    if (lastQuery) runSearch(shown).catch((err) => status(err.message, true));
  });
}

// -- digest ------------------------------------------------------------------------------------
const KINDS = KIND_NOUNS;
const PRESENCE = PRESENCE_LABELS;
const STATUS = STATUS_NAMES;

function groupLine(g) {
  const kind = g.kind === "adhoc" ? t("ad-hoc group") : t("break-out group");
  const about = g.convener
    ? t("{kind}, convened by {convener}, {duration}", { kind, convener: g.convener, duration: duration(g.duration_ms) })
    : t("{kind}, {duration}", { kind, duration: duration(g.duration_ms) });
  let text = t("{name} ({about})", { name: g.name, about });
  if (g.topic) text = t("{group} on {topic}", { group: text, topic: g.topic });
  return g.report
    ? t("{group}: reported “{report}”", { group: text, report: g.report })
    : t("{group}: no report recorded", { group: text });
}

function roomParts(parent, parts) {
  for (const part of parts) {
    parent.append(el("h4", {}, `${part.name}: ${duration(part.time_ms)}`));
    if (part.presentations.length) {
      const ul = el("ul");
      for (const p of part.presentations) {
        const who = p.who.delegation ? `${p.who.name} (${p.who.delegation})` : p.who.name;
        ul.append(el("li", {}, p.note ? t("Presentation by {who} — {note}", { who, note: p.note }) : t("Presentation by {who}", { who })));
      }
      parent.append(ul);
    }
    if (part.interventions.length) {
      const rows = part.interventions.map((i, n) => [
        String(n + 1), clock(i.began), i.who.name, i.who.delegation, i.who.group,
        PRESENCE[i.who.presence] || i.who.presence,
        i.presentation ? t("presentation") : KINDS[i.kind] || i.kind,
        i.running ? t("{duration} (speaking)", { duration: duration(i.spoken_ms) }) : duration(i.spoken_ms),
      ]);
      parent.append(table(t("Interventions, {room}", { room: part.name }),
        ["#", t("Time"), t("Name"), t("Delegation"), t("Group"), t("Where"), t("Kind"), t("Speaking")], rows, 1));
    }
    // The server's own words: what each count counts (requests made under the item, and
    // requests given the floor under it, some made under another item).
    parent.append(el("p", {}, part.requests.said));
    parent.append(el("p", {}, part.item === null
      ? t("Transcript lines attributed to no agenda item: {count}.", { count: part.lines })
      : t("Transcript lines attributed to this item: {count}.", { count: part.lines })));
  }
}

async function loadDigest() {
  const d = await getJson("/record/digest.json");
  const root = $("digest");
  root.replaceChildren();
  const links = el("p", { class: "no-print" });
  reportButtons(links, "digest");
  root.append(links);
  for (const item of d.items) {
    const section = el("section");
    section.append(el("h3", {}, item.label));
    section.append(el("p", {}, t("Status: {status}. Time spent: {duration}.",
      { status: STATUS[item.status] || item.status, duration: duration(item.time_ms) })));
    if (item.outcome) section.append(el("p", {}, t("Outcome: {outcome}", { outcome: item.outcome })));
    roomParts(section, item.rooms);
    if (item.groups.length) {
      const ul = el("ul");
      item.groups.forEach((g) => ul.append(el("li", {}, groupLine(g))));
      section.append(ul);
    }
    root.append(section);
  }
  if (d.outside_items.length) {
    const section = el("section");
    section.append(el("h3", {}, t("Outside any agenda item")));
    roomParts(section, d.outside_items);
    root.append(section);
  }
  root.append(el("h3", {}, t("Not discussed")));
  const nd = el("ul");
  d.not_discussed.forEach((i) => nd.append(el("li", {}, `${i.label} (${STATUS[i.status] || i.status})`)));
  if (!d.not_discussed.length) nd.append(el("li", {}, t("None.")));
  root.append(nd);
  root.append(el("h3", {}, t("Groups")));
  const gl = el("ul");
  d.groups.forEach((g) => gl.append(el("li", {}, groupLine(g))));
  if (!d.groups.length) gl.append(el("li", {}, t("None.")));
  root.append(gl);
  for (const doc of d.documents || []) root.append(documentSection(doc));
}

// -- the rolling document in the digest ---------------------------------------------------------
function proposalHead(p) {
  if (!p.active) return t("{proposal}, merged into {into}", { proposal: p.proposal, into: p.merged_into });
  return `${p.proposal}, ${PROPOSAL_KINDS[p.kind] || p.kind}, ${PROPOSAL_STATUSES[p.status] || p.status}`;
}

function documentSection(doc) {
  const section = el("section", { class: "document", "aria-labelledby": `doc-${doc.doc}` });
  section.append(el("h3", { id: `doc-${doc.doc}` }, t("Rolling document: {title}", { title: doc.title })));
  if (doc.description) section.append(el("p", {}, doc.description));
  for (const c of doc.categories) {
    section.append(el("h4", {}, c.label));
    for (const p of c.proposals) {
      const article = el("article", { class: "proposal", id: `proposal-${p.proposal}` });
      article.append(el("h5", {}, proposalHead(p)));
      if (p.active) {
        if (p.text_before !== p.text_after) {
          article.append(el("p", {}, t("Text before: {text}", { text: p.text_before })));
          article.append(el("p", {}, t("Text after: {text}", { text: p.text_after })));
        } else {
          article.append(el("p", {}, t("Text: {text}", { text: p.text_after })));
        }
      }
      if (p.submitted_by.length) article.append(el("p", {}, t("Submitted by: {names}", { names: formatList(p.submitted_by.map((x) => x.name)) })));
      if (p.groups.length) article.append(el("p", {}, t("Worked on in: {groups}", { groups: formatList(p.groups) })));
      if (p.interventions.length) {
        article.append(table(t("Spoke on {proposal}, in order", { proposal: p.proposal }),
          ["#", t("Time"), t("Name"), t("Delegation"), t("Group"), t("Where"), t("Room"), t("Speaking")],
          p.interventions.map((i, n) => [String(n + 1), clock(i.began), i.name, i.delegation, i.group,
            i.where, i.room_name, duration(i.spoken_ms)]), 1));
      } else {
        article.append(el("p", {}, t("Nobody took the floor on it.")));
      }
      const history = el("ol", { class: "history", "aria-label": t("History of {proposal}", { proposal: p.proposal }) });
      p.history.forEach((h) => history.append(el("li", {}, h.said)));
      article.append(history);
      section.append(article);
    }
    if (!c.proposals.length) section.append(el("p", {}, t("No proposals.")));
  }
  return section;
}

// -- figures -----------------------------------------------------------------------------------
let figureData = null;

// Transcript lines: those attributed to the interventions counted, as corrected.
const SPEAKING_HEAD = [t("Interventions"), t("Speaking time"), t("Transcript lines")];

function speakingRows(rows, presence = false) {
  return rows.map((r) => [presence ? PRESENCE[r.key] || r.key : r.key, String(r.interventions),
    duration(r.speaking_ms), String(r.lines)]);
}

function waitRows(rows, presence = false) {
  return rows.map((r) => [presence ? PRESENCE[r.key] || r.key : r.key, String(r.count),
    duration(r.median_ms), duration(r.mean_ms), duration(r.max_ms)]);
}

/** An SVG chart from the server as an image (the page never parses markup into itself); its
 * text alternative is the chart's own description, and the table beside it holds the data. */
function chartFigure(svg) {
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  const title = doc.querySelector("title")?.textContent || t("Chart");
  const desc = doc.querySelector("desc")?.textContent || "";
  const figure = el("figure");
  figure.append(el("figcaption", {}, title));
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  figure.append(el("img", { src: `data:image/svg+xml;base64,${btoa(binary)}`, alt: `${title}: ${desc}` }));
  return figure;
}

async function showScope(index) {
  const scope = figureData.scopes[index];
  const root = $("figures");
  root.replaceChildren();
  const req = scope.requests;
  const spoken = tn("{n} intervention, {duration} of speaking time.", "{n} interventions, {duration} of speaking time.",
    scope.interventions, { duration: duration(scope.speaking_ms) });
  const asked = tn("{n} floor request: {granted} granted, {withdrawn} withdrawn, {removed} removed, {waiting} still waiting.",
    "{n} floor requests: {granted} granted, {withdrawn} withdrawn, {removed} removed, {waiting} still waiting.", req.made, req);
  root.append(el("p", {}, `${spoken} ${asked}`));
  const charts = await getJson(`/record/charts?scope=${index}`);
  for (const svg of Object.values(charts.charts)) root.append(chartFigure(svg));
  // Every column is named, the first too: a screen reader reads the header with each cell.
  root.append(table(t("By stakeholder group"), [t("Stakeholder group"), ...SPEAKING_HEAD], speakingRows(scope.by_group), 3));
  root.append(table(t("In the room and remote"), [t("Where"), ...SPEAKING_HEAD], speakingRows(scope.by_presence, true), 3));
  root.append(table(t("By delegation"), [t("Delegation"), ...SPEAKING_HEAD], speakingRows(scope.by_delegation), 3));
  const waitHead = [t("Given the floor"), t("Median wait"), t("Mean wait"), t("Longest wait")];
  root.append(table(t("Waiting for the floor, in the room and remote"), [t("Where"), ...waitHead], waitRows(scope.waiting.by_presence, true), 4));
  root.append(table(t("Waiting for the floor, by stakeholder group"), [t("Stakeholder group"), ...waitHead], waitRows(scope.waiting.by_group), 4));
  if (index === 0) for (const doc of figureData.documents || []) documentTables(root, doc);
  if (scope.not_granted.length) {
    root.append(table(t("Requests that never got the floor"),
      [t("Asked"), t("Name"), t("Delegation"), t("Group"), t("Where"), t("Kind"), t("Outcome")],
      scope.not_granted.map((r) => [clock(r.ts), r.who.name, r.who.delegation, r.who.group,
        PRESENCE[r.who.presence] || r.who.presence, KINDS[r.kind] || r.kind,
        r.status === "waiting" ? t("still waiting") : r.status])));
  }
}

/** A rolling document's figures: proposals by category and status, interventions per proposal
 * by stakeholder group (the charts above show the same). */
function documentTables(root, doc) {
  const statuses = Object.keys(PROPOSAL_STATUSES).filter((k) => doc.by_category.some((c) => c.statuses[k]));
  root.append(table(t("Proposals by category and status: {title}", { title: doc.title }),
    [t("Category"), ...statuses.map((k) => PROPOSAL_STATUSES[k]), t("Total")],
    doc.by_category.map((c) => [`${c.category}. ${c.title}`, ...statuses.map((k) => String(c.statuses[k])), String(c.total)]),
    statuses.length + 1));
  const groups = [...new Set(doc.interventions.flatMap((r) => r.by_group.map((g) => g.key)))].sort();
  const rows = doc.interventions.filter((r) => r.interventions).map((r) => {
    const counts = Object.fromEntries(r.by_group.map((g) => [g.key, g.interventions]));
    return [r.proposal, ...groups.map((g) => String(counts[g] || 0)), String(r.interventions), duration(r.speaking_ms)];
  });
  if (rows.length) {
    root.append(table(t("Interventions per proposal, by stakeholder group: {title}", { title: doc.title }),
      [t("Proposal"), ...groups, t("Interventions"), t("Speaking time")], rows, groups.length + 2));
  }
}

async function loadFigures() {
  figureData = await getJson("/record/figures.json");
  const scope = $("scope");
  scope.replaceChildren();
  figureData.scopes.forEach((s, i) => {
    const label = s.scope === "day" ? t("Day: {label}", { label: s.label })
      : s.scope === "room" ? t("Room: {label}", { label: s.label }) : s.label;
    scope.append(el("option", { value: i }, label));
  });
  scope.onchange = () => showScope(Number(scope.value)).catch((err) => status(err.message, true));
  const links = el("p", { class: "no-print" });
  reportButtons(links, "figures");
  $("panel-figures").querySelector(".report-links")?.remove();
  links.classList.add("report-links");
  $("panel-figures").insertBefore(links, scope.parentElement);
  await showScope(0);
}

// -- summary and exports -----------------------------------------------------------------------
async function loadSummary() {
  const s = await getJson("/record/summary.json");
  $("summary-note").textContent = s.note;
  const list = $("summary");
  list.replaceChildren();
  const notes = [];
  for (const p of s.paragraphs) {
    const li = el("li", {}, p.text);
    for (const n of p.footnotes || []) {
      li.append(el("sup", {}, String(n.mark)));
      notes.push(n);
    }
    list.append(li);
  }
  if (notes.length) {
    const foot = el("ol", { class: "footnotes", "aria-label": t("Notes") });
    for (const n of notes) foot.append(el("li", { value: String(n.mark) }, n.text));
    list.after(foot);
  }
  $("panel-summary").querySelector(".report-links")?.remove();
  const links = el("p", { class: "no-print report-links" });
  reportButtons(links, "summary");
  list.after(links);
}

function downloadButton(label, path, filename) {
  const button = el("button", { type: "button" }, label);
  button.addEventListener("click", async () => {
    try {
      const blob = await (await get(path)).blob();
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: `${meeting}-${filename}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (err) {
      status(t("Download failed: {error}", { error: err.message }), true);
    }
  });
  return button;
}

// Every format the record comes in, as the command line has them (server/record/exports.py and
// documents.py): a whole meeting in the document formats, a room also as timed subtitles.
const TRANSCRIPT_FORMATS = [
  [t("Plain text"), "txt", true], [t("Markdown"), "md", true], [t("HTML (prints cleanly)"), "html", true],
  [t("Word (.docx)"), "docx", true], [t("JSON (full attributed record, with corrections and re-attributions)"), "json", true],
  [t("WebVTT subtitles"), "vtt", false], [t("SRT subtitles"), "srt", false],
];
const REPORT_FORMATS = {
  digest: [[t("HTML (prints cleanly)"), "html"], [t("Word (.docx)"), "docx"], [t("Markdown"), "md"], ["JSON", "json"]],
  figures: [[t("HTML (prints cleanly)"), "html"], [t("Word (.docx)"), "docx"], [t("Markdown"), "md"], ["JSON", "json"]],
  summary: [[t("Word (.docx)"), "docx"], [t("HTML"), "html"], [t("Markdown"), "md"], ["JSON", "json"]],
};
const REPORT_NAMES = { digest: t("Per-item digest"), figures: t("Participation figures"), summary: t("Draft chair's summary") };

/** Where a transcript export is: the whole meeting (room null) or one room. A later caption
 * channel (a language) is one more query parameter here. */
function transcriptPath(room, fmt, params = {}) {
  const query = new URLSearchParams(params).toString();
  const base = room === null ? `/transcript.${fmt}` : `/${encodeURIComponent(room)}/transcript.${fmt}`;
  return query ? `${base}?${query}` : base;
}

function transcriptFile(room, fmt, params = {}) {
  const suffix = Object.values(params).map((v) => `-${v}`).join("");
  return room === null ? `transcript${suffix}.${fmt}` : `${room}${suffix}.${fmt}`;
}

function reportButtons(parent, name) {
  for (const [label, fmt] of REPORT_FORMATS[name]) {
    parent.append(downloadButton(label, `/record/${name}.${fmt}`, `${name}.${fmt}`), " ");
  }
}

async function loadExports() {
  const list = $("exports");
  list.replaceChildren();
  for (const [label, fmt, whole] of TRANSCRIPT_FORMATS) {
    if (!whole) continue;
    const li = el("li", {}, `${t("{format}:", { format: label })} `);
    li.append(downloadButton(t("whole meeting"), transcriptPath(null, fmt), transcriptFile(null, fmt)));
    // With interpretation channels: one language's sections, or every channel, each headed.
    for (const tag of languages) {
      li.append(" ", downloadButton(`interpretation (${tag})`, transcriptPath(null, fmt, { lang: tag }), transcriptFile(null, fmt, { lang: tag })));
    }
    if (languages.length) li.append(" ", downloadButton("every channel", transcriptPath(null, fmt, { lang: "all" }), transcriptFile(null, fmt, { lang: "all" })));
    list.append(li);
  }
  const reports = $("report-exports");
  reports.replaceChildren();
  for (const name of Object.keys(REPORT_FORMATS)) {
    const li = el("li", {}, `${t("{format}:", { format: REPORT_NAMES[name] })} `);
    reportButtons(li, name);
    reports.append(li);
  }
  const rooms = $("room-exports");
  rooms.replaceChildren();
  for (const room of facetsData.rooms) {
    // The floor, then each interpretation channel: every format, subtitles included, per channel.
    for (const tag of ["floor", ...(room.channels || [])]) {
      const params = tag === "floor" ? {} : { lang: tag };
      const name = tag === "floor" ? room.name : `${room.name} — interpretation (${tag})`;
      const li = el("li", {}, `${name}: `);
      for (const [label, fmt] of TRANSCRIPT_FORMATS) {
        const button = downloadButton(label, transcriptPath(room.id, fmt, params), transcriptFile(room.id, fmt, params));
        button.setAttribute("aria-label", `${name}, ${label}`);
        li.append(button, " ");
      }
      rooms.append(li);
    }
  }
  const docList = $("document-exports");
  docList.replaceChildren();
  const docs = await getJson("/documents");
  if (!docs.documents.length) docList.append(el("li", {}, t("None.")));
  for (const d of docs.documents) {
    const li = el("li", {}, `${t("Rolling document “{title}”:", { title: d.title })} `);
    for (const [label, fmt, view] of [[t("Word, with status and history"), "docx", ""], [t("HTML"), "html", ""],
      [t("Markdown"), "md", ""], [t("current text only (Word)"), "docx", "text"]]) {
      const suffix = view ? "-text" : "";
      li.append(downloadButton(label, `/documents/${d.doc}.${fmt}${view ? "?view=text" : ""}`, `document-${d.doc}${suffix}.${fmt}`), " ");
    }
    docList.append(li);
  }
}

// -- interventions: correcting their times ------------------------------------------------------
/** A time as the datetime-local control shows it, in the meeting's time zone, to the second. */
function localInput(ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The ms of a datetime-local value read in the meeting's time zone. */
function fromLocalInput(value, near) {
  const asUtc = Date.parse(`${value.length === 16 ? `${value}:00` : value}Z`);
  // The zone's offset at that moment: the difference between the time shown and UTC.
  const offset = Date.parse(`${localInput(near)}Z`) - near;
  let ms = asUtc - offset;
  const again = Date.parse(`${localInput(ms)}Z`) - ms; // across a change of offset
  if (again !== offset) ms = asUtc - again;
  return ms;
}

async function loadInterventions() {
  const select = $("intervention-room");
  if (!select.options.length) {
    for (const room of facetsData.rooms) select.append(el("option", { value: room.id }, room.name));
    select.addEventListener("change", () => showInterventions().catch((err) => status(err.message, true)));
  }
  await showInterventions();
}

async function showInterventions() {
  const room = $("intervention-room").value;
  interventionCache.delete(room);
  const list = await roomInterventions(room);
  const body = $("interventions").querySelector("tbody");
  body.replaceChildren();
  list.forEach((i, n) => {
    const tr = el("tr");
    const began = el("input", { type: "datetime-local", step: "1", "aria-label": `Began, intervention ${i.intervention} (${i.who.name})` });
    began.value = localInput(i.began);
    const ended = el("input", { type: "datetime-local", step: "1", "aria-label": `Ended, intervention ${i.intervention} (${i.who.name})` });
    if (i.ended !== null) ended.value = localInput(i.ended);
    else ended.disabled = true;
    const save = el("button", { type: "button" }, t("Save"));
    save.setAttribute("aria-label", t("Save the times of intervention {n} ({name})", { n: i.intervention, name: i.who.name }));
    save.addEventListener("click", async () => {
      const body = {};
      if (began.value !== localInput(i.began)) body.began = fromLocalInput(began.value, i.began);
      if (i.ended !== null && ended.value !== localInput(i.ended)) body.ended = fromLocalInput(ended.value, i.ended);
      if (!Object.keys(body).length) body.began = i.began; // the server says it changes nothing
      try {
        await post(`/${encodeURIComponent(room)}/interventions/${i.intervention}/times`, body);
        status(t("Intervention {n} ({name}) corrected; the totals follow.", { n: i.intervention, name: i.who.name }));
        recordChanged();
        loaded.add("interventions");
        await showInterventions();
      } catch (err) {
        status(t("Not recorded: {error}", { error: err.message }), true);
      }
    });
    const cells = [String(n + 1), whoText(i.who)];
    cells.forEach((c) => tr.append(el("td", {}, c)));
    const b = el("td");
    b.append(began);
    const e = el("td");
    e.append(ended);
    tr.append(b, e, el("td", { class: "num" }, i.ended === null ? "speaking" : duration(i.spoken_ms)));
    const action = el("td", { class: "no-print" });
    action.append(save);
    tr.append(action);
    body.append(tr);
  });
  if (!list.length) {
    const tr = el("tr");
    tr.append(el("td", { colspan: "6" }, t("Nobody has had the floor in this room.")));
    body.append(tr);
  }
}

// -- start -------------------------------------------------------------------------------------
setupTabs();
setupSearch();
if (!meeting || !key) {
  status(t("Open this page from the chair's console: the link carries the meeting and its key."), true);
} else {
  loadFacets().catch((err) => status(t("Could not open the record: {error}", { error: err.message }), true));
}
