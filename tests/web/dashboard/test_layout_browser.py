"""Every dashboard page, with the demo's data, at a laptop's width (1366 x 768) and a phone's (390 x 844):
nothing is wider than the window, so the page never scrolls sideways (a wide table scrolls inside
its own box instead), and no select is too narrow for the option it shows. The pages are the GET
routes of the access table (web/access.py) that need a login, so a page added there is checked
here or named in NOT_PAGES with the reason."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from footfall.web.access import ACCESS, PAGES
from tests.browser import login
from tests.conftest import Demo

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# Each page: its address with the demo's site, and what shows once the page is complete.
OPENED = {
    "/sites": ("/sites", "table.list"),
    "/sites/new": ("/sites/new", "form"),
    "/sites/{key}/settings": ("/sites/demo/settings", "form"),
    "/sites/{key}/install": ("/sites/demo/install", "#install-status"),
    "/sites/{key}/overview": ("/sites/demo/overview", "#trend"),
    "/sites/{key}/replays": ("/sites/demo/replays", "tr[data-session]"),
    "/sites/{key}/replays/{sid}": ("/sites/demo/replays/{sid}", "#play:enabled"),
    "/sites/{key}/heatmaps": ("/sites/demo/heatmaps", "#heatmap[data-state=drawn]"),
    "/sites/{key}/funnels": ("/sites/demo/funnels", "#funnel-steps[data-performance=measured]"),
    "/sites/{key}/performance": ("/sites/demo/performance", "#pages"),
    "/sites/{key}/errors": ("/sites/demo/errors", "#error-groups"),
    "/sites/{key}/anomalies": ("/sites/demo/anomalies?severity=low", "#anomaly-summary"),
    "/sites/{key}/goals": ("/sites/demo/goals?event=purchase", "#goal-table"),
    "/sites/{key}/alerts": ("/sites/demo/alerts", "#alert-form"),
    "/settings/account": ("/settings/account", "form"),
    "/settings/tokens": ("/settings/tokens", "table.list"),
    "/settings/users": ("/settings/users", "table.list"),
}
NOT_PAGES = {
    "/": "redirects to the first site's overview",
    "/go": "redirects to the chosen site's overview",
    "/sites/{key}/replays/{sid}/frame": "the player's frame, drawn inside the player page",
    "/sites/{key}/heatmaps/frame": "the heatmap's frame, drawn inside the heatmaps page",
}
# What sticks out past the window's right edge and is not inside a box that clips or scrolls it:
# the outermost such elements, for the failure's message.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const clips = (el) => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return true; } return false; };
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')}`;
  const elements = [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !clips(el)
      && el.parentElement.getBoundingClientRect().right <= width + 0.5)
    .map((el) => `${name(el)} to ${Math.round(el.getBoundingClientRect().right)} px`);
  const texts = [];  /* a word too long for its line sticks out of a box that fits */
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const right = range.getBoundingClientRect().right;
    const box = node.parentElement;
    if (right > width + 0.5 && !clips(box) && box.getBoundingClientRect().right <= width + 0.5)
      texts.push(`"${node.textContent.trim().slice(0, 60)}" in ${name(node.parentElement)} to ${Math.round(right)} px`);
  }
  return [...elements, ...texts];
}"""


# Selects too narrow for the option they show: its text, drawn in the select's font, with room for
# the arrow (24 px), is wider than the box.
CUT_SELECTS = """() => [...document.querySelectorAll('select')].filter((s) => s.offsetWidth && s.selectedOptions.length)
  .filter((s) => {
    const probe = document.createElement('span');
    probe.textContent = s.selectedOptions[0].textContent;
    probe.style.font = getComputedStyle(s).font;  /* set from script: the page's policy is about markup */
    probe.style.whiteSpace = 'pre';
    document.body.append(probe);
    const needed = probe.getBoundingClientRect().width + 24;
    probe.remove();
    return needed > s.clientWidth + 0.5;
  }).map((s) => `#${s.id}: "${s.selectedOptions[0].textContent}" in ${s.clientWidth} px`)"""


def overflow(page: Page) -> list[str]:
    """Nothing when the page fits its window; else by how much it does not, and what sticks out."""
    wider = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    return [f"{wider} px too wide", *page.evaluate(STICKING_OUT)] if wider > 0 else []


def test_every_dashboard_page_is_listed_here() -> None:
    pages = {path for (method, path), rule in ACCESS.items() if method == "GET" and rule in PAGES}
    assert pages == set(OPENED) | set(NOT_PAGES)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_window(browser: Browser, demo: Demo, width: str) -> None:
    viewport = WIDTHS[width]
    page = login(browser, demo.server, demo.admin, viewport=viewport)
    too_wide = {}
    for path, ready in OPENED.values():
        page.goto(demo.server.url + path.format(sid=demo.recorded))
        if "heatmap" in ready:  # Chromium runs no animation frame in a frame out of view: the map waits for one
            page.locator("#heatmap").scroll_into_view_if_needed()
        expect(page.locator(ready).first).to_be_visible(timeout=30_000)
        if found := overflow(page) + page.evaluate(CUT_SELECTS):
            too_wide[path] = found
    outside = page.context.browser.new_context(viewport=viewport).new_page()  # type: ignore[union-attr]
    outside.goto(demo.server.url + "/login")
    expect(outside.get_by_role("button", name="Log in")).to_be_visible()
    if found := overflow(outside):
        too_wide["/login"] = found
    outside.context.close()
    page.context.close()
    assert too_wide == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_funnel_chart_fills_its_width_and_shows_every_label_whole(browser: Browser, demo: Demo,
                                                                      width: str) -> None:
    page = login(browser, demo.server, demo.admin, viewport=WIDTHS[width])
    page.goto(demo.server.url + "/sites/demo/funnels")
    chart = page.locator("#funnel-chart")
    expect(chart.locator("li")).to_have_count(4)  # the demo's funnel: product, cart, checkout, thank you
    steps = page.locator("#funnel-steps tbody th code").all_inner_texts()
    expect(chart.locator(".step code")).to_have_text(steps)  # the labels as the table has them, uncut
    box = chart.bounding_box()
    main = page.locator("main").bounding_box()
    assert box and main and box["width"] >= min(800, main["width"] - 48), (box, main)
    for label in chart.locator(".step, .share").all():
        inside = label.bounding_box()
        assert inside and box["x"] <= inside["x"] and inside["x"] + inside["width"] <= box["x"] + box["width"], \
            (label.inner_text(), inside, box)
    bars = [float((chart.locator(f"li:nth-child({k}) rect.reached").get_attribute("width") or "")[:-1])
            for k in (1, 2, 3, 4)]
    shares = [float(s[:-1]) for s in page.locator("#funnel-steps tbody td:nth-child(3)").all_inner_texts()]
    assert bars == pytest.approx(shares, abs=0.0501)  # each bar as long as its step's share of the first (shown to 0.1)
    page.context.close()
