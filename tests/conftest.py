"""Fixtures with real parts: `footfall serve` processes on free loopback ports, embedded ClickHouse."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOOTFALL = [sys.executable, "-m", "collector.cli"]
ORIGIN = "http://shop.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def footfall(data: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
    """Run a CLI command with --json and return its parsed output."""
    result = subprocess.run(
        [*FOOTFALL, *args, "--data", str(data), "--json"],
        input=stdin, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class Server:
    """A real `footfall serve` process; kill() is SIGKILL, stop() is a graceful SIGTERM."""

    def __init__(self, data: Path, env: dict[str, str] | None = None, command: str = "serve",
                 extra: tuple[str, ...] = ()) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FOOTFALL_LOG_LEVEL": "warning", **(env or {})}
        self.log = open(data.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*FOOTFALL, command, "--data", str(data), "--port", str(self.port), *extra],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.read_log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"server not healthy: {self.read_log()}")

    def read_log(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.data.parent / f"server-{self.port}.log").read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.log.closed:
            self.log.close()


def query_store(data: Path, sql: str) -> list[list[Any]]:
    """Read the embedded store of a stopped server from a separate process (one chDB path per process)."""
    script = (
        "import json,sys\n"
        "from collector.store import Store\n"
        f"s = Store('chdb://{data / 'clickhouse'}')\n"
        "print(json.dumps([list(r) for r in s.rows(sys.argv[1])], default=str))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, sql], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def start_site_server(data: Path, env: dict[str, str] | None = None) -> tuple[Server, str]:
    """A server with site `shop` (origin http://shop.test) and an API token."""
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop")
    server = Server(data, env)
    token = footfall(data, "token", "create", "tests")["token"]
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
    from collector.store import Store
    from collector.store.migrations import migrate

    opened = Store(embedded_url)
    migrate(opened)
    yield opened
    opened.close()
