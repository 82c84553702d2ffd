"""Who may do what in coordination, declared in one place.

- Every dashboard and export: ``funder`` and ``steering_admin`` (aggregates only, no person ever).
- The small-cell threshold k: read by both, set by ``steering_admin`` only.
"""

from __future__ import annotations

from shared.auth import Role

READ_DASHBOARDS = (Role.funder, Role.steering_admin)
SET_THRESHOLD = (Role.steering_admin,)
