"""Taxonomy terms as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.registry.common.localized import LocalizedName, LocalizedText
from services.registry.taxonomy.models import CODE_PATTERN, Dimension, TaxonomyTerm

_EXAMPLE = {
    "code": "psychosocial-counselling",
    "dimension": "psychosocial",
    "name": {
        "en": "Psychosocial counselling",
        "ar": "الدعم النفسي والاجتماعي",
        "ckb": "ڕاوێژکاریی دەروونی و کۆمەڵایەتی",
    },
    "description": {"en": "Individual or group counselling for distress after return."},
}


class TermCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    code: str = Field(min_length=2, max_length=64, pattern=CODE_PATTERN)
    dimension: Dimension
    name: LocalizedName
    description: LocalizedText = LocalizedText()
    parent_id: uuid.UUID | None = None


class TermUpdate(BaseModel):
    """Only the fields sent change. The code is permanent: filters and partners rely on it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"dimension": "social"}]})

    dimension: Dimension | None = None
    name: LocalizedName | None = None
    description: LocalizedText | None = None
    parent_id: uuid.UUID | None = None


class TermOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "5b2f1f4e-8c1e-4f55-9a7e-1d2c3b4a5f60", **_EXAMPLE}]}
    )

    id: uuid.UUID
    code: str
    dimension: Dimension
    name: dict[str, str]
    description: dict[str, str]
    parent_id: uuid.UUID | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None

    @classmethod
    def of(cls, term: TaxonomyTerm) -> TermOut:
        return cls(
            id=term.id,
            code=term.code,
            dimension=Dimension(term.dimension),
            name=term.name,
            description=term.description,
            parent_id=term.parent_id,
            active=term.active,
            version=term.version,
            created_at=term.created_at,
            updated_at=term.updated_at,
            deactivated_at=term.deactivated_at,
        )
