"""Referrals: validated against the registry replica, gated by consent, moved through the lifecycle."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from services.referrals.audit import service as audit
from services.referrals.cases.models import Case
from services.referrals.cases.service import require_live
from services.referrals.consent import service as consent
from services.referrals.consent.models import ConsentRecord
from services.referrals.context import Ctx
from services.referrals.events import case_dimensions, publish
from services.referrals.permissions import (
    CASE_WORK,
    PROVIDER_WORK,
    REFERRAL_READ,
    is_system,
    require,
    require_case_owner,
)
from services.referrals.referrals import repository
from services.referrals.referrals.models import Referral
from services.referrals.referrals.schemas import ReferralCreate, ReferralOut, Suggestion
from services.referrals.referrals.transitions import PROVIDER_READABLE, TRANSITIONS, allowed_from
from services.referrals.replica import repository as replica
from shared.contracts import referrals as contracts
from shared.errors import Conflict, Forbidden, InvalidField, NotFound, PreconditionFailed, ProblemError


class ConsentRequired(ProblemError):
    status, slug, title = 422, "consent-required", "Consent does not cover this sharing"


class ServiceNotReferrable(ProblemError):
    status, slug, title = 422, "service-not-referrable", "The service does not take this referral"


def dimensions(case: Case, ref: Referral) -> contracts.Dimensions:
    return case_dimensions(
        case,
        taxonomy_term_code=ref.taxonomy_term_code,
        programme_id=ref.programme_id,
        provider_org_id=ref.provider_org_id,
        funder_countries=ref.funder_countries,
    )


def event_fields(case: Case, ref: Referral) -> dict[str, Any]:
    """What every referral event carries: ids, state, dimensions, when it was sent and by whom."""
    return {
        "case_id": case.id,
        "case_reference": case.reference,
        "dimensions": dimensions(case, ref),
        "referral_id": ref.id,
        "service_id": ref.service_id,
        "status": ref.status,
        "data_categories": ref.data_categories,
        "sent_at": ref.sent_at.isoformat() if ref.sent_at else None,
        "referrer_subject": ref.sent_by_subject,
    }


async def cash_overlap_kinds(ctx: Ctx, ref: Referral) -> list[str]:
    """Cash kinds this referral's programme pays that the case already gets from another programme."""
    if ref.programme_id is None:
        return []
    bundle = await repository.taken(ctx.session, ref.case_id, exclude=ref.id)
    return await replica.cash_overlap(ctx.session, ref.programme_id, [p for p, _ in bundle if p])


async def create(ctx: Ctx, case_id: uuid.UUID, body: ReferralCreate) -> tuple[Referral, Case, list[str]]:
    """Validate against the replica and the consent ledger, then write the referral (usually sent).

    The hot path of the service (bench/referral_create.py measures it against bare asyncpg): one
    statement reads the case, the target service, its organization, the programmes funding it and
    the consent ledger; one statement writes the referral, its audit entry and its outbox event,
    and only if the case is still as read — open, held by the same organization, its consent
    ledger unchanged. If not (a withdrawal committed in between), the rules run again on what is
    there now, so a referral never goes out on consent that was withdrawn meanwhile.
    """
    require(ctx.actor, CASE_WORK)
    # An override's reason is sealed through the session: the referral must commit with it.
    async with ctx.driver(in_unit_of_work=body.override is not None) as conn:
        for _ in range(_ATTEMPTS):
            ref, case, warnings, audit_rows, event = await _prepare(ctx, conn, case_id, body)
            if await repository.write(conn, ref, case, audit_rows, event):
                return ref, case, warnings
    raise Conflict("The case kept changing while the referral was being made; try again.")


# A write is retried only when the case changed between its read and its write, twice in a row
# is already unlikely.
_ATTEMPTS = 3


