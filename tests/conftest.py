"""Fixtures with real parts: `footfall serve` processes on free loopback ports, embedded ClickHouse."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from footfall.web.testing import FOOTFALL, ServerProcess, cli_json, free_port

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = "http://shop.test"
# The names the tests use: a real server process and the CLI's --json output.
Server = ServerProcess
footfall = cli_json
__all__ = ["FOOTFALL", "ROOT", "ORIGIN", "Server", "footfall", "free_port"]


def query_store(data: Path, sql: str) -> list[list[Any]]:
    """Read the embedded store of a stopped server from a separate process (one chDB path per process)."""
    script = (
        "import json,sys\n"
        "from footfall.store import Store\n"
        f"s = Store('chdb://{data / 'clickhouse'}')\n"
        "print(json.dumps([list(r) for r in s.rows(sys.argv[1])], default=str))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, sql], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def stored_hits(data: Path, markers: tuple[str, ...]) -> dict[str, int]:
    """Every text column of every table of a stopped server's store, searched for the markers:
    {"table.column": rows holding one}, only where some do. Markers must not hold quotes."""
    columns = query_store(data, "SELECT table, name FROM system.columns WHERE database = 'footfall' "
                                "AND type LIKE '%String%'")
    assert len(columns) > 50
    needles = ", ".join(f"'{marker}'" for marker in markers)
    search = " UNION ALL ".join(
        f"SELECT '{table}.{column}', countIf(multiSearchAny(toString(`{column}`), [{needles}])) FROM `{table}`"
        for table, column in columns)
    return {where: int(n) for where, n in query_store(data, search) if int(n)}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def start_site_server(data: Path, env: dict[str, str] | None = None) -> tuple[Server, str]:
    """A server with site `shop` (origin http://shop.test) and an admin-scoped API token."""
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop")
    server = Server(data, env)
    token = footfall(data, "token", "create", "tests", "--scope", "admin")["token"]
    return server, token


@pytest.fixture(scope="session")
def shop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data = tmp_path_factory.mktemp("shop") / "data"
    server, token = start_site_server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    yield server, token
    server.stop()


@pytest.fixture(scope="session")
def embedded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The one embedded ClickHouse of this test process (chDB allows one data path per process)."""
    return f"chdb://{tmp_path_factory.mktemp('embedded') / 'clickhouse'}"


@pytest.fixture(scope="session")
def store(embedded_url: str) -> Iterator[Any]:
    from footfall.store import Store
    from footfall.store.migrations import migrate

    opened = Store(embedded_url)
    migrate(opened)
    yield opened
    opened.close()
