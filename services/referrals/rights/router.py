"""HTTP for the data protection officer: access reports, erasure, the audit chain; key rotation."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from services.referrals.audit.verify import verify_chain
from services.referrals.context import CtxDep
from services.referrals.idempotency import run_idempotent
from services.referrals.permissions import DPO, KEY_ADMIN
from services.referrals.rights import service
from shared.auth import authenticated_router, require_roles

router = authenticated_router(tags=["rights"])
_dpo = [Depends(require_roles(*DPO))]


@router.get(
    "/rights/cases/{case_id}/access-report",
    dependencies=_dpo,
    summary="Subject access report: all data held on the person and everyone who saw it",
)
async def access_report(case_id: uuid.UUID, ctx: CtxDep) -> JSONResponse:
    return JSONResponse(jsonable_encoder(await service.access_report(ctx, case_id)))


@router.post(
    "/rights/cases/{case_id}/erasure", dependencies=_dpo, summary="Erase the person's data (crypto-shredding)"
)
async def erase(case_id: uuid.UUID, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> dict[str, Any]:
        case = await service.erase(ctx, case_id)
        return {
            "case_id": case.id,
            "reference": case.reference,
            "status": case.status,
            "erased_at": case.erased_at,
        }

    return await run_idempotent(request, ctx, produce, status_code=200)


@router.get("/audit/verify", dependencies=_dpo, summary="Verify the audit hash chain")
async def verify(request: Request) -> dict[str, Any]:
    report = await verify_chain(request.app.state.settings.database_url)
    return {
        "ok": report.ok,
        "verified": report.verified,
        "broken_seq": report.broken_seq,
        "reason": report.reason,
    }


@router.post(
    "/keys/rotate",
    dependencies=[Depends(require_roles(*KEY_ADMIN))],
    summary="Re-wrap every case data key under the current master key",
)
async def rotate(ctx: CtxDep) -> dict[str, Any]:
    return await service.rotate_keys(ctx)