async def _prepare(
    ctx: Ctx, conn: asyncpg.Connection, case_id: uuid.UUID, body: ReferralCreate
) -> tuple[Referral, Case, list[str], list[dict[str, Any]], contracts.ReferralSent | None]:
    """Read, check every rule, and build the row, its audit entries and its event (unwritten)."""
    now = ctx.clock.now()
    view = await repository.creation_view(conn, case_id, body.service_id, now.date())
    case = view.case
    if case is None:
        raise NotFound("No such case.")
    require_case_owner(ctx.actor, case.owner_org_id)
    require_live(case)
    if case.status != "open":
        raise Conflict("Referrals are made from open cases only.", extra={"case_status": case.status})
    warnings: list[str] = []

    svc = view.service
    if svc is None:
        raise InvalidField("/service_id", "no such service in the directory")
    if not replica.is_referrable(svc):
        why = "is not active" if not (svc.active and svc.status == "active") else "does not accept referrals"
        raise ServiceNotReferrable(
            f"The service {why}.", extra={"errors": [{"pointer": "/service_id", "detail": why}]}
        )
    if view.organization is not None and not view.organization.active:
        raise ServiceNotReferrable("The provider organization is not active.")

    funding = view.programmes
    eligible = [p for p in funding if replica.programme_admits(p, case.return_type)]
    programme = None
    if body.programme_id is not None:
        programme = next((p for p in funding if p.id == body.programme_id), None)
        if programme is None:
            raise InvalidField("/programme_id", "is not a current programme funding this service")
        if programme not in eligible:
            raise InvalidField("/programme_id", f"does not admit return type {case.return_type}")
    elif funding:
        if not eligible:
            raise InvalidField(
                "/service_id", f"no programme funding this service admits return type {case.return_type}"
            )
        if len(eligible) > 1:
            raise InvalidField("/programme_id", "several programmes fund this service; name the one to use")
        programme = eligible[0]
    if not replica.serves_area(svc, case.governorate_code):
        warnings.append("outside_service_area")

    categories = sorted({str(c) for c in body.data_categories})
    grants = consent.in_force(view.consent_ledger, now)
    cover = consent.covered(grants, categories, svc.organization_id, svc.taxonomy_term_codes)
    missing = [c for c, ids in cover.items() if not ids]
    legal_basis = "consent"
    if missing and body.override is None:
        raise ConsentRequired(
            "No consent in force covers sharing " + ", ".join(missing) + " with this provider.",
            extra={"missing_categories": missing, "provider_org_id": str(svc.organization_id)},
        )
    if body.override is not None:
        legal_basis = "vital_interest"

    ref = repository.new_referral(
        id=uuid.uuid4(),
        case_id=case.id,
        sender_org_id=case.owner_org_id,
        service_id=svc.id,
        provider_org_id=svc.organization_id,
        programme_id=programme.id if programme else None,
        taxonomy_term_code=svc.taxonomy_term_codes[0] if svc.taxonomy_term_codes else None,
        service_taxonomy_codes=list(svc.taxonomy_term_codes),
        funder_countries=sorted(programme.funder_countries) if programme else [],
        status="draft",
        data_categories=categories,
        legal_basis=legal_basis,
        capacity_warning=svc.open_places == 0,
        response_hours=svc.referral_response_hours or ctx.settings.default_response_hours,
        created_by=ctx.actor.username,
        created_at=now,
        updated_at=now,
        version=1,
    )
    audit_rows = []
    if body.override is not None:
        # Sealing reads the case's data key through the session, which begins the request's
        # transaction; the write below joins it, so referral and sealed reason commit together.
        ref.sealed_notes = await ctx.vault.seal_json(
            ctx.session, case.id, f"referral:{ref.id}", {"override_reason": body.override.reason}
        )
        audit_rows.append(
            audit.entry(
                ctx.actor,
                "referral.consent_override",
                now,
                case_id=case.id,
                referral_id=ref.id,
                categories=categories,
                purpose="vital_interest",
                detail={"missing_categories": missing},
            )
        )
    # Sent in the same write: the row is inserted once, already in its sent state.
    event = await _send(ctx, case, ref, cash_kinds=view.cash_overlap(ref.programme_id)) if body.send else None
    if ref.capacity_warning:
        warnings.append("no_capacity")
    detail: dict[str, Any] = {"service_id": str(svc.id), "warnings": warnings}
    audit_rows.append(
        audit.entry(
            ctx.actor,
            "referral.created",
            now,
            case_id=case.id,
            referral_id=ref.id,
            categories=categories,
            detail=detail,
        )
    )
    return ref, case, warnings, audit_rows, event


async def _send(
    ctx: Ctx, case: Case, ref: Referral, *, cash_kinds: list[str] | None = None
) -> contracts.ReferralSent:
    """Mark the referral sent; the caller publishes the event it returns.

    ``cash_kinds``: the cash-overlap signal when the caller has it already (a new referral's view).
    """
    now = ctx.clock.now()
    ref.status = "sent"
    ref.sent_at = now
    ref.sent_by_subject = ctx.actor.subject
    ref.deadline_at = now + timedelta(hours=ref.response_hours)
    return contracts.ReferralSent(
        **event_fields(case, ref),
        legal_basis=ref.legal_basis,
        capacity_warning=ref.capacity_warning,
        deadline_at=ref.deadline_at.isoformat(),
        cash_overlap_kinds=cash_kinds if cash_kinds is not None else await cash_overlap_kinds(ctx, ref),
    )


async def _load(ctx: Ctx, referral_id: uuid.UUID, *, for_update: bool = False) -> tuple[Referral, Case]:
    ref = await ctx.session.get(Referral, referral_id, with_for_update=for_update)
    if ref is None:
        raise NotFound("No such referral.")
    case = await ctx.session.get_one(Case, ref.case_id)
    return ref, case


