"""Languages of the portal: English, Arabic and Sorani Kurdish, from Babel message catalogs.

The ``.po`` files in ``locale/`` are the source; they are compiled in memory with Babel's API when
this module is imported, so no generated ``.mo`` file is kept in the repository. Text direction,
dates and numbers come from Babel's CLDR data for the locale, never from a list of our own.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import Request

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("en", "ar", "ckb")
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "hawkari_lang"

current_language: ContextVar[str] = ContextVar("portal_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():  # English is the source language: msgids are the English text
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def locale(language: str) -> Locale:
    return Locale.parse(language)


def direction(language: str) -> str:
    """``ltr`` or ``rtl`` as CLDR says for the language."""
    return locale(language).text_direction


def language_name(language: str) -> str:
    """The language's name in itself (what a language picker shows)."""
    return locale(language).get_display_name(language) or language


def pick_language(request: Request) -> str:
    """The remembered choice (cookie), else the browser's preference, else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    header = request.headers.get("accept-language", "")
    preferred = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",") if part.strip()]
    negotiated = Locale.negotiate(preferred, list(LANGUAGES), sep="_") if preferred else None
    return str(negotiated) if negotiated is not None and str(negotiated) in LANGUAGES else DEFAULT_LANGUAGE


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


# The callables templates and page code use; they read the request's language from the context.
def gettext_(message: str, **variables: object) -> str:
    text = translations(current_language.get()).gettext(message)
    return text % variables if variables else text


def ngettext_(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def format_number(value: float | int | None) -> str:
    return "" if value is None else numbers.format_decimal(value, locale=locale(current_language.get()))


def format_percent(value: float | None) -> str:
    return "" if value is None else numbers.format_percent(value, locale=locale(current_language.get()))


def format_money(value: float | None, currency: str) -> str:
    if value is None:
        return ""
    return numbers.format_currency(value, currency, locale=locale(current_language.get()))


def _parse(value: str | date | datetime | None) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def format_date(value: str | date | datetime | None, format: str = "medium") -> str:
    parsed = _parse(value)
    if parsed is None:
        return ""
    return dates.format_date(parsed, format=format, locale=locale(current_language.get()))


def format_datetime(value: str | datetime | None, format: str = "medium") -> str:
    parsed = _parse(value)
    if parsed is None:
        return ""
    if not isinstance(parsed, datetime):
        return format_date(parsed, format)
    return dates.format_datetime(parsed, format=format, locale=locale(current_language.get()))


def format_timedelta(value: float, add_direction: bool = True) -> str:
    """Seconds from now (negative: in the past) as "in 3 days" / "2 hours ago"."""
    return dates.format_timedelta(
        value, add_direction=add_direction, threshold=1.1, locale=locale(current_language.get())
    )
