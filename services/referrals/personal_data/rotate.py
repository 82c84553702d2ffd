"""Re-wrap every data key under the current master key: ``python -m services.referrals.personal_data.rotate``.

The operator's way to finish a master key rotation (docs/operations.md, "Rotating keys") from the
service's container, without a user token: it reads the same ``HAWKARI_REFERRALS_*`` settings as
the service, re-wraps in one transaction exactly as ``POST /v1/keys/rotate`` does, and the audit
chain records it as :data:`COMMAND`. Prints one line and exits 0; when the configured keys do not
unwrap the stored data keys, prints the sentence naming the setting to fix and exits 1, having
changed nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from typing import Any

from sqlalchemy import make_url

from services.referrals import models  # noqa: F401 - registers every table
from services.referrals.clock import Clock
from services.referrals.context import Ctx
from services.referrals.permissions import SYSTEM
from services.referrals.personal_data import master_key
from services.referrals.personal_data.vault import Vault
from services.referrals.rights.service import rewrap_data_keys
from services.referrals.settings import ReferralsSettings
from shared.db import create_engine, create_sessionmaker
from shared.errors import is_dependency_down

# The audit entry's actor: the operator's command. Like the service's own SYSTEM it has no
# organization and no token can be it; its own name tells its entries apart from SYSTEM's and users'.
COMMAND = dataclasses.replace(
    SYSTEM, subject="system:referrals:rotate-command", username="referrals-rotate-command"
)


class KeysDoNotFit(Exception):
    """The configured master keys do not unwrap the stored data keys; the message says which setting."""


async def rotate(settings: ReferralsSettings) -> dict[str, Any]:
    """Re-wrap in one transaction; what the endpoint answers: the master key id and how many."""
    vault = Vault.from_settings(settings)
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            # Rotation skips keys already under the current id, so without this a wrong current key
            # would pass unnoticed; and a wrong previous key is refused before anything is re-wrapped.
            problem = await master_key.check(session, vault.master)
            if problem is not None:
                raise KeysDoNotFit(problem)
            return await rewrap_data_keys(Ctx(session, COMMAND, Clock(), vault, settings))
    finally:
        await engine.dispose()


def summary(result: dict[str, Any]) -> str:
    count, key_id = result["rewrapped"], result["master_key_id"]
    if count == 0:
        return f"every data key was already under master key {key_id}: nothing to re-wrap"
    return f"re-wrapped {count} data key{'' if count == 1 else 's'} under master key {key_id}"


def main() -> int:
    settings = ReferralsSettings()
    try:
        result = asyncio.run(rotate(settings))
    except KeysDoNotFit as exc:
        print(f"Nothing re-wrapped: {exc}", file=sys.stderr)
        return 1
    except master_key.PersonalDataLocked:
        # The check unwraps one data key per master key id; this one did not although another under
        # its id did (two secrets were once used under one id). The transaction rolled back.
        print(
            f"Nothing re-wrapped: some data keys do not unwrap under {master_key.SETTING} or "
            f"{master_key.PREVIOUS} although others under the same master key id do.",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:
        if not is_dependency_down(exc):
            raise
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        print(
            f"Nothing re-wrapped: the database {where} (HAWKARI_REFERRALS_DATABASE_URL) is unreachable.",
            file=sys.stderr,
        )
        return 1
    print(summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
