"""Numbered SQL migrations, applied at start-up under the schema lock, recorded in `schema_migrations`.

The files are written for one node. For a cluster the same text is rendered into
`ON CLUSTER` DDL: each stored table becomes `<name>_local` on a Replicated engine plus a
Distributed `<name>` over it, so queries and inserts keep using the plain names. Inbox tables
(engine Null) and their materialized views exist on every node as they are; a view writes to
the Distributed table, which sends each row to its shard.

A migration runs whole again when it was cut short before its ledger row: its DDL is
IF NOT EXISTS, and a backfill (`INSERT … SELECT`) fills only a table of its own migration,
emptied by a `TRUNCATE TABLE` just before, from tables that hold every row the table's views saw.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Mapping
from importlib import resources

from footfall.store.client import Store
from footfall.store.schema_lock import SchemaLock

log = logging.getLogger("footfall.migrations")

LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations {on_cluster}
(version UInt32, name String, applied DateTime64(3, 'UTC') DEFAULT now64(3))
ENGINE = {engine}
ORDER BY version
"""

_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
_VIEW = re.compile(r"CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+)")
_SOURCE = re.compile(r"\bFROM (\w+)")
_ENGINE = re.compile(r"ENGINE = (Replacing|Summing|Aggregating)?MergeTree(\((\w*)\))?")
_ALTER = re.compile(r"ALTER TABLE (\w+) ")
_TRUNCATE = re.compile(r"TRUNCATE TABLE (\w+)$")
_INSERT = re.compile(r"INSERT INTO (\w+)")
_INSERT_HEAD = re.compile(r"INSERT INTO \w+(?: \([^)]*\))?")
_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"

    def statements(self) -> list[str]:
        body = "\n".join(line for line in self.sql.splitlines() if not line.lstrip().startswith("--"))
        return [s.strip() for s in body.split(";") if s.strip()]


