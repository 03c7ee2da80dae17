"""GET /metrics: the ingest counters move by exactly what was sent, requests are labelled by their route's
template, and only an admin token valid for every site or an allowed client address reads them, where a
forwarded address counts only from a trusted proxy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Server, footfall, start_site_server
from tests.helpers import make_batch, post, wait_for_count, wait_until

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
ALLOWED = "203.0.113.0/24, 2001:db8::/32"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data = tmp_path_factory.mktemp("metrics") / "data"
    running, token = start_site_server(data, {"FOOTFALL_RATE_LIMIT": "0", "FOOTFALL_METRICS_ALLOW": ALLOWED})
    yield running, token
    running.stop()


def scrape(url: str, token: str = "", headers: dict[str, str] | None = None) -> httpx.Response:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url + "/metrics", headers={**auth, **(headers or {})}, timeout=30)


def samples(url: str, token: str) -> Samples:
    answer = scrape(url, token)
    assert answer.status_code == 200, answer.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_counters_move_by_exactly_what_was_sent(server: tuple[Server, str]) -> None:
    running, token = server
    url = running.url
    before = samples(url, token)
    good = [make_batch(events=3) for _ in range(4)]
    with_invalid = make_batch(events=3)
    with_invalid["e"].append({"t": "teleport", "ts": with_invalid["sent"]})
    answers = [post(url, batch)[0] for batch in [*good, with_invalid]]
    answers += [post(url, make_batch(), {"DNT": "1"})[0] for _ in range(2)]
    answers.append(post(url, good[0])[0])  # the same batch again: a duplicate
    answers.append(post(url, make_batch(), {"User-Agent": "curl/8.5.0"})[0])  # a bot
    chunk = {"v": 1, "site": "shop", "sid": good[1]["sid"], "seq": 0,
             "data": '[{"type":4,"timestamp":1,"data":{"href":"http://shop.test/"}}]'}
    replay = post(url, chunk, path="/i/v1/replay")[0]
    refused = [post(url, {**make_batch(), "sid": "not a valid id!"})[0],
               post(url, {**make_batch(), "site": "nosuchsite"})[0], post(url, {**make_batch(), "site": "nope"})[0]]
    assert answers == [202] * 9 and replay == 202 and refused == [400, 403, 403]
    assert wait_for_count(url, token, "pageview", 5) == 5
    missing = httpx.get(f"{url}/no/such/page-{uuid.uuid4().hex}")
    assert missing.status_code == 404
    # Until the writer is done with them (stored, then the session index): nothing waits any more.
    wait_until(lambda: value(samples(url, token), "footfall_writer_lag_seconds") == 0)

    after = samples(url, token)
    assert moved(before, after, "footfall_ingest_accepted_total", kind="batches") == 5
    assert moved(before, after, "footfall_ingest_accepted_total", kind="replay_chunks") == 1
    assert moved(before, after, "footfall_ingest_events_total", outcome="accepted") == 15
    assert moved(before, after, "footfall_ingest_events_total", outcome="invalid") == 1
    assert moved(before, after, "footfall_ingest_dropped_total", reason="do_not_track") == 2
    assert moved(before, after, "footfall_ingest_dropped_total", reason="duplicate") == 1
    assert moved(before, after, "footfall_ingest_dropped_total", reason="bot") == 1
    assert moved(before, after, "footfall_ingest_rejected_total", reason="400") == 1
    assert moved(before, after, "footfall_ingest_rejected_total", reason="403") == 2
    # Requests by route template and status class; no raw path becomes a label.
    requests = "footfall_http_request_duration_seconds_count"
    assert moved(before, after, requests, route="/i/v1/batch", status="2xx") == 9
    assert moved(before, after, requests, route="/i/v1/batch", status="4xx") == 3
    assert moved(before, after, requests, route="/i/v1/replay", status="2xx") == 1
    assert moved(before, after, requests, route="/api/v1/sites/{site}/events/count", status="2xx") >= 1
    assert moved(before, after, requests, route="unmatched", status="4xx") == 1
    assert not any("page-" in dict(labels).get("route", "") for _, labels in after)
    # The writer stored them, and its inserts were timed.
    assert moved(before, after, "footfall_store_query_duration_seconds_count", operation="insert") >= 1
    assert moved(before, after, "footfall_store_query_duration_seconds_count", operation="query") >= 1
    assert moved(before, after, "footfall_writer_segments_written_total") >= 1
    assert value(after, "footfall_spool_sealed_segments") == value(after, "footfall_spool_dead_letter_segments") == 0
    assert value(after, "footfall_spool_bytes") == 0
    assert value(after, "footfall_spool_quota_bytes") == 256 * 2**20


def test_only_an_admin_token_or_an_allowed_address_reads_metrics(server: tuple[Server, str]) -> None:
    running, token = server
    reader = footfall(running.data, "token", "create", "reader")["token"]
    one_site = footfall(running.data, "token", "create", "shop-admin", "--site", "shop", "--scope", "admin")["token"]
    refused: dict[str, Any] = {
        "no token": scrape(running.url),  # from 127.0.0.1, not in the allowed list
        "read token": scrape(running.url, reader),
        "admin token of one site": scrape(running.url, one_site),
        "forwarded, not allowed": scrape(running.url, headers={"X-Forwarded-For": "198.51.100.7"}),
    }
    assert {name: a.status_code for name, a in refused.items()} == {
        "no token": 401, "read token": 403, "admin token of one site": 403, "forwarded, not allowed": 401}
    assert all("footfall_" not in a.text for a in refused.values())
    admin = scrape(running.url, token)
    assert admin.status_code == 200 and admin.headers["content-type"].startswith("text/plain; version=")
    # 127.0.0.1 is a trusted proxy by default: the address it forwards is the client's, and that one is allowed.
    for forwarded in ("203.0.113.7", "2001:db8::5"):
        answer = scrape(running.url, headers={"X-Forwarded-For": forwarded})
        assert answer.status_code == 200 and "footfall_ingest_accepted_total" in answer.text, forwarded


def test_an_untrusted_peer_cannot_forge_an_allowed_address(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", {"FOOTFALL_FORWARDED_ALLOW_IPS": "10.9.9.9", "FOOTFALL_METRICS_ALLOW": ALLOWED})
    try:
        answer = scrape(server.url, headers={"X-Forwarded-For": "203.0.113.7"})
        assert answer.status_code == 401 and "footfall_" not in answer.text
    finally:
        server.stop()


@pytest.mark.parametrize("stalled_server", [{"metrics_allow": "127.0.0.0/8"}], indirect=True)
def test_an_allowed_address_needs_no_token(stalled_server) -> None:  # noqa: ANN001
    url, _, _ = stalled_server
    answer = scrape(url)
    assert answer.status_code == 200
    names = {family.name for family in text_string_to_metric_families(answer.text)}
    assert {"footfall_ingest_accepted", "footfall_writer_lag_seconds", "footfall_spool_bytes",
            "footfall_store_query_duration_seconds", "footfall_http_request_duration_seconds"} <= names


def test_a_metrics_token_reads_metrics_and_nothing_else(server: tuple[Server, str]) -> None:
    running, _ = server
    scraper = footfall(running.data, "token", "create", "prometheus", "--scope", "metrics")["token"]
    one_site = footfall(running.data, "token", "create", "p2", "--site", "shop", "--scope", "metrics")["token"]
    assert scrape(running.url, scraper).status_code == 200
    assert scrape(running.url, one_site).status_code == 403  # the metrics are the whole process's
    bearer = {"Authorization": f"Bearer {scraper}"}
    for method, path in (("GET", "/api/v1/sites/shop/events/count"), ("GET", "/api/v1/sites/shop/sessions"),
                         ("GET", "/api/v1/ingest/stats"), ("GET", "/api/openapi.json"),
                         ("GET", "/api/v1/sites/shop/visitors/v1/export"), ("DELETE", "/api/v1/sites/shop/visitors/v1"),
                         ("GET", "/api/v1/sites/shop/heatmaps/click?url=/")):
        answer = httpx.request(method, running.url + path, headers=bearer, timeout=30)
        assert answer.status_code == 403 and "metrics token" in answer.text, (method, path, answer.status_code)
    assert httpx.get(running.url + "/sites", headers=bearer, timeout=30).status_code in (302, 303)  # a page: log in
