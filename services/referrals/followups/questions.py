"""The follow-up question set and how answers become dimension scores on 0..1.

Each question belongs to one dimension, has a weight, a numeric answer range and may be inverted
(higher answer = worse, as with debt or distress). A dimension's score is the weighted mean of its
answered questions, each scaled to 0..1. A deployment may supply its own set as JSON
(``HAWKARI_REFERRALS_FOLLOWUP_QUESTIONS_PATH``) in the same shape as ``DEFAULT``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.referrals.vocabulary import Dimension


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    dimension: Dimension
    weight: float = Field(gt=0)
    min: float = 0
    max: float = 4
    invert: bool = False

    @model_validator(mode="after")
    def _range(self) -> Question:
        if self.max <= self.min:
            raise ValueError("max must be above min")
        return self

    def scaled(self, answer: float) -> float:
        value = (answer - self.min) / (self.max - self.min)
        return 1.0 - value if self.invert else value


class QuestionSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    questions: list[Question]

    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def validate_answers(self, answers: dict[str, float]) -> list[tuple[str, str]]:
        known = self.by_id()
        problems = []
        for qid, value in answers.items():
            q = known.get(qid)
            if q is None:
                problems.append((f"/answers/{qid}", "is not a question of this set"))
            elif not q.min <= value <= q.max:
                problems.append((f"/answers/{qid}", f"must be between {q.min:g} and {q.max:g}"))
        return problems

    def scores(self, answers: dict[str, float]) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for dim in Dimension:
            pairs = [
                (q.weight, q.scaled(answers[q.id]))
                for q in self.questions
                if q.dimension == dim and q.id in answers
            ]
            total = sum(w for w, _ in pairs)
            out[str(dim)] = round(sum(w * v for w, v in pairs) / total, 4) if total else None
        return out


DEFAULT: dict[str, Any] = {
    "id": "hawkari-reintegration-v1",
    "questions": [
        {"id": "income_sufficient", "dimension": "economic", "weight": 2},
        {"id": "debt_burden", "dimension": "economic", "weight": 1, "invert": True},
        {"id": "food_security", "dimension": "economic", "weight": 2},
        {"id": "owns_productive_assets", "dimension": "economic", "weight": 1, "max": 1},
        {"id": "housing_adequate", "dimension": "social", "weight": 2},
        {"id": "has_identity_documents", "dimension": "social", "weight": 1, "max": 1},
        {"id": "health_care_access", "dimension": "social", "weight": 1},
        {"id": "children_in_school", "dimension": "social", "weight": 1},
        {"id": "feels_safe", "dimension": "social", "weight": 1},
        {"id": "support_network", "dimension": "psychosocial", "weight": 1},
        {"id": "community_participation", "dimension": "psychosocial", "weight": 1},
        {"id": "distress", "dimension": "psychosocial", "weight": 2, "invert": True},
        {"id": "able_to_stay", "dimension": "psychosocial", "weight": 2},
    ],
}


def load_question_set(path: Path | None) -> QuestionSet:
    return QuestionSet.model_validate(json.loads(path.read_text()) if path else DEFAULT)
