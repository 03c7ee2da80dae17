"""Every shared fixture, in one place: `footfall serve` processes on free loopback ports, the embedded
ClickHouse, a server whose writer is stalled, and Debian's Chromium through Playwright.

Browser tests run last: Playwright's sync API keeps an event loop running while its browser is
open, which would stop asyncio.run in any test after them."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright

from footfall.store import sites
from footfall.web import settings
from footfall.web.app import create_app
from footfall.web.runtime import Runtime
from footfall.web.testing import FOOTFALL, ServerProcess, cli_json, free_port, wait_for_demo

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


@dataclasses.dataclass(frozen=True)
class Demo:
    """`footfall demo` serving its seeded shop (site `demo`): its administrator's login, a viewer, an
    admin token and a recorded session's id."""

    server: Server
    admin: tuple[str, str]
    viewer: tuple[str, str]
    token: str
    recorded: str


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The dashboard as a newcomer first sees it: `footfall demo` with 400 sessions over 14 days."""
    from footfall.web.demo import DEMO_EMAIL, DEMO_PASSWORD

    data = tmp_path_factory.mktemp("demo") / "data"
    server = Server(data, {"FOOTFALL_RATE_LIMIT": "0"}, command="demo", extra=("--sessions", "400", "--days", "14"))
    viewer = ("reader@demo.test", "reader-pass-3")
    footfall(data, "user", "create", viewer[0], "--role", "viewer", "--password-stdin", stdin=viewer[1] + "\n")
    token = footfall(data, "token", "create", "demo-tests", "--scope", "admin")["token"]
    recorded = wait_for_demo(server, token)
    yield Demo(server, (DEMO_EMAIL, DEMO_PASSWORD), viewer, token, recorded)
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


@pytest.fixture
def stalled_server(request: pytest.FixtureRequest, tmp_path: Path, embedded_url: str):  # noqa: ANN201
    """A server in this process on the embedded store with a 1 MB spool, for tests that fill it. More
    settings come from indirect parametrization: `@pytest.mark.parametrize("stalled_server", [{...}],
    indirect=True)`."""
    config = settings.load({
        "data": str(tmp_path / "data"), "clickhouse_url": embedded_url, "spool_quota_mb": 1,
        "rate_limit": 0,
        "flush_interval_ms": 100, "log_level": "error", **getattr(request, "param", {}),
    }, environ={})
    runtime = Runtime(config)
    store = runtime.open_store()
    sites.create(store, "Shop", [ORIGIN], key="shop")  # the key the helpers send
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config, runtime), port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", runtime, store
    server.should_exit = True
    thread.join(60)


# -- the browser --------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
# Headless Chromium says "HeadlessChrome" in its User-Agent, which the collector drops as a bot; the
# tests' browser stands in for a visitor's, so it names itself as desktop Chrome does.
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
              "Safari/537.36")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         f"--user-agent={USER_AGENT}"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests after all others, in their collected order (see the module's docstring)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _close_contexts(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test's contexts close when it ends, not when its tabs do (tests/browser.py's leave)."""
    yield
    browser = getattr(request.node, "funcargs", {}).get("browser")
    if isinstance(browser, Browser):
        for context in browser.contexts:
            context.close()


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Any]:
    """A site owner's pages next to a Footfall server holding the site, with the administrator OWNER."""
    from tests.browser import OWNER, HostSite

    site = HostSite(tmp_path)
    footfall(site.data, "user", "create", OWNER[0], "--role", "admin", "--password-stdin", stdin=OWNER[1] + "\n")
    yield site
    site.close()
