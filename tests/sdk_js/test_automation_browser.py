"""The snippet in Chromium where it once lost page views, and in automated browsers: a field focused
before f.js listens (autofocus) typed into at once sends nothing the collector refuses, and a browser
driven by automation (navigator.webdriver) is measured only on a site whose tag allows it."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Response

from tests.browser import HostSite, leave

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 800}


def ingest_counts(host: HostSite) -> dict[str, int]:
    """What the collector accepted, refused and dropped, once the browser's beacons are in."""
    host.settle()
    request = urllib.request.Request(host.collector + "/api/v1/ingest/stats",
                                     headers={"Authorization": f"Bearer {host.token}"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        return json.loads(resp.read())


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostSite]:
    site = HostSite(tmp_path)
    yield site
    site.close()


def test_an_autofocused_field_typed_into_without_a_click_loses_nothing(browser: Browser, host: HostSite) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    answers: list[tuple[str, int]] = []

    def answered(response: Response) -> None:
        if response.url.startswith(host.collector + "/i/v1/"):
            answers.append((response.url, response.status))

    context.on("response", answered)
    page = context.new_page()
    page.goto(host.url("/autofocus"))
    page.wait_for_function("window.footfall && window.footfall.api")
    assert page.evaluate("document.activeElement.className") == "new-todo"
    is_batch = lambda response: response.url == host.collector + "/i/v1/batch"  # noqa: E731
    with page.expect_response(is_batch):  # the batch sent 1 s after load, by fetch
        page.keyboard.type("Buy milk")  # no click: the field had focus before the snippet listened
        page.keyboard.press("Enter")
    page.keyboard.type("Walk the dog")
    page.mouse.move(640, 500)
    page.mouse.wheel(0, 900)
    page.wait_for_function("window.scrollY >= 900")
    page.click("#clear")  # the visitor leaves the field by clicking elsewhere
    page.wait_for_function("document.activeElement.className != 'new-todo'")
    page.goto(host.url("/plain"))  # and the page: its last batch goes as a beacon
    page.wait_for_function("window.footfall && window.footfall.api")
    leave(page)
    host.arrived(pageview=2, click=1, form=1, scroll=1)

    counts = ingest_counts(host)  # beacons' answers reach no page: the collector's own counts say
    assert not [name for name in counts if not name.startswith("accepted.")], counts
    [[field, refocus, changes, first, spent]] = host.rows(
        "SELECT field, refocus, changes, first_input, time_in_field FROM form_fields")
    assert field == "body>header>input.new-todo"
    assert refocus == 0
    assert changes == 1  # 'Walk the dog' was still in it when it was left
    assert first > 0 and spent > 0
    assert host.rows("SELECT path FROM pageviews ORDER BY time") == [["/autofocus"], ["/plain"]]
    assert host.rows("SELECT selector FROM events WHERE type = 'click' ORDER BY time") == [["#clear"]]
    [[deepest]] = host.rows("SELECT max(y) FROM events WHERE type = 'scroll' AND path = '/autofocus'")
    assert deepest >= 900 + VIEWPORT["height"]
    assert answers, "no batch answered"
    assert [status for _, status in answers if status >= 400] == [], answers


def test_an_automated_browser_is_measured_only_where_the_tag_allows_it(browser: Browser, host: HostSite) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(host.url("/unattended"))  # the tag without data-allow-automation
    page.wait_for_load_state("load")  # deferred scripts, f.js among them, have run by then
    assert page.evaluate("navigator.webdriver") is True
    assert page.evaluate("performance.getEntriesByType('resource').some((r) => r.name.endsWith('/f.js'))")
    assert page.evaluate("typeof window.footfall") == "undefined"  # it started nothing
    page.click("#go")
    page.goto(host.url("/plain"))  # the same browser on a page whose tag allows automation
    page.wait_for_function("window.footfall && window.footfall.api")
    page.click("#go")
    leave(page)
    host.arrived(pageview=1, click=1)

    assert host.rows("SELECT path FROM pageviews") == [["/plain"]]
    assert host.rows("SELECT path, selector FROM events WHERE type = 'click'") == [["/plain", "#go"]]
