"""Structured rules: which parameters each kind takes, and how one is checked against a person.

Every check answers with a reason a counsellor can read out: what the rule asks for, what the
person's case is, and so why it matched or not.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.registry.common.fields import FieldErrors
from services.registry.common.vocabulary import EU_AND_ASSOCIATED
from services.registry.eligibility.models import RuleKind
from services.registry.eligibility.schemas import ReturneeProfile, RuleIn
from services.registry.places import catalogue

# The RuleIn field each list-valued kind uses.
LIST_FIELD = {
    RuleKind.return_type: "return_types",
    RuleKind.country_returned_from: "countries",
    RuleKind.governorate: "governorates",
    RuleKind.gender: "genders",
    RuleKind.vulnerability: "vulnerabilities",
}
RANGE_KINDS = {RuleKind.age_range, RuleKind.household_size}
_PARAM_FIELDS = {
    "return_types",
    "countries",
    "governorates",
    "genders",
    "vulnerabilities",
    "minimum",
    "maximum",
    "months",
}


def params_of(rule: RuleIn, errors: FieldErrors) -> dict[str, Any]:
    """The stored parameters of a rule, or field errors: missing, foreign, or impossible parameters."""
    kind = rule.kind
    sent = {f for f in _PARAM_FIELDS if getattr(rule, f) is not None}
    if kind in LIST_FIELD:
        wanted = {LIST_FIELD[kind]}
    elif kind in RANGE_KINDS:
        wanted = {"minimum", "maximum"}
    else:
        wanted = {"months"}
    for field in sorted(sent - wanted):
        errors.add(f"/{field}", f"does not apply to a {kind.value} rule")
    if kind in LIST_FIELD:
        field = LIST_FIELD[kind]
        values = getattr(rule, field)
        if not values:
            errors.add(f"/{field}", f"a {kind.value} rule needs at least one value, or it can never match")
            return {}
        return {field: sorted({str(v) for v in values})}
    if kind in RANGE_KINDS:
        lo, hi = rule.minimum, rule.maximum
        if lo is None and hi is None:
            errors.add("/minimum", f"a {kind.value} rule needs a minimum or a maximum")
            return {}
        if lo is not None and hi is not None and lo > hi:
            errors.add("/maximum", f"is below the minimum ({lo}): the rule could never match")
        if kind is RuleKind.household_size and hi is not None and hi < 1:
            errors.add("/maximum", "a household has at least one person: the rule could never match")
        return {k: v for k, v in (("minimum", lo), ("maximum", hi)) if v is not None}
    if rule.months is None:
        errors.add("/months", "an arrival_within_months rule needs the number of months")
        return {}
    return {"months": rule.months}


def countries(values: Iterable[str]) -> set[str]:
    """Country codes with "EU" expanded to the EU and Schengen associated states."""
    out: set[str] = set()
    for code in values:
        out |= set(EU_AND_ASSOCIATED) if code == "EU" else {code}
    return out


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _place(code: str) -> str:
    gov = catalogue.governorates().get(code)
    return f"{gov.name_en} ({code})" if gov else code


def _listing(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


@dataclass(frozen=True)
class Check:
    matched: bool
    reason: str


def check(kind: str, params: dict[str, Any], person: ReturneeProfile, on: date) -> Check:
    k = RuleKind(kind)
    if k is RuleKind.return_type:
        allowed = set(params["return_types"])
        ok = person.return_type.value in allowed
        verb = "is one of" if ok else "is not one of"
        return Check(ok, f"Return type {person.return_type.value} {verb}: {_listing(allowed)}.")
    if k is RuleKind.country_returned_from:
        allowed = countries(params["countries"])
        ok = person.returned_from in allowed
        shown = _listing(params["countries"])
        if ok:
            return Check(True, f"Returned from {person.returned_from}, which is one of: {shown}.")
        return Check(False, f"Returned from {person.returned_from}; the rule needs one of: {shown}.")
    if k is RuleKind.governorate:
        allowed = set(params["governorates"])
        ok = person.governorate_code in allowed
        where = ", ".join(_place(c) for c in sorted(allowed))
        verb = "is one of" if ok else "is not one of"
        return Check(ok, f"Lives in {_place(person.governorate_code)}, which {verb}: {where}.")
    if k is RuleKind.gender:
        allowed = set(params["genders"])
        ok = person.gender.value in allowed
        return Check(
            ok, f"Gender {person.gender.value} {'is' if ok else 'is not'} one of: {_listing(allowed)}."
        )
    if k is RuleKind.vulnerability:
        wanted = set(params["vulnerabilities"])
        has = wanted & {v.value for v in person.vulnerabilities}
        if has:
            return Check(True, f"Has {_listing(has)}, which the rule asks for (any of: {_listing(wanted)}).")
        return Check(
            False, f"None of the vulnerabilities the rule asks for is recorded (any of: {_listing(wanted)})."
        )
    if k in RANGE_KINDS:
        value = person.age if k is RuleKind.age_range else person.household_size
        label = "Age" if k is RuleKind.age_range else "Household size"
        lo, hi = params.get("minimum"), params.get("maximum")
        if lo is not None and value < lo:
            return Check(False, f"{label} {value} is below the minimum of {lo}.")
        if hi is not None and value > hi:
            return Check(False, f"{label} {value} is above the maximum of {hi}.")
        bounds = (
            f"{lo}–{hi}"
            if lo is not None and hi is not None
            else (f"at least {lo}" if lo is not None else f"at most {hi}")
        )
        return Check(True, f"{label} {value} is within {bounds}.")
    months = int(params["months"])
    if person.arrival_date > on:
        return Check(
            True, f"Arrives on {person.arrival_date.isoformat()}, so within {months} months of arrival."
        )
    deadline = add_months(person.arrival_date, months)
    if on <= deadline:
        return Check(
            True,
            f"Arrived on {person.arrival_date.isoformat()}: within {months} months "
            f"(until {deadline.isoformat()}).",
        )
    return Check(
        False,
        f"Arrived on {person.arrival_date.isoformat()}: more than {months} months ago "
        f"(ended {deadline.isoformat()}).",
    )
