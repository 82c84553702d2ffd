"""The filters of each dashboard: read from the query string, checked, passed on to coordination.

What the portal can check itself (a governorate code, a date, a range) it checks and shows next
to the field; the rest (an unknown programme or funder) the service refuses with a 422 whose
pointers (``#query/<name>``) land next to the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from services.portal import vocabulary
from services.portal.api import ApiProblem
from services.portal.errors import problem_message
from services.portal.i18n import gettext_ as _
from services.portal.steering.views import governorate_names

FUNNEL_BY = ("governorate", "programme", "funder", "provider", "month")
OUTCOMES_BY = ("programme", "governorate", "return_type")

# Which filters each page offers (and passes on). ``by`` picks a breakdown.
FILTERS: dict[str, tuple[str, ...]] = {
    "coverage": ("governorate", "term", "funder", "programme", "return_type", "from", "to"),
    "overlap": ("governorate", "term", "funder", "from", "to"),
    "gaps": ("governorate", "term", "from", "to"),
    "funnel": ("by", "governorate", "programme", "funder", "return_type", "from", "to"),
    "outcomes": ("by",),
    "timeline": ("funder", "from", "to"),
}

# Downloads: the page's name for a view -> (coordination path, the page whose filters apply).
EXPORTS: dict[str, tuple[str, str]] = {
    "coverage": ("/v1/coverage", "coverage"),
    "overlap": ("/v1/overlap", "overlap"),
    "gaps-declines": ("/v1/gaps/declines", "gaps"),
    "gaps-supply": ("/v1/gaps/supply", "gaps"),
    "funnel": ("/v1/funnel", "funnel"),
    "outcomes": ("/v1/outcomes", "outcomes"),
    "timeline": ("/v1/timeline", "timeline"),
}
SUPPLY_FILTERS = ("governorate", "from", "to")  # gaps/supply takes no term


@dataclass
class Filters:
    page: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def getlist(self, name: str) -> list[str]:
        return [self.values[name]] if name in self.values else []

    def params(self, names: tuple[str, ...] | None = None) -> dict[str, str]:
        """The query for coordination (it names the period ``from``/``to`` as we do)."""
        keep = names or FILTERS[self.page]
        return {k: v for k, v in self.values.items() if k in keep and v and k not in self.errors}

    def query(self) -> str:
        """The filters as a query string, for links that keep them (downloads, paging)."""
        return urlencode(self.params())

    def problem(self, problem: ApiProblem) -> None:
        """The service refused a filter: put its complaint next to the field it names."""
        placed = False
        for pointer in problem.pointers():
            name = pointer.rsplit("/", 1)[-1]
            if name in FILTERS[self.page]:
                self.errors.setdefault(name, _("This value was not accepted."))
                placed = True
        if not placed:
            self.message = problem_message(problem)


def read(page: str, query: Mapping[str, str]) -> Filters:
    filters = Filters(page)
    for name in FILTERS[page]:
        value = (query.get(name) or "").strip()
        if value:
            filters.values[name] = value
    governorate = filters.get("governorate")
    if governorate and governorate not in governorate_names():
        filters.errors["governorate"] = _("Choose one of the governorates shown.")
    if filters.get("return_type") and filters.get("return_type") not in vocabulary.RETURN_TYPES:
        filters.errors["return_type"] = _("Choose one of the options shown.")
    allowed_by = {"funnel": FUNNEL_BY, "outcomes": OUTCOMES_BY}.get(page)
    if allowed_by is not None:
        filters.values.setdefault("by", allowed_by[0])
        if filters.get("by") not in allowed_by:
            filters.errors["by"] = _("Choose one of the options shown.")
    days: dict[str, date] = {}
    for name in ("from", "to"):
        if filters.get(name):
            try:
                days[name] = date.fromisoformat(filters.get(name))
            except ValueError:
                filters.errors[name] = _("Enter a real date, for example 2025-03-27.")
    if "from" in days and "to" in days and days["from"] > days["to"]:
        filters.errors["to"] = _("The end of the period must not be before its start.")
    return filters
