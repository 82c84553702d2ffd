"""Collect every domain-level field error of a request, then answer one 422 naming them all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.errors import InvalidField


class FieldErrors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, pointer: str, message: str) -> None:
        self.items.append((pointer, message))

    def not_null(self, changes: Mapping[str, Any], *fields: str) -> None:
        """In a PATCH, `null` clears an optional field; these fields are required and cannot be cleared."""
        for field in fields:
            if field in changes and changes[field] is None:
                self.add(f"/{field}", "may not be null")

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidField(self.items)
