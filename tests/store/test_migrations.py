"""Migrations on the embedded ClickHouse: a run killed after a backfill and before its ledger row,
two runs racing, and the rule that makes a backfill safe to run again.

A store from before the backfilling migrations is made once (migrations 1 to 4 and rows written
straight into the tables they read); each test copies it and migrates the copy in a separate
process (chDB allows one data path per process), which reports what the tables hold. The counts
are checked against the rows as written here, counted by hand."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from footfall.store import migrations
from tests.conftest import ROOT

BASE = (datetime.now(UTC) - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
RETENTION = 3650

# The separate process: seeds a store as Footfall 4 left it, or migrates it (crashing on request,
# or twice at once from two threads), then prints what the tables hold.
SCRIPT = r'''
import json, logging, os, signal, sys, threading
from datetime import datetime
from footfall.store import Store, migrations

job = json.load(sys.stdin)
url = "chdb://" + job["path"]
store = Store(url)
messages = []
crash_label, crash_count = job.get("crash_after") or ("", 0)

class Watch(logging.Handler):
    def emit(self, record):
        text = record.getMessage()
        messages.append(text)
        print(text, file=sys.stderr, flush=True)
        if crash_label and text.startswith(f"migration {crash_label}: backfilled"):
            job["seen"] = job.get("seen", 0) + 1
            if job["seen"] == crash_count:  # the last backfill is in, the ledger row is not
                os.kill(os.getpid(), signal.SIGKILL)

log = logging.getLogger("footfall.migrations")
log.setLevel(logging.INFO)
log.addHandler(Watch())

if job["mode"] == "seed":
    for sql in migrations.ledger_sql("", "footfall"):
        store.command(sql)
    for m in migrations.available():
        if m.version <= 4:
            for statement in m.statements():
                store.command(statement)
            store.command("INSERT INTO schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})",
                          {"v": m.version, "n": m.name})
    for table, (columns, rows) in job["rows"].items():
        for row in rows:
            row[columns.index("time")] = datetime.fromisoformat(row[columns.index("time")])
            if "points" in columns:
                row[columns.index("points")] = [tuple(p) for p in row[columns.index("points")]]
        store.insert_rows(table, columns, rows)
    print(json.dumps({}))
    sys.exit(0)

results = {}
if job["mode"] == "race":
    stores = [store, Store(url)]
    start = threading.Barrier(2)
    def run(n):
        start.wait()
        results[n] = migrations.migrate(stores[n])
    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads: t.start()
    for t in threads: t.join()
else:
    results[0] = migrations.migrate(store)

def rows(sql):
    return [list(r) for r in store.rows(sql)]

print(json.dumps({
    "applied": [results[n] for n in sorted(results)],
    "ledger": rows("SELECT version, count() FROM schema_migrations GROUP BY version ORDER BY version"),
    "locks": rows("SELECT name FROM system.tables WHERE database = 'footfall' "
                  "AND startsWith(name, 'schema_migrations_lock') ORDER BY name"),
    "hits": dict(rows("SELECT type, sum(hits) FROM heatmap_cells GROUP BY type")),
    "cells": rows("SELECT site, type, path, device, day, selector, column, row, ex, ey, sum(hits) "
                  "FROM heatmap_cells GROUP BY ALL ORDER BY ALL"),
    "clicks": rows("SELECT sum(clicks), sum(dead), sum(rage), count() FROM "
                   "(SELECT sum(clicks) AS clicks, sum(dead) AS dead, sum(rage) AS rage FROM heatmap_elements "
                   "GROUP BY site, path, device, day, selector)")[0],
    "elements": rows("SELECT site, path, device, day, selector, sum(clicks), sum(dead), sum(rage), "
                     "uniqMerge(visitors), max(label) FROM heatmap_elements GROUP BY ALL ORDER BY ALL"),
    "views": rows("SELECT count(), sum(lcp), sum(has_error), sum(load) FROM (SELECT max(lcp) AS lcp, "
                  "max(has_error) AS has_error, max(load) AS load FROM pageview_performance "
                  "GROUP BY site, day, pageview_id)")[0],
    "performance": rows("SELECT site, day, session_id, visitor_id, pageview_id, min(time), max(ttfb), max(fcp), "
                        "max(lcp), max(inp), max(cls), max(lcp_rating), max(load), max(has_error), max(retention) "
                        "FROM pageview_performance GROUP BY site, day, session_id, visitor_id, pageview_id "
                        "ORDER BY ALL"),
    "log": messages,
}, default=str))
'''


def at(seconds: int) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat()


def stored_rows() -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Clicks, pointer trails, vitals, timings and errors as a store from before 0005 and 0008 holds them;
    some points fall outside the heatmap grid and some errors are console messages (neither counted)."""
    ids = ["site", "time", "session_id", "visitor_id", "pageview_id", "path", "device", "retention"]
    events_cols = [*ids, "type", "selector", "text", "x", "y", "points", "rx", "ry", "dead", "rage"]
    events = []
    for i in range(600):  # over two days: 200 s apart
        x = -5 if i % 97 == 0 else (i * 37) % 1300
        events.append(["shop", at(i * 200), f"s{i % 60}", f"v{i % 40}", f"pv{i % 120}", f"/p{i % 3}",
                       ("desktop", "mobile")[i % 2], RETENTION, "click", f"#b{i % 5}", f"Button {i % 5}",
                       x, (i * 53) % 3000, [], (i * 7 % 100) / 100, (i * 11 % 100) / 100,
                       int(i % 7 == 0), int(i % 11 == 0)])
    for j in range(200):
        points = [[(j * 13 + k * 40) % 1280, 45_000 if j % 13 == 0 and k == 0 else (j * 29 + k) % 5000]
                  for k in range(1 + j % 5)]
        events.append(["shop", at(j * 300 + 7), f"s{j % 60}", f"v{j % 40}", f"pv{j % 120}", f"/p{j % 3}",
                       "desktop", RETENTION, "move", "", "", 0, 0, points, 0.0, 0.0, 0, 0])
    vitals, timings, errors = [], [], []
    for p in range(150):
        view = ["shop", at(p * 500), f"s{p % 60}", f"v{p % 40}", f"pv{p}", f"/p{p % 3}", "desktop", RETENTION]
        for name, value in (("TTFB", 100.0 + p), ("FCP", 400.0 + p), ("LCP", 1000.0 + 10 * p)):
            vitals.append([*view, name, value, "good" if value < 2500 else "poor"])
        if p % 3 == 0:
            vitals += [[*view, "INP", 80.0 + p, "good"], [*view, "CLS", 0.01 * (p % 7), "good"]]
        if p % 10 == 0:
            vitals.append([*view, "FID", 12.0, "good"])  # not one of the five: no column
        if p % 2 == 0:
            timings.append([*view, 50.0, 500.0 + p])
        if p % 5 == 0:
            errors.append([*view, "error", f"boom {p}"])
        if p % 10 == 0:
            errors.append([*view[:4], f"console-only-{p}", *view[5:], "console", "noise"])
    return {
        "events": (events_cols, events),
        "web_vitals": ([*ids, "name", "value", "rating"], vitals),
        "page_timings": ([*ids, "request", "load"], timings),
        "errors": ([*ids, "kind", "message"], errors),
    }


