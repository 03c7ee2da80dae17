"""What Chromium receives: the snippet compressed within its budget on a customer's page, and the
dashboard's files compressed, as the Performance API reports them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser import VIEWPORT, HostSite
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

BUDGET = 6 * 1024  # bytes of f.js on the wire (tests/sdk_js/test_size.py holds the file to it gzipped)


def test_the_snippet_arrives_compressed_within_six_kilobytes(browser: Browser, host: HostSite) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    with page.expect_response(host.collector + "/f.js") as loaded:
        page.goto(host.url("/plain"))
    page.wait_for_function("window.footfall && window.footfall.api")  # it ran
    response = loaded.value
    encoding = response.headers.get("content-encoding")
    assert encoding in ("br", "gzip"), response.request.headers.get("accept-encoding")
    on_wire = response.request.sizes()["responseBodySize"]  # the encoded body, as received
    assert on_wire == int(response.headers["content-length"])
    assert on_wire <= BUDGET
    assert response.body() == (ROOT / "web" / "static" / "f.js").read_bytes()  # Chromium decoded it
    context.close()


def test_the_dashboard_files_arrive_compressed(browser: Browser, host: HostSite) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(host.collector + "/login")  # same origin as its files: the Performance API gives their sizes
    files = "performance.getEntriesByType('resource').filter(e => e.name.includes('/static/') && e.responseEnd > 0)"
    page.wait_for_function(f"{files}.length >= 2")
    entries = page.evaluate(f"""{files}.map(e => ({{name: new URL(e.name).pathname, encoded: e.encodedBodySize,
                                                    decoded: e.decodedBodySize}}))""")
    assert {e["name"] for e in entries} >= {"/static/dashboard.css", "/static/dashboard.js"}
    for entry in entries:
        assert 0 < entry["encoded"] < entry["decoded"] * 0.6, entry
    context.close()

