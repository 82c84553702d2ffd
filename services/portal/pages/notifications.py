"""Notifications: the user's inbox, and a live stream that shows each new item as it arrives.

The browser's EventSource (HTMX's SSE extension) connects to ``/notifications/live``; the portal
holds one stream to the notifications service with the user's token and forwards each item as a
small HTML fragment already rendered in the user's language.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.portal.api import UserApi, base_url
from services.portal.auth.deps import Csrf, CurrentUser
from services.portal.i18n import N_
from services.portal.i18n import gettext_ as _
from services.portal.templating import env, page_context, render

logger = logging.getLogger("hawkari.portal.notifications")
router = APIRouter(dependencies=[Csrf])

# What each kind of item says; %(ref)s is the case reference, %(service)s the service's name.
KIND_TEXT = {
    "referral.sent": N_("New referral %(ref)s for %(service)s."),
    "referral.reminder_due": N_("Referral %(ref)s for %(service)s is waiting for an answer."),
    "referral.revoked": N_("Referral %(ref)s for %(service)s was withdrawn by the sender."),
    "referral.accepted": N_("Referral %(ref)s was accepted by %(org)s."),
    "referral.declined": N_("Referral %(ref)s was declined by %(org)s."),
    "referral.started": N_("%(org)s started the service for referral %(ref)s."),
    "referral.completed": N_("%(org)s completed referral %(ref)s."),
    "referral.closed": N_("Referral %(ref)s was closed by %(org)s."),
    "referral.expired": N_("Referral %(ref)s expired without an answer."),
    "consent.withdrawn": N_("Consent was withdrawn for case %(ref)s."),
    "webhook.disabled": N_("A webhook endpoint of your organisation was disabled after repeated failures."),
}


def describe(item: dict[str, Any]) -> str:
    template = KIND_TEXT.get(item.get("kind", ""), N_("Update on %(ref)s."))
    return _(
        template,
        ref=item.get("case_reference") or "—",
        service=item.get("service_name") or "—",
        org=item.get("organization_name") or "—",
    )


def portal_link(item: dict[str, Any]) -> str:
    """The item's link as a path on this portal (the service writes absolute portal URLs)."""
    link = str(item.get("link") or "")
    if item.get("referral_id"):
        return f"/referrals/{item['referral_id']}"
    path = "/" + link.split("://", 1)[-1].split("/", 1)[-1] if "://" in link else link
    return path if path.startswith("/") and not path.startswith("//") else "/notifications"


@router.get("/notifications")
async def inbox(request: Request, api: UserApi, unread: bool = False) -> Response:
    page = await api.get("notifications", "/v1/inbox", params={"limit": 50, "unread": unread})
    items = [{**item, "text": describe(item), "href": portal_link(item)} for item in page["items"]]
    return render(
        request,
        "notifications.html",
        {"items": items, "unread": page["unread"], "only_unread": unread},
    )


@router.post("/notifications/read-all")
async def read_all(api: UserApi) -> Response:
    await api.post("notifications", "/v1/inbox/read-all")
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{item_id}/read")
async def read_one(item_id: str, api: UserApi) -> Response:
    item = await api.get("notifications", f"/v1/inbox/{item_id}")
    await api.post("notifications", f"/v1/inbox/{item_id}/read")
    return RedirectResponse(portal_link(item), status_code=303)


@router.get("/notifications/live")
async def live(request: Request, user: CurrentUser, api: UserApi) -> Response:
    token = await api.token()
    url = base_url(request.app.state.settings, "notifications") + "/v1/inbox/stream"
    http: httpx.AsyncClient = request.app.state.http
    context = page_context(request)
    fragment = env.get_template("partials/notice.html")

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            async with http.stream(
                "GET",
                url,
                headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
                timeout=httpx.Timeout(10.0, read=None),
            ) as upstream:
                if upstream.status_code != 200:
                    return
                event = ""
                async for line in upstream.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "inbox_item":
                        item = json.loads(line[5:].strip())
                        html = fragment.render(
                            {**context, "item": {**item, "text": describe(item), "href": portal_link(item)}}
                        )
                        yield ServerSentEvent(data=html.replace("\n", " "), event="notice")
                    elif not line:
                        event = ""
        except httpx.HTTPError as exc:
            logger.info("live notifications stream ended: %s", type(exc).__name__)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
