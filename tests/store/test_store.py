"""The store on the embedded ClickHouse: migrations, per-site retention, parameterised SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from footfall.collector.salts import DailySalt
from footfall.store import accounts, sites, tokens
from footfall.store.migrations import applied, available, migrate


def test_migrations_are_recorded_and_idempotent(store) -> None:  # noqa: ANN001
    assert applied(store) == {m.version for m in available()}
    assert migrate(store) == []
    tables = {row[0] for row in store.rows("SHOW TABLES")}
    assert {"pageviews", "events", "page_timings", "web_vitals", "errors", "replay_chunks",
            "sites", "users", "api_tokens"} <= tables


def test_retention_is_per_site(store) -> None:  # noqa: ANN001
    old = datetime.now(UTC) - timedelta(days=10)
    store.insert_rows("errors", ["site", "time", "message", "retention"], [
        ["short-lived", old, "expired", 7],
        ["long-lived", old, "kept", 30],
    ])
    store.command("OPTIMIZE TABLE errors FINAL")
    left = {r[0] for r in store.rows("SELECT message FROM errors WHERE site IN ('short-lived', 'long-lived')")}
    assert left == {"kept"}


def test_config_rows_replace_by_key(store) -> None:  # noqa: ANN001
    site = sites.create(store, "Blog", ["https://Blog.Test:443/", "blog.test"], key="blog-rt")
    assert site.origins == ("https://blog.test",)
    sites.save(store, sites.Site("blog-rt", "Blog renamed", ("https://blog.test",)))
    assert sites.load_all(store)["blog-rt"].name == "Blog renamed"
    token = tokens.create(store, "t", "blog-rt")
    assert tokens.lookup(store, token) == tokens.Grant("t", "blog-rt")
    tokens.revoke(store, tokens.digest(token))
    assert tokens.lookup(store, token) is None


def test_a_sites_time_zone_is_kept_and_checked(store) -> None:  # noqa: ANN001
    assert sites.create(store, "Paris", ["https://paris.test"], key="tz-paris", zone="Europe/Paris").time_zone \
        == "Europe/Paris"
    assert sites.load_all(store)["tz-paris"].time_zone == "Europe/Paris"
    sites.create(store, "Plain", ["https://plain.test"], key="tz-plain")
    assert sites.load_all(store)["tz-plain"].time_zone == "UTC"
    # A row written before migration 0010 (no time_zone given) reads as UTC.
    store.insert_rows("sites", ["key", "name", "updated"], [["tz-old", "Old", datetime.now(UTC)]])
    assert sites.load_all(store)["tz-old"].time_zone == "UTC"
    for bad in ("Mars/Olympus", "utc", "localtime", "posix/Europe/Paris", "../../etc/passwd", ""):
        with pytest.raises(ValueError, match="not a time zone"):
            sites.create(store, "Bad", ["https://bad.test"], key="tz-bad", zone=bad)
        with pytest.raises(ValueError, match="not a time zone"):
            sites.save(store, sites.Site("tz-paris", "Paris", (), time_zone=bad))
    assert "tz-bad" not in sites.load_all(store) and sites.load_all(store)["tz-paris"].time_zone == "Europe/Paris"


def test_passwords_are_hashed_with_scrypt(store) -> None:  # noqa: ANN001
    accounts.create(store, "dev@example.com", "long enough pw", "viewer")
    stored = store.scalar("SELECT password_hash FROM users FINAL WHERE email = 'dev@example.com'")
    assert stored.startswith("scrypt$") and "long enough" not in stored
    user = accounts.authenticate(store, "DEV@example.com", "long enough pw")
    assert user is not None and (user.email, user.role) == ("dev@example.com", "viewer")
    assert accounts.authenticate(store, "dev@example.com", "wrong password") is None


def test_hostile_values_stay_values(store) -> None:  # noqa: ANN001
    hostile = "x'; DROP TABLE events; --"
    assert store.scalar("SELECT {v:String}", {"v": hostile}) == hostile
    assert "events" in {row[0] for row in store.rows("SHOW TABLES")}


def test_daily_salt_is_shared_and_stable(store) -> None:  # noqa: ANN001
    first, second = DailySalt(store), DailySalt(store)
    day = datetime.now(UTC).date()
    assert first.load(day) == second.load(day)
    assert first.load(day - timedelta(days=1)) != first.load(day)


@pytest.mark.parametrize("bad", ["", "has space", "x" * 65])
def test_bad_site_keys_are_refused(store, bad: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        sites.save(store, sites.Site(bad, "x", ()))
