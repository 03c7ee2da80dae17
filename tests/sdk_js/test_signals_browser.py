"""Frustration signals from real browsing: each scripted session made to produce one signal shows it
in the sessions API, and a calm session shows none."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import HostSite, leave, open_page
from tests.helpers import get

pytestmark = pytest.mark.browser

SIGNALS = ("rage_click", "dead_click", "error_click", "quick_back", "excessive_scroll", "navigation_loop")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostSite]:
    site = HostSite(Path(tmp_path_factory.mktemp("signals")))
    yield site
    site.close()


def rage(page: Page) -> None:
    box = page.locator("#plain").bounding_box()
    for i in range(4):
        page.mouse.click(box["x"] + 40 + i, box["y"] + 40)
        page.wait_for_timeout(150)


def dead(page: Page) -> None:
    # The site records every session, and the recorder's start changes the page (rrweb adds and removes a
    # frame), which would be the effect of a click made in that moment: the click waits for its first chunk.
    page.wait_for_function("Object.keys(localStorage).some((key) => key.startsWith('ff_r_'))")
    page.click("#dead")
    # the snippet decides once its timer has run (DEAD_MS): until then, leaving the page makes the click live
    page.wait_for_function("window.seen.some(([signal]) => signal == 'dead-click')")


def error_click(page: Page) -> None:
    page.click("#boom")
    page.wait_for_timeout(1400)


def quick_back(page: Page) -> None:
    page.click("#next")  # pushState to /spa/next
    page.wait_for_timeout(2500)
    page.evaluate("history.back()")  # back to /shop within seconds
    page.wait_for_timeout(800)


def navigation_loop(page: Page) -> None:
    for _ in range(2):  # /shop, /spa/next, /shop, /spa/next: the cycle passed twice
        page.click("#next")
        page.wait_for_timeout(11_000)  # long enough not to be a quick back
        page.evaluate("history.back()")
        page.wait_for_timeout(11_000)
    page.evaluate("history.forward()")
    page.wait_for_timeout(800)


def excessive_scroll(page: Page) -> None:
    page.mouse.move(400, 400)
    for _ in range(9):  # racing down ten thousand pixels in about seven seconds
        page.mouse.wheel(0, 1000)
        page.wait_for_timeout(700)


def calm(page: Page) -> None:
    page.mouse.move(300, 300)
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(3000)


SCRIPTS = {
    "rage_click": ("/shop", rage),
    "dead_click": ("/shop", dead),
    "error_click": ("/shop", error_click),
    "quick_back": ("/shop", quick_back),
    "navigation_loop": ("/shop", navigation_loop),
    "excessive_scroll": ("/long", excessive_scroll),
    "calm": ("/shop", calm),
}


@pytest.fixture(scope="module")
def sessions(browser: Browser, host: HostSite) -> dict[str, dict[str, Any]]:
    """One browser session per script; each session's summary from the API, by script."""
    ids = {}
    for name, (path, script) in SCRIPTS.items():
        page = open_page(browser, host.url(path))
        page.wait_for_function("localStorage.ff_s !== undefined")  # written with the first batch
        ids[name] = page.evaluate("JSON.parse(localStorage.ff_s).id")
        script(page)
        leave(page)
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status, body = get(f"{host.collector}/api/v1/sites/{host.key}/sessions?limit=100", host.token)
        assert status == 200, body
        found = {s["session_id"]: s for s in body["sessions"]}
        # each script's session, and its signal: a signal may land in a batch after the session's first
        if all(sid in found for sid in ids.values()) and all(
                found[ids[name]]["signals"].get(name, 0) >= 1 for name in SIGNALS):
            break
        time.sleep(0.2)
    return {name: found[sid] for name, sid in ids.items()}


@pytest.mark.parametrize("signal", SIGNALS)
def test_a_session_made_to_produce_a_signal_shows_it(sessions: dict[str, dict[str, Any]], signal: str) -> None:
    assert sessions[signal]["signals"][signal] >= 1, sessions[signal]


def test_a_calm_session_shows_no_signal(sessions: dict[str, dict[str, Any]]) -> None:
    assert sessions["calm"]["signals"] == dict.fromkeys(SIGNALS, 0)


# A button that only throws changes nothing on the page: its click is dead as well as an error click.
ALSO = {"dead_click": ("error_click",)}


@pytest.mark.parametrize("signal", ["rage_click", "dead_click", "error_click", "excessive_scroll"])
def test_one_time_signals_do_not_leak_into_other_sessions(sessions: dict[str, dict[str, Any]], signal: str) -> None:
    others = [name for name in SCRIPTS if name not in (signal, "calm", *ALSO.get(signal, ()))]
    assert all(sessions[name]["signals"][signal] == 0 for name in others), {
        name: sessions[name]["signals"] for name in others}
