"""Server-side form handling: read a posted form, collect errors per field, show them in the page.

A page validates what it can itself (required fields, dates, numbers) and sends the rest to the
service; a 422 problem from the service is mapped back onto the form's fields by JSON pointer, so
every error appears next to its field and in the summary at the top, in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import Request

from services.portal.api import ApiProblem
from services.portal.errors import problem_message
from services.portal.i18n import gettext_ as _


@dataclass
class Form:
    """A posted form: its values (to refill the fields), its errors, and a message for the summary."""

    values: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None

    @classmethod
    async def read(cls, request: Request) -> Form:
        data = await request.form()
        values: dict[str, Any] = {}
        lists: dict[str, list[str]] = {}
        for key in data:
            if key == "csrf_token":
                continue
            all_values = [v for v in data.getlist(key) if isinstance(v, str)]
            lists[key] = all_values
            values[key] = all_values[-1].strip() if all_values else ""
        return cls(values, lists)

    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None

    def get(self, name: str) -> str:
        return str(self.values.get(name) or "")

    def getlist(self, name: str) -> list[str]:
        return self.lists.get(name, [])

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def required(self, name: str) -> str | None:
        value = self.get(name)
        if not value:
            self.error(name, _("Enter this information."))
            return None
        return value

    def choice(self, name: str, allowed: set[str] | list[str], required: bool = True) -> str | None:
        value = self.get(name)
        if not value:
            if required:
                self.error(name, _("Choose one option."))
            return None
        if value not in allowed:
            self.error(name, _("Choose one of the options shown."))
            return None
        return value

    def choices(self, name: str, allowed: set[str] | list[str]) -> list[str]:
        picked = self.getlist(name)
        unknown = [v for v in picked if v not in allowed]
        if unknown:
            self.error(name, _("Choose only among the options shown."))
        return [v for v in picked if v in allowed]

    def date(self, name: str, required: bool = False, not_future: bool = False) -> date | None:
        value = self.get(name)
        if not value:
            if required:
                self.error(name, _("Enter a date."))
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.error(name, _("Enter a real date, for example 2025-03-27."))
            return None
        if not_future and parsed > date.today():
            self.error(name, _("The date cannot be in the future."))
            return None
        return parsed

    def integer(self, name: str, minimum: int, maximum: int, required: bool = False) -> int | None:
        value = self.get(name)
        if not value:
            if required:
                self.error(name, _("Enter a number."))
            return None
        try:
            number = int(value)
        except ValueError:
            self.error(name, _("Enter a whole number."))
            return None
        if not minimum <= number <= maximum:
            self.error(name, _("Enter a number from %(min)s to %(max)s.", min=minimum, max=maximum))
            return None
        return number

    def problem(self, problem: ApiProblem, fields: dict[str, str] | None = None) -> None:
        """Show a service's refusal: per field where its pointer maps to one, else in the summary."""
        fields = fields or {}
        unmatched = False
        for pointer, detail in problem.pointers().items():
            name = fields.get(pointer) or next(
                (f for p, f in fields.items() if p and pointer.startswith(p)), None
            )
            if name:
                # The service explains in English; the sentence around it is in the user's language.
                self.error(name, _("This value was not accepted: %(reason)s", reason=detail or "—"))
            else:
                unmatched = True
        if unmatched or not problem.errors or problem.status != 422:
            self.message = problem_message(problem)
