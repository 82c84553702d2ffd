"""OpenTelemetry traces and JSON logs that carry trace ids.

Traces cover FastAPI, httpx, asyncpg (every SQL statement, SQLAlchemy's included) and NATS
(``traceparent`` in message headers, consumer spans continue the producer's trace). Spans are
exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set. Without an exporter nothing is
recorded, but every request and message still runs in a trace context, so trace ids appear in logs
and in outgoing headers. Span attributes never carry request bodies: no personal data.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanContext
from opentelemetry.util.types import Attributes
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from fastapi import FastAPI

_configured_service: str | None = None


class TraceIdFilter(logging.Filter):
    """Adds the current trace and span ids to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else None
        record.span_id = format(ctx.span_id, "016x") if ctx.is_valid else None
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    handler.addFilter(TraceIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own handlers would bypass the JSON format; route its records through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryString) for f in access.filters):
        access.addFilter(DropQueryString())


class DropQueryString(logging.Filter):
    """Access log lines keep the path but never the query string, where a search term could be a name."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


class RecordWhileExporting(Sampler):
    """Record spans only once an exporter is attached; until then spans are non-recording.

    A non-recording span still has a trace id, so logs and outgoing ``traceparent`` headers stay
    correlated, but it costs almost nothing: with nowhere to send them, recording every SQL
    statement's span would only slow every request down.
    """

    def __init__(self) -> None:
        self.exporting = False

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: trace.SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        decision = Decision.RECORD_AND_SAMPLE if self.exporting else Decision.DROP
        return SamplingResult(decision, attributes if self.exporting else None, trace_state)

    def get_description(self) -> str:
        return "RecordWhileExporting"


_sampler = RecordWhileExporting()


def configure_tracing(service: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """Install the process's tracer provider once; later calls may only add an exporter."""
    global _configured_service
    current = trace.get_tracer_provider()
    if _configured_service is not None and isinstance(current, TracerProvider):
        provider = current
    else:
        provider = TracerProvider(
            resource=Resource.create({"service.name": f"hawkari-{service}"}), sampler=_sampler
        )
        trace.set_tracer_provider(provider)
        _configured_service = service
        if exporter is None and os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
        _sampler.exporting = True
    return provider


def instrument_libraries() -> None:
    """httpx and asyncpg instrumentation is process-wide; do it once.

    httpx always: it is what puts ``traceparent`` on calls to other services. asyncpg only while
    exporting: a span per SQL statement that nobody records is pure cost on every query.
    """
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    if not HTTPXClientInstrumentor().is_instrumented_by_opentelemetry:
        HTTPXClientInstrumentor().instrument()
    asyncpg_instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if _sampler.exporting and not asyncpg_instrumentor.is_instrumented_by_opentelemetry:
        asyncpg_instrumentor.instrument()


def instrument_app(app: FastAPI, excluded_urls: str = "healthz,readyz") -> None:
    """Server spans for ``app``'s requests while an exporter is attached, else only a trace context.

    Decided when the app is made: configure tracing (with its exporter) before. The full ASGI
    instrumentation matches the route again, reads every header and builds a span's attributes on
    each request, about half a millisecond of CPU that is wasted when no span is recorded
    (bench/referral_create.py measures the request path).
    """
    instrument_libraries()
    if _sampler.exporting:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls=excluded_urls)
    else:
        app.add_middleware(TraceContext)


# FastAPI's own telemetry (0.165+) would trace each request, dependency and serialisation a
# second time, beside instrument_app's spans: apps are made with it off.
NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

_TRACE_HEADERS = (b"traceparent", b"tracestate")


class TraceContext:
    """Runs each request in a trace context without recording it: the caller's ``traceparent``
    if it sent one, else a new trace. Log lines, outgoing HTTP calls and published events carry
    its ids, so one request can still be followed across services in the logs.

    The span is made directly, not through a tracer: with nothing recorded, the SDK's sampling
    and span machinery would only arrive at the same ids more slowly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers if k in _TRACE_HEADERS}
        parent = trace.get_current_span(propagate.extract(carrier)).get_span_context() if carrier else None
        if parent is not None and parent.is_valid:
            ids = SpanContext(
                parent.trace_id,
                _ids.generate_span_id(),
                is_remote=False,
                trace_flags=parent.trace_flags,
                trace_state=parent.trace_state,
            )
        else:
            ids = SpanContext(_ids.generate_trace_id(), _ids.generate_span_id(), is_remote=False)
        token = otel_context.attach(trace.set_span_in_context(trace.NonRecordingSpan(ids)))
        try:
            await self.app(scope, receive, send)
        finally:
            otel_context.detach(token)


_ids = RandomIdGenerator()


def tracer(name: str = "hawkari") -> trace.Tracer:
    return trace.get_tracer(name)


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """The current trace context as message headers (``traceparent``, ``tracestate``)."""
    carrier: dict[str, str] = dict(headers or {})
    propagate.inject(carrier)
    return carrier


@contextmanager
def continue_trace(
    headers: Mapping[str, str] | None, span_name: str, **attributes: Any
) -> Iterator[trace.Span]:
    """A consumer span that continues the producer's trace from message headers."""
    parent = propagate.extract(dict(headers or {}))
    token = otel_context.attach(parent)
    try:
        with tracer().start_as_current_span(
            span_name, kind=trace.SpanKind.CONSUMER, attributes=attributes
        ) as span:
            yield span
    finally:
        otel_context.detach(token)
