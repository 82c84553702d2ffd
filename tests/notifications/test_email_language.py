"""The language an email is queued in, chosen in SQL on the event path, as ``language_of`` reads it."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.notifications.directory.models import DirectoryUser
from services.notifications.email.models import EmailDelivery
from services.notifications.messages import language_of
from shared.auth import Role
from shared.contracts import referrals as rc
from shared.testing import eventually
from tests.notifications.conftest import ETTC, Harness, dims, referral

LOCALES = {"u-ckb": "ckb_IQ", "u-ar": "AR-iq", "u-en": "en", "u-fr": "fr-FR", "u-none": None}


async def test_a_token_locale_counts_by_its_language_and_only_when_we_have_it(harness: Harness) -> None:
    async with harness.app.state.sessionmaker() as session, session.begin():
        for subject, locale in LOCALES.items():
            session.add(
                DirectoryUser(
                    subject=subject,
                    org_id=ETTC,
                    roles=[Role.provider_caseworker],
                    email=f"{subject}@ettc.example",
                    locale=locale,
                )
            )
    ref = uuid.uuid4()
    await harness.pub.publish(
        referral(rc.ReferralSent, ref, uuid.uuid4(), dimensions=dims(provider=ETTC)), str(ref)
    )

    async def queued() -> dict[str, str]:
        async with harness.app.state.sessionmaker() as session:
            rows = await session.execute(sa.select(EmailDelivery.address, EmailDelivery.language))
            return {address.split("@")[0]: language for address, language in rows}

    async def all_queued() -> bool:
        return len(await queued()) == len(LOCALES)

    await eventually(all_queued, timeout=10)
    default = harness.settings.default_language
    assert await queued() == {subject: language_of(locale, default) for subject, locale in LOCALES.items()}
    assert await queued() == {"u-ckb": "ckb", "u-ar": "ar", "u-en": "en", "u-fr": default, "u-none": default}
