"""The read model search runs on, kept in step in the same transaction as every change that affects
it (service, organization, location, term, programme).

``service_search`` holds, per service, what filters, sorts and the result list need, and the
folded words text search matches; ``search_word`` is the vocabulary those words come from.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.db import Base


class ServiceSearch(Base):
    __tablename__ = "service_search"
    __table_args__ = (
        # Every filter, words included, is an array overlap (&&): GIN answers it, and bitmaps of
        # several filters combine.
        # No pending list on the word indexes: a directory is read far more than written, and a
        # query must not scan a long list of not-yet-merged entries after a burst of edits.
        Index(
            "ix_service_search_words", "words", postgresql_using="gin", postgresql_with={"fastupdate": "off"}
        ),
        Index(
            "ix_service_search_name_words",
            "name_words",
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ),
        Index("ix_service_search_governorates", "governorates", postgresql_using="gin"),
        Index("ix_service_search_districts", "districts", postgresql_using="gin"),
        Index("ix_service_search_full_governorates", "full_governorates", postgresql_using="gin"),
        Index("ix_service_search_term_codes", "term_codes", postgresql_using="gin"),
        Index("ix_service_search_dimensions", "dimensions", postgresql_using="gin"),
        Index("ix_service_search_languages", "languages", postgresql_using="gin"),
        Index("ix_service_search_programme_ids", "programme_ids", postgresql_using="gin"),
        Index("ix_service_search_funder_countries", "funder_countries", postgresql_using="gin"),
        # The default listing: active services by name, id as the tie-breaker.
        Index("ix_service_search_by_name", "active", "sort_name", "service_id"),
        # Move every large value (names, words) out of the row: the rows stay a few hundred bytes,
        # so the counts and sorts that scan them read a third of the pages. The migration keeps
        # the filter and sort columns inline and uncompressed (STORAGE PLAIN, see PLAIN_COLUMNS):
        # a scan or a sort must not fetch or decompress them at every row.
        {"postgresql_with": {"toast_tuple_target": 128}},
    )

    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    organization_kind: Mapped[str] = mapped_column(Text)
    organization_name: Mapped[dict[str, str]] = mapped_column(JSONB)
    name: Mapped[dict[str, str]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    accepts_referrals: Mapped[bool] = mapped_column(Boolean)
    open_places: Mapped[int | None] = mapped_column(Integer)
    waitlist_length: Mapped[int | None] = mapped_column(Integer)
    capacity_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text))
    term_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    dimensions: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # Governorates the service works in at all, those it covers whole, and single districts.
    governorates: Mapped[list[str]] = mapped_column(ARRAY(Text))
    full_governorates: Mapped[list[str]] = mapped_column(ARRAY(Text))
    districts: Mapped[list[str]] = mapped_column(ARRAY(Text))
    programme_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    funder_countries: Mapped[list[str]] = mapped_column(ARRAY(Text))
    assured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sort_name: Mapped[str] = mapped_column(Text)
    # The distinct folded words (search.normalise) of everything searchable, and of the names only
    # (for ranking). Not shown, only matched: the result query never reads them.
    words: Mapped[list[str]] = mapped_column(ARRAY(Text))
    name_words: Mapped[list[str]] = mapped_column(ARRAY(Text))


# Small columns read by filters and sorts, kept in the row uncompressed (ALTER ... SET STORAGE PLAIN).
PLAIN_COLUMNS = (
    "organization_kind",
    "status",
    "languages",
    "term_codes",
    "dimensions",
    "governorates",
    "full_governorates",
    "districts",
    "programme_ids",
    "funder_countries",
    "sort_name",
)


class SearchWord(Base):
    """The vocabulary: every folded word of any service, with its index terms.

    A query word is looked up here first (which words contain it?), then services are those whose
    ``words`` overlap the answer. Both steps are GIN lookups, so no document text is scanned at
    query time. Words are only ever added; one nobody uses any more costs a row and matches nothing.
    """

    __tablename__ = "search_word"
    __table_args__ = (
        Index("ix_search_word_terms", "terms", postgresql_using="gin", postgresql_with={"fastupdate": "off"}),
    )

    word: Mapped[str] = mapped_column(Text, primary_key=True)
    terms: Mapped[list[str]] = mapped_column(ARRAY(Text))
