"""The statements of the event path, run on the asyncpg connection under the session's transaction.

Every referral event passes here, 100 a second at the target load. Through the ORM each statement
cost about a millisecond of CPU (statement building, compilation, greenlet hops), and the consumer
ran ~10 of them per event; on the bare driver they are prepared once per connection and cost a
fraction of that. They write the same tables the models in this service declare.
"""

from __future__ import annotations

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession


async def driver(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, inside the session's (already begun) transaction."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    apg: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    if not apg.is_in_transaction():
        # SQLAlchemy sends BEGIN with its first statement; make sure it has been sent.
        await session.execute(sa.text("SELECT 1"))
    return apg


# The service and organization names a message shows (one round trip; any may be unknown yet).
NAMES = """
SELECT s.organization_id AS service_org_id, s.name AS service_name,
       po.name AS provider_name, oo.name AS owner_name
FROM (VALUES (1)) AS one (x)
LEFT JOIN replica_service s ON s.id = $1
LEFT JOIN replica_organization po ON po.id = coalesce($2::uuid, s.organization_id)
LEFT JOIN replica_organization oo ON oo.id = $3::uuid
"""

# A referral's furthest status: a late event (lower rank, or older at the same rank) moves nothing.
ADVANCE = """
INSERT INTO referral_state
    (referral_id, case_id, owner_org_id, provider_org_id, service_id, status, rank, event_time)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (referral_id) DO UPDATE
SET status = excluded.status, rank = excluded.rank, event_time = excluded.event_time
WHERE referral_state.rank < excluded.rank
   OR (referral_state.rank = excluded.rank AND referral_state.event_time < excluded.event_time)
"""

# The inbox item and its live notice in one round trip; NOTIFY goes out at commit, only for a new row.
INBOX_ITEM = """
WITH new_item AS (
    INSERT INTO inbox_item (id, event_id, kind, org_id, audience, recipient_subject, referral_id,
                            case_reference, service_name, organization_name, status, code, link,
                            created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT pg_notify($15, $16) FROM new_item
"""

# Email recipients of an organization's role group: known users (with saved choices, if any) and,
# when enabled, the organization's published contact address.
GROUP_EMAILS = """
SELECT u.email AS address, coalesce(p.language, u.locale) AS language,
       coalesce(p.daily_digest, false) AS digest,
       coalesce((p.channels -> $3::text ->> 'email')::boolean, true) AS wanted
FROM directory_user u LEFT JOIN preference p ON p.subject = u.subject
WHERE u.org_id = $1 AND u.roles && $2::text[] AND u.email IS NOT NULL
UNION ALL
SELECT o.email, NULL, false, true
FROM replica_organization o
WHERE $4::boolean AND o.id = $1 AND o.active AND o.email IS NOT NULL
"""

# The email of one person, by IdP subject.
PERSON_EMAIL = """
SELECT u.email AS address, coalesce(p.language, u.locale) AS language,
       coalesce(p.daily_digest, false) AS digest,
       coalesce((p.channels -> $2::text ->> 'email')::boolean, true) AS wanted
FROM directory_user u LEFT JOIN preference p ON p.subject = u.subject
WHERE u.subject = $1 AND u.email IS NOT NULL
"""

EMAIL = """
INSERT INTO email_delivery (id, dedup_key, kind, address, language, subject_line, text_body,
                            html_body, message, status, attempts, next_attempt_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $11)
ON CONFLICT DO NOTHING
"""

# One delivery per subscribed endpoint of the organization. Disabled endpoints queue too: their
# deliveries wait, and go out if an admin re-enables in time.
WEBHOOKS = """
INSERT INTO webhook_delivery (id, endpoint_id, event_id, event_type, payload, status, attempts,
                              next_attempt_at, give_up_at, created_at)
SELECT gen_random_uuid(), e.id, $2, $3, $4, 'pending', 0, $5, $6, $5
FROM webhook_endpoint e
WHERE e.org_id = $1 AND $3 = ANY (e.event_types)
ON CONFLICT DO NOTHING
"""
