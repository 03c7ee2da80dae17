"""The schema lock on the embedded ClickHouse: one holder at a time, a lock left by a stopped process
taken over (at once in the embedded store, after its TTL on a server), renewals keeping a slow
holder's lock, and the same statements ON CLUSTER."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from footfall.store import schema_lock
from footfall.store.schema_lock import LockLost, LockTimeout, SchemaLock


@pytest.fixture
def database(store) -> Iterator[str]:  # noqa: ANN001
    name = "lock_" + uuid.uuid4().hex[:8]
    store.command(f"CREATE DATABASE {name}")
    yield name
    store.command(f"DROP DATABASE {name} SYNC")


def tables(store: Any, database: str) -> list[str]:
    return [name for (name,) in store.rows("SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name",
                                           {"db": database})]


def leave_lock(store: Any, database: str, seconds_ago: float) -> str:
    """A lock as a process on another host leaves it when it is killed while migrating."""
    owner = "elsewhere:4242:0badcafe"
    renewed = int(store.scalar("SELECT toUnixTimestamp64Milli(now64(3))")) - int(seconds_ago * 1000)
    store.command(schema_lock.create_sql(database, "", schema_lock.comment(owner, renewed)))
    return owner


def test_one_holder_at_a_time(store, database: str) -> None:  # noqa: ANN001
    first = SchemaLock(store, database)
    first.acquire()
    assert tables(store, database) == [schema_lock.TABLE]
    assert first.holder()[0] == first.owner
    second = SchemaLock(store, database, poll=0.05)
    with pytest.raises(LockTimeout):  # another thread of this process holds it: waited for, not taken
        second.acquire(timeout=0.5)
    first.release()
    assert tables(store, database) == []
    with second:
        assert second.holder()[0] == second.owner


def test_threads_racing_hold_it_one_after_the_other(store, database: str) -> None:  # noqa: ANN001
    inside, most = [0], [0]
    guard = threading.Lock()
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        with SchemaLock(store, database, poll=0.01):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert most == [1]
    assert tables(store, database) == []


def test_in_the_embedded_store_a_lock_of_no_thread_here_is_taken_at_once(
        store, database: str, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    """One process owns an embedded store, so a lock it does not hold was left by a crash."""
    owner = leave_lock(store, database, seconds_ago=0)
    lock = SchemaLock(store, database)
    assert lock.exclusive
    lock.acquire(timeout=5)
    assert lock.holder()[0] == lock.owner
    assert any(owner in m and "taken over" in m for m in caplog.messages)
    aside = [name for name in tables(store, database) if name != schema_lock.TABLE]
    assert len(aside) == 1 and aside[0].startswith(f"{schema_lock.TABLE}_stale_")
    lock.release()


def test_on_a_server_a_live_lock_is_waited_for_and_one_not_renewed_expires(
        store, database: str) -> None:  # noqa: ANN001
    left = time.monotonic()
    leave_lock(store, database, seconds_ago=0)
    lock = SchemaLock(store, database, exclusive=False, ttl=1.5, poll=0.05)
    with pytest.raises(LockTimeout):
        lock.acquire(timeout=0.5)
    lock.acquire(timeout=30)
    assert time.monotonic() - left >= 1.4  # taken only once the TTL had run out
    assert lock.holder()[0] == lock.owner
    lock.release()


def test_a_lock_left_long_ago_is_taken_over_at_once(store, database: str) -> None:  # noqa: ANN001
    leave_lock(store, database, seconds_ago=schema_lock.TTL + 60)
    lock = SchemaLock(store, database, exclusive=False)
    lock.acquire(timeout=5)
    lock.release()


def test_renewals_keep_a_slow_holder_s_lock(store, database: str) -> None:  # noqa: ANN001
    holder = SchemaLock(store, database, exclusive=False, ttl=2.4)
    holder.acquire()
    first = holder.holder()[1]
    waiter = SchemaLock(store, database, exclusive=False, ttl=2.4, poll=0.05)
    with pytest.raises(LockTimeout):  # longer than the TTL: not taken over, since it is renewed
        waiter.acquire(timeout=3.0)
    assert holder.holder()[0] == holder.owner and holder.holder()[1] > first
    holder.check()
    holder.release()
    waiter.acquire(timeout=5)
    waiter.release()


def test_a_holder_whose_lock_was_taken_over_stops(store, database: str) -> None:  # noqa: ANN001
    holder = SchemaLock(store, database, exclusive=False, ttl=0.6)
    holder.acquire()
    store.command(schema_lock.rename_sql(database, "", f"{schema_lock.TABLE}_stale_1_00"))
    other = leave_lock(store, database, seconds_ago=0)
    deadline = time.monotonic() + 10
    while not holder.lost and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(LockLost):
        holder.check()
    holder.release()
    assert holder.holder()[0] == other  # not the holder's to drop


def test_locks_renamed_aside_long_ago_are_dropped(store, database: str) -> None:  # noqa: ANN001
    old, recent = f"{schema_lock.TABLE}_stale_1000_0a", f"{schema_lock.TABLE}_stale_{int(time.time() * 1000)}_0b"
    for name in (old, recent):
        store.command(f"CREATE TABLE {database}.{name} (owner String) ENGINE = Memory")
    with SchemaLock(store, database):
        pass
    assert tables(store, database) == [recent]


def test_on_a_cluster_every_statement_runs_on_cluster(store) -> None:  # noqa: ANN001
    """The distributed DDL queue orders two CREATEs alike on every node: one wins everywhere."""
    text = schema_lock.comment("h:1:ab", 5)
    found = [
        schema_lock.create_sql("db", "footfall", text),
        schema_lock.renew_sql("db", "footfall", text),
        schema_lock.rename_sql("db", "footfall", "schema_migrations_lock_stale_5_ab"),
        schema_lock.drop_sql("db", "footfall"),
    ]
    assert found == [
        "CREATE TABLE db.schema_migrations_lock ON CLUSTER footfall (owner String) ENGINE = Memory "
        "COMMENT 'footfall migrations held by h:1:ab renewed 5'",
        "ALTER TABLE db.schema_migrations_lock ON CLUSTER footfall MODIFY COMMENT "
        "'footfall migrations held by h:1:ab renewed 5'",
        "RENAME TABLE db.schema_migrations_lock TO db.schema_migrations_lock_stale_5_ab ON CLUSTER footfall",
        "DROP TABLE IF EXISTS db.schema_migrations_lock ON CLUSTER footfall SYNC",
    ]
    for sql in found:  # ClickHouse reads them (parsing only: there is no cluster here)
        assert store.rows(f"EXPLAIN AST {sql}")
    assert "CREATE TABLE IF NOT EXISTS" not in found[0]  # the CREATE must fail when held
