"""Provider caseworker and admin: incoming referrals by deadline (overdue marked), and the
organisation's directory entries — capacity, description and contact — kept fresh.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.api import ApiProblem, UserApi
from services.portal.auth.deps import Csrf
from services.portal.auth.deps import require_roles as roles
from services.portal.forms import Form
from services.portal.i18n import gettext_ as _
from services.portal.pages import lookups
from services.portal.templating import render
from services.portal.vocabulary import REFERRAL_STATUSES

router = APIRouter(
    prefix="/provider", dependencies=[Csrf, Depends(roles("provider_caseworker", "provider_admin"))]
)
admin_only = Depends(roles("provider_admin"))
OPEN = ("sent", "accepted", "in_progress")


def if_match(form: Form) -> dict[str, str]:
    """The version of the entry the user edited: a change made meanwhile is not overwritten (412)."""
    version = form.get("version")
    return {"If-Match": f'"{version}"'} if version.isdigit() else {}


@router.get("/referrals")
async def inbox(request: Request, api: UserApi, status: str = "open") -> Response:
    wanted = OPEN if status == "open" else (status,) if status in REFERRAL_STATUSES else OPEN
    referrals: list[dict[str, Any]] = []
    for state in wanted:
        referrals.extend(await api.get("referrals", "/v1/referrals", params={"status": state, "limit": 200}))
    now = datetime.now(UTC)
    for r in referrals:
        deadline = datetime.fromisoformat(r["deadline_at"]) if r.get("deadline_at") else None
        r["overdue"] = bool(deadline and r["status"] == "sent" and deadline < now)
        r["seconds_left"] = (deadline - now).total_seconds() if deadline else None
    # Soonest deadline first; those without a deadline (already answered) after, newest first.
    referrals.sort(key=lambda r: (r["deadline_at"] is None or r["status"] != "sent", r["deadline_at"] or ""))
    names = {}
    for service_id in {r["service_id"] for r in referrals}:
        try:
            names[service_id] = (await api.get("registry", f"/v1/services/{service_id}"))["name"]
        except ApiProblem:
            names[service_id] = {}
    return render(
        request,
        "provider/inbox.html",
        {
            "referrals": referrals,
            "status": status,
            "services": names,
            "orgs": await lookups.organization_names(api),
        },
    )


async def _own_services(api: UserApi) -> list[dict[str, Any]]:
    if not api.user.org_id:
        return []
    page = await api.get(
        "registry", "/v1/services", params={"organization_id": [api.user.org_id], "per_page": 100}
    )
    return list(page["items"])


@router.get("/services")
async def services(request: Request, api: UserApi, saved: str = "") -> Response:
    return render(
        request,
        "provider/services.html",
        {
            "services": await _own_services(api),
            "saved": saved == "1",
            "term_names": await lookups.taxonomy_names(api),
        },
    )


async def _service_page(
    request: Request, api: UserApi, service_id: str, form: Form, status_code: int
) -> Response:
    service = await api.get("registry", f"/v1/services/{service_id}")
    if service["organization_id"] != api.user.org_id:
        return RedirectResponse("/provider/services", status_code=303)
    return render(
        request,
        "provider/service_edit.html",
        {"service": service, "form": form, "is_admin": api.user.has_role("provider_admin")},
        status_code=status_code,
    )


@router.get("/services/{service_id}")
async def edit_service(request: Request, service_id: str, api: UserApi) -> Response:
    return await _service_page(request, api, service_id, Form(), 200)


@router.post("/services/{service_id}/capacity")
async def update_capacity(request: Request, service_id: str, api: UserApi) -> Response:
    form = await Form.read(request)
    places = form.integer("open_places", 0, 1_000_000, required=True)
    waitlist = form.integer("waitlist_length", 0, 1_000_000)
    if form.ok:
        try:
            await api.put(
                "registry",
                f"/v1/services/{service_id}/capacity",
                json={"open_places": places, "waitlist_length": waitlist},
                headers=if_match(form),
            )
            return RedirectResponse("/provider/services?saved=1", status_code=303)
        except ApiProblem as problem:
            form.problem(problem, {"/open_places": "open_places", "/waitlist_length": "waitlist_length"})
    return await _service_page(request, api, service_id, form, 422)


@router.post("/services/{service_id}/confirm")
async def confirm_entry(service_id: str, api: UserApi) -> Response:
    """The entry was checked and is still right: it becomes fresh again."""
    await api.post("registry", f"/v1/services/{service_id}/confirm")
    return RedirectResponse("/provider/services?saved=1", status_code=303)


@router.post("/services/{service_id}", dependencies=[admin_only])
async def update_entry(request: Request, service_id: str, api: UserApi) -> Response:
    form = await Form.read(request)
    email = form.get("email")
    if email and ("@" not in email or " " in email):
        form.error("email", _("Enter an e-mail address like name@example.org."))
    url = form.get("url")
    if url and not url.startswith(("https://", "http://")):
        form.error("url", _("Enter a web address starting with https://."))
    hours = form.integer("referral_response_hours", 1, 2160, required=True)
    description = {lang: form.get(f"description_{lang}") or None for lang in ("en", "ar", "ckb")}
    if form.ok:
        body = {
            "description": description,
            "email": email or None,
            "url": url or None,
            "referral_response_hours": hours,
            "accepts_referrals": form.get("accepts_referrals") == "yes",
        }
        try:
            await api.patch(
                "registry",
                f"/v1/services/{service_id}",
                json=body,
                headers=if_match(form),
            )
            return RedirectResponse("/provider/services?saved=1", status_code=303)
        except ApiProblem as problem:
            form.problem(
                problem,
                {
                    "/email": "email",
                    "/url": "url",
                    "/referral_response_hours": "referral_response_hours",
                    "/description": "description_en",
                },
            )
    return await _service_page(request, api, service_id, form, 422)
