"""Every message of the portal is translated into Arabic and Sorani Kurdish, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.portal import i18n

ROOT = Path(__file__).resolve().parents[2] / "services" / "portal"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "gettext_": None, "ngettext_": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def source_messages() -> set[str]:
    """What the code and templates ask for today (as ``pybabel extract`` with babel.cfg finds it)."""
    found = set()
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(language: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locale" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", ["ar", "ckb"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    cat = catalog(language)
    untranslated, broken = [], []
    for message in source_messages():
        entry = cat.get(message) or next(
            (m for m in cat if isinstance(m.id, tuple) and m.id[0] == message), None
        )
        strings = (
            []
            if entry is None
            else (list(entry.string) if isinstance(entry.string, tuple) else [entry.string])
        )
        if entry is None or not all(strings) or "fuzzy" in entry.flags:
            untranslated.append(message)
            continue
        wanted = {a or b for a, b in PLACEHOLDER.findall(message)}
        for text in strings:
            got = {a or b for a, b in PLACEHOLDER.findall(text)}
            # A plural form may leave out the number ("one notification"), never add a name.
            if not got <= wanted or (len(strings) == 1 and got != wanted):
                broken.append((message, text))
    assert not untranslated, f"{len(untranslated)} untranslated in {language}: {sorted(untranslated)[:10]}"
    assert not broken, broken[:5]


def test_catalogs_compile_and_translate_at_run_time() -> None:
    token = i18n.current_language.set("ar")
    try:
        assert i18n.gettext_("Cases") == "الحالات"
        assert i18n.gettext_("Welcome, %(name)s.", name="x") == "مرحبًا، x."
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("ckb")
    try:
        assert i18n.gettext_("Cases") == "دۆسیەکان"
    finally:
        i18n.current_language.reset(token)


def test_direction_comes_from_babel_locale_data() -> None:
    assert [i18n.direction(lang) for lang in ("en", "ar", "ckb")] == ["ltr", "rtl", "rtl"]


def test_no_compiled_catalog_is_kept_in_the_repository() -> None:
    assert not list((ROOT / "locale").rglob("*.mo"))
