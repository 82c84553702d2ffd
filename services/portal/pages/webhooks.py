"""Provider admin: the organisation's webhook endpoints (partner systems hear each referral step)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.api import ApiProblem, UserApi
from services.portal.auth.deps import Csrf
from services.portal.auth.deps import require_roles as roles
from services.portal.forms import Form
from services.portal.i18n import N_
from services.portal.i18n import gettext_ as _
from services.portal.templating import render
from shared.contracts import referrals as rc

router = APIRouter(prefix="/provider/webhooks", dependencies=[Csrf, Depends(roles("provider_admin"))])

# The event types partners may subscribe to (the notifications service refuses any other).
EVENT_TYPES = {
    rc.ReferralSent.event_type: N_("Referral received"),
    rc.ReferralReminderDue.event_type: N_("Referral waiting for an answer"),
    rc.ReferralRevoked.event_type: N_("Referral withdrawn by the sender"),
    rc.ReferralAccepted.event_type: N_("Referral accepted"),
    rc.ReferralDeclined.event_type: N_("Referral declined"),
    rc.ReferralStarted.event_type: N_("Service started"),
    rc.ReferralCompleted.event_type: N_("Referral completed"),
    rc.ReferralClosed.event_type: N_("Referral closed"),
    rc.ReferralExpired.event_type: N_("Referral expired"),
    rc.ConsentWithdrawn.event_type: N_("Consent withdrawn"),
}
FIELDS = {"/url": "url", "/event_types": "event_types", "/description": "description"}


async def _page(
    request: Request, api: UserApi, form: Form, created: dict | None = None, status: int = 200
) -> Response:  # type: ignore[type-arg]
    endpoints = await api.get("notifications", "/v1/webhooks")
    return render(
        request,
        "provider/webhooks.html",
        {"endpoints": endpoints, "form": form, "event_types": EVENT_TYPES, "created": created},
        status_code=status,
    )


@router.get("")
async def list_endpoints(request: Request, api: UserApi) -> Response:
    return await _page(request, api, Form())


@router.post("")
async def create_endpoint(request: Request, api: UserApi) -> Response:
    form = await Form.read(request)
    url = form.required("url")
    if url and not url.startswith(("https://", "http://")):
        form.error("url", _("Enter a web address starting with https://."))
    types = form.choices("event_types", list(EVENT_TYPES))
    if not types:
        form.error("event_types", _("Choose at least one kind of event."))
    if form.ok:
        try:
            created = await api.post(
                "notifications",
                "/v1/webhooks",
                json={"url": url, "event_types": types, "description": form.get("description") or None},
            )
            # The signing secret is shown once, now; the service keeps it encrypted.
            return await _page(request, api, Form(), created=created, status=201)
        except ApiProblem as problem:
            form.problem(problem, FIELDS)
    return await _page(request, api, form, status=422)


@router.post("/{endpoint_id}/enable")
async def enable(endpoint_id: str, api: UserApi) -> Response:
    await api.patch("notifications", f"/v1/webhooks/{endpoint_id}", json={"enabled": True})
    return RedirectResponse("/provider/webhooks", status_code=303)


@router.post("/{endpoint_id}/disable")
async def disable(endpoint_id: str, api: UserApi) -> Response:
    await api.patch("notifications", f"/v1/webhooks/{endpoint_id}", json={"enabled": False})
    return RedirectResponse("/provider/webhooks", status_code=303)


@router.post("/{endpoint_id}/delete")
async def delete(endpoint_id: str, api: UserApi) -> Response:
    await api.delete("notifications", f"/v1/webhooks/{endpoint_id}")
    return RedirectResponse("/provider/webhooks", status_code=303)


@router.get("/{endpoint_id}")
async def deliveries(request: Request, endpoint_id: str, api: UserApi) -> Response:
    endpoint = await api.get("notifications", f"/v1/webhooks/{endpoint_id}")
    log = await api.get("notifications", f"/v1/webhooks/{endpoint_id}/deliveries")
    return render(request, "provider/deliveries.html", {"endpoint": endpoint, "deliveries": log})


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(endpoint_id: str, delivery_id: str, api: UserApi) -> Response:
    await api.post("notifications", f"/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver")
    return RedirectResponse(f"/provider/webhooks/{endpoint_id}", status_code=303)
