"""The registry replica: what referrals need of the directory, fed by registry events."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class ReplicaOrganization(Base):
    __tablename__ = "replica_organization"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    active: Mapped[bool]
    kind: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str | None] = mapped_column(sa.Text)


class ReplicaService(Base):
    __tablename__ = "replica_service"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    active: Mapped[bool]
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str | None] = mapped_column(sa.Text)
    accepts_referrals: Mapped[bool]
    referral_response_hours: Mapped[int]
    open_places: Mapped[int | None]
    taxonomy_term_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    # [{"governorate_code": ..., "district_code": ...}]
    service_areas: Mapped[list[dict[str, str | None]]] = mapped_column(JSONB, default=list)


class ReplicaProgramme(Base):
    __tablename__ = "replica_programme"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    active: Mapped[bool]
    name: Mapped[str | None] = mapped_column(sa.Text)
    funder_countries: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    eligible_return_types: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    service_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(sa.Uuid), default=list)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]


class ReplicaTaxonomyTerm(Base):
    __tablename__ = "replica_taxonomy_term"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    active: Mapped[bool]
    code: Mapped[str] = mapped_column(sa.Text, index=True)
    # The reintegration dimension the term serves (economic, social, psychosocial, ...): how a
    # service's taxonomy terms say which needs it meets.
    dimension: Mapped[str | None] = mapped_column(sa.Text)


class ReplicaBenefit(Base):
    """What a programme (or a service) pays or gives: only its kind matters here (cash overlap)."""

    __tablename__ = "replica_benefit"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    active: Mapped[bool]
    programme_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    service_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(sa.Text)
