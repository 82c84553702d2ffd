"""Referral sent → inbox item visible to the provider: end-to-end latency at 100 referrals/s.

    uv run --frozen python -m bench.notify_latency [--rate 100] [--seconds 20]

The whole path runs as it does in production, each part a real process or task:

- a producer writes each ``ReferralSent`` into a transactional outbox table (``shared.outbox``, as the
  referrals service does) and commits, at a steady rate;
- the outbox relay (``shared.outbox.OutboxRelay``, woken by LISTEN/NOTIFY) publishes it to JetStream;
- the notifications service — its own process under uvicorn, started as ``hawkari up`` starts it —
  consumes it, writes the inbox item (and queues email for the caseworker) and notifies;
- the provider caseworker's live inbox (Server-Sent Events, with a real token from the development
  IdP) receives the item.

Latency runs from just before the producer's COMMIT to the moment the item arrives on the stream.
The item is committed by then, so it is also what ``GET /v1/inbox`` returns. The producer, relay and
SSE client share this process; the service has its own, as do PostgreSQL and NATS. The machine is
whatever runs this (see ``machine`` and ``load_average`` in the result): on a shared box the figures
move with the neighbours' load. Results go to ``bench/results/notify_latency.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import sqlalchemy as sa

from deploy.devidp.testing import issuer_of, password_token, running_idp
from shared.contracts import referrals as rc
from shared.contracts import registry as reg
from shared.db import create_engine, create_sessionmaker
from shared.events import make_event
from shared.messaging import NatsConnection, StreamSpec, ensure_stream
from shared.migrations import upgrade
from shared.outbox import OutboxRelay, add_event, define_outbox_table
from shared.processes import die_with_parent, free_port
from shared.testing import start_test_servers

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "notify_latency.json"
RWANGA = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:rwanga")
ERBIL = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:mrc-erbil")
SERVICE_ID = uuid.uuid4()
OUTBOX = define_outbox_table(sa.MetaData())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def start_service(
    database_url: str, nats_url: str, idp_url: str, port: int, smtp_port: int, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HAWKARI_NOTIFICATIONS_ENVIRONMENT": "test",
        "HAWKARI_NOTIFICATIONS_DATABASE_URL": database_url,
        "HAWKARI_NOTIFICATIONS_NATS_URL": nats_url,
        "HAWKARI_NOTIFICATIONS_OIDC_ISSUER": issuer_of(idp_url),
        # The caseworker has an address (their token): each referral is also an email, sent for real
        # to a local SMTP sink, as an SMTP relay would take it in production.
        "HAWKARI_NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        "HAWKARI_NOTIFICATIONS_EMAIL_ORG_CONTACTS": "false",
        "HAWKARI_NOTIFICATIONS_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "services.notifications.app:create_app"]
    if profile := os.environ.get("HAWKARI_BENCH_PROFILE"):
        # Where the service's time goes: pyinstrument writes its report here when the service stops.
        command[1:1] = ["-m", "pyinstrument", "-o", profile]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent(),
    )


async def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("the notifications service exited while starting")
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the notifications service did not become ready")


def sent_event(referral_id: uuid.UUID) -> rc.ReferralSent:
    return rc.ReferralSent(
        case_id=uuid.uuid4(),
        dimensions=rc.Dimensions(owner_org_id=ERBIL, provider_org_id=RWANGA),
        referral_id=referral_id,
        service_id=SERVICE_ID,
        status="sent",
        data_categories=[],
        legal_basis="consent",
        capacity_warning=False,
        sent_at=datetime.now(UTC).isoformat(),
        referrer_subject=str(uuid.uuid4()),
    )


async def publish_directory(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, StreamSpec(reg.STREAM, reg.SUBJECTS, last_per_subject=True))
    now = datetime.now(UTC)
    svc = reg.ServiceUpserted(
        version=1, active=True, updated_at=now, service_id=SERVICE_ID, organization_id=RWANGA,
        status="active",
        name=reg.Translations(en="Job counselling"), description=reg.Translations(),
        application_process=reg.Translations(), fees_description=reg.Translations(), languages=[],
        required_documents=[], accepts_referrals=True, referral_response_hours=72, capacity=reg.Capacity(),
        taxonomy_term_codes=[], location_ids=[], service_areas=[],
    )  # fmt: skip
    ev = make_event(svc, subject=str(SERVICE_ID))
    await js.publish(svc.subject(str(SERVICE_ID)), ev.to_json(), headers={"Nats-Msg-Id": ev.id})
    await nc.close()


async def run(
    rate: float,
    seconds: float,
    idp_url: str,
    producer_url: str,
    service_base: str,
    nats_url: str,
    service_pid: int,
) -> dict[str, Any]:
    engine = create_engine(producer_url)
    async with engine.begin() as conn:
        await conn.run_sync(OUTBOX.metadata.create_all)
    sessionmaker = create_sessionmaker(engine)
    relay_nats = NatsConnection(nats_url, name="bench-relay")
    relay_nats.start()
    relay = OutboxRelay(producer_url, relay_nats, streams=(StreamSpec(rc.STREAM, rc.SUBJECTS),))
    relay.start()

    token = await password_token(idp_url, "caseworker.rwanga")
    sent_at: dict[str, float] = {}
    published_at: dict[str, float] = {}
    handled_at: dict[str, float] = {}
    arrived_at: dict[str, float] = {}
    wall_offset = time.time() - time.perf_counter()  # wall clock = perf_counter + offset
    latencies: list[float] = []
    # Where the time goes: a plain NATS subscription sees each event when the relay publishes it.
    watcher = await nats.connect(nats_url)

    async def on_published(msg: Any) -> None:
        published_at.setdefault(json.loads(msg.data)["subject"], time.perf_counter())

    await watcher.subscribe(rc.SUBJECTS[0], cb=on_published)
    total = int(rate * seconds)
    done = asyncio.Event()
    ready = asyncio.Event()

    async with httpx.AsyncClient(base_url=service_base, timeout=httpx.Timeout(10.0, read=None)) as http:

        async def listen() -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with http.stream("GET", "/v1/inbox/stream", headers=headers) as r:
                ready.set()
                async for line in r.aiter_lines():
                    if line.startswith("data:") and '"referral_id"' in line:
                        arrived = time.perf_counter()
                        item = json.loads(line[5:])
                        start = sent_at.get(item["referral_id"])
                        if start is not None:
                            latencies.append((arrived - start) * 1000)
                            # created_at is the service's wall clock when its consumer handled the event.
                            handled = datetime.fromisoformat(item["created_at"]).timestamp() - wall_offset
                            handled_at[item["referral_id"]] = handled
                            arrived_at[item["referral_id"]] = arrived
                            if len(latencies) >= total:
                                done.set()
                                return

        listener = asyncio.create_task(listen())
        await ready.wait()
        # Warm up (connections, prepared statements, the stream and consumers), then measure.
        for _ in range(20):
            async with sessionmaker() as s, s.begin():
                ref = uuid.uuid4()
                await add_event(s, OUTBOX, sent_event(ref), entity_id=str(ref))
        await asyncio.sleep(2.0)
        load_before = os.getloadavg()
        cpu_before = cpu_seconds(service_pid), time.process_time()
        interval = 1.0 / rate
        t0 = time.perf_counter()
        for i in range(total):
            delay = t0 + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            ref = uuid.uuid4()
            async with sessionmaker() as s, s.begin():
                await add_event(s, OUTBOX, sent_event(ref), entity_id=str(ref))
                sent_at[str(ref)] = time.perf_counter()  # the COMMIT follows on leaving this block
        achieved = total / (time.perf_counter() - t0)
        try:
            await asyncio.wait_for(done.wait(), 30)
        except TimeoutError:
            pass
        finally:
            listener.cancel()
        load_after = os.getloadavg()
        service_cpu = cpu_seconds(service_pid) - cpu_before[0]
        bench_cpu = time.process_time() - cpu_before[1]
    await watcher.close()
    await relay.stop()
    await relay_nats.close()
    await engine.dispose()
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    to_nats = [(published_at[r] - sent_at[r]) * 1000 for r in sent_at if r in published_at]
    to_handler = [(handled_at[r] - published_at[r]) * 1000 for r in handled_at if r in published_at]
    to_stream = [(arrived_at[r] - handled_at[r]) * 1000 for r in handled_at]
    return {
        "benchmark": "referral committed (outbox) -> relay -> NATS -> notifications -> inbox item on SSE",
        "command": "uv run --frozen python -m bench.notify_latency"
        + (f" --seconds {seconds:g}" if seconds != 20 else ""),
        "target": {"p50_ms": 20, "p99_ms": 150, "rate_per_s": 100},
        "rate_per_s": rate,
        "achieved_commit_rate_per_s": round(achieved, 1),
        "referrals": total,
        "received": len(latencies),
        "p50_ms": round(p50, 2),
        "p90_ms": round(percentile(latencies, 0.90), 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        # The first leg alone: COMMIT -> relay woken -> published to JetStream (seen by a subscriber).
        "commit_to_published_p50_ms": round(percentile(to_nats, 0.50), 2),
        "commit_to_published_p99_ms": round(percentile(to_nats, 0.99), 2),
        # Then: published -> the consumer writing the item (its created_at, the service's clock) ...
        "published_to_handled_p50_ms": round(percentile(to_handler, 0.50), 2),
        "published_to_handled_p99_ms": round(percentile(to_handler, 0.99), 2),
        # ... and the item's commit, NOTIFY and the live stream to the client.
        "handled_to_stream_p50_ms": round(percentile(to_stream, 0.50), 2),
        "handled_to_stream_p99_ms": round(percentile(to_stream, 0.99), 2),
        # CPU spent per referral while measuring: the notifications process (consumer, inbox,
        # email, live stream), and this one (producer, outbox relay, SSE client).
        "service_cpu_ms_per_referral": round(service_cpu / total * 1000, 2),
        "producer_relay_client_cpu_ms_per_referral": round(bench_cpu / total * 1000, 2),
        "met": len(latencies) == total and p50 <= 20 and p99 <= 150,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "note": "shared machine: other work ran at the same time (load average above)",
        },
        "measured_at": datetime.now(UTC).isoformat(),
    }


async def main_async(rate: float, seconds: float) -> dict[str, Any]:
    with (
        start_test_servers() as servers,
        tempfile.TemporaryDirectory() as tmp,
        running_idp(Path(tmp)) as idp_url,
    ):
        service_url = await servers.create_database("bench_notif")
        producer_url = await servers.create_database("bench_referrals")
        await asyncio.to_thread(upgrade, ROOT / "services/notifications/migrations", service_url)
        # The producer's stream, then the registry replica's one service.
        nc = await nats.connect(servers.nats_url)
        await ensure_stream(nc.jetstream(), StreamSpec(rc.STREAM, rc.SUBJECTS))
        await nc.close()
        await publish_directory(servers.nats_url)
        port = free_port()
        log = Path(os.environ.get("HAWKARI_BENCH_LOG") or Path(tmp) / "notifications.log")
        smtp_port, maildir = free_port(), ("--maildir", str(Path(tmp) / "mail"))
        sink = subprocess.Popen(  # the development SMTP sink, as `hawkari up` runs it
            [sys.executable, "-m", "services.notifications.smtp_sink", "--port", str(smtp_port), *maildir],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent(),
        )
        proc = start_service(service_url, servers.nats_url, idp_url, port, smtp_port, log)
        try:
            await wait_ready(f"http://127.0.0.1:{port}", proc)
            base = f"http://127.0.0.1:{port}"
            return await run(rate, seconds, idp_url, producer_url, base, servers.nats_url, proc.pid)
        finally:
            sink.terminate()
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--no-save", action="store_true", help="print only; keep the recorded result")
    args = parser.parse_args()
    result = asyncio.run(main_async(args.rate, args.seconds))
    if not args.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
