"""The taxonomy_term table, and the one taxonomy the terms belong to."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.common.model import Tracked
from services.registry.db import Base


class Dimension(StrEnum):
    """IOM's three dimensions of sustainable reintegration, plus the two phases before them."""

    economic = "economic"
    social = "social"
    psychosocial = "psychosocial"
    arrival_reception = "arrival_reception"
    information_counselling = "information_counselling"


# HSDS wants every term to name its taxonomy; ours has one, with a stable id.
TAXONOMY_ID = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:taxonomy:reintegration")
TAXONOMY_NAME = "Hawkari reintegration taxonomy"
TAXONOMY_DESCRIPTION = (
    "Services for migrants returning to Iraq, grouped by the dimension of reintegration they support: "
    "economic, social, psychosocial, arrival and reception, information and counselling."
)
TAXONOMY_VERSION = "1"

CODE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class TaxonomyTerm(Tracked, Base):
    __tablename__ = "taxonomy_term"
    __table_args__ = (
        CheckConstraint(f"dimension IN ({', '.join(repr(d.value) for d in Dimension)})", name="dimension"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSONB)
    description: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    dimension: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("taxonomy_term.id"), default=None, index=True
    )

    def snapshot(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "dimension": self.dimension,
            "parent_id": self.parent_id,
            "deactivated_at": self.deactivated_at,
        }
