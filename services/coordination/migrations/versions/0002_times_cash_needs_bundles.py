"""time to accept, cash overlaps, needs, follow-ups by bundle and by programme

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:35:00

Existing follow-up rows get the bundle '' (their events carried none); a rebuild
(``python -m services.coordination.rebuild``) recounts them from the streams.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _scores() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("economic_n", sa.BigInteger(), nullable=False),
        sa.Column("economic_sum", sa.Float(), nullable=False),
        sa.Column("social_n", sa.BigInteger(), nullable=False),
        sa.Column("social_sum", sa.Float(), nullable=False),
        sa.Column("psychosocial_n", sa.BigInteger(), nullable=False),
        sa.Column("psychosocial_sum", sa.Float(), nullable=False),
    ]


MEASURES = (
    "count",
    "economic_n",
    "economic_sum",
    "social_n",
    "social_sum",
    "psychosocial_n",
    "psychosocial_sum",
)


def _text(*names: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(n, sa.Text(), nullable=False) for n in names]


def upgrade() -> None:
    op.add_column("followup_tally", sa.Column("bundle", sa.Text(), nullable=False, server_default=""))
    op.alter_column("followup_tally", "bundle", server_default=None)
    op.drop_constraint("pk_followup_tally", "followup_tally", type_="primary")
    op.create_primary_key(
        "pk_followup_tally",
        "followup_tally",
        ["month", "governorate", "programme", "return_type", "timepoint", "bundle"],
    )
    op.create_table(
        "followup_programme_tally",
        sa.Column("month", sa.Date(), nullable=False),
        *_text("programme", "timepoint"),
        *_scores(),
        sa.PrimaryKeyConstraint("month", "programme", "timepoint", name=op.f("pk_followup_programme_tally")),
    )
    op.create_table(
        "accept_time_tally",
        sa.Column("month", sa.Date(), nullable=False),
        *_text("governorate", "programme", "funder", "provider", "return_type"),
        sa.Column("hours_bin", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "governorate",
            "programme",
            "funder",
            "provider",
            "return_type",
            "hours_bin",
            name=op.f("pk_accept_time_tally"),
        ),
    )
    op.create_table(
        "cash_overlap_tally",
        sa.Column("month", sa.Date(), nullable=False),
        *_text("governorate", "programme", "funder", "kind", "stage"),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "governorate", "programme", "funder", "kind", "stage", name=op.f("pk_cash_overlap_tally")
        ),
    )
    op.create_table(
        "needs_tally",
        sa.Column("month", sa.Date(), nullable=False),
        *_text("governorate", "return_type", "dimension", "stage"),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "governorate", "return_type", "dimension", "stage", name=op.f("pk_needs_tally")
        ),
    )


def downgrade() -> None:
    op.drop_table("needs_tally")
    op.drop_table("cash_overlap_tally")
    op.drop_table("accept_time_tally")
    op.drop_table("followup_programme_tally")
    # Merge the bundles back into one row per old key.
    keys = "month, governorate, programme, return_type, timepoint"
    sums = ", ".join(f"sum({c})" for c in MEASURES)
    op.execute(f"CREATE TEMP TABLE merged AS SELECT {keys}, {sums} FROM followup_tally GROUP BY {keys}")  # noqa: S608
    op.execute("DELETE FROM followup_tally")
    op.drop_constraint("pk_followup_tally", "followup_tally", type_="primary")
    op.drop_column("followup_tally", "bundle")
    op.create_primary_key("pk_followup_tally", "followup_tally", keys.split(", "))
    op.execute(f"INSERT INTO followup_tally ({keys}, {', '.join(MEASURES)}) SELECT * FROM merged")  # noqa: S608
    op.execute("DROP TABLE merged")
