"""A dot-and-line chart of reintegration scores (0..1) at baseline, 3, 6 and 12 months.

One line per dimension (economic, social, psychosocial), each with its own marker shape so the
lines are told apart without colour. A time point whose follow-ups are suppressed or missing
breaks the line rather than dropping to zero; under each time point its number of follow-ups
(or "suppressed") is written. Time runs in reading direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from services.portal.charts.figures import Figure, as_number, figure, is_number, show
from services.portal.charts.locale import ChartLocale
from services.portal.charts.render import render
from services.portal.charts.scale import Mirror, linear
from services.portal.charts.table import Cell, Row, Table, figure_cell

WIDTH = 640
HEIGHT = 300
START = 56  # gutter for the score axis, in reading order before the plot
END = 32
TOP = 16
BOTTOM = 64  # time labels and counts
TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
TIMEPOINTS = ("baseline", "month_3", "month_6", "month_12")
DIMENSIONS = ("economic", "social", "psychosocial")
MARKERS = {"economic": "circle", "social": "square", "psychosocial": "diamond"}


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # "Economic, 6 months: 0.54"


@dataclass(frozen=True)
class Series:
    dimension: str
    marker: str
    lines: list[str]  # polyline "x,y x,y" runs, broken where a point is missing
    points: list[Point]


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str
    sub: str = ""


@dataclass(frozen=True)
class OutcomeLayout:
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    plot_start: float
    plot_end: float
    plot_top: float
    plot_bottom: float


def timepoint_labels(loc: ChartLocale) -> dict[str, str]:
    _ = loc.gettext
    return {
        "baseline": _("Baseline"),
        "month_3": _("3 months"),
        "month_6": _("6 months"),
        "month_12": _("12 months"),
    }


def dimension_labels(loc: ChartLocale) -> dict[str, str]:
    _ = loc.gettext
    return {"economic": _("Economic"), "social": _("Social"), "psychosocial": _("Psychosocial")}


def scores_of(rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, list[Figure]], list[Figure]]:
    """Per dimension the four scores, and the four follow-up counts, from coordination rows of one group."""
    by_tp = {r["timepoint"]: r for r in rows}
    scores = {d: [figure(by_tp.get(tp, {}), f"{d}_mean") for tp in TIMEPOINTS] for d in DIMENSIONS}
    counts = [figure(by_tp.get(tp, {}), "follow_ups") for tp in TIMEPOINTS]
    return scores, counts


def layout(
    scores: Mapping[str, Sequence[Figure]], counts: Sequence[Figure], loc: ChartLocale
) -> OutcomeLayout:
    mirror = Mirror(WIDTH, loc.rtl)
    left, right = START, WIDTH - END
    top, bottom = TOP, HEIGHT - BOTTOM
    tp_labels, dim_labels = timepoint_labels(loc), dimension_labels(loc)
    step = (right - left) / len(TIMEPOINTS)
    xs = [left + step * (i + 0.5) for i in range(len(TIMEPOINTS))]
    x_ticks = [
        Tick(mirror.x(x), bottom + 20, tp_labels[tp], f"n = {show(counts[i], loc)}")
        for i, (x, tp) in enumerate(zip(xs, TIMEPOINTS, strict=True))
    ]
    y_ticks = [Tick(mirror.x(left - 8), round(linear(t, 0, 1, bottom, top), 2), loc.score(t)) for t in TICKS]
    series = []
    for dim in DIMENSIONS:
        values = scores.get(dim, ())
        runs: list[list[str]] = [[]]
        points = []
        for i, tp in enumerate(TIMEPOINTS):
            value = values[i] if i < len(values) else None
            if value is None or not is_number(value):
                runs.append([])
                continue
            x, y = mirror.x(xs[i]), round(linear(as_number(value), 0, 1, bottom, top), 2)
            runs[-1].append(f"{x},{y}")
            points.append(Point(x, y, f"{dim_labels[dim]}, {tp_labels[tp]}: {loc.score(as_number(value))}"))
        series.append(Series(dim, MARKERS[dim], [" ".join(r) for r in runs if len(r) > 1], points))
    return OutcomeLayout(series, x_ticks, y_ticks, mirror.x(left), mirror.x(right), float(top), float(bottom))


def outcome_table(
    caption: str, scores: Mapping[str, Sequence[Figure]], counts: Sequence[Figure], loc: ChartLocale
) -> Table:
    tp_labels, dim_labels = timepoint_labels(loc), dimension_labels(loc)
    rows = []
    for i, tp in enumerate(TIMEPOINTS):
        cells = [figure_cell(counts[i], loc)]
        cells += [figure_cell(scores[d][i], loc, kind="score") for d in DIMENSIONS]
        rows.append(Row(Cell(tp_labels[tp]), cells))
    columns = [loc.gettext("Time point"), loc.gettext("Follow-ups"), *(dim_labels[d] for d in DIMENSIONS)]
    return Table(caption, columns, rows)


def outcome_chart(chart_id: str, title: str, rows: Sequence[Mapping[str, Any]], loc: ChartLocale) -> Markup:
    """The chart for one group (a programme, a governorate, or all) from its coordination rows."""
    scores, counts = scores_of(rows)
    _ = loc.gettext
    return render(
        "charts/outcomes.html",
        loc,
        chart_id=chart_id,
        title=title,
        description=_(
            "Mean scores from 0 to 1 per dimension at baseline, 3, 6 and 12 months; "
            "higher is better. A missing point is suppressed or has no follow-ups."
        ),
        shape=layout(scores, counts, loc),
        labels=dimension_labels(loc),
        table=outcome_table(title, scores, counts, loc),
        width=WIDTH,
        height=HEIGHT,
    )
