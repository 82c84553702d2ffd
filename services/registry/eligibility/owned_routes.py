"""Routes for what hangs on a programme or a service: eligibility rules and benefits.

Both are written the same way on both owners (list and add under the owner, read, replace and
deactivate by id), so one factory writes them from a description of the item and of the owners;
the hand-written versions differed only in names and wording.

No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations, and the
schemas are local to the factory call, which a string annotation could not name.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel

from services.registry import permissions
from services.registry.common.http import ETAG_RESPONSES, IfMatch, with_etag
from services.registry.common.model import Session
from services.registry.eligibility import service
from shared.auth import CurrentPrincipal, require_roles
from shared.errors import NotFound


@dataclass(frozen=True)
class OwnerKind:
    """A kind of entry rules and benefits hang on, and who may add them there."""

    name: str  # "programme": names the path parameter, the operations and the service keyword
    collection: str  # its path under /v1
    writers: Sequence[str]
    whose: str  # completes "Add a benefit to …" in the documentation

    @property
    def id_param(self) -> str:
        return f"{self.name}_id"


OWNERS = (
    OwnerKind("programme", "programmes", permissions.PROGRAMME_WRITE, "a programme (steering admin)"),
    OwnerKind(
        "service",
        "services",
        permissions.DIRECTORY_WRITE,
        "a service of your organization (provider admin)",
    ),
)


@dataclass(frozen=True)
class OwnedItem:
    """An eligibility rule or a benefit: its names, schemas, and the functions that store it."""

    name: str  # "rule": names the id parameter and the operations
    collection: str  # "rules": its path under /v1 and under an owner
    label: str  # "eligibility rule", as the documentation and the errors say it
    article: str  # "an" or "a", for the label
    schema_in: type[BaseModel]
    schema_out: type[BaseModel]
    present: Callable[[Any], BaseModel]
    # repository: (session, <owner>_id=, include_deactivated=)
    list_of: Callable[..., Awaitable[Sequence[Any]]]
    get: Callable[[Any, uuid.UUID], Awaitable[Any]]  # repository: (session, id) -> row | None
    add: Callable[..., Awaitable[Any]]  # service: (session, actor, data, <owner>_id=)
    replace: Callable[..., Awaitable[Any]]  # service: (session, actor, id, data, if_match)
    deactivate: Callable[..., Awaitable[Any]]  # service: (session, actor, id, if_match)

    @property
    def a_label(self) -> str:
        return f"{self.article} {self.label}"


def add_owned_routes(router: APIRouter, item: OwnedItem) -> None:
    """Add an item's routes to the router, in the order (and with the operation ids) of the API."""
    for owner in OWNERS:
        _add_listing(router, item, owner)
    for owner in OWNERS:
        _add_creation(router, item, owner)
    _add_by_id(router, item)


def _add_listing(router: APIRouter, item: OwnedItem, owner: OwnerKind) -> None:
    OwnerId = Annotated[uuid.UUID, Path(alias=owner.id_param)]

    async def listing(owner_id: OwnerId, session: Session, include_deactivated: bool = False) -> Any:
        where = {owner.id_param: owner_id}
        # Checks the owner exists (404 otherwise); a reader needs no write permission.
        await service.owner_of(session, None, **where)
        rows = await item.list_of(session, **where, include_deactivated=include_deactivated)
        return [item.present(r) for r in rows]

    router.add_api_route(
        f"/{owner.collection}/{{{owner.id_param}}}/{item.collection}",
        listing,
        methods=["GET"],
        name=f"{owner.name}_{item.collection}",
        response_model=list[item.schema_out],  # type: ignore[name-defined]
        summary=f"A {owner.name}'s {item.label}s",
    )


def _add_creation(router: APIRouter, item: OwnedItem, owner: OwnerKind) -> None:
    OwnerId = Annotated[uuid.UUID, Path(alias=owner.id_param)]

    async def creation(
        owner_id: OwnerId,
        body: item.schema_in,  # type: ignore[name-defined]
        session: Session,
        principal: CurrentPrincipal,
        response: Response,
    ) -> Any:
        row = await item.add(session, principal, body, **{owner.id_param: owner_id})
        with_etag(response, row.version)
        response.headers["Location"] = f"/v1/{item.collection}/{row.id}"
        return item.present(row)

    router.add_api_route(
        f"/{owner.collection}/{{{owner.id_param}}}/{item.collection}",
        creation,
        methods=["POST"],
        name=f"add_{owner.name}_{item.name}",
        response_model=item.schema_out,
        status_code=status.HTTP_201_CREATED,
        summary=f"Add {item.a_label} to {owner.whose}",
        dependencies=[Depends(require_roles(*owner.writers))],
        responses=ETAG_RESPONSES,
    )


def _add_by_id(router: APIRouter, item: OwnedItem) -> None:
    ItemId = Annotated[uuid.UUID, Path(alias=f"{item.name}_id")]
    path = f"/{item.collection}/{{{item.name}_id}}"
    # The owner is known only once the row is read: the service checks the actor against it.
    any_writer = [Depends(require_roles(*(role for owner in OWNERS for role in owner.writers)))]

    async def read(item_id: ItemId, session: Session, response: Response) -> Any:
        row = await item.get(session, item_id)
        if row is None:
            raise NotFound(f"No {item.label} {item_id}.")
        with_etag(response, row.version)
        return item.present(row)

    async def replace(
        item_id: ItemId,
        body: item.schema_in,  # type: ignore[name-defined]
        session: Session,
        principal: CurrentPrincipal,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        row = await item.replace(session, principal, item_id, body, if_match)
        with_etag(response, row.version)
        return item.present(row)

    async def deactivate(
        item_id: ItemId,
        session: Session,
        principal: CurrentPrincipal,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        row = await item.deactivate(session, principal, item_id, if_match)
        with_etag(response, row.version)
        return item.present(row)

    router.add_api_route(
        path,
        read,
        methods=["GET"],
        name=f"get_{item.name}",
        response_model=item.schema_out,
        summary=f"One {item.label}",
    )
    router.add_api_route(
        path,
        replace,
        methods=["PUT"],
        name=f"replace_{item.name}",
        response_model=item.schema_out,
        summary=f"Replace {item.a_label}",
        dependencies=any_writer,
        responses=ETAG_RESPONSES,
    )
    router.add_api_route(
        f"{path}/deactivate",
        deactivate,
        methods=["POST"],
        name=f"deactivate_{item.name}",
        response_model=item.schema_out,
        summary=f"Deactivate {item.a_label}",
        dependencies=any_writer,
        responses=ETAG_RESPONSES,
    )
