"""Performance: the most viewed pages and patterns with their vitals' p75 and error rate, and one
of them in detail, from real visits: its Web Vitals with their ratings, the navigation phases as a waterfall, the
daily trend of the vitals' p75, its slowest resources and its JavaScript error rate (a link to its
error groups)."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.analysis import heatmaps, performance
from footfall.store import Store
from footfall.store.vocabulary import page_path
from footfall.web.dashboard.charts import (
    TREND_HEIGHT,
    TREND_WIDTH,
    WATERFALL_BOX,
    WATERFALL_LABEL,
    WATERFALL_WIDTH,
    trend_points,
    waterfall,
)
from footfall.web.dashboard.context import site_range
from footfall.web.dashboard.labels import DEVICE_LABELS, PHASE_LABELS, VITAL_LABELS
from footfall.web.dashboard.render import page

TRENDED = ("LCP", "INP", "TTFB")


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
    found = await store.run(performance.performance, store, site.key, start, end, url, device or None)
    days = found["trend"]
    trends = {name: {"points": trend_points([d[name]["p75"] if d[name] else None for d in days]),
                     "top": max((d[name]["p75"] for d in days if d[name]), default=None)} for name in TRENDED}
    for row in pages:
        row["link"] = f"/sites/{site.key}/performance?" + urlencode({"url": row["page"], "device": device,
                                                                     **view.span})
    errors = f"/sites/{site.key}/errors?" + urlencode({"url": url, **view.span})
    return page(request, "performance.html", **view.shown, pages=pages, url=url,
                device=device, devices=DEVICE_LABELS, perf=found, phase_labels=PHASE_LABELS,
                vital_labels=VITAL_LABELS, bars=waterfall(found["navigation"]["phases"]), trends=trends,
                days=days, errors_link=errors, trend_width=TREND_WIDTH,
                box={"label": WATERFALL_LABEL, "bars": WATERFALL_WIDTH, "width": WATERFALL_BOX},
                trend_height=TREND_HEIGHT)


def routes(store: Store) -> list[Route]:
    return [Route("/sites/{key}/performance", partial(performance_page, store))]
