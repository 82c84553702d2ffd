"""a case's consent revision, bumped by every consent record

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 02:30:00

A referral is written in one statement that locks the case and proceeds only if the case's consent
revision is still the one its consent check read (services/referrals/referrals/repository.py). A
withdrawal committed in between bumps it, so the referral is checked again instead of going out
on consent that no longer exists.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case", sa.Column("consent_revision", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("case", "consent_revision")
