"""Recording in Chromium: sampled sessions load the recorder, chunks arrive in order across page
loads, and what a visitor types never reaches the store."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.browser import HostSite, leave, open_page, wait_for_recording
from tests.helpers import get

pytestmark = pytest.mark.browser

META, FULL_SNAPSHOT, INCREMENTAL = 4, 2, 3
RECORDER = "document.querySelector('script[src*=\"/replay.js\"]') !== null"
SECRETS = ("Zanzibar-Secret-41", "4111-SECRET-CARD", "Masked-Secret-99", "Blocked block with a secret")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostSite]:
    site = HostSite(tmp_path)
    yield site
    site.close()


def decode(encoding: str, data: str) -> list[dict[str, Any]]:
    raw = gzip.decompress(base64.b64decode(data)) if encoding == "gzip-base64" else data.encode()
    return json.loads(raw)


def replay_from_api(host: HostSite) -> list[dict[str, Any]]:
    """The recording as the player gets it: the sessions API, then the replay stream."""
    import time
    import urllib.request

    for _ in range(450):  # 90 s at most
        status, body = get(f"{host.collector}/api/v1/sites/{host.key}/sessions?has_replay=true", host.token)
        if status == 200 and body["sessions"]:
            break
        time.sleep(0.2)
    [session] = body["sessions"]
    request = urllib.request.Request(
        f"{host.collector}/api/v1/sites/{host.key}/sessions/{session['session_id']}/replay",
        headers={"Authorization": f"Bearer {host.token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        return [json.loads(line) for line in answer.read().splitlines() if line.strip()]


def test_a_session_across_two_pages_is_recorded_in_order_and_masked(browser: Browser, host: HostSite) -> None:
    page = open_page(browser, host.url("/form"))
    page.wait_for_function(RECORDER)  # the collector's first answer sampled the session in
    page.wait_for_timeout(600)
    page.click("#name")
    page.keyboard.type(SECRETS[0])
    page.click("#card")
    page.keyboard.type(SECRETS[1])
    page.click("#note")
    page.keyboard.type(SECRETS[2])
    page.click("#grow")
    page.click("#grow")
    page.wait_for_timeout(5600)  # a compressed chunk goes during the visit
    page.click("#onward")
    page.wait_for_url("**/form2")
    page.wait_for_function(RECORDER)
    page.wait_for_timeout(600)
    page.click("#confirm")
    page.wait_for_timeout(300)
    leave(page)
    host.arrived(pageview=2, click=7)  # every click, the second page's last; its recording, below
    wait_for_recording(host, lambda events: sum(e["type"] == FULL_SNAPSHOT for e in events) >= 2)

    streamed = replay_from_api(host)
    assert streamed[0]["type"] == META and streamed[1]["type"] == FULL_SNAPSHOT
    assert [e["timestamp"] for e in streamed] == sorted(e["timestamp"] for e in streamed)
    chunks = host.rows("SELECT session_id, seq, encoding, data FROM replay_chunks FINAL ORDER BY seq")
    assert len({c[0] for c in chunks}) == 1 and len(chunks) >= 3
    assert [c[1] for c in chunks] == list(range(len(chunks)))  # one sequence across both page loads
    # Gzipped in the browser during the visit (sdk-js/test/replay.test.js), stored as JSON by the collector.
    assert {c[2] for c in chunks} == {"json"}
    events = [e for c in chunks for e in decode(c[2], c[3])]
    assert events[0]["type"] == META and events[1]["type"] == FULL_SNAPSHOT
    assert sum(e["type"] == FULL_SNAPSHOT for e in events) >= 2  # one per page load
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    inputs = [e for e in events if e["type"] == INCREMENTAL and e["data"].get("source") == 5]
    assert inputs and all(set(e["data"]["text"]) <= {"*"} for e in inputs)  # every input masked
    stored = " ".join(c[3] for c in chunks) + json.dumps(events)
    for secret in SECRETS:
        assert secret not in stored, secret
    assert host.rows("SELECT count() FROM pageviews")[0][0] == 2


def test_sessions_outside_the_replay_rate_load_no_recorder(browser: Browser, host: HostSite) -> None:
    host.set_replay_rate(0.0, heatmap_rate=0.0)  # nor a heatmap snapshot (tests/web/dashboard/test_heatmaps_browser.py)
    page = open_page(browser, host.url("/form"))
    page.click("#grow")
    page.wait_for_timeout(2500)
    assert page.evaluate(RECORDER) is False
    leave(page)
    host.arrived(pageview=1)
    assert host.rows("SELECT count() FROM replay_chunks")[0][0] == 0
    assert host.rows("SELECT count() FROM page_snapshots")[0][0] == 0
    assert host.rows("SELECT count() FROM pageviews")[0][0] == 1
