"""The portal's charts: pure functions from figures to accessible markup (fast, no servers)."""

from __future__ import annotations

import gettext
import re
import xml.etree.ElementTree as ET
from datetime import date

import pycountry
import pytest
from markupsafe import Markup

from services.portal.charts import (
    NO_DATA,
    SUPPRESSED,
    Bar,
    ChartLocale,
    HeatMap,
    Span,
    bar_chart,
    bars,
    declines_chart,
    figure,
    funnel_chart,
    outcome_chart,
    outcomes,
    tile_map,
    tilemap,
    timeline,
    timeline_chart,
)
from services.portal.charts.governorates import TILES, governorates, name
from services.portal.charts.heatmap import legend
from services.portal.charts.scale import bucket

EN, AR, CKB = ChartLocale("en"), ChartLocale("ar"), ChartLocale("ckb")
SVG = "{http://www.w3.org/2000/svg}"


class Catalog(gettext.NullTranslations):
    """A message catalog with a few entries, to see that chart text goes through it."""

    def __init__(self, entries: dict[str, str]) -> None:
        super().__init__()
        self.entries = entries

    def gettext(self, message: str) -> str:
        return self.entries.get(message, message)


FUNNEL_ROW = {
    "sent": 200,
    "accepted": 150,
    "completed": 90,
    "declined_no_capacity": 20,
    "declined_not_eligible": 6,
    "declined_out_of_area": 0,
    "declined_duplicate": None,
    "declined_could_not_contact": 5,
    "declined_other": None,
    "suppressed": ["declined_duplicate", "declined_other"],
}
OUTCOME_ROWS = [
    {
        "timepoint": "baseline",
        "follow_ups": 40,
        "economic_mean": 0.3,
        "social_mean": 0.45,
        "psychosocial_mean": 0.4,
    },
    {
        "timepoint": "month_3",
        "follow_ups": 33,
        "economic_mean": 0.4,
        "social_mean": 0.5,
        "psychosocial_mean": 0.41,
    },
    {
        "timepoint": "month_6",
        "follow_ups": None,
        "economic_mean": None,
        "social_mean": None,
        "psychosocial_mean": None,
        "suppressed": ["follow_ups", "economic_mean", "social_mean", "psychosocial_mean"],
    },
    {
        "timepoint": "month_12",
        "follow_ups": 12,
        "economic_mean": 0.6,
        "social_mean": 0.5,
        "psychosocial_mean": 0.5,
    },
]
SPANS = [
    Span("programme", "SI-COM", date(2024, 6, 1), date(2026, 5, 31), own=True, funders="SE"),
    Span("programme", "Norway top-up", date(2025, 1, 1), None, funders="NO"),
    Span("mrc", "MRC Baghdad", date(2020, 12, 1), funders="DK"),
]


def every_chart(loc: ChartLocale) -> list[Markup]:
    rows = [("IQ-AR", "Erbil"), ("IQ-BG", "Baghdad")]
    cols = [("cash", "Cash"), ("psy", "Psychosocial")]
    values = {("IQ-AR", "cash"): 12, ("IQ-AR", "psy"): SUPPRESSED, ("IQ-BG", "cash"): 0}
    return [
        HeatMap("Coverage", rows, cols, values, "Governorate", {("IQ-AR", "cash")}, "own").render("hm", loc),
        tile_map("tm", "Referrals", "By governorate", {"IQ-AR": 5, "IQ-SU": SUPPRESSED}, loc, column="Sent"),
        funnel_chart("fn", "Funnel", FUNNEL_ROW, loc),
        declines_chart("dc", "Declines", FUNNEL_ROW, loc),
        outcome_chart("oc", "Outcomes", OUTCOME_ROWS, loc),
        timeline_chart("tl", "Timeline", SPANS, loc, today=date(2025, 6, 1)),
    ]


def parse(markup: Markup) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 - our own output


# --- places and locales ---------------------------------------------------------------------------


def test_the_tile_grid_places_exactly_the_iso_governorates_once_each() -> None:
    iso = {s.code for s in pycountry.subdivisions.get(country_code="IQ") if s.type == "Governorate"}
    assert len(iso) == 18
    assert {g.code for g in governorates()} == iso == set(TILES)
    assert len(set(TILES.values())) == len(TILES)  # no two governorates on one tile
    assert "IQ-KR" not in TILES  # the Kurdistan Region is a region of four, not a tile
    assert name("IQ-AR", EN) == pycountry.subdivisions.get(code="IQ-AR").name


def test_direction_and_digits_come_from_babel_locale_data() -> None:
    assert (EN.direction, AR.direction, CKB.direction) == ("ltr", "rtl", "rtl")
    assert EN.number(12345) == "12,345"
    assert AR.number(1234.5) == "1,234.5"
    assert ChartLocale("de").number(1234.5) == "1.234,5"  # separators are the locale's
    assert EN.percent(0.75) == "75%"


