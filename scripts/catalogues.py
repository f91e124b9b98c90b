"""The pages' translation catalogues: gettext .po files in static/locales/, one per language.

    python scripts/catalogues.py extract   # collect the pages' messages into messages.pot and
                                           # add the new ones to every LANG.po (untranslated)
    python scripts/catalogues.py compile   # write LANG.json, what the pages load (i18n.js)

Messages are found in the scripts (``t("…")`` and ``tn("…", "…", n)`` in static/*.js), in the
HTML (the text of elements marked ``data-i18n``, the attributes named by
``data-i18n-aria-label`` and the like) and in the server's vocabulary (GET /api/vocabulary.json).
The msgid is the English text; en.po holds it as its own
translation. A compiled catalogue carries the language's CLDR plural categories in the order of
the gettext plural forms, so that the page picks a form with ``Intl.PluralRules``.

Babel (a test dependency) does the reading, writing and plural rules; the compiled files are
committed, and tests/test_catalogues.py fails when one is out of date or misses a message.
"""

from __future__ import annotations

import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
LOCALES = STATIC / "locales"
LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")
# English pages need no catalogue: the msgids are the English text (i18n.js loads none).
COMPILED = tuple(code for code in LANGUAGES if code != "en")
ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")
# gettext numbers plural forms in this order of the CLDR categories a language uses.
PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _MarkedText(HTMLParser):
    """The msgids of one HTML page: the own text of data-i18n elements and marked attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, int]] = []
        self.open: list[tuple[str, bool]] = []  # (tag, marked) of the elements we are inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for attribute in ATTRIBUTES:
            if f"data-i18n-{attribute}" in named:
                value = named.get(f"data-i18n-{attribute}") or named.get(attribute) or ""
                if normal(value):
                    self.found.append((normal(value), self.getpos()[0]))
        if tag not in {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}:
            self.open.append((tag, "data-i18n" in named))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1][1] and normal(data):
            self.found.append((normal(data), self.getpos()[0]))


# t("…") and tn("…", "…", n): the pages always give the English text as a double-quoted literal.
_STRING = r'"((?:[^"\\\n]|\\.)*)"'
_CALL = re.compile(rf"\b(tn?)\(\s*{_STRING}(?:\s*,\s*{_STRING})?")


_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unquote(literal: str) -> str:
    """The text of a JavaScript string literal's body (its escapes decoded)."""

    def decode(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape[0] == "u" and len(escape) > 1:
            return chr(int(escape[2:-1] if escape[1] == "{" else escape[1:], 16))
        if escape[0] == "x" and len(escape) == 3:
            return chr(int(escape[1:], 16))
        return _SIMPLE.get(escape, escape)

    text = _ESCAPE.sub(decode, literal)
    # \ud83d\ude00 is one character written as two halves: join them.
    return text.encode("utf-16", "surrogatepass").decode("utf-16")


def script_messages(source: str) -> list[tuple[str, str | None, int]]:
    """The messages of one script: (msgid, msgid_plural or None, line). Comment lines (which
    show how t() is called) are left out. A regular expression rather than a JavaScript parser:
    the calls sit inside template literals too, where babel's JavaScript extractor does not look."""
    code = "\n".join(
        "" if line.lstrip().startswith(("//", "*", "/*")) else line for line in source.split("\n")
    )
    found: list[tuple[str, str | None, int]] = []
    for match in _CALL.finditer(code):
        function, first, second = match.group(1), match.group(2), match.group(3)
        line = code.count("\n", 0, match.start()) + 1
        if function == "tn" and second is not None:
            found.append((_unquote(first), _unquote(second), line))
        elif function == "t":
            found.append((_unquote(first), None, line))
    return found


def page_messages() -> dict[str, tuple[str | None, list[tuple[str, int]]]]:
    """Every message of the pages: msgid -> (msgid_plural or None, where it is used)."""
    found: dict[str, tuple[str | None, list[tuple[str, int]]]] = {}

    def add(msgid: str, plural: str | None, where: tuple[str, int]) -> None:
        old_plural, places = found.setdefault(msgid, (plural, []))
        if plural and not old_plural:
            found[msgid] = (plural, places)
        places.append(where)

    for path in sorted(STATIC.glob("*.js")):
        for msgid, plural, line in script_messages(path.read_text(encoding="utf-8")):
            add(msgid, plural, (path.name, line))
    for msgid in vocabulary():
        add(msgid, None, ("/api/vocabulary.json", 0))
    for path in sorted(STATIC.glob("*.html")):
        parser = _MarkedText()
        parser.feed(path.read_text(encoding="utf-8"))
        for msgid, line in parser.found:
            add(msgid, None, (path.name, line))
    return found


def vocabulary() -> list[str]:
    """The names the server gives the pages (GET /api/vocabulary.json), which vocabulary.js
    translates: requests' kinds, presences, agenda statuses, proposals' kinds and statuses."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from server.domain import agenda, document, floor

    names: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for table in (floor.KINDS, floor.PRESENCES, agenda.STATUSES, document.KINDS, document.STATUSES):
        walk(table)
    return names


def plural_categories(code: str) -> list[str]:
    rule = Locale.parse(code).plural_form
    used = set(rule.tags) | {"other"}
    return [tag for tag in PLURAL_ORDER if tag in used]


def template() -> Catalog:
    pot = Catalog(project="plenary", domain="messages")
    for msgid, (plural, places) in sorted(page_messages().items()):
        pot.add((msgid, plural) if plural else msgid, locations=places)
    return pot


def read(code: str) -> Catalog:
    with (LOCALES / f"{code}.po").open("rb") as file:
        return read_po(file, locale=code)


def write(catalogue: Catalog, path: Path) -> None:
    # Locations name the file, not the line: editing a page must not rewrite six catalogues.
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=100, sort_output=True, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def extract() -> None:
    pot = template()
    previous = LOCALES / "messages.pot"
    if previous.exists():
        with previous.open("rb") as file:
            old = read_po(file)
        # The date changes only with the messages, so a run that finds nothing new changes nothing.
        if {m.id for m in old} == {m.id for m in pot}:
            pot.creation_date = old.creation_date
    write(pot, previous)
    for code in LANGUAGES:
        path = LOCALES / f"{code}.po"
        if path.exists():
            catalogue = read(code)
            # A template of its own: update() shares the template's messages with the
            # catalogue, and English fills them in below.
            catalogue.update(template(), no_fuzzy_matching=True)
            catalogue.obsolete.clear()
        else:
            catalogue = Catalog(locale=code, project="plenary", domain="messages")
            catalogue.update(template(), no_fuzzy_matching=True)
        if code == "en":  # the English text is its own translation
            for message in catalogue:
                if message.id and not message.string:
                    english = message.id
                    message.string = english if isinstance(english, str) else tuple(english)
        write(catalogue, path)


def compiled(code: str) -> str:
    """The JSON the pages load for one language."""
    catalogue = read(code)
    # gettext's table may count fewer forms than CLDR has categories (Russian: one, few, many;
    # CLDR's "other" is for fractions): the forms are the first categories, in order.
    categories = plural_categories(code)[: catalogue.num_plurals]
    messages: dict[str, object] = {}
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if isinstance(message.string, str):
            if message.string:
                messages[key] = message.string
        else:
            forms = list(message.string)
            if all(forms):
                messages[key] = forms
    data = {"lang": code, "plural": categories, "messages": dict(sorted(messages.items()))}
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def compile_all() -> None:
    for code in COMPILED:
        (LOCALES / f"{code}.json").write_text(compiled(code), encoding="utf-8")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "compile":
        compile_all()
    else:
        sys.exit(__doc__)
