"""Referrals: the counsellor sends one (choosing what to share), both sides follow its timeline,
and the provider accepts, declines with a reason, starts and completes it with an outcome.

Each step carries the version the user saw (``If-Match``), so acting on a stale page gives a
readable "someone changed this meanwhile" instead of overwriting someone else's step.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.api import ApiProblem, UserApi
from services.portal.auth.deps import Csrf
from services.portal.auth.deps import require_roles as roles
from services.portal.errors import problem_message
from services.portal.forms import Form
from services.portal.i18n import gettext_ as _
from services.portal.pages import lookups
from services.portal.pages.notifications import describe
from services.portal.templating import render
from services.portal.vocabulary import (
    CLOSE_REASONS,
    DATA_CATEGORIES,
    DECLINE_REASONS,
    OUTCOMES,
    label,
    localized,
)

router = APIRouter(dependencies=[Csrf])
counsellor = Depends(roles("counsellor"))
anyone_on_referrals = Depends(roles("counsellor", "provider_caseworker", "provider_admin"))


async def _refer_context(api: UserApi, case_id: str, service_id: str, form: Form) -> dict[str, Any]:
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    service = await api.get("registry", f"/v1/services/{service_id}")
    consent = (await api.get("referrals", f"/v1/cases/{case_id}/consent"))["active"]
    programmes = await lookups.programmes(api)
    funding = [
        p
        for p in programmes
        if service_id in p.get("service_ids", []) or p["id"] in service.get("programme_ids", [])
    ]
    covered = {
        c
        for grant in consent
        if "referral" in grant["purposes"]
        and (
            service["organization_id"] in grant["recipient_org_ids"]
            or set(grant["recipient_categories"]) & set(service["taxonomy_terms"])
        )
        for c in grant["data_categories"]
    }
    return {
        "case": case,
        "service": service,
        "form": form,
        "programmes": [(p["id"], localized(p["name"])) for p in funding],
        "covered": covered,
        "org_name": (await lookups.organization_names(api)).get(service["organization_id"], ""),
    }


@router.get("/cases/{case_id}/refer", dependencies=[counsellor])
async def refer_form(request: Request, case_id: str, api: UserApi, service: str = "") -> Response:
    if not service:
        return RedirectResponse(f"/services?case={case_id}", status_code=303)
    return render(request, "referrals/new.html", await _refer_context(api, case_id, service, Form()))


@router.post("/cases/{case_id}/refer", dependencies=[counsellor])
async def send_referral(request: Request, case_id: str, api: UserApi) -> Response:
    form = await Form.read(request)
    service_id = form.required("service_id") or ""
    context = await _refer_context(api, case_id, service_id, form)
    categories = form.choices("data_categories", list(DATA_CATEGORIES))
    programme = form.get("programme_id") or None
    if programme and programme not in {p for p, _n in context["programmes"]}:
        form.error("programme_id", _("Choose one of the options shown."))
    if form.ok:
        body = {
            "service_id": service_id,
            "programme_id": programme,
            "data_categories": categories,
            "send": True,
        }
        try:
            referral = await api.post("referrals", f"/v1/cases/{case_id}/referrals", json=body)
            return RedirectResponse(f"/referrals/{referral['id']}?sent=1", status_code=303)
        except ApiProblem as problem:
            if problem.slug == "consent-required":
                missing = problem.body.get("missing_categories") or []
                names = ", ".join(label(DATA_CATEGORIES, c) for c in missing)
                form.error(
                    "data_categories",
                    _(
                        "The returnee has not consented to share this with this provider: %(categories)s.",
                        categories=names,
                    ),
                )
                form.message = _("The referral was not sent: consent does not cover what you chose to share.")
            else:
                form.problem(
                    problem,
                    {
                        "/programme_id": "programme_id",
                        "/data_categories": "data_categories",
                        "/service_id": "service_id",
                    },
                )
    return render(request, "referrals/new.html", context, status_code=422)


async def _timeline(api: UserApi, referral: dict[str, Any]) -> list[dict[str, Any]]:
    events = [{"at": referral["created_at"], "text": _("Referral created")}]
    if referral.get("sent_at"):
        events.append({"at": referral["sent_at"], "text": _("Sent to the provider")})
    try:
        page = await api.get(
            "notifications", "/v1/inbox", params={"referral_id": referral["id"], "limit": 50}
        )
        events.extend({"at": item["created_at"], "text": describe(item)} for item in page["items"])
    except ApiProblem:
        pass  # the timeline still shows what the referral itself records
    return sorted(events, key=lambda e: e["at"])


@router.get("/referrals/{referral_id}", dependencies=[anyone_on_referrals])
async def show_referral(
    request: Request, referral_id: str, api: UserApi, form: Form | None = None
) -> Response:
    referral = await api.get("referrals", f"/v1/referrals/{referral_id}")
    return await _referral_page(
        request, api, referral, form or Form(), sent=request.query_params.get("sent") == "1"
    )


async def _referral_page(
    request: Request,
    api: UserApi,
    referral: dict[str, Any],
    form: Form,
    sent: bool = False,
    status_code: int = 200,
) -> Response:
    orgs = await lookups.organization_names(api)
    try:
        service = await api.get("registry", f"/v1/services/{referral['service_id']}")
    except ApiProblem:
        service = {"name": {}}
    user = api.user
    side = "provider" if user.org_id == referral["provider_org_id"] else "sender"
    actions = [a["action"] for a in referral.get("allowed_next", []) if a.get("roles") != ["system"]]
    if side == "provider":
        actions = [a for a in actions if a in ("accept", "decline", "start", "complete", "close")]
    else:
        actions = [a for a in actions if a in ("send", "revoke")]
    return render(
        request,
        "referrals/show.html",
        {
            "r": referral,
            "service": service,
            "orgs": orgs,
            "side": side,
            "actions": actions,
            "timeline": await _timeline(api, referral),
            "form": form,
            "sent": sent,
            "programmes": await lookups.programme_names(api) if referral.get("programme_id") else {},
            "decline_reasons": DECLINE_REASONS,
            "outcomes": OUTCOMES,
            "close_reasons": CLOSE_REASONS,
        },
        status_code=status_code,
    )


@router.post("/referrals/{referral_id}/{action}", dependencies=[anyone_on_referrals])
async def act(request: Request, referral_id: str, action: str, api: UserApi) -> Response:
    form = await Form.read(request)
    body: dict[str, Any] | None = None
    if action == "decline":
        reason = form.choice("reason", list(DECLINE_REASONS))
        text = form.get("reason_text")
        if reason == "other" and not text:
            form.error("reason_text", _("Say why the referral is declined."))
        body = {"reason": reason, "reason_text": text or None}
    elif action == "complete":
        body = {"outcome": form.choice("outcome", list(OUTCOMES))}
    elif action == "close":
        body = {"reason": form.choice("close_reason", list(CLOSE_REASONS))}
    elif action not in ("accept", "start", "revoke", "send"):
        return RedirectResponse(f"/referrals/{referral_id}", status_code=303)
    if form.ok:
        version = form.get("version")
        try:
            await api.post(
                "referrals",
                f"/v1/referrals/{referral_id}/{action}",
                json=body,
                headers={"If-Match": f'"{version}"'} if version.isdigit() else None,
            )
            return RedirectResponse(f"/referrals/{referral_id}", status_code=303)
        except ApiProblem as problem:
            form.message = problem_message(problem)
            form.problem(problem, {"/reason": "reason", "/reason_text": "reason_text", "/outcome": "outcome"})
    referral = await api.get("referrals", f"/v1/referrals/{referral_id}")
    return await _referral_page(request, api, referral, form, status_code=422 if form.errors else 409)
