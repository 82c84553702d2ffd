"""Needs assessments (encrypted, category 'needs') and scored outcome follow-ups."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from services.referrals.audit import service as audit
from services.referrals.cases.service import get_case, require_live
from services.referrals.context import Ctx
from services.referrals.events import case_dimensions, publish
from services.referrals.followups.models import FollowUp
from services.referrals.followups.questions import QuestionSet
from services.referrals.followups.schemas import FollowUpCreate, NeedsAssessment
from services.referrals.referrals import repository as referrals
from services.referrals.replica import repository as replica
from shared.contracts.referrals import FollowUpRecorded, NeedsAssessed
from shared.errors import Conflict, InvalidField

DIMENSIONS = ("economic", "social", "psychosocial")


async def set_needs(ctx: Ctx, case_id: uuid.UUID, body: NeedsAssessment) -> dict[str, Any]:
    case = await get_case(ctx, case_id, for_update=True)
    require_live(case)
    now = ctx.clock.now()
    value = body.model_dump(mode="json", exclude_none=True)
    await ctx.vault.write(ctx.session, case.id, "needs", value, now)
    await audit.record(ctx.session, ctx.actor, "needs.assessed", now, case_id=case.id, categories=["needs"])
    # The event carries levels only: need codes and notes stay sealed in the case.
    levels = {d: need.level for d in DIMENSIONS if (need := getattr(body, d)) is not None}
    served = await replica.dimensions_served(ctx.session, case.governorate_code, case.return_type, now.date())
    await publish(
        ctx.session,
        NeedsAssessed(
            case_id=case.id,
            dimensions=case_dimensions(case),
            levels=levels,
            unmet_dimensions=[d for d, level in levels.items() if level >= 1 and d not in served],
        ),
        case.id,
    )
    return value


async def record(ctx: Ctx, case_id: uuid.UUID, body: FollowUpCreate, questions: QuestionSet) -> FollowUp:
    case = await get_case(ctx, case_id, for_update=True)
    require_live(case)
    problems = questions.validate_answers(body.answers)
    if problems:
        raise InvalidField(problems)
    exists = await ctx.session.execute(
        sa.select(FollowUp.id).where(FollowUp.case_id == case.id, FollowUp.timepoint == str(body.timepoint))
    )
    if exists.first() is not None:
        raise Conflict(f"The {body.timepoint} follow-up of this case is already recorded.")
    scores = questions.scores(body.answers)
    now = ctx.clock.now()
    bundle = await referrals.taken(ctx.session, case.id)
    followup = FollowUp(
        id=uuid.uuid4(),
        case_id=case.id,
        timepoint=str(body.timepoint),
        question_set=questions.id,
        sealed_answers=await ctx.vault.seal_json(ctx.session, case.id, "follow_up", body.answers),
        economic=scores["economic"],
        social=scores["social"],
        psychosocial=scores["psychosocial"],
        recorded_by=ctx.actor.username,
        recorded_at=now,
    )
    ctx.session.add(followup)
    await ctx.session.flush()
    await audit.record(
        ctx.session,
        ctx.actor,
        "follow_up.recorded",
        now,
        case_id=case.id,
        detail={"follow_up_id": str(followup.id), "timepoint": followup.timepoint},
    )
    await publish(
        ctx.session,
        FollowUpRecorded(
            case_id=case.id,
            dimensions=case_dimensions(case),
            follow_up_id=followup.id,
            timepoint=followup.timepoint,
            economic=followup.economic,
            social=followup.social,
            psychosocial=followup.psychosocial,
            programme_ids=list(dict.fromkeys(p for p, _ in bundle if p is not None)),
            taxonomy_term_codes=list(dict.fromkeys(t for _, t in bundle if t is not None)),
        ),
        case.id,
    )
    return followup


async def list_for_case(ctx: Ctx, case_id: uuid.UUID) -> list[FollowUp]:
    case = await get_case(ctx, case_id)
    rows = await ctx.session.execute(
        sa.select(FollowUp).where(FollowUp.case_id == case.id).order_by(FollowUp.recorded_at)
    )
    return list(rows.scalars())
