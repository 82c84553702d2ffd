"""What a notifications dead letter keeps: ids and codes, never what an event or an error quotes.

Events carry no personal data, but a dead letter is written exactly when an event is not what it
should be — a producer bug may have put a name where a code or id belongs, and pydantic and the
database quote the offending input in their messages. So the row keeps the envelope's own fields,
the ids in its data (enough to find the referral or case and replay it), and for the error its
class and, for a validation error, where and what failed — never an input value.
"""

from __future__ import annotations

import uuid
from typing import Any

import pydantic

from shared.events.envelope import CloudEvent

KEPT_ENVELOPE = ("specversion", "id", "source", "type", "time", "subject")


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _ids(data: object) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and k.endswith("_id") and _is_uuid(v)}


def redact_dead_letter(
    event: CloudEvent | None, error: str, exc: BaseException | None
) -> tuple[dict[str, Any] | None, str]:
    envelope = None
    if event is not None:
        envelope = {f: getattr(event, f, None) for f in KEPT_ENVELOPE}
        if not _is_uuid(envelope["subject"]):
            envelope["subject"] = None  # the entity id, if it is one
        envelope["data_ids"] = _ids(event.data)
    if exc is None:
        return envelope, error  # the consumer's own text (class names only)
    if isinstance(exc, pydantic.ValidationError):
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}" for e in exc.errors(include_input=False)
        )
        return envelope, f"ValidationError({exc.title}): {where}"[:1000]
    return envelope, type(exc).__name__
