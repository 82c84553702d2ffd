"""Demo data: a few invented returnees with consent and referrals in several states.

``hawkari up`` runs the registry first; its events reach this service's replica through NATS. The
seed waits (bounded) for the replica to hold referrable services, then writes through the service
layer as the demo users would. Idempotent: a second run finds the seeded cases and does nothing.
Every name is obviously invented.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from services.referrals import models  # noqa: F401 - registers every table
from services.referrals.cases import service as cases
from services.referrals.cases.models import Case
from services.referrals.cases.schemas import CaseCreate
from services.referrals.clock import Clock, SettableClock
from services.referrals.consent import service as consent
from services.referrals.consent.schemas import ConsentGrant
from services.referrals.context import Ctx
from services.referrals.followups import service as followups
from services.referrals.followups.questions import load_question_set
from services.referrals.followups.schemas import FollowUpCreate, NeedsAssessment
from services.referrals.permissions import SYSTEM
from services.referrals.personal_data.vault import Vault
from services.referrals.referrals import service as referrals
from services.referrals.referrals.schemas import ReferralCreate
from services.referrals.replica import repository as replica
from services.referrals.replica.models import ReplicaService
from services.referrals.settings import ReferralsSettings
from shared.auth import Principal
from shared.db import create_engine, create_sessionmaker
from shared.errors import ProblemError

logger = logging.getLogger("hawkari.referrals.seed")
SEED_PREFIX = "seed:"


def demo_org(slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:" + slug)


def actor(username: str, org_slug: str, role: str) -> Principal:
    return Principal(
        subject=SEED_PREFIX + username,
        username=username,
        org_id=demo_org(org_slug),
        roles=frozenset({role}),
        client_id="seed",
        token="",
    )


def provider(org_id: uuid.UUID) -> Principal:
    return Principal(
        subject=f"{SEED_PREFIX}provider:{org_id}",
        username="demo.provider",
        org_id=org_id,
        roles=frozenset({"provider_caseworker"}),
        client_id="seed",
        token="",
    )


PEOPLE: list[tuple[str, str, dict[str, Any]]] = [
    (
        "counsellor.erbil",
        "mrc-erbil",
        {
            "given": "Demo-Aram",
            "family": "Fakename",
            "gov": "IQ-AR",
            "rt": "voluntary_assisted",
            "g": "male",
            "age": "25-34",
            "ctry": "NO",
        },
    ),
    (
        "counsellor.erbil",
        "mrc-erbil",
        {
            "given": "Demo-Shilan",
            "family": "Inventedova",
            "gov": "IQ-AR",
            "rt": "return_migration_with_permit",
            "g": "female",
            "age": "35-49",
            "ctry": "SE",
        },
    ),
    (
        "counsellor.sulaymaniyah",
        "mrc-sulaymaniyah",
        {
            "given": "Demo-Karwan",
            "family": "Notreal",
            "gov": "IQ-SU",
            "rt": "self_initiated",
            "g": "male",
            "age": "18-24",
            "ctry": "SE",
        },
    ),
    (
        "counsellor.sulaymaniyah",
        "mrc-sulaymaniyah",
        {
            "given": "Demo-Nasrin",
            "family": "Madeup",
            "gov": "IQ-SU",
            "rt": "voluntary_assisted",
            "g": "female",
            "age": "50-64",
            "ctry": "FI",
        },
    ),
    (
        "counsellor.baghdad",
        "mrc-baghdad",
        {
            "given": "Demo-Haidar",
            "family": "Testperson",
            "gov": "IQ-BG",
            "rt": "forced",
            "g": "male",
            "age": "25-34",
            "ctry": "DK",
        },
    ),
    (
        "counsellor.baghdad",
        "mrc-baghdad",
        {
            "given": "Demo-Zainab",
            "family": "Samplename",
            "gov": "IQ-BG",
            "rt": "voluntary_assisted",
            "g": "female",
            "age": "35-49",
            "ctry": "DK",
        },
    ),
]

# The state each seeded referral is walked to, in turn.
STATES = ["sent", "accepted", "in_progress", "completed", "declined", "draft", "closed", "revoked", "expired"]
WALK = {
    "revoked": [],  # the counsellor revokes it (below)
    "expired": [],  # sent as if its deadline had passed, then expired by the system (below)
    "sent": [],
    "draft": [],
    "accepted": [("accept", {})],
    "in_progress": [("accept", {}), ("start", {})],
    "completed": [("accept", {}), ("start", {}), ("complete", {"outcome": "delivered"})],
    "declined": [("decline", {"reason": "no_capacity"})],
    "closed": [("accept", {}), ("close", {"reason": "no_show"})],
}


async def _wait_for_replica(sessions: Any, timeout: float) -> list[ReplicaService]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with sessions() as session:
            rows = await session.execute(
                sa.select(ReplicaService)
                .where(ReplicaService.active.is_(True), ReplicaService.accepts_referrals.is_(True))
                .order_by(ReplicaService.id)
            )
            found = [s for s in rows.scalars() if s.status == "active"]
        if found or loop.time() >= deadline:
            return found
        await asyncio.sleep(0.5)


async def seed(database_url: str, *, replica_timeout: float = 30.0) -> None:
    settings = ReferralsSettings(database_url=database_url)
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    vault, clock = Vault.from_settings(settings), Clock()
    questions = load_question_set(settings.followup_questions_path)
    try:
        async with sessions() as session:
            seeded = await session.execute(
                sa.select(sa.func.count())
                .select_from(Case)
                .where(Case.counsellor_subject.like(SEED_PREFIX + "%"))
            )
            if seeded.scalar_one():
                logger.info("referrals demo data already present")
                return
        services = await _wait_for_replica(sessions, replica_timeout)
        if not services:
            logger.warning("the registry replica is empty; seeding cases and consent without referrals")
        state_index = 0
        # Cases were opened (and consent given) a month ago, so one referral can have been sent
        # long enough ago to have expired, under consent that was already in force then.
        opened = SettableClock()
        opened.advance(-timedelta(days=30))
        for i, (username, slug, p) in enumerate(PEOPLE):
            counsellor = actor(username, slug, "counsellor")
            async with sessions() as session, session.begin():
                ctx = Ctx(session, counsellor, opened, vault, settings)
                case = await cases.open_case(
                    ctx,
                    CaseCreate.model_validate(
                        {
                            "gender": p["g"],
                            "age_band": p["age"],
                            "governorate_code": p["gov"],
                            "country_returned_from": p["ctry"],
                            "return_type": p["rt"],
                            "arrival_date": date(2025, 1 + i, 10).isoformat(),
                            "household_size": 1 + i % 4,
                            "personal": {
                                "identity_contact": {
                                    "given_name": p["given"],
                                    "family_name": p["family"],
                                    "date_of_birth": date(1970 + 5 * i, 1 + i, 1 + i).isoformat(),
                                    "phone": f"+964 750 000 00{i:02d}",
                                    "address": f"{i + 1} Invented Street (demo)",
                                },
                                "documents": {
                                    "document_type": "national_id",
                                    "document_number": f"DEMO-{i:04d}",
                                },
                                "notes": "Demo case with invented data.",
                            },
                        }
                    ),
                )
                codes = sorted({c for s in services for c in s.taxonomy_term_codes})
                orgs = sorted({s.organization_id for s in services})
                await consent.record_grant(
                    ctx,
                    case.id,
                    ConsentGrant.model_validate(
                        {
                            "purposes": ["referral", "follow_up_contact", "statistics"],
                            "data_categories": ["identity_contact", "needs"],
                            "recipient_org_ids": [str(o) for o in orgs],
                            "recipient_categories": codes or ["psychosocial"],
                            "obtained_how": "written",
                            "information_language": "ckb" if slug != "mrc-baghdad" else "ar",
                            "information_version": "2025-01",
                        }
                    ),
                )
                await followups.set_needs(
                    ctx,
                    case.id,
                    NeedsAssessment.model_validate(
                        {
                            "economic": {"level": 1 + i % 3, "needs": ["income"]},
                            "social": {"level": i % 2, "needs": ["housing"]},
                            "psychosocial": {"level": (i + 1) % 4, "needs": ["counselling"]},
                        }
                    ),
                )
                await followups.record(
                    ctx,
                    case.id,
                    FollowUpCreate.model_validate(
                        {
                            "timepoint": "baseline",
                            "answers": {"income_sufficient": i % 5, "distress": (i + 2) % 5},
                        }
                    ),
                    questions,
                )
            for svc in services[i % max(len(services), 1) :][:3] if services else []:
                target = STATES[state_index % len(STATES)]
                try:
                    async with sessions() as session, session.begin():
                        ctx = Ctx(session, counsellor, clock, vault, settings)
                        funding = await replica.programmes_funding(session, svc.id, clock.now().date())
                        eligible = [g for g in funding if replica.programme_admits(g, p["rt"])]
                        if funding and not eligible:
                            continue
                        body = ReferralCreate(
                            service_id=svc.id,
                            programme_id=eligible[0].id if eligible else None,
                            data_categories=["identity_contact"],
                            send=target != "draft",
                        )
                        if target == "expired":
                            # Sent one hour more than the service's answer time ago.
                            past = SettableClock()
                            past.advance(-timedelta(hours=svc.referral_response_hours + 1))
                            ctx = Ctx(session, counsellor, past, vault, settings)
                        ref, _, _ = await referrals.create(ctx, case.id, body)
                        pctx = Ctx(session, provider(svc.organization_id), clock, vault, settings)
                        for action, data in WALK[target]:
                            await referrals.transition(pctx, ref.id, action, None, **data)
                        sender = Ctx(session, counsellor, clock, vault, settings)
                        if target == "revoked":
                            await referrals.transition(
                                sender, ref.id, "revoke", None, reason="sender_revoked"
                            )
                        elif target == "expired":
                            system = Ctx(session, SYSTEM, clock, vault, settings)
                            await referrals.transition(system, ref.id, "expire", None)
                        elif target == "completed":
                            await referrals.record_feedback(sender, ref.id, True, 4, 6)
                    state_index += 1
                except ProblemError as exc:
                    logger.info("seed skipped a referral to %s: %s", svc.id, exc.detail)
        logger.info("referrals demo data seeded")
    finally:
        await engine.dispose()
