"""`footfall demo`: seeds once per data directory through the live path, and serves the shop."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from footfall.collector import wire
from footfall.demo import journeys, recordings, shop
from footfall.web import demo as seed
from tests.conftest import Server, footfall, query_store
from tests.helpers import ORIGIN, get, make_batch, post

SESSIONS, DAYS = 60, 3
DEMO = ("--sessions", str(SESSIONS), "--days", str(DAYS))
INFO = {"FOOTFALL_LOG_LEVEL": "info"}  # the demo's progress lines are logged at info
SNIPPET = '<script defer src="/f.js" data-site="demo"></script>'
PAGES = ("/demo/shop/", "/demo/shop/category/boots", "/demo/shop/product/3", "/demo/shop/cart",
         "/demo/shop/checkout", "/demo/shop/thank-you")
COUNTED = {"pageview": wire.PageView, "click": wire.Click, "error": wire.JsError,
           "vital": wire.WebVital, "form": wire.FormField}


def expected_counts() -> dict[str, int]:
    """What the generator sends for these arguments (its content does not depend on the date),
    plus the events of the saved real recordings, which the demo sends too."""
    batches = [b for j in journeys.generate("demo", SESSIONS, DAYS) for b in j.batches]
    recorded = [wire.batch_decoder.decode(json.dumps(r["body"]).encode()) for rec in recordings.load()
                for r in rec["requests"] if r["path"] == "/i/v1/batch"]
    return {kind: sum(isinstance(e, cls) for b in batches + recorded for e in b.events)
            for kind, cls in COUNTED.items()}


def stored_counts(server: Server, token: str) -> dict[str, int]:
    today = datetime.now(UTC).date()
    window = f"from={today - timedelta(days=DAYS + 1)}&to={today}"
    found = {}
    for kind in COUNTED:
        url = f"{server.url}/api/v1/sites/demo/events/count?type={kind}&{window}"
        status, body = get(url, token)
        assert status == 200, body
        found[kind] = body["count"]
    return found


def wait_until_stored(server: Server, token: str, expected: dict[str, int],
                      timeout: float = 30) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while (found := stored_counts(server, token)) != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    return found


def wait_for_log(server: Server, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.read_log():
        assert time.monotonic() < deadline, server.read_log()
        time.sleep(0.2)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""


@pytest.mark.slow
def test_demo_seeds_once_and_serves_the_shop(data_dir: Path) -> None:
    expected = expected_counts()
    assert all(expected.values()), expected
    first = Server(data_dir, INFO, command="demo", extra=DEMO)
    try:
        token = footfall(data_dir, "token", "create", "demo-test")["token"]  # via the admin channel
        assert wait_until_stored(first, token, expected) == expected
        wait_for_log(first, f"seeded {SESSIONS} sessions")
        # The saved purchase funnel: slow product pages lose conversions, as the generator makes them.
        name, definition = seed.DEMO_FUNNEL
        found = httpx.post(f"{first.url}/api/v1/sites/demo/funnels/query", json=definition, timeout=60,
                           params={"from": (datetime.now(UTC) - timedelta(days=DAYS + 1)).date().isoformat()},
                           headers={"Authorization": f"Bearer {token}"}).json()["steps"]
        entered = [s["entered"] for s in found]
        assert entered[0] > entered[1] > entered[2] > entered[3] > 0, entered
        lcp = {b["rating"]: b for b in found[0]["performance"]["impact"]["LCP"]["buckets"]}
        assert lcp["poor"]["conversion"] < lcp["good"]["conversion"], lcp
        assert found[0]["performance"]["impact"]["LCP"]["lost"]["estimate"] > 0
        # The saved goals: the Purchase goal's converted visitors are the visitors who sent a purchase.
        by_goal = httpx.get(f"{first.url}/api/v1/sites/demo/stats", timeout=60, headers={
            "Authorization": f"Bearer {token}"}, params={
            "metrics": "conversions,total_conversions", "by": "goal", "from": "2000-01-01"}).json()["results"]
        assert {row["goal"] for row in by_goal} == {goal for goal, _ in seed.DEMO_GOALS}
    finally:
        first.stop()
    assert query_store(data_dir, "SELECT name FROM saved_funnels FINAL WHERE site = 'demo'") == [[name]]
    [[buyers, purchases]] = query_store(data_dir, "SELECT uniqExact(visitor_id), count() FROM events "
                                                  "WHERE site = 'demo' AND type = 'custom' AND name = 'purchase'")
    purchase = next(row for row in by_goal if row["goal"] == "Purchase")
    assert (purchase["conversions"], purchase["total_conversions"]) == (int(buyers), int(purchases)) > (0, 0)

    again = Server(data_dir, INFO, command="demo", extra=DEMO)  # a new port, the same data
    try:
        wait_for_log(again, "not seeding again")
        assert stored_counts(again, token) == expected

        # The site now also allows the new port, so the shop's own snippet is accepted at once.
        live = make_batch(events=1, site="demo", url=f"{again.url}/demo/shop/")
        assert post(again.url, live, {"Origin": again.url})[0] == 202
        stranger = {"Origin": "http://elsewhere.test"}
        assert post(again.url, live | {"id": "other"}, stranger)[0] == 403

        for path in PAGES:
            status, page = fetch(again.url + path)
            assert status == 200 and SNIPPET in page, path
    finally:
        again.stop()


class Shop:
    """The shop's routes in a bare app, called in-process (Starlette's TestClient warns)."""

    app = Starlette(routes=shop.routes())

    def request(self, method: str, path: str, **options: object) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
                return await client.request(method, path, **options)  # type: ignore[arg-type]

        return asyncio.run(send())

    def get(self, path: str, **options: object) -> httpx.Response:
        return self.request("GET", path, **options)


@pytest.fixture(scope="module")
def shop_client() -> Shop:
    return Shop()


def test_every_shop_page_carries_the_snippet(shop_client: Shop) -> None:
    for path in PAGES:
        response = shop_client.get(path)
        assert response.status_code == 200, path
        assert SNIPPET in response.text
        assert 'href="/demo/shop/shop.css"' in response.text
    assert shop_client.get("/demo/shop").headers["location"].endswith("/demo/shop/")
    assert shop_client.get("/demo/shop/product/99").status_code == 404
    assert shop_client.get("/demo/shop/category/hats").status_code == 404


def test_pages_carry_the_elements_the_generator_clicks(shop_client: Shop) -> None:
    product = shop_client.get("/demo/shop/product/3").text
    for marker in ('id="add-to-cart"', 'class="product-image"', 'class="price"',
                   'class="size-picker"', 'class="breadcrumb"', 'class="reviews"'):
        assert marker in product
    home = shop_client.get("/demo/shop/").text
    assert home.count('class="product-card"') == len(shop.FEATURED)
    assert 'class="hero"' in home and 'class="cta"' in home and 'class="category-tiles"' in home
    category = shop_client.get("/demo/shop/category/boots").text
    assert category.count('class="product-card"') == 6


def test_checkout_masks_what_visitors_type(shop_client: Shop) -> None:
    page = shop_client.get("/demo/shop/checkout").text
    assert '<fieldset class="address" data-footfall-mask>' in page
    assert 'id="card-cvc" name="card-cvc" type="password"' in page
    assert 'class="payment" data-footfall-mask' in page
    assert 'method="post"' in page  # nothing typed ends up in a URL
    for field in shop.CHECKOUT_FIELDS:
        assert f'id="{field[1:]}"' in page


def test_cart_and_order(shop_client: Shop) -> None:
    added = shop_client.get("/demo/shop/cart?add=7", headers={"Cookie": f"{shop.CART_COOKIE}=3.3"})
    assert added.status_code == 303 and added.headers["location"] == "/demo/shop/cart"
    assert f"{shop.CART_COOKIE}=3.3.7" in added.headers["set-cookie"]
    cart = shop_client.get("/demo/shop/cart", headers={"Cookie": f"{shop.CART_COOKIE}=3.3.7"}).text
    assert cart.count('class="cart-item"') == 2 and "2 × $79.00" in cart and 'id="checkout"' in cart
    assert "empty" in shop_client.get("/demo/shop/cart").text
    ordered = shop_client.request("POST", "/demo/shop/thank-you", data={"card-number": "4242"})
    assert ordered.status_code == 303 and ordered.headers["location"] == "/demo/shop/thank-you"
    picture = shop_client.get("/demo/shop/img/3.svg")
    assert picture.status_code == 200 and picture.headers["content-type"].startswith("image/svg")
    assert shop_client.get("/demo/shop/shop.js").status_code == 200
