"""POST /i/v1/batch against a real server: each bad input gets its 4xx, good input is stored."""

from __future__ import annotations

import gzip
import json
import time
import uuid

import pytest

from tests.helpers import ORIGIN, count, get, get_text, make_batch, post, wait_for_count


@pytest.fixture
def server(shop_server):  # noqa: ANN001, ANN201
    return shop_server


def test_accepted_batch_is_queryable(server) -> None:  # noqa: ANN001
    srv, token = server
    before = count(srv.url, token, "click")
    status, headers, body = post(srv.url, make_batch(events=5))
    assert status == 202 and body == {"accepted": 5, "replay": True}  # the site records every session
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert wait_for_count(srv.url, token, "click", before + 4) == before + 4


def test_gzip_body_with_and_without_header(server) -> None:  # noqa: ANN001
    srv, token = server
    before = count(srv.url, token, "pageview")
    raw = gzip.compress(json.dumps(make_batch()).encode())
    assert post(srv.url, raw)[0] == 202
    assert post(srv.url, gzip.compress(json.dumps(make_batch()).encode()),
                {"Content-Encoding": "gzip"})[0] == 202
    assert wait_for_count(srv.url, token, "pageview", before + 2) == before + 2


def test_preflight_is_answered(server) -> None:  # noqa: ANN001
    import urllib.request

    srv, _ = server
    request = urllib.request.Request(srv.url + "/i/v1/batch", method="OPTIONS", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    with urllib.request.urlopen(request) as resp:
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "POST" in resp.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        (b"{not json", {}, 400, "body"),
        (b"", {}, 400, "body"),
        (b"\x1f\x8b\x08garbage", {}, 400, "body"),
        (json.dumps(make_batch(v=9)).encode(), {}, 400, "$.v"),
        (json.dumps(make_batch(vw="wide")).encode(), {}, 400, "$.vw"),  # an envelope field: events alone are dropped
        (json.dumps(make_batch(site="nope")).encode(), {}, 403, "site"),
        (json.dumps(make_batch()).encode(), {"Origin": "https://evil.test"}, 403, "origin"),
        (json.dumps(make_batch()).encode(), {"Origin": ""}, 403, "origin"),
        (json.dumps(make_batch(events=501)).encode(), {}, 413, "$.e"),
        (b"x" * (300 * 1024), {}, 413, "body"),
        (gzip.compress(b" " * (30 * 1024 * 1024)), {}, 413, "body"),
        (b"{}", {"Content-Encoding": "zstd"}, 415, "content-encoding"),
    ],
    ids=["malformed", "empty", "bad-gzip", "version", "wrong-type", "unknown-site", "wrong-origin",
         "no-origin", "too-many-events", "too-large", "gzip-bomb", "unknown-encoding"],
)
def test_bad_input_gets_its_status(server, body, headers, status, field) -> None:  # noqa: ANN001
    srv, _ = server
    got, _, answer = post(srv.url, body, headers)
    assert got == status, answer
    assert answer["field"] == field and answer["error"]


def test_bots_are_dropped_without_error(server) -> None:  # noqa: ANN001
    srv, token = server
    before = count(srv.url, token, "pageview")
    bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    status, _, body = post(srv.url, make_batch(), {"User-Agent": bot})
    assert status == 202 and body["dropped"] == "bot"
    before_stats = get(f"{srv.url}/api/v1/ingest/stats", token)[1]
    for agent in ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 "
                  "Safari/537.36", "curl/8.5.0", "python-requests/2.32.3",
                  "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
                  "(compatible; Bytespider; spider-feedback@bytedance.com)"):
        assert post(srv.url, make_batch(), {"User-Agent": agent})[2]["dropped"] == "bot", agent
    counted = get(f"{srv.url}/api/v1/ingest/stats", token)[1]
    grew = {k: counted[k] - before_stats.get(k, 0) for k in counted
            if k.startswith("dropped.bot.") and counted[k] != before_stats.get(k, 0)}
    assert sum(grew.values()) == 4 and all(k.split(".")[-1] for k in grew), grew
    status, _, body = post(srv.url, make_batch(), {"DNT": "1"})
    assert status == 202 and body["dropped"] == "do_not_track"
    post(srv.url, make_batch())  # a marker that is stored, so we know the others had their chance
    assert wait_for_count(srv.url, token, "pageview", before + 1) == before + 1


def test_replayed_batch_is_stored_once(server) -> None:  # noqa: ANN001
    srv, token = server
    before = count(srv.url, token, "pageview")
    batch = make_batch()
    assert post(srv.url, batch)[2] == {"accepted": 3, "replay": True}
    assert post(srv.url, batch)[2] == {"accepted": 0, "dropped": "duplicate"}
    assert wait_for_count(srv.url, token, "pageview", before + 1) == before + 1
    assert wait_for_count(srv.url, token, "pageview", before + 2, timeout=1.5) == before + 1


