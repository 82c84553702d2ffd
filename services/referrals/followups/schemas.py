"""Needs assessments and follow-ups."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Timepoint(StrEnum):
    baseline = "baseline"
    month_3 = "month_3"
    month_6 = "month_6"
    month_12 = "month_12"


class DimensionNeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: int = Field(ge=0, le=3, description="0 none, 1 low, 2 medium, 3 urgent")
    needs: list[str] = Field(
        default=[], description="Codes of the needs identified (e.g. housing, cash, counselling)"
    )
    notes: str | None = Field(default=None, max_length=2000)


class NeedsAssessment(BaseModel):
    """Shared with providers only under consent for the 'needs' category; stored encrypted."""

    model_config = ConfigDict(extra="forbid")

    economic: DimensionNeed | None = None
    social: DimensionNeed | None = None
    psychosocial: DimensionNeed | None = None


class FollowUpCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"timepoint": "baseline", "answers": {"income_sufficient": 2, "distress": 1}}]
        },
    )

    timepoint: Timepoint
    answers: dict[str, float] = Field(min_length=1)


class FollowUpOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    timepoint: str
    question_set: str
    economic: float | None
    social: float | None
    psychosocial: float | None
    recorded_at: datetime
