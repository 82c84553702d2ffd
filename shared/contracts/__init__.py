"""Event contracts that producers and consumers share (importing this package registers them)."""

from shared.contracts import registry

__all__ = ["registry"]