def test_a_batch_sent_twice_at_once_is_stored_once(server) -> None:  # noqa: ANN001
    """A retry can arrive while the first copy is still being written (a keepalive fetch that
    outlived its page, and the next page resending its outbox)."""
    from concurrent.futures import ThreadPoolExecutor

    srv, token = server
    before = count(srv.url, token, "pageview")
    batch = make_batch()
    with ThreadPoolExecutor(8) as pool:
        answers = [a[2] for a in pool.map(lambda _: post(srv.url, batch), range(8))]
    assert sorted(answers, key=str) == sorted(
        [{"accepted": 3, "replay": True}] + [{"accepted": 0, "dropped": "duplicate"}] * 7, key=str)
    assert wait_for_count(srv.url, token, "pageview", before + 1) == before + 1
    assert wait_for_count(srv.url, token, "pageview", before + 2, timeout=1.5) == before + 1


def test_replay_chunk_endpoint(server) -> None:  # noqa: ANN001
    srv, token = server
    chunk = {"v": 1, "site": "shop", "sid": "replay-session", "seq": 0, "data": "[]"}
    status, _, answer = post(srv.url, chunk, path="/i/v1/replay")
    assert (status, answer["field"]) == (409, "sid")  # no page view of that session yet
    assert post(srv.url, make_batch(sid="replay-session"))[0] == 202
    assert post(srv.url, chunk, path="/i/v1/replay")[0] == 202
    assert post(srv.url, chunk, path="/i/v1/replay")[2] == {"accepted": 0, "dropped": "duplicate"}  # a retry
    status, _, answer = post(srv.url, {**chunk, "data": '[{"type": 3}]'}, path="/i/v1/replay")
    assert (status, answer["field"]) == (409, "seq")  # another copy of a stored part replaces nothing
    assert post(srv.url, {**chunk, "seq": -1}, path="/i/v1/replay")[2]["field"] == "$.seq"
    assert wait_for_count(srv.url, token, "replay", 1) >= 1
    snapshot = {**chunk, "snap": True, "vw": 390}
    answer = post(srv.url, snapshot, path="/i/v1/replay")
    assert answer[0] == 400 and answer[2]["field"] == "$.url"  # a snapshot names its page
    status, _, answer = post(srv.url, {**snapshot, "url": "https://shop.test/promo"}, path="/i/v1/replay")
    assert (status, answer["field"]) == (409, "snap")  # only a page the collector asked for


def test_rate_limit_answers_429(tmp_path) -> None:  # noqa: ANN001
    from tests.conftest import start_site_server

    srv, _ = start_site_server(tmp_path / "data", {"FOOTFALL_RATE_LIMIT": "1", "FOOTFALL_RATE_BURST": "3"})
    try:
        answers = [post(srv.url, make_batch()) for _ in range(5)]
        assert [a[0] for a in answers[:3]] == [202, 202, 202]
        assert answers[4][0] == 429 and int(answers[4][1]["Retry-After"]) >= 1
        assert answers[4][2]["field"] == "rate"
    finally:
        srv.stop()


def test_a_gzipped_replay_chunk_is_stored_as_its_json(shop_server) -> None:  # noqa: ANN001
    """Column compression across chunks beats each chunk gzipped alone; the stored data is JSON."""
    import base64

    server, token = shop_server
    events = [{"type": 4, "data": {"href": "http://shop.test/"}, "timestamp": 1},
              {"type": 2, "data": {}, "timestamp": 2}]
    packed = base64.b64encode(gzip.compress(json.dumps(events).encode())).decode()
    sid = uuid.uuid4().hex
    assert post(server.url, make_batch(sid=sid))[0] == 202
    body = {"v": 1, "site": "shop", "sid": sid, "seq": 0, "data": packed, "enc": "gzip-base64"}
    assert post(server.url, body, path="/i/v1/replay")[0] == 202
    bad = {**body, "seq": 1, "data": "not base64 at all!"}
    status, _, answer = post(server.url, bad, path="/i/v1/replay")
    assert status == 400 and answer["field"] == "$.data"
    bomb = {**body, "seq": 2, "data": base64.b64encode(gzip.compress(b"[" + b" " * 30_000_000 + b"]")).decode()}
    status, _, answer = post(server.url, bomb, path="/i/v1/replay")
    assert status == 413 and answer["field"] == "$.data", (status, answer)
    for _ in range(600):  # until the writer has stored it (a minute at most)
        status, stream = get_text(f"{server.url}/api/v1/sites/shop/sessions/{sid}/replay", token)
        if status == 200:
            break
        time.sleep(0.1)
    assert status == 200 and [json.loads(line) for line in stream.splitlines()] == events
