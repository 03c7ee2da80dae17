"""Days far in the past or future and over-long page addresses, on every read route of the OpenAPI
document and every dashboard page of a real server: read as the nearest day Footfall can store,
or refused with a 400 naming the parameter; never a 500 (docs/api.md)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Server, footfall, start_site_server
from tests.helpers import make_batch, post, wait_for_count

ADMIN = ("limits@shop.test", "correct-horse-1")
PAGES = ("overview", "heatmaps", "replays", "funnels", "goals", "performance", "errors")
FAR = ({"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "0001-01-01", "to": "9999-12-31"},
       {"from": "1900-01-01", "to": "1900-01-02"}, {"from": "2200-01-01", "to": "2200-01-02"},
       {"from": "9999-12-31"}, {"to": "0001-01-01"})
FUNNEL = {"steps": [{"page": "/product/*"}, {"page": "/cart"}]}


class Running:
    def __init__(self, server: Server, token: str, session_id: str) -> None:
        self.server, self.token, self.session_id = server, token, session_id
        self.api = httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {token}"})
        self.browser = httpx.Client(base_url=server.url, timeout=60)
        csrf = re.search(r'name="csrf" value="([^"]+)"', self.browser.get("/login").text)
        assert csrf, "no CSRF field on the login page"
        answer = self.browser.post("/login", data={"csrf": csrf.group(1), "email": ADMIN[0], "password": ADMIN[1]})
        assert answer.status_code == 303

    def close(self) -> None:
        self.api.close()
        self.browser.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    server, token = start_site_server(tmp_path_factory.mktemp("limits") / "data", {"FOOTFALL_RATE_LIMIT": "0"})
    footfall(server.data, "user", "create", ADMIN[0], "--role", "admin", "--password-stdin",
             stdin=ADMIN[1] + "\n")
    batch = make_batch(3, sid=uuid.uuid4().hex)
    assert post(server.url, batch)[0] == 202
    assert wait_for_count(server.url, token, "", 3) == 3
    opened = Running(server, token, batch["sid"])
    yield opened
    opened.close()
    server.stop()


def read_operations(doc: dict[str, Any], session_id: str) -> list[tuple[str, str, dict[str, str], Any]]:
    """(method, path, required query, body) of every operation of the OpenAPI document that reads
    a site's data in a date range: the document is the list, so a new route is checked too."""
    filled = {"site": "shop", "kind": "click", "session_id": session_id, "visitor": "nobody"}
    required = {"metrics": "visitors"}  # any other required parameter is a page
    found = []
    for template, methods in doc["paths"].items():
        if not template.startswith("/api/v1/sites/{site}/"):
            continue
        for method, operation in methods.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            if "from" not in names:
                continue
            query = {p["name"]: required.get(p["name"], "/product/1") for p in operation["parameters"]
                     if p["in"] == "query" and p.get("required")}
            if template.endswith("/snapshot"):
                query["optional"] = "true"  # 204 when the page has none, as the dashboard asks
            body = FUNNEL if template.endswith("/funnels/query") else {"layout": {}} if method == "post" else None
            found.append((method.upper(), template.format(**filled), query, body))
    return found


def test_far_days_on_every_api_route_are_clamped(running: Running) -> None:
    operations = read_operations(running.api.get("/api/openapi.json").json(), running.session_id)
    assert len(operations) >= 10, operations
    for method, path, query, body in operations:
        for days in FAR:
            answer = running.api.request(method, path, params={**query, **days}, json=body)
            assert answer.status_code < 500, (method, path, days, answer.text[:300])
            if answer.status_code >= 400:  # only `to` before `from` (today's, by default) is refused
                assert answer.status_code == 400 and answer.json()["field"] == "to", (method, path, days)
                assert days in ({"to": "0001-01-01"}, {"from": "9999-12-31"}), (method, path, days)


def test_everything_is_read_as_1970_to_2099(running: Running) -> None:
    count = running.api.get("/api/v1/sites/shop/events/count").json()["count"]
    everything = running.api.get("/api/v1/sites/shop/events/count",
                                 params={"from": "0001-01-01", "to": "9999-12-31"}).json()
    assert everything == {"site": "shop", "type": "all", "from": "1970-01-01", "to": "2099-12-31", "count": count}
    assert count >= 3
    listed = running.api.get("/api/v1/sites/shop/sessions", params={"from": "0001-01-01", "to": "9999-12-31"})
    assert listed.json()["from"] == "1970-01-01" and listed.json()["to"] == "2099-12-31"
    assert running.session_id in [s["session_id"] for s in listed.json()["sessions"]]
    future = running.api.get("/api/v1/sites/shop/events/count", params={"from": "2200-01-01", "to": "2200-01-02"})
    assert future.json()["count"] == 0 and future.json()["from"] == future.json()["to"] == "2099-12-31"
    refused = running.api.get("/api/v1/sites/shop/events/count", params={"from": "2200-01-02", "to": "2200-01-01"})
    assert refused.status_code == 400 and refused.json()["field"] == "to"


def test_far_days_on_every_page(running: Running) -> None:
    for name in PAGES:
        for days in FAR:
            answer = running.browser.get(f"/sites/shop/{name}", params=days)
            assert answer.status_code == 200, (name, days, answer.text[-300:])
    overview = running.browser.get("/sites/shop/overview", params={"from": "0001-01-01", "to": "9999-12-31"}).text
    assert 'value="1970-01-01"' in overview and "could not be read" not in overview
    assert "could not be read" in running.browser.get("/sites/shop/overview", params={"to": "0001-01-01"}).text


@pytest.mark.parametrize("path", ["heatmaps/click", "heatmaps/move", "heatmaps/scroll", "heatmaps/snapshot",
                                  "elements", "performance", "errors", "sessions"])
def test_a_page_address_is_at_most_2048_characters(running: Running, path: str) -> None:
    longest = "/" + "a" * 2047
    assert running.api.get(f"/api/v1/sites/shop/{path}", params={"url": longest}).status_code in (200, 204, 404)
    answer = running.api.get(f"/api/v1/sites/shop/{path}", params={"url": longest + "a"})
    assert answer.status_code == 400 and answer.json()["field"] == "url" and "2048" in answer.json()["error"]


def test_the_heatmaps_page_refuses_a_longer_address(running: Running) -> None:
    assert running.browser.get("/sites/shop/heatmaps", params={"url": "/" + "a" * 2047}).status_code == 200
    answer = running.browser.get("/sites/shop/heatmaps", params={"url": "/" + "a" * 2048})
    assert answer.status_code == 400 and "at most 2,048 characters" in answer.text


FUNNEL_JSON = '{"steps": [{"page": "/"}, {"page": "/cart"}, {"page": "/thanks"}]}'


@pytest.mark.parametrize(("path", "params", "field"), [
    ("heatmaps/click", {"url": "/", "width": "²"}, "width"),
    ("heatmaps/click", {"url": "/", "height": "１２"}, "height"),
    ("elements", {"url": "/", "limit": "³"}, "limit"),
    ("errors", {"limit": "²"}, "limit"),
    ("sessions", {"funnel": FUNNEL_JSON, "dropped_at": "¹"}, "dropped_at"),
])
def test_digits_of_other_scripts_are_no_number(running: Running, path: str, params: dict[str, str],
                                               field: str) -> None:
    """str.isdigit() takes '²', which int() refuses: such a value was a 500."""
    answer = running.api.get(f"/api/v1/sites/shop/{path}", params=params)
    assert answer.status_code == 400 and answer.json()["field"] == field, answer.text
