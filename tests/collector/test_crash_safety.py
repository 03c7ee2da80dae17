"""Durability: every batch that got a 202 is in ClickHouse exactly once, even after SIGKILL."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, footfall, query_store
from tests.helpers import CHROME, ORIGIN, make_batch, post

pytestmark = pytest.mark.slow
TOTAL = 3000
KILL_AFTER = 1000
CONCURRENCY = 32


async def send_until_killed(server: Server) -> tuple[set[str], int]:
    """Send TOTAL batches concurrently; SIGKILL the server once KILL_AFTER are acknowledged."""
    acked: set[str] = set()
    failed = 0
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for _ in range(TOTAL):
        queue.put_nowait(make_batch(events=4))
    headers = {"Origin": ORIGIN, "User-Agent": CHROME, "Content-Type": "text/plain"}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failed
        while not queue.empty():
            batch = queue.get_nowait()
            try:
                resp = await client.post(server.url + "/i/v1/batch", content=json.dumps(batch),
                                         headers=headers)
            except httpx.HTTPError:
                failed += 1
                continue
            if resp.status_code == 202:
                acked.add(batch["pv"])
                if len(acked) == KILL_AFTER:
                    server.kill()
            else:
                failed += 1

    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return acked, failed


def test_sigkill_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop")
    env = {"FOOTFALL_RATE_LIMIT": "0"}
    server = Server(data, env)
    acked, failed = asyncio.run(send_until_killed(server))
    assert server.proc.returncode == -9
    assert len(acked) >= KILL_AFTER and failed > 0  # the kill really happened part-way
    spooled = list((data / "spool").glob("*"))

    # Restart: the spool left by the killed process is replayed into the store.
    restarted = Server(data, env)
    deadline = time.monotonic() + 60
    while list((data / "spool").glob("*.seg")) and time.monotonic() < deadline:
        time.sleep(0.2)
    restarted.stop()
    assert not list((data / "spool").glob("*.seg")), "spool not drained"

    stored = query_store(data, "SELECT pageview_id, count() FROM pageviews GROUP BY pageview_id")
    counts = {pv: int(n) for pv, n in stored}
    assert not acked - counts.keys(), f"{len(acked - counts.keys())} acknowledged batches lost"
    assert all(n == 1 for n in counts.values()), "a batch was stored twice"
    clicks = query_store(data, "SELECT count(), uniqExact(pageview_id) FROM events WHERE type='click'")
    assert int(clicks[0][0]) == 3 * len(counts) and int(clicks[0][1]) == len(counts)
    assert spooled, "the kill left nothing in the spool, so replay was not exercised"


def test_graceful_stop_drains_the_spool(tmp_path: Path) -> None:
    data = tmp_path / "data"
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop")
    # A long flush interval: only the shutdown flush can move these batches into the store.
    server = Server(data, {"FOOTFALL_RATE_LIMIT": "0", "FOOTFALL_FLUSH_INTERVAL_MS": "600000"})
    sent = [make_batch() for _ in range(20)]
    assert all(post(server.url, batch)[0] == 202 for batch in sent)
    server.stop()
    assert server.proc.returncode in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown
    assert not list((data / "spool").glob("*.seg")) and not list((data / "spool").glob("*.open"))
    stored = query_store(data, "SELECT count() FROM pageviews")
    assert int(stored[0][0]) == 20
