"""The coordination service's declarative base and its consumer inbox tables.

Importing ``services.coordination.models`` registers every table on this metadata.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.consumer import define_inbox_tables
from shared.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


inbox, dead_letter = define_inbox_tables(Base.metadata)
