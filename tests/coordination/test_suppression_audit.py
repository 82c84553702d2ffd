"""An attacker with every answer the API gives tries to recover suppressed cells, and fails.

The test knows each event it published (its full dimension vector: an "atom"). Every figure any
view shows is a sum over atoms; a shown figure is a linear equation the attacker knows, a
suppressed one an unknown. A suppressed figure is recoverable exactly when its atom set (as a
vector) lies in the span of the shown ones — checked by Gaussian elimination modulo a large prime
over every answer of every combination of filters the API offers.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from services.coordination.suppression import CubeSpec, build, key
from shared.contracts import referrals as rc
from tests.coordination.conftest import ETTC, MRC_ERBIL, RWANGA, Harness, Ref, demo_directory, tid

P = (1 << 61) - 1
GOVS = ("IQ-AR", "IQ-BG", "IQ-NI")
TERMS = ("cash-grant", "job-placement")
PROGRAMMES = {"se-cash": (("SE",), RWANGA), "no-cash": (("NO",), ETTC)}
PROVIDERS = (RWANGA, ETTC)  # either provider may serve either programme
RTS = ("voluntary_assisted", "forced")
MONTHS = ("2025-03", "2025-04", "2025-05")
STAGES = (
    ("sent", ""),
    ("accepted", ""),
    ("declined", "no_capacity"),
    ("declined", "out_of_area"),
    ("completed", "delivered"),
    ("expired", ""),
)
GENDERS = ("male", "female")
AGES = ("18-24", "25-34")
RANGES: list[tuple[str | None, str | None]] = [(None, None)]
RANGES += [(f"{m}-01", f"{m}-28") for m in MONTHS]
RANGES += [(f"{MONTHS[1]}-01", None)]


@dataclass(frozen=True)
class Atom:
    kind: str  # referral | case
    governorate: str
    term: str
    programme: str
    return_type: str
    month: str
    stage: str
    reason: str
    gender: str
    age_band: str
    provider: str = ""

    @property
    def funder(self) -> str:
        return "+".join(PROGRAMMES[self.programme][0]) if self.programme else ""


def dataset(seed: int = 7) -> Counter[Atom]:
    rng = random.Random(seed)
    atoms: Counter[Atom] = Counter()
    for gov, t, prog, rt, month, (stage, reason) in itertools.product(
        GOVS, TERMS, PROGRAMMES, RTS, MONTHS, STAGES
    ):
        if rng.random() < 0.55:
            continue
        n = rng.choice((1, 1, 2, 3, 4, 6, 9))
        for _ in range(n):
            atoms[
                Atom(
                    "referral",
                    gov,
                    t,
                    prog,
                    rt,
                    month,
                    stage,
                    reason,
                    rng.choice(GENDERS),
                    rng.choice(AGES),
                    str(rng.choice(PROVIDERS)),
                )
            ] += 1
    for gov, rt, month in itertools.product(GOVS, RTS, MONTHS):
        for _ in range(rng.choice((0, 1, 2, 3, 5, 8))):
            atoms[
                Atom("case", gov, "", "", rt, month, "case_opened", "", rng.choice(GENDERS), rng.choice(AGES))
            ] += 1
    return atoms


class Span:
    """Row space of 0/1 forms over atom indices, kept in reduced row echelon form modulo P."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, int]] = {}

    def reduce(self, form: Iterable[int]) -> dict[int, int]:
        row = dict.fromkeys(form, 1)
        for pivot in [v for v in row if v in self.rows]:
            c = row.get(pivot, 0)
            if not c:
                continue
            for u, cu in self.rows[pivot].items():
                value = (row.get(u, 0) - c * cu) % P
                if value:
                    row[u] = value
                else:
                    row.pop(u, None)
        return row

    def add(self, form: Iterable[int]) -> None:
        row = self.reduce(form)
        if not row:
            return
        pivot = min(row)
        inv = pow(row[pivot], P - 2, P)
        row = {u: c * inv % P for u, c in row.items()}
        for other in self.rows.values():
            c = other.get(pivot)
            if c:
                for u, cu in row.items():
                    value = (other.get(u, 0) - c * cu) % P
                    if value:
                        other[u] = value
                    else:
                        other.pop(u, None)
        self.rows[pivot] = row

    def determines(self, form: Iterable[int]) -> bool:
        return not self.reduce(form)


