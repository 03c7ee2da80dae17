"""The KPIs watched for anomalies, read from the store as series on a full grid of buckets: UTC hours,
or the site's local days. Per site: visitors, page views, bounce rate, JavaScript error rate; per
page (the site's URL patterns grouping paths; the most viewed PAGES_WATCHED): error rate, LCP, INP
and CLS at p75, rage and dead clicks; per source (the SOURCES_WATCHED largest): sessions; per error
group (the GROUPS_WATCHED most frequent): the share of page views with it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from footfall.analysis.anomalies.detect import STEP, WEEKS, Grain, Kind, Series
from footfall.store import Store
from footfall.store.clock import now, utc
from footfall.store.conditions import grouped_path

PAGES_WATCHED = 50
SOURCES_WATCHED = 20
GROUPS_WATCHED = 20
VITALS = {"LCP": "lcp_p75", "INP": "inp_p75", "CLS": "cls_p75"}
# Each KPI: its kind, what it reads as, and the scopes it is watched in.
KPIS: dict[str, tuple[Kind, str, str]] = {
    "visitors": ("count", "visitors an hour or a day", "site"),
    "pageviews": ("count", "page views", "site"),
    "bounce_rate": ("rate", "sessions of one page view, of the sessions begun", "site"),
    "error_rate": ("rate", "page views with a JavaScript error, of the page views", "site, page"),
    "lcp_p75": ("value", "Largest Contentful Paint at p75, ms", "site, page"),
    "inp_p75": ("value", "Interaction to Next Paint at p75, ms", "site, page"),
    "cls_p75": ("value", "Cumulative Layout Shift at p75", "site, page"),
    "rage_clicks": ("count", "rage clicks", "site, page"),
    "dead_clicks": ("count", "dead clicks", "site, page"),
    "sessions": ("count", "sessions begun, by their source", "source"),
    "error_group_rate": ("rate", "page views with this error, of the page views", "error group"),
}
SOURCE = "multiIf(utm_source != '', toString(utm_source), referrer_host != '', toString(referrer_host), 'direct')"


@dataclass(frozen=True)
class Window:
    """The buckets read: WEEKS of history before the range asked for, then the range; `since` is the
    first bucket of the range."""

    grain: Grain
    zone: str
    start: datetime  # the first bucket's start (UTC)
    buckets: int
    since: int
    first_day: date  # day grain: the local date of bucket 0

    @classmethod
    def of(cls, grain: Grain, first: date, last: date, zone: str) -> Window:
        history = first - timedelta(weeks=WEEKS[grain])
        tz = ZoneInfo(zone)
        if grain == "day":
            start = utc(datetime.combine(history, datetime.min.time(), tz))
            return cls(grain, zone, start, (last - history).days + 1, (first - history).days, history)
        start = utc(datetime.combine(history, datetime.min.time(), tz)).replace(minute=0, second=0)
        end = utc(datetime.combine(last + timedelta(days=1), datetime.min.time(), tz))
        since = utc(datetime.combine(first, datetime.min.time(), tz))
        return cls(grain, zone, start, (end - start) // STEP["hour"], (since - start) // STEP["hour"], history)

    @property
    def end(self) -> datetime:
        if self.grain == "day":
            return utc(datetime.combine(self.first_day + timedelta(days=self.buckets), datetime.min.time(),
                                        ZoneInfo(self.zone)))
        return self.start + self.buckets * STEP["hour"]

    def params(self, site: str) -> dict[str, Any]:
        return {"site": site, "start": self.start, "end": self.end, "tz": self.zone,
                "origin": int(self.start.timestamp()), "first_day": self.first_day}

    def complete(self, at: datetime) -> int:
        """How many buckets have ended by `at`."""
        if self.grain == "day":
            local = at.astimezone(ZoneInfo(self.zone)).date()
            return max(0, min(self.buckets, (local - self.first_day).days))
        return max(0, min(self.buckets, int((at - self.start) // STEP["hour"])))

    @property
    def bucket(self) -> str:
        """SQL for a row's bucket index."""
        if self.grain == "day":
            return "toInt64(dateDiff('day', {first_day:Date}, toDate(time, {tz:String})))"
        return "intDiv(toInt64(toUnixTimestamp(time)) - {origin:Int64}, 3600)"


