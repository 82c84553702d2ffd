"""Referral sent → inbox item visible to the provider: end-to-end latency at 100 referrals/s.

    uv run --frozen python -m bench.notify_latency [--rate 100] [--seconds 20]

Starts embedded PostgreSQL and NATS, the development IdP and the notifications service (uvicorn,
real HTTP), subscribes to the provider caseworker's live inbox (Server-Sent Events) and publishes
``ReferralSent`` contract events to JetStream at a steady rate. Latency is measured from just before
each publish to the moment its inbox item arrives on the stream (the item is committed by then, so
it is also visible to ``GET /v1/inbox``). Results go to ``bench/results/notify_latency.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import uvicorn

from deploy.devidp.testing import issuer_of, password_token, running_idp
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from shared.contracts import referrals as rc
from shared.contracts import registry as reg
from shared.events import make_event
from shared.migrations import upgrade
from shared.testing import start_test_servers
from tests.notifications.conftest import make_followed_streams

RESULTS = Path(__file__).parent / "results" / "notify_latency.json"
RWANGA = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:rwanga")
ERBIL = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:mrc-erbil")
SERVICE_ID = uuid.uuid4()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def run(rate: float, seconds: float, idp_url: str, database_url: str, nats_url: str) -> dict[str, Any]:
    settings = NotificationsSettings(
        environment="test",
        database_url=database_url,
        nats_url=nats_url,
        oidc_issuer=issuer_of(idp_url),
        smtp_port=1,  # no relay: email waits in its table, which is part of the real work done
        email_org_contacts=False,
    )
    app = create_app(settings)
    nc = await nats.connect(nats_url)
    await make_followed_streams(nc.jetstream(), settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    js = nc.jetstream()
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
    token = await password_token(idp_url, "caseworker.rwanga")
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    total = int(rate * seconds)
    done = asyncio.Event()

    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10.0, read=None)) as http:

        async def listen() -> None:
            async with http.stream(
                "GET", "/v1/inbox/stream", headers={"Authorization": f"Bearer {token}"}
            ) as r:
                ready.set()
                async for line in r.aiter_lines():
                    if line.startswith("data:") and '"referral_id"' in line:
                        arrived = time.perf_counter()
                        item = json.loads(line[5:])
                        start = sent_at.get(item["referral_id"])
                        if start is not None:
                            latencies.append((arrived - start) * 1000)
                            if len(latencies) >= total:
                                done.set()
                                return

        ready = asyncio.Event()
        listener = asyncio.create_task(listen())
        await ready.wait()
        await asyncio.sleep(1.0)  # consumers bound, replica applied
        interval = 1.0 / rate
        t0 = time.perf_counter()
        for i in range(total):
            target = t0 + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            ref = uuid.uuid4()
            contract = rc.ReferralSent(
                case_id=uuid.uuid4(),
                dimensions=rc.Dimensions(owner_org_id=ERBIL, provider_org_id=RWANGA),
                referral_id=ref,
                service_id=SERVICE_ID,
                status="sent",
                data_categories=[],
                legal_basis="consent",
                capacity_warning=False,
            )
            event = make_event(contract, subject=str(ref))
            sent_at[str(ref)] = time.perf_counter()
            await js.publish(contract.subject(str(ref)), event.to_json(), headers={"Nats-Msg-Id": event.id})
        achieved = total / (time.perf_counter() - t0)
        try:
            await asyncio.wait_for(done.wait(), 30)
        finally:
            listener.cancel()
    await nc.close()
    server.should_exit = True
    await task
    return {
        "benchmark": "referral sent -> inbox item visible (SSE), end to end",
        "target": {"p50_ms": 20, "p99_ms": 150, "rate_per_s": 100},
        "rate_per_s": rate,
        "achieved_publish_rate_per_s": round(achieved, 1),
        "referrals": total,
        "received": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p90_ms": round(percentile(latencies, 0.90), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "met": percentile(latencies, 0.5) <= 20 and percentile(latencies, 0.99) <= 150,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "measured_at": datetime.now(UTC).isoformat(),
    }


async def main_async(rate: float, seconds: float) -> dict[str, Any]:
    with (
        start_test_servers() as servers,
        tempfile.TemporaryDirectory() as tmp,
        running_idp(Path(tmp)) as idp_url,
    ):
        url = await servers.create_database("bench_notif")
        await asyncio.to_thread(upgrade, Path(__file__).parents[1] / "services/notifications/migrations", url)
        return await run(rate, seconds, idp_url, url, servers.nats_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    result = asyncio.run(main_async(args.rate, args.seconds))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
