"""A tile map of Iraq's 18 governorates: one square each, coloured by a figure.

Equal tiles give Baghdad and Muthanna the same weight, which suits counts of services or
referrals better than a real map where the desert governorates would dominate. The layout is
geography, so it is not mirrored for right-to-left readers; the text on it follows the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup

from services.portal.charts.figures import NO_DATA, Figure, css_state, show
from services.portal.charts.governorates import TILES, governorates, name
from services.portal.charts.locale import ChartLocale
from services.portal.charts.render import render
from services.portal.charts.scale import bucket, top_of
from services.portal.charts.table import Cell, Row, Table, figure_cell

TILE = 64
GAP = 4
COLUMNS = 1 + max(c for c, _ in TILES.values())
ROWS = 1 + max(r for _, r in TILES.values())
WIDTH = COLUMNS * (TILE + GAP) + GAP
HEIGHT = ROWS * (TILE + GAP) + GAP


@dataclass(frozen=True)
class Tile:
    code: str
    short: str
    name: str
    x: int
    y: int
    classes: str
    value_text: str
    selected: bool


def tiles(values: Mapping[str, Figure], loc: ChartLocale, *, selected: str | None = None) -> list[Tile]:
    top = top_of(values.values())
    out = []
    for gov in governorates():
        col, row = TILES[gov.code]
        value = values.get(gov.code, NO_DATA)
        classes = f"hk-tile hk-heat hk-heat-{bucket(value, top)} {css_state(value)}"
        out.append(
            Tile(
                code=gov.code,
                short=gov.short,
                name=name(gov.code, loc),
                x=GAP + col * (TILE + GAP),
                y=GAP + row * (TILE + GAP),
                classes=classes + (" hk-selected" if gov.code == selected else ""),
                value_text="—" if value is NO_DATA else show(value, loc),  # the table says it in words
                selected=gov.code == selected,
            )
        )
    return out


def tile_table(caption: str, values: Mapping[str, Figure], loc: ChartLocale, column: str) -> Table:
    rows = [
        Row(Cell(f"{name(g.code, loc)} ({g.code})"), [figure_cell(values.get(g.code, NO_DATA), loc)])
        for g in governorates()
    ]
    return Table(caption, [loc.gettext("Governorate"), column], rows)


def tile_map(
    chart_id: str,
    title: str,
    description: str,
    values: Mapping[str, Figure],
    loc: ChartLocale,
    *,
    column: str,
    selected: str | None = None,
) -> Markup:
    return render(
        "charts/tilemap.html",
        loc,
        chart_id=chart_id,
        title=title,
        description=description,
        tiles=tiles(values, loc, selected=selected),
        table=tile_table(title, values, loc, column),
        width=WIDTH,
        height=HEIGHT,
        tile=TILE,
    )
