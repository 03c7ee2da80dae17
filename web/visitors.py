"""Erase or export everything stored about one visitor of one site (GDPR-style requests).

The tables are discovered, not listed, so a table added later cannot be forgotten: every
stored table of the database with a `site` and a `visitor_id` column holds rows of a visitor;
one with `site` and `session_id` but no `visitor_id` (today `replay_chunks`, `session_index` and
`page_snapshots`) holds rows of the visitor's sessions, found first in the visitor's own rows. Index rows are then
recomputed for those sessions, so one that another visitor id shared is listed without this
visitor's part. The inbox tables (`inbox_*`, `ingest_*`, engine Null) and the materialized views
store nothing and are left out.

Deletion is `ALTER TABLE ... DELETE` with `mutations_sync = 2`: it returns once the parts that
held the rows are rewritten without them (a lightweight `DELETE FROM` only masks rows until a
later merge, which may never come for an old partition). With a cluster the rows live in
`<table>_local` on each shard behind Distributed tables, so the delete goes `ON CLUSTER` to
the local tables, as `store/migrations.py` renders the schema. Every value is a query
parameter; only table names read from `system.tables` are written into the SQL.
"""

from __future__ import annotations

import dataclasses
import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from footfall.replay import session_index
from footfall.store import Store

MAX_ID = 128
SKIPPED_PREFIXES = ("inbox_", "ingest_")  # Null-engine inboxes: rows pass through, nothing is kept
MERGING = ("ReplacingMergeTree", "AggregatingMergeTree")  # a key's rows become one when parts merge
MUTATION_SETTINGS = {"mutations_sync": 2}  # wait until every replica has rewritten its parts
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

BY_VISITOR = "site = {site:String} AND visitor_id = {visitor:String}"
BY_SESSION = "site = {site:String} AND session_id IN {sessions:Array(String)}"


class InvalidInput(ValueError):
    """A site or visitor id that cannot name anything; `field` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    by_session: bool  # rows belong to the visitor's sessions (no visitor_id column)
    has_session: bool  # has a session_id column: where the visitor's sessions are found
    has_time: bool
    merging: bool  # Replacing or AggregatingMergeTree: read with FINAL, each key once, its parts merged

    @property
    def where(self) -> str:
        return BY_SESSION if self.by_session else BY_VISITOR


def check(site: Any, visitor: Any) -> None:
    for field, value in (("site", site), ("visitor", visitor)):
        if not isinstance(value, str) or not value:
            raise InvalidInput(field, f"{field} must be a non-empty string")
        if len(value) > MAX_ID:
            raise InvalidInput(field, f"{field} must be at most {MAX_ID} characters")


def select_tables(engines: dict[str, str], columns: dict[str, list[str]], cluster: str = "") -> list[Table]:
    """The tables holding a visitor's rows, from `system.tables` engines and `system.columns` names.

    One node: the MergeTree tables. Cluster: the Distributed tables (reads and counts go
    through them; deletes go to `<name>_local`, see `delete_sql`).
    """
    found = []
    for name, engine in sorted(engines.items()):
        cols = set(columns.get(name, ()))
        if name.startswith(SKIPPED_PREFIXES) or "site" not in cols or not _NAME.match(name):
            continue
        if cluster and engine != "Distributed":
            continue
        if not cluster and not engine.endswith("MergeTree"):
            continue
        if "visitor_id" not in cols and "session_id" not in cols:
            continue
        stored = engines.get(f"{name}_local", "") if cluster else engine
        found.append(Table(name, by_session="visitor_id" not in cols, has_session="session_id" in cols,
                           has_time="time" in cols, merging=any(kind in stored for kind in MERGING)))
    # Session-keyed tables first: once the visitor's rows are gone their sessions cannot be found.
    return sorted(found, key=lambda t: (not t.by_session, t.name))


def tables(store: Store) -> list[Table]:
    database = store.client.database or "footfall"
    engines = dict(store.rows("SELECT name, engine FROM system.tables WHERE database = {db:String}",
                              {"db": database}))
    columns: dict[str, list[str]] = {}
    for table, column in store.rows(
        "SELECT table, name FROM system.columns WHERE database = {db:String} ORDER BY table, position",
        {"db": database},
    ):
        columns.setdefault(table, []).append(column)
    return select_tables(engines, columns, store.cluster)


def delete_sql(table: Table, cluster: str = "", database: str = "") -> str:
    if cluster:
        return (f"ALTER TABLE {database}.{table.name}_local ON CLUSTER {cluster} "
                f"DELETE WHERE {table.where}")
    return f"ALTER TABLE {table.name} DELETE WHERE {table.where}"


def sessions_of(store: Store, found: list[Table], params: dict[str, Any]) -> list[str]:
    sessions: set[str] = set()
    for table in found:
        if table.has_session and not table.by_session:
            sql = f"SELECT DISTINCT session_id FROM {table.name} WHERE {BY_VISITOR}"
            sessions.update(row[0] for row in store.rows(sql, params))
    sessions.discard("")
    return sorted(sessions)


def _scope(store: Store, site: str, visitor: str) -> tuple[list[Table], dict[str, Any]]:
    check(site, visitor)
    found = tables(store)
    params: dict[str, Any] = {"site": site, "visitor": visitor}
    params["sessions"] = sessions_of(store, found, params)
    return found, params


def erase(store: Store, site: str, visitor: str) -> dict[str, int]:
    """Delete every row of the visitor on the site, in every table; rows removed per table.

    Rows still in a collector's spool are written afterwards: erasing again a minute later
    catches those of a visitor who was active at that moment.
    """
    found, params = _scope(store, site, visitor)
    removed: dict[str, int] = {}
    for table in found:  # session-keyed tables first (see select_tables)
        if table.by_session and not params["sessions"]:
            removed[table.name] = 0
            continue
        final = " FINAL" if table.merging else ""  # each key once, however many versions or parts are stored
        count = int(store.scalar(f"SELECT count() FROM {table.name}{final} WHERE {table.where}", params) or 0)
        removed[table.name] = count
        if count:
            store.client.command(delete_sql(table, store.cluster, store.client.database or "footfall"),
                                 parameters=params, settings=MUTATION_SETTINGS)
    if params["sessions"]:  # a session another visitor id shared keeps its row, minus this visitor's part
        session_index.rebuild(store, {site: params["sessions"]})
    return removed


def export(store: Store, site: str, visitor: str) -> dict[str, Any]:
    """Every row of the visitor on the site, per table, as JSON-ready dicts (times in ISO 8601, UTC)."""
    found, params = _scope(store, site, visitor)
    out: dict[str, list[dict[str, Any]]] = {}
    for table in found:
        if table.by_session and not params["sessions"]:
            out[table.name] = []
            continue
        final = " FINAL" if table.merging else ""
        order = " ORDER BY time" if table.has_time else ""
        rows = store.dicts(f"SELECT * FROM {table.name}{final} WHERE {table.where}{order}", params)
        out[table.name] = [{k: jsonable(v) for k, v in row.items()} for row in rows]
    return {"site": site, "visitor": visitor, "tables": out}


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):  # the schema's times are UTC; the driver returns them naive
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):  # JSON has no NaN or infinity
        return None
    return value
