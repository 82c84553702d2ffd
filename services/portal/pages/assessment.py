"""Counsellor: needs assessment per dimension, and follow-ups at baseline, 3, 6 and 12 months."""

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
from services.portal.templating import render
from services.portal.vocabulary import NEED_LEVELS, TIMEPOINTS

router = APIRouter(dependencies=[Csrf, Depends(roles("counsellor"))])

ASSESSED = ("economic", "social", "psychosocial")
# Needs a counsellor can tick per dimension (codes the referrals service stores as given).
NEEDS = {
    "economic": {
        "cash": N_("Cash support"),
        "employment": N_("Work or job counselling"),
        "business": N_("Starting a business"),
        "training": N_("Vocational training"),
    },
    "social": {
        "housing": N_("Housing"),
        "health": N_("Medical care"),
        "education": N_("Education"),
        "documents": N_("Civil documents"),
        "legal": N_("Legal aid"),
        "family_reunification": N_("Family reunification"),
    },
    "psychosocial": {
        "counselling": N_("Psychosocial counselling"),
        "peer_support": N_("Peer or community support"),
    },
}

# The default follow-up question set of the referrals service (id, highest answer, question).
QUESTIONS: list[tuple[str, str, int, str]] = [
    ("income_sufficient", "economic", 4, N_("Income covers basic needs (0 not at all – 4 fully)")),
    ("debt_burden", "economic", 4, N_("Debt burden (0 none – 4 very heavy)")),
    ("food_security", "economic", 4, N_("Enough food (0 never – 4 always)")),
    ("owns_productive_assets", "economic", 1, N_("Owns productive assets (0 no, 1 yes)")),
    ("housing_adequate", "social", 4, N_("Adequate housing (0 not at all – 4 fully)")),
    ("has_identity_documents", "social", 1, N_("Has identity documents (0 no, 1 yes)")),
    ("health_care_access", "social", 4, N_("Access to health care (0 none – 4 full)")),
    ("children_in_school", "social", 4, N_("Children in school (0 none – 4 all)")),
    ("feels_safe", "social", 4, N_("Feels safe (0 not at all – 4 fully)")),
    ("support_network", "psychosocial", 4, N_("Has people to rely on (0 none – 4 many)")),
    ("community_participation", "psychosocial", 4, N_("Takes part in community life (0 never – 4 often)")),
    ("distress", "psychosocial", 4, N_("Feelings of distress (0 none – 4 severe)")),
    ("able_to_stay", "psychosocial", 4, N_("Feels able to stay (0 not at all – 4 fully)")),
]


@router.get("/cases/{case_id}/needs")
async def needs_page(request: Request, case_id: str, api: UserApi) -> Response:
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    return render(request, "cases/needs.html", {"case": case, "form": Form(), "needs": NEEDS})


@router.post("/cases/{case_id}/needs")
async def save_needs(request: Request, case_id: str, api: UserApi) -> Response:
    form = await Form.read(request)
    body: dict[str, Any] = {}
    for dimension in ASSESSED:
        level = form.choice(f"{dimension}_level", list(NEED_LEVELS))
        codes = form.choices(f"{dimension}_needs", list(NEEDS[dimension]))
        notes = form.get(f"{dimension}_notes")
        if len(notes) > 2000:
            form.error(f"{dimension}_notes", _("Write at most 2000 characters."))
        if level is not None:
            body[dimension] = {"level": int(level), "needs": codes, "notes": notes or None}
    if form.ok:
        try:
            await api.put("referrals", f"/v1/cases/{case_id}/needs", json=body)
            return RedirectResponse(f"/cases/{case_id}?notice=needs", status_code=303)
        except ApiProblem as problem:
            form.problem(problem, {f"/{d}": f"{d}_level" for d in ASSESSED})
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    return render(request, "cases/needs.html", {"case": case, "form": form, "needs": NEEDS}, status_code=422)


@router.get("/cases/{case_id}/follow-ups")
async def followup_page(request: Request, case_id: str, api: UserApi) -> Response:
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    return render(request, "cases/followup.html", {"case": case, "form": Form(), "questions": QUESTIONS})


@router.post("/cases/{case_id}/follow-ups")
async def record_followup(request: Request, case_id: str, api: UserApi) -> Response:
    form = await Form.read(request)
    timepoint = form.choice("timepoint", list(TIMEPOINTS))
    answers: dict[str, int] = {}
    for qid, _dimension, top, _text in QUESTIONS:
        value = form.integer(qid, 0, top)
        if value is not None:
            answers[qid] = value
    if not answers and not form.errors:
        form.message = _("Answer at least one question.")
    if form.ok:
        try:
            await api.post(
                "referrals",
                f"/v1/cases/{case_id}/follow-ups",
                json={"timepoint": timepoint, "answers": answers},
            )
            return RedirectResponse(f"/cases/{case_id}?notice=followup", status_code=303)
        except ApiProblem as problem:
            form.problem(
                problem, {"/timepoint": "timepoint", **{f"/answers/{q[0]}": q[0] for q in QUESTIONS}}
            )
    case = await api.get("referrals", f"/v1/cases/{case_id}")
    return render(
        request, "cases/followup.html", {"case": case, "form": form, "questions": QUESTIONS}, status_code=422
    )
