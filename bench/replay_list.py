"""Part 4 of the replay benchmark: the session list over 100,000 demo sessions in an embedded store,
next to bare queries over the same rows."""

from __future__ import annotations

import argparse
import inspect
import itertools
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .harness import BenchError
from .replay_data import (
    GOAL_LIST_MS,
    SHOP,
    SITE,
    speed_summary,
)

# -- part 4: the session list ---------------------------------------------------------------------

def session_list(ns: argparse.Namespace, report: dict[str, Any], progress: Callable[[str], None]) -> None:
    try:
        from footfall.replay import sessions as index
    except ImportError as exc:
        report["session_list"] = {"measured": False, "reason": f"footfall.replay.sessions cannot be imported: {exc}"}
        return
    params = inspect.signature(index.list_sessions).parameters
    if not {"store", "site", "start", "end", "filters"} <= set(params):
        report["session_list"] = {"measured": False,
                                  "reason": f"list_sessions{inspect.signature(index.list_sessions)} is not the "
                                            "expected (store, site, start, end, filters, ...)"}
        return
    from footfall.collector import writer
    from footfall.demo import journeys
    from footfall.replay import session_index
    from footfall.store import Store
    from footfall.store.migrations import migrate
    from footfall.web.demo import RETENTION_DAYS, encode

    progress(f"== part 4: {ns.list_sessions:,} demo sessions into an embedded store")
    block = 10_000
    with tempfile.TemporaryDirectory(prefix="footfall-bench-list-") as tmp:
        store = Store(f"chdb://{Path(tmp) / 'clickhouse'}")
        try:
            migrate(store)
            t0 = time.monotonic()
            indexing = 0.0
            source = journeys.generate(SITE, ns.list_sessions, ns.list_days)
            while chunk := list(itertools.islice(source, block)):
                payloads = [payload for payload, count in encode(chunk, RETENTION_DAYS) if count]
                writer.insert_frames(store, payloads, uuid.uuid4().hex)
                t1 = time.monotonic()
                session_index.after_landing(store, writer.sessions_of(payloads))
                indexing += time.monotonic() - t1
            generation = time.monotonic() - t0
            rows = {t: int(store.scalar(f"SELECT count() FROM {t}")) for t in ("pageviews", "events", "errors")}
            stored = int(store.scalar("SELECT uniqExact(session_id) FROM pageviews"))
            if stored != ns.list_sessions:
                raise BenchError(f"{stored} sessions stored of {ns.list_sessions} generated")
            progress(f"   {stored:,} sessions, {rows['pageviews']:,} page views, {rows['events']:,} events "
                     f"in {generation:.1f} s (indexing {indexing:.1f} s of it)")
            today = datetime.now(UTC).date()
            end = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
            start = end - timedelta(days=30)
            range_params = {"site": SITE, "start": start, "end": end}

            def listing(filters: Any, since: datetime = start) -> Callable[[], Any]:
                return lambda: index.list_sessions(store, SITE, since, end, filters)["total"]

            queries: dict[str, tuple[str, str, Callable[[], Any]]] = {
                "count": ("`SELECT count() FROM pageviews` (baseline)", "baseline",
                          lambda: store.scalar("SELECT count() FROM pageviews")),
                "sessions": ("page views in range grouped by session, counted (baseline)", "baseline",
                             lambda: store.scalar(
                                 "SELECT count() FROM (SELECT session_id FROM pageviews WHERE site = {site:String} "
                                 "AND time >= {start:DateTime64(3)} AND time < {end:DateTime64(3)} "
                                 "GROUP BY session_id)", range_params)),
                "first_page": ("`list_sessions`: first page (newest 50, no filter)", "list", listing(None)),
                "signal": ("`list_sessions`: signal = rage_click", "list",
                           listing(index.SessionFilters(signals=("rage_click",)))),
                "url": ("`list_sessions`: url = /demo/shop/checkout", "list",
                        listing(index.SessionFilters(url=SHOP + "/checkout"))),
                "errors_by_duration": ("`list_sessions`: has an error, longest first", "list",
                                       lambda: index.list_sessions(store, SITE, start, end,
                                                                   index.SessionFilters(has_error=True),
                                                                   sort="duration")["total"]),
                "first_page_today": ("`list_sessions`: first page, today only (not a goal query)", "list_small",
                                     listing(None, end - timedelta(days=1))),
            }
            times: dict[str, list[float]] = {name: [] for name in queries}
            totals: dict[str, Any] = {}
            names = list(queries)
            for r in range(1 + ns.list_runs):
                for name in (names if r % 2 == 0 else names[::-1]):
                    t = time.perf_counter()
                    totals[name] = queries[name][2]()
                    if r:
                        times[name].append(round((time.perf_counter() - t) * 1000, 2))
            out = {name: {"title": title, "kind": kind, "ms": speed_summary(times[name]), "runs_ms": times[name],
                          "total": int(totals[name]) if totals[name] is not None else None}
                   for name, (title, kind, _fn) in queries.items()}
            for name, q in out.items():
                progress(f"   {name:10}: median {q['ms']['median']:8.1f} ms, {q['total']:,}")
        finally:
            store.close()
    report["session_list"] = {"measured": True, "sessions": ns.list_sessions, "days": ns.list_days,
                              "seed": journeys.DEFAULT_SEED, "block_sessions": block,
                              "generation_s": round(generation, 1),
                              "indexing_s": round(indexing, 1), "rows": rows, "runs": ns.list_runs,
                              "queries": out, "reading": list_reading(out, ns.list_sessions)}


def list_reading(queries: dict[str, Any], sessions: int) -> list[str]:
    def ms(name: str) -> float:
        return ((queries.get(name) or {}).get("ms") or {}).get("median") or 0.0

    out = []
    lists = [q for q in queries.values() if q["kind"] == "list"]
    if lists and "sessions" in queries:
        low = min(q["ms"]["median"] or 0 for q in lists)
        high = max(q["ms"]["median"] or 0 for q in lists)
        out.append(f"The list queries take {low:,.0f}–{high:,.0f} ms on {sessions:,} sessions; grouping the same "
                   f"range's page views by session alone takes {ms('sessions'):,.0f} ms, and the bare count "
                   f"{ms('count'):,.1f} ms (it reads the parts' row counts, no rows). The list reads the stored "
                   "session index (`session_index`, one row per session, FINAL), which the writer refreshes for "
                   "the sessions of each segment it stores, so filters and sorts on signals, errors and "
                   "duration cost about what the first page costs.")
    if "first_page_today" in queries and "first_page" in queries:
        today = queries["first_page_today"]
        small = ms("first_page_today")
        out.append(f"With the range cut to today ({today['total']:,} sessions) the first page takes "
                   f"{small:,.0f} ms, against {ms('first_page'):,.0f} ms for the 30 days: the time grows with "
                   f"the sessions in the range, and a small range is "
                   f"{'still over' if small >= GOAL_LIST_MS else 'within'} the {GOAL_LIST_MS} ms goal.")
    return out