Figure = tuple[frozenset[int], int | None]


def universe() -> list[Atom]:
    """Every combination an attacker must consider: it does not know which ones are empty. It does
    know the directory: a programme's funders and provider are fixed."""
    out = [
        Atom("referral", gov, t, prog, rt, month, stage, reason, g, age, str(provider))
        for gov, t, prog, rt, month, (stage, reason), g, age, provider in itertools.product(
            GOVS, TERMS, PROGRAMMES, RTS, MONTHS, STAGES, GENDERS, AGES, PROVIDERS
        )
    ]
    out += [
        Atom("case", gov, "", "", rt, month, "case_opened", "", g, age)
        for gov, rt, month, g, age in itertools.product(GOVS, RTS, MONTHS, GENDERS, AGES)
    ]
    return out


class Attacker:
    def __init__(self, atoms: Counter[Atom]) -> None:
        self.atoms = universe()
        assert set(atoms) <= set(self.atoms)
        self.counts = atoms
        self.figures: list[tuple[str, Figure]] = []
        self.by_stage: dict[str, list[int]] = {}
        for i, a in enumerate(self.atoms):
            self.by_stage.setdefault(a.stage, []).append(i)

    def see(self, where: str, match: Callable[[Atom], bool], value: Any, stage: str) -> None:
        form = frozenset(i for i in self.by_stage.get(stage, ()) if match(self.atoms[i]))
        truth = sum(self.counts[self.atoms[i]] for i in form)
        assert value is None or value == truth, (where, value, truth)
        self.figures.append((where, (form, value)))


def in_range(month: str, start: str | None, end: str | None) -> bool:
    return (start is None or month >= start[:7]) and (end is None or month <= end[:7])


def stage_of(column: str) -> tuple[str, str | None] | None:
    if column in ("sent", "accepted", "declined", "started", "completed", "closed", "revoked", "expired"):
        return column, None
    if column.startswith("declined_"):
        return "declined", column.removeprefix("declined_")
    return None


async def publish(h: Harness, atoms: Counter[Atom]) -> None:
    for atom, n in atoms.items():
        for _ in range(n):
            if atom.kind == "case":
                case_id = uuid.uuid4()
                d = rc.Dimensions(
                    owner_org_id=MRC_ERBIL,
                    governorate_code=atom.governorate,
                    return_type=atom.return_type,
                    gender=atom.gender,
                    age_band=atom.age_band,
                )
                await h.pub.publish(
                    rc.CaseOpened(case_id=case_id, dimensions=d),
                    case_id,
                    at=Ref("sent", "", "", "", [], RWANGA, "", atom.month).at(),
                )
                continue
            funders, _ = PROGRAMMES[atom.programme]
            ref = Ref(
                atom.stage,
                atom.governorate,
                atom.term,
                atom.programme,
                list(funders),
                uuid.UUID(atom.provider),
                atom.return_type,
                atom.month,
                reason=atom.reason,
                gender=atom.gender,
                age_band=atom.age_band,
            )
            await h.pub.publish(ref.contract(), ref.case_id, at=ref.at())
    await h.settle()


