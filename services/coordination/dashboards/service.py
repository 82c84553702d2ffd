"""The dashboards: each view is a pure function of a snapshot (suppressed counts + directory).

Every view answers a :class:`View`: flat rows with named columns (each with its HXL hashtag), so
the same answer renders as JSON or as CSV. A suppressed figure is ``None`` in its row and its
column is listed in the row's ``suppressed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pycountry

from services.coordination.dashboards.repository import MRC_KIND, Directory, ProgrammeInfo
from services.coordination.suppression import ALL, INDEX, Key, Published, key, with_
from services.coordination.tallies import ACCEPT_HOUR_BINS

HistKey = tuple[str, str, str, str]
FUNNEL_DIMS = ("governorate", "programme", "provider", "funder")

RETURN_TYPES = ("voluntary_assisted", "return_migration_with_permit", "self_initiated", "forced")
DECLINE_REASONS = ("no_capacity", "not_eligible", "out_of_area", "duplicate", "could_not_contact", "other")
GAP_REASONS = ("no_capacity", "out_of_area", "not_eligible")
STAGES = ("sent", "accepted", "declined", "started", "completed", "closed", "revoked", "expired")
TIMEPOINTS = ("baseline", "month_3", "month_6", "month_12")
GENDERS = ("female", "male", "other", "undisclosed", "")
AGE_BANDS = ("0-17", "18-24", "25-34", "35-49", "50-64", "65+", "")
# Governorates only: pycountry also lists the Kurdistan Region (IQ-KR), which is not one.
GOVERNORATES = {
    s.code: s.name
    for s in pycountry.subdivisions.get(country_code="IQ")  # type: ignore[union-attr]
    if s.type == "Governorate"
}


@dataclass(frozen=True)
class Column:
    name: str
    hxl: str
    # A column of the CSV export only, derived from the row (a list joined for a spreadsheet): the
    # JSON rows carry the list itself, so large answers are not sent twice.
    csv: Callable[[dict[str, Any]], Any] | None = field(default=None, compare=False)


@dataclass
class View:
    view: str
    k: int
    columns: list[Column]
    rows: list[dict[str, Any]]
    filters: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "view": self.view,
            "k": self.k,
            "filters": self.filters,
            "columns": [
                {"name": c.name, "hxl": c.hxl, **({"csv_only": True} if c.csv else {})} for c in self.columns
            ],
            "rows": self.rows,
            "notes": self.notes,
        }


def put(row: dict[str, Any], name: str, value: int | None) -> None:
    row[name] = value
    if value is None:
        row.setdefault("suppressed", []).append(name)


@dataclass(frozen=True)
class Period:
    """A range of whole months; None on either side is open."""

    start: date | None = None
    end: date | None = None

    def months(self, domain: Sequence[str]) -> list[str] | None:
        """The months of ``domain`` inside the period, or None when the period is unbounded."""
        if self.start is None and self.end is None:
            return None
        lo = self.start.strftime("%Y-%m") if self.start else "0000-00"
        hi = self.end.strftime("%Y-%m") if self.end else "9999-99"
        return [m for m in domain if lo <= m <= hi]

    def overlaps(self, starts_on: date, ends_on: date | None) -> bool:
        if self.end is not None and starts_on > self.end:
            return False
        return not (self.start is not None and ends_on is not None and ends_on < self.start)


def domain(pub: Published, dim: str, base: Key) -> list[str]:
    """The values ``dim`` takes in the line through ``base`` (sorted)."""
    margin = with_(base, **{dim: ALL})
    i = INDEX[dim]
    return sorted({m[i] for m in pub.lines.get((margin, dim), set())})


def over_period(pub: Published, cell: Key, months: list[str] | None) -> int | None:
    """A cell's figure over the period: the cell itself, or a sum along its month line."""
    if months is None:
        return pub.value(cell)
    return pub.sum_along(cell, "month", months)


def own_programme(p: ProgrammeInfo | None, countries: set[str]) -> bool:
    return p is not None and bool(countries & set(p.funder_countries))


def label(dim: str, value: str, directory: Directory) -> str | None:
    if value in ("", ALL):
        return None
    if dim == "programme":
        p = directory.programmes.get(value)
        return p.name if p else None
    if dim == "provider":
        o = directory.organizations.get(value)
        return o["name"] if o else None
    if dim == "governorate":
        return GOVERNORATES.get(value)
    if dim == "term":
        t = directory.terms.get(value)
        return t["name"] if t else None
    return None


