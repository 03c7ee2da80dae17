"""The days a query may ask for, shared by the API (`from` / `to`) and the dashboard's pages.

A date is read as an ISO date and kept between FIRST_DAY and LAST_DAY: ClickHouse's `Date`
columns (the per-day heatmap counts) hold 1970-01-01 to 2149-06-06, and Python's `date` ends at
9999-12-31, where adding the day that makes `to` inclusive overflows. Nothing is stored before
1970 (every row has the collector's clock), so `from=0001-01-01` and `to=9999-12-31`, the usual
ways of saying "everything", are clamped instead of refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from footfall.store.clock import EPOCH

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2099, 12, 31)


def clamped(day: date) -> date:
    """The day within FIRST_DAY..LAST_DAY."""
    return min(max(day, FIRST_DAY), LAST_DAY)


def parse_day(raw: str) -> date:
    """An ISO date (`YYYY-MM-DD`, anything after the tenth character ignored), not yet clamped;
    ValueError when it is none."""
    return date.fromisoformat(raw[:10])


def today(zone: str = "UTC") -> date:
    """The day it is now in the time zone."""
    return datetime.now(ZoneInfo(zone)).date()


def day_bounds(first: date, last: date, zone: str = "UTC") -> tuple[datetime, datetime]:
    """Inclusive local days of the time zone as the UTC instants the queries take: from the first
    day's local midnight to the one after the last day (both clamped, so the end never overflows,
    and never before 1970, where nothing is stored)."""
    first, last = clamped(first), clamped(last)
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return max(start, EPOCH), end