async def collect(h: Harness, spy: Attacker) -> int:
    """Ask every combination the API offers; record every figure. Returns the number of requests."""
    requests = 0
    dims_values = {
        "governorate": GOVS,
        "programme": tuple(str(tid("programme", p)) for p in PROGRAMMES),
        "funder": ("SE", "NO"),
        "provider": (str(RWANGA), str(ETTC)),
    }

    def atom_value(a: Atom, dim: str) -> str:
        if dim == "programme" and a.programme:
            return str(tid("programme", a.programme))
        return str(getattr(a, dim))

    for by in ("governorate", "programme", "funder", "provider", "month"):
        scopes: list[tuple[str, str] | None] = [None]
        for dim, values in dims_values.items():
            if by in ("month", dim):
                scopes += [(dim, v) for v in values]
        for rt, (start, end), scope in itertools.product((None, *RTS), RANGES, scopes):
            params = {"by": by, "return_type": rt, "from": start, "to": end}
            if scope:
                params[scope[0]] = scope[1]
            body = await h.json("/v1/funnel", **params)
            requests += 1
            for row in body["rows"]:
                row_value = row[by]
                for column, value in row.items():
                    st = stage_of(column)
                    if st is None:
                        continue

                    def match(
                        a: Atom,
                        st: tuple[str, str | None] = st,
                        row_value: str | None = row_value,
                        by: str = by,
                        rt: str | None = rt,
                        start: str | None = start,
                        end: str | None = end,
                        scope: tuple[str, str] | None = scope,
                    ) -> bool:
                        return (
                            a.kind == "referral"
                            and a.stage == st[0]
                            and (st[1] is None or a.reason == st[1])
                            and (row_value is None or atom_value(a, by) == row_value)
                            and (rt is None or a.return_type == rt)
                            and in_range(a.month, start, end)
                            and (scope is None or atom_value(a, scope[0]) == scope[1])
                        )

                    spy.see(f"funnel {params} {row_value} {column}", match, value, st[0])
    for gov, t, (start, end) in itertools.product((None, *GOVS), (None, *TERMS), RANGES):
        body = await h.json("/v1/gaps/declines", governorate=gov, term=t, **{"from": start, "to": end})
        requests += 1
        for row in body["rows"]:
            for column, value in row.items():
                st = stage_of(column)
                if st is None:
                    continue

                def match(
                    a: Atom,
                    st: tuple[str, str | None] = st,
                    row: dict[str, Any] = row,
                    start: str | None = start,
                    end: str | None = end,
                ) -> bool:
                    return (
                        a.kind == "referral"
                        and a.stage == "declined"
                        and (st[1] is None or a.reason == st[1])
                        and a.governorate == row["governorate"]
                        and (row["term"] is None or a.term == row["term"])
                        and in_range(a.month, start, end)
                    )

                spy.see(
                    f"gaps {gov} {t} {start} {end} {row['governorate']} {row['term']} {column}",
                    match,
                    value,
                    "declined",
                )
    for start, end in RANGES:
        body = await h.json("/v1/gaps/supply", **{"from": start, "to": end})
        requests += 1
        for row in body["rows"]:

            def match(
                a: Atom, row: dict[str, Any] = row, start: str | None = start, end: str | None = end
            ) -> bool:
                return (
                    a.kind == "case" and a.governorate == row["governorate"] and in_range(a.month, start, end)
                )

            spy.see(f"supply {start} {end} {row['governorate']}", match, row["returns"], "case_opened")
    for by, measure in itertools.product(("governorate", "programme"), ("returns", "referrals")):
        body = await h.json("/v1/demographics", by=by, measure=measure)
        requests += 1
        for row in body["rows"]:

            def match(a: Atom, row: dict[str, Any] = row, by: str = by, measure: str = measure) -> bool:
                stage = "case_opened" if measure == "returns" else "sent"
                return (
                    a.stage == stage
                    and (row[by] is None or atom_value(a, by) == row[by])
                    and (row["gender"] is None or a.gender == row["gender"])
                    and (row["age_band"] is None or a.age_band == row["age_band"])
                )

            stage = "case_opened" if measure == "returns" else "sent"
            spy.see(f"demographics {by} {measure} {row}", match, row[measure], stage)
    body = await h.json("/v1/overlap")
    requests += 1
    for row in body["rows"]:
        progs = set(row["programme_ids"])

        def match(a: Atom, row: dict[str, Any] = row, progs: set[str] = progs) -> bool:
            return (
                a.kind == "referral"
                and a.stage == "sent"
                and a.governorate == row["governorate"]
                and a.term == row["term"]
                and str(tid("programme", a.programme)) in progs
            )

        spy.see(f"overlap {row['governorate']} {row['term']}", match, row["referrals_sent"], "sent")
    return requests