DIM_HXL = {
    "governorate": ("#adm1+code", "#adm1+name"),
    "programme": ("#activity+code", "#activity+name"),
    "funder": ("#org+funder+code", None),
    "provider": ("#org+code", "#org+name"),
    "month": ("#date+month", None),
    "term": ("#sector+code", "#sector+name"),
    "return_type": ("#group+return_type", None),
    "timepoint": ("#date+timepoint", None),
}


def dim_columns(dim: str) -> list[Column]:
    code, name = DIM_HXL[dim]
    cols = [Column(dim, code)]
    if name:
        cols.append(Column(f"{dim}_name", name))
    return cols


def dim_cells(row: dict[str, Any], dim: str, value: str, directory: Directory) -> None:
    row[dim] = None if value == ALL else value
    if DIM_HXL[dim][1]:
        row[f"{dim}_name"] = "Total" if value == ALL else label(dim, value, directory)


# --- funnel ---------------------------------------------------------------------------------------


def funnel(
    pub: Published,
    directory: Directory,
    *,
    by: str,
    period: Period,
    return_type: str | None,
    scope: tuple[str, str] | None,
    own_countries: set[str],
    accept_times: Mapping[HistKey, list[int]] | None = None,
) -> View:
    """sent → accepted → completed, decline reasons, deadline breaches; one row per ``by`` value."""
    rt = return_type or ALL
    base_coords: dict[str, str] = {"return_type": rt}
    if scope:
        base_coords[scope[0]] = scope[1]
    all_months = sorted(pub.domains.get("month", ()))
    months = period.months(all_months)
    plan: list[tuple[str, dict[str, str], list[str] | None]] = []
    if by == "month":
        for m in all_months if months is None else months:
            plan.append((m, {**base_coords, "month": m}, None))
    elif by == "funder":
        present = _stage_values(pub, "programme", base_coords)
        values = sorted(f for f, group in directory.funder_groups.items() if group & present)
        if scope and scope[0] == "funder":
            values = [v for v in values if v == scope[1]]
        plan += [(v, {**base_coords, "funder": v}, months) for v in values]
    else:
        values = sorted(_stage_values(pub, by, base_coords))
        if scope and scope[0] == by:
            values = [v for v in values if v == scope[1]]
        plan += [(v, {**base_coords, by: v}, months) for v in values]
    plan.append((ALL, base_coords, months))
    rows = []
    for value, coords, use_months in plan:
        row: dict[str, Any] = {}
        dim_cells(row, by, value, directory)
        if by == "programme":
            row["own"] = own_programme(directory.programmes.get(value), own_countries)
        if by == "funder":
            row["own"] = value != ALL and bool(own_countries & set(value.split("+")))
        for stage in STAGES:
            put(row, stage, _figure(pub, directory, coords, use_months, stage=stage))
        for reason in DECLINE_REASONS:
            put(
                row,
                f"declined_{reason}",
                _figure(pub, directory, coords, use_months, stage="declined", reason=reason),
            )
        sent, accepted, completed = row["sent"], row["accepted"], row["completed"]
        row["acceptance_rate"] = round(accepted / sent, 4) if sent and accepted is not None else None
        row["completion_rate"] = (
            round(completed / accepted, 4) if accepted and completed is not None else None
        )
        row["deadline_breaches"] = row["expired"]
        hist = _accept_hist(accept_times or {}, directory, coords, use_months)
        # Percentiles only where the accepted figure shows and enough answers were timed.
        shown = bool(accepted) and sum(hist) >= pub.k
        row["median_hours_to_accept"] = percentile_hours(hist, 0.5) if shown else None
        row["p90_hours_to_accept"] = percentile_hours(hist, 0.9) if shown else None
        rows.append(row)
    columns = dim_columns(by)
    if by in ("programme", "funder"):
        columns.append(Column("own", "#meta+own"))
    columns += [Column(s, f"#indicator+referrals+{s}+num") for s in STAGES]
    columns += [Column(f"declined_{r}", f"#indicator+referrals+declined+{r}+num") for r in DECLINE_REASONS]
    columns += [
        Column("acceptance_rate", "#indicator+acceptance+pct"),
        Column("completion_rate", "#indicator+completion+pct"),
        Column("deadline_breaches", "#indicator+referrals+expired+num"),
        Column("median_hours_to_accept", "#indicator+hours_to_accept+median"),
        Column("p90_hours_to_accept", "#indicator+hours_to_accept+p90"),
    ]
    return View(
        "funnel",
        pub.k,
        columns,
        rows,
        notes=[
            "Counts are transitions in the period (events of each kind), not referrals followed one by one.",
            "Hours to accept (median, 90th percentile) are estimated from hour bins (edges "
            + ", ".join(str(e) for e in ACCEPT_HOUR_BINS)
            + " h; a figure in the last bin reads as its lower edge) of the referrals accepted in the "
            "period that carried their sent time; shown only where the accepted count is shown and at "
            "least k answers were timed.",
        ],
    )


