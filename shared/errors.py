"""RFC 9457 problem details: the one shape every Hawkari error takes on the wire.

Domain code raises :class:`ProblemError` (or a subclass) carrying its own status; the handlers
installed by :func:`install_problem_handlers` render it, and every framework error (unknown route,
wrong method, malformed JSON, validation, an unexpected exception, a dependency that is down) as
``application/problem+json`` with a stable ``type``. No stack trace ever reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:hawkari:problem:"

logger = logging.getLogger("hawkari.errors")


def problem_type(slug: str) -> str:
    """The stable type URI of a problem; clients may switch on it."""
    return f"{PROBLEM_TYPE_BASE}{slug}"


class ProblemError(Exception):
    """An error that knows how it looks to a client."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        slug: str | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title or self.title)
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug
        if title is not None:
            self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": problem_type(self.slug), "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, *, error: str = "invalid_token") -> None:
        # RFC 6750: tell the client which scheme and why, so it knows to fetch a new token.
        challenge = f'Bearer realm="hawkari", error="{error}"'
        if detail:
            challenge += f', error_description="{detail}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Forbidden"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(ProblemError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(ProblemError):
    status, slug, title = 428, "precondition-required", "Precondition required"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service temporarily unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class InvalidField(ProblemError):
    """A 422 naming one or more fields, raised by domain rules after schema validation passed."""

    status, slug, title = 422, "validation-error", "Your request has invalid fields"

    def __init__(self, errors: Sequence[tuple[str, str]] | str, message: str | None = None) -> None:
        # Accept ("/field/pointer", "message") pairs, or a single pointer with a message.
        pairs = [(errors, message or "is invalid")] if isinstance(errors, str) else list(errors)
        super().__init__(
            "; ".join(f"{p}: {m}" for p, m in pairs),
            extra={"errors": [{"pointer": p, "detail": m} for p, m in pairs]},
        )


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=dict(headers or {})
    )


def json_pointer(loc: Sequence[int | str]) -> str:
    """FastAPI's error location as an RFC 6901 pointer into the request part it names."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where = parts.pop(0)
        prefix = "" if where == "body" else f"#{where}"
    else:
        prefix = ""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return prefix + "/" + "/".join(escaped) if escaped else prefix + "/"


# What FastAPI raises when a body cannot even be decoded (not UTF-8, a broken form).
_FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"

_SLUG_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    428: "precondition-required",
    429: "too-many-requests",
    503: "service-unavailable",
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        errors.append({"pointer": json_pointer(err.get("loc", ())), "detail": err.get("msg", "is invalid")})
    return errors


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return JSONResponse(
        exc.to_problem(instance=request.url.path),
        status_code=exc.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=exc.headers,
    )


def _malformed_body(request: Request) -> JSONResponse:
    """A body that does not decode (broken JSON, not UTF-8) names the whole document: pointer ""."""
    return problem_response(
        422,
        "malformed-body",
        "Malformed request body",
        "The request body is not valid UTF-8 JSON.",
        instance=request.url.path,
        errors=[{"pointer": "", "detail": "is not valid UTF-8 JSON"}],
    )


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400 and exc.detail == _FASTAPI_BODY_PARSE_ERROR:
        return _malformed_body(request)
    slug = _SLUG_BY_STATUS.get(status, "http-error")
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    if status == 404 and detail is None:
        detail = f"No resource at {request.url.path}"
    return problem_response(status, slug, title, detail, instance=request.url.path, headers=exc.headers)


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return _malformed_body(request)
    errors = _validation_errors(exc)
    return problem_response(
        422,
        "validation-error",
        "Your request has invalid fields",
        "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors),
        instance=request.url.path,
        errors=errors,
    )


def is_dependency_down(exc: BaseException) -> bool:
    """Whether an exception means the database (or another backing server) cannot be reached."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionError | TimeoutError | InterfaceError | OperationalError):
            return True
        if isinstance(
            current, asyncpg.exceptions.CannotConnectNowError | asyncpg.exceptions.ConnectionDoesNotExistError
        ):
            return True
        if isinstance(current, asyncpg.exceptions.AdminShutdownError | asyncpg.exceptions.CrashShutdownError):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_dependency_down(exc):
        logger.warning(
            "dependency unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return problem_response(
            503,
            "service-unavailable",
            "Service temporarily unavailable",
            "A backing server is unreachable; try again shortly.",
            instance=request.url.path,
            headers={"Retry-After": "5"},
        )
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500,
        "internal-error",
        "Internal error",
        "Something went wrong on our side. It has been logged.",
        instance=request.url.path,
    )


def _backing_server_errors() -> tuple[type[Exception], ...]:
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    return (OSError, DBAPIError, asyncpg.PostgresError, asyncpg.InterfaceError)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _handle_problem)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    # Errors from a backing server are answered by the same handler, but registered by class: the
    # catch-all for Exception runs in Starlette's outermost middleware, which re-raises after
    # answering, so the server logged a full traceback at ERROR for every request made while
    # PostgreSQL restarted (the client still got its 503).
    for error in _backing_server_errors():
        app.add_exception_handler(error, _handle_unexpected)
    app.add_exception_handler(Exception, _handle_unexpected)
