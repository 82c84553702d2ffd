"""HTTP for cases and their personal data."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response

from services.referrals.cases import service
from services.referrals.cases.models import Case
from services.referrals.cases.schemas import CaseCreate, CaseOut, CaseUpdate, PersonalData
from services.referrals.context import CtxDep
from services.referrals.idempotency import run_idempotent
from services.referrals.permissions import CASE_HOLDERS
from shared.auth import authenticated_router, require_roles

router = authenticated_router(
    prefix="/cases", tags=["cases"], dependencies=[Depends(require_roles(*CASE_HOLDERS))]
)


def case_out(case: Case) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)


@router.post("", status_code=201, response_model=CaseOut, summary="Open a case (personal data is encrypted)")
async def open_case(body: CaseCreate, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> CaseOut:
        return case_out(await service.open_case(ctx, body))

    return await run_idempotent(request, ctx, produce)


@router.get("", response_model=list[CaseOut], summary="Cases of your organization")
async def list_cases(
    ctx: CtxDep,
    status: Annotated[str | None, Query(pattern="^(open|closed|erased)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    # PostgreSQL's OFFSET is a bigint: a larger one would be a 500, not a 422.
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> list[CaseOut]:
    return [case_out(c) for c in await service.list_cases(ctx, status, limit, offset)]


@router.get("/{case_id}", response_model=CaseOut, summary="A case's non-personal attributes")
async def get_case(case_id: uuid.UUID, ctx: CtxDep, response: Response) -> CaseOut:
    case = await service.get_case(ctx, case_id)
    response.headers["ETag"] = f'"{case.version}"'
    return case_out(case)


@router.patch("/{case_id}", response_model=CaseOut, summary="Change non-personal attributes (If-Match)")
async def update_case(
    case_id: uuid.UUID,
    body: CaseUpdate,
    ctx: CtxDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> CaseOut:
    case = await service.update_case(ctx, case_id, body, if_match)
    response.headers["ETag"] = f'"{case.version}"'
    return case_out(case)


@router.get("/{case_id}/personal-data", summary="Read the personal data (audited, with a purpose)")
async def read_personal(
    case_id: uuid.UUID,
    ctx: CtxDep,
    purpose: Annotated[str, Query(pattern="^[a-z_]{3,40}$")] = "case_management",
) -> dict[str, Any]:
    return await service.read_personal(ctx, case_id, purpose)


@router.put("/{case_id}/personal-data", response_model=CaseOut, summary="Replace the personal data")
async def replace_personal(case_id: uuid.UUID, body: PersonalData, ctx: CtxDep) -> CaseOut:
    return case_out(await service.replace_personal(ctx, case_id, body))


@router.post("/{case_id}/close", response_model=CaseOut, summary="Close a case")
async def close_case(case_id: uuid.UUID, request: Request, ctx: CtxDep) -> Response:
    async def produce() -> CaseOut:
        return case_out(await service.close_case(ctx, case_id))

    return await run_idempotent(request, ctx, produce, status_code=200)