def _accept_hist(
    times: Mapping[HistKey, list[int]],
    directory: Directory,
    coords: dict[str, str],
    months: list[str] | None,
) -> list[int]:
    """The time-to-accept histogram of one funnel row (a funder's is the sum of its programmes')."""
    rt = coords.get("return_type", ALL)
    scoped = [(d, v) for d, v in coords.items() if d in FUNNEL_DIMS and v != ALL]
    if not scoped:
        pairs = [(ALL, ALL)]
    elif scoped[0][0] == "funder":
        pairs = [("programme", p) for p in sorted(directory.funder_groups.get(scoped[0][1], ()))]
    else:
        pairs = [scoped[0]]
    month_list = [coords["month"]] if "month" in coords else [ALL] if months is None else months
    total = [0] * (len(ACCEPT_HOUR_BINS) + 1)
    for d, v in pairs:
        for m in month_list:
            for i, n in enumerate(times.get((d, v, rt, m), ())):
                total[i] += n
    return total


def percentile_hours(hist: Sequence[int], q: float) -> float | None:
    """The q-quantile of a histogram over ``ACCEPT_HOUR_BINS``, linear within its bin."""
    n = sum(hist)
    if not n:
        return None
    target, seen = q * n, 0
    for i, c in enumerate(hist):
        if c and seen + c >= target:
            lo = 0 if i == 0 else ACCEPT_HOUR_BINS[i - 1]
            if i == len(ACCEPT_HOUR_BINS):
                return float(lo)
            return round(lo + (ACCEPT_HOUR_BINS[i] - lo) * (target - seen) / c, 1)
        seen += c
    return None


def _stage_values(pub: Published, by: str, base: dict[str, str]) -> set[str]:
    base = {k: v for k, v in base.items() if k != "funder"}
    out: set[str] = set()
    for stage in STAGES:
        out.update(domain(pub, by, key(**base, stage=stage)))
    return out


def _figure(
    pub: Published, directory: Directory, coords: dict[str, str], months: list[str] | None, **cell: str
) -> int | None:
    """One funnel figure. A funder's is the sum of its programmes' (each month's, over a period)."""
    funder = coords.get("funder", ALL)
    if funder == ALL:
        return over_period(pub, key(**coords, **cell), months)
    rest = {k: v for k, v in coords.items() if k != "funder"}
    group = directory.funder_groups.get(funder, frozenset())
    first = min(group) if group else ""
    if months is None and "month" not in rest:
        return pub.sum_along(key(**rest, programme=first, **cell), "programme", group)
    total = 0
    for m in [rest["month"]] if "month" in rest else (months or []):
        value = pub.sum_along(key(**{**rest, "month": m}, programme=first, **cell), "programme", group)
        if value is None:
            return None
        total += value
    return total


# --- gaps -----------------------------------------------------------------------------------------


