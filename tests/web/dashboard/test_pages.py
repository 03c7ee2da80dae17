"""The dashboard's guards against a real server: every route needs a login (or a bearer token for
the API) except the public ones, sessions, CSRF, login rate limits, roles, headers, tokens."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from footfall.web.version import version
from tests.conftest import Server, footfall
from tests.helpers import csrf_of, make_batch, post, wait_for_count

ADMIN = ("admin@shop.test", "correct-horse-1")
VIEWER = ("viewer@shop.test", "viewer-pass-2")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("dashboard") / "data"
    footfall(data, "site", "create", "Shop", "--origin", "http://shop.test", "--key", "shop")
    footfall(data, "site", "create", "Blog", "--origin", "http://blog.test", "--key", "blog")
    for (email, password), role in ((ADMIN, "admin"), (VIEWER, "viewer")):
        footfall(data, "user", "create", email, "--role", role, "--password-stdin", stdin=password + "\n")
    running = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    yield running
    running.stop()


OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def new_client(server: Server) -> httpx.Client:
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)
    OPEN.append(client)
    return client


def login(server: Server, who: tuple[str, str]) -> httpx.Client:
    client = new_client(server)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "email": who[0], "password": who[1], "next": "/sites"})
    assert answer.status_code == 303 and answer.headers["location"] == "/sites"
    return client


def test_login_logout_and_the_session_cookie(server: Server) -> None:
    client = new_client(server)
    page = client.get("/login")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    wrong = client.post("/login", data={"csrf": csrf_of(page.text), "email": ADMIN[0], "password": "nope"})
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    answer = client.post("/login", data={"csrf": csrf_of(wrong.text), "email": ADMIN[0], "password": ADMIN[1]})
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("footfall_session=") and "httponly" in cookie and "samesite=lax" in cookie
    sites = client.get("/sites")
    assert sites.status_code == 200 and "Shop" in sites.text and "Blog" in sites.text
    assert f'<footer class="foot">Footfall {version()}</footer>' in sites.text
    assert "<footer" not in page.text  # the version only for those logged in
    client.post("/logout", data={"csrf": csrf_of(sites.text)})
    assert client.get("/sites").status_code == 303


def test_a_forged_session_cookie_is_not_a_login(server: Server) -> None:
    client = new_client(server)
    client.cookies.set("footfall_session", "eyJ1c2VyIjogeyJlbWFpbCI6ICJ4IiwgInJvbGUiOiAiYWRtaW4ifX0=.forged.sig")
    assert client.get("/sites").status_code == 303


def test_state_changing_requests_need_the_csrf_token(server: Server) -> None:
    client = login(server, ADMIN)
    for path, data in (("/sites/new", {"name": "Evil", "origins": "https://evil.test", "retention_days": "30",
                                       "replay_sample": "0", "heatmap_sample": "0"}),
                       ("/settings/users", {"email": "evil@evil.test", "password": "x" * 12, "role": "admin"}),
                       ("/logout", {})):
        refused = client.post(path, data=data)
        assert refused.status_code == 403 and "did not come from Footfall" in refused.text, path
        forged = client.post(path, data={**data, "csrf": "forged"})
        assert forged.status_code == 403, path
    assert "evil@evil.test" not in client.get("/settings/users").text
    assert client.get("/sites").status_code == 200  # still logged in: the logout was refused too


def test_login_attempts_are_rate_limited(server: Server) -> None:
    client = new_client(server)
    token = csrf_of(client.get("/login").text)
    codes = [client.post("/login", data={"csrf": token, "email": "target@shop.test", "password": f"guess{i}"}
                         ).status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    assert "Too many attempts" in client.post("/login", data={"csrf": token, "email": "target@shop.test",
                                                              "password": "x"}).text


def test_dashboard_pages_send_the_security_headers(server: Server) -> None:
    client = login(server, ADMIN)
    for path in ("/sites", "/sites/shop/install", "/settings/tokens", "/login"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_the_heatmaps_page_and_its_frame(server: Server) -> None:
    from footfall.web.dashboard.isolated_frames import frame_policy

    client = login(server, ADMIN)
    page = client.get("/sites/shop/heatmaps?url=/cart?x=1&device=phone&kind=heat&opacity=lots")
    assert page.status_code == 200 and "Clicked elements" in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert 'value="/cart"' in page.text  # bad choices fall back
    assert "No clicks recorded on <code>/cart</code> from desktop visitors" in page.text  # and no frame to draw in
    assert 'id="heatmap-frame"' not in page.text
    assert "Clicks on <code>/cart</code>, desktop" in page.text
    frame = client.get("/sites/shop/heatmaps/frame")
    assert frame.status_code == 200 and frame.headers["content-security-policy"] == frame_policy(["http://shop.test"])
    assert "data:text/html;base64," in frame.text and "x-frame-options" not in frame.headers
    assert client.get("/sites/nosuch/heatmaps").status_code == 404
    assert client.get("/sites/nosuch/heatmaps/frame").status_code == 404


def test_viewers_read_but_do_not_change(server: Server) -> None:
    client = login(server, VIEWER)
    settings = client.get("/sites/shop/settings")
    assert settings.status_code == 200 and "Only administrators can change these settings" in settings.text
    token = csrf_of(settings.text)
    changed = client.post("/sites/shop/settings", data={"csrf": token, "name": "Hacked", "origins": "http://shop.test",
                                                         "retention_days": "30", "replay_sample": "0",
                                                         "heatmap_sample": "0"})
    assert changed.status_code == 403
    assert client.get("/settings/tokens").status_code == 403
    assert client.get("/settings/users").status_code == 403
    assert client.get("/sites/new").status_code == 403
    saved = client.post("/sites/shop/funnels", data={"csrf": token, "name": "Mine", "steps": "/\n/cart"})
    assert saved.status_code == 403 and "Only administrators" in saved.text
    assert client.post("/sites/shop/funnels/abc/delete", data={"csrf": token}).status_code == 403
    assert client.post("/sites/nowhere/funnels", data={"csrf": token, "name": "Mine"}).status_code == 403
    assert client.get("/api/v1/sites/shop/events/count").status_code == 200


def test_tokens_limited_to_a_site_and_revoked_from_the_dashboard(server: Server) -> None:
    client = login(server, ADMIN)
    page = client.get("/settings/tokens")
    made = client.post("/settings/tokens", data={"csrf": csrf_of(page.text), "name": "shop-only", "site": "shop"})
    token = re.search(r'id="new-token" readonly value="([^"]+)"', made.text).group(1)
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.url + "/api/v1/sites/shop/events/count", headers=bearer).status_code == 200
    assert httpx.get(server.url + "/api/v1/sites/blog/events/count", headers=bearer).status_code == 403
    assert "shop-only" in made.text and token not in client.get("/settings/tokens").text  # shown once
    token_id = re.search(r'name="id" value="([^"]+)"', made.text).group(1)
    client.post("/settings/tokens/revoke", data={"csrf": csrf_of(made.text), "id": token_id})
    assert httpx.get(server.url + "/api/v1/sites/shop/events/count", headers=bearer).status_code == 401


def test_a_site_added_and_edited_in_the_dashboard_takes_effect(server: Server, tmp_path: Path) -> None:
    client = login(server, ADMIN)
    form = {"name": "Docs", "origins": "https://docs.test\nhttps://www.docs.test", "retention_days": "90",
            "replay_sample": "50", "heatmap_sample": "10", "honour_dnt": "1"}
    bad = client.post("/sites/new", data={**form, "csrf": csrf_of(client.get("/sites/new").text), "origins": "ftp://x"})
    assert bad.status_code == 400 and "write origins as https://host" in bad.text
    made = client.post("/sites/new", data={**form, "csrf": csrf_of(client.get("/sites/new").text)})
    assert made.status_code == 303 and made.headers["location"].endswith("/install")
    key = made.headers["location"].split("/")[2]
    install = client.get(f"/sites/{key}/install").text
    assert f'data-site=&#34;{key}&#34;' in install and "Waiting for the first page view" in install
    assert client.get(f"/api/v1/sites/{key}/install-status").json()["state"] == "waiting"

    batch = make_batch(site=key, url="https://docs.test/guide", vid="reader-1")
    assert post(server.url, batch, {"Origin": "https://www.docs.test"})[0] == 202
    for _ in range(600):  # a minute at most
        status = client.get(f"/api/v1/sites/{key}/install-status").json()
        if status["state"] == "installed":
            break
        time.sleep(0.1)
    assert status["first_url"] == "https://docs.test/guide" and "ago from https://docs.test/guide" in status["text"]

    settings = client.get(f"/sites/{key}/settings")
    refused = client.post(f"/sites/{key}/settings", data={**form, "csrf": csrf_of(settings.text),
                                                          "url_patterns": "/guide/*\nguide with spaces"})
    assert refused.status_code == 400 and "not a page pattern" in refused.text
    no_zone = client.post(f"/sites/{key}/settings", data={**form, "csrf": csrf_of(settings.text),
                                                          "time_zone": "Mars/Olympus"})
    assert no_zone.status_code == 400 and "not a time zone" in no_zone.text
    edited = client.post(f"/sites/{key}/settings", data={**form, "csrf": csrf_of(settings.text),
                                                         "origins": "https://docs.test", "retention_days": "30",
                                                         "url_patterns": "/guide/*?x=1\n\n/api/*",
                                                         "time_zone": "Asia/Tokyo"})
    assert edited.status_code == 303
    assert post(server.url, make_batch(site=key), {"Origin": "https://www.docs.test"})[0] == 403  # origin removed
    token = footfall(server.data, "token", "create", "check")["token"]
    assert wait_for_count(server.url, token, "pageview", 1, site=key) == 1
    page = client.get(f"/sites/{key}/settings").text
    assert 'value="30"' in page and "https://www.docs.test" not in page
    assert ">/guide/*\n/api/*</textarea>" in page
    assert 'name="time_zone" type="text" maxlength="64" required value="Asia/Tokyo"' in page
    stats = client.get(f"/api/v1/sites/{key}/stats?metrics=visitors").json()
    assert stats["time_zone"] == "Asia/Tokyo"  # the stats API's days are the site's, from now on
    for _ in range(600):  # (a minute at most) the stored rows take the new retention too (a background mutation)
        rows = client.get(f"/api/v1/sites/{key}/visitors/reader-1/export").json()["tables"]["pageviews"]
        if rows and all(r["retention"] == 30 for r in rows):
            break
        time.sleep(0.1)
    assert rows and all(r["retention"] == 30 for r in rows)
    snippet = client.get(f"/sites/{key}/install").text
    assert "data-respect-dnt" not in snippet
    client.post(f"/sites/{key}/settings", data={**form, "csrf": csrf_of(page), "honour_dnt": ""})
    assert "data-respect-dnt=&#34;false&#34;" in client.get(f"/sites/{key}/install").text


def test_open_redirects_are_refused(server: Server) -> None:
    client = new_client(server)
    token = csrf_of(client.get("/login").text)
    for target in ("https://evil.test/", "//evil.test/", "/\\evil.test"):
        answer = client.post("/login", data={"csrf": token, "email": ADMIN[0], "password": ADMIN[1], "next": target})
        assert answer.status_code == 303 and answer.headers["location"] == "/", target
        client.post("/logout", data={"csrf": csrf_of(client.get("/sites").text)})
        token = csrf_of(client.get("/login").text)


def test_the_funnel_page_answers_first_and_measures_the_page_loads_after(server: Server) -> None:
    """The funnel alone comes at once, performance cells pending; the same page with performance=1 holds
    them (dashboard.js puts that in place), here the LCP of the product page a visitor saw."""
    visit = make_batch(events=1)
    visit["e"].append({"t": "vital", "ts": visit["e"][0]["ts"] + 900, "n": "LCP", "v": 5300, "r": "poor"})
    assert post(server.url, visit)[0] == 202
    token = footfall(server.data, "token", "create", "funnel-page")["token"]
    assert wait_for_count(server.url, token, "pageview", 1) >= 1
    client = login(server, ADMIN)
    form = {"csrf": csrf_of(client.get("/sites/shop/funnels").text), "name": "Product to cart",
            "steps": "/product/*\n/cart"}
    saved = client.post("/sites/shop/funnels", data=form)
    assert saved.status_code == 303
    first = client.get(saved.headers["location"])
    later = re.search(r'data-deferred-from="([^"]+)"', first.text)
    assert first.status_code == 200 and later and "performance=1" in later.group(1)
    steps = first.text.split('id="funnel-steps"', 1)[1].split("</table>", 1)[0]
    assert "aria-busy" in steps and steps.count('class="num pending"') == 10 and "5.30 s" not in steps
    assert "Measuring the page loads of each step" in first.text
    measured = client.get(later.group(1).replace("&amp;", "&"))
    steps = measured.text.split('id="funnel-steps"', 1)[1].split("</table>", 1)[0]
    assert 'data-performance="measured"' in steps and "pending" not in steps
    assert "data-deferred-from" not in measured.text
    assert '<span class="rating-poor">5.30 s</span>' in steps  # step 1's LCP p75
    assert 'id="impact-1"' in measured.text


@pytest.mark.parametrize(("query", "first", "last", "noted"), [
    ("from=2026-11-02&to=2026-11-05", "2026-11-02", "2026-11-05", False),
    ("from=not-a-day", None, None, True),  # the API answers 400 to the same query
    ("from=2026-11-05&to=2026-11-02", None, None, True),  # to before from
    ("days=7", "-6", "0", False),
])
def test_a_page_reads_the_range_as_the_api_does_and_notes_what_it_cannot_read(
        server: Server, query: str, first: str | None, last: str | None, noted: bool) -> None:
    client = login(server, VIEWER)
    shown = client.get(f"/sites/shop/errors?{query}")
    assert shown.status_code == 200
    assert ("That date range could not be read" in shown.text) is noted
    today = datetime.now(UTC).date()
    if first is None:
        first, last = str(today - timedelta(days=29)), str(today)
    elif first.startswith("-"):
        first, last = str(today + timedelta(days=int(first))), str(today)
    assert f'value="{first}"' in shown.text and f'value="{last}"' in shown.text
    api = client.get(f"/api/v1/sites/shop/events/count?{query}")
    assert api.status_code == (400 if noted else 200)
