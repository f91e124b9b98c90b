// The pages' words in the reader's language: Arabic, Chinese, English, French, Russian, Spanish.
//
// locale.js (a classic script in <head>) has already chosen the language and set <html lang dir>.
// This module loads that language's catalogue (static/locales/LANG.json, compiled from the
// gettext catalogue LANG.po by scripts/catalogues.py) before any page script runs (top-level
// await: every module that imports t() waits for it), translates the page's static HTML once, and
// adds the language switch.
//
//   t("Ask to speak")                                 a message (msgid = the English text)
//   t("{name} has the floor", { name })               with placeholders
//   tn("{n} request", "{n} requests", count)          a plural: the catalogue holds one form per
//                                                     CLDR plural category of the language, in
//                                                     gettext order; Intl.PluralRules picks one
//   <h2 data-i18n>Your requests</h2>                  the element's own text is the msgid
//   <input data-i18n-placeholder="Search" placeholder="Search">   (also aria-label, title, alt)
//
// A message missing from the catalogue is shown in English, never as a key. Numbers given as
// placeholders are formatted for the language (Intl.NumberFormat).

const locale = window.plenaryLocale || { lang: "en", dir: "ltr", languages: ["en"], key: "plenary:lang" };

/** The page's language ("ar", "en", "es", "fr", "ru", "zh") and direction ("rtl" or "ltr"). */
export const lang = locale.lang;
export const dir = locale.dir;

/** Each language named in itself, for the switch. */
const NATIVE_NAMES = {
  ar: "العربية",
  zh: "中文",
  en: "English",
  fr: "Français",
  ru: "Русский",
  es: "Español",
};

async function loadCatalogue(code) {
  if (code === "en") return { plural: ["one", "other"], messages: {} }; // msgids are the English
  try {
    const response = await fetch(`/static/locales/${code}.json`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } catch (err) {
    // The page still works, in English, and says why in the console.
    console.warn(`plenary: the ${code} catalogue did not load (${err.message}); showing English`);
    return { plural: ["one", "other"], messages: {} };
  }
}

const catalogue = await loadCatalogue(lang);
const messages = catalogue.messages || {};
const categories = catalogue.plural || ["one", "other"];
const pluralRules = new Intl.PluralRules(lang);
const englishPlural = new Intl.PluralRules("en");
const numberFormat = new Intl.NumberFormat(lang);

function fill(template, params) {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!Object.prototype.hasOwnProperty.call(params, name)) return whole;
    const value = params[name];
    return typeof value === "number" ? numberFormat.format(value) : String(value);
  });
}

/** The message in the page's language, its {placeholders} filled from params. */
export function t(msgid, params) {
  const found = messages[msgid];
  return fill(typeof found === "string" && found ? found : msgid, params);
}

/** A message that depends on a count n ({n} in it is n, formatted for the language). */
export function tn(singular, plural, n, params) {
  const values = { n, ...params };
  const forms = messages[singular];
  if (Array.isArray(forms) && forms.length) {
    let index = categories.indexOf(pluralRules.select(n));
    if (index < 0) index = categories.indexOf("other");
    const form = forms[index >= 0 && index < forms.length ? index : forms.length - 1];
    if (form) return fill(form, values);
  }
  return fill(englishPlural.select(n) === "one" ? singular : plural, values);
}

/** A number formatted for the page's language. */
export function formatNumber(n, options) {
  return options ? new Intl.NumberFormat(lang, options).format(n) : numberFormat.format(n);
}

const timeFormats = new Map();
function dateFormat(options) {
  const key = JSON.stringify(options);
  let format = timeFormats.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(lang, options);
    } catch {
      // An unknown time zone from the server: the reader's own zone rather than nothing.
      const { timeZone: _ignored, ...rest } = options;
      format = new Intl.DateTimeFormat(lang, rest);
    }
    timeFormats.set(key, format);
  }
  return format;
}

/** A time of day (ms since the epoch) as the page's language writes it, with seconds. The
 * language's own medium time style, not a pattern of fields: asked for a "numeric" hour, French
 * writes the hour after midnight as "0:14:33" where it writes "00:14:33". */
export function formatTime(ms, timeZone) {
  const options = { timeStyle: "medium" };
  if (timeZone) options.timeZone = timeZone;
  return dateFormat(options).format(new Date(ms));
}

/** A date and time (ms since the epoch), e.g. for a file or a report. */
export function formatDateTime(ms, timeZone, options = { dateStyle: "medium", timeStyle: "short" }) {
  return dateFormat(timeZone ? { ...options, timeZone } : options).format(new Date(ms));
}

/** "A, B and C" in the page's language. */
export function formatList(items) {
  return new Intl.ListFormat(lang, { type: "conjunction" }).format(items.map(String));
}

