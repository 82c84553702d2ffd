"""Encryption at rest, crypto-shredding, key rotation, the audit chain, subject access, idempotency."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import make_url

from services.referrals.audit.chain import GENESIS, canonical, entry_hash
from services.referrals.audit.verify import verify_chain
from services.referrals.personal_data.crypto import KeyUnavailable, MasterKeys, open_sealed
from services.referrals.personal_data.vault import Vault
from shared.db import asyncpg_dsn
from shared.processes import _postgres_bin
from tests.referrals.conftest import Harness
from tests.referrals.world import RWANGA, grant

MARKERS = ("Fakename", "Testsson", "+964750", "Invented street", "DOC", "vuln", "notes")


def pg_dump(url: str) -> str:
    parsed = make_url(url)
    out = subprocess.run(
        [
            str(_postgres_bin() / "pg_dump"),
            "-h",
            parsed.host or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "postgres",
            "--data-only",
            "--inserts",
            parsed.database or "",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return out.stdout.decode()


async def test_personal_data_is_encrypted_and_erasure_shreds_it(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    marker = "Q7Z"
    case = await api.open_case(marker=marker)
    await api.consent(case["id"], grant(["identity_contact", "needs"], orgs=[RWANGA]))
    ref = (await api.refer(case["id"], d.psychosocial, ["identity_contact"])).json()
    await api.post(
        "caseworker.rwanga",
        f"/referrals/{ref['id']}/decline",
        {"reason": "other", "reason_text": f"reason{marker}"},
    )
    await api.post(
        "counsellor.erbil",
        f"/cases/{case['id']}/follow-ups",
        {"timepoint": "baseline", "answers": {"distress": 3}},
    )
    read = (await api.get("counsellor.erbil", f"/cases/{case['id']}/personal-data")).json()
    assert (
        read["identity_contact"]["given_name"] == f"Fakename{marker}"
        and read["notes"]["text"] == f"notes{marker}"
    )
    dump = pg_dump(harness.url)
    assert f"Fakename{marker}" not in dump and f"reason{marker}" not in dump
    assert not [m for m in MARKERS if f"{m}{marker}" in dump]
    conn = await asyncpg.connect(asyncpg_dsn(harness.url))
    try:
        blob = await conn.fetchval(
            "SELECT ciphertext FROM personal_record WHERE case_id = $1 AND category = 'identity_contact'",
            case["id"],
        )
        key_row = await conn.fetchrow(
            "SELECT master_key_id, wrapped_key FROM case_key WHERE case_id = $1", case["id"]
        )
        vault: Vault = harness.app.state.vault
        import uuid

        data_key = vault.master.unwrap(
            key_row["master_key_id"], key_row["wrapped_key"], uuid.UUID(case["id"])
        )
        assert b"Fakename" in open_sealed(
            data_key, blob, f"hawkari:{case['id']}:category:identity_contact".encode()
        )
        erased = await api.post("dpo.noraq", f"/rights/cases/{case['id']}/erasure")
        assert erased.status_code == 200 and erased.json()["status"] == "erased"
        key_after = await conn.fetchrow(
            "SELECT master_key_id, wrapped_key, destroyed_at FROM case_key WHERE case_id = $1", case["id"]
        )
        assert key_after["wrapped_key"] is None and key_after["destroyed_at"] is not None
        assert await conn.fetchval("SELECT count(*) FROM personal_record WHERE case_id = $1", case["id"]) == 0
    finally:
        await conn.close()
    # The old ciphertext (a backup, say) is now noise: no key can open it.
    with pytest.raises(KeyUnavailable):
        vault.master.unwrap("dev-1", b"\0" * 60, uuid.UUID(case["id"]))
    tombstone = (await api.get("counsellor.erbil", f"/cases/{case['id']}")).json()
    assert tombstone["status"] == "erased" and tombstone["reference"] == case["reference"]
    assert (await api.get("counsellor.erbil", f"/cases/{case['id']}/personal-data")).status_code == 409
    assert (await api.post("dpo.noraq", f"/rights/cases/{case['id']}/erasure")).status_code == 409
    report = (await api.get("dpo.noraq", f"/rights/cases/{case['id']}/access-report")).json()
    assert report["personal_data"] == {} and marker not in str(report)
    assert marker not in pg_dump(harness.url)


async def test_master_key_rotation_rewraps_every_data_key(harness: Harness) -> None:
    api = harness.api
    case = await api.open_case(marker="ROT")
    old: Vault = harness.app.state.vault
    new = Vault(
        MasterKeys.from_secrets("dev-2", "dev-rotated-master", {"dev-1": "dev-referrals-master-key"}), "x"
    )
    harness.app.state.vault = new
    assert (await api.get("counsellor.erbil", f"/cases/{case['id']}/personal-data")).status_code == 200
    assert (await api.post("counsellor.erbil", "/keys/rotate")).status_code == 403
    r = await api.post("admin.platform", "/keys/rotate")
    assert r.json() == {"master_key_id": "dev-2", "rewrapped": 1}
    assert (await api.post("admin.platform", "/keys/rotate")).json()["rewrapped"] == 0
    # The retired key can go: the data is readable with the new one alone, and not with the old one.
    harness.app.state.vault = Vault(MasterKeys.from_secrets("dev-2", "dev-rotated-master", {}), "x")
    personal = (await api.get("counsellor.erbil", f"/cases/{case['id']}/personal-data")).json()
    assert personal["identity_contact"]["given_name"] == "FakenameROT"
    harness.app.state.vault = old
    assert (await api.get("counsellor.erbil", f"/cases/{case['id']}/personal-data")).status_code == 503


async def test_audit_chain_detects_tampering_and_names_the_first_broken_link(harness: Harness) -> None:
    api = harness.api
    for i in range(3):
        await api.open_case(marker=f"A{i}")
    ok = await verify_chain(harness.url)
    assert ok.ok and ok.verified >= 3
    assert (await api.get("dpo.noraq", "/audit/verify")).json()["ok"] is True
    assert (await api.get("counsellor.erbil", "/audit/verify")).status_code == 403
    conn = await asyncpg.connect(asyncpg_dsn(harness.url))
    try:
        with pytest.raises(asyncpg.RaiseError):
            await conn.execute("UPDATE audit_entry SET action = 'x' WHERE seq = 2")
        with pytest.raises(asyncpg.RaiseError):
            await conn.execute("DELETE FROM audit_entry WHERE seq = 2")
        # Someone with superuser rights bypasses the trigger: the chain still tells.
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("UPDATE audit_entry SET actor_username = 'someone.else' WHERE seq = 2")
    finally:
        await conn.close()
    broken = await verify_chain(harness.url)
    assert not broken.ok and broken.broken_seq == 2
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.referrals.audit.verify", harness.url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 1 and b"broken at entry 2" in out


async def test_concurrent_writers_link_one_gap_free_chain_after_entries_of_the_older_format(
    harness: Harness,
) -> None:
    # An entry of chain format 1 (linked by the service before migration 0003), then many units of
    # work committing at once: the trigger links each at COMMIT, in commit order, onto one chain.
    at = datetime.now(UTC)
    old = dict(
        at=at, actor_subject="s", actor_username="u", actor_org_id=None, action="case.opened",
        case_id=None, referral_id=None, categories=[], purpose=None, detail={"n": 1},
    )  # fmt: skip
    conn = await asyncpg.connect(asyncpg_dsn(harness.url))
    try:
        assert await conn.fetchval("SELECT count(*) FROM audit_entry") == 0
        await conn.execute(
            "INSERT INTO audit_entry (seq, at, actor_subject, actor_username, action, categories, detail, "
            "prev_hash, hash, chain_format) VALUES (1, $1, 's', 'u', 'case.opened', '{}', $2, $3, $4, 1)",
            at, json.dumps({"n": 1}), GENESIS, entry_hash(GENESIS, canonical(seq=1, **old)),
        )  # fmt: skip
        await asyncio.gather(*[harness.api.open_case(marker=f"C{i}") for i in range(12)])
        rows = await conn.fetch("SELECT seq, chain_format FROM audit_entry ORDER BY seq")
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 13
        assert {r["chain_format"] for r in rows[1:]} == {2}
        assert await conn.fetchval("SELECT count(*) FROM audit_pending") == 0
    finally:
        await conn.close()
    report = await verify_chain(harness.url)
    assert report.ok and report.verified == len(rows)


async def test_idempotency_key_replays_the_answer_and_refuses_a_different_body(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await api.open_case()
    await api.consent(case["id"], grant(["needs"], orgs=[RWANGA]))
    body = {"service_id": str(d.psychosocial), "data_categories": ["needs"]}
    path = f"/cases/{case['id']}/referrals"
    first = await api.post("counsellor.erbil", path, body, **{"Idempotency-Key": "k-1"})
    again = await api.post("counsellor.erbil", path, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
    both = await asyncio.gather(
        *[api.post("counsellor.erbil", path, body, **{"Idempotency-Key": "k-2"}) for _ in range(4)]
    )
    assert len({r.json()["id"] for r in both}) == 1
    listed = (await api.get("counsellor.erbil", "/referrals")).json()
    assert len(listed) == 2
    other = await api.post("counsellor.erbil", path, {**body, "send": False}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency-key-reused")
    # Keys belong to their caller: the same key from someone else is a new request.
    refused = await api.post("counsellor.baghdad", path, body, **{"Idempotency-Key": "k-1"})
    assert refused.status_code == 404
    # A failed request stores nothing: retrying after the cause is fixed works with the same key.
    bad = await api.post(
        "counsellor.erbil", path, {**body, "data_categories": ["documents"]}, **{"Idempotency-Key": "k-3"}
    )
    assert bad.status_code == 422
    await api.consent(case["id"], grant(["documents"], orgs=[RWANGA]))
    good = await api.post(
        "counsellor.erbil", path, {**body, "data_categories": ["documents"]}, **{"Idempotency-Key": "k-3"}
    )
    assert good.status_code == 201


async def test_if_match_on_case_updates(harness: Harness) -> None:
    api = harness.api
    case = await api.open_case()
    url = f"/v1/cases/{case['id']}"
    h = api.h("counsellor.erbil")
    assert (await api.client.patch(url, json={"household_size": 4}, headers=h)).status_code == 428
    assert (
        await api.client.patch(url, json={"household_size": 4}, headers={**h, "If-Match": '"7"'})
    ).status_code == 412
    ok = await api.client.patch(url, json={"household_size": 4}, headers={**h, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    for code in ("IQ-XX", "IQ-KR"):  # the Kurdistan Region is an ISO subdivision, not a governorate
        bad = await api.client.patch(url, json={"governorate_code": code}, headers={**h, "If-Match": '"2"'})
        assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/governorate_code"
    harness.clock.advance(timedelta(seconds=1))
