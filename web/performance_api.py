"""The performance API under /api/v1 (bearer tokens or a dashboard login).

- `GET /api/v1/sites/{site}/performance?url=&device=&from=&to=`: Web Vitals percentiles with their
  ratings, the navigation phases, the error rate and the slowest resources of one page
  (analysis/performance.py).
- `GET /api/v1/sites/{site}/performance/pages?device=&from=&to=`: the most viewed pages (the site's
  URL patterns grouping their paths) with their vitals' p75 and poor share and error rate.
- `GET /api/v1/sites/{site}/errors?url=&console=&limit=`: JavaScript errors grouped by fingerprint
  (analysis/errors.py).

`routes(store)` gives the routes; `OPERATIONS` describes them for the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import errors, heatmaps, performance
from footfall.store import Store, sites
from footfall.store.vocabulary import page_path
from footfall.web.operations import JSON, Answer, Operation
from footfall.web.params import (
    PAGE,
    URL_REQUIRED,
    DateRange,
    Refusal,
    SitePath,
    Switch,
    days_of,
    guarded,
    query_of,
    site_and_range,
    site_zone,
)

Url = Annotated[str, Meta(min_length=1, max_length=heatmaps.MAX_URL)]
Device = Annotated[Literal[*heatmaps.DEVICES], Meta(description="One device class; all when absent")]
TOO_LONG = f"url is at most {heatmaps.MAX_URL} characters"


class PageQuery(DateRange, kw_only=True):
    url: Annotated[Url, Meta(description=PAGE)]
    device: Device | None = None
    refusals = {"url": Refusal(TOO_LONG, missing=URL_REQUIRED)}


class PagesQuery(DateRange, kw_only=True):
    device: Device | None = None


class ErrorsQuery(DateRange, kw_only=True):
    url: Annotated[str, Meta(max_length=heatmaps.MAX_URL, description="Only this page (path or pattern)")] | None \
        = None
    limit: Annotated[int, Meta(ge=1, le=errors.MAX_LIMIT)] = 50
    console: Annotated[Switch, Meta(description="Count console.error messages too")] = False
    refusals = {"url": TOO_LONG, "limit": f"limit must be 1 to {errors.MAX_LIMIT}"}


def pages_of(store: Store, site: str, start: datetime, end: datetime, device: str | None) -> list[dict[str, Any]]:
    known = sites.load_all(store).get(site)  # its URL patterns, as the site's settings have them now
    return performance.slowest_pages(store, site, start, end, known.url_patterns if known else (), device)


async def page_performance(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    query = query_of(request, PageQuery)
    found = await store.run(performance.performance, store, site, start, end, page_path(query.url),
                            query.device, site_zone(request))
    return Response(msgspec.json.encode(found), media_type=JSON)


async def error_groups(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    query = query_of(request, ErrorsQuery)
    found = await store.run(errors.grouped_errors, store, site, start, end,
                            page_path(query.url) if query.url else None, query.console, query.limit)
    span = days_of(request)
    for group in found["errors"]:  # the sessions that had it, and those of them recorded for replay
        group["sessions_url"] = f"/api/v1/sites/{site}/sessions?" + urlencode(
            {"error": group["fingerprint"], **span})
        group["replays_url"] = group["sessions_url"] + "&has_replay=true"
    return Response(msgspec.json.encode(found), media_type=JSON)


async def pages_performance(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    device = query_of(request, PagesQuery).device
    found = await store.run(pages_of, store, site, start, end, device)
    return Response(msgspec.json.encode({"pages": found}), media_type=JSON)


def routes(store: Store) -> list[Route]:
    return [Route("/api/v1/sites/{site}/performance", guarded(partial(page_performance, store))),
            Route("/api/v1/sites/{site}/performance/pages", guarded(partial(pages_performance, store))),
            Route("/api/v1/sites/{site}/errors", guarded(partial(error_groups, store)))]


OPERATIONS = (
    Operation("get", "/api/v1/sites/{site}/performance",
              "A page's Web Vitals, navigation phases, error rate and slowest resources",
              {200: Answer("The page's performance")}, params=(SitePath, PageQuery)),
    Operation("get", "/api/v1/sites/{site}/performance/pages",
              "The most viewed pages (or URL patterns) with their vitals' p75, poor share and error rate",
              {200: Answer("The pages, most viewed first")}, params=(SitePath, PagesQuery)),
    Operation("get", "/api/v1/sites/{site}/errors", "JavaScript errors grouped by fingerprint, most frequent first",
              {200: Answer("The error groups")}, params=(SitePath, ErrorsQuery)),
)
