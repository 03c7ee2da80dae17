"""The stored session index: one row per session in `session_index`, recomputed as rows arrive.

Why stored: the list filters and sorts by duration, errors and frustration signals, and those
come from every event of a session (bursts of clicks, page cycles). Computed at query time they
cost about a second per 100,000 sessions in range; read from one row per session they cost tens
of milliseconds (bench/README.md, Replay). The writer calls `refresh` after each spool segment
with the sessions that segment touched, before the segment is deleted, so a crash replays the
segment and its refresh together; the newest computation of a session wins (ReplacingMergeTree
on `indexed`). The player's detail reads the same row, with every signal occurrence kept as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from footfall.analysis import signals
from footfall.replay.session_summary import SESSION_SPAN, summaries_sql
from footfall.store import Store

INDEX_TABLE = "session_index"
MIGRATION = 3  # store/migrations/0003_session_index.sql
_STORED = ("site, session_id, start, end, active_ms, pages, pageviews, clicks, errors, visitor, visitors, "
           "device, browser, has_replay, " + ", ".join(signals.SIGNALS) + ", signal_total, retention, occurrences")
_COMPUTED = ("{site:String}, session_id, fromUnixTimestamp64Milli(start_t, 'UTC'), "
             "fromUnixTimestamp64Milli(end_t, 'UTC'), active_ms, pages, pageviews, clicks, errors, visitor_id, "
             "visitors, device, browser, has_replay, " + ", ".join(f"length({name})" for name in signals.SIGNALS)
             + f", signal_total, retention, toJSONString(({', '.join(signals.SIGNALS)}))")
# JSON numbers, not strings, for the occurrences' 64-bit times and counts.
_SETTINGS = " SETTINGS output_format_json_quote_64bit_integers = 0"

# What the list and the detail read, in the order footfall.replay.session_summary.summary_of takes.
LISTED_COLUMNS = ("session_id, visitor, toUnixTimestamp64Milli(start) AS start_t, "
                  "toUnixTimestamp64Milli(end) AS end_t, active_ms, pages, pageviews, clicks, errors, device, browser, "
                  "has_replay, "
                  + ", ".join(signals.SIGNALS))


# The sessions with a page view on one day (`{day}`, its midnight, UTC).
_OF_DAY = "toDate(time) = toDate({day:DateTime64(3)})"


class Touched:
    """The sessions a spool segment holds rows of, per site, and the span of its receive times."""

    def __init__(self) -> None:
        self.sessions: dict[str, set[str]] = {}
        self.first_ms: dict[str, int] = {}
        self.last_ms: dict[str, int] = {}

    def add(self, site: str, session_id: str, received_ms: int) -> None:
        self.sessions.setdefault(site, set()).add(session_id)
        self.first_ms[site] = min(self.first_ms.get(site, received_ms), received_ms)
        self.last_ms[site] = max(self.last_ms.get(site, received_ms), received_ms)


def after_landing(store: Store, sessions: list[tuple[str, str, int]]) -> int:
    """The writer's hook (collector/writer.py): recompute the index rows of the sessions a segment
    touched; how many."""
    touched = Touched()
    for site, session_id, received_ms in sessions:
        touched.add(site, session_id, received_ms)
    return refresh(store, touched)


def refresh(store: Store, touched: Touched) -> int:
    """Recompute the index rows of the touched sessions; returns how many sessions were looked at.

    A session's rows are read from SESSION_SPAN before the segment's first receive time (its
    first page view cannot be older) to SESSION_SPAN after its last."""
    for site, ids in touched.sessions.items():
        lo = datetime.fromtimestamp(touched.first_ms[site] / 1000, UTC) - SESSION_SPAN
        hi = datetime.fromtimestamp(touched.last_ms[site] / 1000, UTC) + SESSION_SPAN
        recompute(store, site, sorted(ids), lo, hi)
    return sum(len(ids) for ids in touched.sessions.values())


def recompute(store: Store, site: str, ids: Iterable[str], lo: datetime, hi: datetime) -> None:
    """Index rows for these sessions of `site` from their rows in [lo, hi); a session without a page
    view there gets none (an erasure deletes its row first, web/visitors.py)."""
    ids = list(ids)
    if ids:
        _insert(store, "session_id IN {ids:Array(String)}", {"site": site, "ids": ids, "lo": lo, "hi": hi})


def rebuild(store: Store, sites: Mapping[str, Iterable[str]]) -> None:
    """Recompute these sessions from all their rows, whenever stored (after an erasure)."""
    for site, ids in sites.items():
        recompute(store, site, ids, datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


def backfill(store: Store) -> int:
    """Index every stored session, a day of page views at a time (a store from before the index
    existed); returns the days indexed. A session over two days is computed twice, the same both times."""
    days = store.rows("SELECT site, toDate(time) AS day FROM pageviews GROUP BY site, day ORDER BY site, day")
    for site, day in days:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        window = {"lo": start - SESSION_SPAN, "hi": start + timedelta(days=1) + SESSION_SPAN}
        _insert(store, _OF_DAY, {"site": site, "day": start, **window})
    return len(days)


def _insert(store: Store, chosen_where: str, params: dict[str, Any]) -> None:
    """Index rows for the sessions of `{site}` whose page views in [{lo}, {hi}) pass `chosen_where`."""
    store.command(f"INSERT INTO {INDEX_TABLE} ({_STORED}) SELECT {_COMPUTED} "
                  f"FROM ({summaries_sql(chosen_where)}){_SETTINGS}", params)
