"""The referrals service's declarative base, outbox and inbox tables.

Importing ``services.referrals.models`` registers every table on this metadata.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.consumer import define_inbox_tables
from shared.db import make_metadata
from shared.outbox import define_outbox_table


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox = define_outbox_table(Base.metadata)
inbox, dead_letter = define_inbox_tables(Base.metadata)
