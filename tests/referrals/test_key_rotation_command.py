"""The operator's key rotation command, run as in the service's container, against a real database."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from services.referrals.audit.models import AuditEntry
from services.referrals.audit.verify import verify_chain
from services.referrals.personal_data.crypto import MasterKeyMismatch, MasterKeys
from services.referrals.personal_data.vault import Vault
from shared.db import asyncpg_dsn
from shared.testing import RunningServers
from tests.referrals.conftest import Harness, settings_for

ROOT = Path(__file__).resolve().parents[2]
OLD_ID, OLD_SECRET = "dev-1", "dev-referrals-master-key"  # what the harness wraps new cases under
NEW_ID, NEW_SECRET = "dev-2", "dev-rotated-by-the-command"


async def run_rotate(
    database_url: str, master_key_id: str, master_key: str, previous: dict[str, str]
) -> tuple[int, str]:
    """Run the command in a fresh interpreter with only the environment an operator would set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWKARI_REFERRALS_")}
    env |= {
        "HAWKARI_REFERRALS_ENVIRONMENT": "test",
        "HAWKARI_REFERRALS_DATABASE_URL": database_url,
        "HAWKARI_REFERRALS_MASTER_KEY_ID": master_key_id,
        "HAWKARI_REFERRALS_MASTER_KEY": master_key,
        "HAWKARI_REFERRALS_PREVIOUS_MASTER_KEYS": json.dumps(previous),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.referrals.personal_data.rotate",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, (out + err).decode()


async def key_rows(database_url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await conn.fetch("SELECT case_id, master_key_id, wrapped_key FROM case_key"))
    finally:
        await conn.close()


async def rotations(harness: Harness) -> list[AuditEntry]:
    async with harness.app.state.sessionmaker() as session:
        query = sa.select(AuditEntry).where(AuditEntry.action == "keys.rotated").order_by(AuditEntry.seq)
        return list((await session.execute(query)).scalars())


def vault(harness: Harness, servers: RunningServers, idp: str, key_id: str, secret: str) -> Vault:
    """The vault of a service configured with this one master key and nothing previous."""
    return Vault.from_settings(
        settings_for(harness.url, servers, idp, master_key_id=key_id, master_key=SecretStr(secret))
    )


async def test_the_command_rewraps_every_data_key_and_the_audit_chain_says_so(
    harness: Harness, servers: RunningServers, idp: str
) -> None:
    api = harness.api
    cases = [await api.open_case(marker=f"CMD{i}") for i in range(2)]

    code, text = await run_rotate(harness.url, NEW_ID, NEW_SECRET, {OLD_ID: OLD_SECRET})
    assert (code, text.strip()) == (0, f"re-wrapped 2 data keys under master key {NEW_ID}"), text

    rows = await key_rows(harness.url)
    assert sorted(r["master_key_id"] for r in rows) == [NEW_ID, NEW_ID]
    # The old secret is no key to them any more, under either id.
    old = MasterKeys.from_secrets(OLD_ID, OLD_SECRET, {NEW_ID: OLD_SECRET})
    for row in rows:
        with pytest.raises(MasterKeyMismatch):
            old.unwrap(row["master_key_id"], row["wrapped_key"], row["case_id"])

    # The retired key can go: the service reads the personal data with the new key alone.
    harness.app.state.vault = vault(harness, servers, idp, NEW_ID, NEW_SECRET)
    for i, case in enumerate(cases):
        r = await api.get("counsellor.erbil", f"/cases/{case['id']}/personal-data")
        assert r.status_code == 200 and r.json()["identity_contact"]["given_name"] == f"FakenameCMD{i}"
    harness.app.state.vault = vault(harness, servers, idp, OLD_ID, OLD_SECRET)
    assert (await api.get("counsellor.erbil", f"/cases/{cases[0]['id']}/personal-data")).status_code == 503

    [entry] = await rotations(harness)
    assert (entry.actor_subject, entry.actor_username) == (
        "system:referrals:rotate-command",
        "referrals-rotate-command",
    )
    assert entry.detail == {"master_key_id": NEW_ID, "rewrapped": 2, "from_key_ids": {OLD_ID: 2}}
    report = await verify_chain(harness.url)
    assert report.ok and report.verified >= 3, report

    # A second run finds nothing left to do, and says so.
    code, text = await run_rotate(harness.url, NEW_ID, NEW_SECRET, {})
    assert (code, text.strip()) == (
        0,
        f"every data key was already under master key {NEW_ID}: nothing to re-wrap",
    )


@pytest.mark.parametrize(
    ("key_id", "secret", "previous", "setting"),
    [
        # The current key is wrong for the data keys already under its id.
        (OLD_ID, "dev-not-the-right-key", {}, "HAWKARI_REFERRALS_MASTER_KEY does not unwrap"),
        # The new key is set but the old one moved into the previous keys wrongly.
        (
            NEW_ID,
            NEW_SECRET,
            {OLD_ID: "dev-not-the-old-key"},
            "HAWKARI_REFERRALS_PREVIOUS_MASTER_KEYS['dev-1']",
        ),
        # The old key forgotten altogether.
        (NEW_ID, NEW_SECRET, {}, "nor in HAWKARI_REFERRALS_PREVIOUS_MASTER_KEYS"),
    ],
)
async def test_keys_that_do_not_fit_are_one_sentence_and_change_nothing(
    harness: Harness, key_id: str, secret: str, previous: dict[str, str], setting: str
) -> None:
    await harness.api.open_case(marker="CMDX")
    before = await key_rows(harness.url)

    code, text = await run_rotate(harness.url, key_id, secret, previous)
    assert code == 1, text
    assert len(text.strip().splitlines()) == 1 and setting in text, text
    assert "Traceback" not in text, text

    assert await key_rows(harness.url) == before
    assert await rotations(harness) == []
    assert (await verify_chain(harness.url)).ok
