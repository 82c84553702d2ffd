"""No personal data in any message: marker strings never reach the inbox, mail or the live stream."""

from __future__ import annotations

import json
import uuid

from services.notifications.smtp_sink import SmtpSink
from shared.contracts import referrals as rc
from shared.testing import eventually
from tests.notifications.conftest import Harness, Receiver, bodies, referral

MARKER = "Zhilwan-Q7X-PERSONAL"


async def test_no_personal_data_in_any_message(harness: Harness, smtp: SmtpSink, receiver: Receiver) -> None:
    await harness.http.put(
        "/v1/preferences/me", headers=harness.auth("counsellor.erbil"), json={"language": "ar"}
    )
    r = await harness.post(
        "admin.rwanga",
        "/v1/webhooks",
        json={"url": receiver.url, "event_types": [rc.ReferralSent.event_type]},
    )
    assert r.status_code == 201
    ref, case = uuid.uuid4(), uuid.uuid4()
    await harness.pub.publish(referral(rc.ReferralSent, ref, case), str(ref))
    # A producer bug puts free text (a name) where a code belongs: it must not be copied anywhere.
    await harness.pub.publish(referral(rc.ReferralDeclined, ref, case, reason=f"{MARKER} said no"), str(ref))
    await harness.pub.publish(referral(rc.ReferralCompleted, ref, case, outcome=MARKER), str(ref))
    referrer = await harness.wait_inbox("counsellor.erbil", 2)
    provider = await harness.wait_inbox("caseworker.rwanga", 1)

    async def mailed() -> bool:
        return len(smtp.messages) >= 5 and len(receiver.requests) >= 1

    await eventually(mailed)
    assert {i["code"] for i in referrer} == {"other"}
    texts = [json.dumps(referrer), json.dumps(provider), *bodies(smtp)]
    texts += [str(m["Subject"]) for m in smtp.messages]
    texts += [r["body"].decode() for r in receiver.requests]
    for text in texts:
        assert MARKER not in text
        # Nor who the staff are: no usernames or personal addresses in message content.
        assert "counsellor.erbil" not in text and "caseworker.rwanga" not in text
    # What a message does carry: a case reference, names of the service and organizations, a link.
    assert all(i["case_reference"] == "C-" + case.hex[:8].upper() for i in referrer)
