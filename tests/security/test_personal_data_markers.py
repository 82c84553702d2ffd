"""Personal data stays in the referrals database, encrypted — shown end to end across services.

The four services run together on real PostgreSQL and NATS (uvicorn on 127.0.0.1, relays and
consumers on): registry events feed the referrals replica, referral events feed notifications
(inbox, email to a real aiosmtpd server, signed webhooks to a real local HTTP receiver) and
coordination. A case whose every free-text personal field holds a unique marker goes round the
whole loop: consent, needs, referral, accept, start, complete, feedback, a declined referral with a
free-text reason, a referral under a vital-interest override with its written reason, a follow-up.

Then every place a marker could leak is searched: every message of every JetStream stream, every
log record, every email and webhook body, a dump of the notifications, coordination and registry
databases, and every exported span (an in-memory exporter on the OpenTelemetry SDK). Zero hits.
A plain dump of the referrals database must not show them either: there they are ciphertext.
The markers do reach the API of the referrals service, which proves they went in at all.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import shared.telemetry as telemetry
from services.notifications.smtp_sink import SmtpSink
from shared.contracts import referrals as rc
from shared.db import asyncpg_dsn
from shared.processes import free_port
from shared.testing import RunningServers, eventually
from tests.referrals.test_privacy import pg_dump
from tests.security.stack import Receiver, Running, Tokens, running_service
from tests.security.world import RWANGA

RUN = uuid.uuid4().hex[:8]
FIELDS = (
    "given_name",
    "family_name",
    "phone",
    "address",
    "document_type",
    "document_number",
    "vulnerability_details",
    "case_notes",
    "needs_economic",
    "needs_social",
    "needs_psychosocial",
    "decline_reason",
    "override_reason",
)
# Distinct, unlikely strings: a hit can only be this test's data.
MARKERS = {field: f"Mk{field.replace('_', '')[:10]}{RUN}" for field in FIELDS}


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The message, its arguments and any extra fields a logger attached.
        self.lines.append(f"{record.getMessage()} {record.__dict__}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


async def clear_streams(nats_url: str) -> None:
    """Streams on the producers' fixed subjects (registry.>, referrals.>) left by other tests:
    two streams may not share subjects."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if any(s.startswith(("registry.", "referrals.")) for s in info.config.subjects or []):
                with contextlib.suppress(Exception):
                    await js.delete_stream(info.config.name)
    finally:
        await nc.close()


async def every_message(nats_url: str) -> list[str]:
    """Every message still held by every stream on the server, headers and data."""
    nc = await nats.connect(nats_url)
    out: list[str] = []
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                with contextlib.suppress(Exception):  # deleted in between (last per subject)
                    msg = await js.get_msg(info.config.name, seq)
                    out.append(
                        f"{info.config.name} {msg.subject} {msg.headers} {msg.data.decode(errors='replace')}"
                    )
    finally:
        await nc.close()
    return out


@contextlib.asynccontextmanager
async def the_stack(
    servers: RunningServers, idp_url: str, smtp_port: int, receiver: Receiver
) -> AsyncIterator[dict[str, Running]]:
    tag = RUN
    reg_stream, ref_stream = f"SEC_REGISTRY_{tag}", f"SEC_REFERRALS_{tag}"
    follow = {"registry_stream": reg_stream, "referrals_stream": ref_stream}
    common = {"run_workers": True, "log_level": "DEBUG"}
    async with contextlib.AsyncExitStack() as stack:
        registry = await stack.enter_async_context(
            running_service("registry", servers, idp_url, stream_name=reg_stream, **common)
        )
        referrals = await stack.enter_async_context(
            running_service(
                "referrals",
                servers,
                idp_url,
                stream_name=ref_stream,
                registry_stream=reg_stream,
                replica_consumer=f"sec-pii-{tag}",
                run_expiry=False,
                **common,
            )
        )
        notifications = await stack.enter_async_context(
            running_service(
                "notifications",
                servers,
                idp_url,
                **follow,
                referrals_consumer=f"sec-pii-ref-{tag}",
                registry_consumer=f"sec-pii-reg-{tag}",
                smtp_port=smtp_port,
                webhook_allow_private=True,
                worker_interval_s=0.05,
                **common,
            )
        )
        coordination = await stack.enter_async_context(
            running_service(
                "coordination",
                servers,
                idp_url,
                **follow,
                referrals_consumer=f"sec-pii-ref-{tag}",
                registry_consumer=f"sec-pii-reg-{tag}",
                **common,
            )
        )
        yield {
            "registry": registry,
            "referrals": referrals,
            "notifications": notifications,
            "coordination": coordination,
        }


