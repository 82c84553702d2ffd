"""Directory search on 10 000 services: p50/p95 through the HTTP API (target p95 ≤ 30 ms).

    uv run --frozen python -m bench.registry_search [--services 10000] [--requests 2000] [--in-process]

Starts embedded PostgreSQL and NATS (or uses HAWKARI_TEST_DATABASE_URL / HAWKARI_TEST_NATS_URL),
migrates a fresh registry database, seeds the demo directory and loads the synthetic one
(services/registry/synthetic.py), starts the development IdP for a real counsellor token, then runs
the registry under uvicorn (a separate process, real HTTP on 127.0.0.1, outbox relay off) — or in
this process through ASGI with ``--in-process`` — and sends a realistic mix of searches one after
the other: filters only, English, Arabic and Sorani words (with the spellings people type), words
and filters together, deep pages and other orders. Each latency is the full request as the client
sees it (token check, query, JSON). Writes bench/results/registry_search.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from deploy.devidp.testing import issuer_of, running_idp
from shared.db import asyncpg_dsn
from shared.migrations import upgrade
from shared.processes import free_port, wait_for_port
from shared.testing import start_test_servers

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "registry_search.json"
MIGRATIONS = ROOT / "services" / "registry" / "migrations"
TARGET_P95_MS = 30.0

# What counsellors ask: (label, query parameters).
MIX: list[tuple[str, dict[str, Any]]] = [
    ("browse: first page", {}),
    ("browse: page 20", {"page": 20}),
    ("filter: governorate", {"governorate": "IQ-AR"}),
    ("filter: Kurdistan Region + open places", {"governorate": "IQ-KR", "has_capacity": True}),
    ("filter: district", {"district": "IQ-DA-ZAK"}),
    ("filter: taxonomy term + governorate", {"taxonomy_term": "vocational-training", "governorate": "IQ-BG"}),
    (
        "filter: dimension + language + referrals",
        {"dimension": "psychosocial", "language": "ckb", "accepts_referrals": True},
    ),
    ("filter: funder + organization kind", {"funder": "SE", "organization_kind": "ngo"}),
    ("text en: one word", {"q": "psychosocial"}),
    ("text en: two words", {"q": "vocational training"}),
    ("text en: word + governorate", {"q": "housing", "governorate": "IQ-NI"}),
    ("text ar: two words", {"q": "التدريب المهني"}),
    ("text ar: variant spelling", {"q": "الدعم النفسى"}),
    ("text ar: hamza typed bare", {"q": "الاستقبال في المطار"}),
    ("text ckb: Sorani letters", {"q": "ڕاوێژکاریی دەروونی"}),
    ("text ckb: Arabic keyboard", {"q": "راهيناني پيشەيي"}),
    ("text ckb: place name", {"q": "هەولێر"}),
    ("text + filters + sort", {"q": "business", "dimension": "economic", "sort": "open_places"}),
    ("text: short word", {"q": "id"}),
    ("sort: recently updated, stale only", {"sort": "recently_updated", "stale": True}),
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": pct(values, 0.50),
        "p95_ms": pct(values, 0.95),
        "p99_ms": pct(values, 0.99),
        "mean_ms": round(statistics.fmean(values), 2),
        "max_ms": round(max(values), 2),
    }


async def prepare(database_url: str, n_services: int) -> dict[str, Any]:
    from services.registry.seed import seed
    from services.registry.synthetic import load

    started = time.monotonic()
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    await seed(database_url)
    await load(database_url, n_services)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        services = await conn.fetchval("SELECT count(*) FROM service_search WHERE active")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return {
        "services": services,
        "database_size": size,
        "postgres": version,
        "load_s": round(time.monotonic() - started, 1),
    }


def token(idp: str) -> str:
    r = httpx.post(
        f"{issuer_of(idp)}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "hawkari-cli",
            "username": "counsellor.erbil",
            "password": "hawkari-demo",
        },
        timeout=10,
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def _env(database_url: str, nats_url: str, idp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWKARI_")}
    env.update(
        HAWKARI_REGISTRY_ENVIRONMENT="test",
        HAWKARI_REGISTRY_DATABASE_URL=database_url,
        HAWKARI_REGISTRY_NATS_URL=nats_url,
        HAWKARI_REGISTRY_OIDC_ISSUER=issuer_of(idp),
        HAWKARI_REGISTRY_RUN_WORKERS="false",
        HAWKARI_REGISTRY_LOG_LEVEL="WARNING",
        # One client searching as fast as it can is what the per-client limit refuses; this
        # measures the query path, not the limiter.
        HAWKARI_REGISTRY_SEARCH_RATE_PER_MINUTE="0",
    )
    return env


@asynccontextmanager
async def client(
    in_process: bool, database_url: str, nats_url: str, idp: str
) -> AsyncIterator[httpx.AsyncClient]:
    if in_process:
        from asgi_lifespan import LifespanManager

        from services.registry.app import create_app
        from services.registry.settings import RegistrySettings

        settings = RegistrySettings(
            environment="test",
            database_url=database_url,
            nats_url=nats_url,
            oidc_issuer=issuer_of(idp),
            run_workers=False,
            log_level="WARNING",
            search_rate_per_minute=0,  # as in _env: measure the query path, not the limiter
        )
        app = create_app(settings)
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://registry.bench"
            ) as http,
        ):
            yield http
        return
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "services.registry.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=_env(database_url, nats_url, idp),
    )
    try:
        if not wait_for_port(port, 120, proc):
            raise RuntimeError("the registry did not start under uvicorn")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield http
    finally:
        proc.terminate()
        proc.wait(10)


async def measure(
    http: httpx.AsyncClient, bearer: str, requests: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    headers = {"Authorization": f"Bearer {bearer}"}
    hits: dict[str, int] = {}
    for label, params in MIX * 5:  # warm-up: plans, caches, connection pool
        r = await http.get("/v1/services", params=params, headers=headers)
        r.raise_for_status()
        hits[label] = r.json()["total"]
    latencies: dict[str, list[float]] = {label: [] for label, _ in MIX}
    for i in range(requests):
        label, params = MIX[i % len(MIX)]
        started = time.perf_counter()
        r = await http.get("/v1/services", params=params, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            raise RuntimeError(f"{label}: {r.status_code} {r.text[:200]}")
        latencies[label].append(elapsed)
    return latencies, hits


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with start_test_servers() as servers, tempfile.TemporaryDirectory(prefix="hawkari-bench-") as tmp:
        database_url = await servers.create_database(prefix="bench_registry")
        data = await prepare(database_url, args.services)
        with running_idp(Path(tmp), access_token_lifetime=3600) as idp:
            bearer = await asyncio.to_thread(token, idp)
            async with client(args.in_process, database_url, servers.nats_url, idp) as http:
                latencies, hits = await measure(http, bearer, args.requests)
    everything = [v for values in latencies.values() for v in values]
    overall = summary(everything)
    return {
        "benchmark": "registry_search",
        "target": {"p95_ms": TARGET_P95_MS},
        "met": overall["p95_ms"] <= TARGET_P95_MS,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "in-process ASGI" if args.in_process else "uvicorn, HTTP on 127.0.0.1",
        "requests": args.requests,
        "concurrency": 1,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "data": data,
        "overall": overall,
        "by_query": {
            label: {**summary(values), "matches": hits[label]} for label, values in latencies.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--in-process", action="store_true", help="ASGI in this process instead of uvicorn")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    o = result["overall"]
    print(
        f"registry search, {result['data']['services']} services, {result['mode']}: "
        f"p50 {o['p50_ms']} ms, p95 {o['p95_ms']} ms, p99 {o['p99_ms']} ms (target p95 ≤ {TARGET_P95_MS} ms)"
    )
    for label, s in result["by_query"].items():
        print(f"  {label:<45} p50 {s['p50_ms']:>7} p95 {s['p95_ms']:>7}  ({s['matches']} matches)")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
