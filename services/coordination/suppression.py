"""Small-cell suppression over every published table at once, so tables cannot be played off
against each other.

Every figure the API can show is a cell of one global key space: a value (or ``*`` = all) for each
dimension in :data:`DIMS`. A *cube* declares which dimensions it varies with margins ("line
dimensions"); each line — the cells that differ only in one line dimension, plus their margin —
is an equation ``margin = sum(cells)`` an attacker knows. Two cubes that share a cell share its
key (the funnel's "declined: no capacity in Erbil" *is* the gaps view's), so one suppression
pattern serves all of them.

1. Primary: a count from 1 to k-1 is suppressed.
2. Complementary, repeated until nothing changes: a line with exactly one suppressed member (the
   margin counts as a member) would give it away, so its smallest visible non-zero member is
   suppressed too; and so is one where the margin shows and the suppressed cells add up to a
   small count (their sum is known), or are all 1s (an attacker who knows suppressed cells are
   non-zero could otherwise solve them).
2b. Lines alone do not protect tables of three or more dimensions: an exact audit (Gaussian
   elimination modulo a prime over the line equations) finds any suppressed cell, or any hidden
   range/group sum a view offers, that the shown cells still imply, and hides more until none is.
3. Anything else a view shows — a range of months, a group of programmes, a subtotal of
   reasons — is a sum along one line; it is shown only when the published cells already imply it
   (it contains none of the line's suppressed cells, or all of them with the margin visible).

Zeros are never suppressed (they are not small cells), so a suppressed cell is known to be
non-zero; step 2 accounts for that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ALL = "*"

DIMS: tuple[str, ...] = (
    "governorate",
    "term",
    "programme",
    "funder",
    "provider",
    "return_type",
    "month",
    "stage",
    "reason",
    "gender",
    "age_band",
    "timepoint",
    "kind",  # a kind of cash support (cash overlaps)
    "dimension",  # a needs dimension (needs assessed)
    "bundle",  # a service bundle: taxonomy term codes joined by '+' (outcomes)
)
INDEX = {d: i for i, d in enumerate(DIMS)}

Key = tuple[str, ...]


def key(**coords: str) -> Key:
    unknown = set(coords) - set(INDEX)
    if unknown:
        raise KeyError(f"unknown dimensions {sorted(unknown)}")
    return tuple(coords.get(d, ALL) for d in DIMS)


def with_(k: Key, **coords: str) -> Key:
    out = list(k)
    for d, v in coords.items():
        out[INDEX[d]] = v
    return tuple(out)


@dataclass(frozen=True)
class CubeSpec:
    """A published table: ``line_dims`` get margins (and equations); the rest are carried as is."""

    name: str
    line_dims: tuple[str, ...]


@dataclass
class Published:
    """The suppressed figures of one snapshot. ``value`` answers None for a suppressed cell."""

    k: int
    values: dict[Key, int] = field(default_factory=dict)
    suppressed: set[Key] = field(default_factory=set)
    # (margin key, dimension) -> the member keys of that line (without the margin).
    lines: dict[tuple[Key, str], set[Key]] = field(default_factory=dict)
    extras: dict[Key, dict[str, float]] = field(default_factory=dict)
    # The values each dimension takes somewhere (for listing rows and month ranges).
    domains: dict[str, set[str]] = field(default_factory=dict)
    # Groups of values of a dimension whose sums a view shows (a funder's programmes).
    subsets: dict[str, list[frozenset[str]]] = field(default_factory=dict)
    # Whether the exact audit ran (it is skipped above ``audit_limit`` suppressed cells: its cost
    # grows faster than linearly, and line rules alone remain in force).
    audited: bool = True

    def value(self, k: Key) -> int | None:
        if k in self.suppressed:
            return None
        return self.values.get(k, 0)

    def raw(self, k: Key) -> int:
        return self.values.get(k, 0)

    def sum_along(self, base: Key, dim: str, members: Iterable[str]) -> int | None:
        """The sum of ``base`` with ``dim`` set to each of ``members``; None when it would reveal."""
        wanted = set(members)
        margin = with_(base, **{dim: ALL})
        line = self.lines.get((margin, dim), set())
        i = INDEX[dim]
        present = {m for m in line if m[i] in wanted}
        if line and present == line and wanted >= {m[i] for m in line}:
            return self.value(margin)
        hidden_in = {m for m in present if m in self.suppressed}
        if not hidden_in:
            return sum(self.values.get(m, 0) for m in present)
        hidden_all = {m for m in line if m in self.suppressed}
        if hidden_in == hidden_all and margin not in self.suppressed:
            outside = sum(self.values.get(m, 0) for m in line - present)
            return self.values.get(margin, 0) - outside
        return None


def build(
    cubes: Sequence[tuple[CubeSpec, Iterable[tuple[Key, int]]]],
    k: int,
    extras: Mapping[Key, dict[str, float]] | None = None,
    subsets: Mapping[str, list[frozenset[str]]] | None = None,
    audit_limit: int = 20_000,
) -> Published:
    """Add up every cube with its margins, then suppress all of them together."""
    pub = Published(k=k, subsets=dict(subsets or {}))
    line_dims_of: dict[Key, set[str]] = defaultdict(set)
    for spec, rows in cubes:
        idx = [INDEX[d] for d in spec.line_dims]
        local: dict[Key, int] = defaultdict(int)
        # Every combination of "keep" / "*" over the line dimensions a cell has a value in: the
        # positions to blank, listed once per set of such dimensions.
        blanks: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for finest, count in rows:
            varied = tuple(i for i in idx if finest[i] != ALL)
            subsets = blanks.get(varied)
            if subsets is None:
                subsets = blanks[varied] = [
                    tuple(i for bit, i in enumerate(varied) if mask >> bit & 1)
                    for mask in range(1 << len(varied))
                ]
            for subset in subsets:
                cell = list(finest)
                for i in subset:
                    cell[i] = ALL
                local[tuple(cell)] += count
        for cell, count in local.items():
            previous = pub.values.get(cell)
            if previous is not None and previous != count:
                raise ValueError(f"cube {spec.name} disagrees with another on {cell}: {count} != {previous}")
            pub.values[cell] = count
            for d in spec.line_dims:
                i = INDEX[d]
                if cell[i] != ALL:
                    line_dims_of[cell].add(d)
    for d, i in INDEX.items():
        pub.domains[d] = {c[i] for c in pub.values} - {ALL}
    for cell, dims in line_dims_of.items():
        for d in dims:
            pub.lines.setdefault((with_(cell, **{d: ALL}), d), set()).add(cell)
    if extras:
        pub.extras = dict(extras)
    _suppress(pub, audit_limit)
    return pub


def _suppress(pub: Published, audit_limit: int) -> None:
    k = pub.k
    suppressed = {c for c, v in pub.values.items() if 0 < v < k}
    order = sorted(pub.lines)
    changed = True
    while changed:
        changed = False
        for line_key in order:
            margin, _ = line_key
            members = pub.lines[line_key]
            hidden = [m for m in members if m in suppressed]
            margin_hidden = margin in suppressed
            n_hidden = len(hidden) + (1 if margin_hidden else 0)
            if n_hidden == 0:
                continue
            all_ones = not margin_hidden and bool(hidden) and all(pub.values.get(m, 0) == 1 for m in hidden)
            # With the margin shown, the hidden cells' sum is known: it must not be a small count.
            small_sum = not margin_hidden and 0 < sum(pub.values.get(m, 0) for m in hidden) < k
            if n_hidden >= 2 and not all_ones and not small_sum:
                continue
            candidates = sorted(
                (pub.values.get(m, 0), m) for m in members if m not in suppressed and pub.values.get(m, 0) > 0
            )
            if candidates:
                suppressed.add(candidates[0][1])
            elif not margin_hidden:
                suppressed.add(margin)
            else:
                continue  # nothing left to hide in this line; its other lines carry the protection
            changed = True
    # Lines alone do not protect tables of three or more dimensions (or linked ones): a cell can
    # still follow from several lines together. Audit exactly and hide more until none does.
    # The same holds for the sums a view offers over a line (a range of months): one the API hides
    # must not follow from what it shows either.
    while True:
        if len(suppressed) > audit_limit:
            pub.audited = False
            break
        basis, index = _basis(pub, suppressed)
        determined = [cells for cells in _single(basis, index)]
        determined += _determined_ranges(pub, suppressed, basis, index)
        if not determined:
            break
        before = len(suppressed)
        for cell in determined:
            extra = _complement_for(pub, cell, suppressed)
            if extra is not None:
                suppressed.add(extra)
        if len(suppressed) == before:
            break  # every line through them is hidden already; nothing more to hide
    pub.suppressed = suppressed


_P = (1 << 61) - 1


class _Echelon:
    """Rows in reduced row echelon form modulo a prime, with a column index so that adding a row
    touches only the rows that share a column with it (the equations are sparse)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, int]] = {}
        self.holders: dict[int, set[int]] = defaultdict(set)  # column -> pivots of rows using it

    def _axpy(self, target: dict[int, int], c: int, source: dict[int, int], owner: int | None) -> None:
        for u, cu in source.items():
            value = (target.get(u, 0) - c * cu) % _P
            if value:
                if owner is not None and u not in target:
                    self.holders[u].add(owner)
                target[u] = value
            elif u in target:
                del target[u]
                if owner is not None:
                    self.holders[u].discard(owner)

    def reduce(self, row: dict[int, int]) -> dict[int, int]:
        row = dict(row)
        for p in [v for v in row if v in self.rows]:
            c = row.get(p, 0)
            if c:
                self._axpy(row, c, self.rows[p], None)
        return row

    def add(self, row: dict[int, int]) -> None:
        row = self.reduce(row)
        if not row:
            return
        pivot = min(row)
        inv = pow(row[pivot], _P - 2, _P)
        row = {u: c * inv % _P for u, c in row.items()}
        for other in list(self.holders.get(pivot, ())):
            target = self.rows[other]
            self._axpy(target, target[pivot], row, other)
        self.rows[pivot] = row
        for u in row:
            self.holders[u].add(pivot)


