"""The snippet in Debian's Chromium against a real collector: what a visit sends arrives in
ClickHouse with the right types, selectors, coordinates, vitals and phases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.browser import VIEWPORT, HostSite, leave, open_page

pytestmark = pytest.mark.browser


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostSite]:
    site = HostSite(tmp_path)
    yield site
    site.close()


def as_dicts(host: HostSite, sql: str, columns: list[str]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in host.rows(sql)]


def test_a_visit_arrives_with_every_kind_of_event(browser: Browser, host: HostSite) -> None:
    page = open_page(browser, host.url("/shop?utm_source=newsletter&utm_medium=email&token=secret"))
    # The site records sessions: rrweb's start adds and removes a frame, which would count as the
    # effect of a click made in that moment, so the clicks start once the recorder runs.
    page.wait_for_function("document.querySelector('script[src*=\"/replay.js\"]') !== null")
    page.wait_for_timeout(500)
    buy = page.locator("#buy").bounding_box()
    page.mouse.click(buy["x"] + 40, buy["y"] + 12)  # a quarter into the button both ways
    page.click("#dead")
    page.wait_for_timeout(1300)  # the dead-click window passes with nothing changed
    plain = page.locator("#plain").bounding_box()
    for i in range(4):  # rage: four clicks on one spot within a second
        page.mouse.click(plain["x"] + 50 + i, plain["y"] + 50)
        page.wait_for_timeout(120)
    page.mouse.move(100, 100)
    page.mouse.move(900, 600, steps=40)
    page.click("#boom")
    page.click("#boom")  # the same error twice is stored once
    page.click("#reject")
    page.click("#email")
    page.wait_for_timeout(5500)  # focused without typing: hesitation
    page.keyboard.type("a@b.test")
    page.click("#password")
    page.keyboard.type("hunter2")
    page.mouse.move(640, 400)
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(1200)
    page.click("#next")  # a single-page-app navigation to /spa/next (pushState)
    page.wait_for_timeout(300)
    page.evaluate("footfall('identify', 'user-42')")
    page.evaluate("history.back()")  # popstate: back on /shop
    page.wait_for_timeout(300)
    page.evaluate("location.hash = '#/cart'")  # hashchange: a hash route
    page.wait_for_timeout(1500)
    signals = {name for name, _ in page.evaluate("window.seen")}
    leave(page)
    host.arrived(pageview=4, click=11, move=1, scroll=1, error=2, form=1, vital=5, nav=1, custom=1)

    assert signals == {"rage-click", "dead-click", "error", "hesitation"}
    views = as_dicts(host, "SELECT pageview_id, url, path, referrer, utm_source, utm_medium, device, visitor_id "
                           "FROM pageviews ORDER BY time",
                     ["pv", "url", "path", "ref", "source", "medium", "device", "visitor"])
    assert [v["path"] for v in views] == ["/shop", "/spa/next", "/shop", "/shop#/cart"]
    first, second = views[:2]
    assert first["url"] == host.url("/shop")
    assert (first["source"], first["medium"], first["device"]) == ("newsletter", "email", "desktop")
    assert second["ref"] == host.url("/shop")
    assert views[-1]["visitor"] == "user-42" and first["visitor"] != "user-42"  # identify applies from then on

    clicks = as_dicts(host, "SELECT pageview_id, selector, x, y, rx, ry, viewport_width, text, dead, rage "
                            "FROM events WHERE type = 'click' ORDER BY time",
                      ["pv", "s", "x", "y", "rx", "ry", "vw", "text", "dead", "rage"])
    by_selector: dict[str, list[dict[str, Any]]] = {}
    for click in clicks:
        by_selector.setdefault(click["s"], []).append(click)
    [buy_click] = by_selector["#buy"]
    assert (buy_click["text"], buy_click["dead"], buy_click["vw"]) == ("Add to cart", 0, 1280)
    assert abs(buy_click["rx"] - 0.25) < 0.02 and abs(buy_click["ry"] - 0.25) < 0.03
    assert abs(buy_click["x"] - (buy["x"] + 40)) <= 1 and abs(buy_click["y"] - (buy["y"] + 12)) <= 1
    assert by_selector["#dead"][0]["dead"] == 1
    assert [c["rage"] for c in by_selector["#plain"]] == [0, 0, 1, 1]
    assert all(c["text"] == "" for c in by_selector["#email"])  # never an input's text
    assert {c["pv"] for c in clicks if c["s"] == "a#next"} <= {first["pv"]}

    moves = host.rows("SELECT points FROM events WHERE type = 'move'")
    points = [p for (trail,) in moves for p in trail]
    assert len(points) >= 10 and all(x % 4 == 0 and y % 4 == 0 for x, y in points)
    depth = host.rows(f"SELECT max(y), max(depth_share), max(page_height) FROM events "
                      f"WHERE type = 'scroll' AND pageview_id = '{first['pv']}'")[0]
    assert depth[0] >= 2000 and 0.5 < depth[1] <= 1 and depth[2] > 3000

    assert host.rows("SELECT kind, count() FROM errors GROUP BY kind ORDER BY kind") == [["error", 1],
                                                                                         ["rejection", 1]]
    errors = {row[0]: row[1:] for row in host.rows("SELECT kind, message, source, line FROM errors")}
    assert "Boom 42" in errors["error"][0] and errors["error"][1] == host.url("/shop") and errors["error"][2] > 0
    assert "Nope 7" in errors["rejection"][0]

    fields = as_dicts(host, "SELECT field, first_input, hesitation, abandoned, changes FROM form_fields",
                      ["field", "first", "hesitation", "abandoned", "changes"])
    assert [f["field"] for f in fields] == ["#email"]  # the password field is never looked at
    assert fields[0]["hesitation"] == 1 and fields[0]["abandoned"] == 1 and fields[0]["first"] > 5000
    assert fields[0]["changes"] == 1  # typed, then left the field

    vitals = {name for (name,) in host.rows(f"SELECT name FROM web_vitals WHERE pageview_id = '{first['pv']}'")}
    assert {"TTFB", "FCP", "LCP", "CLS", "INP"} <= vitals
    [nav] = host.rows("SELECT pageview_id, total, request FROM page_timings")
    assert nav[0] == first["pv"] and nav[1] > 0
    custom = host.rows("SELECT name, props FROM events WHERE type = 'custom'")
    assert [(name, json.loads(props)) for name, props in custom] == [("stub_ready", {"queued": True})]
    stored = " ".join(str(v) for (v,) in host.rows("SELECT url FROM pageviews UNION ALL SELECT text FROM events"))
    assert "secret" not in stored and "hunter2" not in stored and "a@b.test" not in stored


def test_page_load_phases_vitals_and_slow_resources(browser: Browser, host: HostSite) -> None:
    """The HTML is delayed by SLOW_S on the server: that delay is in the request phase and TTFB.
    Every page view that rendered carries its LCP, although each tab closes soon after load."""
    views = 20
    for i in range(views):
        page = open_page(browser, host.url("/slow"))
        page.wait_for_function("document.readyState === 'complete'")
        page.wait_for_timeout(50 * (i % 4))
        leave(page)
    host.arrived(pageview=views, nav=1, vital=int(0.95 * views), res=int(0.95 * views))
    delay_ms = host.SLOW_S * 1000
    with_lcp = host.rows("SELECT uniqExact(pageview_id) FROM web_vitals WHERE name = 'LCP'")[0][0]
    rendered = host.rows("SELECT count() FROM pageviews")[0][0]
    assert rendered == views and with_lcp >= 0.95 * views
    timings = host.rows("SELECT request, total FROM page_timings")
    assert timings and all(request >= delay_ms * 0.9 and total >= request for request, total in timings)
    ttfb = host.rows("SELECT min(value) FROM web_vitals WHERE name = 'TTFB'")[0][0]
    assert ttfb >= delay_ms * 0.9
    lcp_targets = {t for (t,) in host.rows("SELECT DISTINCT target FROM web_vitals WHERE name = 'LCP'")}
    assert lcp_targets and lcp_targets <= {"#hero", "body>p"}  # the page's image or its paragraph
    slowest = host.rows("SELECT pageview_id, argMax(url, duration), argMax(kind, duration), max(duration) "
                        "FROM resources GROUP BY pageview_id")
    assert len(slowest) >= 0.95 * views  # the slowest resources arrive even from tabs closed at once
    assert all(url == host.url("/hero.svg") and kind == "img" and duration >= host.HERO_DELAY_S * 900
               for _, url, kind, duration in slowest)


def test_batches_refused_with_503_arrive_exactly_once(browser: Browser, host: HostSite) -> None:
    """The collector answers 503 for the first seconds; the snippet retries with backoff."""
    refused = {"count": 0, "until": 0.0}
    page = browser.new_context(viewport=VIEWPORT).new_page()

    def overloaded(route: Any) -> None:
        import time

        body = route.request.post_data_buffer or b""
        refused["gzipped"] = refused.get("gzipped", 0) + body.startswith(b"\x1f\x8b")
        if time.monotonic() < refused["until"]:
            refused["count"] += 1
            route.fulfill(status=503, body='{"error": "saturated"}', headers={"Retry-After": "1"})
        else:
            route.continue_()

    import time

    refused["until"] = time.monotonic() + 4
    page.route("**/i/v1/batch", overloaded)
    page.goto(host.url("/plain"))
    page.wait_for_function("window.footfall && window.footfall.api")
    for _ in range(5):
        page.click("#go")
        page.wait_for_timeout(250)
    page.evaluate("footfall('event', 'padding', {note: 'x'.repeat(1500)})")  # a batch over 1 KB is gzipped
    page.wait_for_timeout(9000)  # past the refusal window and the backoff
    leave(page)
    host.arrived(pageview=1, click=5, custom=1)
    assert refused["count"] >= 1 and refused["gzipped"] >= 1
    clicks = host.rows("SELECT count(), uniqExact(time) FROM events WHERE type = 'click'")[0]
    assert clicks == [5, 5]
    assert host.rows("SELECT count() FROM pageviews")[0][0] == 1


def test_unsent_batches_survive_a_reload(browser: Browser, host: HostSite) -> None:
    """While the collector is unreachable, batches wait in localStorage; the next page sends them."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.route("**/i/v1/batch", lambda route: route.abort())
    page.goto(host.url("/plain"))
    page.wait_for_function("window.footfall && window.footfall.api")
    for _ in range(3):
        page.click("#go")
    page.wait_for_timeout(1600)  # the first flush failed: its batch is in the outbox
    assert page.evaluate("JSON.parse(localStorage.ff_out || '[]').length") >= 1
    page.unroute("**/i/v1/batch")
    page.reload()
    page.wait_for_function("window.footfall && window.footfall.api")
    page.wait_for_timeout(2500)
    assert page.evaluate("JSON.parse(localStorage.ff_out || '[]').length") == 0
    leave(page)
    host.arrived(pageview=2, click=3)
    assert host.rows("SELECT count() FROM events WHERE type = 'click'")[0][0] == 3
    assert host.rows("SELECT count() FROM pageviews")[0][0] == 2  # the first visit and the reload


