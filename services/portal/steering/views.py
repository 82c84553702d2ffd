"""From the coordination service's JSON to what the charts and tables draw (pure functions).

The service answers each view as ``{"view", "k", "columns", "rows", "notes", ...}``; a suppressed
figure is ``null`` with its column named in the row's ``suppressed``. These helpers keep that
distinction all the way to the page: suppressed is never turned into zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.portal.charts import NO_DATA, Figure, Span, figure
from services.portal.charts.governorates import governorates

Row = Mapping[str, Any]


def total_row(rows: Sequence[Row], dim: str) -> Row:
    """The total row of a view by ``dim`` (the service writes it with ``dim`` = null, last)."""
    return next((r for r in rows if r.get(dim) is None), {})


def group_rows(rows: Sequence[Row], dim: str) -> list[Row]:
    return [r for r in rows if r.get(dim) is not None]


@dataclass(frozen=True)
class Coverage:
    rows: list[tuple[str, str]]  # governorates (code, name)
    columns: list[tuple[str, str]]  # terms (code, name)
    services: dict[tuple[str, str], Figure]
    own: set[tuple[str, str]]  # cells funded by one of the reader's own programmes
    terms_per_governorate: dict[str, Figure]


def coverage(view: Mapping[str, Any], governorate_names: Mapping[str, str]) -> Coverage:
    """Services per governorate × service category. Directory facts: an absent cell is truly zero
    (no active service there), so every governorate and every category shown gets a number."""
    rows = view.get("rows", [])
    terms = sorted({(r["term"], r.get("term_name") or r["term"]) for r in rows if r.get("term")})
    services: dict[tuple[str, str], Figure] = {}
    own = set()
    per_gov: dict[str, Figure] = {}
    for r in rows:
        cell = (r["governorate"], r.get("term") or "")
        services[cell] = figure(r, "services")
        if r.get("own_programmes"):
            own.add(cell)
    for code in governorate_names:
        for term, _name in terms:
            services.setdefault((code, term), 0)
        per_gov[code] = sum(1 for term, _ in terms if services[(code, term)] not in (0, NO_DATA))
    return Coverage(list(governorate_names.items()), terms, services, own, per_gov)


def governorate_names() -> dict[str, str]:
    return {g.code: g.name for g in governorates()}


def heat_of(rows: Sequence[Row], row_dim: str, col_dim: str, column: str) -> dict[tuple[str, str], Figure]:
    """A figure per (row, column) cell of a view whose rows are keyed by two dimensions."""
    return {
        (r[row_dim], r[col_dim]): figure(r, column)
        for r in rows
        if r.get(row_dim) is not None and r.get(col_dim) is not None
    }


def by_governorate(rows: Sequence[Row], column: str) -> dict[str, Figure]:
    return {r["governorate"]: figure(r, column) for r in rows if r.get("governorate")}


def zero_filled(values: dict[str, Figure]) -> dict[str, Figure]:
    """Counts per governorate where a governorate without events has a true zero, not "no data"."""
    return {code: values.get(code, 0) for code in governorate_names()}


def term_axis(rows: Sequence[Row]) -> list[tuple[str, str]]:
    return sorted({(r["term"], r.get("term_name") or r["term"]) for r in rows if r.get("term")})


def spans(view: Mapping[str, Any]) -> list[Span]:
    """Timeline rows as spans; the service writes ISO dates and ``;``-joined funders."""
    out = []
    for r in view.get("rows", []):
        start = date.fromisoformat(r["starts_on"]) if r.get("starts_on") else None
        end = date.fromisoformat(r["ends_on"]) if r.get("ends_on") else None
        funders = ", ".join(f for f in (r.get("funders") or "").split(";") if f)
        out.append(Span(r["kind"], r["name"], start, end, own=bool(r.get("own")), funders=funders))
    return out


def options(view: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Filter choices from an unfiltered coverage view: categories, programmes and funders."""
    programmes = view.get("programmes", {})
    funders = sorted({f for p in programmes.values() for f in p.get("funders", [])})
    return {
        "term": term_axis(view.get("rows", [])),
        "programme": sorted(((pid, p["name"]) for pid, p in programmes.items()), key=lambda x: x[1]),
        "funder": [(f, f) for f in funders],
    }


def own_programmes(view: Mapping[str, Any]) -> set[str]:
    return {pid for pid, p in view.get("programmes", {}).items() if p.get("own")}
