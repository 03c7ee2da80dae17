"""The Overview page of a site: a date range, the totals against the previous period, charts, lists,
and the site's main funnel (its first saved funnel)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis.main_funnel import main_funnel
from footfall.analysis.overview import overview
from footfall.store import Store
from footfall.web import dates
from footfall.web.dashboard.charts import sparkline_points
from footfall.web.dashboard.render import page
from footfall.web.dashboard.sites_pages import site_or_404
from footfall.web.funnels_api import funnel_of
from footfall.web.params import DEFAULT_DAYS

PRESETS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90))


def chosen_range(request: Request) -> tuple[date, date, str | None]:
    """`from`/`to` (inclusive ISO dates) or `days`; a bad value falls back to the default, with a note.
    Days outside 1970..2099 are read as the nearest day of that window, as the API reads them
    (web/dates.py), and the range ends today at the latest."""
    today = datetime.now(UTC).date()
    query = request.query_params
    try:
        if query.get("from") or query.get("to"):
            first = dates.parse_day(query.get("from") or str(today - timedelta(days=DEFAULT_DAYS - 1)))
            last = dates.parse_day(query.get("to") or str(today))
            if last < first:
                raise ValueError
            first, last = dates.clamped(first), dates.clamped(last)
            return first, max(first, min(last, today)), None
        days = max(1, min(3650, int(query.get("days") or DEFAULT_DAYS)))
    except ValueError:
        note = "That date range could not be read; showing the last 30 days."
        return today - timedelta(days=DEFAULT_DAYS - 1), today, note
    return today - timedelta(days=days - 1), today, None


def routes(store: Store) -> list[Route]:
    async def overview_page(request: Request) -> Response:
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

    return [Route("/sites/{key}/overview", overview_page)]
