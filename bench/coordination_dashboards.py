"""Coordination dashboards on 1 000 000 referrals over 10 000 services: p50/p95 per endpoint.

    uv run --frozen python -m bench.coordination_dashboards [--referrals 1000000] [--requests 30]
        [--only LABEL] [--profile] [--no-write]

Starts embedded PostgreSQL and NATS (or uses HAWKARI_TEST_DATABASE_URL / HAWKARI_TEST_NATS_URL) and
the development IdP (a real funder token), migrates a fresh coordination database and loads it
**directly with SQL that mirrors what the event handlers write** (replaying 2.4 million events
through NATS would take most of the run): the directory replica (10 000 services, 300 providers,
40 programmes, 13 taxonomy terms) with ``service_cell``/``programme_service`` built by the
handlers' own SQL (``replica.refresh_service_cells``), then a raw table of one row per referral
event (sent, accepted, declined with reason, completed, expired — about 2.4 million rows for
1 000 000 referrals) aggregated into the tallies exactly as ``tallies.apply_referrals_event``
would (one count per event, keyed by its dimensions), with an hour bin per acceptance, cash
overlaps on 5 % (cash) and 1 % (top-up) of referrals sent/accepted; plus 600 000 cases opened and
needs assessments, and 300 000 follow-ups with bundles of 0-2 programmes and terms.

Then the app runs in this process (consumers off) and is called through ASGI, one request after the
other, per dashboard endpoint. Reported per endpoint: p50/p95 with a warm suppressed snapshot
(a unique ignored parameter defeats the response cache, so every request computes its view; what
the snapshot materialises once — coverage cells, the overlap ranking — is reused, and the first
request's time is reported as ``first_ms``), the same question from the response cache, the cold
first request (which builds the snapshot), and the same answer computed naively from the raw event
rows per request (GROUP BY over raw rows + primary suppression only, so the naive figure is a lower
bound) with the ratio ``naive_over_api`` (naive p50 / API p50). Last, the read model moves on and
requests are timed while the next snapshot is built in a thread (answered from the previous one).
``--profile`` prints a pyinstrument profile of the cold build and of each endpoint's requests.
Writes bench/results/coordination_dashboards.json (unless ``--no-write``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from pyinstrument import Profiler

from deploy.devidp.testing import issuer_of, password_token, running_idp
from services.coordination.app import create_app
from services.coordination.replica import refresh_service_cells
from services.coordination.settings import CoordinationSettings
from shared.db import asyncpg_dsn, create_engine, create_sessionmaker
from shared.migrations import upgrade
from shared.testing import start_test_servers

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "coordination_dashboards.json"
MIGRATIONS = ROOT / "services" / "coordination" / "migrations"
TARGET_P95_MS = 50.0

GOVS = [
    "IQ-AN",
    "IQ-AR",
    "IQ-BA",
    "IQ-BB",
    "IQ-BG",
    "IQ-DA",
    "IQ-DI",
    "IQ-DQ",
    "IQ-HAL",
    "IQ-KA",
    "IQ-KI",
    "IQ-MA",
    "IQ-MU",
    "IQ-NA",
    "IQ-NI",
    "IQ-QA",
    "IQ-SD",
    "IQ-SU",
    "IQ-WA",
]
TERMS = [
    ("cash-grant", "economic"),
    ("business-start-up", "economic"),
    ("job-placement", "economic"),
    ("vocational-training", "economic"),
    ("housing", "social"),
    ("health-care", "social"),
    ("legal-documents", "social"),
    ("education", "social"),
    ("family-tracing", "social"),
    ("psychosocial-counselling", "psychosocial"),
    ("airport-reception", "arrival_reception"),
    ("temporary-accommodation", "arrival_reception"),
    ("information-counselling", "information_counselling"),
]
FUNDER_SETS = [["SE"], ["NO"], ["DK"], ["FI"], ["EU"], ["NO", "SE"], ["DK", "FI"]]
PROVIDERS = 300
PROGRAMMES = 40
SERVICES = 10_000
MONTHS = 12

ENDPOINTS: list[tuple[str, str, dict[str, Any]]] = [
    ("healthz (floor: HTTP only)", "/healthz", {}),
    ("coverage", "/v1/coverage", {}),
    ("coverage: funder + governorate", "/v1/coverage", {"funder": "SE", "governorate": "IQ-AR"}),
    ("coverage: district × dimension", "/v1/coverage", {"level": "district", "group": "dimension"}),
    ("overlap (first page of 50)", "/v1/overlap", {}),
    ("overlap: every overlap (limit 1000)", "/v1/overlap", {"limit": "1000"}),
    ("overlap: cash by governorate", "/v1/overlap/cash", {}),
    ("gaps: declines", "/v1/gaps/declines", {}),
    ("gaps: declines, one quarter", "/v1/gaps/declines", {"from": "2025-04-01", "to": "2025-06-30"}),
    ("gaps: supply", "/v1/gaps/supply", {}),
    ("gaps: needs", "/v1/gaps/needs", {}),
    ("funnel by governorate", "/v1/funnel", {"by": "governorate"}),
    ("funnel by programme", "/v1/funnel", {"by": "programme"}),
    ("funnel by funder", "/v1/funnel", {"by": "funder"}),
    ("funnel by provider", "/v1/funnel", {"by": "provider"}),
    ("funnel by month, forced returns", "/v1/funnel", {"by": "month", "return_type": "forced"}),
    (
        "funnel by governorate, one quarter",
        "/v1/funnel",
        {"by": "governorate", "from": "2025-04-01", "to": "2025-06-30"},
    ),
    ("outcomes by programme", "/v1/outcomes", {"by": "programme"}),
    ("outcomes by bundle", "/v1/outcomes", {"by": "bundle"}),
    ("demographics", "/v1/demographics", {"by": "governorate", "measure": "referrals"}),
    ("timeline", "/v1/timeline", {}),
    ("export: funnel by provider (csv)", "/v1/funnel", {"by": "provider", "format": "csv"}),
    ("export: overlap, every overlap (csv)", "/v1/overlap", {"format": "csv"}),
]


def uid(kind: str, n: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:bench:{kind}:{n}"))


async def load_directory(conn: asyncpg.Connection) -> None:
    orgs = [(uid("org", str(i)), 1, True, "ngo", f"Provider {i}", None) for i in range(PROVIDERS)]
    orgs += [
        (uid("org", f"mrc{i}"), 1, True, "migrant_resource_centre", f"MRC {g}", None)
        for i, g in enumerate(("IQ-AR", "IQ-SU", "IQ-BG"))
    ]
    await conn.executemany("INSERT INTO organization VALUES ($1::uuid, $2, $3, $4, $5, $6)", orgs)
    await conn.executemany(
        "INSERT INTO location (id, version, active, organization_id, location_type, governorate_code) "
        "VALUES ($1::uuid, 1, true, $2::uuid, 'physical', $3)",
        [(uid("loc", g), uid("org", f"mrc{i}"), g) for i, g in enumerate(("IQ-AR", "IQ-SU", "IQ-BG"))],
    )
    await conn.executemany(
        "INSERT INTO taxonomy_term VALUES ($1::uuid, 1, true, $2, $3, $4)",
        [(uid("term", c), c, d, c.replace("-", " ")) for c, d in TERMS],
    )
    # Services: provider i % 300, one or two terms, one or two governorates (clustered, as in life).
    await conn.execute(
        """
        INSERT INTO service (id, version, active, organization_id, name, status, accepts_referrals,
                             open_places,
                             taxonomy_term_codes, location_ids, service_areas)
        SELECT md5('svc' || s)::uuid, 1, true, md5('org' || s)::uuid, 'Service ' || s, 'active', true,
               CASE WHEN s % 3 = 0 THEN NULL ELSE s % 17 END, '{}', '{}', '[]'::jsonb
        FROM generate_series(1, $1::int) s
        """,
        SERVICES,
    )
    terms = [c for c, _ in TERMS]
    await conn.execute(
        """
        UPDATE service s SET
          organization_id = (SELECT id FROM organization WHERE kind = 'ngo'
                             ORDER BY name OFFSET (n % $1) LIMIT 1),
          taxonomy_term_codes = CASE WHEN n % 4 = 0
              THEN ARRAY[($2::text[])[1 + n % 13], ($2::text[])[1 + (n / 13) % 13]]
              ELSE ARRAY[($2::text[])[1 + n % 13]] END,
          service_areas = CASE WHEN n % 5 = 0
              THEN jsonb_build_array(jsonb_build_object('governorate_code', ($3::text[])[1 + n % 19]),
                                     jsonb_build_object('governorate_code', ($3::text[])[1 + (n / 19) % 19]))
              ELSE jsonb_build_array(jsonb_build_object('governorate_code', ($3::text[])[1 + n % 19])) END
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM service) x WHERE x.id = s.id
        """,
        PROVIDERS,
        terms,
        GOVS,
    )
    programmes = []
    for p in range(PROGRAMMES):
        start_month = 1 + p % 12
        programmes.append(
            (
                uid("prog", str(p)),
                f"Programme {p}",
                FUNDER_SETS[p % len(FUNDER_SETS)],
                "all_eu_returnees" if p % 3 else "funder_country_returnees",
                ["voluntary_assisted", "forced"] if p % 2 else ["voluntary_assisted", "self_initiated"],
                datetime(2024 + p % 2, start_month, 1).date(),
                None if p % 4 == 0 else datetime(2026 + p % 2, start_month, 28).date(),
                p,
            )
        )
    await conn.executemany(
        """
        INSERT INTO programme (id, version, active, name, funder_countries, funding_instruments,
                               thematic_areas,
                               target_group, eligible_return_types, starts_on, ends_on,
                               implementing_organization_ids, service_ids)
        SELECT $1::uuid, 1, true, $2, $3, '{oda}', '{return_reintegration}', $4, $5, $6, $7,
               CASE WHEN $8 < 3 THEN ARRAY[(SELECT id FROM organization WHERE kind = 'migrant_resource_centre'
                                             ORDER BY name OFFSET $8 LIMIT 1)] ELSE '{}' END,
               ARRAY(SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) n FROM service) x
                     WHERE n % 40 = $8 OR n % 40 = ($8 + 7) % 40)
        """,
        programmes,
    )
    await conn.execute(
        "INSERT INTO programme_service SELECT p.id, unnest(p.service_ids) FROM programme p "
        "ON CONFLICT DO NOTHING"
    )


async def load_events(conn: asyncpg.Connection, referrals: int) -> int:
    """One raw row per referral event, then the tallies exactly as the handlers would write them."""
    await conn.execute(
        """
        CREATE UNLOGGED TABLE bench_raw_event AS
        WITH r AS (
          SELECT i, hashint8(i) AS h, hashint8(i * 7919) AS h2 FROM generate_series(1, $1::bigint) i
        ), d AS (
          SELECT i, h, h2,
            make_date(2025, 1 + abs(h % 12)::int, 1) AS month,
            ($2::text[])[1 + abs(h % 19)::int] AS governorate,
            ($3::text[])[1 + abs((h / 19) % 13)::int] AS term,
            abs((h / 247) % 40)::int AS p,
            md5('org' || abs((h / 9880) % $4))::text AS provider_md5,
            (ARRAY['voluntary_assisted','forced','self_initiated','return_migration_with_permit'])
              [1 + abs((h2 / 7) % 4)::int] AS return_type,
            (ARRAY['female','male','male','undisclosed'])[1 + abs((h2 / 29) % 4)::int] AS gender,
            (ARRAY['0-17','18-24','25-34','35-49','50-64','65+'])[1 + abs((h2 / 113) % 6)::int] AS age_band,
            abs(h2 % 100)::int AS fate,
            abs((h2 / 7919) % 1000)::int AS h3
          FROM r
        )
        SELECT d.month, d.governorate, d.term, pr.id::text AS programme,
               array_to_string(pr.funder_countries, '+') AS funder,
               o.id::text AS provider, d.return_type, d.gender, d.age_band, s.stage, s.reason, d.h3
        FROM d
        JOIN LATERAL (SELECT id, funder_countries FROM programme ORDER BY name OFFSET d.p LIMIT 1) pr ON true
        JOIN LATERAL (SELECT id FROM organization WHERE kind = 'ngo' ORDER BY name
                      OFFSET abs((d.h / 9880) % $4) LIMIT 1) o ON true
        CROSS JOIN LATERAL (VALUES
            ('sent', ''),
            (CASE WHEN d.fate < 70 THEN 'accepted' WHEN d.fate < 90 THEN 'declined' ELSE 'expired' END,
             CASE WHEN d.fate BETWEEN 70 AND 89 THEN
                  (ARRAY['no_capacity','not_eligible','out_of_area','could_not_contact','duplicate','other'])
                  [1 + (d.fate % 6)] ELSE '' END),
            (CASE WHEN d.fate < 42 THEN 'completed' END, 'delivered')
        ) s(stage, reason)
        WHERE s.stage IS NOT NULL
        """,
        referrals,
        GOVS,
        [c for c, _ in TERMS],
        PROVIDERS,
    )
    await conn.execute(
        """
        INSERT INTO referral_tally
        SELECT month, governorate, term, programme, funder, provider, return_type, stage, reason, count(*)
        FROM bench_raw_event GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
        """
    )
    await conn.execute(
        """
        INSERT INTO people_tally
        SELECT month, governorate, programme, funder, return_type, gender, age_band, 'sent', count(*)
        FROM bench_raw_event WHERE stage = 'sent' GROUP BY 1, 2, 3, 4, 5, 6, 7
        """
    )
    await conn.execute(
        """
        INSERT INTO people_tally
        SELECT make_date(2025, 1 + abs(h % 12)::int, 1), ($2::text[])[1 + abs((h / 12) % 19)::int], '', '',
               (ARRAY['voluntary_assisted','forced','self_initiated','return_migration_with_permit'])
                 [1 + abs((h / 300) % 4)::int],
               (ARRAY['female','male','male','undisclosed'])[1 + abs((h / 1200) % 4)::int],
               (ARRAY['0-17','18-24','25-34','35-49','50-64','65+'])[1 + abs((h / 4800) % 6)::int],
               'case_opened', count(*)
        FROM (SELECT hashint8(i * 31) h FROM generate_series(1, $1::bigint) i) c
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        """,
        referrals * 6 // 10,
        GOVS,
    )
    # Time to accept: an hour bin per accepted referral (skewed to the first days).
    await conn.execute(
        """
        INSERT INTO accept_time_tally
        SELECT month, governorate, programme, funder, provider, return_type,
               least(16, floor(ln(1 + h3 / 8.0) * 2.6))::int, count(*)
        FROM bench_raw_event WHERE stage = 'accepted' GROUP BY 1, 2, 3, 4, 5, 6, 7
        """
    )
    # Cash overlaps: 5 % of referrals sent/accepted overlap in 'cash', 1 % in 'top_up'.
    await conn.execute(
        """
        INSERT INTO cash_overlap_tally
        SELECT month, governorate, programme, funder, k.kind, stage, count(*)
        FROM bench_raw_event CROSS JOIN LATERAL (VALUES ('cash'), ('top_up')) k(kind)
        WHERE stage IN ('sent', 'accepted')
          AND ((k.kind = 'cash' AND h3 % 20 = 0) OR (k.kind = 'top_up' AND h3 % 100 = 1))
        GROUP BY 1, 2, 3, 4, 5, 6
        """
    )
    # Follow-ups (30 % of referrals' worth): 0, 1 or 2 programmes and terms in the case's bundle.
    await conn.execute(
        """
        CREATE UNLOGGED TABLE bench_followup AS
        SELECT make_date(2025, 1 + abs(h % 12)::int, 1) AS month,
               ($2::text[])[1 + abs((h / 12) % 19)::int] AS governorate,
               (ARRAY['voluntary_assisted','forced'])[1 + abs((h / 9120) % 2)::int] AS return_type,
               (ARRAY['baseline','month_3','month_6','month_12'])[1 + abs((h / 18240) % 4)::int] AS timepoint,
               abs((h / 7) % 3)::int AS n, ($3::text[])[1 + abs((h / 228) % 40)::int] AS p1,
               ($3::text[])[1 + abs((h / 31) % 40)::int] AS p2,
               ($4::text[])[1 + abs((h / 11) % 13)::int] AS t1,
               ($4::text[])[1 + abs((h / 17) % 13)::int] AS t2,
               abs(h % 100) / 100.0 AS economic, abs(h % 77) / 77.0 AS social
        FROM (SELECT hashint8(i * 131) h FROM generate_series(1, $1::bigint) i) c
        """,
        referrals * 3 // 10,
        GOVS,
        [uid("prog", str(p)) for p in range(PROGRAMMES)],
        [c for c, _ in TERMS],
    )
    await conn.execute(
        """
        INSERT INTO followup_tally (month, governorate, programme, return_type, timepoint, bundle, count,
                                    economic_n, economic_sum, social_n, social_sum, psychosocial_n,
                                    psychosocial_sum)
        SELECT month, governorate, '', return_type, timepoint,
               CASE n WHEN 0 THEN '' WHEN 1 THEN t1
                      ELSE array_to_string(
                          ARRAY(SELECT DISTINCT x FROM unnest(ARRAY[t1, t2]) x ORDER BY 1), '+')
               END,
               count(*), count(*), sum(economic), count(*), sum(social), 0, 0
        FROM bench_followup GROUP BY 1, 2, 3, 4, 5, 6
        """
    )
    await conn.execute(
        """
        INSERT INTO followup_programme_tally
        SELECT month, p, timepoint, count(*), count(*), sum(economic), count(*), sum(social), 0, 0
        FROM bench_followup CROSS JOIN LATERAL unnest(
            CASE n WHEN 0 THEN ARRAY[''] WHEN 1 THEN ARRAY[p1]
                   ELSE ARRAY(SELECT DISTINCT x FROM unnest(ARRAY[p1, p2]) x) END) p
        GROUP BY 1, 2, 3
        """
    )
    # Needs assessments (60 % of referrals' worth): a need in a dimension 3 times in 4; unmet 1 in 5.
    await conn.execute(
        """
        INSERT INTO needs_tally
        SELECT month, governorate, return_type, d.dim, s.stage, count(*)
        FROM (SELECT make_date(2025, 1 + abs(h % 12)::int, 1) AS month,
                     ($2::text[])[1 + abs((h / 12) % 19)::int] AS governorate,
                     (ARRAY['voluntary_assisted','forced','self_initiated','return_migration_with_permit'])
                       [1 + abs((h / 300) % 4)::int] AS return_type, h
              FROM (SELECT hashint8(i * 97) h FROM generate_series(1, $1::bigint) i) c) x
        CROSS JOIN LATERAL (VALUES ('economic', 0), ('social', 1), ('psychosocial', 2)) d(dim, n)
        CROSS JOIN LATERAL (VALUES ('need_assessed'), ('need_unmet')) s(stage)
        WHERE abs((h / (7 + d.n)) % 4) >= 1 AND (s.stage = 'need_assessed' OR abs((h / (31 + d.n)) % 5) = 0)
        GROUP BY 1, 2, 3, 4, 5
        """,
        referrals * 6 // 10,
        GOVS,
    )
    await conn.execute("UPDATE read_model_state SET generation = generation + 1")
    await conn.execute("ANALYZE")
    return int(await conn.fetchval("SELECT count(*) FROM bench_raw_event"))


async def naive(conn: asyncpg.Connection, label: str, k: int = 5) -> bool:
    """The same answer straight from raw rows per request (primary suppression only). False where
    the bench keeps no raw rows for it (needs assessments are generated straight into the tally)."""
    if label.startswith("gaps: needs"):
        return False
    if label.startswith("overlap: cash"):
        await conn.fetch(
            """
            SELECT governorate, k.kind, stage, count(*) FROM bench_raw_event
            CROSS JOIN LATERAL (VALUES ('cash'), ('top_up')) k(kind)
            WHERE stage IN ('sent', 'accepted')
              AND ((k.kind = 'cash' AND h3 % 20 = 0) OR (k.kind = 'top_up' AND h3 % 100 = 1))
            GROUP BY 1, 2, 3
            """
        )
        return True
    if label.startswith("outcomes by bundle"):
        await conn.fetch(
            "SELECT n, least(t1, t2), greatest(t1, t2), timepoint, count(*), avg(economic), avg(social) "
            "FROM bench_followup GROUP BY 1, 2, 3, 4"
        )
        return True
    if label.startswith("coverage"):
        await conn.fetch(
            """
            SELECT a->>'governorate_code', t, count(DISTINCT s.id), count(DISTINCT s.organization_id),
                   sum(open_places), array_agg(DISTINCT p.id)
            FROM service s CROSS JOIN LATERAL jsonb_array_elements(s.service_areas) a
            CROSS JOIN LATERAL unnest(s.taxonomy_term_codes) t
            LEFT JOIN programme p ON s.id = ANY(p.service_ids)
            WHERE s.active GROUP BY 1, 2
            """
        )
        return True
    if label.startswith("overlap"):
        await conn.fetch(
            """
            WITH cells AS (
              SELECT a->>'governorate_code' AS gov, t, p.id::text AS pid, p.funder_countries,
                     count(DISTINCT s.id) AS n
              FROM service s CROSS JOIN LATERAL jsonb_array_elements(s.service_areas) a
              CROSS JOIN LATERAL unnest(s.taxonomy_term_codes) t
              JOIN programme p ON s.id = ANY(p.service_ids)
              GROUP BY 1, 2, 3, 4
            ), sent AS (
              SELECT governorate, term, programme, count(*) AS n FROM bench_raw_event WHERE stage = 'sent'
              GROUP BY 1, 2, 3
            )
            SELECT c.*, sent.n FROM cells c
            LEFT JOIN sent ON sent.governorate = c.gov AND sent.term = c.t AND sent.programme = c.pid
            """
        )
        return True
    group = {
        "funnel by programme": "programme",
        "funnel by funder": "funder",
        "funnel by provider": "provider",
        "funnel by month, forced returns": "month",
        "demographics": "governorate, gender, age_band",
        "gaps: declines": "governorate, term",
        "outcomes by programme": "programme",
    }.get(label, "governorate")
    where = "WHERE return_type = 'forced'" if "forced" in label else ""
    rows = await conn.fetch(
        f"SELECT {group}, stage, reason, count(*) FROM bench_raw_event {where} "  # noqa: S608
        f"GROUP BY {group}, stage, reason"
    )
    _ = [None if 0 < r[-1] < k else r[-1] for r in rows]
    return True


async def under_rebuild(http: httpx.AsyncClient, conn: asyncpg.Connection, app: Any) -> dict[str, Any]:
    """The read model moves on (its generation grows): the next request is answered from the
    previous snapshot and starts a build in a thread; requests made meanwhile are timed."""
    cache = app.state.snapshots
    await conn.execute("UPDATE read_model_state SET generation = generation + 1")
    cache.max_age_s = 0
    builds = cache.builds
    lat = []
    # One request every 50 ms until the build is done (at most 3 000).
    while cache.builds == builds and len(lat) < 3000:
        t = time.monotonic()
        r = await http.get("/v1/funnel", params={"by": "governorate", "_rebuild": str(len(lat))})
        lat.append((time.monotonic() - t) * 1000)
        assert r.status_code == 200
        await asyncio.sleep(0.05)
    await cache.refreshed()
    cache.max_age_s = 3600
    return {
        "endpoint": "funnel by governorate",
        "requests_during_build": len(lat),
        "p50_ms": round(statistics.median(lat), 2),
        "p95_ms": round(pct(lat, 0.95), 2),
        "max_ms": round(max(lat), 2),
        "build_s": round(cache.last_build_s, 1),
        "finished_during_requests": cache.builds > builds,
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(
    referrals: int, requests: int, naive_runs: int = 3, only: str | None = None, profile: bool = False
) -> dict[str, Any]:
    with start_test_servers() as servers, running_idp(Path(__import__("tempfile").mkdtemp())) as idp:
        url = await servers.create_database("bench_coord")
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        conn = await asyncpg.connect(asyncpg_dsn(url))
        t0 = time.monotonic()
        await load_directory(conn)
        print(f"directory {time.monotonic() - t0:.0f}s", flush=True)
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as session, session.begin():
            ids = [r[0] for r in (await conn.fetch("SELECT id FROM service"))]
            await refresh_service_cells(session, ids)
        await engine.dispose()
        print(f"service cells {time.monotonic() - t0:.0f}s", flush=True)
        events = await load_events(conn, referrals)
        load_s = time.monotonic() - t0
        counts = {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # noqa: S608
            for t in (
                "service",
                "service_cell",
                "referral_tally",
                "people_tally",
                "followup_tally",
                "followup_programme_tally",
                "accept_time_tally",
                "cash_overlap_tally",
                "needs_tally",
            )
        }
        print(f"loaded {events} events in {load_s:.0f}s: {counts}", flush=True)
        token = await password_token(idp, "funder.se")
        settings = CoordinationSettings(
            environment="test",
            database_url=url,
            nats_url=servers.nats_url,
            oidc_issuer=issuer_of(idp),
            run_workers=False,
            snapshot_max_age_s=3600,
        )
        app = create_app(settings)
        results: dict[str, Any] = {}
        # In-process through ASGI: the full app (token check, snapshot, view, JSON) without a socket.
        # Through uvicorn in this same event loop every request paid a ~44 ms floor on this machine
        # (even /healthz), a client/server-in-one-loop artifact, not the service's cost.
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://coordination.bench",
                timeout=900,
                headers={"Authorization": f"Bearer {token}"},
            ) as http:
                profiler = Profiler(async_mode="enabled") if profile else None
                if profiler:
                    profiler.start()
                t = time.monotonic()
                r = await http.get("/v1/funnel")
                r.raise_for_status()
                cold_ms = (time.monotonic() - t) * 1000
                if profiler:
                    profiler.stop()
                    print(profiler.output_text(unicode=False, color=False, show_all=False), flush=True)
                snapshot = (await app.state.snapshots.get()).published
                print(
                    f"cold snapshot {cold_ms:.0f} ms; {len(snapshot.values)} cells, "
                    f"{len(snapshot.suppressed)} suppressed",
                    flush=True,
                )
                for label, path, params in ENDPOINTS:
                    if only and only not in label:
                        continue
                    # A fresh token per endpoint: a run on a busy machine outlives one.
                    http.headers["Authorization"] = f"Bearer {await password_token(idp, 'funder.se')}"
                    # Every request computes its view: a unique (ignored) parameter defeats the
                    # snapshot's response cache. Then the same question again, from that cache.
                    lat = []
                    profiler = Profiler(async_mode="enabled") if profile else None
                    if profiler:
                        profiler.start()
                    for i in range(requests):
                        t = time.monotonic()
                        r = await http.get(path, params={**params, "_bench": str(i)})
                        lat.append((time.monotonic() - t) * 1000)
                        assert r.status_code == 200, r.text
                    if profiler:
                        profiler.stop()
                        print(profiler.output_text(unicode=False, color=False, show_all=False), flush=True)
                    cached = []
                    for _ in range(requests):
                        t = time.monotonic()
                        await http.get(path, params=params)
                        cached.append((time.monotonic() - t) * 1000)
                    naive_lat = []
                    for _ in range(0 if path == "/healthz" else naive_runs):
                        t = time.monotonic()
                        if not await naive(conn, label):
                            break
                        naive_lat.append((time.monotonic() - t) * 1000)
                    p50, p95 = statistics.median(lat), pct(lat, 0.95)
                    results[label] = {
                        "p50_ms": round(p50, 2),
                        "p95_ms": round(p95, 2),
                        "meets_target": p95 <= TARGET_P95_MS,
                        # The first request of the endpoint after the snapshot was built (renders
                        # and keeps per-snapshot rows, e.g. coverage cells).
                        "first_ms": round(lat[0], 2),
                        "cached_p50_ms": round(statistics.median(cached), 2),
                        "cached_p95_ms": round(pct(cached, 0.95), 2),
                        "naive_p50_ms": round(statistics.median(naive_lat), 1) if naive_lat else None,
                        "naive_over_api": round(statistics.median(naive_lat) / p50, 1) if naive_lat else None,
                        "bytes": len(r.content),
                    }
                    print(f"{label:40s} {results[label]}", flush=True)
                http.headers["Authorization"] = f"Bearer {await password_token(idp, 'funder.se')}"
                rebuild = await under_rebuild(http, conn, app)
                print(f"under a background rebuild: {rebuild}", flush=True)
        await conn.close()
        return {
            "benchmark": "coordination_dashboards",
            "when": datetime.now(UTC).isoformat(),
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                # The box is shared: how busy it was when the run ended (1, 5, 15 min; 2 cores).
                "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
            },
            "load": {
                "method": "SQL mirroring the handlers (directory replica + tallies), not replayed via NATS",
                "referrals": referrals,
                "events": events,
                "services": SERVICES,
                "providers": PROVIDERS,
                "programmes": PROGRAMMES,
                "months": MONTHS,
                "rows": counts,
                "seconds": round(load_s, 1),
            },
            "snapshot": {
                "cold_first_request_ms": round(cold_ms, 1),
                "cells": len(snapshot.values),
                "suppressed": len(snapshot.suppressed),
                "max_age_s": settings.snapshot_max_age_s,
            },
            "during_background_rebuild": rebuild,
            "target_p95_ms": TARGET_P95_MS,
            "requests_per_endpoint": requests,
            "endpoints": results,
            "naive": "GROUP BY over the raw event rows (and jsonb/array unnesting for the directory) per "
            "request, primary suppression only (a lower bound for the naive cost)",
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--naive-runs", type=int, default=2)
    parser.add_argument("--only", help="run only endpoints whose label contains this")
    parser.add_argument(
        "--profile", action="store_true", help="pyinstrument: the cold build and each endpoint"
    )
    parser.add_argument("--no-write", action="store_true", help="leave bench/results alone (trial runs)")
    args = parser.parse_args()
    out = asyncio.run(run(args.referrals, args.requests, args.naive_runs, args.only, args.profile))
    if args.no_write:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
