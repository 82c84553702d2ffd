"""Case transfers between organizations: requested by the owner, accepted or declined by the receiver."""

from __future__ import annotations

import uuid

from services.referrals.audit import service as audit
from services.referrals.cases import repository as cases
from services.referrals.cases.service import get_case, require_live
from services.referrals.context import Ctx
from services.referrals.events import case_dimensions, publish
from services.referrals.permissions import CASE_HOLDERS, CASE_WORK, require
from services.referrals.replica import repository as replica
from services.referrals.transfers import repository
from services.referrals.transfers.models import CaseTransfer
from shared.contracts.referrals import CaseTransferred
from shared.errors import Conflict, InvalidField, NotFound


async def request(ctx: Ctx, case_id: uuid.UUID, to_org_id: uuid.UUID) -> CaseTransfer:
    case = await get_case(ctx, case_id, for_update=True)
    require_live(case)
    org = await replica.organization(ctx.session, to_org_id)
    if org is None or not org.active:
        raise InvalidField("/to_org_id", "no such active organization in the directory")
    if to_org_id == case.owner_org_id:
        raise InvalidField("/to_org_id", "the case already belongs to this organization")
    if await repository.pending(ctx.session, case.id):
        raise Conflict("A transfer of this case is already pending.")
    now = ctx.clock.now()
    transfer = CaseTransfer(
        id=uuid.uuid4(),
        case_id=case.id,
        from_org_id=case.owner_org_id,
        to_org_id=to_org_id,
        status="requested",
        requested_by=ctx.actor.username,
        created_at=now,
    )
    ctx.session.add(transfer)
    await ctx.session.flush()
    await audit.record(
        ctx.session,
        ctx.actor,
        "transfer.requested",
        now,
        case_id=case.id,
        detail={"transfer_id": str(transfer.id), "to_org_id": str(to_org_id)},
    )
    return transfer


async def incoming(ctx: Ctx) -> list[CaseTransfer]:
    require(ctx.actor, CASE_HOLDERS)
    return await repository.of_org(ctx.session, ctx.actor.org_id)


async def decide(ctx: Ctx, transfer_id: uuid.UUID, accept: bool) -> CaseTransfer:
    require(ctx.actor, CASE_WORK)
    transfer = await repository.get_for_update(ctx.session, transfer_id)
    if transfer is None or transfer.to_org_id != ctx.actor.org_id:
        raise NotFound("No such transfer addressed to your organization.")
    if transfer.status != "requested":
        raise Conflict(f"This transfer was already {transfer.status}.")
    case = await cases.get_one(ctx.session, transfer.case_id, for_update=True)
    require_live(case)
    now = ctx.clock.now()
    transfer.status = "accepted" if accept else "declined"
    transfer.decided_by, transfer.decided_at = ctx.actor.username, now
    if accept:
        case.owner_org_id = transfer.to_org_id
        case.counsellor_subject, case.counsellor_username = ctx.actor.subject, ctx.actor.username
        case.version += 1
        case.updated_at = now
        await publish(
            ctx.session,
            CaseTransferred(
                case_id=case.id,
                dimensions=case_dimensions(case),
                from_org_id=transfer.from_org_id,
                to_org_id=transfer.to_org_id,
            ),
            case.id,
        )
    await audit.record(
        ctx.session,
        ctx.actor,
        f"transfer.{transfer.status}",
        now,
        case_id=case.id,
        detail={"transfer_id": str(transfer.id), "from_org_id": str(transfer.from_org_id)},
    )
    return transfer
