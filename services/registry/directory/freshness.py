"""Freshness: an entry nobody has confirmed for a while is flagged, so counsellors know to check."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.db import utcnow


def stale_before(stale_after_days: int, now: datetime | None = None) -> datetime:
    """Entries last confirmed before this instant are stale."""
    return (now or utcnow()) - timedelta(days=stale_after_days)


def is_stale(assured_at: datetime | None, stale_after_days: int, now: datetime | None = None) -> bool:
    # Never confirmed counts as stale: nobody has vouched for it.
    return assured_at is None or assured_at < stale_before(stale_after_days, now)
