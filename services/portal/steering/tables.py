"""The dashboards' tables, built from coordination rows: suppressed written as such, own marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from markupsafe import Markup

from services.portal import vocabulary
from services.portal.charts import ChartLocale, figure
from services.portal.charts.governorates import name as governorate_name
from services.portal.charts.outcomes import DIMENSIONS, dimension_labels, timepoint_labels
from services.portal.charts.table import Cell, Row, Table, figure_cell, table_markup
from services.portal.i18n import N_
from services.portal.i18n import gettext_ as _

FUNNEL_BY = {
    "governorate": N_("Governorate"),
    "programme": N_("Programme"),
    "funder": N_("Funder"),
    "provider": N_("Provider"),
    "month": N_("Month"),
}
OUTCOMES_BY = {
    "programme": N_("Programme"),
    "governorate": N_("Governorate"),
    "return_type": N_("Return type"),
}
OWN = "★"


def funnel_by_options() -> list[tuple[str, str]]:
    return [(k, _(v)) for k, v in FUNNEL_BY.items()]


def outcomes_by_options() -> list[tuple[str, str]]:
    return [(k, _(v)) for k, v in OUTCOMES_BY.items()]


def funder_name(code: str) -> str:
    """A funder (a country, or countries funding together: ``NO+SE``) in the reader's language."""
    return " + ".join(vocabulary.country_name(part) for part in code.split("+") if part) or code


def yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def own_cell(text: str, own: bool) -> Cell:
    return Cell(
        text, "hk-own" if own else "", note=_("your programme") if own else "", mark=OWN if own else ""
    )


def period(start: str | None, end: str | None, loc: ChartLocale) -> str:
    if not start:
        return _("no data")
    first = loc.day(date.fromisoformat(start))
    return f"{first} – {loc.day(date.fromisoformat(end)) if end else _('open-ended')}"


def group_label(row: Mapping[str, Any], by: str, loc: ChartLocale) -> str:
    """What a row of a view broken down by ``by`` is about, in the reader's language."""
    value = row.get(by)
    if value is None:
        return _("All")
    if by == "governorate":
        return governorate_name(value, loc)
    if by == "funder":
        return funder_name(value)
    if by == "month":
        return loc.month(date.fromisoformat(f"{value}-01"))
    if by == "return_type":
        return vocabulary.label(vocabulary.RETURN_TYPES, value)
    return str(row.get(f"{by}_name") or value)


def programmes(index: Mapping[str, Any], loc: ChartLocale) -> Markup:
    rows = [
        Row(
            own_cell(p["name"], bool(p.get("own"))),
            [
                Cell(", ".join(funder_name(f) for f in p.get("funders", []))),
                Cell(period(p.get("starts_on"), p.get("ends_on"), loc)),
            ],
            "hk-own" if p.get("own") else "",
        )
        for p in sorted(index.values(), key=lambda p: (not p.get("own"), p["name"]))
    ]
    table = Table(_("Programmes behind these services"), [_("Programme"), _("Funders"), _("Period")], rows)
    return table_markup(table, loc)


def overlap(view: Mapping[str, Any], loc: ChartLocale) -> Markup:
    index = view.get("programmes", {})
    rows = []
    for r in view.get("rows", []):
        names = []
        own = False
        for pid in r.get("programme_ids", []):
            p = index.get(pid, {})
            own = own or bool(p.get("own"))
            names.append((OWN + " " if p.get("own") else "") + p.get("name", pid))
        rows.append(
            Row(
                Cell(loc.number(r["rank"]), note=_("includes your programme") if own else ""),
                [
                    Cell(governorate_name(r["governorate"], loc)),
                    Cell(r.get("term_name") or r["term"]),
                    Cell("; ".join(names)),
                    Cell(", ".join(funder_name(f) for f in r.get("funders", []))),
                    Cell(period(r.get("overlap_starts_on"), r.get("overlap_ends_on"), loc)),
                    figure_cell(figure(r, "services"), loc),
                    figure_cell(figure(r, "referrals_sent"), loc),
                ],
                "hk-own" if own else "",
            )
        )
    columns = [
        _("Rank"),
        _("Governorate"),
        _("Service category"),
        _("Programmes"),
        _("Funders"),
        _("Overlapping period"),
        _("Services"),
        _("Referrals sent"),
    ]
    return table_markup(Table(_("Overlapping programmes, largest first"), columns, rows), loc)


