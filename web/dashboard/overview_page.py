"""The Overview page of a site: a date range, the totals against the previous period, charts, lists,
and the site's main funnel (its first saved funnel)."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis.main_funnel import main_funnel
from footfall.analysis.overview import overview
from footfall.store import Store
from footfall.web.dashboard.charts import sparkline_points
from footfall.web.dashboard.context import site_range
from footfall.web.dashboard.render import page
from footfall.web.funnels_api import funnel_of

PRESETS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90))


async def overview_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    data: dict[str, Any] = await store.run(overview, store, view.site.key, view.start, view.end)
    data["funnel"] = await store.run(main_funnel, store, view.site.key, view.start, view.end, funnel_of)
    charts = {name: sparkline_points([point[name] for point in data["series"]])
              for name in ("visitors", "sessions", "pageviews")}
    return page(request, "overview.html", **view.shown, data=data, charts=charts, presets=PRESETS,
                days=(view.last - view.first).days + 1,
                empty=data["totals"]["pageviews"]["value"] == 0 and data["totals"]["pageviews"]["previous"] == 0)


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/overview", partial(overview_page, store))]
