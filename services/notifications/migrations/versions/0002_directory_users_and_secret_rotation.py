"""directory users (from access tokens) and webhook secret rotation

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_user",
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("locale", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_directory_user")),
    )
    op.create_index("ix_directory_user_org_id", "directory_user", ["org_id"], unique=False)
    # Users who saved preferences were known before the directory existed: keep reaching them.
    op.execute(
        "INSERT INTO directory_user (subject, org_id, roles, email, locale, updated_at) "
        "SELECT subject, org_id, roles, email, NULL, updated_at FROM preference"
    )
    op.add_column("webhook_endpoint", sa.Column("previous_secret_encrypted", sa.Text(), nullable=True))
    op.add_column(
        "webhook_endpoint",
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "webhook_endpoint", sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("webhook_endpoint", "secret_rotated_at")
    op.drop_column("webhook_endpoint", "previous_secret_expires_at")
    op.drop_column("webhook_endpoint", "previous_secret_encrypted")
    op.drop_index("ix_directory_user_org_id", table_name="directory_user")
    op.drop_table("directory_user")