def _party(ctx: Ctx, ref: Referral, case: Case) -> str | None:
    if is_system(ctx.actor):
        return "system"
    if ctx.actor.has_role(*CASE_WORK) and ctx.actor.org_id == case.owner_org_id:
        return "sender"
    if (
        ctx.actor.has_role(*PROVIDER_WORK)
        and ctx.actor.org_id == ref.provider_org_id
        and ref.status != "draft"
    ):
        return "provider"
    return None


async def get_visible(
    ctx: Ctx, referral_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Referral, Case, str]:
    require(ctx.actor, REFERRAL_READ)
    ref, case = await _load(ctx, referral_id, for_update=for_update)
    party = _party(ctx, ref, case)
    if party is None:
        raise NotFound("No such referral.")
    return ref, case, party


async def transition(
    ctx: Ctx, referral_id: uuid.UUID, action: str, if_match: str | None, **data: Any
) -> tuple[Referral, Case]:
    spec = TRANSITIONS[action]
    if spec.party == "system":
        if not is_system(ctx.actor):
            raise Forbidden("Only the system expires referrals.")
        ref, case = await _load(ctx, referral_id, for_update=True)
    else:
        ref, case, party = await get_visible(ctx, referral_id, for_update=True)
        if not ctx.actor.has_role(*spec.roles) or party != spec.party:
            raise Forbidden(
                f"Only the {spec.party} ({', '.join(spec.roles)}) may {action} a referral.",
                extra={"required_roles": [str(r) for r in spec.roles]},
            )
    if if_match is not None and if_match.strip() not in ("*", f'"{ref.version}"'):
        raise PreconditionFailed(
            "The referral has changed since you read it.",
            extra={"current_etag": f'"{ref.version}"'},
            headers={"ETag": f'"{ref.version}"'},
        )
    if ref.status not in spec.sources:
        raise Conflict(
            f"A referral that is {ref.status} cannot be {spec.target}.",
            slug="illegal-transition",
            extra={"status": ref.status, "allowed_next": allowed_from(ref.status)},
        )
    if case.status == "erased" and action != "expire":
        raise Conflict("This case was erased.", slug="case-erased")
    await apply(ctx, case, ref, action, **data)
    return ref, case


async def apply(ctx: Ctx, case: Case, ref: Referral, action: str, **data: Any) -> None:
    """Make a transition already checked, with its audit entry and event."""
    spec = TRANSITIONS[action]
    now = ctx.clock.now()
    previous = ref.status
    if action == "send":
        await publish(ctx.session, await _send(ctx, case, ref), ref.id)
    ref.status = spec.target
    ref.updated_at = now
    ref.version += 1
    event: contracts.ReferralEvent | None = None
    fields = event_fields(case, ref)
    if action == "accept":
        event = contracts.ReferralAccepted(**fields, cash_overlap_kinds=await cash_overlap_kinds(ctx, ref))
    elif action == "decline":
        ref.decline_reason = str(data["reason"])
        if data.get("reason_text"):
            ref.sealed_notes = await ctx.vault.seal_json(
                ctx.session, case.id, f"referral:{ref.id}", {"decline_text": data["reason_text"]}
            )
        event = contracts.ReferralDeclined(**fields, reason=ref.decline_reason)
    elif action == "start":
        event = contracts.ReferralStarted(**fields)
    elif action == "complete":
        ref.outcome = str(data["outcome"])
        event = contracts.ReferralCompleted(**fields, outcome=ref.outcome)
    elif action == "close":
        ref.close_reason = str(data["reason"])
        event = contracts.ReferralClosed(**fields, reason=ref.close_reason)
    elif action == "revoke":
        ref.revoke_reason = str(data.get("reason") or "sender_revoked")
        event = contracts.ReferralRevoked(**fields, reason=ref.revoke_reason)
    elif action == "expire":
        event = contracts.ReferralExpired(**fields)
    if event is not None:
        await publish(ctx.session, event, ref.id)
    await audit.record(
        ctx.session,
        ctx.actor,
        f"referral.{spec.target}",
        now,
        case_id=case.id,
        referral_id=ref.id,
        detail={
            "from": previous,
            "to": ref.status,
            **{k: str(v) for k, v in data.items() if k != "reason_text"},
        },
    )


async def revoke_uncovered(ctx: Ctx, case: Case, grants: list[ConsentRecord]) -> list[uuid.UUID]:
    """After a withdrawal: revoke every open referral whose shared categories lost their consent."""
    rows = await repository.open_on_consent(ctx.session, case.id)
    revoked = []
    for ref in rows:
        cover = consent.covered(grants, ref.data_categories, ref.provider_org_id, ref.service_taxonomy_codes)
        if all(cover.values()):
            continue
        await apply(ctx, case, ref, "revoke", reason="consent_withdrawn")
        revoked.append(ref.id)
    return revoked


