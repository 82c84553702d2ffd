"""Every failure becomes a page in the user's language: no stack trace, no raw JSON ever reaches one.

A service's problem+json is turned into a sentence by :func:`problem_message`; pages that hold a form
show it in the error summary and, for 422, next to the fields (see ``services.portal.forms``).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.api import ApiProblem
from services.portal.auth.deps import CsrfRefused, LoginRequired, NotPermitted, load_user
from services.portal.i18n import gettext_ as _
from services.portal.templating import render

logger = logging.getLogger("hawkari.portal.errors")


def problem_message(problem: ApiProblem) -> str:
    """A readable sentence for a service's refusal, in the user's language."""
    stale = _("Someone else changed this record meanwhile. Reload the page and try again.")
    by_slug = {
        "consent-missing": _("The returnee has not consented to share this information with this recipient."),
        "illegal-transition": _("This step is not possible in the referral's current state."),
        "precondition-failed": stale,
        "unreachable": _("A service is not answering right now. Try again in a moment."),
        "service-unavailable": _("A service is not answering right now. Try again in a moment."),
    }
    by_status = {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do this."),
        404: _("This record does not exist or is not visible to you."),
        409: _("This is not possible in the record's current state."),
        412: stale,
        413: _("What you sent is too large."),
        422: _("Some information is missing or not valid."),
        428: stale,
        503: _("A service is not answering right now. Try again in a moment."),
    }
    return by_slug.get(problem.slug) or by_status.get(problem.status) or _("Something went wrong.")


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    await load_user(request)
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = "/login?next=" + quote(exc.return_to, safe="/")
    if _is_htmx(request):  # a partial update cannot follow a redirect to another site
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _not_permitted(request: Request, exc: Exception) -> Response:
    message = _("Your role does not give access to this page.")
    return await _error_page(request, 403, _("Not allowed"), message)


async def _csrf(request: Request, exc: Exception) -> Response:
    return await _error_page(
        request,
        403,
        _("Form expired"),
        _(
            "This form could not be accepted because it was not sent from this portal's page. "
            "Go back, reload the page and send it again."
        ),
    )


async def _api_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    if exc.status == 422 and request.method == "GET":  # a malformed id in the address
        return await _error_page(request, 404, _("Page not found"), _("There is no page at this address."))
    status = exc.status if exc.status in (403, 404, 409, 412, 503) else 502
    return await _error_page(request, status, _("Something went wrong"), problem_message(exc))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return await _error_page(request, 404, _("Page not found"), _("There is no page at this address."))
    if exc.status_code == 405:
        return await _error_page(request, 405, _("Not possible"), _("This page cannot be used this way."))
    return await _error_page(request, exc.status_code, _("Something went wrong"), _("Something went wrong."))


async def _validation(request: Request, exc: Exception) -> Response:
    # Page routes read their forms themselves; this only catches a malformed address (a bad id).
    return await _error_page(request, 404, _("Page not found"), _("There is no page at this address."))


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return await _error_page(
        request, 500, _("Something went wrong"), _("Something went wrong on our side. It has been logged.")
    )


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(NotPermitted, _not_permitted)
    app.add_exception_handler(CsrfRefused, _csrf)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _unexpected)
