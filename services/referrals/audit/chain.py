"""The hash of an audit entry, shared by the writer and the verifier so both agree byte for byte.

Two formats, told apart by ``audit_entry.chain_format``:

1. SHA-256 over the previous hash and the entry's canonical JSON, sequence number included — the
   chain was linked in Python, under the chain lock, before COMMIT.
2. SHA-256 over the previous hash, the sequence number and the SHA-256 of the entry's canonical JSON
   without its sequence number. The writer computes that content digest; PostgreSQL links it into
   the chain inside COMMIT (a deferred trigger, see migration 0003), so no round trip to the
   service happens while the chain lock is held. :func:`linked_hash` is what that trigger computes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical(
    *,
    seq: int | None,
    at: datetime,
    actor_subject: str,
    actor_username: str,
    actor_org_id: uuid.UUID | None,
    action: str,
    case_id: uuid.UUID | None,
    referral_id: uuid.UUID | None,
    categories: Sequence[str],
    purpose: str | None,
    detail: Mapping[str, Any],
) -> bytes:
    document: dict[str, Any] = {
        "at": at.astimezone(UTC).isoformat(),
        "actor_subject": actor_subject,
        "actor_username": actor_username,
        "actor_org_id": str(actor_org_id) if actor_org_id else None,
        "action": action,
        "case_id": str(case_id) if case_id else None,
        "referral_id": str(referral_id) if referral_id else None,
        "categories": list(categories),
        "purpose": purpose,
        "detail": detail,
    }
    if seq is not None:
        document["seq"] = seq
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def entry_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()


def content_digest(**fields: Any) -> str:
    """Format 2: the digest of an entry's content, everything but its place in the chain."""
    return hashlib.sha256(canonical(seq=None, **fields)).hexdigest()


def linked_hash(prev_hash: str, seq: int, digest: str) -> str:
    """Format 2: the entry's hash, as the commit-time trigger computes it in SQL."""
    return hashlib.sha256(f"{prev_hash}\n{seq}\n{digest}".encode()).hexdigest()
