"""Every table of the coordination read model. None of them holds a person, a case or a referral.

Two kinds of table:

- **directory replica** (``organization``, ``location``, ``service``, ``programme``,
  ``taxonomy_term``): the last state of each registry entity, applied only when its ``version`` is
  newer, plus two derived tables rebuilt from that state (``service_cell``: where and what a
  service offers; ``programme_service``: which programme funds which service).
- **tallies** (``referral_tally``, ``people_tally``, ``followup_tally``, ``followup_programme_tally``,
  ``accept_time_tally``, ``cash_overlap_tally``, ``needs_tally``): counts keyed by non-personal
  dimensions, incremented once per event (the inbox makes that exactly once). Increments
  commute, so the order events arrive in does not matter. An unknown dimension is
  stored as ``''``; no column can hold an id of a case, a referral, a consent or a follow-up.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from services.coordination.db import Base

metadata = Base.metadata


def _versioned(name: str, *columns: sa.Column[object]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        *columns,
    )


organization = _versioned(
    "organization",
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("country_code", sa.Text),
)

location = _versioned(
    "location",
    sa.Column("organization_id", sa.Uuid, nullable=False),
    sa.Column("location_type", sa.Text, nullable=False),
    sa.Column("governorate_code", sa.Text),
    sa.Column("district_code", sa.Text),
)

service = _versioned(
    "service",
    sa.Column("organization_id", sa.Uuid, nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("accepts_referrals", sa.Boolean, nullable=False),
    sa.Column("open_places", sa.Integer),
    sa.Column("taxonomy_term_codes", ARRAY(sa.Text), nullable=False),
    sa.Column("location_ids", ARRAY(sa.Uuid), nullable=False),
    sa.Column("service_areas", JSONB, nullable=False),
)

programme = _versioned(
    "programme",
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("funder_countries", ARRAY(sa.Text), nullable=False),
    sa.Column("funding_instruments", ARRAY(sa.Text), nullable=False),
    sa.Column("thematic_areas", ARRAY(sa.Text), nullable=False),
    sa.Column("target_group", sa.Text, nullable=False),
    sa.Column("eligible_return_types", ARRAY(sa.Text), nullable=False),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date),
    sa.Column("implementing_organization_ids", ARRAY(sa.Uuid), nullable=False),
    sa.Column("service_ids", ARRAY(sa.Uuid), nullable=False),
)

taxonomy_term = _versioned(
    "taxonomy_term",
    sa.Column("code", sa.Text, nullable=False, index=True),
    sa.Column("dimension", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
)

# Derived from service (+ its locations when it names no service area): one row per
# (service, governorate, district or '', taxonomy term). Recomputed whenever either changes.
service_cell = sa.Table(
    "service_cell",
    metadata,
    sa.Column("service_id", sa.Uuid, primary_key=True),
    sa.Column("governorate_code", sa.Text, primary_key=True),
    sa.Column("district_code", sa.Text, primary_key=True),
    sa.Column("term_code", sa.Text, primary_key=True),
    sa.Index("ix_service_cell_area_term", "governorate_code", "term_code"),
)

# Derived from programme.service_ids.
programme_service = sa.Table(
    "programme_service",
    metadata,
    sa.Column("programme_id", sa.Uuid, primary_key=True),
    sa.Column("service_id", sa.Uuid, primary_key=True, index=True),
)


def _tally(name: str, dims: tuple[str, ...], *measures: sa.Column[object]) -> sa.Table:
    columns: list[sa.Column[object]] = [sa.Column("month", sa.Date, primary_key=True)]
    columns += [sa.Column(d, sa.Text, primary_key=True) for d in dims]
    return sa.Table(name, metadata, *columns, *measures)


# One row per (month, dimensions, stage, reason): how many referral events of that kind happened.
# stage = the event's verb (sent, accepted, declined, started, completed, closed, revoked, expired,
# reminder_due); reason = its reason/outcome/reminder code, '' when it has none.
REFERRAL_DIMS = (
    "governorate",
    "term",
    "programme",
    "funder",
    "provider",
    "return_type",
    "stage",
    "reason",
)
referral_tally = _tally("referral_tally", REFERRAL_DIMS, sa.Column("count", sa.BigInteger, nullable=False))

# Cases opened and referrals sent by gender and age band (no term/provider: fewer, larger cells).
PEOPLE_DIMS = ("governorate", "programme", "funder", "return_type", "gender", "age_band", "stage")
people_tally = _tally("people_tally", PEOPLE_DIMS, sa.Column("count", sa.BigInteger, nullable=False))


def _score_measures() -> list[sa.Column[object]]:
    return [
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("economic_n", sa.BigInteger, nullable=False),
        sa.Column("economic_sum", sa.Float, nullable=False),
        sa.Column("social_n", sa.BigInteger, nullable=False),
        sa.Column("social_sum", sa.Float, nullable=False),
        sa.Column("psychosocial_n", sa.BigInteger, nullable=False),
        sa.Column("psychosocial_sum", sa.Float, nullable=False),
    ]


# Follow-ups: how many at each timepoint, and the sums of each dimension's scores (0..1).
# bundle = the case's service bundle at the time: its taxonomy term codes, sorted and joined by
# '+' ('' = no service yet). Each follow-up has exactly one bundle, so bundles add up.
FOLLOWUP_DIMS = ("governorate", "programme", "return_type", "timepoint", "bundle")
followup_tally = _tally("followup_tally", FOLLOWUP_DIMS, *_score_measures())

# Follow-ups under each programme of the case's bundle: a follow-up of a case served by two
# programmes counts under both, so these rows do NOT add up across programmes (no margin).
followup_programme_tally = _tally("followup_programme_tally", ("programme", "timepoint"), *_score_measures())

# Time from sent to accepted, as a histogram: one row per (month accepted, dimensions, hour bin).
# ``hours_bin`` indexes ``ACCEPT_HOUR_BINS`` (services/coordination/tallies.py). Durations only;
# nothing pairs the two events, because referral.accepted carries its own sent time.
ACCEPT_DIMS = ("governorate", "programme", "funder", "provider", "return_type")
accept_time_tally = sa.Table(
    "accept_time_tally",
    metadata,
    sa.Column("month", sa.Date, primary_key=True),
    *[sa.Column(d, sa.Text, primary_key=True) for d in ACCEPT_DIMS],
    sa.Column("hours_bin", sa.SmallInteger, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)

# Referrals sent/accepted for a kind of cash support the case already gets from another programme
# (the double-funding signal): one count per (referral event, kind); never which case.
CASH_DIMS = ("governorate", "programme", "funder", "kind", "stage")
cash_overlap_tally = _tally(
    "cash_overlap_tally", CASH_DIMS, sa.Column("count", sa.BigInteger, nullable=False)
)

# Needs assessments per dimension: stage 'need_assessed' (level >= 1) and 'need_unmet' (a need
# with no eligible active service in the governorate of return). One count per (event, dimension).
NEEDS_DIMS = ("governorate", "return_type", "dimension", "stage")
needs_tally = _tally("needs_tally", NEEDS_DIMS, sa.Column("count", sa.BigInteger, nullable=False))

# Settings a steering_admin changes (the small-cell threshold k).
coordination_setting = sa.Table(
    "coordination_setting",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

# One row: grows by one with every applied event, so a snapshot of suppressed counts knows
# whether it is current.
read_model_state = sa.Table(
    "read_model_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("generation", sa.BigInteger, nullable=False),
)

READ_MODEL_TABLES = (
    organization,
    location,
    service,
    programme,
    taxonomy_term,
    service_cell,
    programme_service,
    referral_tally,
    people_tally,
    followup_tally,
    followup_programme_tally,
    accept_time_tally,
    cash_overlap_tally,
    needs_tally,
)
