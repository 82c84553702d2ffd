"""Referrals events: what happened to cases, consent, referrals, follow-ups and duplicate flags.

Subjects are ``referrals.<entity>.<verb>`` on the ``REFERRALS`` stream. These events NEVER carry
personal data: no names, dates of birth, phone numbers, document numbers, addresses, notes,
vulnerabilities, and no free text at all. Ids are random UUIDs; every event carries the
non-personal dimensions statistics need (governorate, return type, gender, age band, taxonomy
term, programme, provider organization, funder countries).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.contracts import EventContract

SERVICE = "referrals"
STREAM = "REFERRALS"
SUBJECTS = (f"{SERVICE}.>",)


class Dimensions(BaseModel):
    """The statistics dimensions; referral-only ones are null on case events."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner_org_id: uuid.UUID | None = None
    governorate_code: str | None = None
    return_type: str | None = None
    gender: str | None = None
    age_band: str | None = None
    taxonomy_term_code: str | None = None
    programme_id: uuid.UUID | None = None
    provider_org_id: uuid.UUID | None = None
    funder_countries: list[str] = []


class ReferralsEvent(EventContract):
    service: ClassVar[str] = SERVICE

    case_id: uuid.UUID
    dimensions: Dimensions
    # The case's short reference (random letters, reveals nothing): the one counsellors and
    # caseworkers see, so a message can be quoted on the phone. Set on referral and consent events.
    case_reference: str | None = None


# --- cases --------------------------------------------------------------------------------------


class CaseEvent(ReferralsEvent):
    entity: ClassVar[str] = "case"


class CaseOpened(CaseEvent):
    event_type: ClassVar[str] = "org.hawkari.case.opened.v1"
    verb: ClassVar[str] = "opened"
    summary: ClassVar[str] = "A case was opened for a returnee (no personal data)."


class CaseTransferred(CaseEvent):
    event_type: ClassVar[str] = "org.hawkari.case.transferred.v1"
    verb: ClassVar[str] = "transferred"
    summary: ClassVar[str] = "A case's ownership moved from one organization to another."

    from_org_id: uuid.UUID
    to_org_id: uuid.UUID


class CaseClosed(CaseEvent):
    event_type: ClassVar[str] = "org.hawkari.case.closed.v1"
    verb: ClassVar[str] = "closed"
    summary: ClassVar[str] = "A case was closed."


class CaseErased(CaseEvent):
    event_type: ClassVar[str] = "org.hawkari.case.erased.v1"
    verb: ClassVar[str] = "erased"
    summary: ClassVar[str] = "A case's personal data was erased (its key destroyed); a tombstone remains."


# --- consent ------------------------------------------------------------------------------------


class ConsentEvent(ReferralsEvent):
    entity: ClassVar[str] = "consent"

    consent_id: uuid.UUID
    purposes: list[str]
    data_categories: list[str]
    legal_basis: str


class ConsentRecorded(ConsentEvent):
    event_type: ClassVar[str] = "org.hawkari.consent.recorded.v1"
    verb: ClassVar[str] = "recorded"
    summary: ClassVar[str] = "Consent was recorded (purposes and data categories only)."


class ConsentWithdrawn(ConsentEvent):
    event_type: ClassVar[str] = "org.hawkari.consent.withdrawn.v1"
    verb: ClassVar[str] = "withdrawn"
    summary: ClassVar[str] = "Consent was withdrawn (purposes and data categories only)."


# --- referrals ----------------------------------------------------------------------------------


class ReferralEvent(ReferralsEvent):
    entity: ClassVar[str] = "referral"

    referral_id: uuid.UUID
    service_id: uuid.UUID
    status: str
    data_categories: list[str]
    # When the referral was sent (ISO 8601), so read models can measure time to answer.
    sent_at: str | None = None
    # The user id (IdP subject) of the staff member who sent it: a counsellor, never the returnee.
    referrer_subject: str | None = None


