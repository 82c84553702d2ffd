"""Event contracts that producers and consumers share (importing this package registers them)."""

import shared.contracts.referrals  # noqa: F401 - registers the referrals contracts
from shared.contracts import registry

__all__ = ["registry"]
