"""The referring counsellor hears personally: inbox and email in their language, from the user
directory that the development IdP's tokens fill; older events without a referrer reach the
owning organization's counsellors."""

from __future__ import annotations

import base64
import json
import uuid
from email.message import EmailMessage

from services.notifications.smtp_sink import SmtpSink
from shared.contracts import referrals as rc
from shared.testing import eventually
from tests.notifications.conftest import ERBIL, Harness, referral

ERBIL_CONTACT = "mrc-erbil@org.example"


def subject_of(token: str) -> str:
    body = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["sub"])


async def _mail_to(smtp: SmtpSink, address: str, count: int = 1) -> list[EmailMessage]:
    async def arrived() -> bool:
        return sum(m["X-Hawkari-Rcpt"] == address for m in smtp.messages) >= count

    await eventually(arrived, timeout=10)
    return [m for m in smtp.messages if m["X-Hawkari-Rcpt"] == address]


def _parts(mail: EmailMessage) -> tuple[str, str]:
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text, html


async def test_the_referrer_hears_personally_in_their_language(harness: Harness, smtp: SmtpSink) -> None:
    erbil = subject_of(harness.tokens["counsellor.erbil"])
    baghdad = subject_of(harness.tokens["counsellor.baghdad"])
    # Each opens the portal once: the directory learns their address and locale from the token
    # (the demo realm gives counsellor.erbil "ckb" and counsellor.baghdad "ar").
    for user in ("counsellor.erbil", "counsellor.baghdad"):
        assert await harness.inbox(user) == []
    me = await harness.get("counsellor.baghdad", "/v1/preferences/me")
    assert me.json()["language"] == "ar" and me.json()["email_known"] is True

    # A counsellor in Baghdad referred the case; it has since moved to MRC Erbil (its owner now).
    ref, case = uuid.uuid4(), uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, ref, case, referrer_subject=baghdad), str(ref))
    await harness.pub.publish(referral(rc.ReferralAccepted, ref, case, referrer_subject=baghdad), str(ref))
    mine = await harness.wait_inbox("counsellor.baghdad", 1)
    assert [i["kind"] for i in mine] == ["referral.accepted"]
    assert mine[0]["organization_name"] == "Rwanga Foundation" and mine[0]["org_id"] == str(ERBIL)
    # Addressed to the person: the owning organization's other counsellors do not see it.
    assert await harness.inbox("counsellor.erbil", kind="referral.accepted") == []

    (mail,) = await _mail_to(smtp, "counsellor.baghdad@demo.hawkari.invalid")
    text, html = _parts(mail)
    assert mail["Content-Language"] == "ar"
    assert "قبلت" in str(mail["Subject"]) and "Rwanga Foundation (ar)" in text
    assert '<html lang="ar" dir="rtl">' in html and f"http://portal.test/referrals/{ref}" in text

    # The Erbil counsellor's own referral: Central Kurdish, right to left.
    ref2 = uuid.uuid4()
    await harness.pub.publish(
        referral(rc.ReferralDeclined, ref2, uuid.uuid4(), referrer_subject=erbil), str(ref2)
    )
    (mail,) = await _mail_to(smtp, "counsellor.erbil@demo.hawkari.invalid")
    text, html = _parts(mail)
    assert mail["Content-Language"] == "ckb" and "ڕەت کردەوە" in str(mail["Subject"])
    assert '<html lang="ckb" dir="rtl">' in html and "Rwanga Foundation (ckb)" in text

    # Their saved preferences win over the token's locale: English now, and no email on completion.
    r = await harness.http.put(
        "/v1/preferences/me",
        headers=harness.auth("counsellor.erbil"),
        json={"language": "en", "channels": {"referral.completed": {"email": False}}},
    )
    assert r.status_code == 200
    await harness.pub.publish(
        referral(rc.ReferralExpired, uuid.uuid4(), uuid.uuid4(), referrer_subject=erbil), str(ref2)
    )
    await harness.pub.publish(
        referral(rc.ReferralCompleted, ref2, uuid.uuid4(), referrer_subject=erbil), str(ref2)
    )
    kinds = {i["kind"] for i in await harness.wait_inbox("counsellor.erbil", 3)}
    assert kinds == {"referral.declined", "referral.expired", "referral.completed"}
    mails = await _mail_to(smtp, "counsellor.erbil@demo.hawkari.invalid", 2)
    assert mails[1]["Content-Language"] == "en" and "expired" in str(mails[1]["Subject"]).lower()
    assert '<html lang="en" dir="ltr">' in _parts(mails[1])[1]

    # Personal notices go to the person only: never to the organization's published contact.
    assert all(m["X-Hawkari-Rcpt"] != ERBIL_CONTACT for m in smtp.messages)
    await harness.tick()
    assert len([m for m in smtp.messages if m["X-Hawkari-Rcpt"].startswith("counsellor.erbil")]) == 2


async def test_an_event_without_a_referrer_reaches_the_owning_organization(
    harness: Harness, smtp: SmtpSink
) -> None:
    assert await harness.inbox("counsellor.erbil") == []
    ref = uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralAccepted, ref, uuid.uuid4()), str(ref))  # an older event
    (item,) = await harness.wait_inbox("counsellor.erbil", 1)
    assert item["audience"] == "referrer"
    assert await harness.inbox("counsellor.baghdad") == []  # another organization
    await _mail_to(smtp, "counsellor.erbil@demo.hawkari.invalid")
    await _mail_to(smtp, ERBIL_CONTACT)  # the organization's queue also reaches its contact address
