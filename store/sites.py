"""Sites: key, allowed origins and per-site settings, cached in memory for the ingestion path."""

from __future__ import annotations

import dataclasses
import functools
import re
import secrets
import time
import zoneinfo
from urllib.parse import urlsplit

from footfall.store import Store
from footfall.store.clock import now

KEY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
# Other collectors may create or edit sites; their changes are seen within this many seconds.
REFRESH_SECONDS = 10.0
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclasses.dataclass(frozen=True)
class Site:
    key: str
    name: str
    origins: tuple[str, ...]
    retention_days: int = 365
    replay_sample: float = 1.0
    heatmap_sample: float = 0.1
    honour_dnt: bool = True
    url_patterns: tuple[str, ...] = ()  # paths like /product/* taken as one page (heatmaps, page lists)
    time_zone: str = "UTC"  # an IANA name: the stats API's days and buckets are the site's local ones

    def allows(self, origin: str) -> bool:
        return "*" in self.origins or request_origin(origin) in self.origins


@functools.lru_cache(maxsize=4096)
def request_origin(header: str) -> str | None:
    """An Origin header as stored origins are written, or None; each page's origin is parsed once."""
    try:
        return normalise_origin(header)
    except ValueError:
        return None


def normalise_origin(origin: str) -> str:
    """scheme://host[:port], lower-cased, default ports dropped."""
    origin = origin.strip()
    if origin == "*":
        return origin
    parts = urlsplit(origin if "://" in origin else f"https://{origin}")
    if not parts.hostname or parts.scheme not in ("http", "https"):
        raise ValueError(f"not an origin: {origin!r}")
    port = parts.port
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def url_pattern(text: str) -> str:
    """A page pattern as stored: a path starting with /, `*` for one or more whole segments."""
    pattern = text.strip().split("?", 1)[0].split("#", 1)[0]
    if not pattern.startswith("/") or len(pattern) > 512 or any(c.isspace() for c in pattern):
        raise ValueError(f"not a page pattern: {text.strip()!r} (write paths such as /product/*)")
    return pattern


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA names a site may take: tzdata's list, which ClickHouse's own time zones cover; not
    `localtime` (the host's) nor the `posix/` and `right/` copies a system's zone files may hold."""
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def time_zone(text: str) -> str:
    """An IANA time zone name (`Europe/Paris`, `UTC`); ValueError otherwise."""
    name = text.strip()
    if name not in time_zones():
        raise ValueError(f"not a time zone: {name!r} (write an IANA name such as Europe/Paris)")
    return name


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(12))


SELECT = """
SELECT key, name, origins, retention_days, replay_sample, heatmap_sample, honour_dnt, url_patterns, time_zone
FROM sites FINAL WHERE deleted = 0
"""


def _site(row: tuple) -> Site:
    key, name, origins, retention, replay, heatmap, dnt, patterns, zone = row
    return Site(key, name, tuple(origins), int(retention), float(replay), float(heatmap), bool(dnt), tuple(patterns),
                zone or "UTC")


def save(store: Store, site: Site) -> Site:
    if not _KEY.match(site.key):
        raise ValueError("site key: letters, digits, '-' and '_' only, at most 64")
    time_zone(site.time_zone)
    _write(store, site, deleted=False)
    return site


def _write(store: Store, site: Site, deleted: bool) -> None:
    """A new row of the site's settings: the newest row wins (ReplacingMergeTree, read with FINAL)."""
    stamp = now()
    store.insert_rows(
        "sites",
        ["key", "name", "origins", "retention_days", "replay_sample", "heatmap_sample",
         "honour_dnt", "url_patterns", "time_zone", "created", "updated", "deleted"],
        [[site.key, site.name, list(site.origins), site.retention_days, site.replay_sample,
          site.heatmap_sample, int(site.honour_dnt), list(site.url_patterns), site.time_zone, stamp, stamp,
          int(deleted)]],
    )


def create(store: Store, name: str, origins: list[str], key: str | None = None,
           retention_days: int = 365, zone: str = "UTC") -> Site:
    site = Site(
        key=key or new_key(),
        name=name,
        origins=tuple(dict.fromkeys(normalise_origin(o) for o in origins)),
        retention_days=retention_days,
        time_zone=time_zone(zone),
    )
    return save(store, site)


def load_all(store: Store) -> dict[str, Site]:
    return {row[0]: _site(row) for row in store.rows(SELECT)}


class SiteCache:
    """Sites by key for the hot path; reloaded on a timer and on a miss (at most once a second)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sites: dict[str, Site] = {}
        self.loaded_at = 0.0
        self._miss_reload_at = 0.0

    def reload(self) -> None:
        self.sites = load_all(self.store)
        self.loaded_at = time.monotonic()

    def stale(self) -> bool:
        return time.monotonic() - self.loaded_at > REFRESH_SECONDS

    async def get(self, key: str) -> Site | None:
        if self.stale():
            await self.store.run(self.reload)
        site = self.sites.get(key)
        if site is None and time.monotonic() - self._miss_reload_at > 1.0:
            self._miss_reload_at = time.monotonic()
            await self.store.run(self.reload)
            site = self.sites.get(key)
        return site

    def put(self, site: Site) -> None:
        self.sites[site.key] = site


def snippet(host: str, key: str) -> str:
    return f'<script defer src="{host.rstrip("/")}/f.js" data-site="{key}"></script>'


TABLES_WITH = """
SELECT t.name FROM system.tables AS t
WHERE t.database = currentDatabase() AND t.engine LIKE {engine:String} AND t.name NOT IN ('sites', 'schema_migrations')
  AND t.name IN (SELECT table FROM system.columns WHERE database = currentDatabase() AND name = {column:String})
ORDER BY t.name
"""


def tables_with(store: Store, column: str) -> list[str]:
    """The tables that store a column, found in the store itself: a table added later is never
    left out of a site's deletion or a retention change. On a cluster, the Distributed tables."""
    engine = "Distributed" if store.cluster else "%MergeTree"
    return [name for (name,) in store.rows(TABLES_WITH, {"engine": engine, "column": column})]


def alter_target(store: Store, table: str) -> str:
    """Where an ALTER ... UPDATE or DELETE of a table's rows goes: the table, or its local tables on
    every node of the cluster."""
    database = store.client.database or "footfall"
    return f"{database}.{table}_local ON CLUSTER {store.cluster}" if store.cluster else table


def apply_retention(store: Store, key: str, days: int) -> list[str]:
    """New rows carry the site's retention; rows already stored get it too (a background mutation),
    in every table with a `retention` column."""
    tables = tables_with(store, "retention")
    for table in tables:
        store.command(f"ALTER TABLE {alter_target(store, table)} UPDATE retention = {{d:UInt16}} "
                      "WHERE site = {s:String}", {"d": days, "s": key})
    return tables


def delete(store: Store, key: str) -> dict[str, object]:
    """Remove the site: its settings (ingestion refuses its key from now on), then every stored row
    of it, in every table that has a `site` column (discovered, so a later table is not forgotten)."""
    site = load_all(store).get(key)
    if site is None:
        raise ValueError(f"no site {key!r}")
    _write(store, site, deleted=True)
    tables = tables_with(store, "site")
    for table in tables:
        store.client.command(f"ALTER TABLE {alter_target(store, table)} DELETE WHERE site = {{k:String}}",
                             parameters={"k": key}, settings={"mutations_sync": 2})
    return {"key": key, "name": site.name, "deleted": True, "tables": tables}
