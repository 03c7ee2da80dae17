"""Filtering the Overview by clicking its tables, in Chromium: a click on a value adds a chip and
changes every number to the matching sessions' (counted here by hand from the page views seeded),
a second click narrows further, a chip's cross removes its filter, the address shares the view
with another user, and each table's CSV download holds the rows the table shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import login, seed_pageviews
from tests.conftest import Server, footfall

pytestmark = pytest.mark.browser

ADMIN = ("owner@shop.test", "correct-horse-1")
VIEWER = ("analyst@shop.test", "correct-horse-2")
ORIGIN = "http://shop.test"
# (device width, pages of the session, referrer): one visitor per session
SESSIONS = [(1280, ["/"], "")] * 3 + [(1280, ["/", "/pricing"], "")] * 2 \
    + [(390, ["/"], "https://www.google.com/")] * 2 + [(390, ["/", "/pricing"], "https://www.google.com/")]


def views() -> list[dict[str, object]]:
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=2)
    out = []
    for n, (width, pages, ref) in enumerate(SESSIONS):
        at = int((noon + timedelta(minutes=5 * n)).timestamp() * 1000)
        for k, path in enumerate(pages):
            out.append({"site": "shop", "url": ORIGIN + path, "ts": at + 60_000 * k, "sid": f"s{n}", "vid": f"v{n}",
                        "vw": width, "ref": ref if k == 0 else ORIGIN + pages[k - 1]})
    return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data: Path = tmp_path_factory.mktemp("overview-filters") / "data"
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop")
    footfall(data, "user", "create", ADMIN[0], "--role", "admin", "--password-stdin", stdin=ADMIN[1] + "\n")
    footfall(data, "user", "create", VIEWER[0], "--role", "viewer", "--password-stdin", stdin=VIEWER[1] + "\n")
    seed_pageviews(data, views())
    server = Server(data)
    yield server
    server.stop()


def tile(page: Page, metric: str):  # noqa: ANN201
    return page.locator(f".tile[data-metric='{metric}'] .value")


def counted(width: int | None = None, path: str | None = None) -> tuple[int, int]:
    """Visitors and page views of the sessions on `width` (all when None), of page `path` only when given."""
    kept = [(n, pages) for n, (w, pages, _) in enumerate(SESSIONS) if width is None or w == width]
    pageviews = [(n, p) for n, pages in kept for p in pages if path is None or p == path]
    return len({n for n, _ in pageviews}), len(pageviews)


def test_a_click_filters_the_page_and_a_chip_removes_it(browser: Browser, seeded: Server) -> None:
    page = login(browser, seeded, ADMIN)
    page.goto(seeded.url + "/sites/shop/overview?days=7")
    everyone, mobile, mobile_pricing = counted(), counted(390), counted(390, "/pricing")
    expect(tile(page, "visitors")).to_have_text(str(everyone[0]))
    expect(tile(page, "pageviews")).to_have_text(str(everyone[1]))
    expect(page.locator(".chips")).to_have_count(0)

    page.locator("#devices a.filter-by", has_text="mobile").click()
    expect(page).to_have_url(seeded.url + "/sites/shop/overview?days=7&filter=device%3Ais%3Amobile")
    expect(page.get_by_role("link", name="Remove the filter Device is mobile")).to_be_visible()
    expect(tile(page, "visitors")).to_have_text(str(mobile[0]))
    expect(tile(page, "pageviews")).to_have_text(str(mobile[1]))
    expect(page.locator("#devices tbody tr")).to_have_count(1)  # the other tables narrow too
    expect(page.locator("#referrers tbody tr td").first).to_have_text("www.google.com")

    page.locator("#top_pages a.filter-by", has_text="/pricing").click()
    expect(page.locator(".chips a.chip:not(.clear)")).to_have_count(2)
    expect(tile(page, "visitors")).to_have_text(str(mobile_pricing[0]))
    expect(tile(page, "pageviews")).to_have_text(str(mobile_pricing[1]))

    page.get_by_role("link", name="Remove the filter Device is mobile").click()
    expect(page.locator(".chips a.chip:not(.clear)")).to_have_count(1)
    expect(tile(page, "pageviews")).to_have_text(str(counted(path="/pricing")[1]))
    page.get_by_role("link", name="Last 30 days").click()  # a range keeps the filters
    expect(page.get_by_role("link", name="Remove the filter Page is /pricing")).to_be_visible()


def test_the_address_shares_the_filtered_view_with_another_user(browser: Browser, seeded: Server) -> None:
    page = login(browser, seeded, VIEWER)
    page.goto(seeded.url + "/sites/shop/overview?days=7&filter=device:is:mobile&filter=nonsense")
    expect(page.get_by_role("link", name="Remove the filter Device is mobile")).to_be_visible()
    expect(tile(page, "visitors")).to_have_text(str(counted(390)[0]))
    expect(page.get_by_role("status").filter(has_text="nonsense")).to_contain_text("could not be read")


def test_each_tables_csv_holds_the_rows_it_shows(browser: Browser, seeded: Server) -> None:
    page = login(browser, seeded, ADMIN)
    page.goto(seeded.url + "/sites/shop/overview?days=7&filter=device:is:mobile")
    for table, key in (("top_pages", "page"), ("devices", "device"), ("referrers", "referrer")):
        with page.expect_download() as download:
            page.locator(f"#{table} a.csv").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        shown = page.locator(f"#{table} tbody tr td:first-child").all_inner_texts()
        assert [row[key] for row in rows] == shown and rows
    with page.expect_download() as download:
        page.locator("#top_pages a.csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    mobile_pages = {p: sum(p in pages for w, pages, _ in SESSIONS if w == 390) for p in ("/", "/pricing")}
    assert {row["page"]: int(row["pageviews"]) for row in rows} == mobile_pages
    assert sum(float(row["share"]) for row in rows) == pytest.approx(1.0)
    assert download.value.suggested_filename.endswith("top_pages.csv")
