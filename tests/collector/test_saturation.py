"""Back-pressure: with the store refusing inserts the spool fills, the endpoint answers 503, and
everything accepted arrives once the store is back."""

from __future__ import annotations

import time

from tests.helpers import make_batch, post


def test_full_spool_answers_503_then_delivers_everything(stalled_server) -> None:  # noqa: ANN001
    url, runtime, store = stalled_server
    store.command("DETACH TABLE pageviews")  # every segment insert now fails part-way
    acked: list[str] = []
    refused = None
    try:
        for _ in range(5000):
            batch = make_batch(events=25)
            status, headers, body = post(url, batch)
            if status == 202:
                acked.append(batch["pv"])
            else:
                refused = (status, headers["Retry-After"], body)
                break
        assert refused is not None, "the spool never filled"
        assert refused[0] == 503 and int(refused[1]) >= 1 and refused[2]["field"] == "spool"
        assert post(url, make_batch())[0] == 503  # still full while the store is down
        assert runtime.writer.failures > 0
    finally:
        store.command("ATTACH TABLE pageviews")

    deadline = time.monotonic() + 60
    while runtime.spool.sealed() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not runtime.spool.sealed()
    stored = dict(store.rows(
        "SELECT pageview_id, count() FROM pageviews WHERE pageview_id IN {ids:Array(String)} "
        "GROUP BY pageview_id", {"ids": acked}))
    assert len(stored) == len(acked) and set(stored.values()) == {1}
    clicks = store.scalar("SELECT count() FROM events WHERE pageview_id IN {ids:Array(String)}",
                          {"ids": acked})
    assert clicks == 24 * len(acked)  # the events inserted before each failure were not doubled
    assert post(url, make_batch())[0] == 202


def test_a_segment_the_store_refuses_is_set_aside(stalled_server) -> None:  # noqa: ANN001
    """A poison segment must not block every later batch; it is kept aside for inspection."""
    import zlib

    from footfall.collector.spool import FRAME, SEALED

    url, runtime, store = stalled_server
    poison = b'B{"srv_received": "not a time", "site": "shop", "e": [{"t": "click", "x": "far"}]}'
    bad = runtime.spool.directory / ("00000000000000000001-poison" + SEALED)
    bad.write_bytes(FRAME.pack(len(poison), zlib.crc32(poison)) + poison)
    batch = make_batch()
    assert post(url, batch)[0] == 202
    deadline = time.monotonic() + 60
    while runtime.writer.dead_lettered == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (runtime.spool.directory / "dead-letter" / bad.name).exists()
    while runtime.spool.sealed() and time.monotonic() < deadline:
        time.sleep(0.2)
    stored = store.scalar("SELECT count() FROM pageviews WHERE pageview_id = {pv:String}", {"pv": batch["pv"]})
    assert stored == 1
