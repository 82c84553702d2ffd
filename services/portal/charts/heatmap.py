"""A heat map as a real table: rows (e.g. governorates) × columns (e.g. service categories).

A table rather than a picture, so it is read cell by cell with its headers, copies cleanly and
mirrors by itself in a right-to-left page. The colour step is a class; the number is always
written in the cell, so colour is never the only carrier of meaning.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from services.portal.charts.figures import NO_DATA, Figure
from services.portal.charts.locale import ChartLocale
from services.portal.charts.render import render
from services.portal.charts.scale import BUCKETS, bucket, top_of
from services.portal.charts.table import Cell, Row, Table, figure_cell

Axis = Sequence[tuple[str, str]]  # (key, label)


@dataclass(frozen=True)
class HeatMap:
    """Figures on rows × columns; ``marked`` cells carry a star and ``mark_note`` in words."""

    caption: str
    rows: Axis
    columns: Axis
    values: Mapping[tuple[str, str], Figure]
    row_title: str = ""
    marked: Collection[tuple[str, str]] = ()
    mark_note: str = ""

    def table(self, loc: ChartLocale) -> Table:
        top = top_of(self.values.values())
        out = []
        for row_key, row_label in self.rows:
            cells = []
            for col_key, _label in self.columns:
                value = self.values.get((row_key, col_key), NO_DATA)
                cell = figure_cell(value, loc, extra=f"hk-heat hk-heat-{bucket(value, top)}")
                if (row_key, col_key) in self.marked:
                    cell = Cell(cell.text, cell.classes + " hk-marked", note=self.mark_note, mark="★")
                cells.append(cell)
            out.append(Row(Cell(row_label), cells))
        return Table(self.caption, [self.row_title, *(label for _, label in self.columns)], out)

    def render(self, chart_id: str, loc: ChartLocale) -> Markup:
        return render(
            "charts/heatmap.html",
            loc,
            chart_id=chart_id,
            table=self.table(loc),
            legend=legend(self.values, loc),
            mark_note=self.mark_note if self.marked else "",
        )


def legend(
    values: Mapping[tuple[str, str], Figure] | Sequence[Figure], loc: ChartLocale
) -> list[tuple[int, str]]:
    """Each colour step in use and the whole numbers it stands for ("3–4"), in the reader's digits."""
    figures = values.values() if isinstance(values, Mapping) else values
    top = top_of(figures)
    out = []
    for step in range(1, BUCKETS + 1):
        lo, hi = math.floor(top * (step - 1) / BUCKETS) + 1, math.floor(top * step / BUCKETS)
        if lo <= hi:
            out.append((step, loc.number(lo) if lo == hi else f"{loc.number(lo)}–{loc.number(hi)}"))
    return out
