"""The Overview's chart in Chromium: as many points as buckets, axis labels, each point's hover title
saying what was sent, the previous period dotted behind, and no sideways scrolling on a laptop or a
phone. Page views are landed straight into the store before the server starts, so the previous
period (older than the collector's 24 hours) has data too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import login, seed_pageviews
from tests.conftest import Server, footfall

pytestmark = pytest.mark.browser

ADMIN = ("owner@shop.test", "correct-horse-1")
CURRENT = [1, 4, 2, 6, 3, 5, 7]  # visitors on each of the last 7 days, today last, each at 12:xx UTC
PREVIOUS = 2  # visitors on each of the 7 days before
YESTERDAY = CURRENT[-2]

def times() -> list[int]:
    """One page view per visitor: CURRENT[d] on day d of the last 7 days, PREVIOUS on each day before."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    per_day = [PREVIOUS] * 7 + CURRENT
    return [int((today - timedelta(days=13 - d, minutes=-k)).timestamp() * 1000)
            for d, n in enumerate(per_day) for k in range(n)]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data: Path = tmp_path_factory.mktemp("overview-chart") / "data"
    footfall(data, "site", "create", "Shop", "--origin", "http://shop.test", "--key", "shop")
    footfall(data, "user", "create", ADMIN[0], "--role", "admin", "--password-stdin", stdin=ADMIN[1] + "\n")
    seed_pageviews(data, [{"site": "shop", "url": "http://shop.test/", "ts": ts} for ts in times()])
    server = Server(data)
    yield server
    server.stop()


def hovered_title(page: Page, target: object) -> str:
    target.hover()  # type: ignore[attr-defined]
    return page.evaluate("() => { const el = [...document.querySelectorAll(':hover')].pop();"
                         " return el.closest('.point').querySelector('title').textContent; }")


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_days_the_chart_opens_the_page_with_values_on_hover(browser: Browser, seeded: Server) -> None:
    page = login(browser, seeded, ADMIN)
    page.goto(seeded.url + "/sites/shop/overview?days=7")
    first = page.locator("main h2").first
    expect(first).to_have_text("Visitors per day")
    chart = page.locator("svg.trend-chart")
    expect(chart).to_have_attribute("data-interval", "day")
    targets = chart.locator(".target")
    expect(targets).to_have_count(7)
    assert len(chart.locator("polyline.current").get_attribute("points").split()) == 7
    labels = chart.locator(".x-axis text").all_text_contents()
    assert len(labels) == 7 and labels[-1] == f"{datetime.now(UTC).day} {datetime.now(UTC):%b}"
    assert chart.locator(".y-axis text").all_text_contents()[0] == "0"
    assert 4 <= chart.locator(".y-axis text").count() <= 5
    for i in (0, 3, 6):
        assert hovered_title(page, targets.nth(i)).endswith(f": {CURRENT[i]} visitors (previous period: {PREVIOUS})")
    previous = chart.locator("polyline.previous")
    assert len(previous.get_attribute("points").split()) == 7
    assert previous.evaluate("el => getComputedStyle(el).strokeDasharray") != "none"

    page.get_by_role("navigation", name="Metric").get_by_role("link", name="Page views").click()
    expect(page.locator("main h2").first).to_have_text("Page views per day")
    assert "days=7" in page.url and "metric=pageviews" in page.url
    assert hovered_title(page, page.locator("svg.trend-chart .target").nth(6)).endswith(
        f": {CURRENT[6]} page views (previous period: {PREVIOUS})")
    assert page.errors == []  # type: ignore[attr-defined]


def test_hours_by_default_for_a_day_and_no_sideways_scroll(browser: Browser, seeded: Server) -> None:
    page = login(browser, seeded, ADMIN)
    page.goto(seeded.url + "/sites/shop/overview?days=1")
    chart = page.locator("svg.trend-chart")
    expect(chart).to_have_attribute("data-interval", "hour")
    targets = chart.locator(".target")
    expect(targets).to_have_count(24)
    labels = chart.locator(".x-axis text").all_text_contents()
    assert labels[:2] == [f"{datetime.now(UTC).day} {datetime.now(UTC):%b}", "03:00"] and len(labels) == 8
    noon = hovered_title(page, targets.nth(12))
    assert noon.endswith(f" 12:00: {CURRENT[-1]} visitors (previous period: {YESTERDAY})")
    assert hovered_title(page, targets.nth(5)).endswith(" 05:00: 0 visitors (previous period: 0)")

    page.get_by_role("navigation", name="Interval").get_by_role("link", name="Week").click()
    expect(page.locator("svg.trend-chart")).to_have_attribute("data-interval", "week")
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(seeded.url + "/sites/shop/overview?days=30")
        expect(page.locator("svg.trend-chart .target")).to_have_count(30)
        assert no_sideways_scroll(page), width
    assert page.errors == []  # type: ignore[attr-defined]
