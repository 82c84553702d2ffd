"""Possible duplicates: keyed hashes of normalised identifiers flag pairs of cases.

Never merged automatically: a counsellor of either organization confirms or dismisses a flag, and
every decision is audited. The raw identifiers never leave the encrypted record; only HMACs with
a deployment secret are stored, so the hashes cannot be reversed by guessing names.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date

from services.referrals.audit import service as audit
from services.referrals.cases import repository as cases
from services.referrals.cases.models import Case
from services.referrals.context import Ctx
from services.referrals.duplicates import repository
from services.referrals.duplicates.models import DuplicateFlag, IdentityHash
from services.referrals.events import case_dimensions, publish
from services.referrals.permissions import CASE_WORK, require
from shared.contracts.referrals import DuplicateFlagged, DuplicateResolved
from shared.errors import Conflict, NotFound


def normalise_document(number: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", number).upper())


def normalise_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    tokens = re.findall(r"\w+", letters)
    return " ".join(sorted(tokens))


def identity_keys(
    given_name: str, family_name: str | None, dob: date | None, document_number: str | None
) -> dict[str, str]:
    keys: dict[str, str] = {}
    if document_number and normalise_document(document_number):
        keys["document"] = normalise_document(document_number)
    if dob is not None:
        full_name = " ".join(part for part in (given_name, family_name) if part)
        keys["name_dob"] = f"{normalise_name(full_name)}|{dob.isoformat()}"
    return keys


async def index_identity(ctx: Ctx, case: Case, keys: dict[str, str]) -> list[DuplicateFlag]:
    """Store the case's keyed hashes and flag every other live case sharing one."""
    session = ctx.session
    await repository.delete_hashes(session, case.id)
    flags: list[DuplicateFlag] = []
    for kind, value in keys.items():
        digest = ctx.vault.hash_identifier(f"{kind}:{value}")
        session.add(IdentityHash(case_id=case.id, kind=kind, digest=digest))
        for other_id in await repository.cases_sharing(session, case.id, kind, digest):
            a, b = sorted([case.id, other_id])
            flag_id = uuid.uuid4()
            flag = await repository.insert_flag(session, flag_id, a, b, kind, ctx.clock.now())
            if flag is None:
                continue
            flags.append(flag)
            await audit.record(
                session,
                ctx.actor,
                "duplicate.flagged",
                ctx.clock.now(),
                case_id=case.id,
                detail={"flag_id": str(flag_id), "other_case_id": str(other_id), "match": kind},
            )
            await publish(
                session,
                DuplicateFlagged(
                    case_id=case.id,
                    dimensions=case_dimensions(case),
                    flag_id=flag_id,
                    other_case_id=other_id,
                    match=kind,
                ),
                flag_id,
            )
    await session.flush()
    return flags


async def flags_for_org(ctx: Ctx, status: str | None = "open") -> list[tuple[DuplicateFlag, Case, Case]]:
    require(ctx.actor, CASE_WORK)
    return await repository.flags_of_org(ctx.session, ctx.actor.org_id, status)


async def resolve(ctx: Ctx, flag_id: uuid.UUID, resolution: str) -> tuple[DuplicateFlag, Case, Case]:
    require(ctx.actor, CASE_WORK)
    flag = await repository.flag_for_update(ctx.session, flag_id)
    if flag is None:
        raise NotFound("No such duplicate flag.")
    case_a = await cases.get_one(ctx.session, flag.case_a_id)
    case_b = await cases.get_one(ctx.session, flag.case_b_id)
    if ctx.actor.org_id not in (case_a.owner_org_id, case_b.owner_org_id):
        raise NotFound("No such duplicate flag.")
    if flag.status != "open":
        raise Conflict(f"This flag was already {flag.status}.", extra={"status": flag.status})
    now = ctx.clock.now()
    flag.status, flag.decided_by, flag.decided_at = resolution, ctx.actor.subject, now
    own = case_a if case_a.owner_org_id == ctx.actor.org_id else case_b
    other = case_b if own is case_a else case_a
    await audit.record(
        ctx.session,
        ctx.actor,
        f"duplicate.{resolution}",
        now,
        case_id=own.id,
        detail={"flag_id": str(flag.id), "other_case_id": str(other.id), "match": flag.kind},
    )
    await publish(
        ctx.session,
        DuplicateResolved(
            case_id=own.id,
            dimensions=case_dimensions(own),
            flag_id=flag.id,
            other_case_id=other.id,
            match=flag.kind,
            resolution=resolution,
        ),
        flag.id,
    )
    await ctx.session.flush()
    return flag, case_a, case_b
