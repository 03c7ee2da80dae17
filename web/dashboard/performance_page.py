"""Performance: the most viewed pages and patterns with their vitals' p75 and error rate, and one
of them in detail, from real visits: its Web Vitals with their ratings, the navigation phases as a waterfall, the
daily trend of the vitals' p75, its slowest resources and its JavaScript error rate (a link to its
error groups)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import heatmaps, performance
from footfall.store import Store
from footfall.store.vocabulary import page_path
from footfall.web.dashboard import tables
from footfall.web.dashboard.charts import WATERFALL_BOX, WATERFALL_LABEL, WATERFALL_WIDTH, waterfall
from footfall.web.dashboard.context import SiteRange, site_range
from footfall.web.dashboard.filters import filter_state
from footfall.web.dashboard.labels import DEVICE_LABELS, PHASE_LABELS, VITAL_LABELS
from footfall.web.dashboard.render import page
from footfall.web.dashboard.tables import Column, Table
from footfall.web.dashboard.trend_chart import Points, daily_points, previous_first, trend_chart
from footfall.web.dates import day_bounds

PAGE_VITALS = performance.PAGE_VITALS
TRENDED = ("LCP", "INP", "TTFB")  # the chart's metrics: timings, at p75


def duration_text(ms: float) -> str:
    """A timing as the page writes it elsewhere (formats.html `ms`): seconds from one second up."""
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{round(ms)} ms"


def chart_of(store: Store, request: Request, view: SiteRange, url: str, device: str | None,
             days: list[dict[str, Any]]) -> dict[str, Any]:
    """The chosen vital's p75 per local day of the range (a gap on a day without a sample), the
    previous days of the same length dotted behind, and the links that switch the vital."""
    asked = request.query_params.get("metric")
    metric = asked if asked in TRENDED else TRENDED[0]
    length, zone = (view.last - view.first).days + 1, view.site.time_zone

    def points(first: date, rows: list[dict[str, Any]]) -> Points:
        return daily_points(first, length, zone, {row["day"]: row[metric]["p75"] for row in rows if row[metric]})

    before: Points = []
    if (earlier := previous_first(view.first, length)) is not None:
        start, end = day_bounds(earlier, view.first - timedelta(days=1), zone)
        before = points(earlier, performance.trend_of(store, view.site.key, start, end, url, device, zone))
    chart = trend_chart(points(view.first, days), before, "day", f"{metric} at p75", fmt=duration_text)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "metric"]
    chart["metrics"] = [{"name": m, "label": m, "href": "?" + urlencode([*query, ("metric", m)]),
                         "current": m == metric} for m in TRENDED]
    chart["intervals"] = []
    return chart


def page_tables(pages: list[dict[str, Any]], perf: dict[str, Any]) -> dict[str, tables.Table]:
    """The page's tables as its CSV links download them: the same rows and columns as shown."""
    def p75(v: dict[str, Any] | None) -> float | None:
        return v["p75"] if v else None

    vital_cols = tuple(Column(f"{name.lower()}_p75", f"{name} p75", "ms") for name in PAGE_VITALS)
    listed = [{"page": p["page"], "pageviews": p["pageviews"], "error_rate": p["error_rate"],
               **{f"{name.lower()}_p75": p75(p[name]) for name in PAGE_VITALS}} for p in pages]
    vitals = [{"metric": name, **v} for name, v in perf["vitals"].items()]
    phases = [{"phase": name, "median_ms": p["median"] if p else None, "p75_ms": p["p75"] if p else None}
              for name, p in perf["navigation"]["phases"].items()] if perf["navigation"]["timed"] else []
    return {t.name: t for t in (
        Table("pages", "Most viewed pages", (Column("page", "Page", "text"), Column("pageviews", "Views"),
                                              *vital_cols, Column("error_rate", "JS errors", "share")), listed),
        Table("vitals", "Web Vitals", (Column("metric", "Metric", "text"), Column("count", "Measured"),
                                       Column("p50", "p50", "vital"), Column("p75", "p75", "vital"),
                                       Column("p95", "p95", "vital"), Column("good", "Good", "share"),
                                       Column("needs_improvement", "Needs improvement", "share"),
                                       Column("poor", "Poor", "share")), vitals),
        Table("phases", "How the page loads", (Column("phase", "Phase", "text"), Column("median_ms", "Median", "ms"),
                                               Column("p75_ms", "p75", "ms")), phases),
        Table("resources", "Slowest resources", (
            Column("url", "Resource", "text"), Column("kind", "Kind", "text"), Column("count", "Loads"),
            Column("median_ms", "Median", "ms"), Column("p75_ms", "p75", "ms"),
            Column("transfer_size", "Size (bytes)")), perf["slowest_resources"]),
    )}


async def performance_page(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    site, start, end = view.site, view.start, view.end
    device = request.query_params.get("device", "")
    device = device if device in heatmaps.DEVICES else ""
    pages = await store.run(performance.slowest_pages, store, site.key, start, end, site.url_patterns,
                            device or None)
    url = page_path(request.query_params.get("url") or (pages[0]["page"] if pages else "/"))
    found = await store.run(performance.performance, store, site.key, start, end, url, device or None,
                            site.time_zone)
    shown = page_tables(pages, found)
    wanted = tables.asked(request)
    if wanted is not None:
        if wanted not in shown:
            return tables.not_a_table(wanted)
        return tables.csv_response(shown[wanted], site.key, view.first.isoformat(), view.last.isoformat())
    trend = await store.run(chart_of, store, request, view, url, device or None, found["trend"])
    for row in pages:
        row["link"] = f"/sites/{site.key}/performance?" + urlencode({"url": row["page"], "device": device,
                                                                     **view.span})
    errors = f"/sites/{site.key}/errors?" + urlencode({"url": url, **view.span})
    return page(request, "performance.html", **view.shown, pages=pages, url=url,
                device=device, devices=DEVICE_LABELS, perf=found, phase_labels=PHASE_LABELS,
                vital_labels=VITAL_LABELS, bars=waterfall(found["navigation"]["phases"]), trend=trend,
                errors_link=errors, state=filter_state(request),
                box={"label": WATERFALL_LABEL, "bars": WATERFALL_WIDTH, "width": WATERFALL_BOX})


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/performance", partial(performance_page, store))]