async def caught_up(nats_url: str, stream: str) -> bool:
    """Every durable consumer on ``stream`` has handled and acknowledged everything."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        consumers = await js.consumers_info(stream)
        return bool(consumers) and all(c.num_pending == 0 and c.num_ack_pending == 0 for c in consumers)
    finally:
        await nc.close()


@pytest.mark.timeout(600)
async def test_markers_never_leave_the_referrals_database(
    servers: RunningServers, idp_url: str, idp_key_dir: Path, tmp_path: Path
) -> None:
    tokens = Tokens(idp_url, idp_key_dir)
    await clear_streams(servers.nats_url)
    spans = InMemorySpanExporter()
    provider = telemetry.configure_tracing("security-test", spans)
    logs = LogCapture()
    smtp_port = free_port()
    sink = SmtpSink(tmp_path / "mail", port=smtp_port)
    sink.start()
    try:
        with Receiver() as receiver:
            async with the_stack(servers, idp_url, smtp_port, receiver) as stack:
                # After the apps configured logging (which replaces the root handlers).
                logging.getLogger().addHandler(logs)
                logging.getLogger().setLevel(logging.DEBUG)
                await run_the_loop(stack, tokens, receiver, sink, servers)
                logging.getLogger().removeHandler(logs)
                provider.force_flush()
                texts = await gather_everything(stack, servers, logs, sink, receiver, spans)
                referrals_dump = pg_dump(stack["referrals"].database_url)
    finally:
        telemetry._sampler.exporting = False  # stop recording spans for the rest of the session
        sink.stop()
        await clear_streams(servers.nats_url)
    hits = [(where, field) for where, text in texts.items() for field, m in MARKERS.items() if m in text]
    sizes = {where: len(text) for where, text in texts.items()}
    print(f"\nsearched (characters): {sizes}")
    assert all(sizes[k] > 0 for k in ("jetstream", "logs", "emails", "webhooks", "spans")), sizes
    assert not hits, f"markers found outside the referrals database: {hits}"
    in_dump = [field for field, m in MARKERS.items() if m in referrals_dump]
    assert not in_dump, f"markers in plain text in the referrals database dump: {in_dump}"


async def run_the_loop(
    stack: dict[str, Running], tokens: Tokens, receiver: Receiver, sink: SmtpSink, servers: RunningServers
) -> None:
    ref, notif = stack["referrals"].http, stack["notifications"].http

    def auth(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens(user)}"}

    # The referrals replica learns the directory from the registry's events.
    services = (
        await stack["registry"].http.get(
            "/v1/services",
            params={"organization_id": str(RWANGA), "accepts_referrals": "true", "per_page": 100},
            headers=auth("counsellor.erbil"),
        )
    ).json()["items"]
    target, second = services[0]["id"], services[1]["id"]
    # People who will get email, and a partner system's endpoint for referral events (Rwanga hears
    # of the referrals sent to it; a delivery that failed once waits for its retry, so the test
    # waits for two of the three).
    for user in ("counsellor.erbil", "caseworker.rwanga", "admin.rwanga"):
        r = await notif.put("/v1/preferences/me", json={"language": "en"}, headers=auth(user))
        assert r.status_code == 200, r.text
    event_types = [
        c.event_type
        for c in (
            rc.ReferralSent,
            rc.ReferralAccepted,
            rc.ReferralDeclined,
            rc.ReferralStarted,
            rc.ReferralCompleted,
        )
    ]
    r = await notif.post(
        "/v1/webhooks", json={"url": receiver.url, "event_types": event_types}, headers=auth("admin.rwanga")
    )
    assert r.status_code == 201, r.text

    m = MARKERS
    case_body = {
        "gender": "female",
        "age_band": "25-34",
        "governorate_code": "IQ-AR",
        "country_returned_from": "SE",
        "return_type": "voluntary_assisted",
        "arrival_date": "2025-01-10",
        "household_size": 3,
        "personal": {
            "identity_contact": {
                "given_name": m["given_name"],
                "family_name": m["family_name"],
                "date_of_birth": "1990-02-03",
                "phone": m["phone"],
                "address": m["address"],
            },
            "documents": {"document_type": m["document_type"], "document_number": m["document_number"]},
            "vulnerabilities": {"flags": ["health"], "details": m["vulnerability_details"]},
            "notes": m["case_notes"],
        },
    }
    counsellor, caseworker = auth("counsellor.erbil"), auth("caseworker.rwanga")
    r = await ref.post("/v1/cases", json=case_body, headers=counsellor)
    assert r.status_code == 201, r.text
    case = r.json()["id"]
    grant = {
        "purposes": ["referral", "follow_up_contact"],
        # Not vulnerabilities: the override below shares them in the person's vital interest.
        "data_categories": ["identity_contact", "needs", "documents"],
        "recipient_org_ids": [str(RWANGA)],
        "obtained_how": "verbal",
        "information_language": "ckb",
        "information_version": "2025-01",
    }
    r = await ref.post(f"/v1/cases/{case}/consent", json=grant, headers=counsellor)
    assert r.status_code == 201, r.text
    needs = {
        dim: {"level": 2, "needs": ["housing"], "notes": m[f"needs_{dim}"]}
        for dim in ("economic", "social", "psychosocial")
    }
    r = await ref.put(f"/v1/cases/{case}/needs", json=needs, headers=counsellor)
    assert r.status_code == 200, r.text

    async def refer(service: str, **extra: Any) -> str:
        body = {"service_id": service, "data_categories": ["identity_contact", "needs"], **extra}
        last: list[Any] = []

        async def answered() -> bool:
            # Until the replica has caught up with the registry's stream the service is unknown.
            r = await ref.post(f"/v1/cases/{case}/referrals", json=body, headers=counsellor)
            last[:] = [r]
            return r.status_code == 201 or "service_id" not in r.text

        await eventually(answered, timeout=30, interval=0.5)
        assert last[0].status_code == 201, last[0].text
        return str(last[0].json()["id"])

    first = await refer(target)
    for step, body in (("accept", None), ("start", None), ("complete", {"outcome": "delivered"})):
        r = await ref.post(f"/v1/referrals/{first}/{step}", json=body, headers=caseworker)
        assert r.status_code == 200, r.text
    r = await ref.post(
        f"/v1/referrals/{first}/feedback",
        json={"delivered": True, "quality": 4, "wait_days": 3},
        headers=counsellor,
    )
    assert r.status_code == 200, r.text
    declined = await refer(second)
    r = await ref.post(
        f"/v1/referrals/{declined}/decline",
        json={"reason": "other", "reason_text": m["decline_reason"]},
        headers=caseworker,
    )
    assert r.status_code == 200, r.text
    # Sharing a category nobody consented to, in the person's vital interest: the reason is text.
    override = {"legal_basis": "vital_interest", "reason": f"Urgent medical need {m['override_reason']}"}
    await refer(target, data_categories=["identity_contact", "needs", "vulnerabilities"], override=override)
    r = await ref.post(
        f"/v1/cases/{case}/follow-ups",
        json={"timepoint": "baseline", "answers": {"distress": 3}},
        headers=counsellor,
    )
    assert r.status_code == 201, r.text

    # The markers went in: the counsellor reads them back through the API.
    personal = await ref.get(
        f"/v1/cases/{case}/personal-data", params={"purpose": "referral"}, headers=counsellor
    )
    assert personal.status_code == 200 and m["given_name"] in personal.text, personal.text

    state: dict[str, Any] = {}

    async def delivered() -> bool:
        state.update(
            emails=len(sink.messages),
            webhooks=len(receiver.requests),
            referrals_stream=await caught_up(servers.nats_url, f"SEC_REFERRALS_{RUN}"),
            registry_stream=await caught_up(servers.nats_url, f"SEC_REGISTRY_{RUN}"),
        )
        return (
            state["emails"] >= 3
            and state["webhooks"] >= 2
            and state["referrals_stream"]
            and state["registry_stream"]
        )

    try:
        await eventually(delivered, timeout=60, interval=0.25)
    except AssertionError:
        raise AssertionError(f"the loop did not complete: {state}") from None


async def gather_everything(
    stack: dict[str, Running],
    servers: RunningServers,
    logs: LogCapture,
    sink: SmtpSink,
    receiver: Receiver,
    spans: InMemorySpanExporter,
) -> dict[str, str]:
    texts: dict[str, str] = {}
    texts["jetstream"] = "\n".join(await every_message(servers.nats_url))
    texts["logs"] = "\n".join(logs.lines)
    texts["emails"] = "\n".join(msg.as_string() for msg in sink.messages)
    texts["webhooks"] = "\n".join(
        f"{r['headers']} {r['body'].decode(errors='replace')}" for r in receiver.requests
    )
    for name in ("registry", "notifications", "coordination"):
        texts[f"{name} database"] = pg_dump(stack[name].database_url)
    conn = await asyncpg.connect(asyncpg_dsn(stack["notifications"].database_url))
    try:
        rows = await conn.fetch("SELECT * FROM inbox_item")
        texts["notification rows"] = json.dumps([dict(r) for r in rows], default=str)
    finally:
        await conn.close()
    texts["spans"] = "\n".join(span.to_json() for span in spans.get_finished_spans())
    return texts
