"""Batches, requests and store writes for the integration tests: one copy of each, shared."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from footfall.store import tokens
from footfall.store.sites import SiteCache
from footfall.web.access import guard_routes
from footfall.web.auth import TokenCache

with warnings.catch_warnings():  # Starlette 1.x wants httpx2 for its TestClient; httpx still works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ORIGIN = "http://shop.test"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def make_batch(events: int = 3, **extra: Any) -> dict[str, Any]:
    now = int(time.time() * 1000)
    body = {
        "v": 1, "site": "shop", "sid": uuid.uuid4().hex, "pv": uuid.uuid4().hex,
        "id": uuid.uuid4().hex, "url": f"{ORIGIN}/product/1", "vw": 1280, "vh": 800,
        "sent": now, "e": [{"t": "pageview", "ts": now}],
    }
    for i in range(events - 1):
        body["e"].append({"t": "click", "ts": now + i, "s": "#buy", "x": 10 + i, "y": 20})
    body.update(extra)
    return body


def post(url: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None,
         path: str = "/i/v1/batch") -> tuple[int, Any, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url + path, data=data, method="POST",
        headers={"Content-Type": "text/plain", "Origin": ORIGIN, "User-Agent": CHROME, **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.headers, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, err.headers, json.loads(raw) if raw else None


def get(url: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def get_text(url: str, token: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def count(server_url: str, token: str, kind: str = "", site: str = "shop") -> int:
    status, body = get(f"{server_url}/api/v1/sites/{site}/events/count?type={kind}", token)
    assert status == 200, body
    return body["count"]


def wait_for_count(server_url: str, token: str, kind: str, expected: int, timeout: float = 60,
                   site: str = "shop") -> int:
    deadline = time.monotonic() + timeout
    while True:
        found = count(server_url, token, kind, site)
        if found >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def land(store: Any, records: list[tuple[bytes, Any, Any]], token: str = "") -> None:
    """What the writer does with one spool segment holding these frames, (kind, record, context)
    each: the inserts, then the hooks the running process registers (the session index)."""
    from footfall.collector import frames
    from footfall.web import runtime

    payloads = [frames.pack(kind, ctx, record) for kind, record, ctx in records]
    runtime.land(store, payloads, token or uuid.uuid4().hex)


def wait_until(condition: Any, timeout: float = 90.0) -> None:
    """Until `condition()` is true; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def csrf_of(html: str) -> str:
    """The CSRF token a dashboard page's forms carry."""
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def goal_ids(html: str) -> dict[str, str]:
    """The goals a site's Goals page lists, name to id."""
    import html as markup
    import re

    return {markup.unescape(name): goal for goal, name in
            re.findall(r'<li data-goal-id="([0-9a-f]+)"><strong>([^<]*)</strong>', html)}


def exact(values: list[float], q: float) -> float:
    """ClickHouse's quantileExact by hand: the value at index floor(q * n) of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextlib.contextmanager
def guarded_client(store: Any, routes: Iterable[BaseRoute], site: str,
                   name: str = "tests") -> Iterator[tuple[TestClient, dict[str, str]]]:
    """Route modules' routes behind their access rules (web/access.py) in an app of this process on
    the embedded store, and the headers of a read token of `site`."""
    app = Starlette(routes=guard_routes(list(routes), store, TokenCache(store)))
    cache = SiteCache(store)
    cache.reload()
    app.state.runtime = SimpleNamespace(sites=cache)  # what the routes read of the runtime: the sites' zones
    token = tokens.create(store, name, site)
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {token}"}
