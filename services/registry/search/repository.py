"""The search queries.

Each query word is looked up in the vocabulary (the words containing it), then every filter, words
included, is an array overlap answered by GIN. The page orders narrow rows (id and sort keys) and
reads the displayed columns of its twenty rows only; the vocabulary lookups and the count ride in
the same statement, so a search is one round trip.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Text, Uuid, and_, case, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from services.registry.places import catalogue
from services.registry.search.models import SearchWord as W
from services.registry.search.models import ServiceSearch as S
from services.registry.search.models import ServiceSearch as _Names
from services.registry.search.normalise import lookup_terms
from services.registry.search.schemas import SearchFilters, SortOrder

N = aliased(_Names, name="name_match")

# Sorts "never" last among the most recently confirmed.
NEVER = datetime.min.replace(tzinfo=UTC)

# What a result line shows (never the words, which are only matched).
RESULT_COLUMNS = (
    S.service_id,
    S.organization_id,
    S.organization_kind,
    S.organization_name,
    S.name,
    S.status,
    S.accepts_referrals,
    S.open_places,
    S.waitlist_length,
    S.capacity_updated_at,
    S.languages,
    S.term_codes,
    S.dimensions,
    S.governorates,
    S.programme_ids,
    S.assured_at,
    S.updated_at,
)


def _text_array(values: list[str]) -> Any:
    return cast(values, ARRAY(Text))


def _containing(word: str) -> Any:
    """The vocabulary words containing a query word: GIN on their index terms, then an exact check
    on the (short) words themselves. A two-letter query word must start a word."""
    check = func.starts_with(W.word, word) if len(word) == 2 else func.strpos(W.word, word) > 0
    found = select(W.word).where(W.terms.contains(_text_array(sorted(lookup_terms(word)))), check)
    return func.array(found.scalar_subquery(), type_=ARRAY(Text))


def vocabulary_in_query(words: list[str]) -> list[Any]:
    """Per query word, its vocabulary matches as a value of the query itself (one CTE, computed
    once however often it is referred to): no round trip of its own."""
    if not words:
        return []
    vocabulary = select(*(_containing(w).label(f"w{i}") for i, w in enumerate(words))).cte("vocabulary")
    return [select(vocabulary.c[f"w{i}"]).scalar_subquery() for i in range(len(words))]


async def vocabulary_matches(session: AsyncSession, words: list[str]) -> list[Any] | None:
    """Per query word, its vocabulary matches looked up now (an array literal each); None when a
    word has none, so the caller can stop there."""
    if not words:
        return []
    row = (await session.execute(select(*(_containing(w) for w in words)))).one()
    matches = [list(found) for found in row]
    return [_text_array(found) for found in matches] if all(matches) else None


def word_conditions(matches: list[Any]) -> list[ColumnElement[bool]]:
    """Every query word occurs in one of the service's words (``matches``: one array per word)."""
    return [S.words.overlap(found) for found in matches]


def conditions(f: SearchFilters, stale_before: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [S.active.is_(True)]
    if f.governorates:
        where.append(S.governorates.overlap(_text_array(f.governorates)))
    if f.districts:
        # A district is served by a service covering it, or covering its whole governorate.
        parents = sorted({catalogue.district_governorate(d) for d in f.districts})
        where.append(
            or_(
                S.districts.overlap(_text_array(f.districts)),
                S.full_governorates.overlap(_text_array(parents)),
            )
        )
    if f.term_codes:
        where.append(S.term_codes.overlap(_text_array(f.term_codes)))
    if f.dimensions:
        where.append(S.dimensions.overlap(_text_array(f.dimensions)))
    if f.languages:
        where.append(S.languages.overlap(_text_array(f.languages)))
    if f.accepts_referrals is not None:
        where.append(S.accepts_referrals.is_(f.accepts_referrals))
    if f.has_capacity is True:
        where.append(S.open_places > 0)
    elif f.has_capacity is False:
        where.append(or_(S.open_places.is_(None), S.open_places == 0))
    if f.programme_ids:
        where.append(S.programme_ids.overlap(cast(f.programme_ids, ARRAY(Uuid))))
    if f.funders:
        where.append(S.funder_countries.overlap(_text_array(f.funders)))
    if f.organization_kinds:
        where.append(S.organization_kind.in_(f.organization_kinds))
    if f.organization_ids:
        where.append(S.organization_id.in_(f.organization_ids))
    if f.statuses:
        where.append(S.status.in_(f.statuses))
    if f.stale is True:
        where.append(or_(S.assured_at.is_(None), S.assured_at < stale_before))
    elif f.stale is False:
        where.append(and_(S.assured_at.is_not(None), S.assured_at >= stale_before))
    return where


def _sort_keys(sort: SortOrder, matches: list[Any]) -> list[tuple[Any, bool]]:
    """(expression, descending) pairs; the id always comes last, so the order is stable."""
    by_name = [(S.sort_name, False), (S.service_id, False)]
    if sort is SortOrder.relevance and matches:
        # Services whose own or provider's name holds a word come first. Each test is an IN on a
        # GIN lookup (a hashed subplan), not a read of every match's names.
        in_name = sum(
            (
                case(
                    (
                        S.service_id.in_(select(N.service_id).where(N.name_words.overlap(found))),
                        1,
                    ),
                    else_=0,
                )
                for found in matches
            ),
            literal(0, Integer),
        )
        return [(in_name, True), *by_name]
    if sort is SortOrder.recently_updated:
        return [(S.updated_at, True), (S.service_id, False)]
    if sort is SortOrder.recently_confirmed:
        return [(func.coalesce(S.assured_at, literal(NEVER)), True), (S.service_id, False)]
    if sort is SortOrder.open_places:
        return [(func.coalesce(S.open_places, -1), True), *by_name]
    return by_name


async def search(
    session: AsyncSession, f: SearchFilters, sort: SortOrder, stale_before: datetime, offset: int, limit: int
) -> tuple[list[Any], int]:
    """One page of results (each with its stale flag) and the number of all matches."""
    matches = vocabulary_in_query(f.words)
    where = [*conditions(f, stale_before), *word_conditions(matches)]
    count = select(func.count()).select_from(S).where(*where)
    keys = _sort_keys(sort, matches)
    labelled = [expr.label(f"k{i}") for i, (expr, _) in enumerate(keys)]
    ordered = [c.desc() if desc else c.asc() for c, (_, desc) in zip(labelled, keys, strict=True)]
    page = select(*labelled).where(*where).order_by(*ordered).offset(offset).limit(limit).subquery()
    outer = [page.c[f"k{i}"].desc() if desc else page.c[f"k{i}"].asc() for i, (_, desc) in enumerate(keys)]
    stale = or_(S.assured_at.is_(None), S.assured_at < stale_before).label("stale")
    # The count rides along as a scalar subquery: one round trip for the page and its total.
    rows = list(
        await session.execute(
            select(*RESULT_COLUMNS, stale, count.scalar_subquery().label("total"))
            .join(page, page.c[f"k{len(keys) - 1}"] == S.service_id)
            .order_by(*outer)
        )
    )
    if rows:
        return rows, int(rows[0].total)
    # An empty page: there is nothing at this offset, but the total may still be asked for.
    return [], 0 if offset == 0 else int((await session.execute(count)).scalar_one())
