"""The demo seed: idempotent, several referral states, and it copes with an empty replica."""

from __future__ import annotations

import sqlalchemy as sa

from services.referrals.seed import seed
from shared.testing import RunningServers
from tests.referrals.conftest import Harness


async def test_seed_is_idempotent_and_covers_several_states(harness: Harness) -> None:
    await seed(harness.url)
    await seed(harness.url)
    async with harness.app.state.sessionmaker() as session:
        cases = (await session.execute(sa.text('SELECT count(*) FROM "case"'))).scalar_one()
        states = {r[0] for r in await session.execute(sa.text("SELECT DISTINCT status FROM referral"))}
    assert cases == 6
    assert {"draft", "sent", "accepted", "in_progress", "completed", "declined", "closed"} <= states
    assert {"revoked", "expired"} <= states
    async with harness.app.state.sessionmaker() as session:
        feedback = await session.execute(sa.text("SELECT count(*) FROM referral WHERE feedback_quality = 4"))
        assert feedback.scalar_one() >= 1
        needs = await session.execute(
            sa.text("SELECT count(*) FROM outbox_event WHERE type = 'org.hawkari.needs.assessed.v1'")
        )
        assert needs.scalar_one() == cases
    listed = (await harness.api.get("counsellor.erbil", "/cases")).json()
    assert len(listed) == 2


async def test_seed_without_a_replica_seeds_cases_only(referrals_db: str, servers: RunningServers) -> None:
    await seed(referrals_db, replica_timeout=0.2)
    from shared.db import create_engine

    engine = create_engine(referrals_db)
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text('SELECT count(*) FROM "case"'))).scalar_one() == 6
        assert (await conn.execute(sa.text("SELECT count(*) FROM referral"))).scalar_one() == 0
    await engine.dispose()
