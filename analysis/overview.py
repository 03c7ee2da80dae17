"""The numbers of the dashboard's Overview page, for one site, a range of its local days and the
filters clicked on, composed from `stats` (analysis/stats.py) so that every tile and table equals
what the stats API answers for the same question (docs/metrics.md defines each number):

- the totals of the range and of the period of the same length just before it, with the change;
- the JavaScript errors of the range: every non-console error, as the Errors page counts them,
  narrowed to the page views the filters keep;
- one table per dimension (top pages, entry and exit pages, sources, campaigns, devices,
  browsers, systems), each row with its share of the range's total of its first metric;
- the Web Vitals' p75 and the share of samples each rating holds, of the kept page views.

`overview(store, site, first, last, zone=..., filters=...)` answers with plain JSON-ready data; the
dashboard calls it off the event loop. The trend chart and the main funnel are the page's own.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from footfall.analysis.numbers import number, ratio
from footfall.analysis.stats import Filter, selected_pageviews, stats
from footfall.store import Store, vocabulary
from footfall.store.clock import EPOCH
from footfall.store.conditions import SITE_IN_RANGE

TOP = 10
FIRST_DAY = EPOCH.date()  # nothing is stored before
TOTALS = ["visitors", "sessions", "pageviews", "bounce_rate", "session_duration"]
# Table -> (the dimension it breaks down by, its metrics; the first ranks the rows and gives the share).
TABLES = {
    "top_pages": ("page", ["pageviews", "visitors"]),
    "entry_pages": ("entry_page", ["sessions"]),
    "exit_pages": ("exit_page", ["sessions"]),
    "sources": ("source", ["visitors"]),
    "referrers": ("referrer", ["visitors"]),
    "campaigns": ("utm_campaign", ["visitors"]),
    "devices": ("device", ["visitors"]),
    "browsers": ("browser", ["visitors"]),
    "systems": ("os", ["visitors"]),
}
# The vocabulary's vitals (store/vocabulary.py), the Core Web Vitals first as the Overview lists them.
VITALS = ("LCP", "INP", "CLS", "FCP", "TTFB")
RATINGS = vocabulary.RATINGS


def previous_days(first: date, last: date) -> tuple[date, date]:
    """The days of the same length just before `first` (from 1970 at the earliest)."""
    days = (last - first).days + 1
    return max(first - timedelta(days=days), FIRST_DAY), max(first - timedelta(days=1), FIRST_DAY)


def overview(store: Store, site: str, first: date, last: date, *, zone: str = "UTC",
             filters: list[Filter] | None = None) -> dict[str, Any]:
    """Everything the Overview page shows for the site's local days `first` to `last` (inclusive)."""
    filters = filters or []
    got = totals(store, site, first, last, zone, filters)
    before = previous_days(first, last)
    out: dict[str, Any] = {
        "site": site,
        "range": {"from": first.isoformat(), "to": last.isoformat(), "previous_from": before[0].isoformat(),
                  "previous_to": before[1].isoformat(), "time_zone": zone},
        "totals": got,
        "vitals": vitals(store, site, first, last, zone, filters),
    }
    for name in TABLES:
        out[name] = table(store, site, first, last, name, zone, filters, got)
    return out


def totals(store: Store, site: str, first: date, last: date, zone: str,
           filters: list[Filter]) -> dict[str, dict[str, Any]]:
    """Each headline number of the days and of the previous period, with the relative change."""
    if last < first:
        raise ValueError("last must not be before first")
    before = previous_days(first, last)
    now = stats(store, site, first, last, TOTALS, zone=zone, filters=filters)["results"][0]
    now["errors"] = errors(store, site, first, last, zone, filters)
    if first > FIRST_DAY:
        then = stats(store, site, *before, TOTALS, zone=zone, filters=filters)["results"][0]
        then["errors"] = errors(store, site, *before, zone, filters)
    else:  # nothing is stored before 1970
        then = {"visitors": 0, "sessions": 0, "pageviews": 0, "bounce_rate": None, "session_duration": None,
                "errors": 0}
    return {name: {"value": now[name], "previous": then[name], "change": change(now[name], then[name])}
            for name in now}


def table(store: Store, site: str, first: date, last: date, name: str, zone: str, filters: list[Filter],
          totals_of: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The TOP rows of one table, each with its share of the days' total of the table's first metric."""
    by, metrics = TABLES[name]
    rows = stats(store, site, first, last, metrics, zone=zone, by=by, filters=filters, limit=TOP)["results"]
    whole = (totals_of or totals(store, site, first, last, zone, filters))[metrics[0]]["value"]
    for row in rows:
        row["share"] = ratio(row[metrics[0]], whole)
    return rows


def errors(store: Store, site: str, first: date, last: date, zone: str, filters: list[Filter]) -> int:
    """Every JavaScript error of the days but console messages (the Errors page's total), of the page
    views the filters keep when there are filters."""
    params: dict[str, Any] = {}
    kept = selected_pageviews(site, first, last, zone, filters, params)
    narrowed = f" AND pageview_id IN ({kept})" if filters else ""
    return int(store.scalar(f"SELECT count() FROM errors WHERE {SITE_IN_RANGE} AND kind != 'console'{narrowed}",
                            params) or 0)


def vitals(store: Store, site: str, first: date, last: date, zone: str,
           filters: list[Filter]) -> dict[str, dict[str, Any]]:
    """Per metric: p75, sample count and the share of each rating (every metric, even without samples)."""
    out: dict[str, dict[str, Any]] = {
        name: {"p75": None, "count": 0, **{rating: None for rating in RATINGS}} for name in VITALS}
    params: dict[str, Any] = {"names": list(VITALS)}
    kept = selected_pageviews(site, first, last, zone, filters, params)
    narrowed = f" AND pageview_id IN ({kept})" if filters else ""
    sql = f"""
        SELECT name, quantileExactInclusive(0.75)(value), count(),
               countIf(rating = 'good'), countIf(rating = 'needs-improvement'), countIf(rating = 'poor')
        FROM web_vitals WHERE {SITE_IN_RANGE} AND name IN {{names:Array(String)}}{narrowed}
        GROUP BY name"""
    for name, p75, count, *rated in store.rows(sql, params):
        out[name] = {"p75": number(p75), "count": count,
                     **{rating: ratio(n, count) for rating, n in zip(RATINGS, rated, strict=True)}}
    return out


def change(current: float | None, previous: float | None) -> float | None:
    """The relative change, None when the previous value is 0 or undefined."""
    if current is None or not previous:
        return None
    return (current - previous) / previous
