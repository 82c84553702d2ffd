"""Create, read, change and deactivate routes for a directory entity that is its own resource.

Organizations, locations and taxonomy terms share this shape exactly: only the names, the
summaries, the roles and the schemas differ, so one factory writes the four routes for each.
Listing is left to each router because every entity filters on different fields.

No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations, and the
schemas are local to the factory call, which a string annotation could not name.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.common.http import (
    ETAG_RESPONSES,
    READ_RESPONSES,
    IfMatch,
    IfNoneMatch,
    not_modified_response,
    with_etag,
)
from services.registry.common.model import Session
from shared.auth import CurrentPrincipal, Principal, require_roles


class EntityService(Protocol):
    """The rules module of an entity (its service.py), as the routes call it."""

    async def get(self, session: AsyncSession, entity_id: uuid.UUID, /) -> Any: ...

    async def create(self, session: AsyncSession, actor: Principal, data: Any, /) -> Any: ...

    async def update(
        self,
        session: AsyncSession,
        actor: Principal,
        entity_id: uuid.UUID,
        data: Any,
        if_match: str | None,
        /,
    ) -> Any: ...

    async def deactivate(
        self, session: AsyncSession, actor: Principal, entity_id: uuid.UUID, if_match: str | None, /
    ) -> Any: ...


class Presenter(Protocol):
    """An output schema that builds itself from the stored row (`Out.of(row)`)."""

    @classmethod
    def of(cls, row: Any, /) -> BaseModel: ...


@dataclass(frozen=True)
class Write:
    """Who may make one kind of write, and how the API documents it."""

    summary: str
    roles: Sequence[str]

    def dependencies(self) -> list[Any]:
        return [Depends(require_roles(*self.roles))]


def add_entity_routes(
    router: APIRouter,
    *,
    noun: str,
    id_param: str,
    service: EntityService,
    out: type[Presenter],
    create_schema: type[BaseModel],
    update_schema: type[BaseModel],
    create: Write,
    update: Write,
    deactivate: Write,
) -> None:
    """Add POST "", GET/PATCH "/{id}" and POST "/{id}/deactivate" to an entity's router.

    `noun` names the operations (`create_<noun>`, …) as the hand-written routes did, so the
    OpenAPI operation ids stay stable for clients generated from it; `id_param` is the path
    parameter's public name (e.g. `organization_id`).
    """
    # The alias keeps the documented parameter name while the endpoints share one signature.
    EntityId = Annotated[uuid.UUID, Path(alias=id_param)]
    # The Location header points at the new entry: the router's prefix under the /v1 mount.
    collection = f"/v1{router.prefix}"
    item = f"/{{{id_param}}}"

    async def create_entity(
        body: create_schema,  # type: ignore[valid-type]
        session: Session,
        principal: CurrentPrincipal,
        response: Response,
    ) -> out:  # type: ignore[valid-type]
        entity = await service.create(session, principal, body)
        with_etag(response, entity.version)
        response.headers["Location"] = f"{collection}/{entity.id}"
        return out.of(entity)

    async def get_entity(
        entity_id: EntityId, session: Session, response: Response, if_none_match: IfNoneMatch = None
    ) -> Any:
        entity = await service.get(session, entity_id)
        if (cached := not_modified_response(if_none_match, entity.version)) is not None:
            return cached
        with_etag(response, entity.version)
        return out.of(entity)

    async def update_entity(
        entity_id: EntityId,
        body: update_schema,  # type: ignore[valid-type]
        session: Session,
        principal: CurrentPrincipal,
        response: Response,
        if_match: IfMatch = None,
    ) -> out:  # type: ignore[valid-type]
        entity = await service.update(session, principal, entity_id, body, if_match)
        with_etag(response, entity.version)
        return out.of(entity)

    async def deactivate_entity(
        entity_id: EntityId,
        session: Session,
        principal: CurrentPrincipal,
        response: Response,
        if_match: IfMatch = None,
    ) -> out:  # type: ignore[valid-type]
        entity = await service.deactivate(session, principal, entity_id, if_match)
        with_etag(response, entity.version)
        return out.of(entity)

    router.add_api_route(
        "",
        create_entity,
        methods=["POST"],
        name=f"create_{noun}",
        status_code=status.HTTP_201_CREATED,
        summary=create.summary,
        dependencies=create.dependencies(),
        responses=ETAG_RESPONSES,
    )
    router.add_api_route(
        item,
        get_entity,
        methods=["GET"],
        name=f"get_{noun}",
        response_model=out,
        responses=READ_RESPONSES,
    )
    router.add_api_route(
        item,
        update_entity,
        methods=["PATCH"],
        name=f"update_{noun}",
        summary=update.summary,
        dependencies=update.dependencies(),
        responses=ETAG_RESPONSES,
    )
    router.add_api_route(
        f"{item}/deactivate",
        deactivate_entity,
        methods=["POST"],
        name=f"deactivate_{noun}",
        summary=deactivate.summary,
        dependencies=deactivate.dependencies(),
        responses=ETAG_RESPONSES,
    )
