"""POST /api/v1/sites/{site}/funnels/query on a real server: sessions sent through the collector
come back as funnel steps; a bad funnel gets a 400 naming its field."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.helpers import ORIGIN, make_batch, post, wait_for_count


def query(server_url: str, token: str, body: Any, **params: str) -> httpx.Response:
    return httpx.post(f"{server_url}/api/v1/sites/shop/funnels/query", params=params, json=body,
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_sessions_sent_through_the_collector_make_the_funnel(shop_server) -> None:  # noqa: ANN001
    srv, token = shop_server
    prefix = f"/fn-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000) - 600_000
    journeys = [["/", "/product/1", "/cart"], ["/", "/product/2"], ["/", "/about"], ["/cart"]]
    sids = [uuid.uuid4().hex for _ in journeys]
    for n, pages in enumerate(journeys):
        sid = sids[n]
        for i, page in enumerate(pages):
            ts = now + n * 60_000 + i * 10_000 * (n + 1)
            events = [{"t": "pageview", "ts": ts}]
            if page == "/cart":
                events.append({"t": "custom", "ts": ts + 500, "n": "checkout", "p": {"plan": "pro"}})
            if page.startswith("/product"):
                events.append({"t": "vital", "ts": ts + 100, "n": "LCP", "v": 3000 + n, "r": "needs-improvement"})
            batch = make_batch(1, sid=sid, url=ORIGIN + prefix + page, vw=390 if n % 2 else 1280, e=events)
            assert post(srv.url, batch)[0] == 202  # sent now: the event times stand as given
    assert wait_for_count(srv.url, token, "custom", 2) >= 2
    funnel = {"steps": [{"page": f"{prefix}/"}, {"page": f"{prefix}/product/*"},
                        {"event": "checkout", "props": {"plan": "pro"}}],
              "count_by": "session", "breakdown": "device"}
    deadline = time.monotonic() + 20
    while (got := query(srv.url, token, funnel).json())["steps"][0]["entered"] < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    steps = got["steps"]
    assert [s["entered"] for s in steps] == [3, 2, 1]
    assert [s["drop_off"] for s in steps] == [1, 1, 0]
    assert steps[1]["conversion_from_start"] == round(2 / 3, 4) and steps[2]["conversion_from_previous"] == 0.5
    assert steps[1]["median_s"] == 20.0 and steps[2]["median_s"] == 10.5  # upper median of 10 and 20; 10 s + 0.5 s
    lcp = steps[1]["performance"]["vitals"]["LCP"]  # the product pages' LCP, from their batches
    assert (lcp["count"], lcp["p50"], lcp["needs_improvement"]) == (2, 3001, 1.0)
    assert steps[1]["performance"]["impact"]["LCP"]["buckets"][1] == {
        "rating": "needs-improvement", "units": 2, "converted": 1, "conversion": 0.5, "ci": [0.0945, 0.9055]}
    assert "performance" not in query(srv.url, token, funnel, performance="false").json()["steps"][0]
    assert query(srv.url, token, funnel, performance="maybe").json()["field"] == "performance"
    groups = {g["value"]: [s["entered"] for s in g["steps"]] for g in got["breakdown"]["groups"]}
    assert groups == {"desktop": [2, 1, 1], "mobile": [1, 1, 0]}
    strict = query(srv.url, token, {**funnel, "mode": "strict", "breakdown": None}).json()["steps"]
    assert [s["entered"] for s in strict] == [3, 2, 0]  # the cart page view comes between product and checkout
    assert query(srv.url, token, funnel, **{"from": "2001-01-01", "to": "2001-01-02"}).json()["steps"][0][
        "entered"] == 0

    # The drop-off of each step, as a filter of the sessions API (what the funnel page links to).
    def dropped(step: str, body: Any = funnel) -> httpx.Response:
        return httpx.get(f"{srv.url}/api/v1/sites/shop/sessions", params={"funnel": json.dumps(body),
                         "dropped_at": step}, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    assert [s["session_id"] for s in dropped("1").json()["sessions"]] == [sids[2]]
    assert [s["session_id"] for s in dropped("2").json()["sessions"]] == [sids[1]]
    assert dropped("3").json()["field"] == "dropped_at"  # the last step has no drop-off
    assert dropped("1", {"steps": []}).json()["field"] == "funnel"


@pytest.mark.parametrize(("body", "field"), [
    ({"steps": [{"page": "/"}]}, "$.steps"),
    ({"steps": [{"page": "/"}, {"page": "/b", "event": "x"}]}, "$.steps"),
    ({"steps": [{"page": "/"}, {"page": "/b", "props": {"k": "v"}}]}, "$.steps"),
    ({"steps": [{"page": "/"}, {"page": "/b"}], "mode": "loose"}, "$.mode"),
    ({"steps": [{"page": "/"}, {"page": "/b"}], "count_by": "device"}, "$.count_by"),
    ({"steps": [{"page": "/"}, {"page": "/b"}], "breakdown": "country"}, "$.breakdown"),
    ({"steps": [{"page": "/"}, {"page": "/b"}], "window_s": 0}, "$.window_s"),
    ({"steps": [{"page": "/"}, {"page": "/b"}], "exclusions": [{"step": {"page": "/x"}, "after": 2, "before": 3}]},
     "$.exclusions"),
    ({"steps": [{"page": "/"}, {"page": "/b"}], "colour": "red"}, "$"),  # the message names `colour`
    ([1, 2], "$"),
])
def test_bad_funnels_get_a_400_naming_the_field(shop_server, body, field) -> None:  # noqa: ANN001
    srv, token = shop_server
    answer = query(srv.url, token, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"].startswith(field), answer.json()


def test_funnels_need_a_token(shop_server) -> None:  # noqa: ANN001
    srv, _ = shop_server
    body = {"steps": [{"page": "/"}, {"page": "/b"}]}
    assert httpx.post(f"{srv.url}/api/v1/sites/shop/funnels/query", json=body, timeout=30).status_code == 401
    assert httpx.post(f"{srv.url}/api/v1/sites/shop/funnels/query", content=b"{" * 70_000,
                      headers={"Authorization": "Bearer nope"}, timeout=30).status_code == 401
