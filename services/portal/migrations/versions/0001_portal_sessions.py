"""portal sessions and logins in flight

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("org_id", sa.String(36), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("tokens", sa.LargeBinary(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_session")),
    )
    op.create_index(op.f("ix_portal_session_subject"), "portal_session", ["subject"])
    op.create_index(op.f("ix_portal_session_expires_at"), "portal_session", ["expires_at"])
    op.create_table(
        "login_request",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("verifier", sa.LargeBinary(), nullable=False),
        sa.Column("return_to", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_request")),
    )
    op.create_index(op.f("ix_login_request_created_at"), "login_request", ["created_at"])


def downgrade() -> None:
    op.drop_table("login_request")
    op.drop_table("portal_session")
