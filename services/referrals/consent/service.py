"""The consent ledger: append-only records, the state in force derived at any moment.

A grant covers a data category for a recipient when it is in force (recorded, not withdrawn, not
expired), has the referral purpose, names the category, and names the recipient: the
organization itself, or one of the service categories (taxonomy terms) of the target service.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.audit import service as audit
from services.referrals.cases.models import Case
from services.referrals.cases.service import get_case, require_live
from services.referrals.consent import repository
from services.referrals.consent.models import ConsentRecord
from services.referrals.consent.schemas import ConsentGrant, ConsentWithdrawal
from services.referrals.context import Ctx
from services.referrals.events import case_dimensions, publish
from services.referrals.vocabulary import ChildView, LegalBasis
from shared.contracts.referrals import ConsentRecorded, ConsentWithdrawn
from shared.errors import Conflict, InvalidField, NotFound


async def ledger(session: AsyncSession, case_id: uuid.UUID) -> list[ConsentRecord]:
    """The case's whole ledger, oldest first (rights and referrals read it through here)."""
    return await repository.ledger(session, case_id)


def in_force(records: Sequence[ConsentRecord], at: datetime) -> list[ConsentRecord]:
    withdrawn = {r.withdraws_id for r in records if r.action == "withdrawn" and r.recorded_at <= at}
    return [
        r
        for r in records
        if r.action == "granted"
        and r.recorded_at <= at
        and r.id not in withdrawn
        and (r.expires_at is None or r.expires_at > at)
    ]


def grant_covers(
    grant: ConsentRecord, category: str, org_id: uuid.UUID, taxonomy_codes: Iterable[str]
) -> bool:
    return (
        "referral" in grant.purposes
        and category in grant.data_categories
        and (org_id in grant.recipient_org_ids or bool(set(grant.recipient_categories) & set(taxonomy_codes)))
    )


def covered(
    grants: Sequence[ConsentRecord],
    categories: Iterable[str],
    org_id: uuid.UUID,
    taxonomy_codes: Iterable[str],
) -> dict[str, list[uuid.UUID]]:
    """For each category, the grants that cover it for this recipient (empty: not covered)."""
    codes = list(taxonomy_codes)
    return {c: [g.id for g in grants if grant_covers(g, c, org_id, codes)] for c in categories}


async def record_grant(ctx: Ctx, case_id: uuid.UUID, body: ConsentGrant) -> ConsentRecord:
    case = await get_case(ctx, case_id, for_update=True)
    require_live(case)
    if case.is_minor:
        # A parent's consent is not enough for a child: the guardian consents and the child's own
        # view is recorded; a child who disagrees is not overridden by mere consent.
        problems = []
        if body.guardian_consent is not True:
            problems.append(("/guardian_consent", "a minor's consent needs the guardian's consent"))
        if body.child_view is None:
            problems.append(("/child_view", "a minor's own view must be recorded"))
        elif body.child_view == ChildView.disagrees and body.legal_basis != LegalBasis.vital_interest:
            problems.append(("/child_view", "the child disagrees; only a vital interest may override that"))
        if problems:
            raise InvalidField(problems)
    now = ctx.clock.now()
    if body.expires_at is not None and body.expires_at <= now:
        raise InvalidField("/expires_at", "must be in the future")
    record = ConsentRecord(
        id=uuid.uuid4(),
        case_id=case.id,
        action="granted",
        purposes=[str(p) for p in body.purposes],
        data_categories=sorted({str(c) for c in body.data_categories}),
        recipient_org_ids=list(dict.fromkeys(body.recipient_org_ids)),
        recipient_categories=list(dict.fromkeys(body.recipient_categories)),
        legal_basis=str(body.legal_basis),
        obtained_how=str(body.obtained_how),
        information_language=body.information_language,
        information_version=body.information_version,
        guardian_consent=body.guardian_consent,
        child_view=str(body.child_view) if body.child_view else None,
        recorded_by=ctx.actor.username,
        recorded_at=now,
        expires_at=body.expires_at,
    )
    ctx.session.add(record)
    case.consent_revision += 1
    await ctx.session.flush()
    await audit.record(
        ctx.session,
        ctx.actor,
        "consent.recorded",
        now,
        case_id=case.id,
        categories=record.data_categories,
        detail={"consent_id": str(record.id), "purposes": record.purposes, "legal_basis": record.legal_basis},
    )
    await publish(ctx.session, _event(ConsentRecorded, case, record), case.id)
    return record


def _event(cls: type[ConsentRecorded] | type[ConsentWithdrawn], case: Case, record: ConsentRecord):  # type: ignore[no-untyped-def]
    return cls(
        case_id=case.id,
        case_reference=case.reference,
        dimensions=case_dimensions(case),
        consent_id=record.id,
        purposes=record.purposes,
        data_categories=record.data_categories,
        legal_basis=record.legal_basis,
    )


async def withdraw(
    ctx: Ctx, case_id: uuid.UUID, body: ConsentWithdrawal
) -> tuple[ConsentRecord, list[uuid.UUID]]:
    """Withdraw a grant; open referrals it was needed for are revoked in the same transaction."""
    from services.referrals.referrals.service import revoke_uncovered

    case = await get_case(ctx, case_id, for_update=True)
    require_live(case)
    now = ctx.clock.now()
    records = await ledger(ctx.session, case.id)
    grant = next((r for r in records if r.id == body.consent_id and r.action == "granted"), None)
    if grant is None:
        raise NotFound("No such consent grant on this case.")
    if grant not in in_force(records, now):
        raise Conflict("This consent is not in force (already withdrawn or expired).")
    record = ConsentRecord(
        id=uuid.uuid4(),
        case_id=case.id,
        action="withdrawn",
        withdraws_id=grant.id,
        purposes=grant.purposes,
        data_categories=grant.data_categories,
        recipient_org_ids=grant.recipient_org_ids,
        recipient_categories=grant.recipient_categories,
        legal_basis=grant.legal_basis,
        obtained_how=str(body.obtained_how),
        recorded_by=ctx.actor.username,
        recorded_at=now,
    )
    ctx.session.add(record)
    case.consent_revision += 1
    await ctx.session.flush()
    await audit.record(
        ctx.session,
        ctx.actor,
        "consent.withdrawn",
        now,
        case_id=case.id,
        categories=grant.data_categories,
        detail={"consent_id": str(grant.id), "withdrawal_id": str(record.id)},
    )
    await publish(ctx.session, _event(ConsentWithdrawn, case, record), case.id)
    revoked = await revoke_uncovered(ctx, case, in_force([*records, record], now))
    return record, revoked


async def state_at(ctx: Ctx, case_id: uuid.UUID, at: datetime | None) -> tuple[datetime, list[ConsentRecord]]:
    case = await get_case(ctx, case_id)
    when = at or ctx.clock.now()
    return when, in_force(await ledger(ctx.session, case.id), when)


async def history(ctx: Ctx, case_id: uuid.UUID) -> list[ConsentRecord]:
    case = await get_case(ctx, case_id)
    return await ledger(ctx.session, case.id)
