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
  exports: loadExports };
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
async function loadFacets() {
  const f = await getJson("/record/facets");
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
  li.append(meta);
  if (hit.speaker) {
    const who = hit.delegation && hit.delegation !== hit.speaker
      ? `${hit.speaker} (${hit.delegation}): ` : `${hit.speaker}: `;
    li.append(el("span", { class: "speaker" }, who));
  }
  for (const seg of hit.segments) {
    li.append(seg.hit ? el("mark", {}, seg.text) : document.createTextNode(seg.text));
  }
  return li;
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
    const r = part.requests;
    parent.append(el("p", {}, `Floor requests: ${r.made} made, ${r.granted} granted, ` +
      `${r.withdrawn} withdrawn, ${r.removed} removed by the chair, ${r.waiting} never given the floor.`));
  }
}

async function loadDigest() {
  const d = await getJson("/record/digest.json");
  const root = $("digest");
  root.replaceChildren();
  const links = el("p", { class: "no-print" });
  links.append(downloadButton("Download as HTML (prints cleanly)", "/record/digest.html", "digest.html"));
  links.append(downloadButton("Markdown", "/record/digest.md", "digest.md"));
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

function speakingRows(rows, presence = false) {
  return rows.map((r) => [presence ? PRESENCE[r.key] || r.key : r.key, String(r.interventions),
    duration(r.speaking_ms)]);
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
  root.append(table("By stakeholder group", ["Stakeholder group", "Interventions", "Speaking time"], speakingRows(scope.by_group), 2));
  root.append(table("In the room and remote", ["Where", "Interventions", "Speaking time"], speakingRows(scope.by_presence, true), 2));
  root.append(table("By delegation", ["Delegation", "Interventions", "Speaking time"], speakingRows(scope.by_delegation), 2));
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
  links.append(downloadButton("Download as HTML (prints cleanly)", "/record/figures.html", "figures.html"));
  links.append(downloadButton("Markdown", "/record/figures.md", "figures.md"));
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
  const links = el("p", { class: "no-print" });
  links.append(downloadButton("Download for Word (.docx)", "/record/summary.docx", "summary.docx"));
  links.append(downloadButton("Markdown", "/record/summary.md", "summary.md"));
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

async function loadExports() {
  const list = $("exports");
  list.replaceChildren();
  const formats = [["Plain text", "txt"], ["Markdown", "md"], ["HTML (prints cleanly)", "html"],
    ["Word (.docx)", "docx"], ["JSON (full attributed record, with corrections)", "json"]];
  for (const [label, fmt] of formats) {
    const li = el("li", {}, `${label}: `);
    li.append(downloadButton("whole meeting", `/transcript.${fmt}`, `transcript.${fmt}`));
    list.append(li);
  }
  const docs = await getJson("/documents");
  for (const d of docs.documents) {
    const li = el("li", {}, `Rolling document “${d.title}”: `);
    for (const [label, fmt, view] of [["Word, with status and history", "docx", ""], ["HTML", "html", ""],
      ["Markdown", "md", ""], ["current text only (Word)", "docx", "text"]]) {
      const suffix = view ? "-text" : "";
      li.append(downloadButton(label, `/documents/${d.doc}.${fmt}${view ? "?view=text" : ""}`, `document-${d.doc}${suffix}.${fmt}`), " ");
    }
    list.append(li);
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
