"""In Chromium: visitors of a site send custom events through the real snippet; its administrator
defines a goal on the Goals page and reads its conversion rate, then opens the event's properties."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import OWNER, HostSite, leave, login, open_page
from tests.helpers import wait_for_count

pytestmark = pytest.mark.browser

# One visitor per user agent (a visitor id hashes the address and the user agent), each with the
# custom events it sends on the page.
VISITS = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36":
        ["footfall('event', 'signup', {plan: 'pro', seats: 3})"],
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36":
        ["footfall('event', 'signup', {plan: 'free'})", "footfall('event', 'signup', {plan: 'pro'})"],
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 Safari/537.36": [],
}


def test_an_administrator_defines_a_goal_and_reads_its_conversion_rate(browser: Browser, host: HostSite) -> None:
    for agent, calls in VISITS.items():
        page = open_page(browser, host.url("/plain"), user_agent=agent)
        for call in calls:
            page.evaluate(call)
        leave(page)
    sent = [call for calls in VISITS.values() for call in calls]
    assert wait_for_count(host.collector, host.token, "custom", len(sent), site=host.key) == len(sent)
    assert wait_for_count(host.collector, host.token, "pageview", len(VISITS), site=host.key) == len(VISITS)
    converted = sum(any("plan: 'pro'" in call for call in calls) for calls in VISITS.values())
    rate = f"{converted / len(VISITS) * 100:.1f}%"

    dashboard = login(browser, host.server, OWNER)
    dashboard.goto(f"{host.collector}/sites/{host.key}/overview")
    dashboard.get_by_role("navigation", name="Owner").get_by_role("link", name="Goals").click()
    expect(dashboard.get_by_role("heading", name="Goals and custom events")).to_be_visible()
    dashboard.get_by_label("Name", exact=True).fill("Pro signup")
    dashboard.get_by_label("Completed by").select_option("event")
    dashboard.get_by_label("Page, event name or selector").fill("signup")
    dashboard.get_by_label("Event properties").fill("plan=pro")
    dashboard.get_by_role("button", name="Save goal").click()
    expect(dashboard.get_by_role("status").filter(has_text="Goal saved.")).to_be_visible()
    row = dashboard.locator("#goal-table tbody tr").filter(has_text="Pro signup")
    expect(row.locator("td")).to_have_text([str(converted), str(converted), rate])

    events = dashboard.locator("#event-table tbody tr")
    expect(events).to_have_count(1)
    expect(events.first.locator("td")).to_have_text([str(len(sent)), "2"])
    events.first.get_by_role("link", name="signup").click()
    plans = dashboard.locator('table[data-property="plan"] tbody tr')
    expect(plans).to_have_count(2)
    expect(plans.filter(has_text="pro").locator("td")).to_have_text(["2", "2"])
    expect(plans.filter(has_text="free").locator("td")).to_have_text(["1", "1"])
    expect(dashboard.locator('table[data-property="seats"] tbody tr').locator("th")).to_have_text(["3"])
    for width in (1366, 390):  # no horizontal overflow on a laptop or a phone
        dashboard.set_viewport_size({"width": width, "height": 800})
        assert dashboard.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert dashboard.errors == []  # type: ignore[attr-defined]  # nothing the strict CSP refused
