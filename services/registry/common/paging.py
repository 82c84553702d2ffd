"""Page-number paging with a total, used by every list. Sorting always ends on the id: stable."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from shared.errors import InvalidField

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    total_pages: int

    @classmethod
    def of(cls, items: list[T], params: PageParams, total: int) -> Page[T]:
        return cls(
            items=items,
            page=params.page,
            per_page=params.per_page,
            total=total,
            total_pages=math.ceil(total / params.per_page) if total else 0,
        )


def page_params(
    request: Request,
    # Bounded so that (page - 1) * per_page stays a PostgreSQL bigint OFFSET: beyond, a 500.
    page: Annotated[int, Query(ge=1, le=1_000_000_000, description="Page number, from 1.")] = 1,
    per_page: Annotated[int | None, Query(ge=1, description="Items per page (default 20).")] = None,
) -> PageParams:
    settings = request.app.state.settings
    size = per_page or settings.default_page_size
    if size > settings.max_page_size:
        raise InvalidField("#query/per_page", f"must be at most {settings.max_page_size}")
    return PageParams(page=page, per_page=size)


Paging = Annotated[PageParams, Depends(page_params)]
