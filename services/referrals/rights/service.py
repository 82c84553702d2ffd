"""Data subject rights: the access report (everything held, and everyone who saw it), and erasure."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from services.referrals.audit import service as audit
from services.referrals.cases.models import Case
from services.referrals.consent.service import ledger
from services.referrals.context import Ctx
from services.referrals.duplicates.models import DuplicateFlag, IdentityHash
from services.referrals.events import case_dimensions, publish
from services.referrals.followups.models import FollowUp
from services.referrals.permissions import DPO, KEY_ADMIN, require
from services.referrals.personal_data.crypto import KeyUnavailable
from services.referrals.referrals import service as referrals
from services.referrals.referrals.models import Referral
from services.referrals.referrals.transitions import OPEN_STATES
from services.referrals.transfers.models import CaseTransfer
from shared.contracts.referrals import CaseErased
from shared.errors import Conflict, NotFound


def _row(obj: Any, *exclude: str) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in sa.inspect(obj).mapper.column_attrs if c.key not in exclude}


async def _case(ctx: Ctx, case_id: uuid.UUID) -> Case:
    require(ctx.actor, DPO)
    case = await ctx.session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise NotFound("No such case.")
    return case


async def access_report(ctx: Ctx, case_id: uuid.UUID) -> dict[str, Any]:
    case = await _case(ctx, case_id)
    personal: dict[str, Any] = {}
    if case.status != "erased":
        personal = await ctx.vault.read(ctx.session, case.id)
    refs = list(
        (
            await ctx.session.execute(
                sa.select(Referral).where(Referral.case_id == case.id).order_by(Referral.created_at)
            )
        ).scalars()
    )
    ref_rows = []
    for ref in refs:
        row = _row(ref, "sealed_notes")
        if ref.sealed_notes is not None and case.status != "erased":
            try:
                row["notes"] = await ctx.vault.open_json(
                    ctx.session, case.id, f"referral:{ref.id}", ref.sealed_notes
                )
            except KeyUnavailable:
                row["notes"] = None
        ref_rows.append(row)
    followups = []
    for f in (await ctx.session.execute(sa.select(FollowUp).where(FollowUp.case_id == case.id))).scalars():
        row = _row(f, "sealed_answers")
        if f.sealed_answers is not None and case.status != "erased":
            row["answers"] = await ctx.vault.open_json(ctx.session, case.id, "follow_up", f.sealed_answers)
        followups.append(row)
    transfers = (
        await ctx.session.execute(sa.select(CaseTransfer).where(CaseTransfer.case_id == case.id))
    ).scalars()
    flags = (
        await ctx.session.execute(
            sa.select(DuplicateFlag).where(
                sa.or_(DuplicateFlag.case_a_id == case.id, DuplicateFlag.case_b_id == case.id)
            )
        )
    ).scalars()
    entries = await audit.entries_for_case(ctx.session, case.id)
    report = {
        "case": _row(case),
        "personal_data": personal,
        "consent": [_row(r) for r in await ledger(ctx.session, case.id)],
        "referrals": ref_rows,
        "follow_ups": followups,
        "transfers": [_row(t) for t in transfers],
        "duplicate_flags": [_row(f) for f in flags],
        "audit": [_row(e, "prev_hash", "hash") for e in entries],
        "accessed_by": [
            {
                "who": e.actor_username,
                "org_id": e.actor_org_id,
                "at": e.at,
                "categories": e.categories,
                "why": e.purpose,
            }
            for e in entries
            if e.action == "personal_data.read"
        ],
    }
    await audit.record(
        ctx.session,
        ctx.actor,
        "personal_data.read",
        ctx.clock.now(),
        case_id=case.id,
        categories=sorted(personal),
        purpose="subject_access_report",
    )
    return report


async def erase(ctx: Ctx, case_id: uuid.UUID) -> Case:
    """Crypto-shred: destroy the key, drop ciphertexts and hashes, revoke open referrals; keep a tombstone."""
    case = await _case(ctx, case_id)
    if case.status == "erased":
        raise Conflict("This case is already erased.")
    now = ctx.clock.now()
    open_refs = (
        await ctx.session.execute(
            sa.select(Referral)
            .where(Referral.case_id == case.id, Referral.status.in_(OPEN_STATES))
            .with_for_update()
        )
    ).scalars()
    for ref in list(open_refs):
        await referrals.apply(ctx, case, ref, "revoke", reason="case_erased")
    await ctx.vault.destroy(ctx.session, case.id, now)
    await ctx.session.execute(
        sa.update(Referral).where(Referral.case_id == case.id).values(sealed_notes=None)
    )
    await ctx.session.execute(
        sa.update(FollowUp).where(FollowUp.case_id == case.id).values(sealed_answers=None)
    )
    await ctx.session.execute(sa.delete(IdentityHash).where(IdentityHash.case_id == case.id))
    case.status, case.erased_at, case.erased_by = "erased", now, ctx.actor.username
    case.version += 1
    case.updated_at = now
    await audit.record(ctx.session, ctx.actor, "case.erased", now, case_id=case.id)
    await publish(ctx.session, CaseErased(case_id=case.id, dimensions=case_dimensions(case)), case.id)
    return case


async def rotate_keys(ctx: Ctx) -> dict[str, Any]:
    """``POST /v1/keys/rotate``: a platform admin re-wraps every data key under the current master key."""
    require(ctx.actor, KEY_ADMIN)
    return await rewrap_data_keys(ctx)


async def rewrap_data_keys(ctx: Ctx) -> dict[str, Any]:
    """Re-wrap every data key under the current master key; the audit chain records who and how many.

    Callers decide who may: the endpoint above checks the caller's role, the operator's command
    (``python -m services.referrals.personal_data.rotate``) runs as its own system principal.
    """
    counts = await ctx.vault.rotate(ctx.session)
    current = ctx.vault.master.current_id
    await audit.record(
        ctx.session,
        ctx.actor,
        "keys.rotated",
        ctx.clock.now(),
        detail={"master_key_id": current, "rewrapped": sum(counts.values()), "from_key_ids": counts},
    )
    return {"master_key_id": current, "rewrapped": sum(counts.values())}
