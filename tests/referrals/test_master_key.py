"""A wrong or missing master key: refused at startup in one sentence, a 503 at request time."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr

from services.referrals.app import create_app
from services.referrals.audit.models import AuditEntry
from services.referrals.personal_data.crypto import MasterKeys
from services.referrals.personal_data.vault import Vault
from shared.processes import free_port
from shared.testing import RunningServers
from tests.referrals.conftest import Harness, settings_for

ROOT = Path(__file__).resolve().parents[2]


async def test_a_wrong_master_key_refuses_to_start_naming_the_setting(
    harness: Harness, servers: RunningServers, idp: str
) -> None:
    await harness.api.open_case(marker="KEY")  # one data key, wrapped under dev-1
    wrong = settings_for(harness.url, servers, idp, master_key=SecretStr("dev-not-the-right-key"))
    with pytest.raises(Exception, match="HAWKARI_REFERRALS_MASTER_KEY does not unwrap"):
        async with LifespanManager(create_app(wrong)):
            pass
    # A new key id without the old one among the previous keys: the old id is named.
    missing = settings_for(harness.url, servers, idp, master_key_id="dev-2", master_key=SecretStr("dev-new"))
    with pytest.raises(Exception, match="'dev-1', which is neither HAWKARI_REFERRALS_MASTER_KEY_ID"):
        async with LifespanManager(create_app(missing)):
            pass
    # The right key among the previous ones: it starts.
    rotated = settings_for(
        harness.url,
        servers,
        idp,
        master_key_id="dev-2",
        master_key=SecretStr("dev-new"),
        previous_master_keys={"dev-1": SecretStr("dev-referrals-master-key")},
    )
    async with LifespanManager(create_app(rotated)):
        pass


async def test_uvicorn_prints_one_sentence_and_exits(
    harness: Harness, servers: RunningServers, idp: str
) -> None:
    await harness.api.open_case(marker="KEY")
    env = {
        **os.environ,
        "HAWKARI_REFERRALS_DATABASE_URL": harness.url,
        "HAWKARI_REFERRALS_NATS_URL": servers.nats_url,
        "HAWKARI_REFERRALS_OIDC_ISSUER": settings_for(harness.url, servers, idp).oidc_issuer,
        "HAWKARI_REFERRALS_ENVIRONMENT": "test",
        "HAWKARI_REFERRALS_RUN_WORKERS": "false",
        "HAWKARI_REFERRALS_MASTER_KEY": "dev-not-the-right-key",
        "OTEL_SDK_DISABLED": "true",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "services.referrals.app:create_app"]
    proc = await asyncio.create_subprocess_exec(
        *command,
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = (out + err).decode()
    assert proc.returncode != 0
    assert "Refusing to start: HAWKARI_REFERRALS_MASTER_KEY does not unwrap" in text
    assert "Traceback" not in text, text


async def test_a_key_that_stops_fitting_at_request_time_is_a_503_problem(harness: Harness) -> None:
    api = harness.api
    case = await api.open_case(marker="LOCK")
    good = harness.app.state.vault
    harness.app.state.vault = Vault(MasterKeys.from_secrets("dev-1", "dev-some-other-key", {}), "x")
    try:
        r = await api.get("counsellor.erbil", f"/cases/{case['id']}/personal-data")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["type"].endswith("personal-data-locked") and "Traceback" not in r.text
        assert "Retry-After" in r.headers
    finally:
        harness.app.state.vault = good
    assert (await api.get("counsellor.erbil", f"/cases/{case['id']}/personal-data")).status_code == 200


async def test_key_rotation_is_on_the_audit_chain(harness: Harness) -> None:
    api = harness.api
    for i in range(2):
        await api.open_case(marker=f"R{i}")
    harness.app.state.vault = Vault(
        MasterKeys.from_secrets("dev-2", "dev-rotated", {"dev-1": "dev-referrals-master-key"}), "x"
    )
    assert (await api.post("dpo.noraq", "/keys/rotate")).status_code == 403
    r = await api.post("admin.platform", "/keys/rotate")
    assert r.status_code == 200 and r.json() == {"master_key_id": "dev-2", "rewrapped": 2}
    async with harness.app.state.sessionmaker() as session:
        from sqlalchemy import select

        rows = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "keys.rotated"))
        ).scalars()
        [entry] = list(rows)
    assert entry.actor_username == "admin.platform"
    assert entry.detail == {"master_key_id": "dev-2", "rewrapped": 2, "from_key_ids": {"dev-1": 2}}
    assert entry.case_id is None
