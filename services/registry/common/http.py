"""HTTP details shared by the routers: conditional request headers and ETag responses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from services.registry.common.etag import etag, not_modified

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description=(
            "The ETag of the version you read. Required on every update: 428 without it, 412 if stale."
        ),
    ),
]
IfNoneMatch = Annotated[
    str | None, Header(alias="If-None-Match", description="An ETag you hold: 304 if it is still current.")
]

ETAG_RESPONSES: dict[int | str, dict[str, object]] = {
    412: {"description": "If-Match names an older version: someone changed the entry since you read it."},
    428: {"description": "If-Match is missing."},
    422: {"description": "Invalid fields (problem details naming each one)."},
}
READ_RESPONSES: dict[int | str, dict[str, object]] = {
    304: {"description": "Not modified (If-None-Match matched)."},
    404: {"description": "No such entry."},
}


def not_modified_response(if_none_match: str | None, version: int) -> Response | None:
    if not_modified(if_none_match, version):
        return Response(status_code=304, headers={"ETag": etag(version)})
    return None


def with_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)
