"""The hash of an audit entry: SHA-256 over the previous hash and the entry's canonical JSON.

Pure functions, shared by the writer and the verifier, so that both agree byte for byte.
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
    seq: int,
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
    document = {
        "seq": seq,
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
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def entry_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()
