"""Who hears about what: the recipient model of the notifications service.

People live in the identity provider, not here, and events name organizations, never people. So a
notification is addressed to an **audience**: an organization plus a role group —

- ``provider``: the receiving organization's ``provider_caseworker`` and ``provider_admin`` users;
- ``referrer``: the referring (case-owning) organization's ``counsellor`` users;
- ``admin``: an organization's ``provider_admin`` users (webhook endpoint disabled).

An inbox item is one row per event × audience. A user sees the items addressed to their token's
``org_id`` and to a group their roles belong to (or, where an item names a ``recipient_subject``,
only that user). What is per user is keyed by the token's ``sub``: read marks and preferences.

Email goes to the addresses the service knows: each user who saved preferences (their email is
taken from their token when they do) and belongs to the audience, and — when enabled — the
organization's published contact address from registry events. Webhooks go to the endpoints the
audience's organization registered. Every channel keeps a unique key per event × recipient, so
a redelivered event changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.auth import Role
from shared.contracts import referrals as rc

PROVIDER = "provider"
REFERRER = "referrer"
ADMIN = "admin"

GROUP_ROLES: dict[str, frozenset[str]] = {
    PROVIDER: frozenset({Role.provider_caseworker, Role.provider_admin}),
    REFERRER: frozenset({Role.counsellor}),
    ADMIN: frozenset({Role.provider_admin}),
}

# The kinds a user can switch per channel in preferences; "webhook.disabled" is for admins.
REFERRAL_KINDS = {
    rc.ReferralSent.event_type: "referral.sent",
    rc.ReferralReminderDue.event_type: "referral.reminder_due",
    rc.ReferralRevoked.event_type: "referral.revoked",
    rc.ReferralAccepted.event_type: "referral.accepted",
    rc.ReferralDeclined.event_type: "referral.declined",
    rc.ReferralStarted.event_type: "referral.started",
    rc.ReferralCompleted.event_type: "referral.completed",
    rc.ReferralClosed.event_type: "referral.closed",
    rc.ReferralExpired.event_type: "referral.expired",
}
CONSENT_WITHDRAWN = "consent.withdrawn"
WEBHOOK_DISABLED = "webhook.disabled"
KINDS = (*REFERRAL_KINDS.values(), CONSENT_WITHDRAWN, WEBHOOK_DISABLED)

# Who hears about each referral step (findhelp: every status change reaches the party that waits on it).
_REFERRAL_AUDIENCE = {
    "referral.sent": PROVIDER,
    "referral.reminder_due": PROVIDER,
    "referral.revoked": PROVIDER,
    "referral.accepted": REFERRER,
    "referral.declined": REFERRER,
    "referral.started": REFERRER,
    "referral.completed": REFERRER,
    "referral.closed": REFERRER,
    "referral.expired": REFERRER,
}

# The event types partners may subscribe their webhooks to.
WEBHOOK_EVENT_TYPES = frozenset({*REFERRAL_KINDS, rc.ConsentWithdrawn.event_type})

# Status order of a referral: a late event with a lower rank never moves the displayed status back.
STATUS_RANK = {
    "sent": 1,
    "accepted": 2,
    "started": 3,
    # The status the referrals service puts in a started event (the target state, not the verb).
    "in_progress": 3,
    "declined": 4,
    "completed": 4,
    "closed": 4,
    "revoked": 4,
    "expired": 4,
}


@dataclass(frozen=True)
class Audience:
    org_id: uuid.UUID
    group: str


def groups_of(roles: frozenset[str]) -> list[str]:
    """The role groups a user's roles place them in."""
    return [group for group, members in GROUP_ROLES.items() if roles & members]


def referral_audience(kind: str, dims: rc.Dimensions) -> Audience | None:
    group = _REFERRAL_AUDIENCE[kind]
    org = dims.provider_org_id if group == PROVIDER else dims.owner_org_id
    return Audience(org, group) if org else None
