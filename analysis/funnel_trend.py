"""A funnel's conversion over time: per local day, the units (sessions or visitors) whose counted
attempt started that day, and how many of them reached the last step. A unit counts on the day of
its first step, as funnels.py counts it for the whole range (its deepest attempt, the earliest of
equals), so the days' entrants add up to the range's first step and their conversions to its
last. Days are the time zone's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from footfall.analysis.funnels import Funnel, range_params, units_sql
from footfall.analysis.numbers import ratio
from footfall.store import Store


def trend(store: Store, site: str, start: datetime, end: datetime, f: Funnel,
          zone: str = "UTC") -> list[dict[str, Any]]:
    """Per local day with entrants, in day order: `day`, `entered`, `converted` and `conversion`."""
    params = range_params(site, start, end, f) | {"tz": zone}
    sql = f"""
        WITH units AS ({units_sql(f, params)})
        SELECT toDate(toTimeZone(fromUnixTimestamp64Milli(times[1], 'UTC'), {{tz:String}})) AS day, count(),
               countIf(level >= {len(f.steps)})
        FROM units GROUP BY day ORDER BY day"""
    return [{"day": day.isoformat(), "entered": entered, "converted": converted,
             "conversion": ratio(converted, entered)} for day, entered, converted in store.rows(sql, params)]
