"""The Overview page of a site: a date range, the totals against the previous period, charts, lists,
and the site's main funnel (its first saved funnel)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis.main_funnel import main_funnel
from footfall.analysis.overview import overview
from footfall.analysis.stats import stats
from footfall.store import Store
from footfall.web.dashboard.charts import sparkline_points
from footfall.web.dashboard.context import site_range
from footfall.web.dashboard.render import page
from footfall.web.dashboard.trend_chart import default_interval, offered, trend_chart
from footfall.web.funnels_api import saved_funnel_of

PRESETS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90))
METRICS = {"visitors": "visitors", "pageviews": "page views"}  # the chart's metrics and their unit


def chart_of(store: Store, request: Request, site: Any, first: date, last: date) -> dict[str, Any]:
    """The chart's metric and interval (from the query, else the defaults), its geometry over the
    days and the previous days of the same length, in the site's time zone, and the switch links."""
    query = dict(request.query_params)
    days = (last - first).days + 1
    metric = query.get("metric") if query.get("metric") in METRICS else "visitors"
    interval = query.get("interval") if query.get("interval") in offered(days) else default_interval(days)

    def points(a: date, b: date) -> list[tuple[datetime, float]]:
        rows = stats(store, site.key, a, b, [metric], zone=site.time_zone, interval=interval)["results"]
        return [(datetime.fromisoformat(row["time"]), row[metric]) for row in rows]

    gap = timedelta(days=days)
    chart = trend_chart(points(first, last), points(first - gap, last - gap), interval, METRICS[metric])

    def link(**changes: str) -> str:
        return "?" + urlencode({**query, **changes})

    chart["metrics"] = [{"name": m, "label": unit.capitalize(), "href": link(metric=m), "current": m == metric}
                        for m, unit in METRICS.items()]
    chart["intervals"] = [{"name": i, "label": i.capitalize(), "href": link(interval=i), "current": i == interval}
                          for i in offered(days)]
    return chart


async def overview_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    data: dict[str, Any] = await store.run(overview, store, view.site.key, view.start, view.end)
    data["funnel"] = await store.run(main_funnel, store, view.site.key, view.start, view.end,
                                     partial(saved_funnel_of, store, view.site.key))
    charts = {name: sparkline_points([point[name] for point in data["series"]])
              for name in ("visitors", "sessions", "pageviews")}
    trend = await store.run(chart_of, store, request, view.site, view.first, view.last)
    return page(request, "overview.html", **view.shown, data=data, charts=charts, trend=trend, presets=PRESETS,
                days=(view.last - view.first).days + 1,
                empty=data["totals"]["pageviews"]["value"] == 0 and data["totals"]["pageviews"]["previous"] == 0)


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/overview", partial(overview_page, store))]
