"""Prometheus metrics at GET /metrics (docs/operations.md lists them), from a registry of the app's own,
so that several apps in one process (tests) never share a series.

What the process already keeps (the ingest counters, the spool, the writer) is read when scraped, so
ingestion pays nothing for it. The store's calls reach the latency histogram through the store's
observer hook (store/client.py), and every HTTP request passes `HttpMetrics`, which costs about two
microseconds a request (its histogram's children are looked up once per route and status class).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from time import perf_counter
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from footfall.collector.pipeline import ACCEPTED
from footfall.collector.rejection import Drop
from footfall.collector.routes import ASGIApp, Receive, Scope, Send
from footfall.collector.writer import DEAD_LETTER
from footfall.web.runtime import Runtime

STORE_OPERATIONS = ("query", "command", "insert")  # what store/client.py's observer is told
STATUS_CLASSES = {0: "none", 1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}  # none: the client left first
UNMATCHED = "unmatched"  # the route label of a request no route took (404s): never its raw path
# From an ingest request's half millisecond to a dashboard page's seconds.
HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STORE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Pipeline:
    """The ingest counters, the spool and the writer, read at each scrape (a prometheus_client Collector)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        counts = self.runtime.ingestor.counters.snapshot()
        spool, writer = self.runtime.spool, self.runtime.writer
        accepted = CounterMetricFamily("footfall_ingest_accepted", "Ingest requests stored, by kind.",
                                       labels=["kind"])
        for key in ACCEPTED.values():  # accepted.batches, accepted.replay_chunks, accepted.page_snapshots
            accepted.add_metric([key.removeprefix("accepted.")], counts.get(key, 0))
        dropped = CounterMetricFamily("footfall_ingest_dropped", "Ingest requests answered 202 but not "
                                      "stored, by reason.", labels=["reason"])
        for drop in Drop:
            dropped.add_metric([drop.value], counts.get(f"dropped.{drop.value}", 0))
        rejected = CounterMetricFamily("footfall_ingest_rejected", "Ingest requests refused, by reason: the "
                                       "status, or a finer reason (spool_full, 409.seq).", labels=["reason"])
        failures = CounterMetricFamily("footfall_writer_failures", "Failed segment inserts, by failure class "
                                       "(transient, permanent, unknown).", labels=["class"])
        for key, value in sorted(counts.items()):
            group, _, reason = key.partition(".")
            if group == "rejected":
                rejected.add_metric([reason], value)
            elif key.startswith("writer.failed."):
                failures.add_metric([key.removeprefix("writer.failed.")], value)
        events = CounterMetricFamily("footfall_ingest_events", "Events of accepted batches: stored, or set "
                                     "aside as invalid (the rest of the batch stored).", labels=["outcome"])
        events.add_metric(["accepted"], counts.get("accepted.rows", 0))
        events.add_metric(["invalid"], counts.get("dropped.invalid_event", 0))
        yield from (accepted, dropped, rejected, events, failures)
        yield GaugeMetricFamily("footfall_spool_bytes", "Bytes in the spool, sealed and open segments.",
                                value=spool.size)
        yield GaugeMetricFamily("footfall_spool_quota_bytes", "Spool size past which ingestion answers 503.",
                                value=spool.quota_bytes)
        yield GaugeMetricFamily("footfall_spool_sealed_segments", "Sealed segments waiting for the writer.",
                                value=len(spool.sealed()))
        yield GaugeMetricFamily("footfall_spool_dead_letter_segments", "Segments set aside in the dead-letter "
                                "folder until `footfall spool retry`.",
                                value=sum(1 for _ in (spool.directory / DEAD_LETTER).glob("*.seg")))
        yield GaugeMetricFamily("footfall_writer_lag_seconds", "Age of the oldest batch not yet in the store "
                                "(0 when none waits).", value=spool.lag())
        yield CounterMetricFamily("footfall_writer_segments_written", "Segments written to the store.",
                                  value=writer.written_segments)
        yield CounterMetricFamily("footfall_writer_dead_lettered", "Segments set aside since the start.",
                                  value=counts.get("writer.dead_lettered", 0))
        alerts = self.runtime.alerts
        yield CounterMetricFamily("footfall_alert_rounds", "Alert rounds this process finished (each checks "
                                  "the sites with enabled rules whose lease it holds).", value=alerts.rounds)
        sent = CounterMetricFamily("footfall_alert_notifications", "Alert deliveries by channel (webhook, email) "
                                   "and outcome (ok, failed).", labels=["channel", "outcome"])
        for (channel, outcome), value in sorted(alerts.sent.items()):
            sent.add_metric([channel, outcome], value)
        yield sent


class Metrics:
    """The app's registry and the metrics the request path and the store feed."""

    def __init__(self, runtime: Runtime) -> None:
        disable_created_metrics()  # the _created series double the output for what nobody reads
        self.registry = CollectorRegistry()
        self.http = Histogram("footfall_http_request_duration_seconds", "HTTP requests by route template and "
                              "status class, and how long they took; _count counts them.", ["route", "status"],
                              buckets=HTTP_BUCKETS, registry=self.registry)
        store_seconds = Histogram("footfall_store_query_duration_seconds", "Calls to ClickHouse by operation "
                                  "(query, command, insert), failed ones included.", ["operation"],
                                  buckets=STORE_BUCKETS, registry=self.registry)
        store_errors = Counter("footfall_store_query_errors", "Calls to ClickHouse that failed, by operation.",
                               ["operation"], registry=self.registry)
        self.store = {op: (store_seconds.labels(op), store_errors.labels(op)) for op in STORE_OPERATIONS}
        self.registry.register(Pipeline(runtime))
        ProcessCollector(registry=self.registry)  # CPU, memory, open file descriptors
        runtime.store_or_open().observer = self.observe_store

    def observe_store(self, operation: str, seconds: float, failed: bool) -> None:
        """The store's observer (store/client.py); runs on its threads, as prometheus_client allows."""
        latency, errors = self.store[operation]
        latency.observe(seconds)
        if failed:
            errors.inc()


async def scrape(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def routes() -> list[Route]:
    """GET /metrics, reading the app's Metrics from app.state (set by create_app)."""
    return [Route("/metrics", scrape)]


def template(scope: Scope, root: str, paths: frozenset[str]) -> str:
    """The request's route as declared (`/api/v1/sites/{site}/errors`), with the prefixes of the mounts
    it passed; an ingestion path as itself; UNMATCHED for anything no route took."""
    route = scope.get("route")  # set by Starlette's router
    if route is None:
        path = scope["path"]
        return path if path in paths else UNMATCHED
    mounted = scope.get("root_path", "")[len(root):]
    return mounted if isinstance(route, Mount) else mounted + route.path


class HttpMetrics:
    """Outermost ASGI layer: times every request into the HTTP histogram."""

    def __init__(self, app: ASGIApp, histogram: Histogram, paths: Iterable[str]) -> None:
        self.app = app
        self.histogram = histogram
        self.paths = frozenset(paths)  # served before the router (IngestLane): each path is its template
        self.children: dict[tuple[str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        root = scope.get("root_path", "")
        status = 0

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = perf_counter()
        try:
            await self.app(scope, receive, sending)
        except Exception:
            status = status or 500  # what the server answers
            raise
        finally:
            key = (template(scope, root, self.paths), status // 100)
            child = self.children.get(key)
            if child is None:
                child = self.children[key] = self.histogram.labels(key[0], STATUS_CLASSES.get(key[1], "none"))
            child.observe(perf_counter() - started)
