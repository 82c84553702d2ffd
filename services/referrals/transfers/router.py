"""HTTP for case transfers between organizations."""

from __future__ import annotations

import uuid

from fastapi import Depends, Request
from fastapi.responses import Response

from services.referrals.context import CtxDep
from services.referrals.idempotency import run_idempotent
from services.referrals.permissions import CASE_HOLDERS
from services.referrals.transfers import service
from services.referrals.transfers.models import CaseTransfer
from services.referrals.transfers.schemas import TransferOut, TransferRequest
from shared.auth import authenticated_router, require_roles

router = authenticated_router(tags=["transfers"], dependencies=[Depends(require_roles(*CASE_HOLDERS))])


def out(t: CaseTransfer) -> TransferOut:
    return TransferOut.model_validate(t, from_attributes=True)


@router.post("/cases/{case_id}/transfers", status_code=201, response_model=TransferOut)
async def request_transfer(
    case_id: uuid.UUID, body: TransferRequest, request: Request, ctx: CtxDep
) -> Response:
    async def produce() -> TransferOut:
        return out(await service.request(ctx, case_id, body.to_org_id))

    return await run_idempotent(request, ctx, produce)


@router.get("/transfers", response_model=list[TransferOut], summary="Transfers to or from your organization")
async def list_transfers(ctx: CtxDep) -> list[TransferOut]:
    return [out(t) for t in await service.incoming(ctx)]


@router.post("/transfers/{transfer_id}/accept", response_model=TransferOut)
async def accept(transfer_id: uuid.UUID, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> TransferOut:
        return out(await service.decide(ctx, transfer_id, True))

    return await run_idempotent(request, ctx, produce, status_code=200)


@router.post("/transfers/{transfer_id}/decline", response_model=TransferOut)
async def decline(transfer_id: uuid.UUID, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> TransferOut:
        return out(await service.decide(ctx, transfer_id, False))

    return await run_idempotent(request, ctx, produce, status_code=200)
