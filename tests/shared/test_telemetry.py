"""A trace crosses NATS: the consumer's span continues the producer's trace; logs carry ids."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncSession

from shared import telemetry
from shared.consumer import Consumer
from shared.db import create_engine, create_sessionmaker
from shared.events.envelope import CloudEvent
from shared.messaging import NatsConnection, StreamSpec
from shared.outbox import OutboxRelay, add_event
from shared.telemetry import TraceIdFilter, configure_tracing, inject_headers, instrument_app, tracer
from shared.testing import RunningServers, eventually
from tests.shared.eventing import WidgetCreated, dead_letter, inbox, metadata, outbox, widget

exporter = InMemorySpanExporter()


@pytest.fixture(scope="module")
def provider() -> Iterator[TracerProvider]:
    yield configure_tracing("test", exporter)
    telemetry._sampler.exporting = False  # the rest of the session records nothing again


@pytest.fixture
def not_exporting() -> Iterator[None]:
    was, telemetry._sampler.exporting = telemetry._sampler.exporting, False
    yield
    telemetry._sampler.exporting = was


async def test_consumer_span_continues_the_producers_trace(
    database_url: str, servers: RunningServers, provider: TracerProvider
) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = create_sessionmaker(engine)
    stream = f"TRACE_{uuid.uuid4().hex[:6].upper()}"
    seen: list[str] = []

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        from opentelemetry import trace

        seen.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))

    connection = NatsConnection(servers.nats_url, name="trace")
    connection.start()
    relay = OutboxRelay(database_url, connection, streams=(StreamSpec(stream, ("testsvc.>",)),))
    consumer = Consumer(
        name="trace_consumer",
        stream=stream,
        subjects=("testsvc.widget.>",),
        handler=handler,
        sessionmaker=sessions,
        inbox=inbox,
        dead_letter=dead_letter,
        nats=connection,
    )
    relay.start()
    consumer.start()
    try:
        with tracer().start_as_current_span("produce") as span:
            producer_trace = format(span.get_span_context().trace_id, "032x")
            async with sessions() as session, session.begin():
                await session.execute(sa.insert(widget).values(id="w", name="traced"))
                await add_event(session, outbox, WidgetCreated(widget_id="w", name="traced"), entity_id="w")

        async def handled() -> bool:
            return bool(seen)

        await eventually(handled)
        assert seen == [producer_trace]

        # The consumer span ends after the handler (the commit and ack come first): wait for it.
        def consumer_spans() -> list[ReadableSpan]:
            provider.force_flush()
            return [s for s in exporter.get_finished_spans() if s.name.startswith("consume testsvc")]

        async def span_finished() -> bool:
            return bool(consumer_spans())

        await eventually(span_finished)
        assert consumer_spans()[-1].context.trace_id == int(producer_trace, 16)
    finally:
        await consumer.stop()
        await relay.stop()
        await connection.close()
        async with connection_cleanup(servers.nats_url) as js:
            await js.delete_stream(stream)
        await engine.dispose()


def test_log_lines_are_json_with_the_trace_id(provider: TracerProvider) -> None:
    from pythonjsonlogger.json import JsonFormatter

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter("%(levelname)s %(message)s"))
    handler.addFilter(TraceIdFilter())
    log = logging.getLogger("hawkari.test.telemetry")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with tracer().start_as_current_span("work") as span:
            log.info("something happened")
        line = json.loads(buffer.getvalue().strip())
        assert line["message"] == "something happened"
        assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    finally:
        log.removeHandler(handler)


class connection_cleanup:
    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        import nats

        self.nc = await nats.connect(self.url)
        return self.nc.jetstream()

    async def __aexit__(self, *exc: object) -> None:
        await self.nc.close()


def test_access_logs_drop_query_strings() -> None:
    from shared.telemetry import DropQueryString

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/cases?q=Marker%20Name", "1.1", 200),
        None,
    )
    assert DropQueryString().filter(record)
    assert "Marker" not in record.getMessage()
    assert "/v1/cases?…" in record.getMessage()


def test_without_an_exporter_spans_are_not_recorded_but_still_carry_trace_ids() -> None:
    from opentelemetry.sdk.trace import TracerProvider as SdkProvider

    from shared.telemetry import RecordWhileExporting

    sampler = RecordWhileExporting()
    local = SdkProvider(sampler=sampler)
    idle = local.get_tracer("t").start_span("idle")
    assert not idle.is_recording() and idle.get_span_context().is_valid
    sampler.exporting = True
    busy = local.get_tracer("t").start_span("busy")
    assert busy.is_recording()


CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_PARENT = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"


def traced_app() -> FastAPI:
    app = FastAPI()

    @app.get("/where")
    async def where() -> dict[str, str | None]:
        ctx = trace.get_current_span().get_span_context()
        # What a published event or an outgoing call would carry.
        return {"trace_id": format(ctx.trace_id, "032x"), "traceparent": inject_headers().get("traceparent")}

    instrument_app(app)
    return app


async def ask(app: FastAPI, headers: dict[str, str] | None = None) -> dict[str, str]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        answer: dict[str, str] = (await http.get("/where", headers=headers)).json()
    return answer


async def test_without_an_exporter_requests_keep_a_trace_context_but_record_nothing(
    provider: TracerProvider, not_exporting: None
) -> None:
    provider.force_flush()
    before = len(exporter.get_finished_spans())
    app = traced_app()
    assert [m.cls for m in app.user_middleware] == [telemetry.TraceContext]

    continued = await ask(app, {"traceparent": CALLER_PARENT})
    assert continued["trace_id"] == CALLER_TRACE
    assert continued["traceparent"].split("-")[1] == CALLER_TRACE

    fresh = [await ask(app) for _ in range(2)]
    assert all(int(f["trace_id"], 16) != 0 for f in fresh)
    assert fresh[0]["trace_id"] != fresh[1]["trace_id"]
    assert fresh[0]["traceparent"].split("-")[1] == fresh[0]["trace_id"]

    provider.force_flush()
    assert len(exporter.get_finished_spans()) == before


async def test_with_an_exporter_requests_are_recorded_as_server_spans(provider: TracerProvider) -> None:
    app = traced_app()
    assert telemetry.TraceContext not in [m.cls for m in app.user_middleware]
    assert (await ask(app, {"traceparent": CALLER_PARENT}))["trace_id"] == CALLER_TRACE
    provider.force_flush()
    server = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.SERVER]
    assert server and server[-1].name == "GET /where"
    assert format(server[-1].context.trace_id, "032x") == CALLER_TRACE