async def record_feedback(
    ctx: Ctx, referral_id: uuid.UUID, delivered: bool, quality: int | None, wait_days: int | None
) -> tuple[Referral, Case]:
    ref, case, party = await get_visible(ctx, referral_id, for_update=True)
    if party != "sender":
        raise Forbidden("The returnee's feedback is recorded by their counsellor.")
    if ref.status != "completed":
        raise Conflict("Feedback is recorded on completed referrals.", extra={"status": ref.status})
    if ref.feedback_delivered is not None:
        raise Conflict("Feedback was already recorded for this referral.")
    ref.feedback_delivered, ref.feedback_quality, ref.feedback_wait_days = delivered, quality, wait_days
    ref.version += 1
    now = ctx.clock.now()
    ref.updated_at = now
    await audit.record(ctx.session, ctx.actor, "referral.feedback", now, case_id=case.id, referral_id=ref.id)
    await publish(
        ctx.session,
        contracts.ReferralFeedbackRecorded(
            **event_fields(case, ref), delivered=delivered, quality=quality, wait_days=wait_days
        ),
        ref.id,
    )
    return ref, case


async def list_visible(ctx: Ctx, status: str | None, limit: int, offset: int) -> list[tuple[Referral, Case]]:
    require(ctx.actor, REFERRAL_READ)
    if ctx.actor.has_role(*CASE_WORK):
        return await repository.of_sender(ctx.session, ctx.actor.org_id, status, limit, offset)
    return await repository.addressed_to(ctx.session, ctx.actor.org_id, status, limit, offset)


async def provider_projection(ctx: Ctx, ref: Referral, case: Case) -> dict[str, Any]:
    """The case as the provider may see it: only categories shared with it and consented now."""
    view: dict[str, Any] = {"reference": case.reference}
    if case.status == "erased" or ref.status not in PROVIDER_READABLE or not ref.data_categories:
        return view
    if ref.legal_basis == "vital_interest":
        allowed = list(ref.data_categories)
    else:
        grants = consent.in_force(await consent.ledger(ctx.session, case.id), ctx.clock.now())
        cover = consent.covered(grants, ref.data_categories, ref.provider_org_id, ref.service_taxonomy_codes)
        allowed = [c for c, ids in cover.items() if ids]
    if not allowed:
        return view
    data = await ctx.vault.read(ctx.session, case.id, allowed)
    await audit.record(
        ctx.session,
        ctx.actor,
        "personal_data.read",
        ctx.clock.now(),
        case_id=case.id,
        referral_id=ref.id,
        categories=sorted(data),
        purpose="referral",
    )
    view.update(data)
    return view


async def suggestions(ctx: Ctx, ref: Referral, case: Case) -> list[Suggestion]:
    found = await replica.alternatives(
        ctx.session,
        exclude_service_id=ref.service_id,
        taxonomy_codes=ref.service_taxonomy_codes,
        return_type=case.return_type,
        governorate=case.governorate_code,
        today=ctx.clock.now().date(),
    )
    return [
        Suggestion(
            service_id=s.id,
            organization_id=s.organization_id,
            name=s.name,
            programme_id=p.id if p else None,
            open_places=s.open_places,
        )
        for s, p in found
    ]


async def to_out(
    ctx: Ctx, ref: Referral, case: Case, party: str, warnings: list[str] | None = None
) -> ReferralOut:
    out = ReferralOut(
        id=ref.id,
        case_id=case.id,
        case_reference=case.reference,
        service_id=ref.service_id,
        provider_org_id=ref.provider_org_id,
        sender_org_id=ref.sender_org_id,
        programme_id=ref.programme_id,
        taxonomy_term_code=ref.taxonomy_term_code,
        funder_countries=ref.funder_countries,
        status=ref.status,
        data_categories=ref.data_categories,
        legal_basis=ref.legal_basis,
        capacity_warning=ref.capacity_warning,
        sent_at=ref.sent_at,
        deadline_at=ref.deadline_at,
        decline_reason=ref.decline_reason,
        outcome=ref.outcome,
        close_reason=ref.close_reason,
        revoke_reason=ref.revoke_reason,
        feedback=(
            {
                "delivered": ref.feedback_delivered,
                "quality": ref.feedback_quality,
                "wait_days": ref.feedback_wait_days,
            }
            if ref.feedback_delivered is not None
            else None
        ),
        version=ref.version,
        created_at=ref.created_at,
        updated_at=ref.updated_at,
        warnings=warnings if warnings is not None else (["no_capacity"] if ref.capacity_warning else []),
        allowed_next=[a for a in allowed_from(ref.status) if a["action"] != "expire"],
    )
    if party == "sender" and ref.status in ("declined", "expired"):
        out.suggestions = await suggestions(ctx, ref, case)
    return out
