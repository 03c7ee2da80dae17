"""The SQL of a visitor's erase and export, for one node and for a cluster (rendered, not run)."""

from __future__ import annotations

import re

import pytest

from footfall.store import migrations
from footfall.web import visitors

EVENT_TABLES = {"pageviews", "events", "page_timings", "web_vitals", "errors", "resources", "form_fields",
                "pageview_performance"}
BY_SESSION = {"page_snapshots", "replay_chunks", "session_index"}


def schema(cluster: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Table engines and columns as system.tables and system.columns would list them after migrating."""
    engines: dict[str, str] = {}
    columns: dict[str, list[str]] = {}
    for migration in migrations.available():
        for statement in migration.statements():
            for sql in migrations.render(statement, cluster, "footfall"):
                added = re.match(r"ALTER TABLE (?:footfall\.)?(\w+) (?:ON CLUSTER \w+ )?ADD COLUMN IF NOT EXISTS (\w+)",
                                 sql)
                if added:
                    columns[added.group(1)].append(added.group(2))
                    continue
                if sql.startswith(("INSERT INTO", "TRUNCATE TABLE")):
                    continue  # a backfill and the emptying before it: no schema change
                table = re.search(r"CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS (?:footfall\.)?(\w+)", sql)
                assert table, sql
                name = table.group(1)
                if "MATERIALIZED VIEW" in sql:
                    engines[name] = "MaterializedView"
                    continue
                engines[name] = re.search(r"ENGINE = (\w+)", sql).group(1)
                copied = re.search(r" AS footfall\.(\w+) ENGINE", sql)
                columns[name] = columns[copied.group(1)] if copied else re.findall(r"^\s+(\w+) [A-Z]", sql, re.M)
    return engines, columns


def test_one_node_finds_every_event_table_and_the_session_tables_by_session() -> None:
    found = visitors.select_tables(*schema(""))
    assert {t.name for t in found} == EVENT_TABLES | BY_SESSION
    assert {t.name for t in found[:3]} == BY_SESSION  # erased first
    assert all(t.by_session for t in found[:3])
    assert [t.name for t in found[:3] if t.merging] == ["replay_chunks", "session_index"]
    assert not any(t.by_session for t in found[3:])
    by_name = {t.name: t for t in found}
    assert visitors.delete_sql(by_name["pageviews"]) == (
        "ALTER TABLE pageviews DELETE WHERE site = {site:String} AND visitor_id = {visitor:String}")
    assert visitors.delete_sql(by_name["replay_chunks"]) == (
        "ALTER TABLE replay_chunks DELETE WHERE site = {site:String} AND session_id IN {sessions:Array(String)}")


def test_cluster_deletes_go_on_cluster_to_the_local_tables() -> None:
    engines, columns = schema("analytics")
    assert engines["pageviews"] == "Distributed" and engines["pageviews_local"] == "ReplicatedMergeTree"
    found = visitors.select_tables(engines, columns, "analytics")
    # Reads use the Distributed tables; the _local tables and the inboxes are not listed themselves.
    assert {t.name for t in found} == EVENT_TABLES | BY_SESSION
    by_name = {t.name: t for t in found}
    assert by_name["replay_chunks"].merging and not by_name["events"].merging
    assert by_name["pageview_performance"].merging  # AggregatingMergeTree: read with FINAL, parts merged
    assert visitors.delete_sql(by_name["events"], "analytics", "footfall") == (
        "ALTER TABLE footfall.events_local ON CLUSTER analytics DELETE WHERE "
        "site = {site:String} AND visitor_id = {visitor:String}")
    assert visitors.delete_sql(by_name["replay_chunks"], "analytics", "footfall") == (
        "ALTER TABLE footfall.replay_chunks_local ON CLUSTER analytics DELETE WHERE "
        "site = {site:String} AND session_id IN {sessions:Array(String)}")


def test_a_new_table_with_visitor_ids_is_found_without_code_changes() -> None:
    engines, columns = schema("")
    engines["journeys"] = "MergeTree"
    columns["journeys"] = ["site", "visitor_id", "steps"]
    engines["ingest_later"] = "Null"
    columns["ingest_later"] = ["site", "visitor_id"]
    names = {t.name for t in visitors.select_tables(engines, columns)}
    assert "journeys" in names and "ingest_later" not in names and "pageviews_mv" not in names


@pytest.mark.parametrize(("site", "visitor", "field"), [
    ("", "v", "site"), ("s", "", "visitor"), ("s" * 129, "v", "site"), ("s", "v" * 129, "visitor"),
    ("s", None, "visitor"), (3, "v", "site"),
])
def test_ids_are_checked(site, visitor, field) -> None:  # noqa: ANN001
    with pytest.raises(visitors.InvalidInput) as raised:
        visitors.check(site, visitor)
    assert raised.value.field == field


def test_ids_up_to_128_characters_pass() -> None:
    visitors.check("s" * 128, "v" * 128)


def test_export_values_become_json() -> None:
    from datetime import datetime

    row = {"time": datetime(2026, 1, 2, 3, 4, 5, 678000), "points": [(1, 2)], "v": float("nan")}
    assert {k: visitors.jsonable(v) for k, v in row.items()} == {
        "time": "2026-01-02T03:04:05.678+00:00", "points": [[1, 2]], "v": None}
