"""What a chart needs to know about its reader: language, direction, numbers and dates.

Direction comes from Babel's locale data (CLDR ``character_order``), never from a list of
languages. Numbers use Latin digits with the locale's separators: Babel substitutes a numbering
system's symbols but not its digits, and a half-converted "1٬234" is worse than either.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent


class Translations(Protocol):
    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


@dataclass(frozen=True)
class ChartLocale:
    """A reader's locale and message catalog, as charts use them."""

    tag: str = "en"
    translations: Translations = field(default_factory=gettext.NullTranslations)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.tag)

    @property
    def rtl(self) -> bool:
        return self.locale.character_order == "right-to-left"

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.tag)

    def percent(self, share: float) -> str:
        return format_percent(share, locale=self.tag)

    def score(self, value: float) -> str:
        """A 0..1 score with two decimals (scores are means; more digits would be noise)."""
        return format_decimal(value, format="0.00", locale=self.tag)

    def month(self, day: date) -> str:
        return format_date(day, "MMM y", locale=self.tag)

    def year(self, day: date) -> str:
        return format_date(day, "y", locale=self.tag)

    def day(self, day: date) -> str:
        return format_date(day, "medium", locale=self.tag)
