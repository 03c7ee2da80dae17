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
from footfall.web import dates
from footfall.web.dashboard.charts import sparkline_points
from footfall.web.dashboard.context import chosen_range, site_or_404
from footfall.web.dashboard.render import page
from footfall.web.funnels_api import funnel_of

PRESETS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90))


async def overview_page(store: Store, request: Request) -> Response:
    site = site_or_404(request)
    if isinstance(site, Response):
        return site
    first, last, note = chosen_range(request)
    start, end = dates.day_bounds(first, last)
    data: dict[str, Any] = await store.run(overview, store, site.key, start, end)
    data["funnel"] = await store.run(main_funnel, store, site.key, start, end, funnel_of)
    charts = {name: sparkline_points([point[name] for point in data["series"]])
              for name in ("visitors", "sessions", "pageviews")}
    return page(request, "overview.html", site=site, data=data, charts=charts, first=first, last=last,
                note=note, presets=PRESETS, days=(last - first).days + 1,
                empty=data["totals"]["pageviews"]["value"] == 0 and data["totals"]["pageviews"]["previous"] == 0)


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/overview", partial(overview_page, store))]
