"""The suppressed snapshot of every count, built from the tallies in one consistent read.

Building it means adding up all cubes and suppressing them together (``suppression.build``),
which costs far more than answering from it; so one snapshot is kept per process and rebuilt when
the read model has moved on (its generation grew) and the snapshot is older than
``snapshot_max_age_s``, or when k changed (at once in the process that changed it, within
``snapshot_max_age_s`` in the others). A snapshot younger than that answers without any query.
A snapshot that is behind but younger than ``snapshot_max_stale_s`` keeps answering while the next
one is built in the background (the CPU part in a thread); only the first build, an older
snapshot or a new k make a request wait. With the snapshot come what views reuse: time-to-accept
histograms, coverage cells per level and grouping, and the overlap ranking over the whole time axis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.coordination.dashboards.repository import Directory, load_directory
from services.coordination.dashboards.service import Overlap, Period, overlap_ranking
from services.coordination.models import coordination_setting, read_model_state
from services.coordination.suppression import ALL, INDEX, CubeSpec, Key, Published, build, key, with_
from services.coordination.tallies import ACCEPT_HOUR_BINS

logger = logging.getLogger("hawkari.coordination.snapshot")

FUNNEL_BY = ("governorate", "programme", "provider")
DEMOGRAPHY_BY = ("governorate", "programme")
# Additive outcome tables (each follow-up in one cell); by programme is loaded apart (not additive).
OUTCOMES_BY = ("governorate", "return_type", "bundle")
CASH_BY = ("governorate", "programme")
SCORES = ("economic", "social", "psychosocial")
# Time-to-accept histograms: (dimension or ALL, its value or ALL, return type or ALL, month or ALL)
# -> count per hour bin. Not published as counts: only percentiles where the cell is large enough.
HistKey = tuple[str, str, str, str]


def _month(value: object) -> str:
    return str(value)[:7]


def _finest(row: sa.Row[tuple[object, ...]], dims: Iterable[str], fixed: dict[str, str]) -> Key:
    coords = {**fixed}
    for d in dims:
        raw = getattr(row, d)
        coords[d] = _month(raw) if d == "month" else str(raw)
    # A stage without a reason has no reason line: its figure sits at the reason margin.
    if coords.get("reason") == "":
        coords["reason"] = ALL
    return key(**coords)


def _cells(rows: list[sa.Row[tuple[object, ...]]], dims: tuple[str, ...]) -> list[tuple[Key, int]]:
    """``_finest`` of every row and its count (the last column), without a dict per row: the
    snapshot reads hundreds of thousands of rows."""
    template = list(key())
    positions = [INDEX[d] for d in dims]
    month_at = dims.index("month") if "month" in dims else -1
    reason = INDEX["reason"] if "reason" in dims else -1
    out = []
    for r in rows:
        cell = template.copy()
        for j, i in enumerate(positions):
            cell[i] = _month(r[j]) if j == month_at else str(r[j])
        if reason >= 0 and cell[reason] == "":
            cell[reason] = ALL
        out.append((tuple(cell), int(r[-1])))  # type: ignore[call-overload]
    return out


async def _rows(
    conn: AsyncConnection, table: str, dims: tuple[str, ...], where: str = "", measures: str = "sum(count)"
) -> list[sa.Row[tuple[object, ...]]]:
    cols = ", ".join(dims)
    sql = f"SELECT {cols}, {measures} FROM {table} {where} GROUP BY {cols} ORDER BY {cols}"  # noqa: S608
    return list((await conn.execute(sa.text(sql))).all())


Cubes = list[tuple[CubeSpec, list[tuple[Key, int]]]]


async def load(conn: AsyncConnection, k: int, directory: Directory, audit_limit: int = 20_000) -> Published:
    cubes, extras = await load_cubes(conn)
    return publish(cubes, extras, k, directory, audit_limit)


def publish(
    cubes: Cubes, extras: dict[Key, dict[str, float]], k: int, directory: Directory, audit_limit: int
) -> Published:
    """Add up and suppress the cubes (CPU only: run it off the event loop)."""
    # A funder's row is the sum of its programmes' (by the registry's funders of each programme).
    return build(
        cubes,
        k,
        extras,
        subsets={"programme": list(directory.funder_groups.values())},
        audit_limit=audit_limit,
    )


async def load_cubes(conn: AsyncConnection) -> tuple[Cubes, dict[Key, dict[str, float]]]:
    """Every published table's finest cells, read from the tallies."""
    cubes: Cubes = []
    for by in FUNNEL_BY:
        dims = (by, "return_type", "month", "stage", "reason")
        rows = await _rows(conn, "referral_tally", dims)
        cubes.append(
            (
                CubeSpec(f"funnel:{by}", (by, "return_type", "month", "reason")),
                _cells(rows, dims),
            )
        )
    dims = ("governorate", "term", "month", "stage", "reason")
    rows = await _rows(conn, "referral_tally", dims, "WHERE stage = 'declined'")
    cubes.append(
        (
            CubeSpec("gaps", ("governorate", "term", "month", "reason")),
            _cells(rows, dims),
        )
    )
    dims = ("governorate", "term", "programme", "stage")
    rows = await _rows(conn, "referral_tally", dims, "WHERE stage = 'sent'")
    cubes.append(
        (
            CubeSpec("overlap", ("governorate", "term", "programme")),
            _cells(rows, dims),
        )
    )
    dims = ("governorate", "return_type", "month", "stage")
    rows = await _rows(conn, "people_tally", dims, "WHERE stage = 'case_opened'")
    cubes.append(
        (
            CubeSpec("returns", ("governorate", "return_type", "month")),
            _cells(rows, dims),
        )
    )
    for by in DEMOGRAPHY_BY:
        dims = (by, "gender", "age_band", "stage")
        rows = await _rows(conn, "people_tally", dims)
        cubes.append(
            (
                CubeSpec(f"demography:{by}", (by, "gender", "age_band")),
                _cells(rows, dims),
            )
        )
    extras: dict[Key, dict[str, float]] = {}
    score_cols = ", ".join(f"sum({s}_n), sum({s}_sum)" for s in SCORES)
    for by in OUTCOMES_BY:
        dims = (by, "timepoint")
        rows = await _rows(conn, "followup_tally", dims, measures=f"{score_cols}, sum(count)")
        cubes.append((CubeSpec(f"outcomes:{by}", dims), _scored(rows, dims, extras, margin=by)))
    # By programme: a follow-up counts under every programme of its case's bundle, so programmes
    # do not add up: no programme margin (the total row is the other tables' margin).
    dims = ("programme", "timepoint")
    rows = await _rows(conn, "followup_programme_tally", dims, measures=f"{score_cols}, sum(count)")
    cubes.append((CubeSpec("outcomes:programme", ("timepoint",)), _scored(rows, dims, extras, margin=None)))
    for by in CASH_BY:
        dims = (by, "kind", "month", "stage")
        rows = await _rows(conn, "cash_overlap_tally", dims)
        cubes.append(
            (
                CubeSpec(f"cash:{by}", (by, "kind", "month")),
                [(with_(_finest(r, dims, {}), stage=f"cash_{r.stage}"), int(r[-1])) for r in rows],
            )
        )
    dims = ("governorate", "dimension", "month", "stage")
    rows = await _rows(conn, "needs_tally", dims)
    cubes.append(
        (
            CubeSpec("needs", ("governorate", "dimension", "month")),
            _cells(rows, dims),
        )
    )
    return cubes, extras


