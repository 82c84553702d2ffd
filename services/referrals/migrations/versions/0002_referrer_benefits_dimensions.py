"""referrer subject on referrals; benefits and taxonomy dimensions in the replica

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:40:00

Replica rows written before this revision have no taxonomy dimension; the registry's next state
event of each term fills it (its version is higher).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("referral", sa.Column("sent_by_subject", sa.Text(), nullable=True))
    op.add_column("replica_taxonomy_term", sa.Column("dimension", sa.Text(), nullable=True))
    op.create_table(
        "replica_benefit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replica_benefit")),
    )
    op.create_index(
        op.f("ix_replica_benefit_programme_id"), "replica_benefit", ["programme_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_replica_benefit_programme_id"), table_name="replica_benefit")
    op.drop_table("replica_benefit")
    op.drop_column("replica_taxonomy_term", "dimension")
    op.drop_column("referral", "sent_by_subject")
