"""The read API under /api/v1 (bearer tokens), its OpenAPI document, and the health check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import TokenCache, require_site_access
from .ingest.rejection import Counters, Rejected
from .store import Store

# Event type -> (table, extra condition). Clicks, moves, scrolls and custom events share `events`.
COUNT_SOURCES = {
    "pageview": ("pageviews", ""),
    "click": ("events", "AND type = 'click'"),
    "move": ("events", "AND type = 'move'"),
    "scroll": ("events", "AND type = 'scroll'"),
    "custom": ("events", "AND type = 'custom'"),
    "nav": ("page_timings", ""),
    "vital": ("web_vitals", ""),
    "error": ("errors", ""),
    "res": ("resources", ""),
    "form": ("form_fields", ""),
    "replay": ("replay_chunks FINAL", ""),
}
DEFAULT_DAYS = 30


def date_range(request: Request) -> tuple[datetime, datetime]:
    """`from` and `to` are ISO dates, both inclusive; the default is the last 30 days."""
    today = datetime.now(UTC).date()

    def parse(name: str, default: date) -> date:
        raw = request.query_params.get(name)
        if not raw:
            return default
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            raise Rejected(400, name, f"{name} must be an ISO date (YYYY-MM-DD)") from None

    start = parse("from", today - timedelta(days=DEFAULT_DAYS - 1))
    end = parse("to", today)
    if end < start:
        raise Rejected(400, "to", "to is before from")
    return (
        datetime(start.year, start.month, start.day, tzinfo=UTC),
        datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1),
    )


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Rejected as exc:
            return JSONResponse(exc.body(), status_code=exc.status)

    return run


def routes(store: Store, tokens: TokenCache, counters: Counters) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def events_count(request: Request) -> Response:
        site = request.path_params["site"]
        await require_site_access(request, tokens, site)
        start, end = date_range(request)
        kind = request.query_params.get("type", "")
        if kind and kind not in COUNT_SOURCES:
            raise Rejected(400, "type", f"type must be one of {', '.join(COUNT_SOURCES)}")
        params = {"site": site, "start": start, "end": end}
        total = 0
        for name, (table, extra) in COUNT_SOURCES.items():
            if kind and name != kind:
                continue
            sql = (
                f"SELECT count() FROM {table} WHERE site = {{site:String}} "
                f"AND time >= {{start:DateTime64(3)}} AND time < {{end:DateTime64(3)}} {extra}"
            )
            total += int(await store.run(store.scalar, sql, params) or 0)
        return JSONResponse(
            {"site": site, "type": kind or "all", "from": start.date().isoformat(),
             "to": (end - timedelta(days=1)).date().isoformat(), "count": total}
        )

    async def ingest_stats(request: Request) -> Response:
        """What this collector accepted, refused and dropped since it started, by reason."""
        await require_site_access(request, tokens, "")
        return JSONResponse(counters.snapshot())

    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    return [
        Route("/healthz", healthz),
        Route("/api/openapi.json", openapi),
        Route("/api/v1/sites/{site}/events/count", guarded(events_count)),
        Route("/api/v1/ingest/stats", guarded(ingest_stats)),
    ]


_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Footfall API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
                "required": ["error", "field"],
            }
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/sites/{site}/events/count": {
            "get": {
                "summary": "Count stored events of one type (or all) in a date range",
                "parameters": [
                    {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "type", "in": "query", "schema": {"type": "string", "enum": list(COUNT_SOURCES)}},
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {
                    "200": {
                        "description": "The count",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {
                                "site": {"type": "string"}, "type": {"type": "string"},
                                "from": {"type": "string"}, "to": {"type": "string"},
                                "count": {"type": "integer"},
                            },
                        }}},
                    },
                    "400": _ERROR, "401": _ERROR, "403": _ERROR,
                },
            }
        },
        "/api/v1/ingest/stats": {
            "get": {
                "summary": "This collector's accepted, refused and dropped counts since it started "
                           "(needs a token valid for every site)",
                "responses": {
                    "200": {"description": "Counts by outcome and reason",
                            "content": {"application/json": {"schema": {
                                "type": "object", "additionalProperties": {"type": "integer"}}}}},
                    "401": _ERROR, "403": _ERROR,
                },
            }
        },
        "/i/v1/batch": {
            "post": {
                "summary": "Ingest a batch of events of one page view (see docs/wire-format.md)",
                "security": [],
                "responses": {"202": {"description": "Durable"}, "400": _ERROR, "403": _ERROR,
                              "413": _ERROR, "429": _ERROR, "503": _ERROR},
            }
        },
        "/i/v1/replay": {
            "post": {
                "summary": "Ingest a chunk of a session recording",
                "security": [],
                "responses": {"202": {"description": "Durable"}, "400": _ERROR, "403": _ERROR,
                              "413": _ERROR, "429": _ERROR, "503": _ERROR},
            }
        },
    },
}