GAP_REASONS = {
    "declined_no_capacity": N_("No capacity"),
    "declined_out_of_area": N_("Out of area"),
    "declined_not_eligible": N_("Not eligible"),
}


def gap_reasons(rows: Sequence[Mapping[str, Any]], loc: ChartLocale) -> Markup:
    out = [
        Row(
            Cell(f"{governorate_name(r['governorate'], loc)} · {r.get('term_name') or r['term']}"),
            [figure_cell(figure(r, "declined"), loc)] + [figure_cell(figure(r, c), loc) for c in GAP_REASONS],
        )
        for r in rows
    ]
    columns = [_("Where and what"), _("Declined"), *(_(label) for label in GAP_REASONS.values())]
    return table_markup(Table(_("Declines by reason"), columns, out), loc)


def supply(view: Mapping[str, Any], loc: ChartLocale) -> Markup:
    rows = [
        Row(
            Cell(governorate_name(r["governorate"], loc)),
            [
                figure_cell(figure(r, "returns"), loc),
                Cell(yes_no(r.get("has_mrc"))),
                Cell(yes_no(r.get("has_psychosocial"))),
                Cell(_("gap") if r.get("gap_no_mrc") else "", "hk-gap" if r.get("gap_no_mrc") else ""),
                Cell(
                    _("gap") if r.get("gap_no_psychosocial") else "",
                    "hk-gap" if r.get("gap_no_psychosocial") else "",
                ),
            ],
        )
        for r in view.get("rows", [])
    ]
    columns = [
        _("Governorate"),
        _("Returns"),
        _("Has an MRC"),
        _("Has psychosocial support"),
        _("Returns but no MRC"),
        _("Returns but no psychosocial support"),
    ]
    return table_markup(Table(_("Supply gaps per governorate"), columns, rows), loc)


FUNNEL_COLUMNS = {
    "sent": N_("Sent"),
    "accepted": N_("Accepted"),
    "completed": N_("Completed"),
    "declined": N_("Declined"),
    "expired": N_("Deadline missed"),
}


def funnel(view: Mapping[str, Any], by: str, loc: ChartLocale) -> Markup:
    rows = []
    for r in view.get("rows", []):
        own = bool(r.get("own"))
        rate = r.get("acceptance_rate")
        cells = [figure_cell(figure(r, c), loc) for c in FUNNEL_COLUMNS]
        cells.append(Cell(loc.percent(rate) if isinstance(rate, int | float) else "—"))
        rows.append(Row(own_cell(group_label(r, by, loc), own), cells, "hk-own" if own else ""))
    columns = [_(FUNNEL_BY[by]), *(_(label) for label in FUNNEL_COLUMNS.values()), _("Accepted of sent")]
    return table_markup(
        Table(_("Referral funnel by %(by)s", by=_(FUNNEL_BY[by]).lower()), columns, rows), loc
    )


def outcomes(view: Mapping[str, Any], by: str, loc: ChartLocale) -> Markup:
    tps, dims = timepoint_labels(loc), dimension_labels(loc)
    rows = []
    for r in view.get("rows", []):
        own = bool(r.get("own"))
        header = own_cell(f"{group_label(r, by, loc)} · {tps.get(r['timepoint'], r['timepoint'])}", own)
        cells = [figure_cell(figure(r, "follow_ups"), loc)]
        cells += [figure_cell(figure(r, f"{d}_mean"), loc, kind="score") for d in DIMENSIONS]
        rows.append(Row(header, cells, "hk-own" if own else ""))
    columns = [_(OUTCOMES_BY[by]), _("Follow-ups"), *(dims[d] for d in DIMENSIONS)]
    caption = _("Mean scores (0 to 1) by %(by)s and time point", by=_(OUTCOMES_BY[by]).lower())
    return table_markup(Table(caption, columns, rows), loc)
