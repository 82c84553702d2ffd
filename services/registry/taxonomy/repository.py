"""Queries on taxonomy terms."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.taxonomy.models import TaxonomyTerm


async def get(session: AsyncSession, term_id: uuid.UUID, *, for_update: bool = False) -> TaxonomyTerm | None:
    query = select(TaxonomyTerm).where(TaxonomyTerm.id == term_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def by_code(session: AsyncSession, code: str) -> TaxonomyTerm | None:
    return (await session.execute(select(TaxonomyTerm).where(TaxonomyTerm.code == code))).scalar_one_or_none()


async def active_ids_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, uuid.UUID]:
    wanted = set(codes)
    if not wanted:
        return {}
    rows = await session.execute(
        select(TaxonomyTerm.code, TaxonomyTerm.id).where(
            TaxonomyTerm.code.in_(wanted), TaxonomyTerm.deactivated_at.is_(None)
        )
    )
    return {r.code: r.id for r in rows}


async def parent_of(session: AsyncSession, term_id: uuid.UUID) -> uuid.UUID | None:
    return (
        await session.execute(select(TaxonomyTerm.parent_id).where(TaxonomyTerm.id == term_id))
    ).scalar_one_or_none()


async def search(
    session: AsyncSession,
    *,
    dimensions: list[str],
    parent_id: uuid.UUID | None,
    top_only: bool,
    words: list[str],
    include_deactivated: bool,
    offset: int,
    limit: int,
) -> tuple[list[TaxonomyTerm], int]:
    from services.registry.search.normalise import normalise

    query = select(TaxonomyTerm)
    if dimensions:
        query = query.where(TaxonomyTerm.dimension.in_(dimensions))
    if parent_id:
        query = query.where(TaxonomyTerm.parent_id == parent_id)
    if top_only:
        query = query.where(TaxonomyTerm.parent_id.is_(None))
    if not include_deactivated:
        query = query.where(TaxonomyTerm.deactivated_at.is_(None))
    rows = list((await session.execute(query.order_by(TaxonomyTerm.code, TaxonomyTerm.id))).scalars())
    if words:
        # A few dozen terms: folding their names in Python keeps one normalisation for everything.
        def matches(term: TaxonomyTerm) -> bool:
            text = normalise(" ".join([term.code, *term.name.values()]))
            return all(w in text for w in words)

        rows = [t for t in rows if matches(t)]
    total = len(rows)
    return rows[offset : offset + limit], total


async def count_all(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(TaxonomyTerm))).scalar_one())
