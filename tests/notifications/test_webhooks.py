"""Signed webhooks: registration rules, signatures, retry with backoff, disable, recovery, redeliver."""

from __future__ import annotations

import ipaddress
import json
import socket
import uuid
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.webhooks import urls
from shared.contracts import referrals as rc
from shared.testing import eventually
from tests.notifications.conftest import Harness, Receiver, referral

SENT = rc.ReferralSent.event_type


async def _register(h: Harness, url: str, types: list[str]) -> dict[str, object]:
    r = await h.post("admin.rwanga", "/v1/webhooks", json={"url": url, "event_types": types})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_deliveries_are_signed_cloudevents(harness: Harness, receiver: Receiver) -> None:
    endpoint = await _register(harness, receiver.url, [SENT])
    secret = str(endpoint["secret"])
    assert secret.startswith("whsec_")
    listed = (await harness.get("admin.rwanga", "/v1/webhooks")).json()
    assert listed[0]["id"] == endpoint["id"] and "secret" not in listed[0]  # shown once
    assert (await harness.post("caseworker.rwanga", "/v1/webhooks", json={})).status_code == 403
    assert (await harness.get("caseworker.ettc", f"/v1/webhooks/{endpoint['id']}")).status_code == 403

    ref = uuid.uuid4()
    event = await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))
    await harness.pub.publish(referral(rc.ReferralAccepted, ref, uuid.uuid4()), str(ref))  # not subscribed

    async def arrived() -> bool:
        return len(receiver.requests) >= 1

    await eventually(arrived)
    request = receiver.requests[0]
    payload = Webhook(secret).verify(request["body"], request["headers"])
    assert payload == json.loads(event.to_json())  # the CloudEvent itself
    assert request["headers"]["webhook-id"] == event.id
    with pytest.raises(Exception):  # noqa: B017 - any verification failure
        Webhook("whsec_" + "A" * 44).verify(request["body"], request["headers"])
    await harness.tick()
    assert len(receiver.requests) == 1


async def test_bad_endpoints_are_refused(harness: Harness) -> None:
    cases = {
        "ftp://partner.example/hook": "/url",
        "https://user:pw@partner.example/hook": "/url",
        "https:///nohost": "/url",
    }
    for url, pointer in cases.items():
        r = await harness.post("admin.rwanga", "/v1/webhooks", json={"url": url, "event_types": [SENT]})
        assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == pointer, url
    r = await harness.post(
        "admin.rwanga",
        "/v1/webhooks",
        json={"url": "https://partner.example/h", "event_types": ["org.evil.v1"]},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/event_types/0"
    r = await harness.post(
        "admin.rwanga", "/v1/webhooks", json={"url": "https://partner.example/h", "event_types": []}
    )
    assert r.status_code == 422
    big = await harness.post(
        "admin.rwanga", "/v1/webhooks", json={"url": "https://p.example/" + "a" * 3000, "event_types": [SENT]}
    )
    assert big.status_code == 422
    # Private, loopback and link-local targets, unless the setting allows them (it does in these tests).
    for url in ("http://127.0.0.1/h", "http://10.1.2.3/h", "http://169.254.169.254/latest", "http://[::1]/h"):
        with pytest.raises(urls.UnsafeUrl):
            await urls.check(url, allow_private=False)
    with pytest.raises(urls.UnsafeUrl):
        await urls.check("http://localhost:8080/h", allow_private=False)
    await urls.check("http://127.0.0.1/h", allow_private=True)
    await urls.check("https://93.184.215.14/h", allow_private=False)


async def test_outage_retries_disables_tells_admins_and_recovers(
    harness: Harness, receiver: Receiver
) -> None:
    endpoint = await _register(harness, receiver.url, [SENT])
    receiver.status = 503
    refs = [uuid.uuid4() for _ in range(2)]
    for ref in refs:
        await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))

    async def tried_twice() -> bool:
        return len(receiver.requests) >= 2

    await eventually(tried_twice)
    await harness.tick()
    assert len(receiver.requests) == 2  # the next attempt waits for its backoff
    log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
    assert {d["status"] for d in log} == {"pending"} and all(d["last_status_code"] == 503 for d in log)
    first_delay = min(d["next_attempt_at"] for d in log)
    await harness.tick(timedelta(seconds=10))  # past the first backoff (5 s · jitter)

    async def disabled() -> bool:
        r = await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}")
        return r.json()["enabled"] is False

    await eventually(disabled)  # three consecutive failures
    notice = await harness.wait_inbox("admin.rwanga", 1, kind="webhook.disabled")
    assert notice[0]["audience"] == "admin" and notice[0]["status"] == "disabled"
    assert await harness.inbox("caseworker.rwanga", kind="webhook.disabled") == []  # admins only
    attempts_when_disabled = len(receiver.requests)
    await harness.tick(timedelta(hours=1))
    assert len(receiver.requests) == attempts_when_disabled  # a disabled endpoint gets nothing

    # Recovery: the partner is back and the admin re-enables; every pending delivery goes out once.
    receiver.status = 204
    r = await harness.http.patch(
        f"/v1/webhooks/{endpoint['id']}", headers=harness.auth("admin.rwanga"), json={"enabled": True}
    )
    assert r.status_code == 200 and r.json()["consecutive_failures"] == 0
    await harness.tick(timedelta(hours=1))

    async def succeeded() -> bool:
        log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
        return {d["status"] for d in log} == {"succeeded"}

    await eventually(succeeded)
    ok = [r for r in receiver.requests[attempts_when_disabled:]]
    assert len(ok) == 2 and len({r["headers"]["webhook-id"] for r in ok}) == 2
    log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
    assert all(len(d["log"]) == d["attempts"] and d["log"][-1]["status_code"] == 204 for d in log)
    assert first_delay

    # Redeliver on request: the same event (same webhook-id) once more.
    before = len(receiver.requests)
    r = await harness.post(
        "admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries/{log[0]['id']}/redeliver"
    )
    assert r.status_code == 202

    async def again() -> bool:
        return len(receiver.requests) == before + 1

    await eventually(again)
    assert receiver.requests[-1]["headers"]["webhook-id"] == log[0]["event_id"]
    missing = await harness.post(
        "admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries/{uuid.uuid4()}/redeliver"
    )
    assert missing.status_code == 404


