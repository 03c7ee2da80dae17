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
from footfall.analysis.overview import TABLES, overview, table, vitals
from footfall.analysis.stats import Filter, stats
from footfall.store import Store
from footfall.web import dates
from footfall.web.dashboard import tables
from footfall.web.dashboard.context import site_range
from footfall.web.dashboard.filters import filter_state
from footfall.web.dashboard.render import page
from footfall.web.dashboard.tables import Column, Table
from footfall.web.dashboard.trend_chart import default_interval, offered, previous_first, trend_chart
from footfall.web.funnels_api import saved_funnel_of

PRESETS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90))
METRICS = {"visitors": "visitors", "pageviews": "page views"}  # the chart's metrics and their unit
METRIC_LABELS = {"visitors": "Visitors", "sessions": "Sessions", "pageviews": "Page views"}
# Table -> (title, its first column's label, what a visitor may have several of: its shares may pass 100%).
TABLE_TITLES = {
    "top_pages": ("Top pages", "Page", ""),
    "entry_pages": ("Entry pages", "Page", ""),
    "exit_pages": ("Exit pages", "Page", ""),
    "sources": ("Sources", "Source", "source"),
    "referrers": ("Referrers", "Referrer", "referrer"),
    "campaigns": ("Campaigns", "Campaign", "campaign"),
    "devices": ("Devices", "Device", "device"),
    "browsers": ("Browsers", "Browser", "browser"),
    "systems": ("Operating systems", "System", "operating system"),
}
FUNNEL_COLUMNS = (Column("step", "Step"), Column("label", "Page or event", "text"), Column("entered", "Entered"),
                  Column("conversion_from_start", "From the start", "share"),
                  Column("conversion_from_previous", "From the previous step", "share"))
VITAL_COLUMNS = (Column("metric", "Metric", "text"), Column("p75", "p75", "vital"), Column("count", "Samples"),
                 Column("good", "Good", "share"), Column("needs-improvement", "Needs improvement", "share"),
                 Column("poor", "Poor", "share"))


def chart_of(store: Store, request: Request, site: Any, first: date, last: date,
             filters: list[Filter]) -> dict[str, Any]:
    """The chart's metric and interval (from the query, else the defaults), its geometry over the
    days and the previous days of the same length, in the site's time zone, and the switch links."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("metric", "interval")]
    asked = request.query_params
    days = (last - first).days + 1
    metric = asked.get("metric") if asked.get("metric") in METRICS else "visitors"
    interval = asked.get("interval") if asked.get("interval") in offered(days) else default_interval(days)

    def points(a: date, b: date) -> list[tuple[datetime, float]]:
        rows = stats(store, site.key, a, b, [metric], zone=site.time_zone, interval=interval,
                     filters=filters)["results"]
        return [(datetime.fromisoformat(row["time"]), row[metric]) for row in rows]

    earlier = previous_first(first, days)
    before = points(earlier, first - timedelta(days=1)) if earlier else []
    chart = trend_chart(points(first, last), before, interval, METRICS[metric])

    def link(**changes: str) -> str:
        kept = {"metric": metric, "interval": interval, **changes}
        return "?" + urlencode([*query, *kept.items()])

    chart["metrics"] = [{"name": m, "label": unit.capitalize(), "href": link(metric=m), "current": m == metric}
                        for m, unit in METRICS.items()]
    chart["intervals"] = [{"name": i, "label": i.capitalize(), "href": link(interval=i), "current": i == interval}
                          for i in offered(days)]
    return chart


def tables_of(data: dict[str, Any]) -> list[Table]:
    """The page's tables, in the order it shows them, from the overview's numbers."""
    out = []
    for name, (title, label, several) in TABLE_TITLES.items():
        by, metrics = TABLES[name]
        columns = (Column(by, label, "text"), *(Column(m, METRIC_LABELS[m]) for m in metrics),
                   Column("share", "Share", "share"))
        out.append(Table(name, title, columns, data[name], dimension=by, overlap=several))
    vitals = [{"metric": name, **v} for name, v in data["vitals"].items()]
    out.append(Table("vitals", "Web Vitals (p75)", VITAL_COLUMNS, vitals, wide=True))
    return out


async def overview_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    state = filter_state(request)
    filters, zone = list(state.filters), view.site.time_zone
    wanted = tables.asked(request)
    if wanted is not None:
        return await download(store, view, wanted, zone, filters)
    data: dict[str, Any] = await store.run(overview, store, view.site.key, view.first, view.last, zone=zone,
                                           filters=filters)
    data["funnel"] = await store.run(main_funnel, store, view.site.key, view.start, view.end,
                            partial(saved_funnel_of, store, view.site.key))
    trend = await store.run(chart_of, store, request, view.site, view.first, view.last, filters)
    totals = data["totals"]
    today = dates.today(view.site.time_zone)
    open_anomalies = f"/sites/{view.site.key}/anomalies?" + urlencode(
        {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat(), "grain": "day"})
    return page(request, "overview.html", **view.shown, data=data, trend=trend, presets=PRESETS,
                open_anomalies=open_anomalies,
                tables=tables_of(data), state=state, days=(view.last - view.first).days + 1,
                empty=not filters and totals["pageviews"]["value"] == 0 and totals["pageviews"]["previous"] == 0)


async def download(store: Store, view: Any, name: str, zone: str, filters: list[Filter]) -> Response:
    """One table of the page as CSV, computed alone, from the same function as the page's table."""
    if name == "main_funnel":
        found = await store.run(main_funnel, store, view.site.key, view.start, view.end,
                            partial(saved_funnel_of, store, view.site.key))
        if not found:
            return tables.not_a_table(name)
        return tables.csv_response(Table(name, "Main funnel", FUNNEL_COLUMNS, found["steps"]), view.site.key,
                                   view.first.isoformat(), view.last.isoformat())
    if name == "vitals":
        rows = await store.run(vitals, store, view.site.key, view.first, view.last, zone, filters)
        data: dict[str, Any] = {"vitals": rows}
    elif name in TABLES:
        data = {name: await store.run(table, store, view.site.key, view.first, view.last, name, zone, filters),
                "vitals": {}}
    else:
        return tables.not_a_table(name)
    shown = next(t for t in tables_of({**{n: [] for n in TABLES}, **data}) if t.name == name)
    return tables.csv_response(shown, view.site.key, view.first.isoformat(), view.last.isoformat())


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/overview", partial(overview_page, store))]
