"""The statements of the event path, run on the asyncpg connection: on their own (a referral step,
two statements and no transaction), or under a session's transaction.

Every referral event passes here, 100 a second at the target load. Through the ORM each statement
cost about a millisecond of CPU (statement building, compilation, greenlet hops), and the consumer
ran ~10 of them per event; on the bare driver they are prepared once per connection and cost a
fraction of that. Round trips count too: on a busy machine each one waits for the scheduler twice.
They write the same tables the models in this service declare.
"""

from __future__ import annotations

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import driver_connection


async def driver(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, inside the session's (already begun) transaction."""
    apg = await driver_connection(session)
    if not apg.is_in_transaction():
        # SQLAlchemy sends BEGIN with its first statement; make sure it has been sent.
        await session.execute(sa.text("SELECT 1"))
    return apg


# A referral step's first statement: the service and organization names its message shows (any may be
# unknown yet), and the referral's furthest status recorded — a late event (lower rank, or older at
# the same rank) moves nothing. $1 service, $2 provider org (or null: the service's), $3 owner org,
# $4 referral, $5 case, $6 status, $7 rank, $8 event time.
REFERRAL_STEP = """
WITH names AS (
    SELECT coalesce($2::uuid, s.organization_id) AS provider_org_id, s.name AS service_name,
           po.name AS provider_name, oo.name AS owner_name
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN replica_service s ON s.id = $1
    LEFT JOIN replica_organization po ON po.id = coalesce($2::uuid, s.organization_id)
    LEFT JOIN replica_organization oo ON oo.id = $3::uuid
), advanced AS (
    INSERT INTO referral_state
        (referral_id, case_id, owner_org_id, provider_org_id, service_id, status, rank, event_time)
    SELECT $4, $5, $3::uuid, names.provider_org_id, $1, $6, $7, $8 FROM names
    ON CONFLICT (referral_id) DO UPDATE
    SET status = excluded.status, rank = excluded.rank, event_time = excluded.event_time
    WHERE referral_state.rank < excluded.rank
       OR (referral_state.rank = excluded.rank AND referral_state.event_time < excluded.event_time)
)
SELECT * FROM names
"""

# One notice to one audience, in one statement, so that on the event path it needs no transaction of
# its own: the consumer's inbox record when $22 names the consumer (then nothing else is written
# unless that record is new; without it, the caller's transaction holds the record), the inbox item
# (its NOTIFY goes out at commit, only for a new row), a webhook delivery per subscribed endpoint of
# the organization (disabled endpoints queue too: their deliveries wait, and go out if an admin
# re-enables in time), and an email delivery per address: the one person ($6 a subject), or the
# organization's users in the role group ($18) and, when enabled ($19), its published contact
# address. Users' saved choices win over their token's locale, which counts only when it names one of
# our languages ($24, as ``messages.language_of``; else $25). Emails are rendered when sent; held ones
# wait for the digest. Returns whether the notice was written.
NOTICE = """
WITH recorded AS (
    INSERT INTO inbox_event (consumer, event_id, event_type)
    SELECT $22, $2, $23 WHERE $22::text IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING 1
), go AS (
    SELECT 1 AS x WHERE $22::text IS NULL OR EXISTS (SELECT 1 FROM recorded)
), new_item AS (
    INSERT INTO inbox_item (id, event_id, kind, org_id, audience, recipient_subject, referral_id,
                            case_reference, service_name, organization_name, status, code, link,
                            created_at)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM go
    ON CONFLICT DO NOTHING
    RETURNING id
), notified AS (
    SELECT count(pg_notify($15, $16)) AS n FROM new_item
), hooks AS (
    INSERT INTO webhook_delivery (id, endpoint_id, event_id, event_type, payload, status, attempts,
                                  next_attempt_at, give_up_at, created_at)
    SELECT gen_random_uuid(), e.id, $2, $17::text, $20::text, 'pending', 0, $14, $21, $14
    FROM go, webhook_endpoint e
    WHERE $17::text IS NOT NULL AND e.org_id = $4 AND $17::text = ANY (e.event_types)
    ON CONFLICT DO NOTHING
), recipients AS (
    SELECT 0 AS rank, u.email AS address,
           lower(split_part(replace(coalesce(p.language, u.locale), '_', '-'), '-', 1)) AS language,
           coalesce(p.daily_digest, false) AS digest,
           coalesce((p.channels -> $3::text ->> 'email')::boolean, true) AS wanted
    FROM directory_user u LEFT JOIN preference p ON p.subject = u.subject
    WHERE u.email IS NOT NULL
      AND CASE WHEN $6 <> '' THEN u.subject = $6 ELSE u.org_id = $4 AND u.roles && $18::text[] END
    UNION ALL
    SELECT 1, o.email, NULL, false, true
    FROM replica_organization o
    WHERE $6 = '' AND $19::boolean AND o.id = $4 AND o.active AND o.email IS NOT NULL
), emails AS (
    INSERT INTO email_delivery (id, dedup_key, kind, address, language, message, status, attempts,
                                next_attempt_at, created_at)
    SELECT DISTINCT ON (r.address)
           gen_random_uuid(), $2, CASE WHEN r.digest THEN 'digest-entry' ELSE 'instant' END, r.address,
           CASE WHEN r.language = ANY ($24::text[]) THEN r.language ELSE $25 END, $26::jsonb,
           CASE WHEN r.digest THEN 'held' ELSE 'pending' END, 0, $14, $14
    FROM go, recipients r
    WHERE r.wanted
    ORDER BY r.address, r.rank
    ON CONFLICT DO NOTHING
)
SELECT EXISTS (SELECT 1 FROM go) AS written, (SELECT n FROM notified) AS notified
"""

# The inbox record alone, for an event that reaches nobody.
RECORD = """
INSERT INTO inbox_event (consumer, event_id, event_type) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING 1
"""
