"""Referral creation through the API vs a bare asyncpg loop writing the same rows, in one run.

    uv run --frozen python -m bench.referral_create [--n 2400] [--concurrency 16]

Starts embedded PostgreSQL and NATS, the development IdP, and the referrals service under uvicorn
(a separate process, real HTTP, workers off so neither side has background load). Cases with
consent are prepared first. Then, at the same concurrency:

- api: POST /v1/cases/{id}/referrals (token check, replica validation, consent check, referral row,
  audit entry on the hash chain, outbox event) over HTTP;
- bare: one asyncpg transaction per referral inserting the same rows (referral, outbox row + NOTIFY,
  audit entry linked into the chain at COMMIT by the same trigger) with no checks at all.

The two sides alternate in ``--rounds`` rounds after a warm-up of each, so that load from other
processes on a shared machine weighs on both alike. The service runs as in production: uvicorn with
its defaults (uvloop and httptools, both installed), one worker process per core.

Writes throughput, the ratio and p50/p99 latencies to bench/results/referral_create.json
(``--output`` elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import httpx
import psutil

from deploy.devidp.testing import issuer_of, running_idp
from services.referrals.audit.chain import content_digest
from shared.db import asyncpg_dsn, create_engine, create_sessionmaker
from shared.migrations import upgrade
from shared.processes import free_port, wait_for_port
from shared.testing import start_test_servers
from tests.referrals.world import RWANGA, Directory, case_body, grant

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "referral_create.json"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def token(idp: str, user: str) -> str:
    async with httpx.AsyncClient() as http:
        r = await http.post(
            f"{issuer_of(idp)}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "hawkari-cli",
                "username": user,
                "password": "hawkari-demo",
            },
        )
        r.raise_for_status()
        return str(r.json()["access_token"])


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def processes(service: int) -> dict[str, list[psutil.Process]]:
    """Who burns CPU during a round: the service's workers, this process (the load), PostgreSQL."""
    root = psutil.Process(service)
    return {
        "service": [root, *root.children(recursive=True)],
        "load_generator": [psutil.Process()],
        "postgres": [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"],
    }


async def run_pool(jobs: list, concurrency: int) -> tuple[float, list[float]]:  # type: ignore[type-arg]
    queue: asyncio.Queue = asyncio.Queue()  # type: ignore[type-arg]
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            job = queue.get_nowait()
            t = time.perf_counter()
            await job()
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return time.perf_counter() - start, latencies


async def bench(n: int, concurrency: int, workers: int, servers, idp: str, rounds: int = 4) -> dict:  # type: ignore[no-untyped-def]
    db_url = await servers.create_database("bench_referrals")
    await asyncio.to_thread(upgrade, ROOT / "services" / "referrals" / "migrations", db_url)
    directory = Directory()
    engine = create_engine(db_url)
    await directory.load(create_sessionmaker(engine))
    await engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "HAWKARI_REFERRALS_DATABASE_URL": db_url,
        "HAWKARI_REFERRALS_NATS_URL": servers.nats_url,
        "HAWKARI_REFERRALS_OIDC_ISSUER": issuer_of(idp),
        "HAWKARI_REFERRALS_ENVIRONMENT": "development",
        "HAWKARI_REFERRALS_RUN_WORKERS": "false",
        "HAWKARI_REFERRALS_LOG_LEVEL": "WARNING",
    }
    # Telemetry as deployed without a collector: the SDK on, each request in a trace context,
    # nothing recorded (shared.telemetry.instrument_app).
    env.pop("OTEL_SDK_DISABLED", None)
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    command = [sys.executable, "-m", "uvicorn", "--factory", "services.referrals.app:create_app"]
    command += ["--port", str(port), "--no-access-log", "--log-level", "warning", "--workers", str(workers)]
    proc = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        assert wait_for_port(port, 120, proc), "the referrals service did not start"
        bearer = {"Authorization": f"Bearer {await token(idp, 'counsellor.erbil')}"}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        # Open across the interleaved rounds below; closed after them.
        http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}/v1", headers=bearer, limits=limits, timeout=60
        )
        case_ids = []
        for i in range(max(200, concurrency)):
            c = (await http.post("/cases", json=case_body(f"B{i}"))).json()
            g = await http.post(
                f"/cases/{c['id']}/consent", json=grant(["identity_contact", "needs"], orgs=[RWANGA])
            )
            assert g.status_code == 201, g.text
            case_ids.append(c["id"])
        body = {
            "service_id": str(directory.psychosocial),
            "data_categories": ["identity_contact", "needs"],
        }

        # The load itself goes through aiohttp (its C parser and keep-alive pool): on two shared cores
        # httpx's pure-Python client cost ~3 ms of CPU per request, more than the bare side's whole
        # client, and that was measuring the load generator instead of the service.
        load = aiohttp.ClientSession(
            f"http://127.0.0.1:{port}",
            headers={**bearer, "Content-Type": "application/json"},
            connector=aiohttp.TCPConnector(limit=concurrency),
        )
        payload = json.dumps(body).encode()

        def api_job(i: int):  # type: ignore[no-untyped-def]
            async def job() -> None:
                async with load.post(f"/v1/cases/{case_ids[i % len(case_ids)]}/referrals", data=payload) as r:
                    text = await r.text()
                    assert r.status == 201, text

            return job

        pool = await asyncpg.create_pool(asyncpg_dsn(db_url), min_size=concurrency, max_size=concurrency)

        def bare_job(i: int):  # type: ignore[no-untyped-def]
            async def job() -> None:
                now = datetime.now(UTC)
                ref_id, case_id = uuid.uuid4(), uuid.UUID(case_ids[i % len(case_ids)])
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute(
                        "INSERT INTO referral (id, case_id, sender_org_id, service_id, provider_org_id, "
                        "service_taxonomy_codes, funder_countries, status, data_categories, legal_basis, "
                        "capacity_warning, response_hours, sent_at, deadline_at, created_by, created_at, "
                        "updated_at, version, taxonomy_term_code) VALUES ($1,$2,$3,$4,$5,$6,$7,'sent',$8,"
                        "'consent',false,168,$9,$10,'bench',$9,$9,1,'psychosocial')",
                        ref_id,
                        case_id,
                        RWANGA,
                        directory.psychosocial,
                        RWANGA,
                        ["psychosocial"],
                        [],
                        ["identity_contact", "needs"],
                        now,
                        now + timedelta(hours=168),
                    )
                    envelope = {"id": str(uuid.uuid4()), "type": "org.hawkari.referral.sent.v1", "data": {}}
                    await conn.execute(
                        "INSERT INTO outbox_event (id, subject, type, envelope) VALUES ($1, $2, $3, $4)",
                        uuid.UUID(envelope["id"]),
                        "referrals.referral.sent",
                        envelope["type"],
                        json.dumps(envelope),
                    )
                    await conn.execute("SELECT pg_notify('hawkari_outbox', '')")
                    digest = content_digest(
                        at=now,
                        actor_subject="bench",
                        actor_username="bench",
                        actor_org_id=None,
                        action="referral.created",
                        case_id=case_id,
                        referral_id=ref_id,
                        categories=["identity_contact", "needs"],
                        purpose=None,
                        detail={},
                    )
                    # Linked into the chain at COMMIT by the same trigger as the service's entries.
                    await conn.execute(
                        "INSERT INTO audit_pending (at, actor_subject, actor_username, action, case_id, "
                        "referral_id, categories, detail, content_digest) VALUES ($1,'bench','bench',"
                        "'referral.created',$2,$3,$4,'{}'::jsonb,$5)",
                        now, case_id, ref_id, ["identity_contact", "needs"], digest,
                    )  # fmt: skip

            return job

        # Warm both, then alternate rounds: the machine is shared, and load that comes and goes
        # then weighs on both sides alike instead of on whichever ran during it.
        await run_pool([api_job(i) for i in range(50)], concurrency)
        await run_pool([bare_job(i) for i in range(50)], concurrency)
        api_s = bare_s = 0.0
        api_lat: list[float] = []
        bare_lat: list[float] = []
        per_round = max(1, n // rounds)
        procs = processes(proc.pid)
        cpu: dict[str, dict[str, float]] = {
            "api": dict.fromkeys(procs, 0.0),
            "bare": dict.fromkeys(procs, 0.0),
        }

        async def measured(side: str, jobs: list) -> tuple[float, list[float]]:  # type: ignore[type-arg]
            before = {k: cpu_seconds(v) for k, v in procs.items()}
            result = await run_pool(jobs, concurrency)
            for k, v in procs.items():
                cpu[side][k] += cpu_seconds(v) - before[k]
            return result

        for r in range(rounds):
            ids = range(r * per_round, (r + 1) * per_round)
            took, lat = await measured("api", [api_job(i) for i in ids])
            api_s, api_lat = api_s + took, api_lat + lat
            took, lat = await measured("bare", [bare_job(i) for i in ids])
            bare_s, bare_lat = bare_s + took, bare_lat + lat
        n = per_round * rounds
        await pool.close()
        await load.close()
        await http.aclose()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    api_rps, bare_rps = n / api_s, n / bare_s
    return {
        "measured_at": datetime.now(UTC).isoformat(),
        "n": n,
        "concurrency": concurrency,
        "api_workers": workers,
        "rounds": rounds,
        "cpus": os.cpu_count(),
        "api": {
            "per_s": round(api_rps, 1),
            "p50_ms": round(pct(api_lat, 0.5), 2),
            "p99_ms": round(pct(api_lat, 0.99), 2),
        },
        "bare_asyncpg": {
            "per_s": round(bare_rps, 1),
            "p50_ms": round(pct(bare_lat, 0.5), 2),
            "p99_ms": round(pct(bare_lat, 0.99), 2),
        },
        "ratio": round(api_rps / bare_rps, 3),
        # CPU milliseconds per referral by process group, each side over its own rounds.
        "cpu_ms_per_referral": {
            side: {k: round(v * 1000 / n, 2) for k, v in groups.items()} for side, groups in cpu.items()
        },
        "target_ratio": 0.5,
        "median_api_ms": round(statistics.median(api_lat) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (one per core)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating api/bare rounds")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    with start_test_servers() as servers, tempfile.TemporaryDirectory() as tmp, running_idp(Path(tmp)) as idp:
        result = asyncio.run(bench(args.n, args.concurrency, args.workers, servers, idp, args.rounds))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
