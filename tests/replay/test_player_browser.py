"""The replays list and the player in Chromium, against recordings made in Chromium by the real snippet.

- Paused at a moment, the player shows what the live page showed then. The live page and the
  replayed frame are screenshotted, cropped to the recorded viewport, scaled to SIZE and turned grey;
  their mean absolute difference per pixel (0-255) must stay under TOLERANCE, and the two moments
  (before and after the page changed) must differ by more than 3 x TOLERANCE, so that the
  comparison can tell them apart.
- A recorded page with inline scripts, event-handler attributes and javascript: links replays
  without running any of them: none of their markers (a request to the host site, a console
  error, a title change) appears, even when the replayed link is clicked.
- The frame sets its own policy and cannot be framed by another origin; every page and API
  route of the feature needs a login.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Frame, Page, expect

from tests.browser import OWNER as ADMIN
from tests.browser import HostSite, leave, login, open_player, wait_for_recording

pytestmark = pytest.mark.browser

RECORDER = "document.querySelector('script[src*=\"/replay.js\"]') !== null"
LIVE_VIEWPORT = {"width": 800, "height": 500}
SIZE = (200, 125)  # the recorded viewport's 16:10, downscaled
TOLERANCE = 4.0  # mean absolute difference of grey levels (0-255) allowed between live and replayed


# -- helpers ----------------------------------------------------------------------------------------
def grey(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L").resize(SIZE, Image.Resampling.BOX), dtype=np.float64)


def difference(a: bytes, b: bytes) -> float:
    return float(np.abs(grey(a) - grey(b)).mean())


def record(browser: Browser, host: HostSite, path: str, act: Any) -> Any:
    """Visit `path` on the host site as a sampled visitor, run `act(page)`, leave; `act`'s result."""
    context = browser.new_context(viewport=LIVE_VIEWPORT)
    page = context.new_page()
    page.goto(host.url(path))
    page.wait_for_function(RECORDER)
    page.wait_for_timeout(1200)  # the recorder's first full snapshot, then a still moment
    result = act(page)
    page.wait_for_timeout(1200)
    leave(page)
    return result


def wait_for_recording_of_a_visit(browser: Browser, host: HostSite) -> tuple[str, list[dict[str, Any]]]:
    record(browser, host, "/replay-change", lambda live: live.click("#change"))
    return wait_for_recording(host, lambda evs: len(evs) > 2)


def dashboard(browser: Browser, host: HostSite) -> Page:
    page = login(browser, host.server, ADMIN)
    page.messages = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.messages.append((m.type, m.text, m.location.get("url", ""))))  # type: ignore[attr-defined]
    return page


def player_frame(page: Page) -> Frame:
    """The player's document (data: URL), inside the frame shell."""
    for frame in page.frames:
        if frame.url.startswith("data:text/html"):
            return frame
    raise AssertionError(f"no player frame in {[f.url[:60] for f in page.frames]}")


def replay_shot(page: Page) -> bytes:
    """The replayed page as it shows in the player: rrweb's iframe, scaled to fit the frame."""
    replayed = page.frame_locator("#player-frame").frame_locator("iframe.player").locator(".replayer-wrapper > iframe")
    expect(replayed).to_be_visible()
    page.wait_for_timeout(400)  # paint
    return replayed.screenshot()


