"""JavaScript errors grouped as one problem each: by their fingerprint, made at ingest from the
message, the source file (without query string) and the top stack frame with every digit run
replaced by 0, so the same bug on line 12 or 14, about item 41 or item 7, is one group
(store/migrations/0002_ingest_views.sql, errors_mv). A file name with a content hash of letters
and digits (app.3f2a.js) makes a group per build."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from footfall.store import Store
from footfall.store.clock import stored_iso, utc
from footfall.store.conditions import SITE_IN_RANGE, on_path

MAX_LIMIT = 500
PAGES_LISTED = 10


def grouped_errors(store: Store, site: str, start: datetime, end: datetime, url: str | None = None,
                   console: bool = False, limit: int = 50) -> dict[str, Any]:
    """The error groups of the range, most frequent first: occurrences, sessions, visitors, pages
    (up to PAGES_LISTED), first and last seen, and the newest occurrence's message, stack and
    source as a sample. Console messages (`console.error`) are left out unless `console`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    params: dict[str, Any] = {"site": site, "start": utc(start), "end": utc(end), "limit": limit}
    condition = SITE_IN_RANGE
    if url:
        condition += f" AND {on_path(url, params)}"
    if not console:
        condition += " AND kind != 'console'"
    total, groups = store.rows(f"SELECT count(), uniqExact(fingerprint) FROM errors WHERE {condition}", params)[0]
    found = store.rows(f"""
        SELECT fingerprint, count() AS n, uniqExact(session_id), uniqExact(visitor_id),
               arraySort(groupUniqArray({PAGES_LISTED})(path)), min(time), max(time),
               argMax(message, time), argMax(stack, time), argMax(source, time), argMax(line, time),
               argMax(kind, time)
        FROM errors WHERE {condition}
        GROUP BY fingerprint ORDER BY n DESC, fingerprint LIMIT {{limit:UInt32}}""", params)
    return {"total": total, "groups": groups, "errors": [
        {"fingerprint": fingerprint, "count": n, "sessions": sessions, "visitors": visitors, "pages": pages,
         "first_seen": stored_iso(first), "last_seen": stored_iso(last), "message": message, "stack": stack,
         "source": source, "line": line, "kind": kind}
        for fingerprint, n, sessions, visitors, pages, first, last, message, stack, source, line, kind in found]}
