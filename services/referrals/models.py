"""Importing this module registers every table of the service on ``services.referrals.db.Base``."""

from services.referrals.audit.models import AuditEntry
from services.referrals.cases.models import Case
from services.referrals.consent.models import ConsentRecord
from services.referrals.duplicates.models import DuplicateFlag, IdentityHash
from services.referrals.followups.models import FollowUp
from services.referrals.idempotency import IdempotentRequest
from services.referrals.personal_data.models import CaseKey, PersonalRecord
from services.referrals.referrals.models import Referral
from services.referrals.replica.models import (
    ReplicaBenefit,
    ReplicaOrganization,
    ReplicaProgramme,
    ReplicaService,
    ReplicaTaxonomyTerm,
)
from services.referrals.transfers.models import CaseTransfer

__all__ = [
    "AuditEntry",
    "Case",
    "CaseKey",
    "CaseTransfer",
    "ConsentRecord",
    "DuplicateFlag",
    "FollowUp",
    "IdempotentRequest",
    "IdentityHash",
    "PersonalRecord",
    "Referral",
    "ReplicaBenefit",
    "ReplicaOrganization",
    "ReplicaProgramme",
    "ReplicaService",
    "ReplicaTaxonomyTerm",
]
