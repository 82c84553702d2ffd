"""``Idempotency-Key`` on POSTs: a retried request gets the stored answer and creates nothing new.

The key is scoped to the caller. The first request inserts the key row inside its own unit of
work; a concurrent duplicate blocks on that row's unique index until the first commits, then finds
the stored answer. The same key with a different request (method, path or body) is refused (422).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.context import Ctx
from services.referrals.db import Base
from shared.db import utcnow
from shared.errors import InvalidField, ProblemError


class IdempotentRequest(Base):
    __tablename__ = "idempotent_request"

    principal: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.Text)
    status_code: Mapped[int | None]
    body: Mapped[Any] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class IdempotencyKeyReused(ProblemError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused with a different request"


def _jsonable(answer: BaseModel | dict[str, Any]) -> Any:
    # pydantic's own JSON mode is several times faster than FastAPI's generic encoder.
    return answer.model_dump(mode="json") if isinstance(answer, BaseModel) else jsonable_encoder(answer)


async def run_idempotent(
    request: Request,
    ctx: Ctx,
    produce: Callable[[], Awaitable[BaseModel | dict[str, Any]]],
    status_code: int = 201,
) -> Response:
    key = request.headers.get("idempotency-key")
    if key is None:
        answer = await produce()
        if isinstance(answer, BaseModel):
            # Serialised by pydantic straight to bytes: no dict, no second encoder.
            return Response(answer.model_dump_json(), status_code=status_code, media_type="application/json")
        return JSONResponse(jsonable_encoder(answer), status_code=status_code)
    if not key.strip() or len(key) > 255:
        raise InvalidField("#header/Idempotency-Key", "must be 1 to 255 characters")
    # Only a request with a key opens the session here: its key row and its effects commit together.
    session, principal = ctx.session, ctx.actor
    body = await request.body()
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()
    inserted = await session.execute(
        insert(IdempotentRequest)
        .values(principal=principal.subject, key=key, fingerprint=fingerprint, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(IdempotentRequest.key)
    )
    if inserted.first() is None:
        stored = (
            await session.execute(
                sa.select(IdempotentRequest).where(
                    IdempotentRequest.principal == principal.subject, IdempotentRequest.key == key
                )
            )
        ).scalar_one()
        if stored.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different request; use a new key for a new request."
            )
        return JSONResponse(
            stored.body, status_code=stored.status_code or 200, headers={"Idempotent-Replayed": "true"}
        )
    payload = _jsonable(await produce())
    await session.execute(
        sa.update(IdempotentRequest)
        .where(IdempotentRequest.principal == principal.subject, IdempotentRequest.key == key)
        .values(status_code=status_code, body=json.loads(json.dumps(payload)))
    )
    return JSONResponse(payload, status_code=status_code)
