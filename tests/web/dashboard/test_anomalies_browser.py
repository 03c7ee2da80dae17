"""The Anomalies page in Chromium, over six weeks of traffic with an error planted six hours ago and
still going (tests/analysis/anomaly_data.py): the Overview's badge says an anomaly is open and leads
to it; its card names the error, explains it by Safari and /checkout, draws the KPI against its band
with the anomaly's hours marked, and links to the sessions behind it, filtered."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from tests.analysis import anomaly_data as data
from tests.browser import login
from tests.conftest import ROOT, Server, footfall, start_site_server

pytestmark = pytest.mark.browser
ADMIN = ("anomalies@shop.test", "correct-horse-7")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    where = tmp_path_factory.mktemp("anomalies-page") / "data"
    where.mkdir()
    subprocess.run([sys.executable, "-m", "tests.analysis.anomaly_data", f"chdb://{where / 'clickhouse'}", "now"],
                   check=True, cwd=ROOT, timeout=300)
    running, _ = start_site_server(where, {"FOOTFALL_RATE_LIMIT": "0"})
    footfall(where, "user", "create", ADMIN[0], "--role", "admin", "--password-stdin", stdin=ADMIN[1] + "\n")
    yield running
    running.stop()


def test_the_overview_badge_leads_to_the_open_anomaly_and_its_sessions(browser: Browser, server: Server) -> None:
    page = login(browser, server, ADMIN)
    page.goto(server.url + "/sites/shop/overview")
    badge = page.locator("#open-anomalies a.badge")
    expect(badge).to_have_text(re.compile(r"^\d+ open anomal(y|ies)$"), timeout=60_000)
    badge.click()
    expect(page.get_by_role("heading", name="Anomalies", exact=True)).to_be_visible()
    card = page.locator("article.anomaly[data-kpi=error_group_rate]")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading")).to_contain_text(f"Page views with this error of “{data.NEW_ERROR}” up")
    expect(card.locator(".when")).to_contain_text("still open")
    expect(card.locator(".why")).to_contain_text("in Safari")
    expect(card.locator(".why")).to_contain_text("on /checkout")
    chart = card.locator("svg.band-chart")
    expect(chart.locator("polygon.band")).not_to_have_count(0)
    expect(chart.locator("circle.marked")).not_to_have_count(0)
    marked = chart.locator("rect.target[data-anomalous] title").first.text_content() or ""
    assert re.search(r": [\d.]+%, expected [\d.]+% \([\d.]+% to [\d.]+%\)$", marked), marked
    card.locator("summary").click()
    browsers = card.locator('table[data-dimension="browser"] tbody tr')
    expect(browsers.first.locator("th")).to_have_text("Safari")
    card.get_by_role("link", name="Replays of the sessions behind it").click()
    expect(page.get_by_role("heading", name="Replays")).to_be_visible()
    asked = parse_qs(urlsplit(page.url).query)
    assert (asked["error"], asked["browser"], asked["url"]) == (["new-cart-total"], ["Safari"], ["/checkout"])
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_severity_and_grain_filters_narrow_the_list(browser: Browser, server: Server) -> None:
    page = login(browser, server, ADMIN)
    page.goto(server.url + "/sites/shop/anomalies?severity=low")
    every = page.locator("article.anomaly")
    expect(every).not_to_have_count(0)
    low = every.count()
    page.get_by_label("At least").select_option("high")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_label("At least")).to_have_value("high")
    high = page.locator("article.anomaly")
    assert high.count() <= low
    assert set(high.evaluate_all("els => els.map(e => e.dataset.severity)")) <= {"high"}
    page.get_by_label("Compared").select_option("day")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Compared")).to_have_value("day")
    expect(page.locator("#anomaly-summary")).to_contain_text("same day of the week")
