"""Iraq's governorates from ISO 3166-2:IQ (pycountry), and where each sits on the tile map.

Names and codes come from pycountry; only the tile positions are ours. The grid keeps the rough
geography (Duhok at the top, Basra at the bottom right, Anbar in the west), one tile each.
"""

from __future__ import annotations

import functools
import gettext
from dataclasses import dataclass

import pycountry

from services.portal.charts.locale import ChartLocale

# (column, row): column 0 is the west. Geography, so never mirrored for right-to-left readers.
TILES: dict[str, tuple[int, int]] = {
    "IQ-DA": (2, 0),
    "IQ-NI": (1, 1),
    "IQ-AR": (2, 1),
    "IQ-SU": (3, 1),
    "IQ-AN": (0, 2),
    "IQ-SD": (1, 2),
    "IQ-KI": (2, 2),
    "IQ-DI": (3, 2),
    "IQ-KA": (1, 3),
    "IQ-BG": (2, 3),
    "IQ-WA": (3, 3),
    "IQ-NA": (1, 4),
    "IQ-BB": (2, 4),
    "IQ-QA": (3, 4),
    "IQ-MA": (4, 4),
    "IQ-MU": (2, 5),
    "IQ-DQ": (3, 5),
    "IQ-BA": (4, 5),
}


@dataclass(frozen=True)
class Governorate:
    code: str
    name: str  # pycountry's name, e.g. "Arbīl Governorate"

    @property
    def short(self) -> str:
        """The code's second part (AR for IQ-AR): what fits on a tile."""
        return self.code.split("-", 1)[1]


@functools.cache
def governorates() -> tuple[Governorate, ...]:
    """The governorates (not the Kurdistan Region, which is a region of four), sorted by code."""
    subdivisions = pycountry.subdivisions.get(country_code="IQ") or []  # type: ignore[no-untyped-call]
    return tuple(
        sorted(
            (Governorate(s.code, s.name) for s in subdivisions if s.type == "Governorate"),
            key=lambda g: g.code,
        )
    )


def by_code() -> dict[str, Governorate]:
    return {g.code: g for g in governorates()}


@functools.cache
def _iso_names(tag: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[tag], fallback=True)


def name(code: str, loc: ChartLocale) -> str:
    """A governorate's name in the reader's language where pycountry has it (else ISO's)."""
    gov = by_code().get(code)
    if gov is None:
        return code
    return _iso_names(loc.tag).gettext(gov.name)
