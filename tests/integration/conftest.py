"""Fixtures the integration tests share: defined here once, found by pytest in every module below."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import uvicorn

from footfall.store import sites
from footfall.web import settings
from footfall.web.app import create_app
from footfall.web.runtime import Runtime
from tests.conftest import free_port

from .helpers import ORIGIN


@pytest.fixture
def stalled_server(tmp_path: Path, embedded_url: str):  # noqa: ANN201
    config = settings.load({
        "data": str(tmp_path / "data"), "clickhouse_url": embedded_url, "spool_quota_mb": 1,
        "rate_limit": 0,
        "flush_interval_ms": 100, "log_level": "error",
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