def test_a_site_may_choose_to_measure_despite_do_not_track(browser: Browser, host: HostSite) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})")
    page = context.new_page()
    page.goto(host.url("/override"))  # the tag says data-respect-dnt="false"
    page.wait_for_function("window.footfall && window.footfall.api")
    page.click("#go")
    page.wait_for_timeout(1500)
    leave(page)
    host.arrived(pageview=1, click=1)
    assert host.rows("SELECT count() FROM pageviews")[0][0] == 1


def test_the_es_module_build_measures_too(browser: Browser, host: HostSite) -> None:
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(host.url("/esm"))
    page.wait_for_function("window.started === true")
    page.click("#go")
    page.wait_for_timeout(1500)
    leave(page)
    host.arrived(pageview=1, click=1)
    assert host.rows("SELECT count() FROM pageviews")[0][0] == 1
    assert host.rows("SELECT selector FROM events WHERE type = 'click'") == [["#go"]]


def test_reset_at_logout_forgets_the_visitor_and_starts_a_new_session(browser: Browser, host: HostSite) -> None:
    page = open_page(browser, host.url("/plain"))
    page.wait_for_function("localStorage.ff_s !== undefined")  # the first batch went
    page.evaluate("footfall('identify', 'user-42'); footfall('event', 'logout')")
    before = page.evaluate("JSON.parse(localStorage.ff_s).id")
    page.evaluate("footfall('reset')")
    assert page.evaluate("[localStorage.ff_vid, localStorage.ff_s].map(v => { try { return JSON.parse(v) }"
                         " catch (x) { return null } })") == [None, None]
    page.click("#go")
    page.wait_for_function(f"((JSON.parse(localStorage.ff_s || 'null') || {{}}).id || {before!r}) !== {before!r}")
    after = page.evaluate("JSON.parse(localStorage.ff_s).id")
    leave(page)
    host.arrived(pageview=2, custom=1, click=1)

    views = host.rows("SELECT session_id, visitor_id, pageview_id FROM pageviews ORDER BY time")
    assert [v[0] for v in views] == [before, after]  # a new page view, in the new session
    assert views[0][2] != views[1][2] and views[1][1] != "user-42"
    # What waited at reset went with the old session and the identified visitor; nothing after it did.
    assert host.rows("SELECT session_id, visitor_id FROM events WHERE type = 'custom'") == [[before, "user-42"]]
    clicks = host.rows("SELECT session_id, visitor_id FROM events WHERE type = 'click'")
    assert clicks == [[after, views[1][1]]]


