"""The closed vocabularies of the referrals service (stored as text, validated by the schemas)."""

from __future__ import annotations

from enum import StrEnum


class ReturnType(StrEnum):
    voluntary_assisted = "voluntary_assisted"
    return_migration_with_permit = "return_migration_with_permit"
    self_initiated = "self_initiated"
    forced = "forced"


class Gender(StrEnum):
    female = "female"
    male = "male"
    other = "other"
    undisclosed = "undisclosed"


class AgeBand(StrEnum):
    child = "0-17"
    young = "18-24"
    adult = "25-34"
    middle = "35-49"
    older = "50-64"
    senior = "65+"


class DataCategory(StrEnum):
    """What may be shared with a recipient. Free-text case notes are never shared."""

    identity_contact = "identity_contact"
    needs = "needs"
    vulnerabilities = "vulnerabilities"
    documents = "documents"


class Purpose(StrEnum):
    referral = "referral"
    follow_up_contact = "follow_up_contact"
    statistics = "statistics"


class LegalBasis(StrEnum):
    consent = "consent"
    vital_interest = "vital_interest"


class ObtainedHow(StrEnum):
    verbal = "verbal"
    written = "written"
    electronic = "electronic"


class ChildView(StrEnum):
    agrees = "agrees"
    disagrees = "disagrees"
    unable_to_express = "unable_to_express"


class Vulnerability(StrEnum):
    health = "health"
    disability = "disability"
    unaccompanied_minor = "unaccompanied_minor"
    trafficking = "trafficking"
    other = "other"


class Dimension(StrEnum):
    economic = "economic"
    social = "social"
    psychosocial = "psychosocial"
