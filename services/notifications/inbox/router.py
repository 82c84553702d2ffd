"""Inbox HTTP routes: ``/v1/inbox`` is the caller's; ``/v1/users/{subject}/inbox`` is 404 for anyone else."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.notifications.directory.users import remember_caller
from services.notifications.inbox import service
from services.notifications.inbox.live import LiveHub
from services.notifications.inbox.schemas import InboxItemOut, InboxPage, MarkedRead, UnreadCount
from shared.auth import CurrentPrincipal, authenticated_router
from shared.db import SessionDep

router = authenticated_router(tags=["inbox"], dependencies=[remember_caller])
Session = SessionDep


@router.get("/inbox", response_model=InboxPage, summary="The caller's inbox, newest first")
async def list_inbox(
    principal: CurrentPrincipal,
    session: Session,
    unread: Annotated[bool, Query(description="Only unread items.")] = False,
    kind: Annotated[list[str] | None, Query(description="Only these kinds, e.g. referral.sent.")] = None,
    referral_id: uuid.UUID | None = None,
    before: Annotated[datetime | None, Query(description="Only items older than this (paging).")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    reader = await service.reader_for(session, principal)
    return await service.list_items(
        session, reader, unread_only=unread, kinds=kind, referral_id=referral_id, before=before, limit=limit
    )


@router.get("/users/{subject}/inbox", response_model=InboxPage, summary="A user's inbox (only one's own)")
async def list_user_inbox(subject: str, principal: CurrentPrincipal, session: Session) -> dict[str, Any]:
    reader = await service.reader_for(session, principal, owner=subject)
    return await service.list_items(session, reader)


@router.get("/inbox/unread-count", response_model=UnreadCount)
async def unread_count(principal: CurrentPrincipal, session: Session) -> dict[str, int]:
    reader = await service.reader_for(session, principal)
    return {"unread": await service.unread(session, reader)}


@router.post("/inbox/read-all", response_model=MarkedRead, summary="Mark every visible item read")
async def read_all(principal: CurrentPrincipal, session: Session) -> dict[str, int]:
    reader = await service.reader_for(session, principal)
    return {"marked": await service.mark_all_read(session, reader)}


@router.get(
    "/inbox/stream",
    summary="Live inbox (Server-Sent Events)",
    description=(
        "Sends `ready` with the unread count once subscribed, then one `inbox_item` event per new item "
        "addressed to the caller, as JSON. Comments keep the connection alive."
    ),
    response_class=EventSourceResponse,
)
async def stream(request: Request, principal: CurrentPrincipal, session: Session) -> EventSourceResponse:
    reader = await service.reader_for(session, principal)
    unread = await service.unread(session, reader)
    # The request's unit of work ends here; the stream needs no session.
    await session.commit()
    hub: LiveHub = request.app.state.live
    sub = reader.subscription()
    hub.subscribe(sub)

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent(data=json.dumps({"unread": unread}), event="ready")
            while True:
                try:
                    item = await asyncio.wait_for(sub.queue.get(), timeout=1.0)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    continue
                yield ServerSentEvent(data=json.dumps(item), event="inbox_item", id=str(item["id"]))
        finally:
            hub.unsubscribe(sub)

    return EventSourceResponse(events(), ping=15)


@router.get("/inbox/{item_id}", response_model=InboxItemOut)
async def get_item(item_id: uuid.UUID, principal: CurrentPrincipal, session: Session) -> dict[str, Any]:
    reader = await service.reader_for(session, principal)
    return await service.get_item(session, reader, item_id)


@router.post("/inbox/{item_id}/read", status_code=204, response_class=Response)
async def read_one(item_id: uuid.UUID, principal: CurrentPrincipal, session: Session) -> Response:
    reader = await service.reader_for(session, principal)
    await service.mark_read(session, reader, item_id)
    return Response(status_code=204)
