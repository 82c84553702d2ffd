"""HTTP for the consent ledger of a case."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from services.referrals.consent import service
from services.referrals.consent.models import ConsentRecord
from services.referrals.consent.schemas import (
    ConsentGrant,
    ConsentRecordOut,
    ConsentState,
    ConsentWithdrawal,
    WithdrawalOut,
)
from services.referrals.context import CtxDep
from services.referrals.idempotency import run_idempotent
from services.referrals.permissions import CASE_HOLDERS
from shared.auth import authenticated_router, require_roles

router = authenticated_router(
    prefix="/cases/{case_id}/consent", tags=["consent"], dependencies=[Depends(require_roles(*CASE_HOLDERS))]
)


def record_out(record: ConsentRecord) -> ConsentRecordOut:
    return ConsentRecordOut.model_validate(record, from_attributes=True)


@router.post("", status_code=201, response_model=ConsentRecordOut, summary="Record a consent grant")
async def grant(case_id: uuid.UUID, body: ConsentGrant, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> ConsentRecordOut:
        return record_out(await service.record_grant(ctx, case_id, body))

    return await run_idempotent(request, ctx, produce)


@router.post(
    "/withdrawals",
    status_code=201,
    response_model=WithdrawalOut,
    summary="Withdraw a grant; dependent open referrals are revoked at once",
)
async def withdraw(case_id: uuid.UUID, body: ConsentWithdrawal, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> WithdrawalOut:
        record, revoked = await service.withdraw(ctx, case_id, body)
        return WithdrawalOut(record=record_out(record), revoked_referral_ids=revoked)

    return await run_idempotent(request, ctx, produce)


@router.get("", response_model=ConsentState, summary="The consent in force now, or at any past moment")
async def state(
    case_id: uuid.UUID, ctx: CtxDep, at: Annotated[datetime | None, Query()] = None
) -> ConsentState:
    when, records = await service.state_at(ctx, case_id, at)
    return ConsentState(case_id=case_id, at=when, active=[record_out(r) for r in records])


@router.get("/history", response_model=list[ConsentRecordOut], summary="Every consent record, in order")
async def history(case_id: uuid.UUID, ctx: CtxDep) -> list[ConsentRecordOut]:
    return [record_out(r) for r in await service.history(ctx, case_id)]
