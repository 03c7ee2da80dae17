"""The stats query: chosen metrics for a site and a range of its local days, as totals, broken down by
one dimension, or as a time series in the site's time zone, narrowed by filters. One function,
`stats`, answers the API, its CSV and any table that shows the same numbers, so they cannot differ.

The metrics are the Overview's (docs/metrics.md), computed by one ClickHouse query per answer:
page views joined to their session's facts (entry and exit page, source, device, page view count and
duration), grouped by (key, session) and then by key, so a session's duration is counted once however
many of its page views a row has. docs/api.md describes the parameters and docs/metrics.md the numbers.
A goal's conversions (analysis/goals.py) and custom events (analysis/custom_events.py) are counted by
their own query over the same range, zone and filters, and joined to those rows by key.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from footfall.analysis import custom_events, goals, session_join
from footfall.analysis.numbers import RATIO_DIGITS, number, ratio
from footfall.store import Store, sites
from footfall.store import goals as stored_goals
from footfall.store.clock import EPOCH, utc
from footfall.store.conditions import SITE_IN_RANGE, grouped_path, step_regex

METRICS = ("visitors", "sessions", "pageviews", "bounce_rate", "session_duration", "views_per_session",
           "error_rate", "lcp_p75", "inp_p75", "cls_p75")  # of page views
GOAL_METRICS = ("conversions", "total_conversions", "conversion_rate")  # of the `goal` asked, or by goal
EVENT_METRICS = ("events", "visitors")  # by a custom event's name or property
ALL_METRICS = (*METRICS, *GOAL_METRICS, "events")
# The metrics a session's facts and its page views' keys and visitors answer (no errors, no vitals).
SESSION_METRICS = ("visitors", "sessions", "pageviews", "bounce_rate", "session_duration", "views_per_session")
VITAL_METRICS = {"lcp_p75": "LCP", "inp_p75": "INP", "cls_p75": "CLS"}
# Dimension -> its SQL over a page view row `p` joined to its session `s`. Only `page` is the page
# view's own; the others are the session's, from its first (entry) or last (exit) page view.
DIMENSIONS = {
    "page": "p.path",
    "entry_page": "s.entry_page",
    "exit_page": "s.exit_page",
    "referrer": "if(s.referrer = '', 'direct', s.referrer)",
    "source": "multiIf(s.utm_source != '', s.utm_source, s.referrer != '', s.referrer, 'direct')",
    "utm_source": "s.utm_source",
    "utm_medium": "s.utm_medium",
    "utm_campaign": "s.utm_campaign",
    "device": "s.device",
    "browser": "s.browser",
    "os": "s.os",
}
# The page as the site's page patterns group it (its settings: `/product/*`), else the path itself.
PATTERN = "pattern"
# Breakdowns counted over goal completions or custom events rather than page views; `event_prop:KEY`
# stands for any property key.
EVENT_DIMENSIONS = ("goal", "event", "event_prop:KEY")
EVENT_PROP = "event_prop:"
MAX_PROP_KEY = 128
# A filter's dimension -> its SQL; `event` (a custom event's name) narrows the custom event breakdowns.
FILTERABLE = {**DIMENSIONS, "event": "p.name"}
# Sessions without a campaign value are left out of a breakdown by it, as the Overview's list does.
UNSET_LEFT_OUT = ("utm_source", "utm_medium", "utm_campaign")
OPERATORS = ("is", "is_not", "contains", "pattern")
INTERVALS = ("hour", "day", "week", "month")
BUCKETS = {  # a page view's bucket, in the zone: epoch seconds of an hour, else a local Date
    "hour": "toUnixTimestamp(toStartOfHour(toTimeZone(p.time, {tz:String})))",
    "day": "toDate(toTimeZone(p.time, {tz:String}))",
    "week": "toMonday(toTimeZone(p.time, {tz:String}))",
    "month": "toStartOfMonth(toTimeZone(p.time, {tz:String}))",
}
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000

SESSION_FACTS = """
    SELECT cityHash64(session_id) AS session,
           argMinIf(path, time, is_pageview) AS entry_page, argMaxIf(path, time, is_pageview) AS exit_page,
           argMinIf(referrer_host, time, is_pageview) AS referrer,
           argMinIf(utm_source, time, is_pageview) AS utm_source,
           argMinIf(utm_medium, time, is_pageview) AS utm_medium,
           argMinIf(utm_campaign, time, is_pageview) AS utm_campaign,
           argMinIf(device, time, is_pageview) AS device, argMinIf(browser, time, is_pageview) AS browser,
           argMinIf(os, time, is_pageview) AS os, sum(is_pageview) AS pageviews,
           (toUnixTimestamp64Milli(max(time)) - toUnixTimestamp64Milli(min(time))) / 1000 AS seconds
    FROM ({rows})
    GROUP BY session
    HAVING pageviews > 0"""
SESSION_PAGEVIEWS = f"""
    SELECT session_id, time, 1 AS is_pageview, path, toString(referrer_host) AS referrer_host,
           toString(utm_source) AS utm_source, toString(utm_medium) AS utm_medium,
           toString(utm_campaign) AS utm_campaign, toString(device) AS device,
           toString(browser) AS browser, toString(os) AS os
    FROM pageviews WHERE {SITE_IN_RANGE}"""
# Interaction events lengthen a session as in the Overview; read only when its duration is asked for.
SESSION_EVENTS = f"SELECT session_id, time, 0, '', '', '', '', '', '', '', '' FROM events WHERE {SITE_IN_RANGE}"
VITALS = f"""
    SELECT pageview_id, groupArrayIf(value, name = 'LCP') AS lcp, groupArrayIf(value, name = 'INP') AS inp,
           groupArrayIf(value, name = 'CLS') AS cls
    FROM web_vitals WHERE {SITE_IN_RANGE} AND name IN ('LCP', 'INP', 'CLS') GROUP BY pageview_id"""
# Per metric, its aggregate over the (key, session) rows, in the order `measures` takes them.
AGGREGATES = {
    "visitors": "uniqExactArray(visitors)",
    "sessions": "count()",
    "pageviews": "sum(views)",
    "bounce_rate": "countIf(session_views = 1) / count()",
    "session_duration": "quantileExactInclusive(0.5)(seconds)",
    "error_rate": "sum(with_error) / sum(views)",
    "views_per_session": "sum(views) / count()",
    "lcp_p75": "quantileExactInclusiveArray(0.75)(lcp)",
    "inp_p75": "quantileExactInclusiveArray(0.75)(inp)",
    "cls_p75": "quantileExactInclusiveArray(0.75)(cls)",
}
WITH_ERROR = f"SELECT pageview_id FROM errors WHERE {SITE_IN_RANGE} AND kind != 'console'"


class StatsError(ValueError):
    """A query that cannot be answered; `field` names the parameter at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class Filter:
    dimension: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Filter:
        """`dimension:op:value`; the value may itself hold colons."""
        parts = text.split(":", 2)
        if len(parts) != 3:
            raise StatsError("filter", f"filter must be dimension:operator:value, not {text!r}")
        dimension, op, value = parts
        if dimension not in FILTERABLE:
            raise StatsError("filter", f"filter dimension must be one of {', '.join(FILTERABLE)}")
        if op not in OPERATORS:
            raise StatsError("filter", f"filter operator must be one of {', '.join(OPERATORS)}")
        return cls(dimension, op, value)

    def sql(self, i: int, params: dict[str, Any]) -> str:
        column = FILTERABLE[self.dimension]
        name = f"filter{i}"
        params[name] = step_regex(self.value) if self.op == "pattern" else self.value
        return {"is": f"{column} = {{{name}:String}}", "is_not": f"{column} != {{{name}:String}}",
                "contains": f"position({column}, {{{name}:String}}) > 0",
                "pattern": f"match({column}, {{{name}:String}})"}[self.op]


