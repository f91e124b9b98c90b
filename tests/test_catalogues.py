"""The pages' translation catalogues (static/locales/*.po, compiled to *.json by
scripts/catalogues.py): complete in every language, in step with the pages, and compiled."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import ROOT

LANGUAGES = ("ar", "es", "fr", "ru", "zh")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalogues", ROOT / "scripts" / "catalogues.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalogues = _load()


def english() -> dict[str, object]:
    """msgid -> the English message (a str, or (singular, plural))."""
    return {m.id if isinstance(m.id, str) else m.id[0]: m.id for m in catalogues.read("en") if m.id}


def test_english_catalogue_holds_every_message_of_the_pages() -> None:
    """Every t() / tn() / data-i18n string in static/ (and the server's vocabulary) is in en.po,
    and en.po holds nothing the pages no longer say: run `scripts/catalogues.py extract`."""
    used = catalogues.page_messages()
    known = english()
    missing = sorted(set(used) - set(known))
    stale = sorted(set(known) - set(used))
    assert not missing, f"not in en.po (run scripts/catalogues.py extract): {missing}"
    assert not stale, f"in en.po but no longer used by any page: {stale}"
    for msgid, (plural, _places) in used.items():
        message = known[msgid]
        if plural:
            assert isinstance(message, tuple) and message[1] == plural, msgid


def test_the_extractor_finds_calls_in_templates_and_skips_comments() -> None:
    source = '\n'.join([
        '// t("only an example") in a comment',
        'const a = `${t("Has the floor:")} ${name}`;',
        'say(tn("{n} second left.", "{n} seconds left.", n));',
        'const b = t("Say \\"hello\\"", { x: t("nested") });',
        'c(t("It\\\'s \\\\ \\u00e9\\u{1F600}"));',
    ])  # fmt: skip
    found = catalogues.script_messages(source)
    assert [(m, p) for m, p, _line in found] == [
        ("Has the floor:", None),
        ("{n} second left.", "{n} seconds left."),
        ('Say "hello"', None),
        ("nested", None),
        ("It's \\ é\U0001f600", None),
    ]
    assert [line for _m, _p, line in found] == [2, 3, 4, 4, 5]


# Text a page might say: any characters but line breaks, written as a JavaScript string literal.
TEXT = st.text(
    st.characters(exclude_characters="\n\r\u2028\u2029", exclude_categories=["Cs"]), min_size=1
)


@given(TEXT, TEXT)
def test_the_extractor_reads_back_any_literal(singular: str, plural: str) -> None:
    """Whatever the English text (quotes, backslashes, braces, any script), t() and tn() calls
    written as JSON-escaped literals are read back exactly."""
    one = json.dumps(singular, ensure_ascii=False)  # as the pages write "…" and "“"
    other = json.dumps(plural)  # and escaped
    source = f"say(t({one}, {{ x }}));\nok(tn({one}, {other}, n));"
    assert [(m, p) for m, p, _line in catalogues.script_messages(source)] == [
        (singular, None),
        (singular, plural),
    ]


def test_html_marks_give_own_text_and_attributes() -> None:
    parser = catalogues._MarkedText()
    parser.feed(
        '<p data-i18n>Open <a href="/" data-i18n>the   transcript</a> (new tab).</p>'
        '<input data-i18n-placeholder placeholder="Search"><span>not marked</span>'
        '<button data-i18n-aria-label="Next match" aria-label="Next match">↓</button>'
    )
    assert [m for m, _line in parser.found] == [
        "Open", "the transcript", "(new tab).", "Search", "Next match",
    ]  # fmt: skip


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_catalogue_translates_every_english_message(code: str) -> None:
    catalogue = catalogues.read(code)
    messages = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue if m.id}
    missing, untranslated, fuzzy = [], [], []
    for msgid in english():
        message = messages.get(msgid)
        if message is None:
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
        elif isinstance(message.string, str):
            if not message.string:
                untranslated.append(msgid)
        elif len(message.string) != catalogue.num_plurals or not all(message.string):
            untranslated.append(msgid)
    assert not missing, f"{code}.po lacks {missing}"
    assert not untranslated, f"{code}.po lacks a translation or plural form: {untranslated}"
    assert not fuzzy, f"{code}.po has fuzzy entries to review: {fuzzy}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_translations_keep_the_placeholders(code: str) -> None:
    """A translation uses the English text's {placeholders} and no others (a plural form may
    leave out {n}: Arabic says "two seconds" in a word)."""
    wrong = []
    for message in catalogues.read(code):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        expected = set().union(*(set(PLACEHOLDER.findall(i)) for i in ids))
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        for form in forms:
            got = set(PLACEHOLDER.findall(form))
            plural = not isinstance(message.string, str)
            if not got <= expected or (not plural and got != expected):
                wrong.append((ids[0], form))
    assert not wrong, f"{code}.po changes placeholders: {wrong}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_compiled_catalogue_is_current(code: str) -> None:
    """The JSON the pages load is what `scripts/catalogues.py compile` makes of the .po file."""
    path = catalogues.LOCALES / f"{code}.json"
    assert path.read_text(encoding="utf-8") == catalogues.compiled(code), (
        f"{path.name} is out of date: run scripts/catalogues.py compile"
    )


@pytest.mark.parametrize(
    ("code", "categories"),
    [
        ("ar", ["zero", "one", "two", "few", "many", "other"]),
        ("es", ["one", "many", "other"]),
        ("fr", ["one", "many", "other"]),
        ("ru", ["one", "few", "many"]),
        ("zh", ["other"]),
    ],
)
def test_compiled_catalogue_names_the_plural_forms(code: str, categories: list[str]) -> None:
    """The forms of a plural message are in gettext's order, named by the CLDR categories that
    Intl.PluralRules returns, so that the page picks the right one."""
    data = json.loads((catalogues.LOCALES / f"{code}.json").read_text(encoding="utf-8"))
    assert data["lang"] == code
    assert data["plural"] == categories
    plural = data["messages"]["{n} second left."]
    assert isinstance(plural, list) and len(plural) == len(categories)


def test_extract_adds_a_new_string_untranslated_and_changes_nothing_when_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a string is one line in a page: `extract` puts it into every catalogue, English
    filled in, the others waiting for a translator (never given the English as their own)."""
    static = tmp_path / "static"
    locales = static / "locales"
    shutil.copytree(catalogues.LOCALES, locales)
    (static / "page.js").write_text('say(t("Brand new words"));\n', encoding="utf-8")
    monkeypatch.setattr(catalogues, "STATIC", static)
    monkeypatch.setattr(catalogues, "LOCALES", locales)
    catalogues.extract()
    assert catalogues.read("en").get("Brand new words").string == "Brand new words"
    for code in LANGUAGES:
        assert catalogues.read(code).get("Brand new words").string == "", code
    # The vocabulary's words are kept, and their translations with them.
    assert catalogues.read("fr").get("point of order").string == "motion d'ordre"
    before = {p.name: p.read_bytes() for p in locales.iterdir()}
    catalogues.extract()
    assert {p.name: p.read_bytes() for p in locales.iterdir()} == before
