"""Code lists from their standards (ISO 639, 3166, 4217 through pycountry), as Pydantic types.

A bad code is a 422 naming the field, raised while the request is parsed.
"""

from __future__ import annotations

from typing import Annotated

import pycountry
from pydantic import AfterValidator

from services.registry.places import catalogue

# "EU" is exceptionally reserved in ISO 3166-1 for the European Union: a funder, not a country.
EXCEPTIONALLY_RESERVED = {"EU": "European Union"}


def language_code(value: str) -> str:
    """An ISO 639-1 or 639-3 code (ar, ckb, kmr, en...), lower case."""
    code = value.strip().lower()
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    if found is None:
        raise ValueError(f"{value!r} is not an ISO 639 language code")
    return code


def country_code(value: str) -> str:
    code = value.strip().upper()
    if code in EXCEPTIONALLY_RESERVED:
        return code
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def currency_code(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def governorate_code(value: str) -> str:
    code = catalogue.canonical_governorate(value)
    if not catalogue.is_governorate(code):
        raise ValueError(f"{value!r} is not an Iraqi governorate code (ISO 3166-2:IQ, or IQ-HAL for Halabja)")
    return code


def district_code(value: str) -> str:
    code = value.strip().upper()
    if not catalogue.is_district(code):
        raise ValueError(f"{value!r} is not a known district code (see GET /v1/places)")
    return code


LanguageCode = Annotated[str, AfterValidator(language_code)]
CountryCode = Annotated[str, AfterValidator(country_code)]
CurrencyCode = Annotated[str, AfterValidator(currency_code)]
GovernorateCode = Annotated[str, AfterValidator(governorate_code)]
DistrictCode = Annotated[str, AfterValidator(district_code)]
