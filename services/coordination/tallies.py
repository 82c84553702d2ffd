"""Referrals events turned into counts. No id of a case, referral, consent or follow-up is kept.

Each event adds one to the cell of its own kind (sent, accepted, declined by reason, ...), in the
month the event happened (the CloudEvent ``time``, which a replay reproduces). Increments commute,
so order does not matter, and the consumer's inbox makes each event count exactly once. The
funnel is computed from these transition counts; nothing links an ``accepted`` to its ``sent``:
the time to accept comes from the ``sent_at`` that ``referral.accepted`` carries, kept only as a
count in an hour bin.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.models import (
    accept_time_tally,
    cash_overlap_tally,
    followup_programme_tally,
    followup_tally,
    needs_tally,
    people_tally,
    referral_tally,
)
from shared.contracts import referrals as rc
from shared.events import CloudEvent

SCORES = ("economic", "social", "psychosocial")

# Upper edges, in hours, of the time-to-accept bins: bin i holds [edge i-1, edge i); the last bin
# (index len(ACCEPT_HOUR_BINS)) is open-ended. Fine where most answers fall (the first days).
ACCEPT_HOUR_BINS = (1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720)


def hours_bin(hours: float) -> int:
    return bisect.bisect_right(ACCEPT_HOUR_BINS, max(hours, 0.0))


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def event_month(event: CloudEvent) -> date:
    moment = _moment(event.time)
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
        if isinstance(payload, rc.ReferralAccepted) and payload.sent_at:
            hours = (_moment(event.time) - _moment(payload.sent_at)).total_seconds() / 3600
            await _increment(
                session,
                accept_time_tally,
                {
                    "month": month,
                    "governorate": _s(d.governorate_code),
                    "programme": _s(d.programme_id),
                    "funder": funder_key(d.funder_countries),
                    "provider": _s(d.provider_org_id),
                    "return_type": _s(d.return_type),
                    "hours_bin": hours_bin(hours),
                },
                count=1,
            )
        if isinstance(payload, rc.ReferralSent | rc.ReferralAccepted):
            for kind in sorted(set(payload.cash_overlap_kinds)):
                await _increment(
                    session,
                    cash_overlap_tally,
                    {
                        "month": month,
                        "governorate": _s(d.governorate_code),
                        "programme": _s(d.programme_id),
                        "funder": funder_key(d.funder_countries),
                        "kind": kind,
                        "stage": stage,
                    },
                    count=1,
                )
    elif isinstance(payload, rc.CaseOpened):
        await _people(session, month, d, "case_opened")
    elif isinstance(payload, rc.FollowUpRecorded):
        await _follow_up(session, month, d, payload)
    elif isinstance(payload, rc.NeedsAssessed):
        needs = [(dim, "need_assessed") for dim, level in sorted(payload.levels.items()) if level >= 1]
        needs += [(dim, "need_unmet") for dim in sorted(set(payload.unmet_dimensions))]
        for dim, stage in needs:
            await _increment(
                session,
                needs_tally,
                {
                    "month": month,
                    "governorate": _s(d.governorate_code),
                    "return_type": _s(d.return_type),
                    "dimension": dim,
                    "stage": stage,
                },
                count=1,
            )
    # Case transfers/closures/erasures, consent and duplicate flags change no dashboard figure.


async def _follow_up(
    session: AsyncSession, month: date, d: rc.Dimensions, payload: rc.FollowUpRecorded
) -> None:
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
            "bundle": "+".join(sorted(set(payload.taxonomy_term_codes))),
        },
        **measures,
    )
    # Under each programme of the bundle ('' = none yet); events from before bundles were carried
    # name at most the one programme of their dimensions.
    programmes = {str(p) for p in payload.programme_ids} or {_s(d.programme_id)}
    for programme in sorted(programmes):
        await _increment(
            session,
            followup_programme_tally,
            {"month": month, "programme": programme, "timepoint": payload.timepoint},
            **measures,
        )


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
