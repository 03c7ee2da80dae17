"""The dashboard follows the system's colour scheme (prefers-color-scheme): in Chromium emulating a
light and a dark system, every page of the demo changes its ground, and every piece of text on it,
the charts' labels included, keeps a WCAG AA contrast with what is behind it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import login
from tests.conftest import Demo

pytestmark = pytest.mark.browser

PAGES = {  # a page of each kind, with what shows once it is complete
    "/sites": "table.list",
    "/sites/demo/overview": "#trend",
    "/sites/demo/funnels": "#funnel-steps[data-performance=measured]",
    "/sites/demo/performance": "#pages",
    "/sites/demo/errors": "#error-groups",
    "/sites/demo/heatmaps": "#heatmap-frame",
    "/sites/demo/replays": "tr[data-session]",
    "/sites/demo/replays/{sid}": "#play:enabled",
    "/sites/demo/settings": "form",
    "/sites/demo/alerts": "#alert-form",
}
# Each visible piece of text of the page (an element with text of its own, or SVG text) whose
# contrast with the first opaque background behind it is under AA: 4.5, or 3 for large text.
LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const linear = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  const ground = (el) => {
    for (let a = el; a; a = a.parentElement) {
      const c = rgb(getComputedStyle(a).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('.visually-hidden, title, desc, script, style, option')) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width < 2 || box.height < 2 || style.visibility !== 'visible' || +style.opacity === 0) continue;
    const ink = rgb(el instanceof SVGElement ? style.fill : style.color).slice(0, 3);
    const [a, b] = [lum(ink), lum(ground(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && +style.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} `
      + `"${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return out;
}"""


def ground(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_reads_in_the_systems_colour_scheme(browser: Browser, demo: Demo, scheme: str) -> None:
    page = login(browser, demo.server, demo.admin, color_scheme=scheme)
    low = {}
    for path, ready in PAGES.items():
        page.goto(demo.server.url + path.format(sid=demo.recorded))
        expect(page.locator(ready).first).to_be_visible(timeout=30_000)
        if found := page.evaluate(LOW_CONTRAST):
            low[path] = found
    assert low == {}
    assert ground(page) == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(13, 17, 23)")
    page.context.close()


def test_the_scheme_switches_with_the_system(browser: Browser, demo: Demo) -> None:
    page = login(browser, demo.server, demo.admin)
    page.goto(demo.server.url + "/sites/demo/overview")
    page.emulate_media(color_scheme="light")
    light = (ground(page), page.locator(".trend-chart .current").evaluate("l => getComputedStyle(l).stroke"))
    page.emulate_media(color_scheme="dark")
    dark = (ground(page), page.locator(".trend-chart .current").evaluate("l => getComputedStyle(l).stroke"))
    assert light == ("rgb(255, 255, 255)", "rgb(11, 92, 173)")
    assert dark == ("rgb(13, 17, 23)", "rgb(88, 166, 255)")  # the chart's line in the dark scheme's accent
    page.context.close()


@pytest.mark.parametrize(("scheme", "expected"), [("light", "rgb(232, 234, 237)"), ("dark", "rgb(38, 44, 54)")])
def test_the_players_ground_follows_the_scheme(browser: Browser, demo: Demo, scheme: str, expected: str) -> None:
    """Around the recording (which keeps its site's colours), the player's frame is the page's ground."""
    page = login(browser, demo.server, demo.admin, color_scheme=scheme)
    page.goto(f"{demo.server.url}/sites/demo/replays/{demo.recorded}")
    expect(page.locator("#play")).to_be_enabled(timeout=30_000)
    viewer = page.frame_locator("#player-frame").frame_locator("iframe").locator("body")
    assert viewer.evaluate("b => getComputedStyle(b).backgroundColor") == expected
    page.context.close()
