"""The entitlements answer: every programme and service a returnee is eligible for, and why.

Pure functions over data the service layer has loaded, so the reasoning can be read (and tested)
without a database. A programme or service admits a person when all its conditions match: its
own (a programme's period, eligible return types and target group; a service's area) and every
active rule on it. Benefits are converted to Iraqi dinars: amount × persons (for per-person
benefits) × the governorate's cost-of-living factor (unless the benefit is fixed) × the exchange
rate, rounded to 250 IQD.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.registry.common.vocabulary import EU_AND_ASSOCIATED
from services.registry.eligibility import rules as rulebook
from services.registry.eligibility.models import Benefit, BenefitKind, BenefitUnit, EligibilityRule
from services.registry.eligibility.schemas import BenefitResult, ReturneeProfile, RuleResult
from services.registry.places import catalogue
from services.registry.programmes.models import Programme, TargetGroup

BANKNOTE = Decimal(250)
ONE = Decimal(1)


def to_iqd(amount: Decimal) -> int:
    return int((amount / BANKNOTE).quantize(ONE, rounding=ROUND_HALF_UP) * BANKNOTE)


@dataclass
class Coverage:
    """Where a service works: its service areas and the places of its active locations."""

    areas: list[tuple[str, str | None]] = field(default_factory=list)
    locations: list[tuple[str, str | None]] = field(default_factory=list)

    def check(self, person: ReturneeProfile) -> rulebook.Check:
        places = self.areas + self.locations
        if not places:
            return rulebook.Check(
                True, "The service lists no area or location; it is taken to serve all of Iraq."
            )
        gov, district = person.governorate_code, person.district_code
        names = catalogue.governorates()
        here = [d for g, d in places if g == gov]
        if not here:
            served = ", ".join(sorted({names[g].name_en if g in names else g for g, _ in places}))
            return rulebook.Check(False, f"Serves {served}; not {names[gov].name_en}.")
        if any(d is None for d in here):
            return rulebook.Check(True, f"Serves {names[gov].name_en}.")
        districts = sorted({d for d in here if d is not None})
        if district is None:
            return rulebook.Check(True, f"Serves part of {names[gov].name_en} ({', '.join(districts)}).")
        if district in districts:
            return rulebook.Check(True, f"Serves district {district} of {names[gov].name_en}.")
        return rulebook.Check(
            False, f"Serves other districts of {names[gov].name_en} only ({', '.join(districts)})."
        )


def programme_conditions(programme: Programme, person: ReturneeProfile, on: date) -> list[RuleResult]:
    out = []
    start, end = programme.starts_on, programme.ends_on
    period = f"{start.isoformat()} – {end.isoformat() if end else 'open-ended'}"
    if on < start:
        out.append(
            RuleResult(
                rule_id=None,
                criterion="programme_period",
                matched=False,
                reason=f"The programme starts on {start.isoformat()}; not running on {on.isoformat()}.",
            )
        )
    elif end is not None and on > end:
        out.append(
            RuleResult(
                rule_id=None,
                criterion="programme_period",
                matched=False,
                reason=f"The programme ended on {end.isoformat()}.",
            )
        )
    else:
        out.append(
            RuleResult(
                rule_id=None,
                criterion="programme_period",
                matched=True,
                reason=f"The programme runs {period}, which includes {on.isoformat()}.",
            )
        )
    types = set(programme.eligible_return_types)
    ok = person.return_type.value in types
    out.append(
        RuleResult(
            rule_id=None,
            criterion="programme_return_types",
            matched=ok,
            reason=f"Return type {person.return_type.value} {'is' if ok else 'is not'} one the programme "
            f"supports ({', '.join(sorted(types))}).",
        )
    )
    if programme.target_group == TargetGroup.funder_country_returnees:
        allowed = rulebook.countries(programme.funder_countries)
        ok = person.returned_from in allowed
        reason = (
            "The programme is for returnees from its funder countries "
            f"({', '.join(programme.funder_countries)}); returned from {person.returned_from}."
        )
    else:
        ok = person.returned_from in EU_AND_ASSOCIATED
        reason = (
            f"The programme is for returnees from any EU or Schengen associated state; returned from "
            f"{person.returned_from}{'' if ok else ', which is not one'}."
        )
    out.append(RuleResult(rule_id=None, criterion="target_group", matched=ok, reason=reason))
    return out


def rule_results(rules: Sequence[EligibilityRule], person: ReturneeProfile, on: date) -> list[RuleResult]:
    out = []
    for rule in rules:
        result = rulebook.check(rule.kind, rule.params, person, on)
        out.append(
            RuleResult(
                rule_id=rule.id,
                criterion=rule.kind,
                matched=result.matched,
                reason=result.reason,
                note=rule.note,
            )
        )
    return out


@dataclass
class Money:
    factor: Decimal
    rates: dict[str, Decimal]


def benefit_results(
    benefits: Sequence[Benefit],
    person: ReturneeProfile,
    money: Money,
    *,
    eligible: bool,
    eligible_programmes: dict[uuid.UUID, bool],
    programme_names: dict[uuid.UUID, str],
) -> list[BenefitResult]:
    out = []
    for b in benefits:
        units = person.household_size if b.per == BenefitUnit.person else 1
        factor = money.factor if b.adjust_for_cost_of_living else ONE
        rate = None
        if b.currency == "IQD":
            rate = ONE
        elif b.currency is not None:
            rate = money.rates.get(b.currency)
        amount_iqd = (
            to_iqd(b.amount * units * factor * rate) if b.amount is not None and rate is not None else None
        )
        if not eligible:
            applies, reason = False, "Not eligible for the conditions above."
        elif b.kind == BenefitKind.top_up:
            base = b.tops_up_programme_id
            assert base is not None
            base_name = programme_names.get(base, str(base))
            if eligible_programmes.get(base):
                applies, reason = True, f"Adds to {base_name}, for which the person is eligible."
            else:
                applies, reason = False, f"Adds to {base_name}, for which the person is not eligible."
        else:
            applies, reason = True, "Eligible."
        if applies and b.amount is not None and rate is None:
            reason += f" No exchange rate for {b.currency} is set, so no amount in IQD can be given."
        elif applies and b.amount is not None:
            parts = [f"{b.amount} {b.currency}"]
            if units > 1:
                parts.append(f"× {units} persons")
            if factor != ONE:
                parts.append(f"× cost-of-living factor {factor}")
            elif not b.adjust_for_cost_of_living:
                parts.append("(fixed amount, not adjusted to local costs)")
            if b.currency != "IQD":
                parts.append(f"× {rate} IQD/{b.currency}")
            reason += " " + " ".join(parts) + f" ≈ {amount_iqd:,} IQD."
        out.append(
            BenefitResult(
                benefit_id=b.id,
                kind=BenefitKind(b.kind),
                description=b.description,
                applies=applies,
                reason=reason,
                amount=b.amount,
                currency=b.currency,
                per=BenefitUnit(b.per),
                units=units,
                cost_of_living_factor=factor,
                iqd_per_unit=rate,
                amount_iqd=amount_iqd,
                tops_up_programme_id=b.tops_up_programme_id,
            )
        )
    return out


def cash_total(results: Sequence[BenefitResult]) -> int:
    return sum(
        r.amount_iqd
        for r in results
        if r.applies and r.amount_iqd is not None and r.kind in (BenefitKind.cash, BenefitKind.top_up)
    )
