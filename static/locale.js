// Which language the page is in, decided before the body is drawn so that an Arabic page never
// flashes left to right. A classic script in <head>, like settings.js; i18n.js (a module) then
// loads that language's catalogue and translates the page.
//
// The choice, first that applies: the link's `lang` parameter (?lang=fr, for this visit), what
// the reader chose with the language switch (localStorage "plenary:lang"), the browser's
// languages in order (navigator.languages, matched on the primary subtag: fr-CA is fr), English.
(function () {
  "use strict";

  // The six official languages of the United Nations, each with the direction it is written in.
  const LANGUAGES = { ar: "rtl", en: "ltr", es: "ltr", fr: "ltr", ru: "ltr", zh: "ltr" };
  const KEY = "plenary:lang";

  function supported(tag) {
    if (typeof tag !== "string" || !tag) return null;
    const primary = tag.toLowerCase().split(/[-_]/)[0];
    return Object.prototype.hasOwnProperty.call(LANGUAGES, primary) ? primary : null;
  }

  function stored() {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null; // storage disabled: the browser's languages still apply
    }
  }

  function choose() {
    const fromLink = supported(new URLSearchParams(location.search).get("lang"));
    if (fromLink) return fromLink;
    const chosen = supported(stored());
    if (chosen) return chosen;
    for (const tag of navigator.languages || [navigator.language]) {
      const found = supported(tag);
      if (found) return found;
    }
    return "en";
  }

  const lang = choose();
  document.documentElement.lang = lang;
  document.documentElement.dir = LANGUAGES[lang];
  window.plenaryLocale = Object.freeze({ lang, dir: LANGUAGES[lang], languages: Object.keys(LANGUAGES), key: KEY });
})();
