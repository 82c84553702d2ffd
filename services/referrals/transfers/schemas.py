"""Transfer requests and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_org_id: uuid.UUID


class TransferOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    from_org_id: uuid.UUID
    to_org_id: uuid.UUID
    status: str
    created_at: datetime
    decided_at: datetime | None
