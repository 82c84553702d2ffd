"""The places a service, location or rule may name.

Governorates come from ``pycountry`` (ISO 3166-2:IQ), never from a hand-written list of codes.

Halabja: the Kurdistan Regional Government treats Halabja as its fourth governorate (split from
Sulaymaniyah in 2014), but ISO 3166-2:IQ has no code for it, so pycountry has none either. We use
``IQ-HAL``: ISO's Iraqi codes all have two letters after ``IQ-``, so a three-letter code can never
collide with a code ISO assigns later; should ISO add Halabja, ``HALABJA_ALIASES`` maps the new
code to ours (or a migration renames it). ``IQ-KR`` (the Kurdistan Region) is a region, not a
governorate: it is accepted as a search filter and expands to its four governorates.

Districts: pycountry has no level below governorates. ``DISTRICTS`` is a small hand-written table,
deliberately partial (the districts our partners work in), with codes of our own making:
``<governorate code>-<three letters>``. Extend it as partners need; nothing else changes.

The Arabic and Sorani names (and the common English spelling used in the field, e.g. "Erbil" for
ISO's "Arbīl") are translations for display and search, not identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pycountry

COUNTRY = "IQ"
KURDISTAN_REGION = "IQ-KR"
HALABJA = "IQ-HAL"
HALABJA_ALIASES: dict[str, str] = {}


@dataclass(frozen=True)
class Governorate:
    code: str
    iso_name: str  # the ISO 3166-2 name as pycountry gives it
    name_en: str  # the spelling people use
    name_ar: str
    name_ckb: str
    in_kurdistan_region: bool
    from_iso: bool  # False only for Halabja


@dataclass(frozen=True)
class District:
    code: str
    governorate_code: str
    name_en: str
    name_ar: str
    name_ckb: str


# Display names by ISO code (translations, not a list of codes: the codes come from pycountry).
_NAMES: dict[str, tuple[str, str, str]] = {
    "IQ-AN": ("Anbar", "الأنبار", "ئەنبار"),
    "IQ-AR": ("Erbil", "أربيل", "هەولێر"),
    "IQ-BA": ("Basra", "البصرة", "بەسرە"),
    "IQ-BB": ("Babil", "بابل", "بابل"),
    "IQ-BG": ("Baghdad", "بغداد", "بەغدا"),
    "IQ-DA": ("Duhok", "دهوك", "دهۆک"),
    "IQ-DI": ("Diyala", "ديالى", "دیالە"),
    "IQ-DQ": ("Dhi Qar", "ذي قار", "زیقار"),
    "IQ-KA": ("Karbala", "كربلاء", "کەربەلا"),
    "IQ-KI": ("Kirkuk", "كركوك", "کەرکووک"),
    "IQ-MA": ("Maysan", "ميسان", "مەیسان"),
    "IQ-MU": ("Muthanna", "المثنى", "موسەننا"),
    "IQ-NA": ("Najaf", "النجف", "نەجەف"),
    "IQ-NI": ("Nineveh", "نينوى", "نەینەوا"),
    "IQ-QA": ("Qadisiyah", "القادسية", "قادسیە"),
    "IQ-SD": ("Salah ad Din", "صلاح الدين", "سەلاحەدین"),
    "IQ-SU": ("Sulaymaniyah", "السليمانية", "سلێمانی"),
    "IQ-WA": ("Wasit", "واسط", "واست"),
}
_KURDISTAN_GOVERNORATES = frozenset({"IQ-AR", "IQ-SU", "IQ-DA", HALABJA})

# Hand-written and partial (see the module docstring): (code, name en, ar, ckb).
_DISTRICTS: dict[str, list[tuple[str, str, str, str]]] = {
    "IQ-AR": [
        ("IQ-AR-ERB", "Erbil", "أربيل", "هەولێر"),
        ("IQ-AR-SOR", "Soran", "سوران", "سۆران"),
        ("IQ-AR-KOY", "Koya", "كويه", "کۆیە"),
        ("IQ-AR-SHQ", "Shaqlawa", "شقلاوة", "شەقڵاوە"),
        ("IQ-AR-MAK", "Makhmur", "مخمور", "مەخموور"),
    ],
    "IQ-SU": [
        ("IQ-SU-SUL", "Sulaymaniyah", "السليمانية", "سلێمانی"),
        ("IQ-SU-RAN", "Ranya", "رانية", "ڕانیە"),
        ("IQ-SU-CHA", "Chamchamal", "جمجمال", "چەمچەماڵ"),
        ("IQ-SU-DUK", "Dukan", "دوكان", "دوکان"),
        ("IQ-SU-KAL", "Kalar", "كلار", "کەلار"),
    ],
    "IQ-DA": [
        ("IQ-DA-DAH", "Duhok", "دهوك", "دهۆک"),
        ("IQ-DA-ZAK", "Zakho", "زاخو", "زاخۆ"),
        ("IQ-DA-AMA", "Amedi", "العمادية", "ئامێدی"),
        ("IQ-DA-SIM", "Simele", "سميل", "سێمێل"),
    ],
    HALABJA: [
        ("IQ-HAL-HAL", "Halabja", "حلبجة", "هەڵەبجە"),
        ("IQ-HAL-KHU", "Khurmal", "خورمال", "خورماڵ"),
    ],
    "IQ-BG": [
        ("IQ-BG-KRK", "Karkh", "الكرخ", "کەرخ"),
        ("IQ-BG-RUS", "Rusafa", "الرصافة", "ڕەسافە"),
        ("IQ-BG-ADH", "Adhamiyah", "الأعظمية", "ئەعزەمیە"),
        ("IQ-BG-KAD", "Kadhimiya", "الكاظمية", "کازمیە"),
        ("IQ-BG-MAH", "Mahmudiya", "المحمودية", "مەحموودیە"),
        ("IQ-BG-ABG", "Abu Ghraib", "أبو غريب", "ئەبو غرێب"),
    ],
    "IQ-NI": [
        ("IQ-NI-MOS", "Mosul", "الموصل", "مووسڵ"),
        ("IQ-NI-SIN", "Sinjar", "سنجار", "شنگال"),
        ("IQ-NI-TAF", "Tel Afar", "تلعفر", "تەلەعفەر"),
    ],
    "IQ-KI": [("IQ-KI-KIR", "Kirkuk", "كركوك", "کەرکووک")],
    "IQ-BA": [("IQ-BA-BAS", "Basra", "البصرة", "بەسرە")],
}


@cache
def governorates() -> dict[str, Governorate]:
    """Every governorate by code: pycountry's ISO 3166-2:IQ governorates, plus Halabja."""
    out: dict[str, Governorate] = {}
    for sub in pycountry.subdivisions.get(country_code=COUNTRY) or []:
        if sub.type != "Governorate":
            continue  # IQ-KR is the Kurdistan Region, a region above governorates
        en, ar, ckb = _NAMES.get(sub.code, (sub.name.removesuffix(" Governorate"), "", ""))
        out[sub.code] = Governorate(
            sub.code, sub.name, en, ar, ckb, sub.code in _KURDISTAN_GOVERNORATES, from_iso=True
        )
    out[HALABJA] = Governorate(HALABJA, "Halabja", "Halabja", "حلبجة", "هەڵەبجە", True, from_iso=False)
    return dict(sorted(out.items()))


@cache
def districts() -> dict[str, District]:
    return {
        code: District(code, gov, en, ar, ckb)
        for gov, rows in _DISTRICTS.items()
        for code, en, ar, ckb in rows
    }


def canonical_governorate(code: str) -> str:
    code = code.strip().upper()
    return HALABJA_ALIASES.get(code, code)


def is_governorate(code: str) -> bool:
    return canonical_governorate(code) in governorates()


def is_district(code: str) -> bool:
    return code.strip().upper() in districts()


def district_governorate(code: str) -> str:
    return districts()[code.strip().upper()].governorate_code


def expand_region(code: str) -> list[str]:
    """A filter code as governorates: IQ-KR stands for the four governorates of the Kurdistan Region."""
    code = canonical_governorate(code)
    if code == KURDISTAN_REGION:
        return sorted(_KURDISTAN_GOVERNORATES)
    return [code]


def place_names(code: str) -> list[str]:
    """Every name of a governorate or district, for the search document."""
    gov = governorates().get(code)
    if gov is not None:
        return [gov.name_en, gov.iso_name, gov.name_ar, gov.name_ckb]
    dist = districts().get(code)
    if dist is not None:
        return [dist.name_en, dist.name_ar, dist.name_ckb]
    return []