// -- what the server says -------------------------------------------------------------------
// The server answers in English, with a machine-readable code (HTTP {"error", "code"}, websocket
// {"type": "error", "code", "message"}). The pages translate by code: the sentence below for the
// code, in the page's language. Where the server's message carries particulars the code cannot
// (which field, which limit), they follow in English so nothing is lost. On an English page the
// server's own message is shown as it is.
const SERVER_MESSAGES = {
  already_waiting: () => t("Already on the list."),
  bad_field: () => t("The server refused a value that is not valid."),
  bad_format: () => t("That format is not offered."),
  bad_json: () => t("The server could not read the request."),
  bad_message: () => t("The server could not read the request."),
  bad_participant: () => t("The participant's details cannot be registered."),
  bad_query: () => t("The search could not be read."),
  bad_seq: () => t("The captioning software sent a line number the server cannot take."),
  busy: () => t("The server is busy; try again in a moment."),
  conflict: () => t("Someone else changed this at the same time; try again."),
  empty_agenda: () => t("Add the agenda's items before adopting it."),
  entry_gone: () => t("That request is no longer on the list."),
  exists: () => t("That name is already taken."),
  forbidden: () => t("Your link does not allow this."),
  list_closed: () => t("The speakers' list is closed."),
  list_empty: () => t("Nobody is waiting for the floor."),
  no_speaker: () => t("Nobody has the floor."),
  no_such_document: () => t("There is no such document."),
  no_such_file: () => t("There is no such file."),
  no_such_item: () => t("There is no such agenda item."),
  no_such_line: () => t("There is no such line in the transcript."),
  no_such_meeting: () => t("There is no such meeting; check the link."),
  no_such_participant: () => t("There is no such participant."),
  no_such_room: () => t("There is no such room in this meeting; check the link."),
  no_such_station: () => t("There is no such caption station in this room."),
  no_such_task: () => t("There is no such task."),
  nobody_spoke: () => t("Nobody has had the floor yet in this room."),
  not_a_group: () => t("Only a break-out or ad-hoc group takes a share."),
  not_here: () => t("That cannot be done in this room."),
  not_reported: () => t("The group has not reported its version yet."),
  reported: () => t("This group has reported its version back."),
  room_closed: () => t("This room is closed."),
  stale: () => t("This has changed since you looked."),
  stale_list: () => t("The speakers' list has changed since you looked; try again."),
  tasked: () => t("A group already holds a share of this document."),
  too_large: () => t("The file is too large."),
  too_long: () => t("The text is too long."),
  too_many: () => t("Too many at once; wait a moment and try again."),
  unavailable: () => t("The record is unavailable right now; try again in a moment."),
  unknown_op: () => t("The page sent a command the server does not know. Reload the page."),
};
// Codes whose English message says more than the translated sentence can (who, which room,
// which field, the text as it now reads).
const PARTICULARS = new Set([
  "already_waiting", "bad_field", "bad_participant", "conflict", "entry_gone", "exists",
  "list_closed", "no_such_task", "not_here", "not_reported", "room_closed", "stale", "tasked",
  "too_large", "too_long",
]);

/** A refusal from the server ({code, message} or {code, error}) for a person to read. */
export function serverMessage(answer, fallback = "") {
  const original = String((answer && (answer.message || answer.error)) || fallback || "");
  const translate = answer && SERVER_MESSAGES[answer.code];
  if (lang === "en" || !translate) return original || t("The server refused that.");
  const said = translate();
  return PARTICULARS.has(answer.code) && original ? t("{message} ({details})", { message: said, details: original }) : said;
}

// -- the static page --------------------------------------------------------------------------
const ATTRIBUTES = ["aria-label", "placeholder", "title", "alt"];
const normal = (text) => text.replace(/\s+/g, " ").trim();

/** Translates the data-i18n elements of root: their own text (not their children's) and the
 * attributes named by data-i18n-ATTRIBUTE. Safe to call again on markup a page adds. */
export function translatePage(root = document) {
  if (lang === "en") return;
  for (const element of root.querySelectorAll("[data-i18n]")) {
    for (const node of element.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE) continue;
      const msgid = normal(node.nodeValue);
      if (!msgid) continue;
      const lead = /^\s/.test(node.nodeValue) ? " " : "";
      const tail = /\s$/.test(node.nodeValue) ? " " : "";
      node.nodeValue = lead + t(msgid) + tail;
    }
  }
  for (const attribute of ATTRIBUTES) {
    for (const element of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      const msgid = normal(element.getAttribute(`data-i18n-${attribute}`) || element.getAttribute(attribute) || "");
      if (msgid) element.setAttribute(attribute, t(msgid));
    }
  }
}

/** Chooses another language: remembered in localStorage, and the page reloads in it (a `lang`
 * in the link is changed too, since it would otherwise win). */
export function chooseLanguage(code) {
  try {
    localStorage.setItem(locale.key, code);
  } catch {
    // storage disabled: the link parameter below still carries the choice for this visit
  }
  const url = new URL(location.href);
  if (url.searchParams.has("lang") || localStorageBlocked()) {
    url.searchParams.set("lang", code);
    location.replace(url.href);
  } else {
    location.reload();
  }
}

function localStorageBlocked() {
  try {
    return localStorage.getItem(locale.key) === null;
  } catch {
    return true;
  }
}

function addSwitch() {
  // A page may go without one: the room's screen has no controls at all (it is captured as it is
  // for the projector); its language comes from the link (?lang=fr) or the browser.
  if (document.getElementById("lang-switch") || document.body.dataset.langSwitch === "none") return;
  const wrap = document.createElement("div");
  wrap.className = "lang-switch";
  const label = document.createElement("label");
  label.htmlFor = "lang-switch";
  label.textContent = t("Language");
  const select = document.createElement("select");
  select.id = "lang-switch";
  for (const code of locale.languages) {
    const option = document.createElement("option");
    option.value = code;
    option.lang = code;
    option.dir = code === "ar" ? "rtl" : "ltr";
    option.textContent = NATIVE_NAMES[code] || code;
    option.selected = code === lang;
    select.append(option);
  }
  select.addEventListener("change", () => chooseLanguage(select.value));
  wrap.append(label, select);
  const place = document.querySelector("[data-lang-switch]") || document.querySelector("header");
  if (place) place.append(wrap);
  else document.body.prepend(wrap);
}

// Module scripts run after the document is parsed, so the static page is all there.
translatePage();
addSwitch();
