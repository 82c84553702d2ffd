"""A message that always fails: bounded redelivery, then a dead letter that keeps ids and codes
only; the events behind it are not held up."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.notifications.db import dead_letter, inbox
from shared.contracts import referrals as rc
from shared.events import make_event
from shared.testing import RunningServers, eventually
from tests.notifications.conftest import Harness, referral, start_harness

MARKER = "Zhilwan-Q7X-PERSONAL"
MAX_DELIVER = 3


@pytest.fixture
async def strict(
    notifications_db: str, servers: RunningServers, idp_url: str, tokens: dict[str, str], tmp_path: Path
) -> AsyncIterator[Harness]:
    from shared.processes import free_port

    # One puller, so "not blocked" means the failing message really stood in the way.
    async for h in start_harness(
        notifications_db,
        servers,
        idp_url,
        tokens,
        free_port(),
        consumer_max_deliver=MAX_DELIVER,
        consumer_concurrency=1,
    ):
        yield h


async def test_a_poison_message_is_dead_lettered_without_personal_data(strict: Harness) -> None:
    h = strict
    bad_ref, case = uuid.uuid4(), uuid.uuid4()
    event = make_event(referral(rc.ReferralSent, bad_ref, case), subject=str(bad_ref))
    # A producer bug: free text (a name) where ids and codes belong. The envelope is fine, so the
    # consumer tries the handler, which fails on every delivery.
    data = {**event.data, "service_id": f"{MARKER} Karim", "status": MARKER}
    poison = event.model_copy(update={"data": data})
    await h.pub.publish_event("referrals.referral.sent", poison)
    good = uuid.uuid4()
    await h.pub.publish(referral(rc.ReferralSent, good, uuid.uuid4()), str(good))

    # The good one behind it is not held up by the poison's redeliveries (backoff 0.5 s, 1 s, ...).
    items = await h.wait_inbox("caseworker.rwanga", 1)
    assert [i["referral_id"] for i in items] == [str(good)]

    async def dead() -> bool:
        async with h.app.state.sessionmaker() as s:
            return bool(await s.scalar(sa.select(sa.func.count()).select_from(dead_letter)))

    await eventually(dead, timeout=15)
    async with h.app.state.sessionmaker() as s:
        row = (await s.execute(sa.select(dead_letter))).mappings().one()
        handled = (await s.execute(sa.select(inbox.c.event_id))).scalars().all()
    assert row["event_id"] == poison.id and row["deliveries"] == MAX_DELIVER
    assert row["consumer"] == h.settings.referrals_consumer
    assert poison.id not in handled  # never applied, not even in part
    # What the row keeps: where and what failed, and the ids to find the referral and case again.
    assert row["error"].startswith("ValidationError(ReferralSent)")
    assert "service_id: uuid_parsing" in row["error"]
    assert row["envelope"]["id"] == poison.id and row["envelope"]["type"] == rc.ReferralSent.event_type
    assert row["envelope"]["data_ids"] == {"case_id": str(case), "referral_id": str(bad_ref)}
    assert MARKER not in json.dumps({k: str(v) for k, v in row.items()})

    # Terminated: no further delivery, and the consumer goes on with new events.
    later = uuid.uuid4()
    await h.pub.publish(referral(rc.ReferralSent, later, uuid.uuid4()), str(later))
    await h.wait_inbox("caseworker.rwanga", 2)
    async with h.app.state.sessionmaker() as s:
        assert await s.scalar(sa.select(sa.func.count()).select_from(dead_letter)) == 1
