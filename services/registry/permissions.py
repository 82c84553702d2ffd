"""Who may do what in the registry, declared in one place.

Everyone authenticated may read. Writes:

- organizations: ``platform_admin`` creates, changes and deactivates any; a ``provider_admin`` may
  change their own organization's profile (names, descriptions, contacts) but not its kind or
  parent;
- services, locations, and the eligibility rules and benefits of services: a ``provider_admin``,
  for their own organization only;
- capacity: a ``provider_admin`` or ``provider_caseworker`` of the owning organization (the
  caseworkers are the ones who know when a place frees up);
- programmes (with their rules and benefits), the taxonomy, cost-of-living factors and exchange
  rates: ``steering_admin``;
- the change history: ``provider_admin`` (their organization's entries), ``steering_admin``,
  ``platform_admin`` and ``data_protection_officer``.

Routers gate on the role aliases below (so OpenAPI shows them); the service layer checks them
again together with organization ownership, which only it can see.
"""

from __future__ import annotations

import uuid

from shared.auth import Principal, Role
from shared.errors import Forbidden

ORGANIZATION_ADMIN = (Role.platform_admin,)
ORGANIZATION_PROFILE = (Role.platform_admin, Role.provider_admin)
DIRECTORY_WRITE = (Role.provider_admin,)
CAPACITY_WRITE = (Role.provider_admin, Role.provider_caseworker)
PROGRAMME_WRITE = (Role.steering_admin,)
TAXONOMY_WRITE = (Role.steering_admin,)
COST_OF_LIVING_WRITE = (Role.steering_admin,)
HISTORY_READ = (Role.provider_admin, Role.steering_admin, Role.platform_admin, Role.data_protection_officer)
HISTORY_READ_ALL = (Role.steering_admin, Role.platform_admin, Role.data_protection_officer)

# The actor of the seed and other in-process maintenance. Compared by identity: no token can be it.
SYSTEM = Principal(
    subject="system:registry",
    username="registry-system",
    org_id=None,
    roles=frozenset(),
    client_id=None,
    token="",
)


def is_system(actor: Principal) -> bool:
    return actor is SYSTEM


def require(actor: Principal, roles: tuple[Role, ...]) -> None:
    if is_system(actor) or actor.has_role(*roles):
        return
    raise Forbidden(
        f"This needs one of these roles: {', '.join(roles)}.",
        extra={"required_roles": [str(r) for r in roles]},
    )


def require_own_organization(actor: Principal, organization_id: uuid.UUID, what: str = "entry") -> None:
    """A provider may write only their own organization's entries."""
    if is_system(actor):
        return
    if actor.org_id is None or actor.org_id != organization_id:
        raise Forbidden(f"This {what} belongs to another organization; you may change only your own.")
