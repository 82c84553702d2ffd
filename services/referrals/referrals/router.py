"""HTTP for referrals: create from a case, list, read (projected for providers), transitions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from services.referrals.context import CtxDep
from services.referrals.idempotency import run_idempotent
from services.referrals.permissions import CASE_WORK, PROVIDER_WORK, REFERRAL_READ
from services.referrals.referrals import service
from services.referrals.referrals.schemas import (
    CloseBody,
    CompleteBody,
    DeclineBody,
    FeedbackBody,
    ReferralCreate,
    ReferralOut,
    RevokeBody,
)
from shared.auth import authenticated_router, require_roles

router = authenticated_router(tags=["referrals"])
IfMatch = Annotated[str | None, Header(description="The referral's ETag; a stale one is a 412.")]


@router.post(
    "/cases/{case_id}/referrals",
    status_code=201,
    response_model=ReferralOut,
    dependencies=[Depends(require_roles(*CASE_WORK))],
    summary="Refer the case to a service (validated, consent-checked)",
)
async def create(case_id: uuid.UUID, body: ReferralCreate, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> ReferralOut:
        ref, case, warnings = await service.create(ctx, case_id, body)
        return await service.to_out(ctx, ref, case, "sender", warnings)

    return await run_idempotent(request, ctx, produce)


@router.get(
    "/referrals",
    response_model=list[ReferralOut],
    dependencies=[Depends(require_roles(*REFERRAL_READ))],
    summary="Referrals of your cases (counsellor) or addressed to your organization (provider)",
)
async def list_referrals(
    ctx: CtxDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    # PostgreSQL's OFFSET is a bigint: a larger one would be a 500, not a 422.
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> list[ReferralOut]:
    out = []
    for ref, case in await service.list_visible(ctx, status, limit, offset):
        party = "sender" if ctx.actor.has_role(*CASE_WORK) else "provider"
        item = await service.to_out(ctx, ref, case, party)
        item.suggestions = []
        out.append(item)
    return out


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralOut,
    dependencies=[Depends(require_roles(*REFERRAL_READ))],
    summary="A referral; a provider sees the consented categories of the case and nothing else",
)
async def get_referral(referral_id: uuid.UUID, ctx: CtxDep) -> Response:
    ref, case, party = await service.get_visible(ctx, referral_id)
    out = await service.to_out(ctx, ref, case, party)
    if party == "provider":
        out.case = await service.provider_projection(ctx, ref, case)
    body = out.model_dump(mode="json")
    if out.case is None:
        body.pop("case")
    return JSONResponse(body, headers={"ETag": f'"{ref.version}"'})


async def _transition(
    request: Request, ctx: CtxDep, referral_id: uuid.UUID, action: str, if_match: str | None, **data: object
) -> Response:
    async def produce() -> ReferralOut:
        ref, case = await service.transition(ctx, referral_id, action, if_match, **data)
        party = "sender" if ctx.actor.has_role(*CASE_WORK) else "provider"
        return await service.to_out(ctx, ref, case, party)

    return await run_idempotent(request, ctx, produce, status_code=200)


_provider = [Depends(require_roles(*PROVIDER_WORK))]
_sender = [Depends(require_roles(*CASE_WORK))]


@router.post("/referrals/{referral_id}/send", response_model=ReferralOut, dependencies=_sender)
async def send(referral_id: uuid.UUID, request: Request, ctx: CtxDep, if_match: IfMatch = None) -> Response:
    return await _transition(request, ctx, referral_id, "send", if_match)


@router.post("/referrals/{referral_id}/accept", response_model=ReferralOut, dependencies=_provider)
async def accept(referral_id: uuid.UUID, request: Request, ctx: CtxDep, if_match: IfMatch = None) -> Response:
    return await _transition(request, ctx, referral_id, "accept", if_match)


@router.post(
    "/referrals/{referral_id}/decline",
    response_model=ReferralOut,
    dependencies=_provider,
    summary="Decline (the sender then sees suggestions of other eligible services)",
)
async def decline(
    referral_id: uuid.UUID, body: DeclineBody, request: Request, ctx: CtxDep, if_match: IfMatch = None
) -> Response:
    return await _transition(
        request, ctx, referral_id, "decline", if_match, reason=body.reason, reason_text=body.reason_text
    )


@router.post("/referrals/{referral_id}/start", response_model=ReferralOut, dependencies=_provider)
async def start(referral_id: uuid.UUID, request: Request, ctx: CtxDep, if_match: IfMatch = None) -> Response:
    return await _transition(request, ctx, referral_id, "start", if_match)


@router.post("/referrals/{referral_id}/complete", response_model=ReferralOut, dependencies=_provider)
async def complete(
    referral_id: uuid.UUID, body: CompleteBody, request: Request, ctx: CtxDep, if_match: IfMatch = None
) -> Response:
    return await _transition(request, ctx, referral_id, "complete", if_match, outcome=body.outcome)


@router.post("/referrals/{referral_id}/close", response_model=ReferralOut, dependencies=_provider)
async def close(
    referral_id: uuid.UUID, body: CloseBody, request: Request, ctx: CtxDep, if_match: IfMatch = None
) -> Response:
    return await _transition(request, ctx, referral_id, "close", if_match, reason=body.reason)


@router.post("/referrals/{referral_id}/revoke", response_model=ReferralOut, dependencies=_sender)
async def revoke(
    referral_id: uuid.UUID,
    request: Request,
    ctx: CtxDep,
    body: RevokeBody | None = None,
    if_match: IfMatch = None,
) -> Response:
    reason = (body or RevokeBody()).reason
    return await _transition(request, ctx, referral_id, "revoke", if_match, reason=reason)


@router.post("/referrals/{referral_id}/feedback", response_model=ReferralOut, dependencies=_sender)
async def feedback(referral_id: uuid.UUID, body: FeedbackBody, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> ReferralOut:
        ref, case = await service.record_feedback(
            ctx, referral_id, body.delivered, body.quality, body.wait_days
        )
        return await service.to_out(ctx, ref, case, "sender")

    return await run_idempotent(request, ctx, produce, status_code=200)
