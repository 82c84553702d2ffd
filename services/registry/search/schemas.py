"""Search filters and results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class SortOrder(StrEnum):
    relevance = "relevance"  # with q: name matches first; without q the same as name
    name = "name"
    recently_updated = "recently_updated"
    recently_confirmed = "recently_confirmed"
    open_places = "open_places"


@dataclass
class SearchFilters:
    words: list[str] = field(default_factory=list)
    governorates: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    term_codes: list[str] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    accepts_referrals: bool | None = None
    has_capacity: bool | None = None
    programme_ids: list[uuid.UUID] = field(default_factory=list)
    funders: list[str] = field(default_factory=list)
    organization_kinds: list[str] = field(default_factory=list)
    organization_ids: list[uuid.UUID] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    stale: bool | None = None


class OrganizationRef(BaseModel):
    id: uuid.UUID
    name: dict[str, str]
    kind: str


class CapacityView(BaseModel):
    open_places: int | None
    waitlist_length: int | None
    updated_at: datetime | None


class ServiceHit(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9a3c0c55-4a57-5a41-9f5c-0e2b1f3d4c5a",
                    "name": {
                        "en": "Psychosocial counselling for returnees",
                        "ckb": "ڕاوێژکاریی دەروونی بۆ گەڕاوەکان",
                    },
                    "organization": {
                        "id": "c361540c-466a-5bcb-bcf7-c8d67406e3fe",
                        "name": {"en": "Rwanga Foundation"},
                        "kind": "ngo",
                    },
                    "status": "active",
                    "accepts_referrals": True,
                    "capacity": {
                        "open_places": 5,
                        "waitlist_length": 0,
                        "updated_at": "2025-03-01T09:30:00Z",
                    },
                    "languages": ["ar", "ckb"],
                    "taxonomy_terms": ["psychosocial-counselling"],
                    "dimensions": ["psychosocial"],
                    "governorates": ["IQ-AR", "IQ-DA"],
                    "stale": False,
                    "assured_at": "2025-02-20T10:00:00Z",
                    "updated_at": "2025-03-01T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    name: dict[str, str]
    organization: OrganizationRef
    status: str
    accepts_referrals: bool
    capacity: CapacityView
    languages: list[str]
    taxonomy_terms: list[str]
    dimensions: list[str]
    governorates: list[str]
    programme_ids: list[uuid.UUID]
    stale: bool
    assured_at: datetime | None
    updated_at: datetime