def test_a_figure_is_a_number_suppressed_or_missing_never_a_quiet_zero() -> None:
    row = {"a": 3, "b": None, "c": None, "d": True, "suppressed": ["b"]}
    assert figure(row, "a") == 3
    assert figure(row, "b") is SUPPRESSED
    assert figure(row, "c") is NO_DATA
    assert figure(row, "d") is NO_DATA
    assert figure(row, "absent") is NO_DATA
    assert figure({"a": 0}, "a") == 0


def test_buckets_scale_to_the_largest_value() -> None:
    assert bucket(0, 40) == 0
    assert bucket(1, 40) == 1
    assert bucket(40, 40) == 5
    assert bucket(SUPPRESSED, 40) == 0
    assert legend([40, SUPPRESSED], EN) == [(1, "1–8"), (2, "9–16"), (3, "17–24"), (4, "25–32"), (5, "33–40")]
    assert legend([2], EN) == [(3, "1"), (5, "2")]  # only the steps in use, each value once
    assert [bucket(v, 2) for v in (1, 2)] == [3, 5]
    assert legend([SUPPRESSED], EN) == []


# --- heat map -------------------------------------------------------------------------------------


def test_heat_map_shows_suppressed_cells_as_suppressed_and_zero_as_zero() -> None:
    values = {("IQ-AR", "cash"): 12, ("IQ-AR", "psy"): SUPPRESSED, ("IQ-BG", "cash"): 0}
    table = HeatMap(
        "Coverage",
        [("IQ-AR", "Erbil"), ("IQ-BG", "Baghdad")],
        [("cash", "Cash"), ("psy", "Psychosocial")],
        values,
        row_title="Governorate",
        marked={("IQ-AR", "cash")},
        mark_note="own programme",
    ).table(EN)
    assert table.columns == ["Governorate", "Cash", "Psychosocial"]
    erbil, baghdad = table.rows
    cash, psy = erbil.cells
    assert (cash.text, cash.note, cash.mark) == ("12", "own programme", "★")
    assert "hk-heat-5" in cash.classes and "hk-marked" in cash.classes
    assert psy.text == "suppressed" and "hk-suppressed" in psy.classes
    assert baghdad.cells[0].text == "0" and "hk-heat-0" in baghdad.cells[0].classes
    assert baghdad.cells[1].text == "no data" and "hk-nodata" in baghdad.cells[1].classes


def test_heat_map_table_has_a_caption_and_scoped_headers() -> None:
    root = parse(every_chart(EN)[0])
    table = root.find(".//table")
    assert table is not None
    assert table.findtext("caption") == "Coverage"
    assert [th.get("scope") for th in table.iter("th")] == ["col"] * 3 + ["row"] * 2
    cells = ["".join(td.itertext()).strip() for td in table.iter("td")]
    assert cells[1] == "suppressed"
    assert "★" in cells[0]


# --- tile map -------------------------------------------------------------------------------------


def test_tile_map_keeps_geography_in_right_to_left_and_formats_for_the_locale() -> None:
    values = {"IQ-AR": 1500, "IQ-SU": SUPPRESSED}
    en = {t.code: t for t in tilemap.tiles(values, EN)}
    ckb = {t.code: t for t in tilemap.tiles(values, CKB)}
    assert len(en) == 18
    assert all((en[c].x, en[c].y) == (ckb[c].x, ckb[c].y) for c in en)  # a map is not mirrored
    assert en["IQ-DA"].y < en["IQ-BA"].y and en["IQ-AN"].x < en["IQ-SU"].x  # north up, west left
    assert en["IQ-AR"].value_text == "1,500" and ckb["IQ-AR"].value_text == CKB.number(1500)
    assert "hk-suppressed" in en["IQ-SU"].classes and en["IQ-SU"].value_text == "suppressed"
    assert "hk-nodata" in en["IQ-BG"].classes


# --- bars -----------------------------------------------------------------------------------------


def test_bars_grow_from_the_reading_start_and_mirror_exactly() -> None:
    chart = [Bar("Sent", 200), Bar("Accepted", 100), Bar("Held back", SUPPRESSED), Bar("None", NO_DATA)]
    ltr, rtl = bars.bar_shapes(chart, EN), bars.bar_shapes(chart, AR)
    assert ltr[0].x == bars.LABEL and ltr[0].width == bars.WIDTH - bars.LABEL - bars.VALUE
    assert ltr[1].width == ltr[0].width / 2
    for a, b in zip(ltr, rtl, strict=True):
        assert b.x == pytest.approx(bars.WIDTH - a.x - a.width)
        assert b.label_x == pytest.approx(bars.WIDTH - a.label_x)
        assert a.width == b.width
    assert rtl[0].x + rtl[0].width == bars.WIDTH - bars.LABEL  # anchored on the right
    held = ltr[2]
    assert held.width == bars.STUB and "hk-suppressed" in held.classes and held.value_text == "suppressed"
    assert ltr[3].width == 0 and ltr[3].value_text == "no data"


