"""Rebuilding from the streams gives the same read model; no person and no case id ever lands."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from services.coordination.models import READ_MODEL_TABLES
from services.coordination.rebuild import rebuild
from shared.contracts import referrals as rc
from shared.events import CloudEvent
from shared.testing import RunningServers
from tests.coordination.conftest import (
    ETTC,
    MRC_ERBIL,
    RWANGA,
    Harness,
    Ref,
    demo_directory,
    make_settings,
    serve,
    tid,
)


def mixed_referrals() -> list[Ref]:
    refs = []
    for i in range(40):
        prog, funders, provider = (("se-cash", ["SE"], RWANGA), ("no-cash", ["NO"], ETTC))[i % 2]
        for stage, reason in (
            ("sent", ""),
            ("accepted", ""),
            ("declined", "no_capacity"),
            ("completed", "delivered"),
        )[: 1 + i % 4]:
            refs.append(
                Ref(
                    stage,
                    ("IQ-AR", "IQ-BG", "IQ-NI")[i % 3],
                    "cash-grant",
                    prog,
                    funders,
                    provider,
                    ("forced", "voluntary_assisted")[i % 2],
                    f"2025-0{3 + i % 3}",
                    reason=reason,
                    hours_since_sent=float(i) if stage == "accepted" else None,
                    cash_overlap_kinds=["cash"] if stage in ("sent", "accepted") and i % 5 == 0 else [],
                )
            )
    return refs


def case_events(mark: Callable[[], uuid.UUID]) -> list[tuple[rc.ReferralsEvent, uuid.UUID]]:
    """Follow-ups with their bundles and needs assessments, for cases named by ``mark()``."""
    out: list[tuple[rc.ReferralsEvent, uuid.UUID]] = []
    for i in range(12):
        case = mark()
        d = rc.Dimensions(
            owner_org_id=MRC_ERBIL,
            governorate_code=("IQ-AR", "IQ-NI")[i % 2],
            return_type="forced",
            gender="female",
            age_band="18-24",
        )
        out.append(
            (
                rc.FollowUpRecorded(
                    case_id=case,
                    dimensions=d,
                    follow_up_id=mark(),
                    timepoint=("baseline", "month_3")[i % 2],
                    economic=i / 12,
                    programme_ids=[tid("programme", "se-cash")] if i % 3 else [],
                    taxonomy_term_codes=["cash-grant"] if i % 3 else [],
                ),
                case,
            )
        )
        out.append(
            (
                rc.NeedsAssessed(
                    case_id=case,
                    dimensions=d,
                    levels={"economic": i % 4, "psychosocial": 2},
                    unmet_dimensions=["psychosocial"] if i % 2 else [],
                ),
                case,
            )
        )
    return out


async def dump(h: Harness) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    async with h.app.state.sessionmaker() as s:
        for table in READ_MODEL_TABLES:
            rows = (await s.execute(sa.select(table))).all()
            out[table.name] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


async def answers(h: Harness) -> list[Any]:
    out = []
    for path, params in (
        ("/v1/funnel", {"by": "governorate"}),
        ("/v1/funnel", {"by": "programme", "from": "2025-04-01"}),
        ("/v1/funnel", {"by": "month", "return_type": "forced"}),
        ("/v1/coverage", {}),
        ("/v1/overlap", {}),
        ("/v1/gaps/declines", {}),
        ("/v1/demographics", {}),
        ("/v1/timeline", {}),
        ("/v1/overlap/cash", {"by": "programme"}),
        ("/v1/gaps/needs", {}),
        ("/v1/outcomes", {"by": "bundle"}),
        ("/v1/outcomes", {"by": "programme"}),
    ):
        out.append(await h.json(path, **params))
    return out


async def test_rebuild_from_the_streams_gives_identical_results(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    await harness.refs(mixed_referrals())
    others = case_events(uuid.uuid4)
    for contract, case in others:
        await harness.pub.publish(contract, case)
    await harness.settle()
    before_tables, before_answers = await dump(harness), await answers(harness)
    assert sum(len(v) for v in before_tables.values()) > 30
    for name in ("accept_time_tally", "cash_overlap_tally", "needs_tally", "followup_programme_tally"):
        assert before_tables[name], name

    applied = await rebuild(harness.settings)
    assert applied[harness.settings.referrals_stream] == len(mixed_referrals()) + len(others)
    assert await dump(harness) == before_tables
    assert await answers(harness) == before_answers

    # The live consumer carries on after a rebuild, without counting anything twice.
    extra = Ref("sent", "IQ-AR", "cash-grant", "se-cash", ["SE"], RWANGA, "forced", "2025-03")
    await harness.refs([extra])
    after = await dump(harness)
    grown = [
        (a, b)
        for a, b in zip(after["referral_tally"], before_tables["referral_tally"], strict=False)
        if a != b
    ]
    assert len(after["referral_tally"]) == len(before_tables["referral_tally"]) and len(grown) == 1


async def test_no_case_id_or_personal_data_lands_in_the_database(
    coordination_db: str, servers: RunningServers, idp_url: str, tokens: dict[str, str]
) -> None:
    settings = make_settings(coordination_db, servers, idp_url, consumer_max_deliver=1)
    async with serve(settings, tokens) as h:
        await h.directory(*demo_directory())
        markers: list[uuid.UUID] = []

        def mark() -> uuid.UUID:
            markers.append(uuid.uuid4())
            return markers[-1]

        refs = mixed_referrals()
        for r in refs:
            r.case_id, r.referral_id = mark(), mark()
        await h.refs(refs)
        case = mark()
        d = rc.Dimensions(
            owner_org_id=MRC_ERBIL,
            governorate_code="IQ-AR",
            return_type="forced",
            gender="female",
            age_band="18-24",
        )
        others: list[rc.ReferralsEvent] = [
            rc.CaseOpened(case_id=case, dimensions=d),
            rc.CaseTransferred(case_id=case, dimensions=d, from_org_id=MRC_ERBIL, to_org_id=RWANGA),
            rc.ConsentRecorded(
                case_id=case,
                dimensions=d,
                consent_id=mark(),
                purposes=["referral"],
                data_categories=["needs"],
                legal_basis="consent",
            ),
            rc.ConsentWithdrawn(
                case_id=case,
                dimensions=d,
                consent_id=mark(),
                purposes=["referral"],
                data_categories=["needs"],
                legal_basis="consent",
            ),
            rc.FollowUpRecorded(
                case_id=case,
                dimensions=d,
                follow_up_id=mark(),
                timepoint="baseline",
                economic=0.5,
                social=0.5,
                psychosocial=0.5,
            ),
            rc.DuplicateFlagged(
                case_id=case, dimensions=d, flag_id=mark(), other_case_id=mark(), match="document"
            ),
            rc.DuplicateResolved(
                case_id=case,
                dimensions=d,
                flag_id=mark(),
                other_case_id=mark(),
                match="document",
                resolution="dismissed",
            ),
            rc.ReferralFeedbackRecorded(
                case_id=case,
                dimensions=d,
                referral_id=mark(),
                service_id=tid("service", "x"),
                status="completed",
                data_categories=[],
                delivered=True,
                quality=4,
            ),
            rc.CaseClosed(case_id=case, dimensions=d),
            rc.CaseErased(case_id=case, dimensions=d),
        ]
        for contract in others:
            await h.pub.publish(contract, case)
        for contract, about in case_events(mark):
            await h.pub.publish(contract, about)
        # An event that fails in the handler (a contract that does not validate) is dead-lettered
        # — without its payload, which names a case.
        poison_case = mark()
        poison = CloudEvent(
            id=str(uuid.uuid4()),
            source="/hawkari/referrals",
            type=rc.ReferralSent.event_type,
            subject=str(poison_case),
            time="2025-03-01T00:00:00Z",
            data={"case_id": str(poison_case), "referral_id": str(mark())},
        )
        await h.pub.js.publish(
            h.settings.subject_prefix + "referrals.referral.sent",
            poison.to_json(),
            headers={"Nats-Msg-Id": poison.id},
        )
        await h.settle()
        async with h.app.state.sessionmaker() as s:
            dead = (await s.execute(sa.text("SELECT * FROM dead_letter"))).mappings().one()
            tables = (
                (await s.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
                .scalars()
                .all()
            )
            chunks = []
            for t in tables:
                rows = (await s.execute(sa.text(f'SELECT t::text FROM "{t}" t'))).scalars().all()  # noqa: S608
                chunks += [str(r) for r in rows]
            text = "\n".join(chunks).lower()
        assert "referral_tally" in tables and len(text) > 1000
        for marker in markers:
            for form in (str(marker), marker.hex):
                assert form not in text, f"{form} found in the coordination database"
        for word in ("female", "18-24"):  # dimensions are fine; they are aggregated, never per person
            assert word in text
        # The dead letter keeps the event's own id and type, and where validation failed, no more:
        # not even the fragment of the case id that pydantic's message quotes.
        assert dead["event_id"] == poison.id and dead["subject"].endswith("referrals.referral.sent")
        assert set(dead["envelope"]) == {"specversion", "id", "source", "type", "time"}
        assert dead["error"].startswith("ValidationError(ReferralSent): dimensions: missing")
        assert str(poison_case)[:8] not in str(dict(dead)) and "input" not in dead["error"]
