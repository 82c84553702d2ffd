"""Who hears about what: the recipient model of the notifications service.

People live in the identity provider, and most events name organizations, not people. So a
notification is addressed to an **audience**: an organization plus a role group —

- ``provider``: the receiving organization's ``provider_caseworker`` and ``provider_admin`` users;
- ``referrer``: the counsellor who sent the referral, when the event names them
  (``referrer_subject``, an IdP subject); for older events without it, the referring
  (case-owning) organization's ``counsellor`` users;
- ``admin``: an organization's ``provider_admin`` users (webhook endpoint disabled).

An inbox item is one row per event × audience. A user sees the items addressed to their token's
``org_id`` and to a group their roles belong to, and the items addressed to them personally
(``recipient_subject``). What is per user is keyed by the token's ``sub``: read marks, preferences.

Email goes to the users ``directory.users`` knows (every user who has called this service, with
the email address and locale of their token) who belong to the audience — or to the one person —
in their preferred language, unless they switched that email off; and, for organization
audiences and when enabled, to the organization's published contact address from registry
events. Webhooks go to the endpoints the audience's organization registered. Every channel keeps
a unique key per event × recipient, so a redelivered event changes nothing.
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
    # An IdP subject when the notice is for one person (the referring counsellor), else "".
    subject: str = ""


def groups_of(roles: frozenset[str]) -> list[str]:
    """The role groups a user's roles place them in."""
    return [group for group, members in GROUP_ROLES.items() if roles & members]


def referral_audience(kind: str, dims: rc.Dimensions, referrer_subject: str | None = None) -> Audience | None:
    """Who hears of a referral step. The referrer side is the counsellor who sent it, when the event
    names them (``referrer_subject``); older events do not, and then it is the owning organization's
    counsellors."""
    group = _REFERRAL_AUDIENCE[kind]
    org = dims.provider_org_id if group == PROVIDER else dims.owner_org_id
    if org is None:
        return None
    person = referrer_subject if group == REFERRER and referrer_subject else ""
    return Audience(org, group, person)