def series(store: Store, site: str, window: Window, patterns: tuple[str, ...] = ()) -> list[Series]:
    """Every watched KPI of the site in every scope, over the window."""
    params = window.params(site)
    page = grouped_path(patterns, params)
    range_ = "site = {site:String} AND time >= {start:DateTime64(3)} AND time < {end:DateTime64(3)}"
    grid = Grid(window)
    params["pages"] = [p for (p,) in store.rows(f"""
        SELECT {page} AS page FROM pageviews WHERE {range_} GROUP BY page
        ORDER BY count() DESC, page LIMIT {PAGES_WATCHED}""", params)]
    views = grid.frame()
    for b, page_, n, visitors in store.rows(f"""
            SELECT {window.bucket} AS b, {page} AS page, count(), uniqExact(visitor_id) FROM pageviews
            WHERE {range_} GROUP BY GROUPING SETS ((b), (b, page))
            HAVING page = '' OR page IN {{pages:Array(String)}}""", params):
        grid.put(views, (page_, "views"), b, n)
        if not page_:
            grid.put(views, ("", "visitors"), b, visitors)
    out = [grid.series("visitors", {}, "count", views.get(("", "visitors"))),
           grid.series("pageviews", {}, "count", views.get(("", "views")))]

    errors = grid.frame()
    for b, page_, n in store.rows(f"""
            SELECT {window.bucket} AS b, {page} AS page, uniqExact(pageview_id) FROM errors
            WHERE {range_} AND kind != 'console' GROUP BY GROUPING SETS ((b), (b, page))
            HAVING page = '' OR page IN {{pages:Array(String)}}""", params):
        grid.put(errors, page_, b, n)
    scopes = [("", {})] + [(p, {"page": p}) for p in params["pages"]]
    for key, scope in scopes:
        out.append(grid.series("error_rate", scope, "rate", errors.get(key), views.get((key, "views"))))

    vitals = grid.frame()
    for b, page_, name, p75, n in store.rows(f"""
            SELECT {window.bucket} AS b, {page} AS page, name, quantileExact(0.75)(value), count() FROM web_vitals
            WHERE {range_} AND name IN ('LCP', 'INP', 'CLS') GROUP BY GROUPING SETS ((b, name), (b, page, name))
            HAVING page = '' OR page IN {{pages:Array(String)}}""", params):
        grid.put(vitals, (page_, name, "p75"), b, p75)
        grid.put(vitals, (page_, name, "n"), b, n)
    for key, scope in scopes:
        for name, kpi in VITALS.items():
            if (key, name, "n") in vitals:
                out.append(grid.series(kpi, scope, "value", vitals[(key, name, "p75")], vitals[(key, name, "n")]))

    clicks = grid.frame()
    for b, page_, rage, dead in store.rows(f"""
            SELECT {window.bucket} AS b, {page} AS page, countIf(rage = 1), countIf(dead = 1) FROM events
            WHERE {range_} AND type = 'click' GROUP BY GROUPING SETS ((b), (b, page))
            HAVING page = '' OR page IN {{pages:Array(String)}}""", params):
        grid.put(clicks, (page_, "rage"), b, rage)
        grid.put(clicks, (page_, "dead"), b, dead)
    for key, scope in scopes:
        for kind in ("rage", "dead"):
            if (key, kind) in clicks:
                out.append(grid.series(f"{kind}_clicks", scope, "count", clicks[(key, kind)]))

    sessions = grid.frame()
    for b, source, n, bounced in store.rows(f"""
            SELECT b, source, count(), countIf(views = 1) FROM (
                SELECT {window.bucket.replace("time", "min(time)")} AS b, argMin({SOURCE}, time) AS source,
                       count() AS views
                FROM pageviews WHERE {range_} GROUP BY session_id)
            GROUP BY GROUPING SETS ((b), (b, source))""", params):
        grid.put(sessions, (source, "n"), b, n)
        if not source:
            grid.put(sessions, ("", "bounced"), b, bounced)
    if ("", "n") in sessions:
        out.append(grid.series("bounce_rate", {}, "rate", sessions[("", "bounced")], sessions[("", "n")]))
    biggest = sorted(((v.sum(), k[0]) for k, v in sessions.items() if k[0] and k[1] == "n"), reverse=True)
    for _, source in biggest[:SOURCES_WATCHED]:
        out.append(grid.series("sessions", {"source": source}, "count", sessions[(source, "n")]))

    groups = grid.frame()
    for b, fingerprint, n in store.rows(f"""
            SELECT {window.bucket} AS b, fingerprint, uniqExact(pageview_id) FROM errors
            WHERE {range_} AND kind != 'console' AND fingerprint IN (
                SELECT fingerprint FROM errors WHERE {range_} AND kind != 'console'
                GROUP BY fingerprint ORDER BY count() DESC, fingerprint LIMIT {GROUPS_WATCHED})
            GROUP BY b, fingerprint""", params):
        grid.put(groups, fingerprint, b, n)
    for fingerprint, counts in groups.items():
        out.append(grid.series("error_group_rate", {"error_group": fingerprint}, "rate", counts,
                               views.get(("", "views"))))
    return [s for s in out if s.observed.any() or (s.trials is not None and s.trials.any())]


class Grid:
    """Series on the window's buckets: frames of named arrays filled from query rows."""

    def __init__(self, window: Window) -> None:
        self.window = window

    def frame(self) -> dict[Any, np.ndarray]:
        return {}

    def put(self, frame: dict[Any, np.ndarray], key: Any, bucket: int, value: float) -> None:
        if 0 <= bucket < self.window.buckets:
            if key not in frame:
                frame[key] = np.zeros(self.window.buckets)
            frame[key][bucket] = value

    def series(self, kpi: str, scope: dict[str, str], kind: Kind, observed: np.ndarray | None,
               trials: Iterable[float] | None = None) -> Series:
        zeros = np.zeros(self.window.buckets)
        observed = zeros.copy() if observed is None else observed
        if kind == "count":  # a bucket still running holds part of its count: no data until it ends
            observed = observed.astype(float)
            observed[self.window.complete(now()):] = np.nan
        return Series(kpi, scope, kind, self.window.grain, self.window.start, observed,
                      None if trials is None and kind == "count" else np.asarray(zeros if trials is None else trials))
