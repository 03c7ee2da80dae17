"""Heatmaps in Chromium, from clicks and scrolls made in Chromium by the real snippet on a page whose
hero is `100vh` tall and whose buttons stack on narrow screens.

- Clicks on a known button, on desktop and on mobile widths: on the heatmap page, the hottest pixel
  of the drawn map (the reddest one in a screenshot of the viewer) lies inside that button's box.
- Scroll: N of M visits scroll to half the page; the reach at 50% is N/M, in the API and on the page.
- Clicks on a button fixed to the viewport, made with the page scrolled: the heat stays on the
  button in the viewer, scrolled or not.
- A site that records no session: the collector asks a page view for a snapshot, the recorder takes
  one (masked) and stops, and the map is drawn over it; no recording is stored.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser import OWNER as ADMIN
from tests.browser import HostSite, leave, login
from tests.conftest import Demo

pytestmark = pytest.mark.browser

RECORDER = "document.querySelector('script[src*=\"/replay.js\"]') !== null"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
MOBILE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}


def visit(browser: Browser, host: HostSite, device: dict[str, Any], act: Any) -> None:
    """One visitor on /heatmap: recorded (the site records every session), `act(page)`, leaves."""
    context = browser.new_context(**device)
    page = context.new_page()
    page.goto(host.url("/heatmap"))
    page.wait_for_function(RECORDER)
    page.wait_for_timeout(800)  # the recorder's first full snapshot
    act(page)
    page.wait_for_timeout(1300)  # past the dead-click wait, so the clicks are sent
    leave(page)


def api(host: HostSite, path: str, **params: str) -> httpx.Response:
    return httpx.get(f"{host.collector}/api/v1/sites/{host.key}/{path}", params={"url": "/heatmap", **params},
                     headers={"Authorization": f"Bearer {host.token}"}, timeout=30)


def wait_until(check: Any, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def hottest_pixel(page: Page) -> tuple[float, float]:
    """The reddest pixel of the viewer, in the page's viewport coordinates (the page is not scrolled,
    so the boxes Playwright gives agree): the heat ramp ends in red, and nothing on the test page is red."""
    page.evaluate("scrollTo(0, 0)")
    box = page.locator("#heatmap").bounding_box()
    assert box is not None
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"), dtype=np.int64)
    left, top = round(box["x"]), round(box["y"])
    view = shot[top:top + round(box["height"]), left:left + round(box["width"])]
    redness = view[:, :, 0] - (view[:, :, 1] + view[:, :, 2]) // 2
    row, column = np.unravel_index(int(redness.argmax()), redness.shape)
    assert redness[row, column] > 100, "no red in the map"
    return left + column + 0.5, top + row + 0.5


def snapshot_button(page: Page, selector: str) -> dict[str, float]:
    """The button's box in the rebuilt snapshot (frame shell > viewer > rrweb's frame), page coordinates."""
    found = page.frame_locator("#heatmap-frame").frame_locator("iframe").frame_locator("iframe").locator(selector)
    box = found.bounding_box()
    assert box is not None
    return box


@pytest.mark.parametrize(("device", "name"), [(DESKTOP, "desktop"), (MOBILE, "mobile")])
def test_hottest_pixel_lies_on_the_clicked_button(browser: Browser, host: HostSite, device, name) -> None:  # noqa: ANN001
    def clicks(page: Page) -> None:
        for dx, dy in ((-30, -8), (0, 0), (25, 6), (10, -5)):
            box = page.locator("#buy").bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
            page.wait_for_timeout(1100)  # apart in time: not a rage burst
        page.locator("#more").click()

    visit(browser, host, device, clicks)
    assert wait_until(lambda: api(host, "heatmaps/snapshot", device=name).status_code == 200)
    assert wait_until(lambda: api(host, "heatmaps/click", device=name).json()["total"] == 5)

    dashboard = login(browser, host.server, ADMIN)
    dashboard.set_viewport_size({"width": 1900, "height": 1800})  # the whole viewer in view, unscrolled
    dashboard.goto(f"{host.collector}/sites/{host.key}/heatmaps?url=/heatmap&device={name}&opacity=1")
    expect(dashboard.locator("#heatmap[data-state=drawn]")).to_have_count(1, timeout=20_000)
    expect(dashboard.get_by_role("cell", name="#buy")).to_be_visible()
    x, y = hottest_pixel(dashboard)
    button = snapshot_button(dashboard, "#buy")
    assert button["x"] <= x <= button["x"] + button["width"] and button["y"] <= y <= button["y"] + button["height"], \
        (x, y, button)
    assert dashboard.errors == []  # type: ignore[attr-defined]


def test_clicks_on_a_fixed_element_stay_on_it_when_the_page_scrolls(browser: Browser, host: HostSite) -> None:
    def scrolled_clicks(page: Page) -> None:
        page.evaluate("scrollTo(0, 1200)")
        page.wait_for_timeout(300)
        for _ in range(3):
            page.locator("#chat").click()
            page.wait_for_timeout(1100)

    visit(browser, host, DESKTOP, scrolled_clicks)
    assert wait_until(lambda: api(host, "heatmaps/click").json()["total"] == 3)
    assert min(y for _, y, _ in api(host, "heatmaps/click").json()["bins"]) > 1200  # page coordinates

    dashboard = login(browser, host.server, ADMIN)
    dashboard.set_viewport_size({"width": 1900, "height": 1800})
    dashboard.goto(f"{host.collector}/sites/{host.key}/heatmaps?url=/heatmap&device=desktop&opacity=1")
    expect(dashboard.locator("#heatmap[data-state=drawn]")).to_have_count(1, timeout=20_000)
    rebuilt = dashboard.frame_locator("#heatmap-frame").frame_locator("iframe").frame_locator("iframe")
    for scroll in (0, 700):
        rebuilt.locator("html").evaluate(f"html => html.ownerDocument.defaultView.scrollTo(0, {scroll})")
        dashboard.wait_for_timeout(300)
        x, y = hottest_pixel(dashboard)
        button = snapshot_button(dashboard, "#chat")
        assert button["x"] <= x <= button["x"] + button["width"] and \
            button["y"] <= y <= button["y"] + button["height"], (scroll, x, y, button)


def test_scroll_reach_at_half_the_page_is_the_share_that_scrolled_there(browser: Browser, host: HostSite) -> None:
    def to_half(page: Page) -> None:
        page.evaluate("scrollTo(0, document.documentElement.scrollHeight / 2 - innerHeight)")
        page.wait_for_timeout(700)  # the snippet samples scrolling after 200 ms of quiet

    scrolled, visits = 3, 4
    for n in range(visits):
        visit(browser, host, DESKTOP, to_half if n < scrolled else lambda page: None)
    reach = wait_until(lambda: (r := api(host, "heatmaps/scroll").json())["views"] == visits and r)
    assert reach["reach"][50] == scrolled / visits
    assert reach["reach"][51] == 0 and reach["reach"][0] == 1
    assert reach["fold_px"] == 800

    dashboard = login(browser, host.server, ADMIN)
    dashboard.set_viewport_size({"width": 1900, "height": 1800})
    dashboard.goto(f"{host.collector}/sites/{host.key}/heatmaps?url=/heatmap&device=desktop&kind=scroll&opacity=1")
    expect(dashboard.get_by_text("half the page seen by 75% of page views")).to_be_visible()
    expect(dashboard.locator("#heatmap[data-state=drawn]")).to_have_count(1, timeout=20_000)
    hottest_pixel(dashboard)  # every page view saw the top of the page: it is drawn red


def test_a_page_never_recorded_gets_a_snapshot_for_heatmaps(browser: Browser, host: HostSite) -> None:
    host.set_replay_rate(0.0, heatmap_rate=1.0)
    snapshot = "document.querySelector('script[src$=\"/replay.js#snapshot\"]') !== null"

    def clicks(page: Page) -> None:
        page.wait_for_function(snapshot)
        page.locator("#more").click()

    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.goto(host.url("/heatmap"))
    clicks(page)
    page.wait_for_timeout(1500)
    leave(page)
    found = wait_until(lambda: (r := api(host, "heatmaps/snapshot")).status_code == 200 and r.json())
    assert found and found["source"] == "snapshot"
    # The click comes in its own batch, which may land after the snapshot's.
    assert wait_until(lambda: api(host, "elements", device="desktop").json()["total"] == 1)
    meta, full = found["events"]
    assert meta["type"] == 4 and meta["data"]["href"].endswith("/heatmap") and full["type"] == 2
    text = json.dumps(full)
    assert "The rest of the page." in text and "4242" not in text and "Robin" not in text  # masked as replays are
    bearer = {"Authorization": f"Bearer {host.token}"}
    listed = httpx.get(f"{host.collector}/api/v1/sites/{host.key}/sessions", params={"has_replay": "true"},
                       headers=bearer, timeout=30).json()
    assert listed["total"] == 0  # a snapshot is not a recording

    dashboard = login(browser, host.server, ADMIN)
    dashboard.set_viewport_size({"width": 1900, "height": 1800})
    dashboard.goto(f"{host.collector}/sites/{host.key}/heatmaps?url=/heatmap&device=desktop&opacity=1")
    expect(dashboard.locator("#heatmap[data-state=drawn]")).to_have_count(1, timeout=20_000)
    x, y = hottest_pixel(dashboard)
    button = snapshot_button(dashboard, "#more")
    assert button["x"] <= x <= button["x"] + button["width"] and button["y"] <= y <= button["y"] + button["height"]


def test_a_click_on_a_hash_routed_page_shows_on_that_pages_heatmap(browser: Browser, host: HostSite) -> None:
    """The page a click is stored under and the page the heatmap asks for are one rule: a hash route
    (#/active, as TodoMVC routes) is part of both, so its heatmap and element ranking are not empty."""
    page = browser.new_context(**DESKTOP).new_page()
    page.goto(host.url("/hashapp"))
    page.get_by_role("link", name="Active").click()
    expect(page.locator("#route")).to_have_text("active")
    page.get_by_role("button", name="Clear completed").click()
    expect(page.locator("#route")).to_have_text("cleared")
    leave(page)

    def ranked() -> list[str]:
        found = api(host, "elements", url="/hashapp#/active")
        return [e["selector"] for e in found.json()["elements"]] if found.status_code == 200 else []

    assert "#clear-completed" in wait_until(ranked)
    assert api(host, "heatmaps/click", url="/hashapp#/active").json()["total"] >= 1
    dashboard = login(browser, host.server, ADMIN)
    dashboard.goto(f"{host.collector}/sites/{host.key}/heatmaps")
    dashboard.get_by_label("Top pages").select_option("/hashapp#/active")  # the picker offers the route
    expect(dashboard.get_by_label("Page", exact=True)).to_have_value("/hashapp#/active")
    expect(dashboard.get_by_role("cell", name="#clear-completed")).to_be_visible()


def test_the_snapshot_under_a_map_shows_no_replay_cursor(browser: Browser, demo: Demo) -> None:
    """rrweb's Replayer draws a mouse cursor at the top left of what it replays; a snapshot has no pointer."""
    dashboard = login(browser, demo.server, demo.admin)
    dashboard.goto(f"{demo.server.url}/sites/demo/heatmaps")
    expect(dashboard.locator("#heatmap[data-state=drawn]")).to_have_count(1, timeout=20_000)
    cursor = dashboard.frame_locator("#heatmap-frame").frame_locator("iframe").locator(".replayer-mouse")
    expect(cursor).to_have_count(1)  # rrweb made it
    expect(cursor).to_be_hidden()
    dashboard.context.close()


def test_a_map_with_nothing_to_draw_says_what_to_do(browser: Browser, demo: Demo) -> None:
    dashboard = login(browser, demo.server, demo.admin)
    dashboard.goto(f"{demo.server.url}/sites/demo/heatmaps?url=/demo/shop/nowhere&kind=move")
    empty = dashboard.locator("#heatmap-empty")
    expect(empty).to_contain_text("No mouse movement recorded on /demo/shop/nowhere from desktop visitors")
    expect(empty).to_contain_text("Pick a page from Top pages")
    expect(dashboard.locator("#heatmap-frame")).to_have_count(0)
    dashboard.get_by_label("Top pages").select_option(index=1)  # a page with data: the map is drawn
    expect(dashboard.locator("#heatmap[data-state=drawn]")).to_have_count(1, timeout=20_000)
    expect(dashboard.locator("#heatmap-empty")).to_have_count(0)
    assert dashboard.errors == []  # type: ignore[attr-defined]
    dashboard.context.close()
