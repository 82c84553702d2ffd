"""Verify the audit chain: ``python -m services.referrals.audit.verify <database_url>``.

Walks every entry in order, recomputes its hash and checks it links to its predecessor. Prints the
first broken link and exits 1, or prints how many entries verified and exits 0. Needs only the
database URL (no service settings, no running service).
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass

import asyncpg

from services.referrals.audit.chain import GENESIS, canonical, content_digest, entry_hash, linked_hash
from shared.db import asyncpg_dsn


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    verified: int
    broken_seq: int | None = None
    reason: str | None = None


async def verify_chain(database_url: str) -> ChainReport:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        prev = GENESIS
        expected_seq = 1
        count = 0
        async with conn.transaction(readonly=True, isolation="repeatable_read"):
            async for row in conn.cursor("SELECT * FROM audit_entry ORDER BY seq"):
                seq = row["seq"]
                if seq != expected_seq:
                    return ChainReport(False, count, expected_seq, f"entry {expected_seq} is missing")
                if row["prev_hash"] != prev:
                    return ChainReport(False, count, seq, "does not link to the previous entry's hash")
                detail = row["detail"]
                fields = dict(
                    at=row["at"],
                    actor_subject=row["actor_subject"],
                    actor_username=row["actor_username"],
                    actor_org_id=row["actor_org_id"],
                    action=row["action"],
                    case_id=row["case_id"],
                    referral_id=row["referral_id"],
                    categories=row["categories"],
                    purpose=row["purpose"],
                    detail=json.loads(detail) if isinstance(detail, str) else detail,
                )
                if row["chain_format"] == 1:
                    expected = entry_hash(prev, canonical(seq=seq, **fields))
                else:
                    expected = linked_hash(prev, seq, content_digest(**fields))
                if expected != row["hash"]:
                    return ChainReport(False, count, seq, "its content does not match its hash")
                prev = row["hash"]
                expected_seq += 1
                count += 1
        return ChainReport(True, count)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m services.referrals.audit.verify <database_url>", file=sys.stderr)
        return 2
    report = asyncio.run(verify_chain(args[0]))
    if report.ok:
        print(f"audit chain intact: {report.verified} entries verified")
        return 0
    print(
        f"audit chain broken at entry {report.broken_seq}: {report.reason} "
        f"({report.verified} entries before it verified)"
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