def gaps(
    pub: Published,
    directory: Directory,
    *,
    period: Period,
    governorate: str | None,
    term: str | None,
) -> tuple[View, View]:
    """Declines for lack of supply per area × term, and areas with returns but no MRC or no
    psychosocial support."""
    base = key(stage="declined")
    govs = [governorate] if governorate else domain(pub, "governorate", base)
    rows = []
    for gov in govs:
        terms = [term] if term else domain(pub, "term", key(governorate=gov, stage="declined"))
        for t in [*terms, ALL]:
            cell = key(governorate=gov, term=t, stage="declined")
            row: dict[str, Any] = {}
            dim_cells(row, "governorate", gov, directory)
            dim_cells(row, "term", t, directory)
            months = period.months(domain(pub, "month", cell))
            put(row, "declined", over_period(pub, cell, months))
            for reason in GAP_REASONS:
                put(row, f"declined_{reason}", over_period(pub, with_(cell, reason=reason), months))
            rows.append(row)
    columns = [
        *dim_columns("governorate"),
        *dim_columns("term"),
        Column("declined", "#indicator+declined+num"),
    ]
    columns += [Column(f"declined_{r}", f"#indicator+declined+{r}+num") for r in GAP_REASONS]
    declines = View("gaps.declines", pub.k, columns, rows)

    mrc_govs = set().union(*directory.mrc_governorates.values()) if directory.mrc_governorates else set()
    supply_rows = []
    for gov in sorted(GOVERNORATES):
        if governorate and gov != governorate:
            continue
        cell = key(governorate=gov, stage="case_opened")
        returns = over_period(pub, cell, period.months(domain(pub, "month", cell)))
        row = {"governorate": gov, "governorate_name": GOVERNORATES[gov]}
        put(row, "returns", returns)
        row["has_mrc"] = gov in mrc_govs
        row["has_psychosocial"] = gov in directory.psychosocial_governorates
        had_returns = returns is None or returns > 0
        row["gap_no_mrc"] = had_returns and not row["has_mrc"]
        row["gap_no_psychosocial"] = had_returns and not row["has_psychosocial"]
        supply_rows.append(row)
    supply = View(
        "gaps.supply",
        pub.k,
        [
            *dim_columns("governorate"),
            Column("returns", "#affected+returnees+num"),
            Column("has_mrc", "#meta+mrc"),
            Column("has_psychosocial", "#meta+psychosocial"),
            Column("gap_no_mrc", "#meta+gap+mrc"),
            Column("gap_no_psychosocial", "#meta+gap+psychosocial"),
        ],
        supply_rows,
        notes=["Needs assessed with no eligible service: see /v1/gaps/needs."],
    )
    return declines, supply


NEED_STAGES = (("needs_assessed", "need_assessed"), ("needs_unmet", "need_unmet"))


def needs(
    pub: Published,
    directory: Directory,
    *,
    by: str,
    period: Period,
    governorate: str | None,
    dimension: str | None,
) -> View:
    """Needs assessed, and those with no eligible active service in the governorate of return, per
    area (or month) and dimension."""
    base = key(stage="need_assessed", **({"governorate": governorate} if governorate else {}))
    all_months = domain(pub, "month", base)
    plan: list[tuple[dict[str, str], list[str] | None]] = []
    if by == "month":
        in_period = period.months(all_months)
        for m in all_months if in_period is None else in_period:
            plan.append(({"governorate": governorate or ALL, "month": m}, None))
    else:
        govs = (
            [governorate] if governorate else [*domain(pub, "governorate", key(stage="need_assessed")), ALL]
        )
        plan += [({"governorate": g}, period.months(all_months)) for g in govs]
    rows = []
    for coords, months in plan:
        cell = key(**coords, stage="need_assessed")
        dims = [dimension] if dimension else [*domain(pub, "dimension", cell), ALL]
        for dim in dims:
            row: dict[str, Any] = {}
            if by == "month":
                row["month"] = coords["month"]
            else:
                dim_cells(row, "governorate", coords["governorate"], directory)
            row["dimension"] = None if dim == ALL else dim
            for column, stage in NEED_STAGES:
                put(row, column, over_period(pub, key(**coords, dimension=dim, stage=stage), months))
            assessed, unmet = row["needs_assessed"], row["needs_unmet"]
            row["unmet_share"] = round(unmet / assessed, 4) if assessed and unmet is not None else None
            rows.append(row)
    columns = dim_columns("month") if by == "month" else dim_columns("governorate")
    columns += [
        Column("dimension", "#sector+dimension"),
        Column("needs_assessed", "#affected+needs+num"),
        Column("needs_unmet", "#affected+needs+unmet+num"),
        Column("unmet_share", "#indicator+needs+unmet+pct"),
    ]
    return View(
        "gaps.needs",
        pub.k,
        columns,
        rows,
        notes=[
            "One count per assessment and dimension: needs_assessed where the level is 1 or more, "
            "needs_unmet where no eligible active service existed in the governorate of return.",
            "A null dimension is the sum over dimensions (an assessment with two needs counts twice).",
        ],
    )


# --- overlap --------------------------------------------------------------------------------------


def target_groups_overlap(a: ProgrammeInfo, b: ProgrammeInfo) -> bool:
    if not set(a.eligible_return_types) & set(b.eligible_return_types):
        return False
    a_only, b_only = (
        a.target_group == "funder_country_returnees",
        b.target_group == "funder_country_returnees",
    )
    if a_only and b_only:
        # Each serves only returnees from its own funders: they meet only on a shared funder.
        return bool(set(a.funder_countries) & set(b.funder_countries))
    return True


