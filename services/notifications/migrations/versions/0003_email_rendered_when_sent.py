"""email deliveries are rendered when sent, not when queued

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 02:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENDERED = ("subject_line", "text_body", "html_body")


def upgrade() -> None:
    for column in RENDERED:
        op.alter_column("email_delivery", column, existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    # Rows not yet sent have nothing rendered; an empty body is what the old schema can hold.
    for column in RENDERED:
        op.execute(f"UPDATE email_delivery SET {column} = '' WHERE {column} IS NULL")  # noqa: S608 - constant
        op.alter_column("email_delivery", column, existing_type=sa.Text(), nullable=False)
