"""The demo's real recorded sessions: replayed through the ingestion path with new ids and recent
times, each replay arrives with its session's page views and events."""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from footfall.analysis import heatmaps
from footfall.collector import frames
from footfall.demo import recordings
from footfall.replay import snapshots
from footfall.web import runtime


def test_the_saved_recordings_are_real_and_privacy_safe() -> None:
    saved = recordings.load()
    assert {r["name"] for r in saved} == {"buyer", "frustrated", "mobile", "abandoned"}
    for recording in saved:
        paths = {r["path"] for r in recording["requests"]}
        assert paths == {"/i/v1/batch", "/i/v1/replay"}, recording["name"]
        text = json.dumps(recording)
        for typed in ("4242424242424242", "robin@example.org", "Robin Ash", "Sam Birch"):
            assert typed not in text  # inputs were masked by the recorder, never sent by the snippet
        chunks = [r["body"] for r in recording["requests"] if r["path"] == "/i/v1/replay"]
        first = chunks[0]
        raw = gzip.decompress(base64.b64decode(first["data"])) if first["enc"] == "gzip-base64" else first["data"]
        assert [e["type"] for e in json.loads(raw)[:2]] == [4, 2]  # meta, then a full snapshot


def test_a_recording_replays_as_a_recent_session_with_its_events(store) -> None:  # noqa: ANN001
    site = f"demo-{uuid.uuid4().hex[:8]}"
    recording = next(r for r in recordings.load() if r["name"] == "buyer")
    for request in recording["requests"]:
        request["body"]["site"] = site
    start = int(time.time() * 1000) - 3_600_000
    payloads = [p for p, _ in recordings.replay_recording(recording, start, 30)]
    runtime.land(store, payloads, uuid.uuid4().hex)
    [(sessions, views, first)] = store.rows(
        "SELECT uniqExact(session_id), count(), min(time) FROM pageviews WHERE site = {s:String}", {"s": site})
    assert sessions == 1 and views >= 5
    assert abs(first.timestamp() * 1000 - start) < 60_000
    [(chunk_sessions, chunks)] = store.rows(
        "SELECT groupUniqArray(session_id), count() FROM replay_chunks WHERE site = {s:String}", {"s": site})
    [pageview_session] = store.rows("SELECT DISTINCT session_id FROM pageviews WHERE site = {s:String}", {"s": site})
    assert chunk_sessions == [pageview_session[0]] and chunks >= 3
    clicks = store.scalar("SELECT count() FROM events WHERE site = {s:String} AND type = 'click'", {"s": site})
    assert clicks >= 5
    again = [p for p, _ in recordings.replay_recording(recording, start, 30)]
    assert again[0] != payloads[0]  # a second replay is a different session


def test_the_recorded_address_becomes_the_demo_servers() -> None:
    recording = next(r for r in recordings.load() if r["name"] == "buyer")
    recorded = recordings.recorded_origin(recording)
    assert recorded.startswith("http://127.0.0.1:")
    payloads = [p for p, _ in recordings.replay_recording(recording, 1_800_000_000_000, 30, "http://demo.test:8000")]
    text = b"".join(payloads)
    assert recorded.encode() not in text and b"http://demo.test:8000/demo/shop/" in text
    chunks = [json.loads(p[1:]) for p in payloads if p[:1] == frames.REPLAY]
    assert chunks and all(c["enc"] == "json" for c in chunks)  # readable: nothing hides in gzip
    assert any("http://demo.test:8000/demo/shop/img/" in c["data"] for c in chunks)  # the pictures too


def test_the_demo_heatmaps_have_the_shops_own_pages_to_draw_over(store) -> None:  # noqa: ANN001
    """Every saved recording seeded: the shop's home page has a snapshot on desktop and on mobile,
    a product page pattern finds one, and each is the page the map is asked for."""
    site = f"demo-{uuid.uuid4().hex[:8]}"
    start = int(time.time() * 1000) - 3_600_000
    for recording in recordings.load():
        for request in recording["requests"]:
            request["body"]["site"] = site
        runtime.land(store, [p for p, _ in recordings.replay_recording(recording, start, 30)], uuid.uuid4().hex)
    day = datetime.now(UTC) - timedelta(days=1)
    for url, device in (("/demo/shop/", "desktop"), ("/demo/shop/", "mobile"), ("/demo/shop/product/*", "desktop")):
        found = snapshots.latest_snapshot(store, heatmaps.Scope(site, day, day + timedelta(days=2), url, device))
        assert found is not None, (url, device)
        meta, full = found["events"]
        assert meta["type"] == 4 and full["type"] == 2
        assert snapshots.page_matcher(url)(meta["data"]["href"])
        assert meta["data"]["width"] == (390 if device == "mobile" else 1280)
    nothing = heatmaps.Scope(site, day, day + timedelta(days=2), "/demo/shop/thank-you", "mobile")
    assert snapshots.latest_snapshot(store, nothing) is None  # the mobile journey never got that far
