"""Counsellor: what this person is eligible for and how much, with the reasons, from the registry."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.portal.api import ApiProblem, UserApi
from services.portal.auth.deps import require_roles as roles
from services.portal.forms import Form
from services.portal.i18n import N_
from services.portal.pages import lookups
from services.portal.templating import render
from services.portal.vocabulary import RETURN_TYPES, localized

router = APIRouter(dependencies=[Depends(roles("counsellor"))])

REGISTRY_GENDERS = {"female": N_("Female"), "male": N_("Male"), "other": N_("Other")}
REGISTRY_VULNERABILITIES = {
    "health_condition": N_("Health condition"),
    "disability": N_("Disability"),
    "unaccompanied_minor": N_("Unaccompanied minor"),
    "victim_of_trafficking": N_("Victim of trafficking"),
    "sexual_orientation_or_gender_identity": N_("Sexual orientation or gender identity"),
    "single_parent": N_("Single parent"),
    "elderly": N_("Elderly"),
}
CRITERIA = {
    "programme_period": N_("Programme running"),
    "programme_return_types": N_("Return type"),
    "target_group": N_("Target group"),
    "return_type": N_("Return type"),
    "country_returned_from": N_("Country returned from"),
    "governorate": N_("Governorate"),
    "age_range": N_("Age"),
    "gender": N_("Gender"),
    "household_size": N_("Household size"),
    "vulnerability": N_("Vulnerability"),
    "arrival_within_months": N_("Time since arrival"),
}
FIELDS = {
    "/age": "age",
    "/gender": "gender",
    "/return_type": "return_type",
    "/returned_from": "returned_from",
    "/governorate_code": "governorate_code",
    "/household_size": "household_size",
    "/arrival_date": "arrival_date",
}


def _age(dob: str | None) -> str:
    if not dob:
        return ""
    born = date.fromisoformat(dob)
    today = date.today()
    return str(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


@router.get("/cases/{case_id}/entitlements")
async def entitlements(request: Request, case_id: str, api: UserApi) -> Response:
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    params = request.query_params
    form = Form()
    result: dict[str, Any] | None = None
    if "check" in params:
        form.values = {k: v.strip() for k, v in params.items()}
        form.lists = {k: params.getlist(k) for k in params}
        body = {
            "return_type": form.choice("return_type", list(RETURN_TYPES)),
            "returned_from": (form.required("returned_from") or "").upper(),
            "governorate_code": form.required("governorate_code"),
            "age": form.integer("age", 0, 120, required=True),
            "gender": form.choice("gender", list(REGISTRY_GENDERS)),
            "household_size": form.integer("household_size", 1, 50, required=True),
            "arrival_date": (d.isoformat() if (d := form.date("arrival_date", required=True)) else None),
            "vulnerabilities": form.choices("vulnerabilities", list(REGISTRY_VULNERABILITIES)),
        }
        if form.ok:
            try:
                result = await api.post("registry", "/v1/entitlements", json=body)
            except ApiProblem as problem:
                form.problem(problem, FIELDS)
    else:
        # Prefill from the case; the exact age comes from the date of birth (a logged read).
        personal: dict[str, Any] = {}
        try:
            personal = await api.get(
                "referrals", f"/v1/cases/{case_id}/personal-data", params={"purpose": "entitlements"}
            )
        except ApiProblem:
            personal = {}
        identity = personal.get("identity_contact") or {}
        form.values = {
            "return_type": case["return_type"],
            "returned_from": case.get("country_returned_from") or "",
            "governorate_code": case.get("governorate_code") or "",
            "age": _age(identity.get("date_of_birth")),
            "gender": case.get("gender") if case.get("gender") in REGISTRY_GENDERS else "",
            "household_size": str(case.get("household_size") or ""),
            "arrival_date": case.get("arrival_date") or "",
        }
    places = await lookups.governorates(api)
    return render(
        request,
        "cases/entitlements.html",
        {
            "case": case,
            "form": form,
            "result": result,
            "governorates": [(g["code"], localized(g["name"])) for g in places],
            "genders": REGISTRY_GENDERS,
            "vulnerabilities": REGISTRY_VULNERABILITIES,
            "criteria": CRITERIA,
        },
        status_code=422 if form.errors or form.message else 200,
    )
