"""Who may do what with cases, consent and referrals, declared in one place.

- Cases, personal data, consent, needs, follow-ups, duplicates, transfers and sending referrals:
  ``counsellor`` of the organization that owns the case.
- Reception: staff (``provider_caseworker``, ``provider_admin``) of an organization that receives
  returnees on arrival — a migrant resource centre, or one running an arrival-reception service
  in the directory (ETTC at Baghdad airport) — may open a case, record consent and personal data,
  and transfer the case to the MRC that will follow the person. Referrals, needs and follow-ups
  stay counsellors' work, and only counsellors accept a transferred case.
- Answering referrals (accept, decline, start, complete, close): ``provider_caseworker`` or
  ``provider_admin`` of the organization the referral is addressed to.
- Subject access reports, erasure and the audit chain: ``data_protection_officer``.
- Re-wrapping data keys under a new master key: ``platform_admin`` (it reveals no case content).
"""

from __future__ import annotations

import uuid

from shared.auth import Principal, Role
from shared.errors import Forbidden, NotFound

CASE_WORK = (Role.counsellor,)
PROVIDER_WORK = (Role.provider_caseworker, Role.provider_admin)
REFERRAL_READ = (*CASE_WORK, *PROVIDER_WORK)
# Who may hold a case at all; provider staff only when their organization receives returnees.
CASE_HOLDERS = (*CASE_WORK, *PROVIDER_WORK)
DPO = (Role.data_protection_officer,)
KEY_ADMIN = (Role.platform_admin,)

# The actor of the seed, the expiry task and other in-process maintenance. No token can be it.
SYSTEM = Principal(
    subject="system:referrals",
    username="referrals-system",
    org_id=None,
    roles=frozenset({"system"}),
    client_id=None,
    token="",
)


def is_system(actor: Principal) -> bool:
    return actor is SYSTEM


def require(actor: Principal, roles: tuple[str, ...]) -> None:
    if is_system(actor) or actor.has_role(*roles):
        return
    raise Forbidden(
        f"This needs one of these roles: {', '.join(roles)}.",
        extra={"required_roles": [str(r) for r in roles]},
    )


def require_case_owner(actor: Principal, owner_org_id: uuid.UUID) -> None:
    """Case holders see only their organization's cases; another's case does not exist for them."""
    if is_system(actor):
        return
    require(actor, CASE_HOLDERS)
    if actor.org_id is None or actor.org_id != owner_org_id:
        raise NotFound("No such case.")
