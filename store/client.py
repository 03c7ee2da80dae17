"""The one place that creates a ClickHouse client; embedded chDB and a server differ only in the URL."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

import clickhouse_connect
import clickhouse_connect.driver.exceptions
from clickhouse_connect.driver.client import Client

log = logging.getLogger("footfall.store")
T = TypeVar("T")
P = ParamSpec("P")

DEFAULT_DATABASE = "footfall"


def database_of(url: str) -> str:
    """The database named by an http(s) URL's path, else footfall (chdb paths name a directory)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        name = parts.path.strip("/").split("/")[0]
        return name or DEFAULT_DATABASE
    return DEFAULT_DATABASE


class StoreUnreachable(ConnectionError):
    """ClickHouse could not be reached or refused this login: something the operator fixes (the
    CLI prints it as one line), named without the URL's password."""


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """The HTTP libraries warn of each retry while connecting; a failure is told once, as StoreUnreachable."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def connect(url: str, cluster: str = "") -> Client:
    try:
        with _quiet("urllib3.connectionpool", "clickhouse_connect.driver"):
            return _connect(url, cluster)
    except clickhouse_connect.driver.exceptions.Error as exc:
        text = str(exc).strip()
        # A refused or unreachable address reads as urllib3's whole retry story: keep the OS's words.
        found = re.search(r"\[Errno -?\d+\] ([^\"')]+)", text)
        reason = found.group(1).strip() if found else (text.splitlines()[0] if text else type(exc).__name__)
        password = urlsplit(url).password
        if password:
            reason = reason.replace(password, "***")
        raise StoreUnreachable(f"cannot use ClickHouse at {redacted(url)}: {reason[:300]}") from exc


def _connect(url: str, cluster: str) -> Client:
    scheme = urlsplit(url).scheme
    if scheme not in ("chdb", "http", "https"):
        raise ValueError(f"unsupported ClickHouse URL scheme {scheme!r}: use chdb:// or http(s)://")
    if scheme == "chdb":
        client = clickhouse_connect.get_client(dsn=url)
    else:
        parts = urlsplit(url)
        server = parts._replace(path="").geturl()
        client = clickhouse_connect.get_client(dsn=server, autogenerate_session_id=False)
    database = database_of(url)
    on_cluster = f" ON CLUSTER {cluster}" if cluster else ""
    client.command(f"CREATE DATABASE IF NOT EXISTS {database}{on_cluster}")
    client.database = database
    return client


# How the inbox tables read their JSON lines: events of different types fill different elements
# of one named tuple (the rest take defaults); `p` and `a` (objects or arrays) arrive as text.
JSON_INPUT = {
    "input_format_json_named_tuples_as_objects": 1,
    "input_format_json_defaults_for_missing_elements_in_named_tuple": 1,
    "input_format_json_read_objects_as_strings": 1,
    "input_format_json_read_arrays_as_strings": 1,
    "input_format_null_as_default": 1,
    "input_format_skip_unknown_fields": 1,
    "deduplicate_blocks_in_dependent_materialized_views": 1,
}


# Told of every call to the store once it returns or fails: (operation: query, command or insert,
# seconds, failed). The process registers one (web/metrics.py: the latency histograms); the store
# knows nothing of what it feeds. Called on the store's threads, so it must be thread-safe.
Observer = Callable[[str, float, bool], None]


def observed(operation: str) -> Callable[[Callable[Concatenate[Store, P], T]], Callable[Concatenate[Store, P], T]]:
    """Times a blocking call for the store's observer."""

    def wrap(call: Callable[Concatenate[Store, P], T]) -> Callable[Concatenate[Store, P], T]:
        @functools.wraps(call)
        def timed(self: Store, *args: P.args, **kwargs: P.kwargs) -> T:
            started = time.perf_counter()
            failed = True
            try:
                result = call(self, *args, **kwargs)
                failed = False
                return result
            finally:
                if self.observer is not None:
                    self.observer(operation, time.perf_counter() - started, failed)

        return timed

    return wrap


class Store:
    """A client plus a thread pool: every blocking call runs off the event loop through `run`."""

    def __init__(self, url: str, cluster: str = "", workers: int = 4) -> None:
        self.url = url
        self.cluster = cluster
        self.observer: Observer | None = None
        self.client = connect(url, cluster)
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="store")

    @property
    def embedded(self) -> bool:
        return self.url.startswith("chdb:")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    # -- blocking calls --------------------------------------------------------
    @observed("query")
    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.client.query(sql, parameters=params or {}).result_rows

    @observed("query")
    def dicts(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result = self.client.query(sql, parameters=params or {})
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    @observed("query")
    def raw(self, sql: str, params: dict[str, Any] | None = None, fmt: str = "RowBinary") -> bytes:
        """The result as ClickHouse encodes it: for large fixed-width results, decoded by numpy
        at memory speed instead of one Python tuple per row."""
        return self.client.raw_query(sql, parameters=params or {}, fmt=fmt)

    @observed("command")
    def command(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.command(sql, parameters=params or {})

    @observed("insert")
    def insert_json(self, table: str, lines: bytes, token: str | None = None) -> None:
        """One insert of NDJSON rows; a retried insert with the same token is stored once,
        in the table and in every materialized view's target."""
        settings: dict[str, Any] = dict(JSON_INPUT)
        if token:
            settings["insert_deduplication_token"] = token
        if self.cluster:  # return only once every shard has its rows: the spool segment is deleted next
            settings["insert_distributed_sync"] = 1
        self.client.raw_insert(table, insert_block=lines, fmt="JSONEachRow", settings=settings)

    @observed("insert")
    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.client.insert(table, list(rows), column_names=list(columns))
