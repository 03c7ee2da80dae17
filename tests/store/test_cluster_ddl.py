"""Migrations rendered for a cluster, checked as text: ReplicatedMergeTree `<table>_local` tables and
Distributed `<table>` tables ON CLUSTER, inboxes and views per node, replica paths from the macros
the nodes define (docker/clickhouse/). No cluster runs in the tests."""

from __future__ import annotations

import re

import pytest

from footfall.store import migrations

_LOCAL = re.compile(
    r"^\s*CREATE TABLE IF NOT EXISTS footfall\.(\w+)_local ON CLUSTER footfall\s"
)
_REPLICATED = re.compile(
    r"ENGINE = Replicated(Replacing|Summing|Aggregating)?MergeTree\("
    r"'/clickhouse/tables/\{shard\}/footfall/(\w+)_local', '\{replica\}'(?:, (\w+))?\)"
)
_DISTRIBUTED = re.compile(
    r"^CREATE TABLE IF NOT EXISTS footfall\.(\w+) ON CLUSTER footfall "
    r"AS footfall\.(\w+)_local ENGINE = Distributed\(footfall, footfall, (\w+)_local, (.+)\)$"
)


def statements() -> list[str]:
    found = [s for m in migrations.available() for s in m.statements()]
    found += migrations.ledger_sql("", "footfall")
    assert found
    return found


def strip_engine(sql: str) -> str:
    sql = re.sub(r"CREATE TABLE IF NOT EXISTS \S+( ON CLUSTER \w+)?", "CREATE", sql, count=1)
    sql = re.sub(r"ENGINE = \w+(\([^)]*\))?", "ENGINE", sql, count=1)
    sql = sql.replace("non_replicated_deduplication_window", "replicated_deduplication_window")
    return " ".join(sql.split())


def test_migrations_are_numbered_and_nonempty() -> None:
    found = migrations.available()
    assert [m.version for m in found] == sorted({m.version for m in found})
    assert all(m.statements() for m in found)


@pytest.mark.parametrize("statement", statements(), ids=lambda s: " ".join(s.split()[:6]))
def test_single_node_rendering_is_the_statement_unchanged(statement: str) -> None:
    assert migrations.render(statement, "", "footfall") == [statement]


@pytest.mark.parametrize("statement", statements(), ids=lambda s: " ".join(s.split()[:6]))
def test_cluster_rendering_is_replicated_local_plus_distributed(statement: str) -> None:
    rendered = migrations.render(statement, "footfall", "footfall")
    created = re.search(r"CREATE TABLE IF NOT EXISTS (\w+)", statement)
    if created is None or statement.endswith("ENGINE = Null"):
        return  # views and inbox tables: see the test below
    name = created.group(1)
    local, distributed = rendered

    head = _LOCAL.match(local)
    assert head and head.group(1) == name
    engine = _REPLICATED.search(local)
    assert engine and engine.group(2) == name
    original = re.search(r"ENGINE = (Replacing|Summing|Aggregating)?MergeTree(?:\((\w*)\))?", statement)
    assert original
    assert engine.group(1) == original.group(1), "engine family changed"
    assert (engine.group(3) or "") == (original.group(2) or ""), "version column lost"
    assert "non_replicated_deduplication_window" not in local
    if "non_replicated_deduplication_window" in statement:
        assert "replicated_deduplication_window" in local
    assert strip_engine(local) == strip_engine(statement), "columns, keys or TTL changed"

    tail = _DISTRIBUTED.match(distributed)
    assert tail, distributed
    assert tail.group(1) == tail.group(2) == tail.group(3) == name
    key = tail.group(4)
    column = re.fullmatch(r"cityHash64\((\w+)\)", key)
    assert column, f"{name}: sharding key {key!r} is not a hash of one column"
    assert re.search(rf"[(\s]{column.group(1)} ", statement), f"{name}: no column {key}"


@pytest.mark.parametrize("statement", statements(), ids=lambda s: " ".join(s.split()[:6]))
def test_cluster_inboxes_and_views_are_per_node_and_write_to_distributed_tables(statement: str) -> None:
    """Inbox tables stay Null on every node; a view reads its node's inbox and writes to the
    plain (Distributed) name, so every row reaches its shard."""
    [rendered] = migrations.render(statement, "footfall", "db") if (
        "MATERIALIZED VIEW" in statement or statement.endswith("ENGINE = Null")) else [None]
    if rendered is None:
        return
    assert " ON CLUSTER footfall" in rendered
    if statement.endswith("ENGINE = Null"):
        assert re.match(r"CREATE TABLE IF NOT EXISTS db\.\w+ ON CLUSTER footfall", rendered)
        assert "Replicated" not in rendered and "Distributed" not in rendered
        return
    view = re.match(r"CREATE MATERIALIZED VIEW IF NOT EXISTS db\.(\w+) ON CLUSTER footfall TO db\.(\w+) AS", rendered)
    assert view, rendered[:120]
    assert not view.group(2).endswith("_local")
    sources = re.findall(r"\bFROM (\S+)", rendered)
    assert sources and all(s.startswith("db.") for s in sources)
    assert " ".join(rendered.split()[13:]) == " ".join(re.sub(r"\bFROM (\w+)", r"FROM db.\1", statement).split()[10:])


def test_cluster_column_changes_reach_the_local_and_the_distributed_table() -> None:
    altering = [s for s in statements() if s.startswith("ALTER TABLE")]
    assert altering
    for statement in altering:
        name = statement.split()[2]
        local, distributed = migrations.render(statement, "footfall", "db")
        rest = statement.split(name, 1)[1]
        assert local == f"ALTER TABLE db.{name}_local ON CLUSTER footfall{rest}"
        assert distributed == f"ALTER TABLE db.{name} ON CLUSTER footfall{rest}"


def test_sessions_stay_on_one_shard() -> None:
    for statement in statements():
        if re.search(r"^\s*session_id ", statement, re.M):
            assert migrations.sharding_key(statement) == "cityHash64(session_id)"
