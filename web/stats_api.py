"""The stats API: `GET /api/v1/sites/{site}/stats?metrics=&by=&interval=&filter=&goal=&from=&to=&format=`,
chosen metrics as totals, broken down by one dimension or as a time series in the site's time zone,
in JSON or CSV; a goal's conversions, and custom events by name or property. analysis/stats.py
computes the answer; this module reads the request and encodes it.

`routes(store)` gives the route; `OPERATIONS` describes it for the OpenAPI document.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import stats
from footfall.collector.rejection import Rejected
from footfall.store import Store, sites
from footfall.web import dates
from footfall.web.operations import CSV, JSON, Answer, Operation, csv_download
from footfall.web.params import Day, Query, SitePath, days_asked, guarded, query_of, site_of

FILTER = ("dimension:operator:value, repeatable (all must hold); operator is, is_not, contains or pattern (* "
          "stands for one or more whole path segments); the value may hold commas and colons; dimension "
          "event (a custom event's name) narrows by=event and by=event_prop:KEY")
BY = ("One dimension to break the metrics down by: "
      + ", ".join((*stats.DIMENSIONS, stats.PATTERN, *stats.EVENT_DIMENSIONS))
      + "; by goal the metrics are a goal's, by event or event_prop:KEY (a custom event property) they are "
      "events and visitors")
BY_PATTERN = ("^(" + "|".join((*stats.DIMENSIONS, stats.PATTERN, "goal", "event"))
              + f"|event_prop:.{{1,{stats.MAX_PROP_KEY}}})$")


class StatsQuery(Query, kw_only=True):
    metrics: Annotated[list[Literal[*stats.ALL_METRICS]], Meta(min_length=1, description=(
        "Comma list of metrics; conversions, total_conversions and conversion_rate are a goal's (goal=ID or "
        "by=goal), events is counted by=event or by=event_prop:KEY"))]
    from_: Annotated[Day, Meta(description="First day in the site's time zone, inclusive; default 29 days ago")] \
        | None = msgspec.field(default=None, name="from")
    to: Annotated[Day, Meta(description="Last day in the site's time zone, inclusive; default today")] | None = None
    by: Annotated[str, Meta(pattern=BY_PATTERN, description=BY)] | None = None
    interval: Annotated[Literal[*stats.INTERVALS], Meta(description="A time series in the site's time zone, "
                                                                    "empty buckets included (not with by)")] \
        | None = None
    filter: Annotated[list[str], Meta(description=FILTER)] = []
    goal: Annotated[str, Meta(max_length=64, description=(
        "The id of the goal whose conversions are asked for (the Goals page lists them)"))] | None = None
    time_zone: Annotated[str, Meta(max_length=64, description="An IANA time zone in place of the site's")] \
        | None = None
    limit: Annotated[int, Meta(ge=1, le=stats.MAX_LIMIT, description="Rows of a breakdown")] = 100
    offset: Annotated[int, Meta(ge=0, le=stats.MAX_OFFSET, description="Rows of a breakdown to skip")] = 0
    format: Literal["json", "csv"] = "json"
    refusals = {"metrics": f"metrics must be among {', '.join(stats.ALL_METRICS)}",
                "by": f"by must be one of {', '.join((*stats.DIMENSIONS, stats.PATTERN, *stats.EVENT_DIMENSIONS))}"}


class Stats(msgspec.Struct):
    """`results` holds one object per row, keyed by `columns`: the dimension (or `time`, the bucket's
    local start in ISO 8601 with the zone's offset) and then each metric asked for."""

    site: str
    from_: Day = msgspec.field(name="from")
    to: Day
    time_zone: str
    columns: list[str]
    results: list[dict[str, Any]]


def zone_of(store: Store, site: str, asked: str | None) -> str:
    """The query's time zone, else the site's (UTC for a site without one)."""
    if asked:
        try:
            return sites.time_zone(asked)
        except ValueError as exc:
            raise Rejected(400, "time_zone", str(exc)) from None
    known = sites.load_all(store).get(site)
    return known.time_zone if known else "UTC"


def answer(store: Store, site: str, query: StatsQuery, filters: list[stats.Filter], first: date,
           last: date) -> dict[str, Any]:
    """The answer in the query's time zone, else the site's; a query the service refuses is a 400."""
    zone = zone_of(store, site, query.time_zone)
    try:
        return stats.stats(store, site, first, last, list(query.metrics), zone=zone, by=query.by,
                           interval=query.interval, filters=filters, limit=query.limit, offset=query.offset,
                           goal=query.goal)
    except stats.StatsError as exc:
        raise Rejected(400, exc.field, str(exc)) from None


async def site_stats(store: Store, request: Request) -> Response:
    site = site_of(request)
    query = query_of(request, StatsQuery)
    try:  # read whole: a filter's value may hold the commas query_of splits lists at
        filters = [stats.Filter.parse(raw) for raw in request.query_params.getlist("filter") if raw]
    except stats.StatsError as exc:
        raise Rejected(400, exc.field, str(exc)) from None
    first, last = (dates.clamped(day) for day in days_asked(request))
    found = await store.run(answer, store, site, query, filters, first, last)
    if query.format == "csv":
        name = f"footfall-{site}-stats-{found['from']}-{found['to']}.csv"
        return csv_download(found["columns"], found["results"], name)
    return Response(msgspec.json.encode(found), media_type=JSON)


def routes(store: Store) -> list[Route]:
    return [Route("/api/v1/sites/{site}/stats", guarded(partial(site_stats, store)))]


OPERATIONS = (
    Operation("get", "/api/v1/sites/{site}/stats",
              "Chosen metrics as totals, by one dimension or per hour, day, week or month in the site's time zone",
              {200: Answer("The rows (JSON, or CSV with format=csv)", Stats, also=(CSV,))},
              params=(SitePath, StatsQuery)),
)
