"""The performance API under /api/v1 (bearer tokens or a dashboard login).

- `GET /api/v1/sites/{site}/performance?url=&device=&from=&to=`: Web Vitals percentiles with their
  ratings, the navigation phases, the error rate and the slowest resources of one page
  (analysis/performance.py).
- `GET /api/v1/sites/{site}/performance/pages?device=&from=&to=`: the most viewed pages (the site's
  URL patterns grouping their paths) with their vitals' p75 and poor share and error rate.
- `GET /api/v1/sites/{site}/errors?url=&console=&limit=`: JavaScript errors grouped by fingerprint
  (analysis/errors.py).

`routes(store)` gives the routes; `openapi_paths()` their OpenAPI path entries.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import errors, heatmaps, pages, performance
from footfall.collector.rejection import Rejected
from footfall.store import Store, sites
from footfall.web.params import days_of, guarded, site_and_range


def pages_of(store: Store, site: str, start: datetime, end: datetime, device: str | None) -> list[dict[str, Any]]:
    known = sites.load_all(store).get(site)  # its URL patterns, as the site's settings have them now
    return performance.slowest_pages(store, site, start, end, known.url_patterns if known else (), device)


def device_param(request: Request) -> str | None:
    device = request.query_params.get("device") or None
    if device is not None and device not in heatmaps.DEVICES:
        raise Rejected(400, "device", f"device must be one of {', '.join(heatmaps.DEVICES)}")
    return device


async def page_performance(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    url = request.query_params.get("url", "")
    if not url:
        raise Rejected(400, "url", "url is required: a path, or a pattern where * stands for path segments")
    if len(url) > heatmaps.MAX_URL:
        raise Rejected(400, "url", f"url is at most {heatmaps.MAX_URL} characters")
    device = device_param(request)
    found = await store.run(performance.performance, store, site, start, end, pages.page_path(url), device)
    return Response(msgspec.json.encode(found), media_type="application/json")


async def error_groups(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    url = request.query_params.get("url") or None
    if url is not None and len(url) > heatmaps.MAX_URL:
        raise Rejected(400, "url", f"url is at most {heatmaps.MAX_URL} characters")
    raw = request.query_params.get("limit") or "50"
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= errors.MAX_LIMIT:
        raise Rejected(400, "limit", f"limit must be 1 to {errors.MAX_LIMIT}")
    console = request.query_params.get("console") in ("true", "1")
    found = await store.run(errors.grouped_errors, store, site, start, end,
                            pages.page_path(url) if url else None, console, int(raw))
    span = days_of(start, end)
    for group in found["errors"]:  # the sessions that had it, and those of them recorded for replay
        group["sessions_url"] = f"/api/v1/sites/{site}/sessions?" + urlencode(
            {"error": group["fingerprint"], **span})
        group["replays_url"] = group["sessions_url"] + "&has_replay=true"
    return Response(msgspec.json.encode(found), media_type="application/json")


async def pages_performance(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    device = device_param(request)
    found = await store.run(pages_of, store, site, start, end, device)
    return Response(msgspec.json.encode({"pages": found}), media_type="application/json")


def routes(store: Store) -> list[Route]:
    return [Route("/api/v1/sites/{site}/performance", guarded(partial(page_performance, store))),
            Route("/api/v1/sites/{site}/performance/pages", guarded(partial(pages_performance, store))),
            Route("/api/v1/sites/{site}/errors", guarded(partial(error_groups, store)))]


def openapi_paths() -> dict[str, Any]:
    """The OpenAPI 3.1 path entries of these routes (merged into web/api.py's document)."""
    params = [
        {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "url", "in": "query", "required": True, "schema": {"type": "string"},
         "description": "A path, or a pattern where * stands for one or more whole path segments"},
        {"name": "device", "in": "query", "schema": {"type": "string", "enum": list(heatmaps.DEVICES)},
         "description": "One device class; all when absent"},
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
    ]
    listed = [params[0], {**params[1], "required": False, "description": "Only this page (path or pattern)"},
              *params[3:], {"name": "console", "in": "query", "schema": {"type": "boolean", "default": False},
                            "description": "Count console.error messages too"},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                          "maximum": errors.MAX_LIMIT, "default": 50}}]
    return {"/api/v1/sites/{site}/performance": {"get": {
        "summary": "A page's Web Vitals, navigation phases, error rate and slowest resources",
        "parameters": params,
        "responses": {"200": {"description": "The page's performance"},
                      "400": {"description": "A bad parameter, named in the body"}}}},
            "/api/v1/sites/{site}/performance/pages": {"get": {
                "summary": "The most viewed pages (or URL patterns) with their vitals' p75, poor share and error rate",
                "parameters": [params[0], *params[2:]],
                "responses": {"200": {"description": "The pages, most viewed first"},
                              "400": {"description": "A bad parameter, named in the body"}}}},
            "/api/v1/sites/{site}/errors": {"get": {
                "summary": "JavaScript errors grouped by fingerprint, most frequent first",
                "parameters": listed,
                "responses": {"200": {"description": "The error groups"},
                              "400": {"description": "A bad parameter, named in the body"}}}}}
