"""Counsellor: record consent on a screen that shows the information sheet in the returnee's language.

The sheet is rendered in the language the returnee reads (chosen on the page, independent of the
counsellor's own language), ready to read aloud or print; its language and version are recorded
with the consent. Nothing is pre-ticked: each purpose, data category and recipient is chosen.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from services.portal import i18n
from services.portal.api import ApiProblem, UserApi
from services.portal.auth.deps import Csrf
from services.portal.auth.deps import require_roles as roles
from services.portal.forms import Form
from services.portal.i18n import gettext_ as _
from services.portal.pages import lookups
from services.portal.templating import env, render
from services.portal.vocabulary import (
    CHILD_VIEWS,
    DATA_CATEGORIES,
    LEGAL_BASES,
    OBTAINED_HOW,
    PURPOSES,
    localized,
)

router = APIRouter(dependencies=[Csrf, Depends(roles("counsellor"))])

SHEET_VERSION = "hawkari-information-sheet-v1"
# Organisations that may receive a referral (consent names them as recipients).
RECIPIENT_KINDS = (
    "ngo",
    "training_centre",
    "international_organization",
    "private_company",
    "community_initiative",
    "government_body",
    "migrant_resource_centre",
)
CONSENT_FIELDS = {
    "/purposes": "purposes",
    "/data_categories": "data_categories",
    "/recipient_org_ids": "recipient_org_ids",
    "/recipient_categories": "recipient_categories",
    "/legal_basis": "legal_basis",
    "/obtained_how": "obtained_how",
    "/guardian_consent": "guardian_consent",
    "/child_view": "child_view",
    "/expires_at": "expires_at",
    "": "recipient_org_ids",  # the grant as a whole (no recipients / no categories for a referral)
}


def information_sheet(language: str, organisation: str) -> Markup:
    """The sheet in ``language``, whatever language the counsellor reads the portal in."""
    token = i18n.current_language.set(language)
    try:
        html = env.get_template("consent/sheet.html").render(
            sheet_lang=language, sheet_dir=i18n.direction(language), organisation=organisation
        )
    finally:
        i18n.current_language.reset(token)
    return Markup(html)  # noqa: S704 - rendered by our autoescaping template


async def _context(api: UserApi, case_id: str, sheet: str, form: Form) -> dict[str, Any]:
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    consent = await api.get("referrals", f"/v1/cases/{case_id}/consent")
    history = await api.get("referrals", f"/v1/cases/{case_id}/consent/history")
    orgs = await lookups.organizations(api)
    names = {o["id"]: localized(o["name"]) for o in orgs}
    sheet = sheet if sheet in i18n.LANGUAGES else i18n.current_language.get()
    return {
        "case": case,
        "active": consent["active"],
        "history": history,
        "form": form,
        "sheet_language": sheet,
        "sheet": information_sheet(sheet, names.get(case["owner_org_id"], "")),
        "sheet_version": SHEET_VERSION,
        "orgs": names,
        "recipient_orgs": [
            (o["id"], localized(o["name"]))
            for o in orgs
            if o["kind"] in RECIPIENT_KINDS and o["id"] != case["owner_org_id"]
        ],
        "terms": [(t["code"], localized(t["name"])) for t in await lookups.taxonomy(api)],
        "is_minor": case.get("age_band") == "0-17",
    }


@router.get("/cases/{case_id}/consent")
async def consent_page(request: Request, case_id: str, api: UserApi, sheet: str = "") -> Response:
    return render(request, "consent/record.html", await _context(api, case_id, sheet, Form()))


@router.post("/cases/{case_id}/consent")
async def record_consent(request: Request, case_id: str, api: UserApi) -> Response:
    form = await Form.read(request)
    sheet = form.choice("information_language", list(i18n.LANGUAGES)) or ""
    context = await _context(api, case_id, sheet, form)
    purposes = form.choices("purposes", list(PURPOSES))
    if not purposes:
        form.error("purposes", _("Choose at least one purpose the person agreed to."))
    categories = form.choices("data_categories", list(DATA_CATEGORIES))
    org_ids = form.choices("recipient_org_ids", [o for o, _n in context["recipient_orgs"]])
    terms = form.choices("recipient_categories", [t for t, _n in context["terms"]])
    if "referral" in purposes and not categories:
        form.error("data_categories", _("A consent to referral names the information that may be shared."))
    if "referral" in purposes and not (org_ids or terms):
        form.error("recipient_org_ids", _("A consent to referral names who may receive the information."))
    legal_basis = form.choice("legal_basis", list(LEGAL_BASES))
    obtained_how = form.choice("obtained_how", list(OBTAINED_HOW))
    expires = form.date("expires_at")
    if expires is not None and expires <= datetime.now(UTC).date():
        form.error("expires_at", _("The end date must be in the future."))
    body: dict[str, Any] = {
        "purposes": purposes,
        "data_categories": categories,
        "recipient_org_ids": org_ids,
        "recipient_categories": terms,
        "legal_basis": legal_basis,
        "obtained_how": obtained_how,
        "information_language": sheet,
        "information_version": SHEET_VERSION,
        "expires_at": datetime.combine(expires, time(23, 59), tzinfo=UTC).isoformat() if expires else None,
    }
    if context["is_minor"]:
        body["guardian_consent"] = form.get("guardian_consent") == "yes"
        body["child_view"] = form.choice("child_view", list(CHILD_VIEWS))
        if not body["guardian_consent"]:
            form.error("guardian_consent", _("A child's consent needs the guardian's consent too."))
    if form.ok:
        try:
            await api.post("referrals", f"/v1/cases/{case_id}/consent", json=body)
            return RedirectResponse(f"/cases/{case_id}?notice=consent", status_code=303)
        except ApiProblem as problem:
            form.problem(problem, CONSENT_FIELDS)
    return render(request, "consent/record.html", context, status_code=422)


@router.post("/cases/{case_id}/consent/{consent_id}/withdraw")
async def withdraw(request: Request, case_id: str, consent_id: str, api: UserApi) -> Response:
    form = await Form.read(request)
    how = form.choice("obtained_how", list(OBTAINED_HOW), required=False) or "verbal"
    await api.post(
        "referrals",
        f"/v1/cases/{case_id}/consent/withdrawals",
        json={"consent_id": consent_id, "obtained_how": how},
    )
    return RedirectResponse(f"/cases/{case_id}?notice=withdrawn", status_code=303)
