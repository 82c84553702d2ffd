"""Structured eligibility rules and benefits on a programme or a service; local cost of living."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, Numeric, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.common.model import Tracked
from services.registry.db import Base
from shared.db import utcnow


class RuleKind(StrEnum):
    return_type = "return_type"
    country_returned_from = "country_returned_from"
    governorate = "governorate"
    age_range = "age_range"
    gender = "gender"
    household_size = "household_size"
    vulnerability = "vulnerability"
    arrival_within_months = "arrival_within_months"


class BenefitKind(StrEnum):
    cash = "cash"
    in_kind = "in_kind"
    # Adds to another programme's benefit (the Nordic top-ups to Frontex's uniform cash support).
    top_up = "top_up"


class BenefitUnit(StrEnum):
    person = "person"
    household = "household"


_OWNER = "(programme_id IS NULL) <> (service_id IS NULL)"


class EligibilityRule(Tracked, Base):
    """One condition; a programme or service admits a person when all of its rules match."""

    __tablename__ = "eligibility_rule"
    __table_args__ = (
        CheckConstraint(_OWNER, name="one_owner"),
        CheckConstraint(f"kind IN ({', '.join(repr(k.value) for k in RuleKind)})", name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("programme.id"), default=None, index=True
    )
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service.id"), default=None, index=True)
    kind: Mapped[str] = mapped_column(Text)
    # The kind's parameters only, validated by schemas.RuleIn (e.g. {"minimum": 18, "maximum": 45}).
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # An explanation for counsellors, shown with the reason.
    note: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)

    def snapshot(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "params": self.params,
            "note": self.note,
            "deactivated_at": self.deactivated_at,
        }


class Benefit(Tracked, Base):
    __tablename__ = "benefit"
    __table_args__ = (
        CheckConstraint(_OWNER, name="one_owner"),
        CheckConstraint(f"kind IN ({', '.join(repr(k.value) for k in BenefitKind)})", name="kind"),
        CheckConstraint("per IN ('person', 'household')", name="per"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount"),
        CheckConstraint("amount IS NULL OR currency IS NOT NULL", name="currency"),
        CheckConstraint(
            "kind = 'in_kind' OR (amount IS NOT NULL AND currency IS NOT NULL)", name="cash_amount"
        ),
        CheckConstraint("(kind = 'top_up') = (tops_up_programme_id IS NOT NULL)", name="top_up"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("programme.id"), default=None, index=True
    )
    service_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service.id"), default=None, index=True)
    kind: Mapped[str] = mapped_column(Text)
    description: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    currency: Mapped[str | None] = mapped_column(Text, default=None)
    per: Mapped[str] = mapped_column(Text, default=BenefitUnit.household.value)
    tops_up_programme_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("programme.id"), default=None)
    # Fixed amounts (a statutory grant, Frontex's uniform support) are not adapted to local costs.
    adjust_for_cost_of_living: Mapped[bool] = mapped_column(Boolean, default=True)

    def snapshot(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "description": self.description,
            "amount": self.amount,
            "currency": self.currency,
            "per": self.per,
            "tops_up_programme_id": self.tops_up_programme_id,
            "adjust_for_cost_of_living": self.adjust_for_cost_of_living,
            "deactivated_at": self.deactivated_at,
        }


class CostOfLivingFactor(Base):
    """How much more (or less) life costs in a governorate than the national reference (1.000)."""

    __tablename__ = "cost_of_living_factor"
    __table_args__ = (CheckConstraint("factor > 0 AND factor <= 10", name="factor"),)

    governorate_code: Mapped[str] = mapped_column(Text, primary_key=True)
    factor: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )

    def snapshot(self) -> dict[str, object]:
        return {"factor": self.factor}


class CurrencyRate(Base):
    """Iraqi dinars per unit of a currency, so benefits can be read out in local money."""

    __tablename__ = "currency_rate"
    __table_args__ = (CheckConstraint("iqd_per_unit > 0", name="iqd_per_unit"),)

    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    iqd_per_unit: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    as_of: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )

    def snapshot(self) -> dict[str, object]:
        return {"iqd_per_unit": self.iqd_per_unit, "as_of": self.as_of}
