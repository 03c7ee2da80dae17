"""The API under /api/v1 (bearer tokens): stored counts, a visitor's erase and export, ingest stats; the health
check. `OPERATIONS` describes the routes for the OpenAPI document (web/openapi.py)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from footfall.collector.rejection import Counters, Rejected
from footfall.store import Store
from footfall.web import visitors
from footfall.web.operations import JSON, Answer, Operation
from footfall.web.params import DateRange, Day, SitePath, days_of, guarded, query_of, site_and_range, site_of
from footfall.web.version import version

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
VisitorId = Annotated[str, Meta(max_length=visitors.MAX_ID)]


class CountQuery(DateRange, kw_only=True):
    type: Literal[*COUNT_SOURCES] | None = None


class EventCount(msgspec.Struct):
    site: str
    type: str
    from_: Day = msgspec.field(name="from")
    to: Day
    count: int


class VisitorPath(msgspec.Struct):
    site: VisitorId
    visitor: Annotated[VisitorId, Meta(description="The visitor id: the one the site set with identify, or the "
                                                   "collector's daily hash")]


class Erased(msgspec.Struct):
    site: str
    visitor: str
    erased: dict[str, int]


class Exported(msgspec.Struct):
    """Times are ISO 8601 in UTC."""

    site: str
    visitor: str
    tables: dict[str, list[dict[str, Any]]]


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": version()})


async def events_count(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    kind = query_of(request, CountQuery).type
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
    days = days_of(request)
    answer = EventCount(site, kind or "all", days["from"], days["to"], total)
    return Response(msgspec.json.encode(answer), media_type=JSON)


def visitor_of(request: Request) -> tuple[str, str]:
    site, visitor = site_of(request), request.path_params["visitor"]
    try:
        visitors.check(site, visitor)
    except visitors.InvalidInput as exc:
        raise Rejected(400, exc.field, str(exc)) from None
    return site, visitor


async def visitor_erase(store: Store, request: Request) -> Response:
    """Delete every stored row of one visitor of the site (GDPR erasure)."""
    site, visitor = visitor_of(request)
    erased = await store.run(visitors.erase, store, site, visitor)
    return Response(msgspec.json.encode(Erased(site, visitor, erased)), media_type=JSON)


async def visitor_export(store: Store, request: Request) -> Response:
    """Every stored row of one visitor of the site, per table (GDPR access)."""
    site, visitor = visitor_of(request)
    return JSONResponse(await store.run(visitors.export, store, site, visitor))


async def ingest_stats(counters: Counters, request: Request) -> Response:
    """What this collector accepted, refused and dropped since it started, by reason."""
    return JSONResponse(counters.snapshot())


def routes(store: Store, counters: Counters) -> list[Route]:
    return [
        Route("/healthz", healthz),
        Route("/api/v1/sites/{site}/events/count", guarded(partial(events_count, store))),
        Route("/api/v1/sites/{site}/visitors/{visitor}", guarded(partial(visitor_erase, store)), methods=["DELETE"]),
        Route("/api/v1/sites/{site}/visitors/{visitor}/export", guarded(partial(visitor_export, store))),
        Route("/api/v1/ingest/stats", guarded(partial(ingest_stats, counters))),
    ]


OPERATIONS = (
    Operation("get", "/api/v1/sites/{site}/events/count", "Count stored events of one type (or all) in a date range",
              {200: Answer("The count", EventCount)}, params=(SitePath, CountQuery)),
    Operation("delete", "/api/v1/sites/{site}/visitors/{visitor}",
              "Erase every stored row of one visitor of the site, in every table (admin scope)",
              {200: Answer("Rows removed per table", Erased)}, params=(VisitorPath,)),
    Operation("get", "/api/v1/sites/{site}/visitors/{visitor}/export",
              "Every stored row of one visitor of the site, per table (admin scope)",
              {200: Answer("The visitor's rows; times are ISO 8601 in UTC", Exported)}, params=(VisitorPath,)),
    Operation("get", "/api/v1/ingest/stats",
              "This collector's accepted, refused and dropped counts since it started (needs a token valid for "
              "every site)", {200: Answer("Counts by outcome and reason", dict[str, int])}, errors=()),
)
