"""Page-load performance of one page (a path or a pattern) from real visits: Web Vitals at p50, p75
and p95 with the share of good, needs-improvement and poor ratings (the ratings the web-vitals
library gave in the browser, by its thresholds), the navigation phases at the median and p75, the
share of page views with a JavaScript error, the slowest resources, and the daily trend. Quantiles
are exact (ClickHouse's quantileExact: the value at position floor(q * n) of the sorted values).
The shapes here are shared with the per-step performance of funnels (funnel_performance.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from footfall.analysis.numbers import ratio
from footfall.store import Store
from footfall.store.clock import utc
from footfall.store.conditions import SITE_IN_RANGE, grouped_path, on_path
from footfall.store.vocabulary import VITALS, vital_rating

PHASES = ("redirect", "dns", "connect", "tls", "request", "download", "dom", "load")
RESOURCES_LISTED = 10
TREND_DAYS_MAX = 400
PAGES_LISTED = 20
PAGE_VITALS = ("LCP", "INP", "CLS", "TTFB")


def scope_params(site: str, start: datetime, end: datetime, url: str, device: str | None) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"site": site, "start": utc(start), "end": utc(end)}
    condition = f"{SITE_IN_RANGE} AND {on_path(url, params)}"
    if device:
        condition += " AND device = {device:String}"
        params["device"] = device
    return condition, params


def no_vitals() -> dict[str, dict[str, Any]]:
    return {name: {"count": 0, "p50": None, "p75": None, "p95": None, "good": None, "needs_improvement": None,
                   "poor": None, "p75_rating": None} for name in VITALS}


def rated(name: str, p75: float) -> str:
    """A page's rating by its p75, as Core Web Vitals assessments do; single page views keep the
    rating their browser gave."""
    return vital_rating(name, p75)


def vital(name: str, n: int, quantiles: Any, good: int, middling: int, poor: int) -> dict[str, Any]:
    """One vital's summary: its count, p50 / p75 / p95, the share of each rating, and the rating of
    its p75."""
    p50, p75, p95 = quantiles
    return {"count": n, "p50": round(p50, 4), "p75": round(p75, 4), "p95": round(p95, 4),
            "good": ratio(good, n), "needs_improvement": ratio(middling, n), "poor": ratio(poor, n),
            "p75_rating": rated(name, p75)}


def phase(timed: int, quantiles: Any) -> dict[str, float] | None:
    return {"median": round(quantiles[0], 1), "p75": round(quantiles[1], 1)} if timed else None


def resource(url: str, kind: str, n: int, quantiles: Any, size: float) -> dict[str, Any]:
    return {"url": url, "kind": kind, "count": n, "p75_ms": round(quantiles[1], 1), "median_ms": round(quantiles[0], 1),
            "transfer_size": int(size)}


def error_share(with_error: int, views: int) -> dict[str, Any]:
    return {"pageviews_with_error": with_error, "error_rate": ratio(with_error, views)}


def performance(store: Store, site: str, start: datetime, end: datetime, url: str,
                device: str | None = None, zone: str = "UTC") -> dict[str, Any]:
    """The page's performance over [start, end); its trend is per day of the time zone `zone`."""
    condition, params = scope_params(site, start, end, url, device)
    params["tz"] = zone
    views = int(store.scalar(f"SELECT count() FROM pageviews WHERE {condition}", params) or 0)
    vitals = no_vitals()
    for name, n, quantiles, good, middling, poor in store.rows(f"""
            SELECT name, count(), quantilesExact(0.5, 0.75, 0.95)(value), countIf(rating = 'good'),
                   countIf(rating = 'needs-improvement'), countIf(rating = 'poor')
            FROM web_vitals WHERE {condition} GROUP BY name""", params):
        vitals[name] = vital(name, n, quantiles, good, middling, poor)
    quantiles = ", ".join(f"quantilesExact(0.5, 0.75)({name})" for name in PHASES)
    [(timed, *phases)] = store.rows(f"SELECT count(), {quantiles} FROM page_timings WHERE {condition}", params)
    with_error = int(store.scalar(f"""
        SELECT uniqExact(pageview_id) FROM errors WHERE {condition} AND kind != 'console'""", params) or 0)
    params["listed"] = RESOURCES_LISTED
    slowest = [resource(*row) for row in store.rows(f"""
        SELECT url, kind, count(), quantilesExact(0.5, 0.75)(duration) AS q, avg(transfer_size)
        FROM resources WHERE {condition}
        GROUP BY url, kind ORDER BY q[2] DESC, url LIMIT {{listed:UInt32}}""", params)]
    return {"url": url, "pageviews": views, "vitals": vitals,
            "navigation": {"timed": timed, "phases": {name: phase(timed, q)
                                                       for name, q in zip(PHASES, phases, strict=True)}},
            "errors": error_share(with_error, views), "slowest_resources": slowest,
            "trend": trend(store, condition, params)}


