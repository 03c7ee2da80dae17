"""The anomalies API: `GET /api/v1/sites/{site}/anomalies?from=&to=&grain=&kpi=&severity=&format=`, the
anomalies of the site's KPIs that touch the days asked for (in the site's time zone), each with its
expected band, severity and explanation, in JSON or CSV. analysis/anomalies computes them; this
module reads the request and encodes the answer.

`routes(store)` gives the route; `OPERATIONS` describes it for the OpenAPI document.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis.anomalies import found, kpis
from footfall.analysis.anomalies.detect import SEVERITIES
from footfall.store import Store, sites
from footfall.web import dates
from footfall.web.operations import CSV, JSON, Answer, Operation, csv_download
from footfall.web.params import DateRange, SitePath, days_asked, guarded, query_of, site_of, site_zone

LONGEST = {"hour": 35, "day": 400}  # days read at most at each grain: the last ones of the range
CSV_COLUMNS = ("id", "kpi", "scope", "start", "end", "direction", "observed", "expected", "low", "high", "change",
               "severity", "z", "p_value", "summary")


class AnomaliesQuery(DateRange, kw_only=True):
    grain: Annotated[Literal["hour", "day"], Meta(description=(
        "Buckets compared with the same hour of the week (hour) or day of the week (day) in earlier weeks"))] = "hour"
    kpi: Annotated[Literal[*kpis.KPIS], Meta(description="Only this KPI")] | None = None
    severity: Annotated[Literal[*SEVERITIES], Meta(description="The least severe shown")] = found.DEFAULT_SEVERITY
    format: Literal["json", "csv"] = "json"


class Anomalies(msgspec.Struct):
    """`anomalies` holds one object per anomaly: `kpi`, `scope` ({} for the site, or page, source or
    error_group), `start` and `end` (null while open), `observed` and `expected` with the band `low`..`high`,
    `change` (relative), `severity`, `z`, `p_value`, `explanation` (breakdowns, summary, new errors),
    `correlated` (ids of anomalies at the same time and place) and `points` (the series around it)."""

    grain: str
    from_: str = msgspec.field(name="from")
    to: str
    time_zone: str
    severity: str
    anomalies: list[dict[str, Any]]


def csv_rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per anomaly: its scope as `key=value` pairs, its explanation's summary."""
    return [{**a, "scope": " ".join(f"{k}={v}" for k, v in a["scope"].items()),
             "summary": a["explanation"]["summary"]} for a in answer["anomalies"]]


def checked_days(request: Request, grain: str) -> tuple[date, date]:
    """The days asked for, the last LONGEST[grain] of them when more (the answer's `from` says so)."""
    first, last = (dates.clamped(day) for day in days_asked(request))
    return max(first, last - timedelta(days=LONGEST[grain] - 1)), last


def patterns_of(store: Store, site: str) -> tuple[str, ...]:
    known = sites.load_all(store).get(site)
    return known.url_patterns if known else ()


def answer(store: Store, site: str, query: AnomaliesQuery, first: date, last: date, zone: str) -> dict[str, Any]:
    return found.anomalies(store, site, first, last, zone, query.grain, patterns_of(store, site), query.kpi,
                           query.severity)


async def site_anomalies(store: Store, request: Request) -> Response:
    site = site_of(request)
    query = query_of(request, AnomaliesQuery)
    first, last = checked_days(request, query.grain)
    result = await store.run(answer, store, site, query, first, last, site_zone(request))
    if query.format == "csv":
        name = f"footfall-{site}-anomalies-{result['from']}-{result['to']}.csv"
        return csv_download(CSV_COLUMNS, csv_rows(result), name)
    return Response(msgspec.json.encode(result), media_type=JSON)


def routes(store: Store) -> list[Route]:
    return [Route("/api/v1/sites/{site}/anomalies", guarded(partial(site_anomalies, store)))]


OPERATIONS = (
    Operation("get", "/api/v1/sites/{site}/anomalies",
              "Anomalies of the site's KPIs against their seasonal baseline, each explained",
              {200: Answer("The anomalies (JSON, or CSV with format=csv)", Anomalies, also=(CSV,))},
              params=(SitePath, AnomaliesQuery)),
)
