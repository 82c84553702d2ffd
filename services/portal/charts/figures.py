"""A figure on a chart: a number, suppressed (a small cell hidden on purpose), or no data.

Suppressed and "no data" must never look like zero: a suppressed cell is between 1 and k-1, and
showing it as 0 would both mislead and hint at its value. The coordination service marks a
suppressed figure as ``null`` and lists its column in the row's ``suppressed``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from services.portal.charts.locale import ChartLocale


class Missing(enum.Enum):
    SUPPRESSED = "suppressed"
    NO_DATA = "no_data"


SUPPRESSED = Missing.SUPPRESSED
NO_DATA = Missing.NO_DATA

Figure = int | float | Missing


def figure(row: Mapping[str, Any], column: str) -> Figure:
    """Read one figure from a coordination row (JSON)."""
    if column in row.get("suppressed", ()):
        return SUPPRESSED
    value = row.get(column)
    if value is None or isinstance(value, bool):
        return NO_DATA
    if isinstance(value, int | float):
        return value
    return NO_DATA


def is_number(value: Figure) -> bool:
    return not isinstance(value, Missing)


def as_number(value: Figure) -> float:
    return 0.0 if isinstance(value, Missing) else float(value)


def show(value: Figure, loc: ChartLocale, *, kind: str = "number") -> str:
    """The text a reader sees for a figure, in their language and digits."""
    _ = loc.gettext
    if value is SUPPRESSED:
        return _("suppressed")
    if value is NO_DATA:
        return _("no data")
    assert not isinstance(value, Missing)
    if kind == "score":
        return loc.score(value)
    if kind == "percent":
        return loc.percent(value)
    return loc.number(value)


def css_state(value: Figure) -> str:
    """The class that styles a figure's state (used by every chart and table)."""
    if value is SUPPRESSED:
        return "hk-suppressed"
    if value is NO_DATA:
        return "hk-nodata"
    return "hk-value"
