"""audit entries linked into the chain at COMMIT by a deferred trigger

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 02:20:00

Before, the service took the chain lock, read the last entry and inserted the linked one in three
round trips before COMMIT; every writer of the service waited for them, and under load they took as
long as the event loop did to come back to the transaction. Now a unit of work inserts its entries
into ``audit_pending`` (with a digest of their content) and a deferred constraint trigger links them
inside COMMIT, server-side. Entries written before keep hash format 1 and still verify.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "HWKAUD": one chain per database, the advisory lock the service took itself before this revision.
CHAIN_LOCK = 0x4857_4B41_5544

LINK = f"""
CREATE FUNCTION audit_link_pending() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    -- Held until the transaction ends: chain order is commit order.
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
    SELECT seq, hash INTO last_seq, last_hash FROM audit_entry ORDER BY seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0) + 1;
    last_hash := coalesce(last_hash, repeat('0', 64));
    INSERT INTO audit_entry (seq, at, actor_subject, actor_username, actor_org_id, action, case_id,
                             referral_id, categories, purpose, detail, prev_hash, hash, chain_format)
    VALUES (last_seq, NEW.at, NEW.actor_subject, NEW.actor_username, NEW.actor_org_id, NEW.action,
            NEW.case_id, NEW.referral_id, NEW.categories, NEW.purpose, NEW.detail, last_hash,
            encode(sha256(convert_to(last_hash || E'\\n' || last_seq || E'\\n' || NEW.content_digest,
                                     'UTF8')), 'hex'),
            2);
    DELETE FROM audit_pending WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""  # noqa: S608 -- a constant


def upgrade() -> None:
    op.add_column(
        "audit_entry", sa.Column("chain_format", sa.SmallInteger(), server_default="1", nullable=False)
    )
    op.alter_column("audit_entry", "chain_format", server_default="2")
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_subject", sa.Text(), nullable=False),
        sa.Column("actor_username", sa.Text(), nullable=False),
        sa.Column("actor_org_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("content_digest", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )
    op.execute(LINK)
    op.execute(
        "CREATE CONSTRAINT TRIGGER audit_link_at_commit AFTER INSERT ON audit_pending "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_link_pending()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_link_at_commit ON audit_pending")
    op.execute("DROP FUNCTION IF EXISTS audit_link_pending()")
    op.drop_table("audit_pending")
    # Revision 0002's code cannot verify format 2; refuse rather than leave a chain that looks broken.
    if op.get_bind().execute(sa.text("SELECT 1 FROM audit_entry WHERE chain_format = 2 LIMIT 1")).first():
        raise RuntimeError("audit entries of chain format 2 exist: revision 0002 cannot verify them")
    op.drop_column("audit_entry", "chain_format")
