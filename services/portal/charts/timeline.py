"""Programmes and MRC openings on one time axis, to line up funding and review cycles.

A programme is a bar from its start to its end (an open end runs to the edge, drawn dashed); an
MRC is a diamond at its opening. The funder's own programmes carry a star and a class. Time runs
in reading direction: right to left in Arabic and Kurdish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from services.portal.charts.locale import ChartLocale
from services.portal.charts.render import render
from services.portal.charts.scale import Mirror, linear, trim
from services.portal.charts.table import Cell, Row, Table

WIDTH = 720
LABEL = 230
END = 20
ROW = 26
BAR = 14
AXIS = 30  # year labels above the rows


@dataclass(frozen=True)
class Span:
    kind: str  # "programme" or "mrc"
    label: str
    start: date | None
    end: date | None = None
    own: bool = False
    funders: str = ""


@dataclass(frozen=True)
class SpanShape:
    label: str
    full_label: str
    kind: str
    own: bool
    x: float
    width: float
    y: float
    cx: float
    label_x: float
    text_y: float
    open_end: bool
    classes: str
    period: str


@dataclass(frozen=True)
class YearTick:
    x: float
    text: str


@dataclass(frozen=True)
class TimelineLayout:
    shapes: list[SpanShape]
    years: list[YearTick]
    today_x: float | None
    height: int
    axis_start: float
    axis_end: float


def axis_range(spans: Sequence[Span], today: date) -> tuple[date, date]:
    starts = [s.start for s in spans if s.start]
    ends = [s.end for s in spans if s.end] + starts + [today]
    first = min(starts, default=today)
    return date(first.year, 1, 1), date(max(ends).year + 1, 1, 1)


def period_text(span: Span, loc: ChartLocale) -> str:
    _ = loc.gettext
    if span.start is None:
        return _("no data")
    if span.kind == "mrc":
        return _("from {start}").format(start=loc.month(span.start))
    if span.end is None:
        return _("{start} – open-ended").format(start=loc.month(span.start))
    return f"{loc.month(span.start)} – {loc.month(span.end)}"


def layout(spans: Sequence[Span], loc: ChartLocale, today: date) -> TimelineLayout:
    mirror = Mirror(WIDTH, loc.rtl)
    lo, hi = axis_range(spans, today)
    left, right = LABEL, WIDTH - END

    def at(day: date) -> float:
        return linear(day.toordinal(), lo.toordinal(), hi.toordinal(), left, right)

    shapes = []
    for i, s in enumerate(spans):
        y = AXIS + i * ROW
        start = at(s.start) if s.start else left
        end = at(s.end) if s.end else right
        width = 0.0 if s.start is None or s.kind == "mrc" else max(end - start, 2.0)
        classes = f"hk-span hk-span-{s.kind}" + (" hk-own" if s.own else "")
        classes += " hk-open" if s.kind == "programme" and s.end is None else ""
        classes += " hk-nodata" if s.start is None else ""
        shapes.append(
            SpanShape(
                label=trim(s.label, 26),
                full_label=s.label,
                kind=s.kind,
                own=s.own,
                x=mirror.box(start, width),
                width=round(width, 2),
                y=y + (ROW - BAR) / 2,
                cx=mirror.x(start),
                label_x=mirror.x(LABEL - 8),
                text_y=y + ROW / 2 + 5,
                open_end=s.kind == "programme" and s.end is None,
                classes=classes,
                period=period_text(s, loc),
            )
        )
    years = [
        YearTick(mirror.x(at(date(y, 1, 1))), loc.year(date(y, 1, 1))) for y in range(lo.year, hi.year + 1)
    ]
    return TimelineLayout(
        shapes,
        years,
        mirror.x(at(today)) if lo <= today <= hi else None,
        AXIS + len(spans) * ROW + 8,
        mirror.x(left),
        mirror.x(right),
    )


def timeline_table(caption: str, spans: Sequence[Span], loc: ChartLocale) -> Table:
    _ = loc.gettext
    kinds = {"programme": _("Programme"), "mrc": _("Migrant Resource Centre")}
    rows = []
    for s in spans:
        header = Cell(s.label, note=_("own programme") if s.own else "", mark="★" if s.own else "")
        rows.append(
            Row(
                header,
                [Cell(kinds.get(s.kind, s.kind)), Cell(s.funders), Cell(period_text(s, loc))],
                "hk-own" if s.own else "",
            )
        )
    return Table(caption, [_("Name"), _("Kind"), _("Funders"), _("Period")], rows)


def timeline_chart(
    chart_id: str, title: str, spans: Sequence[Span], loc: ChartLocale, *, today: date
) -> Markup:
    _ = loc.gettext
    shape = layout(spans, loc, today)
    return render(
        "charts/timeline.html",
        loc,
        chart_id=chart_id,
        title=title,
        description=_(
            "Programmes as bars from start to end and Migrant Resource Centres as diamonds at their "
            "opening; a star marks your own programmes."
        ),
        shape=shape,
        table=timeline_table(title, spans, loc),
        width=WIDTH,
        bar=BAR,
    )
