"""Optimistic concurrency: an entity's ETag is its version; writes must send it back in If-Match.

A missing If-Match on a write is a 428 (the client must read first); one that names an older
version is a 412, so a concurrent edit is refused instead of silently overwriting another.
"""

from __future__ import annotations

from fastapi import Response

from shared.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def check_if_match(if_match: str | None, version: int, *, required: bool = True) -> None:
    if if_match is None or not if_match.strip():
        if required:
            raise PreconditionRequired(
                "This update needs an If-Match header with the ETag you last read, so that it cannot "
                "overwrite a change you have not seen."
            )
        return
    tags = [t.strip() for t in if_match.split(",")]
    # If-Match uses strong comparison (RFC 9110 13.1.1): a weak tag never matches.
    if "*" in tags or etag(version) in tags:
        return
    raise PreconditionFailed(
        "The entity has changed since you read it. Read it again and re-apply your change.",
        extra={"current_etag": etag(version)},
        headers={"ETag": etag(version)},
    )


def not_modified(if_none_match: str | None, version: int) -> bool:
    """Whether a conditional GET may answer 304."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag(version) in tags
