"""The live stream, email in each language, digests, preferences and an SMTP outage."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.notifications.email.models import EmailDelivery
from services.notifications.smtp_sink import SmtpSink
from shared.contracts import referrals as rc
from shared.testing import RunningServers, eventually
from tests.notifications.conftest import Harness, referral, start_harness


async def _next_sse(lines: Any) -> tuple[str, dict[str, Any]]:
    event, data = "", ""
    async for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
        elif line == "" and data:
            return event, json.loads(data)
    raise AssertionError("stream ended")


async def test_sse_streams_new_items_to_their_audience_only(harness: Harness) -> None:
    async with (
        httpx.AsyncClient(base_url=harness.base_url, timeout=10) as http,
        http.stream("GET", "/v1/inbox/stream", headers=harness.auth("caseworker.rwanga")) as mine,
        http.stream("GET", "/v1/inbox/stream", headers=harness.auth("caseworker.ettc")) as theirs,
    ):
        if True:
            assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/event-stream")
            lines, other_lines = mine.aiter_lines(), theirs.aiter_lines()
            assert await _next_sse(lines) == ("ready", {"unread": 0})
            assert (await _next_sse(other_lines))[0] == "ready"
            ref = uuid.uuid4()
            await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))
            kind, item = await asyncio.wait_for(_next_sse(lines), 10)
            assert (
                kind == "inbox_item" and item["kind"] == "referral.sent" and item["referral_id"] == str(ref)
            )
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(_next_sse(other_lines), 0.5)


async def _set_prefs(h: Harness, user: str, **body: Any) -> dict[str, Any]:
    r = await h.http.put("/v1/preferences/me", headers=h.auth(user), json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_email_in_each_language_with_rtl(harness: Harness, smtp: SmtpSink) -> None:
    await _set_prefs(harness, "caseworker.rwanga", language="ar")
    await _set_prefs(harness, "admin.rwanga", language="ckb")
    ref = uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))

    async def three() -> bool:
        return len(smtp.messages) >= 3

    await eventually(three, timeout=10)
    by_rcpt = {m["X-Hawkari-Rcpt"]: m for m in smtp.messages}
    assert set(by_rcpt) == {
        "caseworker.rwanga@demo.hawkari.invalid",
        "admin.rwanga@demo.hawkari.invalid",
        "info@rwanga.example",  # the organization's contact from the registry
    }
    expected = {
        "caseworker.rwanga@demo.hawkari.invalid": ("ar", "rtl", "إحالة جديدة", "الإرشاد المهني"),
        "admin.rwanga@demo.hawkari.invalid": ("ckb", "rtl", "ڕەوانەکردنی نوێ", "ڕاوێژی کار"),
        "info@rwanga.example": ("en", "ltr", "New referral", "Job counselling"),
    }
    for rcpt, (lang, direction, phrase, service) in expected.items():
        msg = by_rcpt[rcpt]
        assert msg["Content-Language"] == lang
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert phrase in str(msg["Subject"]) and phrase in text and service in html
        assert f'<html lang="{lang}" dir="{direction}">' in html
        assert f"http://portal.test/referrals/{ref}" in text
    await asyncio.sleep(0.3)
    assert len(smtp.messages) == 3  # once each


async def test_preferences_validation_mute_and_digest(harness: Harness, smtp: SmtpSink) -> None:
    bad = await harness.http.put(
        "/v1/preferences/me",
        headers=harness.auth("caseworker.rwanga"),
        json={"channels": {"referral.sent": {"sms": True}, "referral.teleported": {"email": True}}},
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert {e["pointer"] for e in bad.json()["errors"]} == {
        "/channels/referral.sent/sms",
        "/channels/referral.teleported",
    }
    wrong_lang = await harness.http.put(
        "/v1/preferences/me", headers=harness.auth("caseworker.rwanga"), json={"language": "xx"}
    )
    assert wrong_lang.status_code == 422
    got = await _set_prefs(
        harness,
        "caseworker.rwanga",
        language="en",
        daily_digest=True,
        channels={"referral.reminder_due": {"inbox": False}},
    )
    assert got["email_known"] and got["channels"]["referral.reminder_due"] == {"inbox": False, "email": True}

    ref, case = uuid.uuid4(), uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, ref, case), str(ref))
    await harness.pub.publish(referral(rc.ReferralReminderDue, ref, case), str(ref))
    await harness.wait_inbox("admin.rwanga", 2)
    mine = await harness.inbox("caseworker.rwanga")
    assert [i["kind"] for i in mine] == ["referral.sent"]  # reminders muted in this user's inbox

    async def contact_mails() -> bool:
        return len(smtp.messages) >= 2

    await eventually(contact_mails)  # the organization's contact gets both at once
    rcpts = [m["X-Hawkari-Rcpt"] for m in smtp.messages]
    assert "caseworker.rwanga@demo.hawkari.invalid" not in rcpts  # held for the digest
    await harness.tick(timedelta(days=1, hours=1))

    async def digest() -> bool:
        return any(m["X-Hawkari-Rcpt"] == "caseworker.rwanga@demo.hawkari.invalid" for m in smtp.messages)

    await eventually(digest)
    mail = next(m for m in smtp.messages if m["X-Hawkari-Rcpt"] == "caseworker.rwanga@demo.hawkari.invalid")
    assert "daily Hawkari digest (2)" in str(mail["Subject"])
    await harness.tick(timedelta(hours=1))
    assert sum(m["X-Hawkari-Rcpt"] == "caseworker.rwanga@demo.hawkari.invalid" for m in smtp.messages) == 1


async def test_smtp_outage_delays_but_loses_nothing(
    notifications_db: str, servers: RunningServers, idp_url: str, tokens: dict[str, str], tmp_path: Path
) -> None:
    from shared.processes import free_port

    port = free_port()  # nothing listens here yet: the relay is down
    async for h in start_harness(notifications_db, servers, idp_url, tokens, port):
        refs = [uuid.uuid4() for _ in range(3)]
        for ref in refs:
            await h.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))
        await h.wait_inbox("caseworker.rwanga", 3)

        async def tried(h: Harness = h) -> bool:
            async with h.app.state.sessionmaker() as s:
                rows = (await s.execute(sa.select(EmailDelivery))).scalars().all()
                return len(rows) == 3 and all(r.attempts >= 1 and r.status == "pending" for r in rows)

        await eventually(tried)
        sink = SmtpSink(tmp_path / "mail", port=port)
        sink.start()
        try:
            await h.tick(timedelta(hours=1))

            async def delivered(sink: SmtpSink = sink) -> bool:
                return len(sink.messages) >= 3

            await eventually(delivered)
            await h.tick(timedelta(hours=1))
            subjects = sorted(str(m["Subject"]) for m in sink.messages)
            assert len(subjects) == 3 and len(set(subjects)) == 3
        finally:
            sink.stop()
