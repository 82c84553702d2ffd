"""The data table every chart carries: the same figures as text, for screen readers, for
copying, and for anyone who cannot tell colours or shapes apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from services.portal.charts.figures import Figure, css_state, show
from services.portal.charts.locale import ChartLocale
from services.portal.charts.render import render


@dataclass(frozen=True)
class Cell:
    text: str
    classes: str = ""
    note: str = ""  # read out but not shown (e.g. "own programme" next to a mark)
    mark: str = ""  # shown, hidden from screen readers (the note says it in words)


@dataclass(frozen=True)
class Row:
    header: Cell
    cells: Sequence[Cell]
    classes: str = ""


@dataclass(frozen=True)
class Table:
    caption: str
    columns: Sequence[str]  # the first names the row headers' column
    rows: Sequence[Row]
    notes: Sequence[str] = field(default_factory=tuple)


def figure_cell(value: Figure, loc: ChartLocale, *, kind: str = "number", extra: str = "") -> Cell:
    return Cell(show(value, loc, kind=kind), f"{css_state(value)} {extra}".strip())


def table_markup(table: Table, loc: ChartLocale) -> Markup:
    """A table on its own (a page's list of figures), with the charts' cell classes."""
    return render("charts/table.html", loc, table=table)