def by_hand(rows: dict[str, tuple[list[str], list[list[Any]]]]) -> dict[str, Any]:
    """What one clean run must count, from the rows as written: no ClickHouse involved."""
    columns, events = rows["events"]
    col = {name: n for n, name in enumerate(columns)}
    clicks = [e for e in events if e[col["type"]] == "click"]

    def on_grid(x: int, y: int) -> bool:
        return 0 <= x < 4096 and 0 <= y < 40_000

    element_keys = {(e[col["path"]], e[col["device"]], e[col["time"]][:10], e[col["selector"]]) for e in clicks}
    vitals_cols, vitals = rows["web_vitals"]
    lcp = {v[4]: v[vitals_cols.index("value")] for v in vitals if v[vitals_cols.index("name")] == "LCP"}
    timing_cols, timings = rows["page_timings"]
    error_cols, errors = rows["errors"]
    failed = {e[4] for e in errors if e[error_cols.index("kind")] != "console"}
    views = set(lcp) | {t[4] for t in timings} | failed
    return {
        "hits": {"click": sum(on_grid(e[col["x"]], e[col["y"]]) for e in clicks),
                 "move": sum(on_grid(x, y) for e in events if e[col["type"]] == "move" for x, y in e[col["points"]])},
        "clicks": [len(clicks), sum(e[col["dead"]] for e in clicks), sum(e[col["rage"]] for e in clicks),
                   len(element_keys)],
        "views": [len(views), sum(lcp.values()), len(failed), sum(t[timing_cols.index("load")] for t in timings)],
    }