def test_funnel_shows_each_stage_with_its_share_of_the_one_before() -> None:
    sent, accepted, completed = bars.funnel_bars(FUNNEL_ROW, EN)
    assert (sent.value, sent.note) == (200, "")
    assert (accepted.value, accepted.note) == (150, "75% of sent")
    assert (completed.value, completed.note) == (90, "60% of accepted")
    reasons = {b.label: b.value for b in bars.decline_bars(FUNNEL_ROW, EN)}
    assert reasons["Duplicate"] is SUPPRESSED and reasons["Out of area"] == 0


def test_a_share_of_a_suppressed_stage_is_not_guessed() -> None:
    row = {"sent": None, "accepted": 7, "completed": 5, "suppressed": ["sent"]}
    sent, accepted, completed = bars.funnel_bars(row, EN)
    assert sent.value is SUPPRESSED and accepted.note == "" and completed.note == "71% of accepted"


# --- outcomes -------------------------------------------------------------------------------------


def test_outcome_lines_break_at_a_suppressed_time_point() -> None:
    scores, counts = outcomes.scores_of(OUTCOME_ROWS)
    assert counts[2] is SUPPRESSED and scores["economic"][2] is SUPPRESSED
    shape = outcomes.layout(scores, counts, EN)
    economic = next(s for s in shape.series if s.dimension == "economic")
    assert len(economic.points) == 3  # baseline, 3 and 12 months; 6 months is suppressed
    assert len(economic.lines) == 1 and economic.lines[0].count(",") == 2  # baseline → 3 months only
    assert [t.sub for t in shape.x_ticks] == ["n = 40", "n = 33", "n = suppressed", "n = 12"]
    top_tick = shape.y_ticks[-1]
    assert top_tick.text == "1.00" and top_tick.y == outcomes.TOP
    assert {s.marker for s in shape.series} == {"circle", "square", "diamond"}


def test_outcome_time_runs_right_to_left_for_arabic() -> None:
    scores, counts = outcomes.scores_of(OUTCOME_ROWS)
    ltr, rtl = outcomes.layout(scores, counts, EN), outcomes.layout(scores, counts, AR)
    assert ltr.x_ticks[0].x < ltr.x_ticks[-1].x
    assert rtl.x_ticks[0].x > rtl.x_ticks[-1].x
    assert rtl.x_ticks[0].x == pytest.approx(outcomes.WIDTH - ltr.x_ticks[0].x)


# --- timeline -------------------------------------------------------------------------------------


def test_timeline_axis_bars_open_ends_and_own_programmes() -> None:
    shape = timeline.layout(SPANS, EN, date(2025, 6, 1))
    assert [y.text for y in shape.years] == ["2020", "2021", "2022", "2023", "2024", "2025", "2026", "2027"]
    sicom, topup, mrc = shape.shapes
    assert "hk-own" in sicom.classes and sicom.own
    assert "hk-open" in topup.classes and topup.x + topup.width == pytest.approx(shape.axis_end)
    assert mrc.width == 0 and mrc.kind == "mrc"
    assert sicom.period == "Jun 2024 – May 2026" and topup.period == "Jan 2025 – open-ended"
    rtl = timeline.layout(SPANS, AR, date(2025, 6, 1))
    assert rtl.shapes[0].x == pytest.approx(timeline.WIDTH - sicom.x - sicom.width)
    assert rtl.years[0].x > rtl.years[-1].x  # time runs right to left


# --- every chart ----------------------------------------------------------------------------------


@pytest.mark.parametrize("loc", [EN, AR, CKB], ids=["en", "ar", "ckb"])
def test_every_chart_is_well_formed_accessible_and_needs_no_inline_style_or_script(loc: ChartLocale) -> None:
    for markup in every_chart(loc):
        text = str(markup)
        assert not re.search(r"\sstyle\s*=", text) and "<script" not in text and "<style" not in text
        root = parse(markup)
        assert root.tag == "figure"
        for svg in root.iter(f"{SVG}svg"):
            if svg.get("aria-hidden") == "true":
                continue  # legend swatches
            assert svg.get("role") == "img" and svg.get("direction") == loc.direction
            ids = svg.get("aria-labelledby", "").split()
            assert [svg.find(f"{SVG}title").get("id"), svg.find(f"{SVG}desc").get("id")] == ids
        tables = list(root.iter("table"))
        assert tables, "every chart carries its figures as a table"
        for table in tables:
            assert table.find("caption") is not None
            assert all(th.get("scope") in ("col", "row") for th in table.iter("th"))


def test_chart_text_goes_through_the_readers_catalog() -> None:
    loc = ChartLocale(
        "ar", Catalog({"suppressed": "محجوب", "Sent": "أُرسلت", "{share} of sent": "{share} من المرسلة"})
    )
    text = str(funnel_chart("fn", "Funnel", FUNNEL_ROW, loc)) + str(
        declines_chart("dc", "D", FUNNEL_ROW, loc)
    )
    assert "محجوب" in text and "أُرسلت" in text and "من المرسلة" in text
    assert "suppressed<" not in text


def test_a_generic_bar_chart_escapes_labels() -> None:
    text = str(bar_chart("b", "<T>", "d", [Bar("<script>", 1)], EN, label_title="x"))
    assert "<script>" not in text and "&lt;script&gt;" in text
