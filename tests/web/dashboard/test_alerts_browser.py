"""In Chromium: a site's administrator opens Alerts from the site navigation, adds a rule with a webhook
to a receiver of this test, presses "Send a test alert" and reads what the receiver answered; the
receiver got a `test` event signed with the secret the page showed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import OWNER, HostSite, login
from tests.helpers import wait_until
from tests.receivers import WebhookReceiver, verified

pytestmark = pytest.mark.browser


def test_an_administrator_adds_a_rule_and_sends_a_test_alert(browser: Browser, host: HostSite) -> None:
    receiver = WebhookReceiver()
    try:
        page = login(browser, host.server, OWNER)
        page.goto(f"{host.collector}/sites/{host.key}/overview")
        page.get_by_role("navigation", name="Owner").get_by_role("link", name="Alerts").click()
        expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
        expect(page.locator("#no-rules")).to_be_visible()
        expect(page.locator("#smtp-note")).to_contain_text("Email is not configured")

        page.get_by_label("Name", exact=True).fill("Checkout errors")
        page.get_by_label("KPI").select_option("error_rate")
        page.get_by_label("Page").fill("/checkout")
        page.get_by_label("Least severity").select_option("high")
        page.get_by_label("Webhook URL").fill(receiver.url)
        page.get_by_role("button", name="Add rule").click()
        expect(page.locator("#alert-created")).to_contain_text("Alert rule “Checkout errors” saved.")
        secret = page.get_by_label("Signing secret").input_value()
        assert len(secret) >= 40
        row = page.locator("#alert-rules tbody tr").filter(has_text="Checkout errors")
        expect(row.locator("td")).to_contain_text(["error_rate on /checkout", "high", receiver.url, "enabled"])

        row.get_by_role("button", name="Send a test alert for Checkout errors").click()
        outcome = page.locator("#test-outcome")
        expect(outcome).to_contain_text("Test alert for “Checkout errors”")
        expect(outcome.locator('li[data-channel="webhook"]')).to_have_text("webhook: HTTP 200")
        wait_until(lambda: receiver.received("test"))
        [call] = receiver.received()
        assert call.headers["footfall-event"] == "test" and call.json["rule"]["name"] == "Checkout errors"
        assert verified(secret, call.body, call.headers["footfall-signature"])

        row = page.locator("#alert-rules tbody tr").filter(has_text="Checkout errors")
        row.get_by_role("button", name="Disable Checkout errors").click()
        expect(page.locator("#alert-rules tbody tr").filter(has_text="Checkout errors").locator("td").nth(3)) \
            .to_have_text("disabled")
        for width in (1366, 390):  # no horizontal overflow on a laptop or a phone
            page.set_viewport_size({"width": width, "height": 800})
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert page.errors == []  # type: ignore[attr-defined]  # nothing the strict CSP refused
    finally:
        receiver.close()