def available() -> list[Migration]:
    folder = resources.files("footfall.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


def render(statement: str, cluster: str, database: str) -> list[str]:
    """One node: the statement as written. Cluster: replicated local table plus Distributed."""
    if not cluster:
        return [statement]
    truncated = _TRUNCATE.match(statement)
    if truncated:  # the rows live in the replicated local tables; each replica empties its own
        return [f"TRUNCATE TABLE {database}.{truncated.group(1)}_local ON CLUSTER {cluster}"]
    inserted = _INSERT_HEAD.match(statement)
    if inserted:  # a backfill through the Distributed table returns once every shard holds its rows
        return [f"{inserted.group(0)} SETTINGS insert_distributed_sync = 1{statement[inserted.end():]}"]
    altered = _ALTER.match(statement)
    if altered:  # both the replicated local table and the Distributed table over it change
        name, rest = altered.group(1), statement[altered.end():]
        return [f"ALTER TABLE {database}.{table} ON CLUSTER {cluster} {rest}" for table in (f"{name}_local", name)]
    view = _VIEW.search(statement)
    if view:
        ddl = _VIEW.sub(f"CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.{view.group(1)} ON CLUSTER {cluster} "
                        f"TO {database}.{view.group(2)}", statement, 1)
        return [_SOURCE.sub(f"FROM {database}.\\1", ddl)]
    match = _CREATE.search(statement)
    if not match:
        return [statement]
    name = match.group(1)
    if re.search(r"ENGINE = Null\s*$", statement):
        return [_CREATE.sub(f"CREATE TABLE IF NOT EXISTS {database}.{name} ON CLUSTER {cluster}", statement, 1)]
    local = f"{name}_local"
    replacing = _ENGINE.search(statement)
    if replacing is None:
        raise ValueError(f"migration for {name} has no MergeTree engine")
    version = replacing.group(3) or ""
    kind = f"Replicated{replacing.group(1) or ''}MergeTree"
    args = f"'/clickhouse/tables/{{shard}}/{database}/{local}', '{{replica}}'"
    if version:
        args += f", {version}"
    ddl = _CREATE.sub(f"CREATE TABLE IF NOT EXISTS {database}.{local} ON CLUSTER {cluster}", statement, 1)
    ddl = _ENGINE.sub(f"ENGINE = {kind}({args})", ddl, 1)
    ddl = ddl.replace("non_replicated_deduplication_window", "replicated_deduplication_window")
    distributed = (
        f"CREATE TABLE IF NOT EXISTS {database}.{name} ON CLUSTER {cluster} "
        f"AS {database}.{local} ENGINE = Distributed({cluster}, {database}, {local}, "
        f"{sharding_key(statement)})"
    )
    return [ddl, distributed]


def sharding_key(statement: str) -> str:
    """Rows of one session (or one config key) live on one shard, so FINAL and session reads stay local."""
    if re.search(r"^\s*session_id ", statement, re.M):
        return "cityHash64(session_id)"
    order = re.search(r"ORDER BY \(?(\w+)", statement)
    return f"cityHash64({order.group(1)})" if order else "rand()"


def ledger_sql(cluster: str, database: str) -> list[str]:
    statement = LEDGER.format(on_cluster="", engine="ReplacingMergeTree(applied)")
    return render(statement, cluster, database)


def applied(store: Store) -> set[int]:
    return {row[0] for row in store.rows("SELECT DISTINCT version FROM schema_migrations")}


def pending(store: Store) -> list[Migration]:
    done = applied(store)
    return [m for m in available() if m.version not in done]


def migrate(store: Store, after: Mapping[int, Callable[[Store], object]] | None = None) -> list[int]:
    """Apply what is missing, one process at a time (the schema lock); the others wait, then find
    nothing left to do. With nothing missing no lock is taken.

    `after` maps a migration's version to work written outside the SQL (replay's session index
    computed for the sessions stored before it): run under the lock, after the migration's
    statements and before its ledger row, so a crash in it runs it again at the next start. It must
    be idempotent, as a backfill is."""
    database = store.client.database or "footfall"
    for sql in ledger_sql(store.cluster, database):
        store.command(sql)
    if not pending(store):
        return []
    with SchemaLock(store, database) as lock:
        todo = pending(store)  # again: another process may have applied them while this one waited
        if todo:
            log.info("schema: to apply: %s", ", ".join(m.label for m in todo))
        for migration in todo:
            apply(store, migration, database, lock, (after or {}).get(migration.version))
    return [m.version for m in todo]


def apply(store: Store, migration: Migration, database: str, lock: SchemaLock,
          then: Callable[[Store], object] | None = None) -> None:
    """Every statement of one migration, then `then`, then its ledger row: a crash between them runs
    it all again."""
    started = time.monotonic()
    log.info("migration %s: applying", migration.label)
    for statement in migration.statements():
        target = _INSERT.match(statement)
        for sql in render(statement, store.cluster, database):
            if target:
                backfill(store, migration, sql, target.group(1))
            else:
                store.command(sql)
        lock.check()
    if then is not None:
        started_then = time.monotonic()
        log.info("migration %s: running %s", migration.label, getattr(then, "__qualname__", "its backfill"))
        then(store)
        log.info("migration %s: %s done in %.1f s", migration.label, getattr(then, "__qualname__", "its backfill"),
                 time.monotonic() - started_then)
        lock.check()
    store.command(
        "INSERT INTO schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})",
        {"v": migration.version, "n": migration.name},
    )
    log.info("migration %s: applied in %.1f s", migration.label, time.monotonic() - started)


def backfill(store: Store, migration: Migration, sql: str, table: str) -> None:
    """One `INSERT … SELECT` of rows stored before the migration, logged with its rows and time."""
    count = f"SELECT count() FROM {table}"
    before = int(store.scalar(count))
    started = time.monotonic()
    store.command(sql)
    rows = int(store.scalar(count)) - before
    log.info("migration %s: backfilled %s with %d rows in %.1f s", migration.label, table, rows,
             time.monotonic() - started)
