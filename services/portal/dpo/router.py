"""Pages of the data protection officer: subject access reports, erasure, the audit chain.

Everything goes through the referrals service with the officer's own token; the service records
each report it produces as a read of personal data, so reading a report here is audited there.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.api import ApiProblem, UserApi
from services.portal.auth.deps import Csrf, require_roles
from services.portal.dpo import report
from services.portal.forms import Form
from services.portal.i18n import N_
from services.portal.i18n import gettext_ as _
from services.portal.templating import add_nav_item, add_template_dir, render

DPO = ("data_protection_officer",)
router = APIRouter(prefix="/dpo", dependencies=[Csrf, Depends(require_roles(*DPO))])
add_template_dir(Path(__file__).parent / "templates")
add_nav_item("/dpo", N_("Data protection"), DPO)


def access_report_path(case_id: uuid.UUID) -> str:
    return f"/v1/rights/cases/{case_id}/access-report"


@router.get("")
async def index(request: Request) -> Response:
    return render(request, "dpo/index.html", {"form": None})


@router.get("/case")
async def find_case(request: Request) -> Response:
    """The case-id form (GET): a valid id opens its report, anything else is shown on the form."""
    form = Form(values={"case_id": (request.query_params.get("case_id") or "").strip()})
    value = form.required("case_id")
    if value is not None:
        try:
            case_id = uuid.UUID(value)
        except ValueError:
            form.error(
                "case_id",
                _(
                    "Enter the case id as it is shown in the case, for example %(example)s.",
                    example="3f2b6c1e-8d4a-4c1b-9e2f-5a6b7c8d9e0f",
                ),
            )
        else:
            return RedirectResponse(f"/dpo/cases/{case_id}", status_code=303)
    return render(request, "dpo/index.html", {"form": form}, status_code=422)


@router.get("/cases/{case_id}")
async def report_page(case_id: uuid.UUID, request: Request, api: UserApi) -> Response:
    body: dict[str, Any] = await api.get("referrals", access_report_path(case_id))
    case = body.get("case", {})
    return render(
        request,
        "dpo/report.html",
        {
            "case_id": case_id,
            "case": case,
            "facts": report.case_facts(case),
            "erased": case.get("status") == "erased",
            "personal": report.personal_data(body.get("personal_data") or {}),
            "sections": report.sections(body),
        },
    )


@router.get("/cases/{case_id}/report.json")
async def report_download(case_id: uuid.UUID, api: UserApi) -> Response:
    response = await api.request("GET", "referrals", access_report_path(case_id))
    return Response(
        response.content,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="subject-access-report-{case_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/cases/{case_id}/erase")
async def erase_confirm(case_id: uuid.UUID, request: Request) -> Response:
    return render(request, "dpo/erase.html", {"case_id": case_id, "form": None, "key": str(uuid.uuid4())})


@router.post("/cases/{case_id}/erase")
async def erase(case_id: uuid.UUID, request: Request, api: UserApi) -> Response:
    form = await Form.read(request)
    if form.get("confirm") != "yes":
        form.error("confirm", _("Tick the box to confirm that this case is to be erased."))
    key = form.get("idempotency_key")
    try:
        key = str(uuid.UUID(key))
    except ValueError:
        key = str(uuid.uuid4())  # a form without its key is still one request
    if form.ok:
        try:
            # The key makes a double submit (or a retry after a lost answer) one erasure, not two.
            result = await api.post(
                "referrals", f"/v1/rights/cases/{case_id}/erasure", headers={"Idempotency-Key": key}
            )
        except ApiProblem as problem:
            if problem.status != 409:
                raise
            form.message = _("This case is already erased.")
        else:
            return render(request, "dpo/erased.html", {"case_id": case_id, "result": result})
    return render(request, "dpo/erase.html", {"case_id": case_id, "form": form, "key": key}, status_code=422)


# What the chain check says of a broken link (services/referrals/audit/verify.py), in words.
BREAKS = {
    "does not link to the previous entry's hash": N_("it does not link to the previous entry's hash"),
    "its content does not match its hash": N_("its content does not match its hash"),
}


@router.get("/audit")
async def audit(request: Request, api: UserApi) -> Response:
    result = await api.get("referrals", "/v1/audit/verify")
    reason = result.get("reason") or ""
    if reason in BREAKS:
        reason = _(BREAKS[reason])
    elif reason.endswith("is missing"):
        reason = _("an entry is missing")
    return render(request, "dpo/audit.html", {"result": result, "reason": reason})
