"""The dashboard in Chromium: a person logs in, finds every page from the navigation, and each page
shows what the seeded data says, with no console error (a CSP violation would be one)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import login
from tests.conftest import Server, footfall
from tests.helpers import make_batch, post, wait_for_count

pytestmark = pytest.mark.browser

ADMIN = ("owner@shop.test", "correct-horse-1")
VIEWER = ("reader@shop.test", "reader-pass-2")
PAGES = ["/", "/products/1", "/products/2", "/cart"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """Site `shop` with 3 visitors in 4 sessions: 9 page views, one bounce, known pages and sources."""
    data: Path = tmp_path_factory.mktemp("dash-e2e") / "data"
    footfall(data, "site", "create", "Shop", "--origin", "http://shop.test", "--key", "shop")
    for (email, password), role in ((ADMIN, "admin"), (VIEWER, "viewer")):
        footfall(data, "user", "create", email, "--role", role, "--password-stdin", stdin=password + "\n")
    server = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    token = footfall(data, "token", "create", "seed")["token"]
    now = int(time.time() * 1000) - 3_600_000
    sessions = [("alice", PAGES, "https://www.google.com/"), ("alice", PAGES[:2], ""),
                ("bob", PAGES[:3], "https://news.test/"), ("carol", PAGES[:1], "")]
    for n, (visitor, pages, referrer) in enumerate(sessions):
        sid = uuid.uuid4().hex
        for i, path in enumerate(pages):
            ts = now + n * 600_000 + i * 20_000
            batch = make_batch(1, vid=visitor, sid=sid, url=f"http://shop.test{path}", ref=referrer if i == 0 else "",
                               sent=ts, e=[{"t": "pageview", "ts": ts, "title": path}])
            assert post(server.url, batch)[0] == 202
    assert wait_for_count(server.url, token, "pageview", 10) == 10
    yield server, token
    server.stop()


def test_every_page_reached_from_the_navigation_shows_the_seeded_data(browser: Browser, seeded) -> None:  # noqa: ANN001
    server, _ = seeded
    page = login(browser, server, ADMIN)
    expect(page.get_by_role("cell", name="Shop", exact=True)).to_be_visible()

    page.get_by_role("link", name="Shop", exact=True).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    tiles = {m: page.locator(f'[data-metric="{m}"] .value').inner_text() for m in ("visitors", "sessions", "pageviews",
                                                                                   "bounce_rate")}
    assert tiles == {"visitors": "3", "sessions": "4", "pageviews": "10", "bounce_rate": "25.0%"}
    top = page.locator("#top_pages tbody tr").first.inner_text()
    assert top.split("\t")[:2] == ["/", "4"]
    assert "www.google.com" in page.locator("#referrers").inner_text()
    assert "news.test" in page.locator("#referrers").inner_text()
    # Sources by hand: direct alice (her 2nd session) and carol, Google alice, news.test bob: 2 + 1 + 1 of 3.
    expect(page.locator("#referrers td.num:nth-child(3)")).to_have_text(["66.7%", "33.3%", "33.3%"])
    overlap = re.compile(r"^Shares add up to 133\.3%: a visitor who came with more than one referrer")
    expect(page.locator("#referrers .overlap")).to_have_text(overlap)
    expect(page.locator("#devices .overlap")).to_have_count(0)  # one device each: 100%
    assert page.locator("#entry_pages tbody tr").first.inner_text().startswith("/\t4")

    page.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(server.url + "/sites/shop/overview?days=7")
    assert page.locator('[data-metric="pageviews"] .value').inner_text() == "10"

    nav = page.get_by_role("navigation", name="Shop")
    nav.get_by_role("link", name="Install").click()
    expect(page.get_by_role("heading", name="Install")).to_be_visible()
    assert 'data-site="shop"' in page.get_by_label("Snippet").input_value()
    expect(page.locator("#install-status")).to_contain_text("Installed: the first page view arrived")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copied")).to_have_text("Copied to the clipboard.")

    nav.get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Name")).to_have_value("Shop")
    expect(page.get_by_label("Allowed origins")).to_have_value("http://shop.test")

    nav.get_by_role("link", name="Heatmaps").click()
    expect(page.get_by_role("heading", name="Heatmaps")).to_be_visible()
    expect(page.get_by_label("Page", exact=True)).to_have_value("/")  # the most viewed page
    expect(page.locator("#h-top option", has_text="/ (4)")).to_have_count(1)
    # Page views but no click: no blank frame, but what to do instead.
    expect(page.locator("#heatmap-empty")).to_contain_text("No clicks recorded on / from desktop visitors")
    expect(page.locator("#heatmap-frame")).to_have_count(0)
    expect(page.get_by_text("No clicks on this page in this range.")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    expect(page.get_by_role("cell", name="seed", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("cell", name=f"{ADMIN[0]} (you)", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=VIEWER[0], exact=True)).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]


def test_adding_a_site_then_watching_it_get_installed(browser: Browser, seeded) -> None:  # noqa: ANN001
    server, _ = seeded
    page = login(browser, server, ADMIN)
    page.get_by_role("link", name="Add a site").click()
    page.get_by_label("Name").fill("Docs")
    page.get_by_label("Allowed origins").fill("https://docs.test")
    page.get_by_role("button", name="Add site").click()
    expect(page.get_by_role("heading", name="Install")).to_be_visible()
    status = page.locator("#install-status")
    expect(status).to_contain_text("Waiting for the first page view")
    key = page.url.split("/")[-2]
    batch = make_batch(site=key, url="https://docs.test/start")
    assert post(server.url, batch, {"Origin": "https://docs.test"})[0] == 202
    expect(status).to_contain_text("from https://docs.test/start", timeout=15_000)  # no reload: the page polls
    assert status.get_attribute("data-state") == "installed"

    page.get_by_role("navigation", name="Docs").get_by_role("link", name="Overview").click()
    expect(page.locator('[data-metric="pageviews"] .value')).to_have_text("1")
    page.get_by_label("Site").select_option(label="Shop")  # the site switcher
    expect(page).to_have_url(server.url + "/sites/shop/overview")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_funnel_saved_in_the_dashboard_shows_the_seeded_conversion(browser: Browser, seeded) -> None:  # noqa: ANN001
    """Per session: alice's first session reaches the cart, her second and bob's the products, carol's
    only the home page: 4 -> 3 -> 1."""
    server, _ = seeded
    page = login(browser, server, ADMIN)
    page.goto(server.url + "/sites/shop/overview")
    page.get_by_role("navigation", name="Shop").get_by_role("link", name="Funnels").click()
    expect(page.get_by_text("No funnel yet")).to_be_visible()
    page.get_by_label("Name").fill("To the cart")
    page.get_by_label("Steps").fill("/products/*\nclick")  # a bad step: the form says so and keeps the text
    page.get_by_role("button", name="Save funnel").click()
    expect(page.get_by_role("alert")).to_contain_text("a step is a path")
    page.get_by_label("Steps").fill("/\n/products/*\n/cart")
    page.get_by_label("Count per").select_option("session")
    page.get_by_role("button", name="Save funnel").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    # The funnel comes first; the steps' page loads are measured after and put in place.
    expect(page.locator("#funnel-steps")).to_have_attribute("data-performance", "measured")
    expect(page.get_by_text("Measuring the page loads")).to_have_count(0)
    rows = page.locator("#funnel-steps tbody tr")
    expect(rows).to_have_count(3)
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(3)]
    assert [c[0] for c in cells] == ["4", "3", "1"]
    assert [c[1].strip() for c in cells] == ["100.0%", "75.0%", "25.0%"]
    assert [c[3] for c in cells] == ["1", "2", "0"]
    chart = page.get_by_role("list", name="Share of the first step reaching each step")  # a bar per step, 4 -> 3 -> 1
    widths = [chart.locator(f'li[data-step="{k}"] rect.{part}').get_attribute("width")
              for part in ("reached", "lost") for k in (1, 2, 3)]
    assert widths == ["100.0%", "75.0%", "25.0%", "0.0%", "25.0%", "50.0%"]
    expect(chart.locator(".share")).to_have_text(["100.0%", "75.0%", "25.0%"])
    expect(chart.locator(".step")).to_have_text(["1. /", "2. /products/*", "3. /cart"])
    # the conversion per day: one point per day of the range, today's 1 of 4 sessions
    trend = page.locator("#funnel-result svg.trend-chart")
    shown = (date.fromisoformat(page.get_by_label("To", exact=True).input_value())
             - date.fromisoformat(page.get_by_label("From", exact=True).input_value())).days + 1
    expect(trend.locator(".target")).to_have_count(shown)
    titles = [t for t in trend.locator(".target title").all_text_contents() if "no data" not in t]
    assert [t.split(": ", 1)[1] for t in titles] == ["25% converted"]
    rows.nth(1).get_by_role("link", name="2").click()  # the sessions that reached the products, not the cart
    expect(page.locator("tr[data-session]")).to_have_count(2)
    assert "dropped_at=2" in page.url

    page.go_back()
    page.get_by_label("Count per").select_option("visitor")
    page.get_by_role("button", name="Save funnel").click()
    expect(page.locator("#funnel-steps tbody tr td:first-of-type")).to_have_text(["3", "2", "1"])
    # An exclusion: a second product page between the products and the cart voids alice's first session
    # and bob's; broken down by device, every session is on a desktop.
    page.get_by_label("Count per").select_option("session")
    page.get_by_label("Exclusions").fill("/products/2 between 2 and 3")
    page.get_by_label("Break down by").select_option("device")
    page.get_by_role("button", name="Save funnel").click()
    expect(page.locator("#funnel-steps tbody tr td:first-of-type")).to_have_text(["2", "1", "0"])
    expect(page.locator("#funnel-breakdown tbody tr")).to_have_text([re.compile(r"^desktop\s*2\s*1\s*0")])
    expect(page.get_by_label("Exclusions")).to_have_value("/products/2 between 2 and 3")
    expect(page.get_by_label("Break down by")).to_have_value("device")
    # this page's own measuring is done before the next one's is cut off, or it would be cut off too
    expect(page.locator("#funnel-steps")).to_have_attribute("data-performance", "measured")
    page.route(re.compile(r"performance=1"), lambda route: route.abort())  # the measuring fails: it says so
    page.reload()
    expect(page.locator("#performance-status")).to_contain_text("could not be measured just now")
    expect(page.locator("#funnel-steps")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#funnel-steps tbody tr td:first-of-type")).to_have_text(["2", "1", "0"])  # the funnel stays
    page.unroute(re.compile(r"performance=1"))
    # The Overview shows the same funnel, counted by the same engine, and links to it.
    page.get_by_role("navigation", name="Shop").get_by_role("link", name="Overview").click()
    main = page.get_by_role("region", name=re.compile("Main funnel"))
    expect(main.get_by_role("heading")).to_have_text("Main funnel, To the cart: 0.0% of sessions convert")
    expect(main.locator("tbody tr td:nth-child(2)")).to_have_text(["2", "1", "0"])
    main.get_by_role("link", name=re.compile("Drop-off and page-load performance")).click()
    expect(page.locator("#funnel-steps tbody tr td:first-of-type")).to_have_text(["2", "1", "0"])
    page.get_by_role("button", name="Delete “To the cart”").click()
    expect(page.get_by_text("No funnel yet")).to_be_visible()
    page.get_by_role("navigation", name="Shop").get_by_role("link", name="Overview").click()
    expect(page.get_by_text("No funnel saved yet")).to_be_visible()
    # The one refused form answered 400 and the measuring was cut off (the browser logs both); nothing else went wrong.
    assert page.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)",
                           "Failed to load resource: net::ERR_FAILED"]


def test_an_empty_site_says_what_to_do_next(browser: Browser, seeded) -> None:  # noqa: ANN001
    server, _ = seeded
    footfall(server.data, "site", "create", "Fresh", "--origin", "https://fresh.test", "--key", "fresh")
    page = login(browser, server, ADMIN)
    page.goto(server.url + "/sites/fresh/overview")
    empty = page.locator(".empty")
    expect(empty).to_contain_text("No data for this site yet")
    empty.get_by_role("link", name="Install the snippet").click()
    expect(page.get_by_role("heading", name="Install")).to_be_visible()


def test_a_viewer_reads_and_cannot_change(browser: Browser, seeded) -> None:  # noqa: ANN001
    server, _ = seeded
    page = login(browser, server, VIEWER)
    assert page.get_by_role("link", name="API tokens").count() == 0
    assert page.get_by_role("link", name="Add a site").count() == 0
    page.goto(server.url + "/sites/shop/settings")
    expect(page.get_by_text("Only administrators can change these settings")).to_be_visible()
    expect(page.get_by_label("Name")).to_be_disabled()
    page.goto(server.url + "/settings/users")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_keyboard_and_labels(browser: Browser, seeded) -> None:  # noqa: ANN001
    server, _ = seeded
    page = login(browser, server, ADMIN)
    for path in ("/sites", "/sites/shop/overview", "/sites/shop/install", "/sites/shop/settings", "/sites/new",
                 "/settings/tokens", "/settings/users", "/sites/shop/heatmaps", "/sites/shop/funnels",
                 "/sites/shop/performance", "/sites/shop/errors"):
        page.goto(server.url + path)
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !(el.tagName === 'BUTTON' && el.innerText.trim()))
            .map(el => el.outerHTML.slice(0, 80))""")
        assert unlabelled == [], (path, unlabelled)
        assert len(page.locator("h1").all()) == 1, path
    page.goto(server.url + "/sites/shop/overview")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    for _ in range(4):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("A", "SELECT", "BUTTON", "INPUT")
    page.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Log in to Footfall")).to_be_visible()
