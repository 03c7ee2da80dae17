"""Every table's CSV download on a real server, against the table the page shows and counts by hand
of what was sent: the Overview's tables and main funnel, the Performance page's four tables, the
error groups, a funnel's steps and the list of replays. A download is a page read: it needs a login,
stays within the path's site, and an unknown table is a 404."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Server, footfall
from tests.helpers import ORIGIN, csrf_of, make_batch, post, wait_for_count

ADMIN = ("admin@shop.test", "correct-horse-1")
PAGES = {"/": 3, "/pricing": 2, "/product/1": 1}  # page views sent per page, one session each
ERRORS_ON = "/pricing"
CLICKED, CLICKS = "/product/1", 2  # each of its page views has one error; a console message is not an error


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("downloads") / "data"
    footfall(data, "site", "create", "Shop", "--origin", ORIGIN, "--key", "shop")
    footfall(data, "site", "create", "Blog", "--origin", "http://blog.test", "--key", "blog")
    footfall(data, "user", "create", ADMIN[0], "--role", "admin", "--password-stdin", stdin=ADMIN[1] + "\n")
    running = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    for path, n in PAGES.items():
        for _ in range(n):
            visit = make_batch(events=1 + CLICKS * (path == CLICKED), url=ORIGIN + path)  # clicks on #buy
            at = visit["e"][0]["ts"]
            visit["e"].append({"t": "vital", "ts": at + 900, "n": "LCP", "v": 1000 + 500 * len(path), "r": "good"})
            if path == ERRORS_ON:
                visit["e"] += [{"t": "error", "ts": at + 50, "msg": "price is undefined"},
                               {"t": "error", "ts": at + 60, "msg": "noise", "kind": "console"}]
            assert post(running.url, visit)[0] == 202
    token = footfall(data, "token", "create", "downloads")["token"]
    assert wait_for_count(running.url, token, "pageview", sum(PAGES.values())) == sum(PAGES.values())
    assert wait_for_count(running.url, token, "error", 2 * PAGES[ERRORS_ON]) == 2 * PAGES[ERRORS_ON]
    yield running
    running.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=60) as c:
        token = csrf_of(c.get("/login").text)
        answer = c.post("/login", data={"csrf": token, "email": ADMIN[0], "password": ADMIN[1], "next": "/sites"})
        assert answer.status_code == 303
        yield c


def download(client: httpx.Client, path: str, table: str) -> list[dict[str, str]]:
    joined = "&" if "?" in path else "?"
    answer = client.get(f"{path}{joined}table={table}&format=csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment; filename=\"shop-")
    return list(csv.DictReader(io.StringIO(answer.text)))


def shown(page: str, table_id: str) -> str:
    """The HTML of the table with this id (or in the section with it), unescaped."""
    return html.unescape(page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0])


def test_the_overviews_tables_download_what_they_show(client: httpx.Client) -> None:
    page = client.get("/sites/shop/overview").text
    pages = download(client, "/sites/shop/overview", "top_pages")
    assert {row["page"]: int(row["pageviews"]) for row in pages} == PAGES
    assert sum(float(row["share"]) for row in pages) == pytest.approx(1.0)
    table = shown(page, "top_pages")
    assert [row["page"] for row in pages] == re.findall(r'class="filter-by"[^>]*>([^<]+)</a>', table)
    vitals = {row["metric"]: row for row in download(client, "/sites/shop/overview", "vitals")}
    assert int(vitals["LCP"]["count"]) == sum(PAGES.values()) and vitals["TTFB"]["p75"] == ""
    filtered = download(client, "/sites/shop/overview?filter=page:is:/pricing", "top_pages")
    assert [(row["page"], row["pageviews"]) for row in filtered] == [("/pricing", "2")]


def test_the_performance_pages_tables_download_what_they_show(client: httpx.Client) -> None:
    page = client.get("/sites/shop/performance?url=/pricing").text
    pages = download(client, "/sites/shop/performance?url=/pricing", "pages")
    assert {row["page"]: int(row["pageviews"]) for row in pages} == PAGES
    assert {row["page"]: float(row["error_rate"]) for row in pages}[ERRORS_ON] == 1.0
    assert float(next(r for r in pages if r["page"] == "/pricing")["lcp_p75"]) == 1000 + 500 * len("/pricing")
    for row in pages:
        assert f"<code>{row['page']}</code>" in shown(page, "pages")
    vitals = download(client, "/sites/shop/performance?url=/pricing", "vitals")
    assert [row["metric"] for row in vitals] == re.findall(r'<tr data-vital="(\w+)"', shown(page, "vitals"))
    download(client, "/sites/shop/performance?url=/pricing", "phases")  # none timed here: a header alone
    download(client, "/sites/shop/performance?url=/pricing", "resources")


def test_the_error_groups_download_what_they_show(client: httpx.Client) -> None:
    groups = download(client, "/sites/shop/errors", "error_groups")
    assert [(row["message"], int(row["count"]), row["pages"]) for row in groups] == [
        ("price is undefined", PAGES[ERRORS_ON], ERRORS_ON)]  # the console message is not an error
    page = client.get("/sites/shop/errors").text
    assert f'data-fingerprint="{groups[0]["fingerprint"]}"' in page
    overview = client.get("/sites/shop/overview").text  # the Overview's tile counts the same errors
    tile = overview.split('data-metric="errors"', 1)[1]
    assert re.search(r'<div class="value">(\d+)</div>', tile).group(1) == str(PAGES[ERRORS_ON])  # type: ignore[union-attr]
    with_console = download(client, "/sites/shop/errors?console=1", "error_groups")
    assert sorted(row["message"] for row in with_console) == ["noise", "price is undefined"]


def test_a_funnels_steps_and_the_main_funnel_download_what_they_show(client: httpx.Client) -> None:
    form = {"csrf": csrf_of(client.get("/sites/shop/funnels").text), "name": "Home to pricing",
            "steps": "/\n/pricing", "count_by": "session"}
    saved = client.post("/sites/shop/funnels", data=form)
    assert saved.status_code == 303
    where = saved.headers["location"]
    steps = download(client, where, "funnel_steps")
    assert [(row["label"], int(row["entered"])) for row in steps] == [("/", PAGES["/"]), ("/pricing", 0)]
    assert float(steps[0]["lcp_p75"]) == 1500.0  # the performance columns the page fills in after
    impact = download(client, where, "funnel_impact")
    assert {row["step"] for row in impact} <= {"1"}
    assert sum(int(row["units"]) for row in impact if row["metric"] == "LCP") in (0, PAGES["/"])
    main = download(client, "/sites/shop/overview", "main_funnel")
    assert [(row["label"], row["entered"]) for row in main] == [(row["label"], row["entered"]) for row in steps]


def test_the_list_of_replays_downloads_its_page(client: httpx.Client) -> None:
    rows = download(client, "/sites/shop/replays?has_replay=", "sessions")
    assert len(rows) == sum(PAGES.values())
    assert sorted(row["entry_path"] for row in rows) == sorted(p for p, n in PAGES.items() for _ in range(n))
    page = client.get("/sites/shop/replays?has_replay=").text
    assert all(f'data-session="{row["session_id"]}"' in page for row in rows)
    pricing = next(row for row in rows if row["entry_path"] == "/pricing")
    vitals = download(client, f"/sites/shop/replays/{pricing['session_id']}", "vitals")
    assert [(row["path"], row["name"], float(row["value"])) for row in vitals] == [
        ("/pricing", "LCP", 1000 + 500 * len("/pricing"))]


def test_the_clicked_elements_download_what_the_heatmap_lists(client: httpx.Client) -> None:
    elements = download(client, f"/sites/shop/heatmaps?url={CLICKED}&device=desktop", "elements")
    assert [(row["selector"], int(row["clicks"])) for row in elements] == [("#buy", CLICKS)]
    assert "<code>#buy</code>" in client.get(f"/sites/shop/heatmaps?url={CLICKED}&device=desktop").text


@pytest.mark.parametrize("path", ["/sites/shop/overview", "/sites/shop/performance", "/sites/shop/errors",
                                  "/sites/shop/funnels", "/sites/shop/replays", "/sites/shop/heatmaps"])
def test_a_download_needs_a_login_and_a_known_table(server: Server, client: httpx.Client, path: str) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as anonymous:
        answer = anonymous.get(f"{path}?table=top_pages&format=csv")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        bearer = anonymous.get(f"{path}?table=top_pages&format=csv", headers={"Authorization": "Bearer x"})
        assert bearer.status_code in (303, 401) and "text/csv" not in bearer.headers.get("content-type", "")
    unknown = client.get(f"{path}?table=users&format=csv")
    assert unknown.status_code == 404 and "No table named 'users'" in unknown.text
    other = client.get(path.replace("/shop/", "/nosuch/") + "?table=top_pages&format=csv")
    assert other.status_code == 404 and "text/csv" not in other.headers["content-type"]