@pytest.mark.parametrize("refusal", ["consent", "dnt", "gpc"])
def test_a_visitor_who_says_no_sends_nothing(browser: Browser, host: HostSite, refusal: str) -> None:
    scripts = {
        "dnt": "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})",
        "gpc": "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})",
    }
    context = browser.new_context(viewport=VIEWPORT)
    if refusal in scripts:
        context.add_init_script(scripts[refusal])
    page = context.new_page()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/i/v1/" in request.url else None)
    page.goto(host.url("/consent" if refusal == "consent" else "/plain"))
    page.wait_for_function("window.footfall && window.footfall.api")
    page.click("#go")
    page.wait_for_timeout(1500)
    leave(page)
    assert sent == []
    assert host.rows("SELECT count() FROM pageviews")[0][0] == 0


def test_a_strict_content_security_policy_page_works_and_gains_one_global(browser: Browser,
                                                                         host: HostSite) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script("window.__before = Object.getOwnPropertyNames(window)")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(host.url("/strict"))
    page.wait_for_function("window.footfall && window.footfall.api")
    page.click("#only")
    added = page.evaluate("Object.getOwnPropertyNames(window).filter(k => !window.__before.includes(k))")
    page.wait_for_timeout(1500)
    leave(page)
    host.arrived(pageview=1, click=1)
    assert sorted(added) == ["__before", "footfall"]
    assert problems == []
    assert host.rows("SELECT count() FROM pageviews")[0][0] == 1
    assert host.rows("SELECT selector FROM events WHERE type = 'click'") == [["#only"]]
