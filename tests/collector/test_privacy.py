"""No raw IP address is stored anywhere; it only shapes the salted visitor hash. No query string or
fragment of a visited page is stored either."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import footfall, query_store, start_site_server, stored_hits
from tests.helpers import ORIGIN, make_batch, post, wait_for_count

IPS = ("203.0.113.77", "198.51.100.23")


def test_client_ip_is_never_stored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server, token = start_site_server(data)
    try:
        for ip in IPS:
            for _ in range(2):
                batch = make_batch()
                batch["e"].append({"t": "error", "ts": batch["sent"], "msg": f"failed for {ip[:3]}"})
                assert post(server.url, batch, {"X-Forwarded-For": ip})[0] == 202
        assert wait_for_count(server.url, token, "pageview", 4) == 4
        spool = b"".join(p.read_bytes() for p in (data / "spool").glob("*"))
        assert not any(ip.encode() in spool for ip in IPS)
    finally:
        server.stop()
    assert "203.0.113" not in server.read_log()
    visitors = query_store(data, "SELECT uniqExact(visitor_id) FROM pageviews")
    assert int(visitors[0][0]) == 2  # same IP and agent, same visitor; the other IP, another
    enriched = query_store(data, "SELECT DISTINCT device, browser, os, url FROM pageviews")
    assert enriched == [["desktop", "Chrome", "Linux", "http://shop.test/product/1"]]
    assert stored_hits(data, IPS) == {}  # in no text column of any table
    assert footfall(data, "token", "create", "after")["token"]


QUERY = "?email=alice%40example.com&token=SECRET"
PAGE = f"{ORIGIN}/account{QUERY}#frag-k3y"
URL_MARKERS = ("alice%40example.com", "alice@example.com", "SECRET", "frag-k3y")


def test_query_strings_and_fragments_reach_neither_the_spool_nor_the_store(tmp_path: Path) -> None:
    """Whatever a page (or an old or modified snippet) sends: batch, recording and page snapshot."""
    data = tmp_path / "data"
    server, _ = start_site_server(data, {"FOOTFALL_FLUSH_INTERVAL_MS": "600000"})  # frames stay in the spool
    try:
        batch = make_batch(url=PAGE, ref=PAGE)
        now = batch["sent"]
        batch["e"] += [{"t": "error", "ts": now, "msg": f"failed at {PAGE}", "src": PAGE,
                        "stack": f"Error: x\n    at buy ({PAGE}:12:5)"},
                       {"t": "res", "ts": now, "url": f"{ORIGIN}/a.png{QUERY}", "dur": 900}]
        assert post(server.url, batch)[0] == 202
        events = [{"type": 4, "data": {"href": PAGE, "width": 800, "height": 600}, "timestamp": now},
                  {"type": 2, "data": {"node": {"type": 2, "tagName": "a", "attributes": {
                      "href": f"{ORIGIN}/account{QUERY}#top"}}}, "timestamp": now + 1}]
        chunk = {"v": 1, "site": "shop", "sid": batch["sid"], "seq": 0, "data": json.dumps(events), "ts": now}
        assert post(server.url, chunk, path="/i/v1/replay")[0] == 202
        snapshot = {**chunk, "snap": True, "url": PAGE, "vw": 800}
        assert post(server.url, snapshot, path="/i/v1/replay")[0] == 409  # not asked for: nothing stored
        spool = b"".join(p.read_bytes() for p in (data / "spool").rglob("*") if p.is_file())
        assert spool.count(f"{ORIGIN}/account".encode()) >= 5  # the frames are there, cut
        assert not [m for m in URL_MARKERS if m.encode() in spool]
    finally:
        server.stop()  # the spool drains into the store
    assert query_store(data, "SELECT count() FROM replay_chunks")[0][0] == 1
    assert query_store(data, "SELECT count() FROM page_snapshots")[0][0] == 0  # the unasked snapshot
    assert query_store(data, "SELECT url FROM pageviews") == [[f"{ORIGIN}/account"]]
    assert stored_hits(data, URL_MARKERS) == {}
