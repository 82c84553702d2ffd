"""A miniature producer/consumer schema for testing the outbox and consumer helpers."""

from __future__ import annotations

from typing import ClassVar

import sqlalchemy as sa

from shared.consumer import define_inbox_tables
from shared.db import make_metadata
from shared.events.contracts import EventContract
from shared.outbox import define_outbox_table

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox, dead_letter = define_inbox_tables(metadata)
widget = sa.Table(
    "widget",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
)
# The effect a consumer has: one row per handled event, so a double effect is visible.
effect = sa.Table(
    "effect",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("widget_id", sa.Text, nullable=False),
)


class WidgetCreated(EventContract):
    event_type: ClassVar[str] = "org.hawkari.widget.created.v1"
    service: ClassVar[str] = "testsvc"
    entity: ClassVar[str] = "widget"
    verb: ClassVar[str] = "created"
    summary: ClassVar[str] = "A widget was created (test contract)."

    widget_id: str
    name: str
