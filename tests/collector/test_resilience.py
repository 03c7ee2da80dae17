"""No visitor can break the ingest path: a bad event costs only itself, old event times cannot
block the writer, a segment no retry cures is set aside while later data arrives, transient
failures retry in order, and a batch resent after a crash is stored once."""

from __future__ import annotations

import json
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

from footfall.collector.spool import FRAME, SEALED
from tests.conftest import Server, footfall, query_store, start_site_server
from tests.helpers import count, get, make_batch, post, wait_for_count, wait_until

MONTH_MS = 31 * 24 * 3600 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


def stats(url: str, token: str) -> dict[str, int]:
    status, body = get(f"{url}/api/v1/ingest/stats", token)
    assert status == 200, body
    return body


def test_one_invalid_event_is_dropped_and_counted_and_the_rest_stored(tmp_path: Path) -> None:
    server, token = start_site_server(tmp_path / "data", {"FOOTFALL_RATE_LIMIT": "0"})
    try:
        batch = make_batch(events=10)
        ts = batch["e"][0]["ts"]
        batch["e"] += [{"t": "form", "ts": ts, "s": "#new-todo", "first": 12, "time": 800, "changes": 3,
                        "refocus": -1},  # what the snippet sent for an autofocus field
                       {"t": "teleport", "ts": ts}, {"t": "scroll", "ts": ts, "d": 400}]
        status, _, body = post(server.url, batch)
        assert status == 202, body
        assert body["accepted"] == 11 and body["invalid"] == 2
        assert [e["field"] for e in body["errors"]] == ["$.e[10].refocus", "$.e[11].t"]
        assert wait_for_count(server.url, token, "", 11) == 11
        assert count(server.url, token, "scroll") == 1 and count(server.url, token, "form") == 0
        counted = stats(server.url, token)
        assert counted["dropped.invalid_event"] == 2
        assert counted["dropped.invalid_event.form.refocus"] == 1 and counted["dropped.invalid_event.other.t"] == 1
        # An invalid envelope still refuses the whole batch.
        status, _, body = post(server.url, {**make_batch(), "sid": "not a valid id!"})
        assert (status, body["field"]) == (400, "$.sid")
    finally:
        server.stop()


def test_events_from_long_before_arrival_are_dropped_and_ingestion_goes_on(tmp_path: Path) -> None:
    """150 page views, one a month since 2010 (the site key is public): before, ClickHouse refused
    the segment (over 100 partitions) and every later segment waited behind it for good."""
    server, token = start_site_server(tmp_path / "data", {"FOOTFALL_RATE_LIMIT": "0"})
    try:
        start = 1262304000000  # 2010-01-01
        old = make_batch(events=0)
        old["e"] = [{"t": "pageview", "ts": start + i * MONTH_MS} for i in range(150)]
        old["sent"] = now_ms()
        status, _, body = post(server.url, old)
        assert status == 202 and body["accepted"] == 0 and body["invalid"] == 150
        chunks = []
        for i in range(110):  # replay chunks dated in 110 months: stored at their receive time
            chunk = {"v": 1, "site": "shop", "sid": old["sid"], "seq": i, "ts": start + i * MONTH_MS,
                     "data": '[{"type":4,"timestamp":1,"data":{"href":"http://shop.test/"}}]'}
            chunks.append(post(server.url, chunk, path="/i/v1/replay")[0])
        assert chunks == [202] * 110
        later = make_batch(events=3)
        assert post(server.url, later)[0] == 202
        assert wait_for_count(server.url, token, "replay", 110) == 110
        assert wait_for_count(server.url, token, "pageview", 1) == 1  # the later batch's page view
        assert stats(server.url, token)["clamped.replay_time"] == 110
    finally:
        server.stop()
    months = query_store(server.data, "SELECT uniqExact(toYYYYMM(time)) FROM replay_chunks")
    assert months[0][0] <= 2


def segment(spool: Path, name: str, *payloads: bytes) -> Path:
    path = spool / (name + SEALED)
    path.write_bytes(b"".join(FRAME.pack(len(p), zlib.crc32(p)) + p for p in payloads))
    return path


def frame_of(batch: dict[str, Any], received: int) -> bytes:
    import json

    head = {"srv_received": received, "srv_visitor": "v", "srv_browser": "", "srv_browser_version": "",
            "srv_os": "", "srv_device": "desktop", "srv_retention": 30}
    return b"B" + json.dumps({**head, **batch}).encode()


def stored_pageviews(store: Any, pageview_id: str) -> int:
    return int(store.scalar("SELECT count() FROM pageviews WHERE pageview_id = {pv:String}", {"pv": pageview_id}))


def test_a_segment_no_retry_cures_is_dead_lettered_and_later_data_arrives(stalled_server) -> None:  # noqa: ANN001
    url, runtime, store = stalled_server
    spool = runtime.spool.directory
    # A segment over more than 100 monthly partitions, written straight into the spool as an older
    # collector (without the time window) would have: ClickHouse refuses it, whatever the retries.
    received = now_ms()
    spread = make_batch(events=0)
    spread["e"] = [{"t": "pageview", "ts": 1262304000000 + i * MONTH_MS} for i in range(120)]
    spread["sent"] = received
    too_wide = segment(spool, "00000000000000000001-too-wide", frame_of(spread, received))
    unreadable = segment(spool, "00000000000000000002-unreadable", b"X{}")
    after = make_batch()
    assert post(url, after)[0] == 202
    wait_until(lambda: stored_pageviews(store, after["pv"]) == 1)
    dead = spool / "dead-letter"
    assert (dead / too_wide.name).exists() and (dead / unreadable.name).exists()
    counted = runtime.ingestor.counters.snapshot()
    assert counted["writer.dead_lettered"] == 2 and counted["writer.failed.permanent"] >= 4