def audit(figures: list[tuple[str, Figure]], k: int) -> tuple[int, list[str]]:
    """(suppressed figures checked, those an attacker could solve)."""
    forms: dict[frozenset[int], tuple[str, int | None]] = {}
    for where, (form, value) in figures:
        if value is not None:
            assert not (0 < value < k), f"a small count is shown: {where} = {value}"
        forms.setdefault(form, (where, value))
    # Atoms that every figure takes or leaves together are one unknown to the attacker.
    signature: dict[int, list[int]] = {}
    for n, form in enumerate(forms):
        for i in form:
            signature.setdefault(i, []).append(n)
    classes: dict[tuple[int, ...], int] = {}
    class_of = {i: classes.setdefault(tuple(sig), len(classes)) for i, sig in signature.items()}
    span = Span()
    hidden: list[tuple[str, frozenset[int]]] = []
    for form, (where, value) in forms.items():
        compressed = frozenset(class_of[i] for i in form)
        if value is None:
            hidden.append((where, compressed))
        else:
            span.add(compressed)
    return len(hidden), [where for where, form in hidden if form and span.determines(form)]


# Some 730 events and 360 requests: well inside the default limit on a quiet machine, not on a
# shared one under load.
@pytest.mark.timeout(400)
async def test_no_suppressed_cell_can_be_recovered_from_any_combination(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    atoms = dataset()
    t0 = time.monotonic()
    await publish(harness, atoms)
    t1 = time.monotonic()
    spy = Attacker(atoms)
    requests = await collect(harness, spy)
    t2 = time.monotonic()
    checked, leaks = audit(spy.figures, k=5)
    print(
        f"publish {t1 - t0:.1f}s collect {t2 - t1:.1f}s audit {time.monotonic() - t2:.1f}s",
        sum(atoms.values()),
    )
    assert requests > 300 and checked > 50, (requests, checked)
    assert leaks == [], leaks[:5]

    # The audit has teeth: if the complementary cells were shown, primary cells would fall out.
    truths = {form: sum(spy.counts[spy.atoms[i]] for i in form) for _, (form, _) in spy.figures}
    naive = [(w, (f, v if v is not None or 0 < truths[f] < 5 else truths[f])) for w, (f, v) in spy.figures]
    _, naive_leaks = audit(naive, k=5)
    assert naive_leaks, "primary suppression alone should be attackable"


def test_lines_of_ones_get_a_third_cell() -> None:
    """Two suppressed 1s beside a visible margin would be solvable (suppressed means non-zero)."""
    cells = [
        (key(governorate="IQ-AR", stage="sent"), 1),
        (key(governorate="IQ-BG", stage="sent"), 1),
        (key(governorate="IQ-NI", stage="sent"), 30),
        (key(governorate="IQ-DA", stage="sent"), 40),
    ]
    pub = build([(CubeSpec("t", ("governorate",)), cells)], k=5)
    assert pub.value(key(governorate="IQ-NI", stage="sent")) is None
    assert pub.value(key(governorate="IQ-DA", stage="sent")) == 40
    assert pub.value(key(stage="sent")) == 72


def test_a_margin_that_is_the_only_other_cell_is_hidden() -> None:
    cells = [(key(governorate="IQ-AR", stage="sent"), 3)]
    pub = build([(CubeSpec("t", ("governorate",)), cells)], k=5)
    assert pub.value(key(governorate="IQ-AR", stage="sent")) is None and pub.value(key(stage="sent")) is None