async def test_deliveries_give_up_after_the_retry_window(harness: Harness, receiver: Receiver) -> None:
    await _register(harness, receiver.url, [SENT])
    harness.app.state.settings.webhook_max_consecutive_failures = 1000
    receiver.status = 500
    ref = uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))

    async def tried() -> bool:
        return len(receiver.requests) >= 1

    await eventually(tried)
    for _ in range(30):
        await harness.tick(timedelta(hours=1))
    async with harness.app.state.sessionmaker() as s:
        from sqlalchemy import select

        from services.notifications.webhooks.models import WebhookDelivery

        delivery = (await s.execute(select(WebhookDelivery))).scalar_one()
    assert delivery.status == "failed" and 3 <= delivery.attempts <= 30


async def test_secret_rotation_signs_with_both_during_the_grace_period(
    harness: Harness, receiver: Receiver
) -> None:
    endpoint = await _register(harness, receiver.url, [SENT])
    old = str(endpoint["secret"])
    path = f"/v1/webhooks/{endpoint['id']}/secret/rotate"
    assert (await harness.post("caseworker.rwanga", path)).status_code == 403
    assert (await harness.post("admin.rwanga", path, json={"grace_hours": -1})).status_code == 422
    r = await harness.post("admin.rwanga", path, json={"grace_hours": 2})
    assert r.status_code == 200, r.text
    new = str(r.json()["secret"])
    assert new.startswith("whsec_") and new != old and r.json()["previous_secret_expires_at"]
    shown = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}")).json()
    assert "secret" not in shown and shown["secret_rotated_at"]

    async def deliver() -> dict[str, Any]:
        before = len(receiver.requests)
        ref = uuid.uuid4()
        await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))

        async def arrived() -> bool:
            return len(receiver.requests) > before

        await eventually(arrived)
        return receiver.requests[-1]

    # In the grace period: two signatures; a receiver holding either secret verifies.
    request = await deliver()
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(request["body"], request["headers"])["type"] == SENT

    # After it: the new secret only.
    harness.clock.advance(timedelta(hours=2, minutes=1))
    request = await deliver()
    assert len(request["headers"]["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(request["body"], request["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(request["body"], request["headers"])

    # A rotation without grace (a leaked secret): the old one stops signing at once.
    r = await harness.post("admin.rwanga", path, json={"grace_hours": 0})
    newest = str(r.json()["secret"])
    request = await deliver()
    Webhook(newest).verify(request["body"], request["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(request["body"], request["headers"])


async def test_delivery_connects_only_to_the_address_it_checked(harness: Harness, receiver: Receiver) -> None:
    # A name, not an address: the attempt resolves it once and connects to that very address,
    # keeping the name in the Host header.
    port = receiver.url.split(":")[2].split("/")[0]
    named = f"http://localhost:{port}/hooks"
    endpoint = await _register(harness, named, [SENT])
    ref = uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))

    async def arrived() -> bool:
        return len(receiver.requests) >= 1

    await eventually(arrived)
    assert receiver.requests[0]["headers"]["host"] == f"localhost:{port}"

    async def settled() -> bool:
        log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
        return bool(log[0]["log"])

    await eventually(settled)
    log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
    assert log[0]["log"][0]["address"] == "127.0.0.1"

    # Private addresses now refused (production's setting): the check runs again at delivery, on the
    # address resolved for the connection, so the endpoint registered earlier gets nothing.
    harness.app.state.settings.webhook_allow_private = False
    ref = uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))

    async def refused() -> bool:
        log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
        return any(d["last_error"] and d["last_error"].startswith("refused") for d in log)

    await eventually(refused)
    assert len(receiver.requests) == 1
    # Loopback by any spelling; and a name that is not "localhost" but resolves to loopback (this
    # machine's own name, where it does) is refused by the address it resolves to.
    for url in (f"http://localhost.:{port}/h", f"http://127.0.0.1:{port}/h", f"http://[::1]:{port}/h"):
        with pytest.raises(urls.UnsafeUrl):
            await urls.pin(url, allow_private=False)
    loopback_name = socket.gethostname()
    resolved = {info[4][0] for info in socket.getaddrinfo(loopback_name, None)}
    if resolved and all(ipaddress.ip_address(a).is_loopback for a in resolved):
        with pytest.raises(urls.UnsafeUrl, match="private"):
            await urls.pin(f"http://{loopback_name}:{port}/h", allow_private=False)
    r = await harness.post("admin.rwanga", "/v1/webhooks", json={"url": named, "event_types": [SENT]})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/url"
