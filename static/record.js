// The meeting record console: search across the transcript, the per-item digest, participation
// figures with charts, the draft chair's summary and downloads. For the chair and secretariat:
// every request carries the key from the URL fragment (#meeting=…&key=…), which browsers never
// send to the server. Everything anyone typed is inserted as text, never as markup.

import { KIND_NOUNS, PRESENCE_LABELS, PROPOSAL_KINDS, PROPOSAL_STATUSES, STATUS_NAMES } from "./vocabulary.js";

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
      message = (await response.json()).error || message;
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
  if (!response.ok) throw new Error(answer.error || `${response.status}`);
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
  const two = (n) => String(n).padStart(2, "0");
  if (h) return `${h} h ${two(m)} min`;
  if (m) return `${m} min ${two(s)} s`;
  return `${s} s`;
}

function clock(ms) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).format(new Date(ms));
}

/** A table of text cells; the last `numeric` columns are figures. */
function table(caption, head, rows, numeric = 0) {
  const t = el("table");
  if (caption) t.append(el("caption", {}, caption));
  const first = head.length - numeric;
  const tr = el("tr");
  head.forEach((h, i) => tr.append(el("th", { scope: "col", class: i >= first ? "num" : null }, h)));
  const thead = el("thead");
  thead.append(tr);
  t.append(thead);
  const body = el("tbody");
  for (const row of rows) {
    const r = el("tr");
    row.forEach((c, i) => r.append(el("td", { class: i >= first ? "num" : null }, c)));
    body.append(r);
  }
  t.append(body);
  return t;
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
      status(`Could not load: ${err.message}`, true);
    });
  }
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab.id.slice(4)));
    tab.addEventListener("keydown", (event) => {
      // One tab stop for the row; the arrows, Home and End move between tabs.
      const target = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
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
  $("title").textContent = `Meeting record: ${f.title}`;
  document.title = `Meeting record: ${f.title} — plenary`;
  const fill = (list, values) => values.forEach((v) => list.append(el("option", { value: v.value })));
  fill($("speakers"), f.speakers);
  fill($("delegations"), f.delegations);
  const items = document.querySelector('select[name="item"]');
  f.items.forEach((i) => items.append(el("option", { value: i.item }, i.label)));
  const rooms = document.querySelector('select[name="room"]');
  f.rooms.forEach((r) => rooms.append(el("option", { value: r.id }, r.name)));
  status(`${f.lines} transcript lines; times in ${timezone}.`);
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
  if (hit.item_label) meta.append(document.createTextNode(` · ${hit.item_label}`));
  if (hit.corrected) meta.append(document.createTextNode(" · corrected"));
  if (hit.reattributed) meta.append(document.createTextNode(" · re-attributed"));
  li.append(meta);
  if (hit.speaker) {
    const who = hit.delegation && hit.delegation !== hit.speaker
      ? `${hit.speaker} (${hit.delegation}): ` : `${hit.speaker}: `;
    li.append(el("span", { class: "speaker" }, who));
  }
  for (const seg of hit.segments) {
    li.append(seg.hit ? el("mark", {}, seg.text) : document.createTextNode(seg.text));
  }
  const correct = el("button", { type: "button", class: "correct no-print", "aria-label": `Correct line ${hit.seq} of ${hit.room_name}` }, "Correct");
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
  const form = el("form", { class: "reattribute no-print", "aria-label": `Re-attribute line ${hit.seq}` });
  const fields = el("div", { class: "fields" });
  const intervention = el("select", { name: "intervention" });
  intervention.append(el("option", { value: "" }, "No intervention"));
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
  item.append(el("option", { value: "" }, "No agenda item"));
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
  fields.append(field("Intervention (its speaker follows)", intervention), field("Speaker", speaker),
    field("Delegation", delegation), field("Agenda item", item), field(`Through line (from ${hit.seq})`, through));
  const save = el("button", { type: "submit" }, "Re-attribute");
  const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
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
      status(`Re-attributed ${n} line${n === 1 ? "" : "s"}; the record keeps what ${n === 1 ? "it was" : "they were"}.`);
      recordChanged();
      if (lastQuery) await runSearch(0);
    } catch (err) {
      said.textContent = `Not recorded: ${err.message}`;
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
    ? `${result.total} line${result.total === 1 ? "" : "s"} found; showing ${shown}.`
    : "Nothing found.";
  $("search-more").hidden = shown >= result.total;
}

function setupSearch() {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch(0).catch((err) => {
      $("search-count").textContent = `The search failed: ${err.message}`;
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
  let text = `${g.name} (${g.kind === "adhoc" ? "ad-hoc" : "break-out"} group`;
  if (g.convener) text += `, convened by ${g.convener}`;
  text += `, ${duration(g.duration_ms)})`;
  if (g.topic) text += ` on ${g.topic}`;
  return text + (g.report ? `: reported “${g.report}”` : ": no report recorded");
}

function roomParts(parent, parts) {
  for (const part of parts) {
    parent.append(el("h4", {}, `${part.name}: ${duration(part.time_ms)}`));
    if (part.presentations.length) {
      const ul = el("ul");
      for (const p of part.presentations) {
        const who = p.who.delegation ? `${p.who.name} (${p.who.delegation})` : p.who.name;
        ul.append(el("li", {}, `Presentation by ${who}${p.note ? ` — ${p.note}` : ""}`));
      }
      parent.append(ul);
    }
    if (part.interventions.length) {
      const rows = part.interventions.map((i, n) => [
        String(n + 1), clock(i.began), i.who.name, i.who.delegation, i.who.group,
        PRESENCE[i.who.presence] || i.who.presence,
        i.presentation ? "presentation" : KINDS[i.kind] || i.kind,
        duration(i.spoken_ms) + (i.running ? " (speaking)" : ""),
      ]);
      parent.append(table(`Interventions, ${part.name}`,
        ["#", "Time", "Name", "Delegation", "Group", "Where", "Kind", "Speaking"], rows, 1));
    }
    // The server's own words: what each count counts (requests made under the item, and
    // requests given the floor under it, some made under another item).
    parent.append(el("p", {}, part.requests.said));
    parent.append(el("p", {}, `Transcript lines attributed ${part.item === null ? "to no agenda item" : "to this item"}: ${part.lines}.`));
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
    section.append(el("p", {}, `Status: ${STATUS[item.status] || item.status}. ` +
      `Time spent: ${duration(item.time_ms)}.`));
    if (item.outcome) section.append(el("p", {}, `Outcome: ${item.outcome}`));
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
    section.append(el("h3", {}, "Outside any agenda item"));
    roomParts(section, d.outside_items);
    root.append(section);
  }
  root.append(el("h3", {}, "Not discussed"));
  const nd = el("ul");
  d.not_discussed.forEach((i) => nd.append(el("li", {}, `${i.label} (${STATUS[i.status] || i.status})`)));
  if (!d.not_discussed.length) nd.append(el("li", {}, "None."));
  root.append(nd);
  root.append(el("h3", {}, "Groups"));
  const gl = el("ul");
  d.groups.forEach((g) => gl.append(el("li", {}, groupLine(g))));
  if (!d.groups.length) gl.append(el("li", {}, "None."));
  root.append(gl);
  for (const doc of d.documents || []) root.append(documentSection(doc));
}

// -- the rolling document in the digest ---------------------------------------------------------
function proposalHead(p) {
  if (!p.active) return `${p.proposal}, merged into ${p.merged_into}`;
  return `${p.proposal}, ${PROPOSAL_KINDS[p.kind] || p.kind}, ${PROPOSAL_STATUSES[p.status] || p.status}`;
}

function documentSection(doc) {
  const section = el("section", { class: "document", "aria-labelledby": `doc-${doc.doc}` });
  section.append(el("h3", { id: `doc-${doc.doc}` }, `Rolling document: ${doc.title}`));
  if (doc.description) section.append(el("p", {}, doc.description));
  for (const c of doc.categories) {
    section.append(el("h4", {}, c.label));
    for (const p of c.proposals) {
      const article = el("article", { class: "proposal", id: `proposal-${p.proposal}` });
      article.append(el("h5", {}, proposalHead(p)));
      if (p.active) {
        if (p.text_before !== p.text_after) {
          article.append(el("p", {}, `Text before: ${p.text_before}`));
          article.append(el("p", {}, `Text after: ${p.text_after}`));
        } else {
          article.append(el("p", {}, `Text: ${p.text_after}`));
        }
      }
      if (p.submitted_by.length) article.append(el("p", {}, `Submitted by: ${p.submitted_by.map((x) => x.name).join("; ")}`));
      if (p.groups.length) article.append(el("p", {}, `Worked on in: ${p.groups.join(", ")}`));
      if (p.interventions.length) {
        article.append(table(`Spoke on ${p.proposal}, in order`,
          ["#", "Time", "Name", "Delegation", "Group", "Where", "Room", "Speaking"],
          p.interventions.map((i, n) => [String(n + 1), clock(i.began), i.name, i.delegation, i.group,
            i.where, i.room_name, duration(i.spoken_ms)]), 1));
      } else {
        article.append(el("p", {}, "Nobody took the floor on it."));
      }
      const history = el("ol", { class: "history", "aria-label": `History of ${p.proposal}` });
      p.history.forEach((h) => history.append(el("li", {}, h.said)));
      article.append(history);
      section.append(article);
    }
    if (!c.proposals.length) section.append(el("p", {}, "No proposals."));
  }
  return section;
}

// -- figures -----------------------------------------------------------------------------------
let figureData = null;

// Transcript lines: those attributed to the interventions counted, as corrected.
const SPEAKING_HEAD = ["Interventions", "Speaking time", "Transcript lines"];

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
  const title = doc.querySelector("title")?.textContent || "Chart";
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
  root.append(el("p", {}, `${scope.interventions} interventions, ${duration(scope.speaking_ms)} ` +
    `of speaking time. ${req.made} floor requests: ${req.granted} granted, ${req.withdrawn} ` +
    `withdrawn, ${req.removed} removed, ${req.waiting} still waiting.`));
  const charts = await getJson(`/record/charts?scope=${index}`);
  for (const svg of Object.values(charts.charts)) root.append(chartFigure(svg));
  // Every column is named, the first too: a screen reader reads the header with each cell.
  root.append(table("By stakeholder group", ["Stakeholder group", ...SPEAKING_HEAD], speakingRows(scope.by_group), 3));
  root.append(table("In the room and remote", ["Where", ...SPEAKING_HEAD], speakingRows(scope.by_presence, true), 3));
  root.append(table("By delegation", ["Delegation", ...SPEAKING_HEAD], speakingRows(scope.by_delegation), 3));
  const waitHead = ["Given the floor", "Median wait", "Mean wait", "Longest wait"];
  root.append(table("Waiting for the floor, in the room and remote", ["Where", ...waitHead], waitRows(scope.waiting.by_presence, true), 4));
  root.append(table("Waiting for the floor, by stakeholder group", ["Stakeholder group", ...waitHead], waitRows(scope.waiting.by_group), 4));
  if (index === 0) for (const doc of figureData.documents || []) documentTables(root, doc);
  if (scope.not_granted.length) {
    root.append(table("Requests that never got the floor",
      ["Asked", "Name", "Delegation", "Group", "Where", "Kind", "Outcome"],
      scope.not_granted.map((r) => [clock(r.ts), r.who.name, r.who.delegation, r.who.group,
        PRESENCE[r.who.presence] || r.who.presence, KINDS[r.kind] || r.kind,
        r.status === "waiting" ? "still waiting" : r.status])));
  }
}

/** A rolling document's figures: proposals by category and status, interventions per proposal
 * by stakeholder group (the charts above show the same). */
function documentTables(root, doc) {
  const statuses = Object.keys(PROPOSAL_STATUSES).filter((k) => doc.by_category.some((c) => c.statuses[k]));
  root.append(table(`Proposals by category and status: ${doc.title}`,
    ["Category", ...statuses.map((k) => PROPOSAL_STATUSES[k]), "Total"],
    doc.by_category.map((c) => [`${c.category}. ${c.title}`, ...statuses.map((k) => String(c.statuses[k])), String(c.total)]),
    statuses.length + 1));
  const groups = [...new Set(doc.interventions.flatMap((r) => r.by_group.map((g) => g.key)))].sort();
  const rows = doc.interventions.filter((r) => r.interventions).map((r) => {
    const counts = Object.fromEntries(r.by_group.map((g) => [g.key, g.interventions]));
    return [r.proposal, ...groups.map((g) => String(counts[g] || 0)), String(r.interventions), duration(r.speaking_ms)];
  });
  if (rows.length) {
    root.append(table(`Interventions per proposal, by stakeholder group: ${doc.title}`,
      ["Proposal", ...groups, "Interventions", "Speaking time"], rows, groups.length + 2));
  }
}

async function loadFigures() {
  figureData = await getJson("/record/figures.json");
  const scope = $("scope");
  scope.replaceChildren();
  figureData.scopes.forEach((s, i) => {
    const prefix = { day: "Day: ", room: "Room: " }[s.scope] || "";
    scope.append(el("option", { value: i }, prefix + s.label));
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
    const foot = el("ol", { class: "footnotes", "aria-label": "Notes" });
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
      status(`Download failed: ${err.message}`, true);
    }
  });
  return button;
}

// Every format the record comes in, as the command line has them (server/record/exports.py and
// documents.py): a whole meeting in the document formats, a room also as timed subtitles.
const TRANSCRIPT_FORMATS = [
  ["Plain text", "txt", true], ["Markdown", "md", true], ["HTML (prints cleanly)", "html", true],
  ["Word (.docx)", "docx", true], ["JSON (full attributed record, with corrections and re-attributions)", "json", true],
  ["WebVTT subtitles", "vtt", false], ["SRT subtitles", "srt", false],
];
const REPORT_FORMATS = {
  digest: [["HTML (prints cleanly)", "html"], ["Word (.docx)", "docx"], ["Markdown", "md"], ["JSON", "json"]],
  figures: [["HTML (prints cleanly)", "html"], ["Word (.docx)", "docx"], ["Markdown", "md"], ["JSON", "json"]],
  summary: [["Word (.docx)", "docx"], ["HTML", "html"], ["Markdown", "md"], ["JSON", "json"]],
};
const REPORT_NAMES = { digest: "Per-item digest", figures: "Participation figures", summary: "Draft chair's summary" };

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
    const li = el("li", {}, `${label}: `);
    li.append(downloadButton("whole meeting", transcriptPath(null, fmt), transcriptFile(null, fmt)));
    list.append(li);
  }
  const reports = $("report-exports");
  reports.replaceChildren();
  for (const name of Object.keys(REPORT_FORMATS)) {
    const li = el("li", {}, `${REPORT_NAMES[name]}: `);
    reportButtons(li, name);
    reports.append(li);
  }
  const rooms = $("room-exports");
  rooms.replaceChildren();
  for (const room of facetsData.rooms) {
    const li = el("li", {}, `${room.name}: `);
    for (const [label, fmt] of TRANSCRIPT_FORMATS) {
      const button = downloadButton(label, transcriptPath(room.id, fmt), transcriptFile(room.id, fmt));
      button.setAttribute("aria-label", `${room.name}, ${label}`);
      li.append(button, " ");
    }
    rooms.append(li);
  }
  const docList = $("document-exports");
  docList.replaceChildren();
  const docs = await getJson("/documents");
  if (!docs.documents.length) docList.append(el("li", {}, "None."));
  for (const d of docs.documents) {
    const li = el("li", {}, `Rolling document “${d.title}”: `);
    for (const [label, fmt, view] of [["Word, with status and history", "docx", ""], ["HTML", "html", ""],
      ["Markdown", "md", ""], ["current text only (Word)", "docx", "text"]]) {
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
    const save = el("button", { type: "button" }, "Save");
    save.setAttribute("aria-label", `Save the times of intervention ${i.intervention} (${i.who.name})`);
    save.addEventListener("click", async () => {
      const body = {};
      if (began.value !== localInput(i.began)) body.began = fromLocalInput(began.value, i.began);
      if (i.ended !== null && ended.value !== localInput(i.ended)) body.ended = fromLocalInput(ended.value, i.ended);
      if (!Object.keys(body).length) body.began = i.began; // the server says it changes nothing
      try {
        await post(`/${encodeURIComponent(room)}/interventions/${i.intervention}/times`, body);
        status(`Intervention ${i.intervention} (${i.who.name}) corrected; the totals follow.`);
        recordChanged();
        loaded.add("interventions");
        await showInterventions();
      } catch (err) {
        status(`Not recorded: ${err.message}`, true);
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
    tr.append(el("td", { colspan: "6" }, "Nobody has had the floor in this room."));
    body.append(tr);
  }
}

// -- start -------------------------------------------------------------------------------------
setupTabs();
setupSearch();
if (!meeting || !key) {
  status("Open this page from the chair's console: the link carries the meeting and its key.", true);
} else {
  loadFacets().catch((err) => status(`Could not open the record: ${err.message}`, true));
}