def _basis(pub: Published, suppressed: set[Key]) -> tuple[_Echelon, dict[Key, int]]:
    """The line equations over the suppressed cells."""
    index = {c: i for i, c in enumerate(sorted(suppressed))}
    echelon = _Echelon()
    for (margin, _dim), members in pub.lines.items():
        row: dict[int, int] = {index[m]: 1 for m in members if m in index}
        if margin in index:
            row[index[margin]] = _P - 1
        if row:
            echelon.add(row)
    return echelon, index


def _single(echelon: _Echelon, index: dict[Key, int]) -> list[Key]:
    """Cells fixed by the equations: their pivot row has no other entry."""
    cells = {i: c for c, i in index.items()}
    return [cells[p] for p, row in sorted(echelon.rows.items()) if len(row) == 1]


def _reduces_to_zero(echelon: _Echelon, row: dict[int, int]) -> bool:
    return not echelon.reduce(row)


def _determined_ranges(
    pub: Published, suppressed: set[Key], basis: _Echelon, index: dict[Key, int]
) -> list[Key]:
    """A hidden cell of every offered group sum (a range of months, a funder's programmes) that the
    API hides but the published cells would imply."""
    out: list[Key] = []
    for (_margin, dim), members in pub.lines.items():
        if dim != "month" and dim not in pub.subsets:
            continue
        hidden = sorted(m for m in members if m in suppressed)
        if len(hidden) < 2:
            continue
        i = INDEX[dim]
        if dim == "month":
            months = sorted({m[i] for m in members})
            groups = [set(months[lo : hi + 1]) for lo in range(len(months)) for hi in range(lo, len(months))]
        else:
            groups = [set(g) for g in pub.subsets[dim]]
        for group in groups:
            inside = [m for m in hidden if m[i] in group]
            if 1 < len(inside) < len(hidden) and _reduces_to_zero(basis, {index[m]: 1 for m in inside}):
                out.append(inside[0])
    return out


def _complement_for(pub: Published, cell: Key, suppressed: set[Key]) -> Key | None:
    """The smallest visible non-zero cell sharing a line with ``cell`` (a member or margin)."""
    best: tuple[int, Key] | None = None
    for d, i in INDEX.items():
        if cell[i] == ALL:
            continue
        margin = with_(cell, **{d: ALL})
        members = pub.lines.get((margin, d))
        if not members:
            continue
        for m in (*members, margin):
            v = pub.values.get(m, 0)
            if m not in suppressed and v > 0 and (best is None or (v, m) < best):
                best = (v, m)
    return best[1] if best else None
