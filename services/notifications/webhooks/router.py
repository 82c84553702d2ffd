"""Webhook endpoint routes for an organization's ``provider_admin``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from services.notifications.directory.users import remember_caller
from services.notifications.permissions import WEBHOOK_ADMIN
from services.notifications.webhooks import service
from services.notifications.webhooks.schemas import (
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    RotateIn,
    SecretRotated,
)
from shared.auth import Principal, authenticated_router, require_roles
from shared.db import SessionDep

router = authenticated_router(tags=["webhooks"], prefix="/webhooks", dependencies=[remember_caller])
Session = SessionDep
Admin = Annotated[Principal, Depends(require_roles(*WEBHOOK_ADMIN))]


@router.post(
    "", status_code=201, response_model=EndpointCreated, summary="Register an endpoint (secret shown once)"
)
async def create(body: EndpointIn, request: Request, principal: Admin, session: Session) -> dict[str, Any]:
    return await service.create(session, request.app.state.settings, principal, body)


@router.get("", response_model=list[EndpointOut])
async def list_endpoints(principal: Admin, session: Session) -> list[dict[str, Any]]:
    return await service.list_own(session, principal)


@router.get("/{endpoint_id}", response_model=EndpointOut)
async def get_endpoint(endpoint_id: uuid.UUID, principal: Admin, session: Session) -> dict[str, Any]:
    return service.endpoint_out(await service.get_own(session, principal, endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointOut)
async def update(
    endpoint_id: uuid.UUID, body: EndpointPatch, request: Request, principal: Admin, session: Session
) -> dict[str, Any]:
    return await service.update(session, request.app.state.settings, principal, endpoint_id, body)


@router.post(
    "/{endpoint_id}/secret/rotate",
    response_model=SecretRotated,
    summary="Rotate the signing secret (new secret shown once; the old one also signs for a grace period)",
)
async def rotate_secret(
    endpoint_id: uuid.UUID,
    request: Request,
    principal: Admin,
    session: Session,
    body: RotateIn | None = None,
) -> dict[str, Any]:
    return await service.rotate_secret(
        session,
        request.app.state.settings,
        principal,
        endpoint_id,
        body or RotateIn(),
        request.app.state.clock.now(),
    )


@router.delete("/{endpoint_id}", status_code=204, response_class=Response)
async def delete(endpoint_id: uuid.UUID, principal: Admin, session: Session) -> Response:
    await service.delete(session, principal, endpoint_id)
    return Response(status_code=204)


@router.get(
    "/{endpoint_id}/deliveries", response_model=list[DeliveryOut], summary="Delivery log, newest first"
)
async def deliveries(endpoint_id: uuid.UUID, principal: Admin, session: Session) -> list[dict[str, Any]]:
    return await service.deliveries(session, principal, endpoint_id)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_class=Response,
    summary="Send a delivery again (a new 24-hour retry window)",
)
async def redeliver(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, request: Request, principal: Admin, session: Session
) -> Response:
    await service.redeliver(
        session,
        request.app.state.settings,
        principal,
        endpoint_id,
        delivery_id,
        request.app.state.clock.now(),
    )
    request.app.state.workers_wake()
    return Response(status_code=202)
