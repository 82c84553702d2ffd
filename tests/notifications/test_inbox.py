"""Recipients per event type, the inbox API, exactly-once and the forward-only status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from services.notifications.db import inbox
from services.notifications.email.models import EmailDelivery
from services.notifications.inbox.models import InboxItem, ReferralState
from shared.contracts import referrals as rc
from shared.events import make_event
from shared.testing import eventually
from tests.notifications.conftest import ERBIL, RWANGA, Harness, dims, referral


async def test_each_event_reaches_its_audience(harness: Harness) -> None:
    ref, case = uuid.uuid4(), uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, ref, case), str(ref))
    items = await harness.wait_inbox("caseworker.rwanga", 1)
    item = items[0]
    assert item["kind"] == "referral.sent" and item["audience"] == "provider"
    assert item["service_name"] == "Job counselling" and item["organization_name"] == "MRC Erbil"
    assert item["case_reference"] == "C-" + case.hex[:8].upper()
    assert item["link"] == f"http://portal.test/referrals/{ref}"
    assert len(await harness.inbox("admin.rwanga")) == 1  # provider admins share the queue
    assert await harness.inbox("counsellor.erbil") == []  # the referrer is not told of its own send
    assert await harness.inbox("caseworker.ettc") == []  # another provider sees nothing
    assert await harness.inbox("funder.se") == []

    for cls in (rc.ReferralReminderDue, rc.ReferralRevoked):
        await harness.pub.publish(referral(cls, ref, case), str(ref))
    for cls in (rc.ReferralAccepted, rc.ReferralDeclined, rc.ReferralStarted, rc.ReferralCompleted):
        await harness.pub.publish(referral(cls, ref, case), str(ref))
    await harness.pub.publish(referral(rc.ReferralExpired, uuid.uuid4(), case), str(ref))
    provider = await harness.wait_inbox("caseworker.rwanga", 3)
    assert {i["kind"] for i in provider} == {"referral.sent", "referral.reminder_due", "referral.revoked"}
    referrer = await harness.wait_inbox("counsellor.erbil", 5)
    assert {i["kind"] for i in referrer} == {
        "referral.accepted",
        "referral.declined",
        "referral.started",
        "referral.completed",
        "referral.expired",
    }
    assert (
        next(i for i in referrer if i["kind"] == "referral.accepted")["organization_name"]
        == "Rwanga Foundation"
    )

    # Consent withdrawn: the case's counsellors and every provider with an open referral hear.
    open_ref, case2 = uuid.uuid4(), uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, open_ref, case2), str(open_ref))
    await harness.wait_inbox("caseworker.rwanga", 1, referral_id=str(open_ref))
    withdrawn = rc.ConsentWithdrawn(
        case_id=case2,
        dimensions=dims(provider=None),
        consent_id=uuid.uuid4(),
        purposes=["referral"],
        data_categories=["contact"],
        legal_basis="consent",
    )
    await harness.pub.publish(withdrawn, str(case2))
    await harness.wait_inbox("counsellor.erbil", 1, kind="consent.withdrawn")
    await harness.wait_inbox("caseworker.rwanga", 1, kind="consent.withdrawn")
    assert await harness.inbox("caseworker.ettc") == []


async def test_inbox_reading_filters_and_privacy(harness: Harness) -> None:
    for _ in range(3):
        ref = uuid.uuid4()
        await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))
    items = await harness.wait_inbox("caseworker.rwanga", 3)
    count = await harness.get("caseworker.rwanga", "/v1/inbox/unread-count")
    assert count.json() == {"unread": 3}

    r = await harness.post("caseworker.rwanga", f"/v1/inbox/{items[0]['id']}/read")
    assert r.status_code == 204
    assert (await harness.get("caseworker.rwanga", "/v1/inbox/unread-count")).json() == {"unread": 2}
    assert len(await harness.inbox("caseworker.rwanga", unread="true")) == 2
    # Read marks are per person: the admin of the same organization still has three unread.
    assert (await harness.get("admin.rwanga", "/v1/inbox/unread-count")).json() == {"unread": 3}
    r = await harness.post("caseworker.rwanga", "/v1/inbox/read-all")
    assert r.json() == {"marked": 2}
    assert (await harness.get("caseworker.rwanga", "/v1/inbox/unread-count")).json() == {"unread": 0}
    assert len(await harness.inbox("caseworker.rwanga", kind="referral.sent")) == 3
    assert await harness.inbox("caseworker.rwanga", kind="referral.accepted") == []

    # Someone else's item or inbox does not exist for the caller.
    assert (await harness.get("caseworker.ettc", f"/v1/inbox/{items[0]['id']}")).status_code == 404
    assert (await harness.post("caseworker.ettc", f"/v1/inbox/{items[0]['id']}/read")).status_code == 404
    other = await harness.get("caseworker.ettc", "/v1/users/some-other-subject/inbox")
    assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"
    assert (await harness.get("caseworker.rwanga", "/v1/users/me/inbox")).status_code == 200

    bad = await harness.get("caseworker.rwanga", "/v1/inbox", params={"kind": "referral.exploded"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#query/kind/0"
    assert (await harness.get("caseworker.rwanga", "/v1/inbox", params={"limit": 0})).status_code == 422
    assert (await harness.http.get("/v1/inbox")).status_code == 401


async def test_exactly_once_under_redelivery(harness: Harness, smtp: object) -> None:
    assert await harness.inbox("caseworker.rwanga") == []  # the caseworker is known (and has an address)
    ref, case = uuid.uuid4(), uuid.uuid4()
    event = make_event(referral(rc.ReferralSent, ref, case), subject=str(ref))
    # The same event three times under different message ids, so JetStream cannot drop the copies.
    for _ in range(3):
        await harness.pub.publish_event("referrals.referral.sent", event, msg_id=str(uuid.uuid4()))
    await harness.wait_inbox("caseworker.rwanga", 1)
    # And the handler applied twice outside the consumer inbox: the unique keys still hold.
    notifier = harness.app.state.deliveries  # noqa: F841 - the app is running its workers
    from services.notifications.consumers import ReferralNotifier

    handler = ReferralNotifier(harness.settings, harness.clock)
    for _ in range(2):
        async with harness.app.state.sessionmaker() as session, session.begin():
            await handler(session, event)
    await harness.tick()
    async with harness.app.state.sessionmaker() as session:
        items = await session.scalar(sa.select(sa.func.count()).select_from(InboxItem))
        emails = (await session.execute(sa.select(EmailDelivery.address))).scalars().all()
    assert items == 1
    # The caseworker and the organization's contact address, once each.
    assert sorted(emails) == ["caseworker.rwanga@demo.hawkari.invalid", "info@rwanga.example"]
    assert len(await harness.inbox("caseworker.rwanga")) == 1


async def test_a_late_event_never_moves_the_status_back(harness: Harness) -> None:
    ref, case = uuid.uuid4(), uuid.uuid4()
    early = datetime.now(UTC) - timedelta(minutes=5)
    await harness.pub.publish(referral(rc.ReferralSent, ref, case), str(ref))
    await harness.pub.publish(referral(rc.ReferralCompleted, ref, case), str(ref))
    await harness.wait_inbox("counsellor.erbil", 1)
    # "accepted" arrives last although it happened first.
    late = make_event(referral(rc.ReferralAccepted, ref, case), subject=str(ref))
    late = late.model_copy(update={"time": early.isoformat().replace("+00:00", "Z")})
    await harness.pub.publish_event("referrals.referral.accepted", late)
    items = await harness.wait_inbox("counsellor.erbil", 2)
    assert {i["referral_status"] for i in items} == {"completed"}
    provider = await harness.inbox("caseworker.rwanga")
    assert provider[0]["referral_status"] == "completed"

    async def no_org() -> bool:
        return True

    await eventually(no_org)
    assert RWANGA != ERBIL


async def test_messages_quote_the_reference_the_referrals_service_gave_the_case(harness: Harness) -> None:
    ref, case = uuid.uuid4(), uuid.uuid4()
    sent = referral(rc.ReferralSent, ref, case, case_reference="HK-ABCD-EFGH")
    await harness.pub.publish(sent, str(ref))
    items = await harness.wait_inbox("caseworker.rwanga", 1)
    assert [i["case_reference"] for i in items] == ["HK-ABCD-EFGH"]


async def test_a_step_that_reaches_nobody_is_recorded(harness: Harness) -> None:
    # No owning organization and no referrer: nobody to tell, but the status is kept and the event
    # counts as handled (the consumer's inbox holds it).
    ref = uuid.uuid4()
    event = await harness.pub.publish(
        referral(rc.ReferralAccepted, ref, uuid.uuid4(), dimensions=dims(owner=None)), str(ref)
    )

    async def recorded() -> bool:
        async with harness.app.state.sessionmaker() as session:
            return bool(await session.scalar(sa.select(sa.func.count()).where(inbox.c.event_id == event.id)))

    await eventually(recorded)
    async with harness.app.state.sessionmaker() as session:
        assert (await session.get(ReferralState, ref)).status == "accepted"  # type: ignore[union-attr]
        assert await session.scalar(sa.select(sa.func.count()).select_from(InboxItem)) == 0
