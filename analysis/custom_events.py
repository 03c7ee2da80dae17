"""Custom events in a range: per event name, or per value of one of their properties, how many were
sent and by how many visitors. The stats query (analysis/stats.py) asks these for its `event` and
`event_prop:<key>` breakdowns, so the API, its CSV and the Goals page show the same numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from footfall.analysis import session_join
from footfall.store import Store
from footfall.store.clock import utc
from footfall.store.conditions import SITE_IN_RANGE

MAX_PROPERTY_KEYS = 50
# A custom event row as the stats query reads it (`p`, beside a page view's row): its page too.
ROWS = f"""
    SELECT session_id, visitor_id, time, path, toString(name) AS name, props
    FROM events WHERE {SITE_IN_RANGE} AND type = 'custom'"""
# What the breakdowns count over the rows of a key: events, then distinct visitors.
AGGREGATES = "count() AS events, uniqExact(p.visitor_id) AS visitors"


def value_sql(column: str, key_param: str) -> str:
    """A property's value as text: a string as it is, a number, boolean or null as its JSON
    (`49.9`, `true`, `null`); empty where the event has no such property."""
    key = f"{{{key_param}:String}}"
    return (f"multiIf(NOT JSONHas({column}, {key}), '', JSONType({column}, {key}) = 'String', "
            f"JSONExtractString({column}, {key}), JSONExtractRaw({column}, {key}))")


def key_sql(by: str, params: dict[str, Any]) -> str:
    """The breakdown's key over a custom event row `p`: its name (`event`) or the value of the
    property named after `event_prop:`."""
    if by == "event":
        return "p.name"
    params["event_prop"] = by.removeprefix("event_prop:")
    return value_sql("p.props", "event_prop")


def has_key_sql(by: str) -> str:
    """Rows without the property are left out of a breakdown by it."""
    return "1" if by == "event" else "JSONHas(p.props, {event_prop:String})"


def breakdown_sql(key: str, conditions: list[str], sessions: str | None) -> str:
    """One row per key: events and visitors, the custom event rows narrowed by `conditions`, joined to
    their session's facts (`s`) when a condition needs them."""
    return session_join.by_key(key, AGGREGATES, ROWS, conditions, sessions)


def property_keys(store: Store, site: str, start: datetime, end: datetime, name: str) -> list[str]:
    """The property keys the custom event `name` was sent with in [start, end), most used first."""
    sql = f"""
        SELECT key FROM events ARRAY JOIN JSONExtractKeys(props) AS key
        WHERE {SITE_IN_RANGE} AND type = 'custom' AND name = {{name:String}}
        GROUP BY key ORDER BY count() DESC, key LIMIT {MAX_PROPERTY_KEYS}"""
    found = store.rows(sql, {"site": site, "start": utc(start), "end": utc(end), "name": name})
    return [row[0] for row in found]