def run(path: Path, mode: str, **job: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT], input=json.dumps({"path": str(path), "mode": mode, **job}),
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def old_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store as Footfall 4 left it, with rows that 0005 and 0008 backfill from."""
    path = tmp_path_factory.mktemp("footfall-4") / "clickhouse"
    report(run(path, "seed", rows=stored_rows()))
    return path


@pytest.fixture(scope="module")
def clean_run(old_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("clean") / "clickhouse"
    shutil.copytree(old_store, path, symlinks=True)
    return report(run(path, "migrate"))


PENDING = [m.version for m in migrations.available() if m.version > 4]


def assert_one_set_of_rows(found: dict[str, Any], clean: dict[str, Any]) -> None:
    expected = by_hand(stored_rows())
    assert found["hits"] == expected["hits"]
    assert found["clicks"] == expected["clicks"]
    assert found["views"] == pytest.approx(expected["views"])
    for table in ("cells", "elements", "performance"):
        assert found[table] == clean[table], f"{table} differ from one clean run"
    assert found["ledger"] == [[m.version, 1] for m in migrations.available()]


def test_a_clean_run_counts_every_stored_row_once_and_logs_its_progress(clean_run: dict[str, Any]) -> None:
    assert clean_run["applied"] == [PENDING]
    assert_one_set_of_rows(clean_run, clean_run)
    assert clean_run["locks"] == []  # released
    logged = "\n".join(clean_run["log"])
    for m in migrations.available()[4:]:
        assert re.search(rf"^migration {m.label}: applied in \d+\.\d s$", logged, re.M), m.label
    elements = by_hand(stored_rows())["clicks"][3]
    assert re.search(rf"^migration 0005_heatmap_cells: backfilled heatmap_elements with {elements} rows in ",
                     logged, re.M)
    assert len(re.findall(r"^migration 0008_pageview_performance: backfilled pageview_performance with [1-9]",
                          logged, re.M)) == 3


@pytest.mark.parametrize("label", ["0005_heatmap_cells", "0008_pageview_performance"])
def test_a_run_killed_after_its_backfill_counts_each_row_once_when_run_again(
        label: str, old_store: Path, clean_run: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "clickhouse"
    shutil.copytree(old_store, path, symlinks=True)
    [migration] = [m for m in migrations.available() if m.label == label]
    backfills = sum(s.startswith("INSERT") for s in migration.statements())

    killed = run(path, "migrate", crash_after=[label, backfills])
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert f"migration {label}: backfilled" in killed.stderr
    assert f"migration {label}: applied" not in killed.stderr  # killed before its ledger row

    again = report(run(path, "migrate"))
    # The dead process's lock is taken over at once (the embedded store is one process's alone).
    assert any(re.match(r"schema lock: \S+ stopped renewing it .* taken over", line) for line in again["log"])
    assert again["applied"] == [[v for v in PENDING if v >= migration.version]]
    assert_one_set_of_rows(again, clean_run)
    assert [name for [name] in again["locks"]] == [
        name for [name] in again["locks"] if name.startswith("schema_migrations_lock_stale_")]


def test_two_runs_racing_apply_each_migration_once(old_store: Path, clean_run: dict[str, Any],
                                                   tmp_path: Path) -> None:
    path = tmp_path / "clickhouse"
    shutil.copytree(old_store, path, symlinks=True)
    raced = report(run(path, "race"))
    assert sorted(raced["applied"]) == [[], PENDING]  # the other waited, then found nothing to do
    assert any(line.startswith("schema lock: waiting for ") for line in raced["log"])
    assert_one_set_of_rows(raced, clean_run)
    assert raced["locks"] == []


def test_nothing_pending_takes_no_lock(store, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    caplog.set_level("INFO", logger="footfall.migrations")
    assert migrations.migrate(store) == []
    assert caplog.messages == []


def test_every_backfill_fills_a_table_of_its_own_migration_emptied_just_before() -> None:
    """What makes a backfill safe to run again: its target is its migration's own (created there,
    fed only by views of tables that keep every row) and emptied before the first INSERT into it."""
    seen = 0
    for migration in migrations.available():
        statements = migration.statements()
        created = {m.group(1) for s in statements if (m := re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", s))}
        emptied: set[str] = set()
        for statement in statements:
            if truncated := re.match(r"TRUNCATE TABLE (\w+)$", statement):
                assert truncated.group(1) in created, f"{migration.label} empties a table it did not create"
                assert truncated.group(1) not in emptied
                emptied.add(truncated.group(1))
            if target := re.match(r"INSERT INTO (\w+)", statement):
                assert target.group(1) in created, f"{migration.label} backfills a table it did not create"
                assert target.group(1) in emptied, f"{migration.label}: {target.group(1)} not emptied first"
                seen += 1
    assert seen == 5  # 0005's two and 0008's three


def test_on_a_cluster_the_replicated_local_table_is_emptied_on_every_node() -> None:
    assert migrations.render("TRUNCATE TABLE heatmap_cells", "footfall", "db") == [
        "TRUNCATE TABLE db.heatmap_cells_local ON CLUSTER footfall"]
    assert migrations.render("TRUNCATE TABLE heatmap_cells", "", "db") == ["TRUNCATE TABLE heatmap_cells"]


def test_on_a_cluster_a_backfill_returns_once_every_shard_holds_its_rows(store) -> None:  # noqa: ANN001
    """So the ledger row never precedes rows still queued on one node for another shard."""
    backfills = [s for m in migrations.available() for s in m.statements() if s.startswith("INSERT")]
    for statement in backfills:
        [sql] = migrations.render(statement, "footfall", "db")
        head = re.match(r"INSERT INTO (\w+)(?: \([^)]*\))? SETTINGS insert_distributed_sync = 1\s", sql)
        assert head, sql[:200]
        assert sql.replace(" SETTINGS insert_distributed_sync = 1", "", 1) == statement
        assert (" Set",) in store.rows(f"EXPLAIN AST {sql}")  # ClickHouse reads it: a setting of the INSERT itself


AFTER_SCRIPT = r'''
import json, sys
from footfall.store import Store, migrations

path, fail = sys.argv[1], sys.argv[2] == "fail"
store = Store("chdb://" + path)
ran = []

def index_sessions(store):
    ran.append(int(store.scalar("SELECT count() FROM schema_migrations WHERE version = 3")))
    if fail:
        raise RuntimeError("killed while indexing")

try:
    migrations.migrate(store, after={3: index_sessions})
    outcome = "done"
except RuntimeError as exc:
    outcome = str(exc)
print(json.dumps({"outcome": outcome, "ran": ran,
                  "ledger": [v for (v,) in store.rows("SELECT version FROM schema_migrations ORDER BY version")]}))
'''


def test_work_after_a_migration_runs_before_its_ledger_row_and_again_after_a_crash(tmp_path: Path) -> None:
    """The session index's backfill (web/runtime.py) runs inside the migration it belongs to: a crash
    in it leaves the migration unapplied, so the next start indexes the sessions again."""
    def run(mode: str) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", AFTER_SCRIPT, str(tmp_path / "ch"), mode], capture_output=True,
                              text=True, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    crashed = run("fail")
    assert crashed["outcome"] == "killed while indexing" and crashed["ran"] == [0]  # before the ledger row
    assert crashed["ledger"] == [1, 2]  # 3 and everything after it wait for the next start
    again = run("ok")
    assert again["outcome"] == "done" and again["ran"] == [0]
    assert again["ledger"] == [m.version for m in migrations.available()]
    assert run("ok")["ran"] == []  # applied: never again