def day_range(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """Inclusive local days as the instants a query takes: the first day's local midnight to the
    one after the last day."""
    tz = ZoneInfo(zone)
    return datetime.combine(first, time(), tz), datetime.combine(last + timedelta(days=1), time(), tz)


def stats(store: Store, site: str, first: date, last: date, metrics: list[str], *, zone: str = "UTC",
          by: str | None = None, interval: str | None = None, filters: list[Filter] | None = None,
          limit: int = 100, offset: int = 0, goal: str | None = None) -> dict[str, Any]:
    """The metrics for the site's local days `first` to `last` (inclusive) in `zone`: one row of
    totals, one row per value of `by` (ranked by the first metric, then by the value), or one row per
    `interval` bucket holding part of the range, empty buckets included. Goal metrics are those of
    the goal with id `goal`, or of every goal with by=goal."""
    metrics, filters = list(dict.fromkeys(metrics)), filters or []
    check(metrics, by, interval, limit, offset)
    check_kind(metrics, by, filters, goal)
    try:
        zone = sites.time_zone(zone)
    except ValueError as exc:
        raise StatsError("time_zone", str(exc)) from None
    start, end = day_range(first, last, zone)
    params: dict[str, Any] = {"site": site, "start": max(utc(start), EPOCH), "end": utc(end), "tz": zone}
    chosen = goals_of(store, site, goal) if goal or by == "goal" else []
    head = {"site": site, "from": first.isoformat(), "to": last.isoformat(), "time_zone": zone}
    if by is not None and by not in DIMENSIONS and by != PATTERN:
        results = event_rows(store, metrics, by, filters, chosen, params, limit, offset)
        return {**head, "columns": [by, *metrics], "results": results}
    conditions = [f"p.{condition}" for condition in SITE_IN_RANGE.split(" AND ")]
    conditions += [f.sql(i, params) for i, f in enumerate(filters)]
    if by == PATTERN:
        known = sites.load_all(store).get(site)
        key = grouped_path(known.url_patterns if known else (), params, "p.path")
    elif by:
        key = DIMENSIONS[by]
        if by in UNSET_LEFT_OUT:
            conditions.append(f"{key} != ''")
    elif interval:
        key = BUCKETS[interval]
    else:
        key = "0"
    page_metrics = [m for m in metrics if m in METRICS] or ["visitors"]
    rows = store.rows(query(page_metrics, key, conditions, filters, by, ordered=bool(by)),
                      {**params, "limit": limit, "offset": offset})
    found = {row[0]: {"_visitors": row[1], **measures(metrics, *row[1:])} for row in rows}
    if any(m in GOAL_METRICS for m in metrics):
        converted = conversions_by_key(store, chosen, key, filters, params)
        for bucket in set(found) | set(converted):
            row = found.get(bucket) or {"_visitors": 0, **empty(metrics)}
            found[bucket] = with_conversions(row, converted.get(bucket))
    column = by or ("time" if interval else None)
    if by:
        results = [{by: value, **shown(metrics, row)} for value, row in found.items()]
    elif interval:
        results = [{"time": moment.isoformat(), **shown(metrics, found.get(bucket))}
                   for bucket, moment in buckets(interval, start, end, zone)]
    else:
        results = [shown(metrics, found.get(0))]
    return {**head, "columns": ([column] if column else []) + list(metrics), "results": results}


def goals_of(store: Store, site: str, goal: str | None) -> list[goals.Goal]:
    """The site's goals (the one with id `goal` when given), their steps read from their definitions."""
    listed = [goals.Goal(g.id, g.name, goals.step_of(g.definition)) for g in stored_goals.listed(store, site)
              if goal is None or g.id == goal]
    if goal is not None and not listed:
        raise StatsError("goal", f"no goal with id {goal!r} on this site: the Goals page lists them")
    return listed


def sessions_for(filters: list[Filter]) -> str | None:
    """The session facts a filter on a session's dimension needs, joined as `s`."""
    if all(f.dimension in ("page", "event") for f in filters):
        return None
    return SESSION_FACTS.format(rows=SESSION_PAGEVIEWS)


def conversions_by_key(store: Store, chosen: list[goals.Goal], key: str, filters: list[Filter],
                       params: dict[str, Any]) -> dict[Any, tuple[int, int]]:
    """Per key: the converting visitors and the conversions of the goals `chosen`."""
    if not chosen:
        return {}
    local = dict(params)
    conditions = [f.sql(i, local) for i, f in enumerate(filters)]
    sql = goals.conversions_sql(chosen, key, conditions, sessions_for(filters), local)
    return {row[0]: (int(row[1]), int(row[2])) for row in store.rows(sql, local)}


def with_conversions(row: dict[str, Any], converted: tuple[int, int] | None) -> dict[str, Any]:
    visitors, total = converted or (0, 0)
    return {**row, "conversions": visitors, "total_conversions": total,
            "conversion_rate": ratio(visitors, row["_visitors"]) if row["_visitors"] else None}


def shown(metrics: list[str], row: dict[str, Any] | None) -> dict[str, Any]:
    """The asked metrics of a row, in the order asked (an empty row where nothing was counted)."""
    if row is None:
        row = with_conversions({"_visitors": 0, **empty(metrics)}, None)
    return {m: row[m] for m in metrics}


def event_rows(store: Store, metrics: list[str], by: str, filters: list[Filter], chosen: list[goals.Goal],
               params: dict[str, Any], limit: int, offset: int) -> list[dict[str, Any]]:
    """The rows of a breakdown by goal (every goal, its name as the value) or by a custom event's
    name or property, ranked by the first metric, then by the value."""
    if by == "goal":
        converted = conversions_by_key(store, chosen, "p.goal", filters, params)
        everyone = stats_visitors(store, filters, params)
        rows = [{by: g.name, **shown(metrics, with_conversions({"_visitors": everyone}, converted.get(g.id)))}
                for g in chosen]
        rows.sort(key=lambda row: (-(row[metrics[0]] or 0), row[by]))
        return rows[offset:offset + limit]
    conditions = [f.sql(i, params) for i, f in enumerate(filters)]
    key = custom_events.key_sql(by, params)
    sql = custom_events.breakdown_sql(key, [*conditions, custom_events.has_key_sql(by)], sessions_for(filters))
    ranked = f"""
        SELECT key, events, visitors FROM ({sql})
        ORDER BY {metrics[0]} DESC, key LIMIT {{limit:UInt32}} OFFSET {{offset:UInt32}}"""
    found = store.rows(ranked, {**params, "limit": limit, "offset": offset})
    return [{by: row[0], **{m: int(row[1] if m == "events" else row[2]) for m in metrics}} for row in found]


def stats_visitors(store: Store, filters: list[Filter], params: dict[str, Any]) -> int:
    """Every visitor of the range under the filters: the conversion rate's denominator."""
    local = dict(params)
    conditions = [f"p.{condition}" for condition in SITE_IN_RANGE.split(" AND ")]
    conditions += [f.sql(i, local) for i, f in enumerate(filters)]
    rows = store.rows(query(["visitors"], "0", conditions, filters, None, ordered=False), local)
    return int(rows[0][1]) if rows else 0


def check_kind(metrics: list[str], by: str | None, filters: list[Filter], goal: str | None) -> None:
    """Which metrics, breakdowns and filters go together: goal metrics need a goal (or by=goal),
    custom events count by their name or property, and filter by event name only there."""
    goal_asked = [m for m in metrics if m in GOAL_METRICS]
    event_breakdown = by == "event" or (by or "").startswith(EVENT_PROP)
    if by == "goal":
        if any(m not in GOAL_METRICS for m in metrics):
            raise StatsError("metrics", f"by goal, the metrics are among {', '.join(GOAL_METRICS)}")
    elif event_breakdown:
        if any(m not in EVENT_METRICS for m in metrics):
            raise StatsError("metrics", f"by {by}, the metrics are among {', '.join(EVENT_METRICS)}")
    else:
        if "events" in metrics:
            raise StatsError("metrics", "events is counted by event or event_prop:KEY: add by=event")
        if goal_asked and not goal:
            raise StatsError("goal", f"{goal_asked[0]} is a goal's: name one with goal=ID, or ask by=goal")
        if goal_asked and by:
            raise StatsError("by", "a goal's conversions break down by goal or over an interval, not by " + by)
    if goal is not None and not (by == "goal" or (goal_asked and by is None)):
        raise StatsError("goal", f"goal names the goal of {', '.join(GOAL_METRICS)}")
    if any(f.dimension == "event" for f in filters) and not event_breakdown:
        raise StatsError("filter", "an event filter narrows by=event or by=event_prop:KEY")


def selected_pageviews(site: str, first: date, last: date, zone: str, filters: list[Filter],
                       params: dict[str, Any]) -> str:
    """The page views of the range that the filters keep, as an `IN` subquery for the tables that are
    not page views (errors, Web Vitals), so they narrow as the stats do; `params` takes its values."""
    start, end = day_range(first, last, zone)
    params.update({"site": site, "start": max(utc(start), EPOCH), "end": utc(end), "tz": zone})
    conditions = [f"p.{condition}" for condition in SITE_IN_RANGE.split(" AND ")]
    conditions += [f.sql(i, params) for i, f in enumerate(filters)]
    sessions = SESSION_FACTS.format(rows=SESSION_PAGEVIEWS)
    join = session_join.joined(sessions if any(f.dimension != "page" for f in filters) else None)
    return f"SELECT p.pageview_id FROM pageviews AS p {join} WHERE {' AND '.join(conditions)}"


def query(metrics: list[str], key: str, conditions: list[str], filters: list[Filter], by: str | None,
          ordered: bool) -> str:
    """The one query: page views in the range, joined to their session's facts and vitals only where
    the metrics, the dimension or a filter need them, grouped by (key, session), then by key. Sessions
    are keyed by a 64-bit hash of their id (and visitors counted by one), cheaper to join and group by.
    When neither the dimension nor a filter is the session's, the facts join the (key, session) groups
    instead of every page view: the same rows, joined after the page views are counted."""
    facts = "bounce_rate" in metrics or "session_duration" in metrics or (by or "page") not in ("page", PATTERN) \
        or any(f.dimension != "page" for f in filters)
    late = facts and (by or "page") in ("page", PATTERN) and all(f.dimension == "page" for f in filters)
    if late and all(m in SESSION_METRICS for m in metrics):
        return per_session(metrics, key, conditions, ordered)
    vitals = any(m in VITAL_METRICS for m in metrics)
    sessions = SESSION_FACTS.format(rows=SESSION_PAGEVIEWS + (
        f" UNION ALL {SESSION_EVENTS}" if "session_duration" in metrics else ""))
    no_samples = "[]::Array(Float64)"
    order = f"""
        ORDER BY ifNotFinite(round(toFloat64({AGGREGATES[metrics[0]]}), {RATIO_DIGITS}), 0) DESC, key
        LIMIT {{limit:UInt32}} OFFSET {{offset:UInt32}}"""
    early = facts and not late
    grouped = f"""
            SELECT {key} AS key, cityHash64(p.session_id) AS session,
                   groupArray(cityHash64(p.visitor_id)) AS visitors, count() AS views,
                   {"any(s.pageviews)" if early else "0"} AS session_views,
                   {"any(s.seconds)" if early else "0"} AS seconds,
                   {f"countIf(p.pageview_id IN ({WITH_ERROR}))" if "error_rate" in metrics else "0"} AS with_error,
                   {"groupArrayArray(v.lcp)" if vitals else no_samples} AS lcp,
                   {"groupArrayArray(v.inp)" if vitals else no_samples} AS inp,
                   {"groupArrayArray(v.cls)" if vitals else no_samples} AS cls
            FROM pageviews AS p
            {session_join.joined(sessions if early else None)}
            {f"LEFT JOIN ({VITALS}) AS v ON v.pageview_id = p.pageview_id" if vitals else ""}
            WHERE {" AND ".join(conditions)}
            GROUP BY key, session"""
    if late:
        grouped = f"""
            SELECT g.key AS key, g.visitors AS visitors, g.views AS views, s.pageviews AS session_views,
                   s.seconds AS seconds, g.with_error AS with_error, g.lcp AS lcp, g.inp AS inp, g.cls AS cls
            FROM ({grouped}) AS g
            INNER JOIN ({sessions}) AS s ON s.session = g.session"""
    return f"""
        SELECT key, {aggregates(metrics)}
        FROM ({grouped}
        )
        GROUP BY key {order if ordered else ""}"""


def aggregates(metrics: list[str]) -> str:
    """The aggregates of AGGREGATES' columns: NaN for a metric not asked, so its work is skipped (the
    visitors, sessions and page views are always counted: the rows and the ratios need them)."""
    return ", ".join(sql if m in metrics or m in ("visitors", "sessions", "pageviews") else "nan"
                     for m, sql in AGGREGATES.items())


def per_session(metrics: list[str], key: str, conditions: list[str], ordered: bool) -> str:
    """The query when the row is the page view's own (a page, a time bucket, the totals) and no metric
    needs a page view's errors or vitals: the range's page views (and events, for the duration) read
    once and grouped per session, its facts and its kept rows' keys and visitors gathered there, then
    a row per (key, session) expanded from those arrays (keys compared by a 64-bit hash, cheaper than
    paths): the numbers of the query with the facts joined, without reading the page views twice."""
    in_range, kept = conditions[:len(SITE_IN_RANGE.split(" AND "))], conditions[len(SITE_IN_RANGE.split(" AND ")):]
    events = f"""
                UNION ALL
                SELECT p.session_id, p.time, 0, 0, defaultValueOfArgumentType({key}), 0
                FROM events AS p WHERE {" AND ".join(in_range)}""" if "session_duration" in metrics else ""
    no_samples = "[]::Array(Float64)"
    order = f"""
        ORDER BY ifNotFinite(round(toFloat64({AGGREGATES[metrics[0]]}), {RATIO_DIGITS}), 0) DESC, key
        LIMIT {{limit:UInt32}} OFFSET {{offset:UInt32}}"""
    return f"""
        SELECT key, {aggregates(metrics)}
        FROM (
            SELECT keys[indexOf(hashes, hash)] AS key,
                   arrayDistinct(arrayFilter((v, h) -> h = hash, all_visitors, hashes)) AS visitors,
                   countEqual(hashes, hash) AS views, session_views, seconds, 0 AS with_error,
                   {no_samples} AS lcp, {no_samples} AS inp, {no_samples} AS cls
            FROM (
                SELECT cityHash64(r.session_id) AS session, sum(r.is_pageview) AS session_views,
                       (toUnixTimestamp64Milli(max(r.time)) - toUnixTimestamp64Milli(min(r.time))) / 1000 AS seconds,
                       groupArrayIf(r.key, r.kept) AS keys, arrayMap(k -> cityHash64(k), keys) AS hashes,
                       groupArrayIf(r.visitor, r.kept) AS all_visitors
                FROM (
                    SELECT p.session_id AS session_id, p.time AS time, toUInt8(1) AS is_pageview,
                           toUInt8({" AND ".join(kept) or "1"}) AS kept, {key} AS key,
                           cityHash64(p.visitor_id) AS visitor
                    FROM pageviews AS p WHERE {" AND ".join(in_range)}{events}
                ) AS r
                GROUP BY session
                HAVING notEmpty(keys)
            )
            ARRAY JOIN arrayDistinct(hashes) AS hash
        )
        GROUP BY key {order if ordered else ""}"""


def check(metrics: list[str], by: str | None, interval: str | None, limit: int, offset: int) -> None:
    if not metrics:
        raise StatsError("metrics", "metrics is required: one or more of " + ", ".join(METRICS))
    for metric in metrics:
        if metric not in ALL_METRICS:
            raise StatsError("metrics", f"metrics must be among {', '.join(ALL_METRICS)}, not {metric!r}")
    if by is not None and by not in (*DIMENSIONS, PATTERN, "goal", "event") and not prop_key_ok(by):
        raise StatsError("by", f"by must be one of {', '.join((*DIMENSIONS, PATTERN, *EVENT_DIMENSIONS))}")
    if interval is not None and interval not in INTERVALS:
        raise StatsError("interval", f"interval must be one of {', '.join(INTERVALS)}")
    if by and interval:
        raise StatsError("interval", "interval cannot be combined with by: ask for one or the other")
    if not 1 <= limit <= MAX_LIMIT:
        raise StatsError("limit", f"limit must be 1 to {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise StatsError("offset", f"offset must be 0 to {MAX_OFFSET}")


def prop_key_ok(by: str) -> bool:
    key = by.removeprefix(EVENT_PROP)
    return by.startswith(EVENT_PROP) and 0 < len(key) <= MAX_PROP_KEY


def measures(metrics: list[str], visitors: int, sessions: int, views: int, bounce_rate: float, median: float,
             error_rate: float, views_per_session: float, lcp: float, inp: float, cls: float) -> dict[str, Any]:
    """The asked metrics of one row, rounded as the Overview rounds them (None for no data)."""
    every = {"visitors": visitors, "sessions": sessions, "pageviews": views,
             "bounce_rate": ratio(bounce_rate, 1) if sessions else None,
             "session_duration": number(median) if sessions else None,
             "views_per_session": ratio(views_per_session, 1) if sessions else None,
             "error_rate": ratio(error_rate, 1) if views else None,
             "lcp_p75": number(lcp), "inp_p75": number(inp), "cls_p75": number(cls)}
    return {m: every[m] for m in metrics if m in every}


def empty(metrics: list[str]) -> dict[str, Any]:
    nan = float("nan")
    return measures(metrics, 0, 0, 0, nan, nan, nan, nan, nan, nan, nan)


def buckets(interval: str, start: datetime, end: datetime, zone: str) -> list[tuple[Any, datetime]]:
    """Every bucket holding part of [start, end): its key as the query gives it, and its local start."""
    tz = ZoneInfo(zone)
    out: list[tuple[Any, datetime]] = []
    if interval == "hour":
        first, stop = int(start.timestamp()), int(end.timestamp())  # local midnights: whole local hours
        return [(epoch, datetime.fromtimestamp(epoch, tz)) for epoch in range(first, stop, 3600)]
    day, last = start.date(), (end - timedelta(days=1)).date()
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    while day <= last:
        out.append((day, datetime.combine(day, time(), tz)))
        if interval == "day":
            day += timedelta(days=1)
        elif interval == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out
