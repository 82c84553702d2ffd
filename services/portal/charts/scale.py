"""Pure geometry shared by the charts: colour buckets, linear scales, mirroring, label trimming."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from services.portal.charts.figures import Figure, is_number

BUCKETS = 5  # hk-heat-1 .. hk-heat-5 in charts.css; hk-heat-0 is a true zero


def bucket(value: Figure, top: float) -> int:
    """The colour step of a value: 0 for zero, 1..BUCKETS for a share of ``top``."""
    if not is_number(value) or top <= 0:
        return 0
    assert isinstance(value, int | float)
    if value <= 0:
        return 0
    return max(1, min(BUCKETS, math.ceil(BUCKETS * value / top)))


def top_of(values: Iterable[Figure]) -> float:
    return max((float(v) for v in values if is_number(v)), default=0.0)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Mirror:
    """Places x on a chart ``width`` wide; in a right-to-left chart the x axis runs the other way.

    Text anchors stay logical ("start"/"end"): with the SVG ``direction`` set to rtl they flip
    along with the coordinates, so only coordinates are mirrored here.
    """

    width: float
    rtl: bool

    def x(self, x: float) -> float:
        return round(self.width - x, 2) if self.rtl else round(x, 2)

    def box(self, x: float, w: float) -> float:
        """The left edge of a box that starts at ``x`` (in reading order) and is ``w`` wide."""
        return round(self.width - x - w, 2) if self.rtl else round(x, 2)


def linear(value: float, lo: float, hi: float, start: float, end: float) -> float:
    if hi == lo:
        return start
    return start + (value - lo) * (end - start) / (hi - lo)


def trim(label: str, limit: int = 28) -> str:
    """Shorten a label for a fixed-width gutter; the full text stays in the data table and title."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