def _scored(
    rows: list[sa.Row[tuple[object, ...]]],
    dims: tuple[str, ...],
    extras: dict[Key, dict[str, float]],
    margin: str | None,
) -> list[tuple[Key, int]]:
    """Follow-up cells, with their score sums (and their ``margin``'s) put in ``extras``."""
    finest = []
    local: dict[Key, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        cell = _finest(r, dims, {"stage": "followup"})
        finest.append((cell, int(r[-1])))
        for target in (cell, with_(cell, **{margin: ALL})) if margin else (cell,):
            for i, s in enumerate(SCORES):
                local[target][f"{s}_n"] += float(r[len(dims) + 2 * i])
                local[target][f"{s}_sum"] += float(r[len(dims) + 2 * i + 1])
    for cell, sums in local.items():
        extras.setdefault(cell, dict(sums))  # the margins are the same in every outcomes cube
    return finest


async def load_accept_times(conn: AsyncConnection) -> dict[HistKey, list[int]]:
    """Histograms of hours from sent to accepted, with margins over return type and month
    (PostgreSQL's CUBE), per funnel dimension and for all referrals."""
    out: dict[HistKey, list[int]] = {}
    for by in (*FUNNEL_BY, None):
        col = by or "NULL::text"
        sql = (
            f"SELECT {col}, return_type, to_char(month, 'YYYY-MM'), hours_bin, sum(count) "  # noqa: S608
            f"FROM accept_time_tally GROUP BY {col}, hours_bin, CUBE(return_type, month)"
        )
        for value, rt, month, b, n in (await conn.execute(sa.text(sql))).all():
            hkey = (by or ALL, ALL if by is None else value, rt or ALL, month or ALL)
            hist = out.get(hkey)
            if hist is None:
                hist = out[hkey] = [0] * (len(ACCEPT_HOUR_BINS) + 1)
            hist[b] += int(n)
    return out


@dataclass
class Snapshot:
    published: Published
    directory: Directory
    generation: int
    built_at: float
    accept_times: dict[HistKey, list[int]] = field(default_factory=dict)
    # The programmes with follow-ups (rows of outcomes by programme, which has no margin to list them).
    followup_programmes: list[str] = field(default_factory=list)
    # Every overlap over the whole time axis, ranked (the overlap view filters it).
    overlaps: list[Overlap] = field(default_factory=list)
    # Rendered answers: (path, query, caller's own countries) -> (body, media type, headers).
    responses: dict[tuple[str, str, tuple[str, ...]], tuple[bytes, str, dict[str, str]]] = field(
        default_factory=dict
    )


def _publish_and_rank(
    cubes: Cubes, extras: dict[Key, dict[str, float]], k: int, directory: Directory, audit_limit: int
) -> tuple[Published, list[Overlap]]:
    published = publish(cubes, extras, k, directory, audit_limit)
    return published, overlap_ranking(published, directory, Period())


def _log_failure(task: asyncio.Task[Snapshot]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("background snapshot build failed: %s", task.exception().__class__.__name__)


class SnapshotCache:
    def __init__(
        self,
        engine: AsyncEngine,
        default_k: int,
        max_age_s: float,
        audit_limit: int = 20_000,
        max_stale_s: float = 0.0,
    ) -> None:
        self.engine = engine
        self.max_stale_s = max_stale_s
        self._refresh: asyncio.Task[Snapshot] | None = None
        self.last_build_s = 0.0
        self.audit_limit = audit_limit
        self.default_k = default_k
        self.max_age_s = max_age_s
        self._current: Snapshot | None = None
        self._lock = asyncio.Lock()
        self.builds = 0

    async def _state(self, conn: AsyncConnection) -> tuple[int, int]:
        row = (
            await conn.execute(
                sa.select(
                    sa.select(read_model_state.c.generation)
                    .where(read_model_state.c.id == 1)
                    .scalar_subquery(),
                    sa.select(coordination_setting.c.value)
                    .where(coordination_setting.c.key == "k")
                    .scalar_subquery(),
                )
            )
        ).one()
        return int(row[0] or 0), int(row[1] or self.default_k)

    def _fresh(self, generation: int, k: int) -> bool:
        snap = self._current
        if snap is None or snap.published.k != k:
            return False
        return snap.generation == generation or time.monotonic() - snap.built_at < self.max_age_s

    async def get(self) -> Snapshot:
        snap = self._current
        if snap is not None and time.monotonic() - snap.built_at < self.max_age_s:
            return snap  # young enough: not even a look at the generation (no round trip)
        async with self.engine.connect() as conn:
            generation, k = await self._state(conn)
        if self._fresh(generation, k):
            assert self._current is not None
            return self._current
        if snap is not None and snap.published.k == k and time.monotonic() - snap.built_at < self.max_stale_s:
            # Behind by a few events, not by a threshold: answer from it, rebuild in the background.
            if self._refresh is None or self._refresh.done():
                self._refresh = asyncio.create_task(self._rebuild(), name="coordination-snapshot")
                self._refresh.add_done_callback(_log_failure)
            return snap
        return await self._rebuild()

    async def _rebuild(self) -> Snapshot:
        async with self._lock:
            async with self.engine.connect() as conn:
                generation, k = await self._state(conn)
            if (
                self._fresh(generation, k)
                and self._current is not None
                and self._current.generation == generation
            ):
                return self._current
            started = time.monotonic()
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="REPEATABLE READ")
                async with conn.begin():
                    generation, k = await self._state(conn)
                    directory = await load_directory(conn)
                    cubes, extras = await load_cubes(conn)
                    accept_times = await load_accept_times(conn)
                    followed = await conn.execute(
                        sa.text("SELECT DISTINCT programme FROM followup_programme_tally ORDER BY 1")
                    )
                    followup_programmes = [r[0] for r in followed.all()]
            # Adding up and suppressing is CPU work for seconds on a large read model: in a thread,
            # so the event loop keeps answering (from the previous snapshot) meanwhile.
            published, overlaps = await asyncio.to_thread(
                _publish_and_rank, cubes, extras, k, directory, self.audit_limit
            )
            self._current = Snapshot(
                published,
                directory,
                generation,
                time.monotonic(),
                accept_times,
                followup_programmes,
                overlaps,
            )
            self.builds += 1
            self.last_build_s = time.monotonic() - started
            return self._current

    async def refreshed(self) -> None:
        """Wait for a background build under way, if any."""
        if self._refresh is not None:
            await self._refresh

    async def close(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refresh

    def invalidate(self) -> None:
        self._current = None
