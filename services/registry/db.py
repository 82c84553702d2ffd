"""The registry's declarative base and its transactional outbox table.

One metadata for the whole service (one database, one Alembic history). Importing
``services.registry.models`` registers every table on it.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import make_metadata
from shared.outbox import define_outbox_table


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox = define_outbox_table(Base.metadata)