def periods_overlap(a: ProgrammeInfo, b: ProgrammeInfo) -> tuple[date, date | None] | None:
    start = max(a.starts_on, b.starts_on)
    ends = [e for e in (a.ends_on, b.ends_on) if e is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        return None
    return start, end


# One overlap: (-services, -referrals sent, governorate, term, programmes, the pairs' periods,
# referrals sent or None when suppressed). The first four are its rank.
Overlap = tuple[int, int, str, str, frozenset[str], tuple[tuple[date, date | None], ...], int | None]


def overlap_ranking(pub: Published, directory: Directory, period: Period) -> list[Overlap]:
    """Every overlap in every area and term, ranked. Made once per snapshot for the whole time
    axis (snapshot.py); a view filters it by area, term and funder (which keeps the order)."""
    by_cell: dict[tuple[str, str], list[str]] = {}
    for gov, t, pid in sorted(directory.funded_cells):
        p = directory.programmes.get(pid)
        if p is None or not p.active or not period.overlaps(p.starts_on, p.ends_on):
            continue
        by_cell.setdefault((gov, t), []).append(pid)
    # Which pairs of programmes overlap anywhere they meet: decided once per pair, not per cell.
    pair_span: dict[tuple[str, str], tuple[date, date | None]] = {}
    involved = sorted({pid for pids in by_cell.values() for pid in pids})
    for i, a_id in enumerate(involved):
        a = directory.programmes[a_id]
        for b_id in involved[i + 1 :]:
            b = directory.programmes[b_id]
            if set(a.funder_countries) == set(b.funder_countries) or not target_groups_overlap(a, b):
                continue
            span = periods_overlap(a, b)
            if span is not None:
                pair_span[(a_id, b_id)] = span
    ranked: list[Overlap] = []
    for (gov, t), pids in by_cell.items():
        members: set[str] = set()
        spans: list[tuple[date, date | None]] = []
        for i, a_id in enumerate(pids):
            for b_id in pids[i + 1 :]:
                span = pair_span.get((a_id, b_id) if a_id < b_id else (b_id, a_id))
                if span is not None:
                    members.update((a_id, b_id))
                    spans.append(span)
        if not members:
            continue
        services = sum(directory.funded_cells[(gov, t, pid)] for pid in members)
        referrals = pub.sum_along(
            key(governorate=gov, term=t, programme=min(members), stage="sent"), "programme", members
        )
        ranked.append((-services, -(referrals or 0), gov, t, frozenset(members), tuple(spans), referrals))
    ranked.sort(key=lambda r: r[:4])
    return ranked


def overlap(
    pub: Published,
    directory: Directory,
    *,
    period: Period,
    governorate: str | None,
    term: str | None,
    funder: str | None,
    own_countries: set[str],
    offset: int = 0,
    limit: int | None = None,
    ranking: list[Overlap] | None = None,
) -> View:
    """Two or more programmes of different funders paying for the same term in the same area, for
    overlapping target groups and periods; ranked by size. Rows ``offset`` to ``offset + limit``
    of the ranking (``extra['total']`` says how many there are). ``ranking``: the period's
    ranking, when the snapshot holds it."""
    if ranking is None:
        ranking = overlap_ranking(pub, directory, period)
    ranked = [
        o
        for o in ranking
        if (governorate is None or o[2] == governorate)
        and (term is None or o[3] == term)
        and (funder is None or any(funder in directory.programmes[p].funder_countries for p in o[4]))
    ]
    page = ranked[offset : None if limit is None else offset + limit]
    results = []
    used: set[str] = set()
    for rank, (neg_services, _, gov, t, group, spans, referrals) in enumerate(page, offset + 1):
        used |= group
        ids = sorted(group)
        funders = sorted({c for pid in ids for c in directory.programmes[pid].funder_countries})
        start = min(s for s, _ in spans)
        ends = [e for _, e in spans]
        end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
        results.append(
            {
                "rank": rank,
                "governorate": gov,
                "governorate_name": GOVERNORATES.get(gov),
                "term": t,
                "term_name": label("term", t, directory),
                "programme_ids": ids,
                "own_programmes": sum(
                    1 for pid in ids if own_programme(directory.programmes[pid], own_countries)
                ),
                "funders": funders,
                "overlap_starts_on": start.isoformat(),
                "overlap_ends_on": end.isoformat() if end else None,
                "services": -neg_services,
                "referrals_sent": referrals,
                **({"suppressed": ["referrals_sent"]} if referrals is None else {}),
            }
        )
    columns = [
        Column("rank", "#meta+rank"),
        *dim_columns("governorate"),
        *dim_columns("term"),
        Column("programme_codes", "#activity+code+list", csv=lambda r: ";".join(r["programme_ids"])),
        programme_names_column(directory),
        Column("funders_joined", "#org+funder+list", csv=lambda r: ";".join(r["funders"])),
        Column("overlap_starts_on", "#date+start"),
        Column("overlap_ends_on", "#date+end"),
        Column("services", "#indicator+services+num"),
        Column("referrals_sent", "#reached+referrals+num"),
    ]
    return View(
        "overlap",
        pub.k,
        columns,
        results,
        extra={"programmes": programme_index(directory, used, own_countries), "total": len(ranked)},
        notes=[
            "Cases with the same kind of cash support from more than one programme: see /v1/overlap/cash.",
        ],
    )


CASH_STAGES = (("sent", "cash_sent"), ("accepted", "cash_accepted"))


def cash_overlap(
    pub: Published,
    directory: Directory,
    *,
    by: str,
    period: Period,
    kind: str | None,
    own_countries: set[str],
) -> View:
    """Referrals for a kind of cash support the case already gets from another programme: sent
    (a warning) and accepted (now paid twice), per governorate or programme and kind."""
    values = set()
    for _, stage in CASH_STAGES:
        values |= set(domain(pub, by, key(stage=stage)))
    rows = []
    for value in [*sorted(values), ALL]:
        kinds: set[str] = set()
        for _, stage in CASH_STAGES:
            kinds |= set(domain(pub, "kind", key(**{by: value}, stage=stage)))
        for k in [kind] if kind else [*sorted(kinds), ALL]:
            row: dict[str, Any] = {}
            dim_cells(row, by, value, directory)
            if by == "programme":
                row["own"] = own_programme(directory.programmes.get(value), own_countries)
            row["kind"] = None if k == ALL else k
            for column, stage in CASH_STAGES:
                cell = key(**{by: value}, kind=k, stage=stage)
                put(row, column, over_period(pub, cell, period.months(domain(pub, "month", cell))))
            rows.append(row)
    columns = dim_columns(by)
    if by == "programme":
        columns.append(Column("own", "#meta+own"))
    columns += [
        Column("kind", "#sector+cash+kind"),
        Column("sent", "#reached+referrals+cash_overlap+sent+num"),
        Column("accepted", "#reached+referrals+cash_overlap+accepted+num"),
    ]
    return View(
        "overlap.cash",
        pub.k,
        columns,
        rows,
        notes=[
            "Referrals sent, and accepted, for a kind of cash support the case already received from "
            "another programme (an accepted, started or completed referral): the double-funding signal "
            "from the referrals service. Counts of referrals, never who; a case referred to a third "
            "programme of the same kind counts again.",
            "The programme is the one the referral is for; events do not name the other programme, so "
            "programme pairs are not shown.",
            "A null kind is the sum over kinds (a referral overlapping in two kinds counts twice).",
        ],
    )


# --- outcomes -------------------------------------------------------------------------------------


def outcomes(
    pub: Published,
    directory: Directory,
    *,
    by: str,
    own_countries: set[str],
    values: Sequence[str] | None = None,
) -> View:
    """Mean scores per timepoint, by ``by``. ``values`` lists the rows where ``by`` has no margin
    (programme: a follow-up counts under every programme of its case)."""
    if values is None:
        found: set[str] = set()
        for tp in TIMEPOINTS:
            found |= set(domain(pub, by, key(stage="followup", timepoint=tp)))
        values = sorted(found)
    rows = []
    for value in [*values, ALL]:
        for tp in TIMEPOINTS:
            cell = key(**{by: value}, stage="followup", timepoint=tp)
            row: dict[str, Any] = {}
            if by == "bundle":
                row["bundle"] = None if value == ALL else value
            else:
                dim_cells(row, by, value, directory)
            if by == "programme":
                row["own"] = own_programme(directory.programmes.get(value), own_countries)
            row["timepoint"] = tp
            n = pub.value(cell)
            put(row, "follow_ups", n)
            sums = pub.extras.get(cell, {})
            for dim in ("economic", "social", "psychosocial"):
                scored = sums.get(f"{dim}_n", 0.0)
                if n is None:
                    put(row, f"{dim}_mean", None)
                else:
                    row[f"{dim}_mean"] = round(sums[f"{dim}_sum"] / scored, 4) if scored else None
            rows.append(row)
    columns = [Column("bundle", "#sector+code+list")] if by == "bundle" else dim_columns(by)
    if by == "programme":
        columns.append(Column("own", "#meta+own"))
    columns += [
        Column("timepoint", "#date+timepoint"),
        Column("follow_ups", "#reached+followups+num"),
        Column("economic_mean", "#indicator+score+economic"),
        Column("social_mean", "#indicator+score+social"),
        Column("psychosocial_mean", "#indicator+score+psychosocial"),
    ]
    notes = ["Scores are means of 0..1 dimension scores; shown only where the number of follow-ups is."]
    if by == "programme":
        notes.append(
            "A follow-up counts under every programme of its case's bundle (accepted, started or completed "
            "referrals) at that time, so programme rows do not add up to the total; '' = no programme yet."
        )
    if by == "bundle":
        notes.append(
            "A bundle is the taxonomy terms of the case's accepted, started or completed referrals at the "
            "time of the follow-up, joined by '+'; '' = no service yet. A null bundle is the total."
        )
    return View("outcomes", pub.k, columns, rows, notes=notes)


# --- demographics ---------------------------------------------------------------------------------


def demographics(pub: Published, directory: Directory, *, by: str, measure: str) -> View:
    stage = "case_opened" if measure == "returns" else "sent"
    values = domain(pub, by, key(stage=stage))
    rows = []
    for value in [*values, ALL]:
        for gender in [*domain(pub, "gender", key(**{by: value}, stage=stage)), ALL]:
            for band in [*domain(pub, "age_band", key(**{by: value}, gender=gender, stage=stage)), ALL]:
                row: dict[str, Any] = {}
                dim_cells(row, by, value, directory)
                row["gender"] = None if gender == ALL else gender
                row["age_band"] = None if band == ALL else band
                put(row, measure, pub.value(key(**{by: value}, gender=gender, age_band=band, stage=stage)))
                rows.append(row)
    columns = [
        *dim_columns(by),
        Column("gender", "#group+gender"),
        Column("age_band", "#group+age"),
        Column(measure, "#affected+num" if measure == "returns" else "#reached+referrals+num"),
    ]
    return View("demographics", pub.k, columns, rows, notes=["A null gender or age band is the total."])


# --- timeline -------------------------------------------------------------------------------------

MRC_OPENING_NOTE = (
    "An MRC's starts_on is a proxy for its opening: the earliest start of the active programmes that it "
    "implements or that fund one of its active services. The registry records no opening date for an "
    "organization, location or service, so an MRC that opened after its programme began (MRC "
    "Sulaymaniyah: January 2025, under SI-COM from June 2024) shows the programme's start."
)


def timeline(directory: Directory, *, period: Period, funder: str | None, own_countries: set[str]) -> View:
    rows = []
    for p in directory.programmes.values():
        if not p.active or not period.overlaps(p.starts_on, p.ends_on):
            continue
        if funder and funder not in p.funder_countries:
            continue
        rows.append(
            {
                "kind": "programme",
                "id": p.id,
                "name": p.name,
                "funders": ";".join(p.funder_countries),
                "starts_on": p.starts_on.isoformat(),
                "ends_on": p.ends_on.isoformat() if p.ends_on else None,
                "governorates": None,
                "own": own_programme(p, own_countries),
            }
        )
    services_of: dict[str, set[str]] = {}
    for *_, sid, provider, _open in directory.service_cells:
        services_of.setdefault(provider, set()).add(sid)
    for org_id, govs in directory.mrc_governorates.items():
        org = directory.organizations.get(org_id)
        if org is None or org["kind"] != MRC_KIND or not org["active"]:
            continue
        # Its programmes: those it implements, and those funding one of its active services.
        funding_ids = {
            p.id for p in directory.programmes.values() if org_id in p.implementing_organization_ids
        }
        for sid in services_of.get(org_id, ()):
            funding_ids |= directory.service_programmes.get(sid, frozenset())
        funding = [directory.programmes[p] for p in funding_ids if directory.programmes[p].active]
        start = min((p.starts_on for p in funding), default=None)
        funders = sorted({c for p in funding for c in p.funder_countries})
        if funder and funder not in funders:
            continue
        if start is not None and not period.overlaps(start, None):
            continue
        rows.append(
            {
                "kind": "mrc",
                "id": org_id,
                "name": org["name"],
                "funders": ";".join(funders),
                "starts_on": start.isoformat() if start else None,
                "ends_on": None,
                "governorates": ";".join(sorted(govs)),
                "own": bool(own_countries & set(funders)),
            }
        )
    rows.sort(key=lambda r: (r["starts_on"] or "9999", r["kind"], r["name"]))
    columns = [
        Column("kind", "#meta+kind"),
        Column("id", "#activity+code"),
        Column("name", "#activity+name"),
        Column("funders", "#org+funder+list"),
        Column("starts_on", "#date+start"),
        Column("ends_on", "#date+end"),
        Column("governorates", "#adm1+code+list"),
        Column("own", "#meta+own"),
    ]
    return View(
        "timeline",
        0,
        columns,
        rows,
        notes=[MRC_OPENING_NOTE],
    )


# --- coverage -------------------------------------------------------------------------------------


def _coverage_row(
    cell_key: tuple[str, str, str], cell: Any, directory: Directory, level: str, group: str
) -> tuple[dict[str, Any], dict[str, int]]:
    """A coverage row but its caller's own programmes, and how many programmes each country funds."""
    gov, district, grp = cell_key
    progs = sorted((directory.programmes[p] for p in cell.programmes), key=lambda p: (p.starts_on, p.name))
    row: dict[str, Any] = {"governorate": gov, "governorate_name": GOVERNORATES.get(gov)}
    if level == "district":
        row["district"] = district or None
    row[group] = grp
    if group == "term":
        row["term_name"] = label("term", grp, directory)
    funders = sorted({c for p in progs for c in p.funder_countries})
    ends = [p.ends_on for p in progs]
    start = min((p.starts_on for p in progs), default=None)
    end = None if not ends or None in ends else max(e for e in ends if e)
    row.update(
        services=len(cell.services),
        providers=len(cell.providers),
        open_places=cell.open_places,
        services_with_capacity=cell.services_with_capacity,
        programme_ids=[p.id for p in progs],
        own_programmes=0,
        funders=funders,
        period_start=start.isoformat() if start else None,
        period_end=end.isoformat() if end else None,
    )
    by_country: dict[str, int] = {}
    for p in progs:
        for c in set(p.funder_countries):
            by_country[c] = by_country.get(c, 0) + 1
    return row, by_country


def coverage_view(
    cells: dict[tuple[str, str, str], Any],
    directory: Directory,
    *,
    level: str,
    group: str,
    own_countries: set[str],
) -> View:
    out = []
    used: set[str] = set()
    for cell_key, cell in cells.items():
        if cell.row is None:  # kept with the cell: the snapshot's unfiltered cells render once
            cell.row, cell.own_by_country = _coverage_row(cell_key, cell, directory, level, group)
        used |= cell.programmes
        if len(own_countries) == 1:
            own = cell.own_by_country.get(next(iter(own_countries)), 0)
        else:
            own = sum(1 for p in cell.programmes if own_programme(directory.programmes[p], own_countries))
        row = dict(cell.row)
        row["own_programmes"] = own
        out.append(row)
    columns = [*dim_columns("governorate")]
    if level == "district":
        columns.append(Column("district", "#adm2+code"))
    columns += (
        [Column("term", "#sector+code"), Column("term_name", "#sector+name")]
        if group == "term"
        else [Column("dimension", "#sector+dimension")]
    )
    columns += [
        Column("services", "#indicator+services+num"),
        Column("providers", "#org+providers+num"),
        Column("open_places", "#capacity+open+num"),
        Column("services_with_capacity", "#indicator+services_with_capacity+num"),
        programme_names_column(directory),
        Column("funders_joined", "#org+funder+list", csv=lambda r: ";".join(r["funders"])),
        Column("period_start", "#date+start"),
        Column("period_end", "#date+end"),
    ]
    view = View(
        "coverage",
        0,
        columns,
        out,
        notes=["Directory facts (published by the registry): not small-cell suppressed."],
    )
    view.extra["programmes"] = programme_index(directory, used, own_countries)
    return view


def programme_names_column(directory: Directory) -> Column:
    return Column(
        "programme_names",
        "#activity+name+list",
        csv=lambda r: ";".join(directory.programmes[p].name for p in r["programme_ids"]),
    )


def programme_index(directory: Directory, ids: set[str], own_countries: set[str]) -> dict[str, Any]:
    """The programmes a view names, once (rows carry their ids); own ones marked."""
    out = {}
    for pid in sorted(ids):
        p = directory.programmes[pid]
        out[pid] = {
            "name": p.name,
            "funders": list(p.funder_countries),
            "starts_on": p.starts_on.isoformat(),
            "ends_on": p.ends_on.isoformat() if p.ends_on else None,
            "own": own_programme(p, own_countries),
        }
    return out