class ReferralSent(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.sent.v1"
    verb: ClassVar[str] = "sent"
    summary: ClassVar[str] = "A referral was sent to a provider's service."

    legal_basis: str
    capacity_warning: bool
    deadline_at: str | None = None
    # Cash benefit kinds this referral's programme pays that the case already gets from another
    # programme (an accepted, started or completed referral): the double-funding signal, never who.
    cash_overlap_kinds: list[str] = []  # noqa: RUF012 - a pydantic field (copied per instance)


class ReferralAccepted(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.accepted.v1"
    verb: ClassVar[str] = "accepted"
    summary: ClassVar[str] = "The provider accepted a referral."

    cash_overlap_kinds: list[str] = []  # noqa: RUF012 - a pydantic field (copied per instance)


class ReferralDeclined(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.declined.v1"
    verb: ClassVar[str] = "declined"
    summary: ClassVar[str] = "The provider declined a referral (reason code only)."

    reason: str


class ReferralStarted(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.started.v1"
    verb: ClassVar[str] = "started"
    summary: ClassVar[str] = "Service delivery on a referral started."


class ReferralCompleted(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.completed.v1"
    verb: ClassVar[str] = "completed"
    summary: ClassVar[str] = "A referral was completed (outcome code only)."

    outcome: str


class ReferralClosed(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.closed.v1"
    verb: ClassVar[str] = "closed"
    summary: ClassVar[str] = "A referral was closed without completion (reason code only)."

    reason: str


class ReferralRevoked(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.revoked.v1"
    verb: ClassVar[str] = "revoked"
    summary: ClassVar[str] = "The sender revoked a referral, or consent it depended on was withdrawn."

    reason: str


class ReferralExpired(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.expired.v1"
    verb: ClassVar[str] = "expired"
    summary: ClassVar[str] = "A referral went unanswered past the service's deadline."


class ReferralReminderDue(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.reminder_due.v1"
    verb: ClassVar[str] = "reminder_due"
    summary: ClassVar[str] = "A sent referral is still unanswered: half its time is gone, or one day is left."

    reminder: str  # half_time | one_day_left
    deadline_at: str


class ReferralFeedbackRecorded(ReferralEvent):
    event_type: ClassVar[str] = "org.hawkari.referral.feedback_recorded.v1"
    verb: ClassVar[str] = "feedback_recorded"
    summary: ClassVar[str] = "The returnee's feedback on a completed referral (delivered, quality, wait)."

    delivered: bool
    quality: int | None = None
    wait_days: int | None = None


# --- follow-ups and duplicates ------------------------------------------------------------------


class FollowUpRecorded(ReferralsEvent):
    event_type: ClassVar[str] = "org.hawkari.followup.recorded.v1"
    entity: ClassVar[str] = "followup"
    verb: ClassVar[str] = "recorded"
    summary: ClassVar[str] = "An outcome follow-up was recorded: timepoint and dimension scores (0..1)."

    follow_up_id: uuid.UUID
    timepoint: str
    economic: float | None = None
    social: float | None = None
    psychosocial: float | None = None
    # The case's service bundle at the time: programmes and taxonomy terms of its accepted,
    # started or completed referrals, so outcomes can be read by programme and by bundle.
    programme_ids: list[uuid.UUID] = []  # noqa: RUF012 - a pydantic field (copied per instance)
    taxonomy_term_codes: list[str] = []  # noqa: RUF012 - a pydantic field (copied per instance)


class NeedsAssessed(ReferralsEvent):
    event_type: ClassVar[str] = "org.hawkari.needs.assessed.v1"
    entity: ClassVar[str] = "needs"
    verb: ClassVar[str] = "assessed"
    summary: ClassVar[str] = (
        "A needs assessment was recorded: level 0..3 per dimension, and the dimensions with a need "
        "but no eligible active service in the governorate of return (no need codes, no notes)."
    )

    levels: dict[str, int]
    unmet_dimensions: list[str] = []  # noqa: RUF012 - a pydantic field (copied per instance)


class DuplicateEvent(ReferralsEvent):
    entity: ClassVar[str] = "duplicate"

    flag_id: uuid.UUID
    other_case_id: uuid.UUID
    match: str  # document | name_dob


class DuplicateFlagged(DuplicateEvent):
    event_type: ClassVar[str] = "org.hawkari.duplicate.flagged.v1"
    verb: ClassVar[str] = "flagged"
    summary: ClassVar[str] = "Two cases may be the same person (keyed-hash match); a counsellor must decide."


class DuplicateResolved(DuplicateEvent):
    event_type: ClassVar[str] = "org.hawkari.duplicate.resolved.v1"
    verb: ClassVar[str] = "resolved"
    summary: ClassVar[str] = "A possible duplicate was confirmed or dismissed by a counsellor (never merged)."

    resolution: str  # confirmed | dismissed
