"""Performance in Chromium, end to end: visitors go from /plain to /slow, whose server holds its
HTML back by SLOW_S; the funnel of those two pages shows that delay in the request phase and TTFB of
its second step only, the performance page shows it in the waterfall, and an error thrown on /slow
is grouped on the errors page with a link to its sessions."""

from __future__ import annotations

import re
import time
from datetime import date

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser import OWNER, HostSite, leave, login

pytestmark = pytest.mark.browser
VISITORS = 3


def seconds(text: str) -> float:
    """A duration cell as the dashboard writes it: '412 ms' or '1.25 s'."""
    value, unit = re.fullmatch(r"([\d.]+) (ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) / (1000 if unit == "ms" else 1)


def test_a_delayed_page_shows_its_delay_in_its_step(browser: Browser, host: HostSite) -> None:
    delay = HostSite.SLOW_S
    for n in range(VISITORS):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(host.url("/plain"))
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        page.goto(host.url("/slow"))
        page.wait_for_load_state("load")
        page.click("#go")  # an interaction, so INP is measured
        if n == 0:
            page.evaluate("setTimeout(() => { throw new TypeError('cart total 42 is undefined') })")
        page.wait_for_timeout(300)
        leave(page)

    funnel = {"steps": [{"page": "/plain"}, {"page": "/slow"}], "count_by": "session"}  # one visitor: one IP and UA
    deadline, steps = time.monotonic() + 90, []
    while time.monotonic() < deadline:  # until the last beacons are in the store
        steps = httpx.post(f"{host.collector}/api/v1/sites/{host.key}/funnels/query", json=funnel, timeout=30,
                           headers={"Authorization": f"Bearer {host.token}"}).json()["steps"]
        # the counts and the performance are two queries: a page view may land between them
        if [s["entered"] for s in steps] == [VISITORS, VISITORS] and \
                steps[1]["performance"]["vitals"]["TTFB"]["count"] >= VISITORS and \
                steps[1]["performance"]["errors"]["pageviews_with_error"] >= 1:
            break
        time.sleep(0.5)
    assert [s["entered"] for s in steps] == [VISITORS, VISITORS]
    slow = steps[1]["performance"]
    assert slow["navigation"]["phases"]["request"]["median"] >= delay * 1000
    assert slow["vitals"]["TTFB"]["p50"] >= delay * 1000
    assert steps[0]["performance"]["navigation"]["phases"]["request"]["median"] < delay * 1000

    dashboard = login(browser, host.server, OWNER)
    dashboard.goto(f"{host.collector}/sites/{host.key}/funnels")
    dashboard.get_by_label("Name").fill("Into the slow page")
    dashboard.get_by_label("Steps").fill("/plain\n/slow")
    dashboard.get_by_label("Count per").select_option("session")
    dashboard.get_by_role("button", name="Save funnel").click()
    expect(dashboard.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(dashboard.locator("#funnel-steps")).to_have_attribute("data-performance", "measured")
    rows = dashboard.locator("#funnel-steps tbody tr")
    expect(rows).to_have_count(2)
    for cell in ("TTFB", "request"):
        assert seconds(rows.nth(1).locator(f'[data-col="{cell}"]').inner_text()) >= delay
        assert seconds(rows.nth(0).locator(f'[data-col="{cell}"]').inner_text()) < delay
    expect(rows.nth(1).locator('[data-col="errors"]')).to_have_text(f"{100 / VISITORS:.1f}%")
    impact = dashboard.locator("#impact-1")
    impact.locator("summary").click()
    expect(impact.get_by_role("table").first.get_by_role("row")).to_have_count(5)  # a header and 4 ratings

    dashboard.get_by_role("link", name="/slow", exact=True).click()  # the step's page in detail
    expect(dashboard.get_by_role("heading", name="Performance")).to_be_visible()
    request = dashboard.locator('#phases tr[data-phase="request"] td').first
    assert seconds(request.inner_text()) >= delay
    bars = {name: float(dashboard.locator(f'#waterfall g[data-phase="{name}"] rect').get_attribute("width") or 0)
            for name in ("request", "download", "dom")}
    assert bars["request"] == max(bars.values())  # the held-back HTML is the longest bar
    ttfb = dashboard.locator('#vitals tr[data-vital="TTFB"] td')
    assert seconds(ttfb.nth(1).inner_text()) >= delay  # p50
    # the trend chart: one point per day of the range, today's TTFB at p75 holding the delay
    dashboard.get_by_role("navigation", name="Metric").get_by_role("link", name="TTFB").click()
    chart = dashboard.locator("svg.trend-chart")
    expect(chart.locator("title").first).to_contain_text("TTFB at p75 per day")
    shown = (date.fromisoformat(dashboard.get_by_label("To", exact=True).input_value())
             - date.fromisoformat(dashboard.get_by_label("From", exact=True).input_value())).days + 1
    expect(chart.locator(".target")).to_have_count(shown)
    today = chart.locator(".target title").last.text_content() or ""
    assert seconds(re.search(r": ([\d.]+ m?s) TTFB at p75", today).group(1)) >= delay  # type: ignore[union-attr]
    expect(chart.locator("polyline.current, circle")).not_to_have_count(0)

    dashboard.get_by_label("Top pages").select_option("/plain")  # the picker shows another page
    expect(dashboard.locator("#perf-title")).to_have_text("/plain")
    assert seconds(dashboard.locator('#phases tr[data-phase="request"] td').first.inner_text()) < delay
    dashboard.locator("#pages-summary summary").click()  # the pages table, the slow page's p75 TTFB in it
    slow_row = dashboard.locator('#pages tr[data-page="/slow"]')
    assert seconds(slow_row.locator("td").nth(4).inner_text()) >= delay
    slow_row.get_by_role("link").click()
    expect(dashboard.locator("#perf-title")).to_have_text("/slow")
    dashboard.get_by_role("link", name=re.compile("with a JavaScript error")).click()
    group = dashboard.locator("#error-groups tbody tr")
    expect(group).to_have_count(1)
    expect(group.locator("summary")).to_contain_text("cart total 42 is undefined")
    group.get_by_role("link", name="Sessions").click()
    expect(dashboard.locator("tr[data-session]")).to_have_count(1)
    assert dashboard.errors == []  # type: ignore[attr-defined]
