"""Page-load performance of one page (a path or a pattern) from real visits: Web Vitals at p50, p75
and p95 with the share of good, needs-improvement and poor ratings (the ratings the web-vitals
library gave in the browser, by its thresholds), the navigation phases at the median and p75, the
share of page views with a JavaScript error, and the slowest resources. Quantiles are exact
(ClickHouse's quantileExact: the value at position floor(q * n) of the sorted values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from collector.store import Store

from .overview import utc
from .pages import on_path

VITALS = ("TTFB", "FCP", "LCP", "INP", "CLS")
PHASES = ("redirect", "dns", "connect", "tls", "request", "download", "dom", "load")
RESOURCES_LISTED = 10


def scope_params(site: str, start: datetime, end: datetime, url: str, device: str | None) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"site": site, "start": utc(start), "end": utc(end)}
    condition = (f"site = {{site:String}} AND {on_path(url, params)}"
                 " AND time >= {start:DateTime64(3)} AND time < {end:DateTime64(3)}")
    if device:
        condition += " AND device = {device:String}"
        params["device"] = device
    return condition, params


def performance(store: Store, site: str, start: datetime, end: datetime, url: str,
                device: str | None = None) -> dict[str, Any]:
    condition, params = scope_params(site, start, end, url, device)
    views = int(store.scalar(f"SELECT count() FROM pageviews WHERE {condition}", params) or 0)
    vitals = {name: {"count": 0, "p50": None, "p75": None, "p95": None, "good": None, "needs_improvement": None,
                     "poor": None} for name in VITALS}
    for name, n, (p50, p75, p95), good, middling, poor in store.rows(f"""
            SELECT name, count(), quantilesExact(0.5, 0.75, 0.95)(value), countIf(rating = 'good'),
                   countIf(rating = 'needs-improvement'), countIf(rating = 'poor')
            FROM web_vitals WHERE {condition} GROUP BY name""", params):
        vitals[name] = {"count": n, "p50": round(p50, 4), "p75": round(p75, 4), "p95": round(p95, 4),
                        "good": round(good / n, 4), "needs_improvement": round(middling / n, 4),
                        "poor": round(poor / n, 4)}
    quantiles = ", ".join(f"quantilesExact(0.5, 0.75)({phase})" for phase in PHASES)
    [(timed, *phases)] = store.rows(f"SELECT count(), {quantiles} FROM page_timings WHERE {condition}", params)
    navigation = {phase: {"median": round(q[0], 1), "p75": round(q[1], 1)} if timed else None
                  for phase, q in zip(PHASES, phases, strict=True)}
    with_error = int(store.scalar(f"""
        SELECT uniqExact(pageview_id) FROM errors WHERE {condition} AND kind != 'console'""", params) or 0)
    params["listed"] = RESOURCES_LISTED
    slowest = [{"url": url_, "kind": kind, "count": n, "p75_ms": round(p75, 1), "median_ms": round(p50, 1),
                "transfer_size": int(size)}
               for url_, kind, n, (p50, p75), size in store.rows(f"""
        SELECT url, kind, count(), quantilesExact(0.5, 0.75)(duration) AS q, avg(transfer_size)
        FROM resources WHERE {condition}
        GROUP BY url, kind ORDER BY q[2] DESC, url LIMIT {{listed:UInt32}}""", params)]
    return {"url": url, "pageviews": views, "vitals": vitals, "navigation": {"timed": timed, "phases": navigation},
            "errors": {"pageviews_with_error": with_error,
                       "error_rate": round(with_error / views, 4) if views else None},
            "slowest_resources": slowest}
