"""A registry event type coordination does not follow is skipped (found in the fault run's logs: every
``benefit.upserted`` event failed five times with TypeError and was dead-lettered, because the
replica's row mapper knows only the states it keeps)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from services.coordination.replica import apply_registry_event
from shared.contracts import registry as reg
from shared.events import make_event


async def test_a_benefit_event_touches_nothing_and_raises_nothing() -> None:
    benefit = reg.BenefitUpserted(
        version=1,
        active=True,
        updated_at=datetime.now(UTC),
        benefit_id=uuid.uuid4(),
        programme_id=uuid.uuid4(),
        kind="cash",
        per="person",
    )
    event = make_event(benefit, subject=str(benefit.benefit_id))
    # No session: an event that is not followed must return before any database work.
    await apply_registry_event(cast(Any, None), event)
