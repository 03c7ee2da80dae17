"""What a recording may show, in Chromium against a real collector (issue 13, items 8-10).

A visitor opens a page with an email and a token in its query string and a fragment, types into an
editable element, and the page holds hidden inputs (a CSRF token, and one set later); its images,
font and background come from a second local origin that logs every request it gets. The session is
recorded, then watched in the dashboard's player and under the page's heatmap. Afterwards:

- no marker is in any frame the collector spooled, nor in any text column of any table;
- the second origin got no request while the recording was watched (the recorded page itself
  fetched from it, which is expected), and the player shows a placeholder where the recording
  pointed there, while the site's own image still loads.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, expect

from tests.browser import OWNER, HostSite, leave, login, open_player, wait_for_recording
from tests.conftest import Server, free_port, stored_hits

pytestmark = pytest.mark.browser

RECORDER = "document.querySelector('script[src*=\"/replay.js\"]') !== null"
QUERY = "?email=alice%40example.com&token=SECRET#frag-k3y"
TYPED = "Typed-Marker-7731"
MARKERS = ("alice%40example.com", "alice@example.com", "SECRET", "frag-k3y", "Csrf-Marker-5150",
           "Later-Marker-8080", TYPED, "Draft-Note-Marker")
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60">'
       b'<rect width="120" height="60" fill="#c33"/></svg>')
PLACEHOLDER = re.compile(r"^data:image/svg\+xml,")


class LoggingOrigin:
    """Another origin on the loopback interface: answers every GET (an SVG image, or bytes that are
    no font) and keeps the path of each request in `requests`, in order."""

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.requests: list[str] = []
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                origin.requests.append(self.path)
                body, kind = (SVG, "image/svg+xml") if self.path.endswith(".svg") else (b"\0" * 64, "font/woff2")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def other() -> Iterator[LoggingOrigin]:
    origin = LoggingOrigin()
    yield origin
    origin.close()


def serve(host: HostSite, **env: str) -> None:
    """Serve the host site's data again, with these settings."""
    host.server.stop()
    host.server = Server(host.data, {"FOOTFALL_RATE_LIMIT": "0", **env})
    host.collector = host.server.url


def spooled(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted((data / "spool").rglob("*")) if p.is_file())


def rebuilt_page(frame: FrameLocator) -> FrameLocator:
    """rrweb's iframe inside the viewer document inside the frame shell."""
    return frame.frame_locator("iframe").frame_locator("iframe")


def test_a_recording_shows_nothing_it_must_not_and_watching_it_fetches_nothing_elsewhere(
        browser: Browser, host: HostSite, other: LoggingOrigin) -> None:
    host.substitutions["{{other}}"] = other.origin
    serve(host, FOOTFALL_FLUSH_INTERVAL_MS="600000")  # what is accepted stays in the spool, to be read

    # -- recorded ------------------------------------------------------------------------------------
    visitor = browser.new_context(viewport={"width": 1000, "height": 700}).new_page()
    visitor.goto(host.url("/replay-privacy" + QUERY))
    visitor.wait_for_function(RECORDER)  # the collector sampled the session in (the site's rate: 100%)
    visitor.wait_for_function("document.fonts.status == 'loaded' && document.getElementById('remote').complete")
    visitor.click("#editor")
    visitor.keyboard.press("End")
    visitor.keyboard.type(" " + TYPED)
    visitor.evaluate("document.getElementById('later').value = 'Later-Marker-8080';"
                     "document.getElementById('later').setAttribute('value', 'Later-Marker-8080')")
    visitor.click("#top-link")
    expect(visitor.locator("#editor")).to_contain_text(TYPED)
    leave(visitor)
    host.settle()  # every beacon of the closed tab is in
    recorded_fetches = list(other.requests)
    assert {"/remote.svg", "/banner.svg", "/font.woff2"} <= set(recorded_fetches)  # the markers were real

    spool = spooled(host.data)
    assert spool.count(b"/replay-privacy") >= 2  # the frames of this visit are there: batches and chunks
    assert [m for m in MARKERS if m.encode() in spool] == []

    # -- watched -------------------------------------------------------------------------------------
    serve(host)  # stopping wrote the spool to the store; now the usual settings
    sid, events = wait_for_recording(host, lambda evs: any(e["type"] == 2 for e in evs))
    text = json.dumps(events)
    assert [m for m in MARKERS if m in text] == []
    assert "*" * len("Draft-Note-Marker") in text  # the editable text is there, masked
    watch_from = len(other.requests)

    dashboard = login(browser, host.server, OWNER)
    open_player(dashboard, f"{host.collector}/sites/{host.key}/replays/{sid}")
    replayed = rebuilt_page(dashboard.frame_locator("#player-frame"))
    expect(replayed.locator("#remote")).to_have_attribute("src", PLACEHOLDER, timeout=20_000)
    expect(replayed.locator("#remote")).to_have_js_property("naturalWidth", 64)  # the placeholder shows
    expect(replayed.locator("#own")).to_have_js_property("naturalWidth", 600)  # the site's own image loads
    expect(replayed.locator("#editor")).not_to_contain_text("Draft")

    dashboard.goto(f"{host.collector}/sites/{host.key}/heatmaps?url=/replay-privacy&device=tablet")
    expect(dashboard.locator("#heatmap[data-state=drawn]")).to_have_count(1, timeout=20_000)
    snapshot = rebuilt_page(dashboard.frame_locator("#heatmap-frame"))
    expect(snapshot.locator("#remote")).to_have_js_property("naturalWidth", 64)
    expect(snapshot.locator("#own")).to_have_js_property("naturalWidth", 600)
    assert other.requests[watch_from:] == []
    dashboard.context.close()

    # -- stored --------------------------------------------------------------------------------------
    host.server.stop()
    assert [m for m in MARKERS if m.encode() in spooled(host.data)] == []
    assert stored_hits(host.data, MARKERS) == {}
    assert other.requests[watch_from:] == []