def unlabelled(page: Page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.innerText.trim()) && el.offsetParent !== null)
        .map(el => el.outerHTML.slice(0, 80))""")


# -- the tests --------------------------------------------------------------------------------------
def test_paused_at_a_moment_the_player_shows_what_the_live_page_showed(browser: Browser, host: HostSite) -> None:
    def act(live: Page) -> dict[str, Any]:
        before = live.screenshot()
        live.click("#change")
        live.wait_for_timeout(500)
        after = live.screenshot()
        live.wait_for_timeout(400)
        for step in range(1, 6):  # the recording goes on for a while after the change
            live.mouse.move(100 + step * 120, 420, steps=4)
            live.wait_for_timeout(200)
        return {"before": before, "after": after, "changed_at": live.evaluate("window.changedAt")}

    shots = record(browser, host, "/replay-change", act)
    sid, events = wait_for_recording(host, lambda evs: evs and evs[-1]["timestamp"] > shots["changed_at"] + 1500)
    change_s = (shots["changed_at"] - events[0]["timestamp"]) / 1000
    assert change_s > 1, change_s

    page = dashboard(browser, host)
    page.get_by_role("link", name="Owner", exact=True).click()
    nav = page.get_by_role("navigation", name="Owner")
    nav.get_by_role("link", name="Replays").click()
    expect(page.get_by_role("heading", name="Replays")).to_be_visible()
    row = page.locator(f'tr[data-session="{sid}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("/replay-change")
    page.get_by_label("Visited page").fill("/somewhere-else")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(f'tr[data-session="{sid}"]')).to_have_count(0)
    expect(page.get_by_role("heading", name="No session matches these filters")).to_be_visible()
    page.get_by_label("Visited page").fill("/replay-*")
    page.get_by_label("Sort by").select_option("duration")
    page.get_by_role("button", name="Show").click()
    page.locator(f'tr[data-session="{sid}"] a').first.click()
    expect(page).to_have_url(re.compile(f"/sites/owner/replays/{sid}$"))
    expect(page.locator("#play")).to_be_enabled(timeout=20_000)
    markers = page.locator("#markers .marker")
    assert markers.count() >= 2  # the page, the click
    assert page.locator('#markers .marker[data-kind="click"]').count() >= 1
    assert page.locator('#markers .marker[data-kind="page"]').count() == 1
    expect(page.locator("#pages li")).to_have_count(1)

    player = f"{host.collector}/sites/owner/replays/{sid}"
    open_player(page, f"{player}?t={change_s + 0.6:.2f}")
    expect(page.locator("#clock")).to_contain_text(f"0:{int(change_s + 0.6):02d} /")
    after = replay_shot(page)
    open_player(page, f"{player}?t={change_s - 0.6:.2f}")
    before = replay_shot(page)

    measured = {"after": difference(after, shots["after"]), "before": difference(before, shots["before"]),
                "moments apart": difference(shots["before"], shots["after"])}
    print(f"mean absolute grey difference on {SIZE}: {measured}")
    assert measured["after"] < TOLERANCE, measured
    assert measured["before"] < TOLERANCE, measured
    assert measured["moments apart"] > 3 * TOLERANCE, measured
    assert difference(before, shots["after"]) > 3 * TOLERANCE  # the replay before the change is not the after

    # Link to this moment: the URL carries ?t=, and opening it again seeks there.
    page.get_by_role("button", name="Link to this moment").click()
    link = page.get_by_label("Address of this moment")
    expect(link).to_have_value(re.compile(r"\?t=\d+\.\d$"))
    assert "?t=" in page.url
    # Play runs on from there.
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()

    # The keyboard: arrows move the position by 5 s, Space plays and pauses; every control has a label.
    page.get_by_label("Position in the replay").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#clock")).to_contain_text("0:00 /")
    page.locator("h1").click()
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_visible()
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible()
    page.get_by_label("Speed").select_option("4")
    page.get_by_label("Skip inactivity").uncheck()
    assert unlabelled(page) == []
    page.goto(f"{host.collector}/sites/owner/replays")
    assert unlabelled(page) == []
    assert len(page.locator("h1").all()) == 1
    assert not [m for m in page.messages if m[0] == "error"], page.messages  # type: ignore[attr-defined]


def test_recorded_scripts_handlers_and_javascript_links_do_not_run(browser: Browser, host: HostSite) -> None:
    def act(live: Page) -> None:
        live.wait_for_function("document.getElementById('late-link') !== null")
        live.hover("#handler")
        live.click("#handler")

    record(browser, host, "/replay-hostile", act)
    assert any("inline-script" in p for p in host.pwned)  # live, the markers do run
    sid, events = wait_for_recording(host, lambda evs: "late-javascript-link" in json.dumps(evs))
    host.pwned.clear()

    page = dashboard(browser, host)
    posted: list[str] = []
    page.expose_function("sawMessage", lambda text: posted.append(text))
    page.add_init_script("addEventListener('message', e => typeof e.data == 'string' && sawMessage(e.data))")
    open_player(page, f"{host.collector}/sites/owner/replays/{sid}")
    title = page.title()
    page.get_by_role("button", name="Play", exact=True).click()
    expect(page.locator("#player-status")).to_contain_text("The end of the recording", timeout=30_000)
    player = page.frame_locator("#player-frame").frame_locator("iframe.player")
    replay = player.frame_locator(".replayer-wrapper > iframe")
    expect(replay.locator("#late-link")).to_be_attached()
    # Click the replayed links and the button, where they show (the replay takes no pointer input) ...
    for target in ("#js-link", "#late-link", "#handler"):
        box = replay.locator(target).bounding_box()
        assert box, target
        page.mouse.click(box["x"] + 5, box["y"] + box["height"] / 2)
    # ... and in the replayed document itself, past that.
    for target in ("#js-link", "#late-link", "#handler"):
        replay.locator(target).dispatch_event("click")
    page.wait_for_timeout(1500)

    assert host.pwned == []
    assert page.title() == title
    assert not [m for m in page.messages if "PWNED" in m[1]], page.messages  # type: ignore[attr-defined]
    assert not [p for p in posted if "PWNED" in p], posted
    frames = [f.url for f in page.frames]
    assert all(not u.startswith("javascript:") for u in frames), frames
    # What remains of them in the replayed document: no handler, no javascript: URL.
    assert replay.locator("#handler").get_attribute("onclick") is None
    assert replay.locator("#late-img").get_attribute("onerror") is None
    assert not (replay.locator("#js-link").get_attribute("href") or "").startswith("javascript:")
    recorded = json.dumps(events)
    assert "onclick" in recorded and "javascript:" in recorded  # the recording carried them all

    # Past that clean-up, rrweb's frame itself runs no script: markup put straight into it stays inert.
    replay.locator("body").evaluate("""(body, origin) => {
        body.insertAdjacentHTML('beforeend',
            `<img id="direct" src="${origin}/no-such.png" onerror="new Image().src='${origin}/pwned?direct-onerror'">` +
            `<a id="direct-link" href="javascript:new Image().src='${origin}/pwned?direct-link'">x</a>` +
            `<button id="direct-button" onclick="new Image().src='${origin}/pwned?direct-onclick'">y</button>`);
        body.querySelector('#direct-link').click();
        body.querySelector('#direct-button').click();
    }""", host.origin)
    page.wait_for_timeout(1500)
    assert host.pwned == []


def test_the_frame_has_its_own_policy_and_only_this_origin_may_frame_it(browser: Browser, host: HostSite) -> None:
    sid, _ = wait_for_recording_of_a_visit(browser, host)
    page = dashboard(browser, host)
    frame_url = f"{host.collector}/sites/owner/replays/{sid}/frame"
    answer = page.request.get(frame_url)
    csp = answer.headers["content-security-policy"]
    assert answer.status == 200 and "x-frame-options" not in answer.headers
    for part in ("script-src 'self'", "connect-src 'none'", "frame-ancestors 'self'", "form-action 'none'"):
        assert part in csp, (part, csp)
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    player_page = page.request.get(f"{host.collector}/sites/owner/replays/{sid}")
    assert "frame-ancestors 'none'" in player_page.headers["content-security-policy"]  # the dashboard's own
    # Streamed: the recording is named for preloading before the sidebar, which comes later in the same page.
    html = player_page.text()
    replay_url = f"/api/v1/sites/owner/sessions/{sid}/replay"
    preload = f'<link rel="preload" as="fetch" crossorigin href="{replay_url}">'
    assert preload in html and html.index(preload) < html.index('id="player"') < html.index('class="player-side"')
    assert 'id="pages-title"' in html and html.rstrip().endswith("</html>")

    # The player runs in an opaque origin: it reads nothing of the dashboard.
    open_player(page, f"{host.collector}/sites/owner/replays/{sid}")
    # The preloaded recording is the one the page uses: fetched once.
    fetched = page.evaluate("url => performance.getEntriesByType('resource').filter(e => e.name.endsWith(url)).length",
                            replay_url)
    assert fetched == 1, fetched
    inside = player_frame(page).evaluate("""() => {
        let parentDom = 'readable', cookies = 'readable';
        try { parent.parent.document.title; } catch (x) { parentDom = 'blocked'; }
        try { document.cookie; } catch (x) { cookies = 'blocked'; }
        return { origin: self.origin, parentDom, cookies };
    }""")
    assert inside == {"origin": "null", "parentDom": "blocked", "cookies": "blocked"}, inside

    # Another origin (the host site, same browser, logged in) cannot frame it.
    other = page.context.new_page()
    refused: list[str] = []
    other.on("console", lambda m: refused.append(m.text))
    other.goto(host.url("/plain"))
    other.evaluate("src => { const f = document.createElement('iframe'); f.src = src; document.body.append(f); }",
                   frame_url)
    other.wait_for_timeout(1500)
    assert any("frame-ancestors" in text for text in refused), refused
    framed = [f for f in other.frames if f.url.startswith(host.collector)]
    assert all(f.child_frames == [] for f in framed), [f.url for f in other.frames]


def test_the_pages_the_frame_and_the_api_need_a_login(host: HostSite) -> None:
    for path in ("/sites/owner/replays", "/sites/owner/replays/abc", "/sites/owner/replays/abc/frame"):
        answer = httpx.get(host.collector + path, follow_redirects=False, timeout=30)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
    for path in ("/api/v1/sites/owner/sessions", "/api/v1/sites/owner/sessions/abc",
                 "/api/v1/sites/owner/sessions/abc/replay"):
        assert httpx.get(host.collector + path, timeout=30).status_code == 401, path


def test_with_no_recording_the_list_says_what_to_do(browser: Browser, host: HostSite) -> None:
    page = dashboard(browser, host)
    page.goto(f"{host.collector}/sites/owner/replays")
    empty = page.locator(".empty")
    expect(empty).to_contain_text("No recordings yet")
    expect(empty).to_contain_text("replay sample rate above 0 %")
    assert unlabelled(page) == []
    empty.get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Sessions recorded for replay (%)")).to_be_visible()
    page.goto(f"{host.collector}/sites/owner/replays/no-such-session")
    expect(page.get_by_role("heading", name="No such session")).to_be_visible()
    assert not [m for m in page.messages if m[0] == "error" and "404" not in m[1]], page.messages  # type: ignore[attr-defined]