def test_a_transient_failure_is_retried_in_order_until_it_clears(stalled_server) -> None:  # noqa: ANN001
    url, runtime, store = stalled_server
    store.command("DETACH TABLE pageviews")  # the store refuses every insert: a table missing
    sent = []
    try:
        for _ in range(3):
            batch = make_batch()
            assert post(url, batch)[0] == 202
            sent.append(batch["pv"])
        wait_until(lambda: runtime.ingestor.counters.snapshot().get("writer.failed.transient", 0) >= 6)
        assert not (runtime.spool.directory / "dead-letter").exists()  # never set aside
        assert runtime.spool.sealed()
    finally:
        store.command("ATTACH TABLE pageviews")
    wait_until(lambda: all(stored_pageviews(store, pv) == 1 for pv in sent))


def test_an_unknown_failure_is_retried_then_set_aside(stalled_server) -> None:  # noqa: ANN001
    url, runtime, store = stalled_server
    real = store.insert_json
    failing = {"left": 10_000}

    def refuses_one_segment(table: str, lines: bytes, token: str | None = None) -> None:
        if b"cursed" in lines and failing["left"]:
            failing["left"] -= 1
            raise RuntimeError("Code: 9999. DB::Exception: a failure nobody has seen before. (SOMETHING_NEW)")
        real(table, lines, token)

    store.insert_json = refuses_one_segment  # the real store, with one kind of insert failing
    try:
        cursed = make_batch()
        cursed["e"][0]["title"] = "cursed"
        assert post(url, cursed)[0] == 202
        wait_until(lambda: runtime.writer.dead_lettered == 1)
        later = make_batch()
        assert post(url, later)[0] == 202
        wait_until(lambda: stored_pageviews(store, later["pv"]) == 1)
        assert runtime.ingestor.counters.snapshot()["writer.failed.unknown"] >= 8
        assert stored_pageviews(store, cursed["pv"]) == 0
    finally:
        store.insert_json = real
    # The cause fixed, the operator puts the segment back (through the running server's admin socket).
    data = runtime.config.data_dir
    status = footfall(data, "spool", "status")
    assert len(status["dead_letter"]) == 1
    assert footfall(data, "spool", "retry")["retried"] == [status["dead_letter"][0]["segment"]]
    wait_until(lambda: stored_pageviews(store, cursed["pv"]) == 1)
    assert footfall(data, "spool", "status")["dead_letter"] == []


def resend(server: Server, batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answers = []
    for batch in batches:
        status, _, body = post(server.url, batch)
        assert status == 202, body
        answers.append(body)
    return answers


def test_a_batch_resent_after_a_crash_is_stored_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for flush, name in (("600000", "still in the spool"), ("100", "already in the store")):
        server, token = start_site_server(data, {"FOOTFALL_RATE_LIMIT": "0", "FOOTFALL_FLUSH_INTERVAL_MS": flush})
        batches = [make_batch(events=2) | {"id": uuid.uuid4().hex} for _ in range(20)]
        resend(server, batches)
        if flush == "100":
            wait_until(lambda: not list((data / "spool").glob("*.seg")) and not list((data / "spool").glob("*.open")))
        server.kill()  # the 202s were "lost": the snippet sends every batch again
        server = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
        try:
            answers = resend(server, batches)
            assert [a.get("dropped") for a in answers] == ["duplicate"] * 20, name
        finally:
            server.stop()
        pageviews = query_store(data, "SELECT count(), uniqExact(pageview_id) FROM pageviews WHERE pageview_id IN "
                                      f"({', '.join(repr(b['pv']) for b in batches)})")
        assert pageviews == [[20, 20]], name


def test_a_small_gzip_chunk_cannot_become_a_large_one_and_bytes_are_charged(tmp_path: Path) -> None:
    import base64
    import gzip

    server, token = start_site_server(tmp_path / "data", {"FOOTFALL_RATE_LIMIT": "0", "FOOTFALL_RATE_LIMIT_KB": "64",
                                                          "FOOTFALL_RATE_BURST_KB": "1024"})
    try:
        session = make_batch()
        assert post(server.url, session)[0] == 202
        # 27 KB of gzip that inflates to 20 MiB: under the old cap (20x the 1 MiB limit), over 40x what came.
        bomb = base64.b64encode(gzip.compress(b"[" + b" " * (20 * 2**20 - 2) + b"]", 9)).decode()
        assert len(bomb) < 40_000
        chunk = {"v": 1, "site": "shop", "sid": session["sid"], "seq": 0, "data": bomb, "enc": "gzip-base64"}
        status, _, body = post(server.url, chunk, path="/i/v1/replay")
        assert (status, body["field"]) == (413, "$.data")
        # Honest chunks of 300 KB each: the byte budget (1 MiB burst, 64 KB/s) stops the fourth or so.
        events = json.dumps([{"type": 3, "data": {"text": "x" * 300_000}, "timestamp": 1}])
        answers = [post(server.url, {**chunk, "seq": i + 1, "data": events, "enc": "json"}, path="/i/v1/replay")
                   for i in range(6)]
        statuses = [a[0] for a in answers]
        assert statuses[:3] == [202, 202, 202] and 429 in statuses[3:], statuses
        refused = next(a for a in answers if a[0] == 429)
        assert refused[2]["field"] == "rate" and int(refused[1]["Retry-After"]) >= 1
        # Another client's budget is its own.
        assert post(server.url, make_batch(), {"X-Forwarded-For": "203.0.113.9"})[0] == 202
    finally:
        server.stop()