def trend_of(store: Store, site: str, start: datetime, end: datetime, url: str, device: str | None = None,
             zone: str = "UTC") -> list[dict[str, Any]]:
    """The trend alone, for another range (the Performance chart's previous period)."""
    condition, params = scope_params(site, start, end, url, device)
    return trend(store, condition, {**params, "tz": zone})


def trend(store: Store, condition: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Per day with data, in the time zone `params["tz"]`: page views, and each vital's p75 with its
    count (None on a day without that vital)."""
    days: dict[str, dict[str, Any]] = {}
    for day, views in store.rows(f"""
            SELECT toDate(toTimeZone(time, {{tz:String}})) AS day, count() FROM pageviews WHERE {condition}
            GROUP BY day ORDER BY day LIMIT {TREND_DAYS_MAX}""", params):
        days[day.isoformat()] = {"day": day.isoformat(), "pageviews": views} | {name: None for name in VITALS}
    for day, name, n, p75 in store.rows(f"""
            SELECT toDate(toTimeZone(time, {{tz:String}})) AS day, name, count(), quantileExact(0.75)(value)
            FROM web_vitals WHERE {condition}
            GROUP BY day, name ORDER BY day LIMIT {TREND_DAYS_MAX * len(VITALS)}""", params):
        row = days.setdefault(day.isoformat(), {"day": day.isoformat(), "pageviews": 0} | {v: None for v in VITALS})
        row[name] = {"p75": round(p75, 4), "count": n}
    return [days[day] for day in sorted(days)]


def slowest_pages(store: Store, site: str, start: datetime, end: datetime, patterns: tuple[str, ...] = (),
                  device: str | None = None, limit: int = PAGES_LISTED) -> list[dict[str, Any]]:
    """The most viewed pages, a path matching one of the site's URL patterns counting towards the
    pattern: page views, the p75 and poor share of LCP, INP, CLS and TTFB, and the share of page
    views with a JavaScript error; to find the page worth a closer look."""
    params: dict[str, Any] = {"site": site, "start": utc(start), "end": utc(end), "limit": limit}
    page = grouped_path(patterns, params)
    condition = SITE_IN_RANGE
    if device:
        condition += " AND device = {device:String}"
        params["device"] = device
    found = store.rows(f"""
        SELECT {page} AS page, count() AS views FROM pageviews WHERE {condition}
        GROUP BY page ORDER BY views DESC, page LIMIT {{limit:UInt32}}""", params)
    if not found:
        return []
    pages = {name: {"page": name, "pattern": name in patterns, "pageviews": views, "error_rate": None}
             | {vital: None for vital in PAGE_VITALS} for name, views in found}
    params["pages"], params["vitals"] = list(pages), list(PAGE_VITALS)
    for name, vital_name, n, p75, poor in store.rows(f"""
            SELECT {page} AS page, name, count(), quantileExact(0.75)(value), countIf(rating = 'poor')
            FROM web_vitals WHERE {condition} AND name IN {{vitals:Array(String)}} AND page IN {{pages:Array(String)}}
            GROUP BY page, name""", params):
        pages[name][vital_name] = {"p75": round(p75, 4), "poor": ratio(poor, n), "count": n,
                                   "p75_rating": rated(vital_name, p75)}
    for name, with_error in store.rows(f"""
            SELECT {page} AS page, uniqExact(pageview_id) FROM errors
            WHERE {condition} AND kind != 'console' AND page IN {{pages:Array(String)}} GROUP BY page""", params):
        pages[name]["error_rate"] = ratio(with_error, pages[name]["pageviews"])
    for row in pages.values():
        row["error_rate"] = row["error_rate"] or 0.0
    return list(pages.values())
