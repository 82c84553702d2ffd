"""Counsellor: find or open a case, review possible duplicates, see a case, transfer it, close it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.api import ApiProblem, UserApi
from services.portal.auth.deps import Csrf
from services.portal.auth.deps import require_roles as roles
from services.portal.forms import Form
from services.portal.i18n import N_
from services.portal.i18n import gettext_ as _
from services.portal.pages import lookups
from services.portal.templating import render
from services.portal.vocabulary import AGE_BANDS, COUNTRIES, GENDERS, RETURN_TYPES, localized

router = APIRouter(dependencies=[Csrf, Depends(roles("counsellor"))])

NOTICES = {
    "created": N_("The case was opened."),
    "consent": N_("The consent was recorded."),
    "withdrawn": N_("The consent was withdrawn."),
    "needs": N_("The needs assessment was saved."),
    "followup": N_("The follow-up was recorded."),
    "referred": N_("The referral was sent."),
    "transfer": N_("The transfer was requested."),
    "closed": N_("The case was closed."),
    "duplicate": N_("Thank you: the decision on the possible duplicate was recorded."),
}

# Where the referrals service's 422 pointers land on the new-case form.
CASE_FIELDS = {
    "/personal/identity_contact/given_name": "given_name",
    "/personal/identity_contact/family_name": "family_name",
    "/personal/identity_contact/date_of_birth": "date_of_birth",
    "/personal/identity_contact/phone": "phone",
    "/personal/identity_contact/address": "address",
    "/personal/documents/document_number": "document_number",
    "/governorate_code": "governorate_code",
    "/district_code": "governorate_code",
    "/country_returned_from": "country_returned_from",
    "/return_type": "return_type",
    "/arrival_date": "arrival_date",
    "/household_size": "household_size",
    "/gender": "gender",
    "/age_band": "age_band",
}


# Organisations a case can be handed to (those that hold cases).
TRANSFER_KINDS = ("migrant_resource_centre", "ngo", "training_centre", "international_organization")


def notice_text(code: str | None) -> str | None:
    return _(NOTICES[code]) if code in NOTICES else None


@router.get("/cases")
async def list_cases(request: Request, api: UserApi, q: str = "", status: str = "open") -> Response:
    status = status if status in ("open", "closed") else "open"
    cases = await api.get("referrals", "/v1/cases", params={"status": status, "limit": 200})
    needle = q.strip().upper()
    if needle:
        cases = [c for c in cases if needle in c["reference"].upper()]
    transfers = [t for t in await api.get("referrals", "/v1/transfers") if t["status"] == "requested"]
    incoming = [t for t in transfers if t["to_org_id"] == api.user.org_id]
    return render(
        request,
        "cases/list.html",
        {
            "cases": cases,
            "q": q,
            "status": status,
            "incoming": incoming,
            "orgs": await lookups.organization_names(api) if incoming else {},
            "places": await lookups.governorate_names(api),
        },
    )


async def _case_form_context(api: UserApi) -> dict[str, Any]:
    places = await lookups.governorates(api)
    return {
        "governorates": [(g["code"], localized(g["name"])) for g in places],
        "countries": COUNTRIES,
    }


@router.get("/cases/new")
async def new_case(request: Request, api: UserApi) -> Response:
    return render(request, "cases/new.html", {"form": Form(), **await _case_form_context(api)})


@router.post("/cases/new")
async def create_case(request: Request, api: UserApi) -> Response:
    form = await Form.read(request)
    given = form.required("given_name")
    return_type = form.choice("return_type", list(RETURN_TYPES))
    gender = form.choice("gender", list(GENDERS), required=False)
    age_band = form.choice("age_band", list(AGE_BANDS), required=False)
    dob = form.date("date_of_birth", not_future=True)
    arrival = form.date("arrival_date", not_future=True)
    household = form.integer("household_size", 1, 50)
    country = form.get("country_returned_from").upper()
    if country and (len(country) != 2 or not country.isalpha()):
        form.error("country_returned_from", _("Choose a country from the list."))
    context = await _case_form_context(api)
    governorate = form.choice(
        "governorate_code", [code for code, _n in context["governorates"]], required=False
    )
    if not form.ok:
        return render(request, "cases/new.html", {"form": form, **context}, status_code=422)
    body: dict[str, Any] = {
        "return_type": return_type,
        "gender": gender,
        "age_band": age_band,
        "governorate_code": governorate,
        "country_returned_from": country or None,
        "arrival_date": arrival.isoformat() if arrival else None,
        "household_size": household,
        "personal": {
            "identity_contact": {
                "given_name": given,
                "family_name": form.get("family_name") or None,
                "date_of_birth": dob.isoformat() if dob else None,
                "phone": form.get("phone") or None,
                "address": form.get("address") or None,
            },
            "documents": (
                {
                    "document_type": form.get("document_type") or None,
                    "document_number": form.get("document_number"),
                }
                if form.get("document_number")
                else None
            ),
        },
    }
    try:
        case = await api.post("referrals", "/v1/cases", json=body)
    except ApiProblem as problem:
        form.problem(problem, CASE_FIELDS)
        return render(request, "cases/new.html", {"form": form, **context}, status_code=422)
    if case.get("duplicate_flags"):
        return RedirectResponse(f"/cases/{case['id']}/duplicates", status_code=303)
    return RedirectResponse(f"/cases/{case['id']}?notice=created", status_code=303)


async def _flags_for(api: UserApi, case_id: str) -> list[dict[str, Any]]:
    flags = await api.get("referrals", "/v1/duplicates", params={"status": "open"})
    return [f for f in flags if any(c["id"] == case_id for c in f["own_cases"])]


@router.get("/cases/{case_id}/duplicates")
async def duplicates(request: Request, case_id: str, api: UserApi) -> Response:
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    flags = await _flags_for(api, case_id)
    return render(
        request,
        "cases/duplicates.html",
        {"case": case, "flags": flags, "orgs": await lookups.organization_names(api)},
    )


@router.post("/cases/{case_id}/duplicates/{flag_id}/{decision}")
async def decide_duplicate(case_id: str, flag_id: str, decision: str, api: UserApi) -> Response:
    if decision not in ("confirm", "dismiss"):
        return RedirectResponse(f"/cases/{case_id}/duplicates", status_code=303)
    await api.post("referrals", f"/v1/duplicates/{flag_id}/{decision}")
    return RedirectResponse(f"/cases/{case_id}?notice=duplicate", status_code=303)


@router.get("/cases/{case_id}")
async def show_case(request: Request, case_id: str, api: UserApi, notice: str | None = None) -> Response:
    return await case_page(request, case_id, api, notice=notice_text(notice))


async def case_page(
    request: Request,
    case_id: str,
    api: UserApi,
    *,
    notice: str | None = None,
    transfer_form: Form | None = None,
    status_code: int = 200,
) -> Response:
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    consent = await api.get("referrals", f"/v1/cases/{case_id}/consent")
    referrals = [
        r
        for r in await api.get("referrals", "/v1/referrals", params={"limit": 200})
        if r["case_id"] == case_id
    ]
    followups = await api.get("referrals", f"/v1/cases/{case_id}/follow-ups")
    transfers = [t for t in await api.get("referrals", "/v1/transfers") if t["case_id"] == case_id]
    flags = await _flags_for(api, case_id) if case.get("duplicate_flags") else []
    targets = [
        (o["id"], o["name"])
        for o in await lookups.organizations(api)
        if o["id"] != case["owner_org_id"] and o["kind"] in TRANSFER_KINDS
    ]
    return render(
        request,
        "cases/show.html",
        {
            "case": case,
            "consent": consent["active"],
            "referrals": referrals,
            "followups": followups,
            "transfers": transfers,
            "flags": flags,
            "orgs": await lookups.organization_names(api),
            "places": await lookups.governorate_names(api),
            "services": await service_names(api, {r["service_id"] for r in referrals}),
            "notice": notice,
            "transfer_form": transfer_form or Form(),
            "transfer_targets": targets,
        },
        status_code=status_code,
    )


async def service_names(api: UserApi, ids: set[str]) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for service_id in ids:
        try:
            names[service_id] = (await api.get("registry", f"/v1/services/{service_id}"))["name"]
        except ApiProblem:
            names[service_id] = {}
    return names


@router.post("/cases/{case_id}/transfer")
async def transfer(request: Request, case_id: str, api: UserApi) -> Response:
    form = await Form.read(request)
    target = form.required("to_org_id")
    if target:
        try:
            await api.post("referrals", f"/v1/cases/{case_id}/transfers", json={"to_org_id": target})
            return RedirectResponse(f"/cases/{case_id}?notice=transfer", status_code=303)
        except ApiProblem as problem:
            form.problem(problem, {"/to_org_id": "to_org_id"})
    return await case_page(request, case_id, api, transfer_form=form, status_code=422)


@router.post("/transfers/{transfer_id}/{decision}")
async def decide_transfer(transfer_id: str, decision: str, api: UserApi) -> Response:
    if decision in ("accept", "decline"):
        await api.post("referrals", f"/v1/transfers/{transfer_id}/{decision}")
    return RedirectResponse("/cases", status_code=303)


@router.post("/cases/{case_id}/close")
async def close_case(case_id: str, api: UserApi) -> Response:
    await api.post("referrals", f"/v1/cases/{case_id}/close")
    return RedirectResponse(f"/cases/{case_id}?notice=closed", status_code=303)
