"""Registry events: the full state of a directory entity after each change (event-carried state).

Subjects are ``registry.<entity>.<verb>.<id>`` (``keyed``), on the ``REGISTRY`` stream, which keeps
the last message per subject. Because the verb is part of the subject, the stream may hold both the
last ``upserted`` and the ``deactivated`` event of one entity. Every event therefore carries the
entity's ``version`` (it grows by one on every change, and is the number behind the API's ETag) and
the complete state, deactivation included: a replica applies an event only when its version is
higher than the one it holds, and so reaches the right final state whatever order it replays in.

No personal data: no returnee ever appears here, and staff are not named (who confirmed a service,
who changed what, stays in the registry's own change history). Contact details are the
institutional ones an organization publishes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.contracts import EventContract

SERVICE = "registry"


class Translations(BaseModel):
    """A text in the registry's three languages: English, Arabic and Central Kurdish (Sorani)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str | None = None
    ar: str | None = None
    ckb: str | None = None


class EntityState(EventContract):
    """Fields every registry state event carries. Not an event type itself."""

    service: ClassVar[str] = SERVICE
    keyed: ClassVar[bool] = True

    version: int
    active: bool
    updated_at: datetime
    deactivated_at: datetime | None = None


# --- organization -------------------------------------------------------------------------------


class OrganizationState(EntityState):
    entity: ClassVar[str] = "organization"

    organization_id: uuid.UUID
    kind: str
    name: Translations
    description: Translations
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    country_code: str | None = None
    parent_organization_id: uuid.UUID | None = None


class OrganizationUpserted(OrganizationState):
    event_type: ClassVar[str] = "org.hawkari.organization.upserted.v1"
    verb: ClassVar[str] = "upserted"
    summary: ClassVar[str] = "An organization was created or changed; the payload is its full state."


class OrganizationDeactivated(OrganizationState):
    event_type: ClassVar[str] = "org.hawkari.organization.deactivated.v1"
    verb: ClassVar[str] = "deactivated"
    summary: ClassVar[str] = "An organization was deactivated; the payload is its full, final state."


# --- location -----------------------------------------------------------------------------------


class LocationState(EntityState):
    entity: ClassVar[str] = "location"

    location_id: uuid.UUID
    organization_id: uuid.UUID
    location_type: str
    name: Translations
    address: str | None = None
    governorate_code: str | None = None
    district_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    url: str | None = None


class LocationUpserted(LocationState):
    event_type: ClassVar[str] = "org.hawkari.location.upserted.v1"
    verb: ClassVar[str] = "upserted"
    summary: ClassVar[str] = "A location was created or changed; the payload is its full state."


class LocationDeactivated(LocationState):
    event_type: ClassVar[str] = "org.hawkari.location.deactivated.v1"
    verb: ClassVar[str] = "deactivated"
    summary: ClassVar[str] = "A location was deactivated; the payload is its full, final state."


# --- service ------------------------------------------------------------------------------------


class Capacity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    open_places: int | None = None
    waitlist_length: int | None = None
    updated_at: datetime | None = None


class ServiceAreaState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    governorate_code: str
    district_code: str | None = None


class ServiceState(EntityState):
    entity: ClassVar[str] = "service"

    service_id: uuid.UUID
    organization_id: uuid.UUID
    status: str
    name: Translations
    description: Translations
    application_process: Translations
    fees_description: Translations
    languages: list[str]
    required_documents: list[str]
    accepts_referrals: bool
    referral_response_hours: int
    capacity: Capacity
    assured_at: datetime | None = None
    taxonomy_term_codes: list[str]
    location_ids: list[uuid.UUID]
    service_areas: list[ServiceAreaState]
    email: str | None = None
    url: str | None = None


class ServiceUpserted(ServiceState):
    event_type: ClassVar[str] = "org.hawkari.service.upserted.v1"
    verb: ClassVar[str] = "upserted"
    summary: ClassVar[str] = (
        "A service was created or changed (capacity and verification included); "
        "the payload is its full state."
    )


class ServiceDeactivated(ServiceState):
    event_type: ClassVar[str] = "org.hawkari.service.deactivated.v1"
    verb: ClassVar[str] = "deactivated"
    summary: ClassVar[str] = "A service was deactivated; the payload is its full, final state."


# --- programme ----------------------------------------------------------------------------------


class ProgrammeState(EntityState):
    entity: ClassVar[str] = "programme"

    programme_id: uuid.UUID
    name: Translations
    description: Translations
    funder_countries: list[str]
    funding_instruments: list[str]
    thematic_areas: list[str]
    target_group: str
    eligible_return_types: list[str]
    starts_on: date
    ends_on: date | None = None
    implementing_organization_ids: list[uuid.UUID]
    service_ids: list[uuid.UUID]


class ProgrammeUpserted(ProgrammeState):
    event_type: ClassVar[str] = "org.hawkari.programme.upserted.v1"
    verb: ClassVar[str] = "upserted"
    summary: ClassVar[str] = "A funded programme was created or changed; the payload is its full state."


class ProgrammeDeactivated(ProgrammeState):
    event_type: ClassVar[str] = "org.hawkari.programme.deactivated.v1"
    verb: ClassVar[str] = "deactivated"
    summary: ClassVar[str] = "A programme was deactivated; the payload is its full, final state."


# --- benefit -----------------------------------------------------------------------------------


class BenefitState(EntityState):
    """What a programme or a service pays or gives: kind and unit, so replicas can tell cash apart.

    Amounts stay in the registry (entitlements are computed there); consumers need the kind, e.g.
    to see that a returnee would get cash for the same purpose from two programmes.
    """

    entity: ClassVar[str] = "benefit"

    benefit_id: uuid.UUID
    programme_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    kind: str  # cash | in_kind | top_up
    per: str  # person | household
    tops_up_programme_id: uuid.UUID | None = None


class BenefitUpserted(BenefitState):
    event_type: ClassVar[str] = "org.hawkari.benefit.upserted.v1"
    verb: ClassVar[str] = "upserted"
    summary: ClassVar[str] = "A benefit of a programme or service was created or changed; its full state."


class BenefitDeactivated(BenefitState):
    event_type: ClassVar[str] = "org.hawkari.benefit.deactivated.v1"
    verb: ClassVar[str] = "deactivated"
    summary: ClassVar[str] = "A benefit was deactivated; the payload is its full, final state."


# --- taxonomy term ------------------------------------------------------------------------------


class TaxonomyTermState(EntityState):
    entity: ClassVar[str] = "taxonomy_term"

    taxonomy_term_id: uuid.UUID
    code: str
    name: Translations
    description: Translations
    dimension: str
    parent_id: uuid.UUID | None = None


class TaxonomyTermUpserted(TaxonomyTermState):
    event_type: ClassVar[str] = "org.hawkari.taxonomy_term.upserted.v1"
    verb: ClassVar[str] = "upserted"
    summary: ClassVar[str] = "A taxonomy term was created or changed; the payload is its full state."


class TaxonomyTermDeactivated(TaxonomyTermState):
    event_type: ClassVar[str] = "org.hawkari.taxonomy_term.deactivated.v1"
    verb: ClassVar[str] = "deactivated"
    summary: ClassVar[str] = "A taxonomy term was deactivated; the payload is its full, final state."


# The subjects a replica subscribes to, and the stream that holds them.
STREAM = "REGISTRY"
SUBJECTS = (f"{SERVICE}.>",)
