"""Who may do what in notifications, declared in one place.

- The inbox and preferences: any signed-in person with an organization (their own items only).
- Webhook endpoints of an organization: its ``provider_admin``.
"""

from __future__ import annotations

from shared.auth import Role

WEBHOOK_ADMIN = (Role.provider_admin,)
