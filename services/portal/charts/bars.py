"""Horizontal bar charts: the referral funnel (sent → accepted → completed) and decline reasons.

Bars grow from the reading start: from the left in English, from the right in Arabic and Kurdish.
A suppressed figure gets an outlined stub and the word, never a zero-length bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from services.portal.charts.figures import SUPPRESSED, Figure, as_number, css_state, figure, is_number, show
from services.portal.charts.locale import ChartLocale
from services.portal.charts.render import render
from services.portal.charts.scale import Mirror, top_of, trim
from services.portal.charts.table import Cell, Row, Table, figure_cell

WIDTH = 640
LABEL = 190  # gutter for labels, in reading order before the bars
VALUE = 150  # room after the longest bar for its figure
ROW = 30
BAR = 20
TOP = 8
STUB = 18  # width of the outlined stub drawn for a suppressed figure


@dataclass(frozen=True)
class Bar:
    label: str
    value: Figure
    note: str = ""  # e.g. "62 % of sent", written after the figure


@dataclass(frozen=True)
class BarShape:
    label: str
    full_label: str
    x: float
    width: float
    y: float
    label_x: float
    value_x: float
    text_y: float
    classes: str
    value_text: str


def height_of(count: int) -> int:
    return TOP * 2 + count * ROW


def bar_shapes(bars: Sequence[Bar], loc: ChartLocale) -> list[BarShape]:
    mirror = Mirror(WIDTH, loc.rtl)
    span = WIDTH - LABEL - VALUE
    top = top_of(b.value for b in bars)
    out = []
    for i, b in enumerate(bars):
        if is_number(b.value):
            length = span * as_number(b.value) / top if top else 0.0
        else:
            length = STUB if b.value is SUPPRESSED else 0.0
        y = TOP + i * ROW
        text = show(b.value, loc) + (f" · {b.note}" if b.note else "")
        out.append(
            BarShape(
                label=trim(b.label),
                full_label=b.label,
                x=mirror.box(LABEL, length),
                width=round(length, 2),
                y=y + (ROW - BAR) / 2,
                label_x=mirror.x(LABEL - 8),
                value_x=mirror.x(LABEL + length + 6),
                text_y=y + ROW / 2 + 5,
                classes=f"hk-bar {css_state(b.value)}",
                value_text=text,
            )
        )
    return out


def bar_table(caption: str, bars: Sequence[Bar], loc: ChartLocale, *, label_title: str) -> Table:
    rows = [Row(Cell(b.label), [figure_cell(b.value, loc), Cell(b.note)]) for b in bars]
    return Table(caption, [label_title, loc.gettext("Count"), loc.gettext("Share")], rows)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    loc: ChartLocale,
    *,
    label_title: str,
    classes: str = "",
) -> Markup:
    return render(
        "charts/bars.html",
        loc,
        chart_id=chart_id,
        title=title,
        description=description,
        shapes=bar_shapes(bars, loc),
        table=bar_table(title, bars, loc, label_title=label_title),
        width=WIDTH,
        height=height_of(len(bars)),
        bar=BAR,
        classes=classes,
    )


FUNNEL_STAGES = ("sent", "accepted", "completed")


def _share(part: Figure, whole: Figure, loc: ChartLocale, of: str) -> str:
    if not (is_number(part) and is_number(whole)) or as_number(whole) == 0:
        return ""
    return of.format(share=loc.percent(as_number(part) / as_number(whole)))


def funnel_bars(row: Mapping[str, Any], loc: ChartLocale) -> list[Bar]:
    """sent → accepted → completed from a coordination funnel row, each with its share of the one before."""
    _ = loc.gettext
    labels = {"sent": _("Sent"), "accepted": _("Accepted"), "completed": _("Completed")}
    shares = {"accepted": _("{share} of sent"), "completed": _("{share} of accepted")}
    bars: list[Bar] = []
    previous: Figure | None = None
    for stage in FUNNEL_STAGES:
        value = figure(row, stage)
        note = _share(value, previous, loc, shares[stage]) if previous is not None else ""
        bars.append(Bar(labels[stage], value, note))
        previous = value
    return bars


def decline_bars(row: Mapping[str, Any], loc: ChartLocale) -> list[Bar]:
    _ = loc.gettext
    reasons = {
        "no_capacity": _("No capacity"),
        "not_eligible": _("Not eligible"),
        "out_of_area": _("Out of area"),
        "duplicate": _("Duplicate"),
        "could_not_contact": _("Could not contact"),
        "other": _("Other"),
    }
    return [Bar(label, figure(row, f"declined_{reason}")) for reason, label in reasons.items()]


def funnel_chart(chart_id: str, title: str, row: Mapping[str, Any], loc: ChartLocale) -> Markup:
    _ = loc.gettext
    return bar_chart(
        chart_id,
        title,
        _("Referrals sent, accepted and completed; each bar's share of the stage before it."),
        funnel_bars(row, loc),
        loc,
        label_title=_("Stage"),
        classes="hk-funnel",
    )


def declines_chart(chart_id: str, title: str, row: Mapping[str, Any], loc: ChartLocale) -> Markup:
    _ = loc.gettext
    return bar_chart(
        chart_id,
        title,
        _("Declined referrals by the reason the provider gave."),
        decline_bars(row, loc),
        loc,
        label_title=_("Reason"),
        classes="hk-declines",
    )
