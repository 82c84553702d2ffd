"""Opening, reading, changing and closing cases; reading personal data (always audited)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from services.referrals.audit import service as audit
from services.referrals.cases import repository
from services.referrals.cases.models import Case
from services.referrals.cases.schemas import CaseCreate, CaseUpdate, PersonalData
from services.referrals.context import Ctx
from services.referrals.duplicates import service as duplicates
from services.referrals.events import case_dimensions, publish
from services.referrals.permissions import CASE_HOLDERS, CASE_WORK, is_system, require, require_case_owner
from services.referrals.replica import repository as replica
from shared.contracts.referrals import CaseClosed, CaseOpened
from shared.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired

# No 0/O, 1/I/L: read aloud over a phone without mistakes.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return (
        "HK-"
        + "".join(secrets.choice(_ALPHABET) for _ in range(4))
        + "-"
        + "".join(secrets.choice(_ALPHABET) for _ in range(4))
    )


def personal_categories(data: PersonalData) -> dict[str, Any]:
    """The stored categories of a personal-data document (notes are internal, never shared)."""
    out: dict[str, Any] = {"identity_contact": data.identity_contact.model_dump(mode="json")}
    if data.documents is not None:
        out["documents"] = data.documents.model_dump(mode="json")
    if data.vulnerabilities is not None:
        out["vulnerabilities"] = data.vulnerabilities.model_dump(mode="json")
    if data.notes is not None:
        out["notes"] = {"text": data.notes}
    return out


async def get_case(ctx: Ctx, case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    case = await repository.get(ctx.session, case_id, for_update=for_update)
    if case is None:
        raise NotFound("No such case.")
    require_case_owner(ctx.actor, case.owner_org_id)
    return case


def require_live(case: Case) -> None:
    if case.status == "erased":
        raise Conflict("This case was erased; only its tombstone remains.", slug="case-erased")


async def open_case(ctx: Ctx, body: CaseCreate) -> Case:
    require(ctx.actor, CASE_HOLDERS)
    assert ctx.actor.org_id is not None or ctx.actor.roles == {"system"}
    if not ctx.actor.has_role(*CASE_WORK) and not is_system(ctx.actor):
        # Provider staff open cases only where returnees first arrive (see permissions.py).
        assert ctx.actor.org_id is not None
        if not await replica.receives_returnees(ctx.session, ctx.actor.org_id):
            raise Forbidden(
                "Only counsellors, and staff of an organization that receives returnees on arrival "
                "(a migrant resource centre or an arrival-reception service), open cases."
            )
    now = ctx.clock.now()
    case = Case(
        id=uuid.uuid4(),
        reference=new_reference(),
        owner_org_id=ctx.actor.org_id,
        counsellor_subject=ctx.actor.subject,
        counsellor_username=ctx.actor.username,
        status="open",
        **body.model_dump(exclude={"personal"}),
        version=1,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(case)
    await ctx.session.flush()
    await ctx.vault.create_key(ctx.session, case.id, now)
    await write_personal(ctx, case, body.personal, audit_action=None)
    await audit.record(ctx.session, ctx.actor, "case.opened", now, case_id=case.id)
    await publish(ctx.session, CaseOpened(case_id=case.id, dimensions=case_dimensions(case)), case.id)
    return case


async def write_personal(ctx: Ctx, case: Case, data: PersonalData, *, audit_action: str | None) -> None:
    now = ctx.clock.now()
    categories = personal_categories(data)
    for category, value in categories.items():
        await ctx.vault.write(ctx.session, case.id, category, value, now)
    # Categories the new document leaves out are removed, so a PUT replaces the whole record.
    await repository.delete_personal_except(ctx.session, case.id, [*categories, "needs"])
    ident = data.identity_contact
    await duplicates.index_identity(
        ctx,
        case,
        duplicates.identity_keys(
            ident.given_name,
            ident.family_name,
            ident.date_of_birth,
            data.documents.document_number if data.documents else None,
        ),
    )
    if audit_action:
        await audit.record(
            ctx.session, ctx.actor, audit_action, now, case_id=case.id, categories=list(categories)
        )


async def replace_personal(ctx: Ctx, case_id: uuid.UUID, data: PersonalData) -> Case:
    case = await get_case(ctx, case_id, for_update=True)
    require_live(case)
    await write_personal(ctx, case, data, audit_action="personal_data.updated")
    case.updated_at = ctx.clock.now()
    case.version += 1
    return case


async def read_personal(ctx: Ctx, case_id: uuid.UUID, purpose: str) -> dict[str, Any]:
    case = await get_case(ctx, case_id)
    require_live(case)
    data = await ctx.vault.read(ctx.session, case.id)
    await audit.record(
        ctx.session,
        ctx.actor,
        "personal_data.read",
        ctx.clock.now(),
        case_id=case.id,
        categories=list(data),
        purpose=purpose,
    )
    return data


def check_if_match(if_match: str | None, version: int) -> None:
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you last read.")
    if f'"{version}"' not in [t.strip() for t in if_match.split(",")] and if_match.strip() != "*":
        raise PreconditionFailed(
            "The case has changed since you read it.",
            extra={"current_etag": f'"{version}"'},
            headers={"ETag": f'"{version}"'},
        )


async def update_case(ctx: Ctx, case_id: uuid.UUID, body: CaseUpdate, if_match: str | None) -> Case:
    case = await get_case(ctx, case_id, for_update=True)
    require_live(case)
    check_if_match(if_match, case.version)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        setattr(case, name, value)
    case.version += 1
    case.updated_at = ctx.clock.now()
    await audit.record(
        ctx.session,
        ctx.actor,
        "case.updated",
        case.updated_at,
        case_id=case.id,
        detail={"fields": sorted(changes)},
    )
    return case


async def close_case(ctx: Ctx, case_id: uuid.UUID) -> Case:
    case = await get_case(ctx, case_id, for_update=True)
    require_live(case)
    if case.status == "closed":
        raise Conflict("The case is already closed.")
    now = ctx.clock.now()
    case.status, case.closed_at, case.updated_at = "closed", now, now
    case.version += 1
    await audit.record(ctx.session, ctx.actor, "case.closed", now, case_id=case.id)
    await publish(ctx.session, CaseClosed(case_id=case.id, dimensions=case_dimensions(case)), case.id)
    return case


async def list_cases(ctx: Ctx, status: str | None, limit: int, offset: int) -> list[Case]:
    require(ctx.actor, CASE_HOLDERS)
    return await repository.of_owner(ctx.session, ctx.actor.org_id, status, limit, offset)
