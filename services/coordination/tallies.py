"""Referrals events turned into counts. No id of a case, referral, consent or follow-up is kept.

Each event adds one to the cell of its own kind (sent, accepted, declined by reason, ...), in the
month the event happened (the CloudEvent ``time``, which a replay reproduces). Increments commute,
so order does not matter, and the consumer's inbox makes each event count exactly once. The
funnel is computed from these transition counts; nothing links an ``accepted`` to its ``sent``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.models import followup_tally, people_tally, referral_tally
from shared.contracts import referrals as rc
from shared.events import CloudEvent

SCORES = ("economic", "social", "psychosocial")


def event_month(event: CloudEvent) -> date:
    moment = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
    return date(moment.year, moment.month, 1)


def funder_key(countries: list[str]) -> str:
    """The funders of a referral as one value ('NO+SE'), so the funder dimension stays additive."""
    return "+".join(sorted(set(countries)))


def _s(value: object) -> str:
    return "" if value is None else str(value)


async def _increment(session: AsyncSession, table: sa.Table, key: dict[str, Any], **measures: Any) -> None:
    stmt = insert(table).values(**key, **measures)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={m: table.c[m] + stmt.excluded[m] for m in measures},
        )
    )


def _reason(payload: rc.ReferralEvent) -> str:
    for attr in ("reason", "outcome", "reminder"):
        value = getattr(payload, attr, None)
        if value:
            return str(value)
    return ""


async def apply_referrals_event(session: AsyncSession, event: CloudEvent) -> None:
    payload = event.payload()
    if payload is None:
        return
    month = event_month(event)
    d = payload.dimensions if isinstance(payload, rc.ReferralsEvent) else None
    if d is None:
        return
    if isinstance(payload, rc.ReferralEvent):
        if isinstance(payload, rc.ReferralFeedbackRecorded):
            return  # returnee feedback is not on any coordination dashboard (yet)
        stage = type(payload).verb
        await _increment(
            session,
            referral_tally,
            {
                "month": month,
                "governorate": _s(d.governorate_code),
                "term": _s(d.taxonomy_term_code),
                "programme": _s(d.programme_id),
                "funder": funder_key(d.funder_countries),
                "provider": _s(d.provider_org_id),
                "return_type": _s(d.return_type),
                "stage": stage,
                "reason": _reason(payload),
            },
            count=1,
        )
        if isinstance(payload, rc.ReferralSent):
            await _people(session, month, d, "sent")
    elif isinstance(payload, rc.CaseOpened):
        await _people(session, month, d, "case_opened")
    elif isinstance(payload, rc.FollowUpRecorded):
        measures: dict[str, Any] = {"count": 1}
        for dim in SCORES:
            score = getattr(payload, dim)
            measures[f"{dim}_n"] = 0 if score is None else 1
            measures[f"{dim}_sum"] = 0.0 if score is None else float(score)
        await _increment(
            session,
            followup_tally,
            {
                "month": month,
                "governorate": _s(d.governorate_code),
                "programme": _s(d.programme_id),
                "return_type": _s(d.return_type),
                "timepoint": payload.timepoint,
            },
            **measures,
        )
    # Case transfers/closures/erasures, consent and duplicate flags change no dashboard figure.


async def _people(session: AsyncSession, month: date, d: rc.Dimensions, stage: str) -> None:
    await _increment(
        session,
        people_tally,
        {
            "month": month,
            "governorate": _s(d.governorate_code),
            "programme": _s(d.programme_id),
            "funder": funder_key(d.funder_countries),
            "return_type": _s(d.return_type),
            "gender": _s(d.gender),
            "age_band": _s(d.age_band),
            "stage": stage,
        },
        count=1,
    )
