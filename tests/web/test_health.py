"""GET /readyz: ready on a fresh server; 503 naming the failed check while the writer lags, the spool
fills or the store is gone, while /healthz still answers; ready again once that is over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from footfall.store.client import connect
from tests.conftest import Server
from tests.helpers import make_batch, post, wait_until


def readyz(url: str) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(url + "/readyz", timeout=30)
    return answer.status_code, answer.json()


def test_a_fresh_server_is_ready(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    try:
        status, body = readyz(server.url)
        assert status == 200 and body["status"] == "ready" and "failed" not in body
        assert body["checks"] == {
            "store": {"ok": True},
            "spool": {"ok": True, "share": 0.0, "max_share": 0.5},
            "writer": {"ok": True, "lag_s": 0.0, "max_lag_s": 60.0},
        }
    finally:
        server.stop()


@pytest.mark.parametrize(("stalled_server", "failing"), [
    ({"readiness_max_lag_s": 1.0}, "writer"),
    ({"readiness_max_spool_share": 0.01, "readiness_max_lag_s": 3600.0}, "spool"),
], indirect=["stalled_server"], ids=["writer lags", "spool fills"])
def test_not_ready_while_batches_wait_then_ready_once_written(stalled_server, failing: str) -> None:  # noqa: ANN001
    url, _, store = stalled_server
    assert readyz(url)[0] == 200
    store.command("DETACH TABLE pageviews")  # every insert fails: the writer keeps its segments
    try:
        def one_more_then_not_ready() -> bool:
            assert post(url, make_batch())[0] == 202
            return readyz(url)[0] == 503

        wait_until(one_more_then_not_ready)
        status, body = readyz(url)
        assert status == 503 and body["status"] == "not ready" and body["failed"] == [failing]
        checks = body["checks"]
        assert checks["store"] == {"ok": True}
        if failing == "writer":
            assert checks["writer"]["lag_s"] > 1.0 and checks["spool"]["ok"]
        else:
            assert checks["spool"]["share"] > 0.01 and checks["writer"]["ok"]
        assert httpx.get(url + "/healthz").status_code == 200  # alive all the same
    finally:
        store.command("ATTACH TABLE pageviews")
    wait_until(lambda: readyz(url)[0] == 200)  # the writer caught up: under the limit again
    assert readyz(url)[1]["checks"][failing]["ok"]


def test_not_ready_while_the_store_is_gone(stalled_server, embedded_url: str) -> None:  # noqa: ANN001
    url, _, store = stalled_server
    assert readyz(url)[0] == 200
    store.client.close()  # every call to the store fails from now on, as with a connection lost
    try:
        wait_until(lambda: readyz(url)[0] == 503)
        status, body = readyz(url)
        assert body["failed"] == ["store"]
        assert body["checks"]["store"] == {"ok": False, "error": "ProgrammingError"}  # the class, not the text
        assert httpx.get(url + "/healthz").status_code == 200
    finally:
        store.client = connect(embedded_url)
    wait_until(lambda: readyz(url)[0] == 200)
