// Display settings (text size, font, colours, line spacing, times), kept in localStorage across
// visits and applied as data attributes on <html> that plenary.css reads.
//
// A classic script loaded in <head>: it applies the stored settings before the body is drawn,
// so a reader who chose white on black never sees a white flash. Pages with the #set-*
// controls get them bound when the document is ready.
(function () {
  "use strict";

  const KEY = "plenary:display";
  const DEFAULTS = Object.freeze({
    size: "100",
    font: "sans",
    theme: "auto",
    spacing: "normal",
    times: false,
  });
  const CHOICES = {
    size: ["100", "125", "150", "175", "200", "250", "300"],
    font: ["sans", "serif", "wide", "mono"],
    theme: ["auto", "light", "dark", "contrast", "contrast-dark", "yellow"],
    spacing: ["normal", "wide", "wider"],
  };

  function load() {
    let stored = {};
    try {
      stored = JSON.parse(localStorage.getItem(KEY) || "{}") || {};
    } catch {
      stored = {};
    }
    const settings = { ...DEFAULTS };
    for (const [name, allowed] of Object.entries(CHOICES)) {
      if (allowed.includes(stored[name])) settings[name] = stored[name];
    }
    settings.times = stored.times === true;
    return settings;
  }

  // Settings given in the page's address (?size=200&theme=yellow&spacing=wide&times=on, and
  // font) win over the stored ones for this visit, so a secretariat can hand out a large-print
  // link; they are stored only if the reader then changes a setting. ?embed=on shows the
  // transcript alone (for a venue's screen or another site's page).
  function fromLink(settings) {
    const params = new URLSearchParams(location.search);
    const out = { ...settings };
    for (const [name, allowed] of Object.entries(CHOICES)) {
      const value = params.get(name);
      if (value !== null && allowed.includes(value)) out[name] = value;
    }
    const times = params.get("times");
    if (times !== null && YES_NO.has(times)) out.times = YES_NO.get(times);
    return out;
  }

  const YES_NO = new Map([["on", true], ["1", true], ["true", true], ["off", false], ["0", false], ["false", false]]);

  function embedded() {
    const value = new URLSearchParams(location.search).get("embed");
    return value !== null && YES_NO.get(value || "on") === true;
  }

  function save(settings) {
    try {
      localStorage.setItem(KEY, JSON.stringify(settings));
    } catch {
      /* not kept across visits, still applied now */
    }
  }

  function apply(settings) {
    const root = document.documentElement;
    root.dataset.size = settings.size;
    root.dataset.font = settings.font;
    root.dataset.theme = settings.theme;
    root.dataset.spacing = settings.spacing;
    root.dataset.times = settings.times ? "on" : "off";
    document.dispatchEvent(new CustomEvent("plenary:display", { detail: settings }));
  }

  function bind() {
    let settings = fromLink(load());
    const controls = {
      size: document.getElementById("set-size"),
      font: document.getElementById("set-font"),
      theme: document.getElementById("set-theme"),
      spacing: document.getElementById("set-spacing"),
    };
    const times = document.getElementById("set-times");
    const show = () => {
      for (const [name, control] of Object.entries(controls)) {
        if (control) control.value = settings[name];
      }
      if (times) times.checked = settings.times;
    };
    const changed = () => {
      for (const [name, control] of Object.entries(controls)) {
        if (control && CHOICES[name].includes(control.value)) settings[name] = control.value;
      }
      if (times) settings.times = times.checked;
      save(settings);
      apply(settings);
    };
    for (const control of [...Object.values(controls), times]) {
      if (control) control.addEventListener("change", changed);
    }
    const reset = document.getElementById("set-reset");
    if (reset) {
      reset.addEventListener("click", () => {
        settings = { ...DEFAULTS };
        save(settings);
        apply(settings);
        show();
      });
    }
    show();
  }

  if (embedded()) document.documentElement.dataset.embed = "on";
  apply(fromLink(load()));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
