"""What browser tests share: a site owner's pages on their own origin next to a real Footfall server
holding the site, and the steps a person takes (log in, open a page, leave it, open a recording)."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.conftest import Server, footfall, free_port, query_store
from tests.helpers import wait_for_count

ROOT = Path(__file__).resolve().parents[1]
PAGES = Path(__file__).with_name("pages")
ESM = Path(__file__).resolve().parents[1] / "sdk-js" / "dist" / "footfall.esm.js"  # built by `make snippet`
OWNER = ("owner@owner.test", "correct-horse-9")  # the host site's administrator (conftest's `host`)
HERO = (b'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300">'
        b'<rect width="600" height="300" fill="#369"/></svg>')


class HostSite:
    """Pages: /shop and /spa/next (shop.html), /plain, /slow (plain, HTML delayed by SLOW_S),
    /strict (a Content-Security-Policy that allows only the collector), /consent; /hero.svg is
    an image delayed by HERO_DELAY_S, so it is the page's slowest resource. /replay-change and
    /replay-hostile are pages to replay; /heatmap is a 100vh hero with two buttons, stacked on
    narrow screens, over 2200 px more, and a button fixed to the viewport's top right; /pwned logs
    its requests in `pwned`. /replay-privacy loads images, a font and a background from
    `substitutions["{{other}}"]` (tests/replay/test_privacy_browser.py). /autofocus is a todo list whose
    field has autofocus; /unattended is /plain without data-allow-automation (every other page has
    it: the tests' browser is automated)."""

    SLOW_S = 0.4
    HERO_DELAY_S = 0.25

    def __init__(self, tmp_path: Path, key: str = "owner") -> None:
        self.key = key
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.data = tmp_path / "data"
        self.pwned: list[str] = []  # requests for /pwned (see replay_hostile.html)
        self.substitutions: dict[str, str] = {}  # more {{name}} placeholders of the pages
        footfall(self.data, "site", "create", "Owner", "--origin", self.origin, "--key", key)
        self.server = Server(self.data, {"FOOTFALL_RATE_LIMIT": "0"})
        self.token = footfall(self.data, "token", "create", "e2e")["token"]
        self.collector = self.server.url
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.origin + path

    def _page(self, name: str) -> bytes:
        html = (PAGES / name).read_text()
        for placeholder, value in self.substitutions.items():
            html = html.replace(placeholder, value)
        return html.replace("{{collector}}", self.collector).replace("{{site}}", self.key).encode()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        site = self
        csp = (f"default-src 'none'; script-src {site.collector}; connect-src {site.collector}; "
               "img-src 'self'; style-src 'self'")
        routes: dict[str, tuple[str, float, dict[str, str]]] = {
            "/shop": ("shop.html", 0, {}),
            "/spa/next": ("shop.html", 0, {}),
            "/plain": ("plain.html", 0, {}),
            "/slow": ("plain.html", site.SLOW_S, {}),
            "/strict": ("strict.html", 0, {"Content-Security-Policy": csp}),
            "/consent": ("consent.html", 0, {}),
            "/override": ("plain.html", 0, {}),
            "/esm": ("esm.html", 0, {}),
            "/form": ("form.html", 0, {}),
            "/form2": ("form2.html", 0, {}),
            "/long": ("long.html", 0, {}),
            "/heatmap": ("heatmap.html", 0, {}),
            "/replay-change": ("replay_change.html", 0, {}),
            "/replay-hostile": ("replay_hostile.html", 0, {}),
            "/replay-privacy": ("replay_privacy.html", 0, {}),
            "/autofocus": ("autofocus.html", 0, {}),
            "/hashapp": ("hashapp.html", 0, {}),
            "/unattended": ("plain.html", 0, {}),
        }

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                if path == "/favicon.ico":
                    return self._send(b"", "image/x-icon", {}, 204)
                if path == "/long.js":
                    return self._send((PAGES / "long.js").read_bytes(), "text/javascript", {})
                if path in ("/form.js", "/hashapp.js"):
                    return self._send((PAGES / path[1:]).read_bytes(), "text/javascript", {})
                if path == "/footfall.esm.js":
                    return self._send(ESM.read_bytes(), "text/javascript", {})
                if path == "/pwned":  # what replay_hostile.html's markers request, should any run
                    site.pwned.append(self.path)
                    return self._send(b"", "image/gif", {}, 204)
                if path == "/hero.svg":
                    time.sleep(site.HERO_DELAY_S)
                    return self._send(HERO, "image/svg+xml", {})
                if path not in routes:
                    return self._send(b"not found", "text/plain", {}, 404)
                name, delay, headers = routes[path]
                time.sleep(delay)
                page = site._page(name)
                if path == "/unattended":  # the tag as most sites have it: automated browsers are not measured
                    page = page.replace(b" data-allow-automation", b"")
                if path == "/override":
                    page = page.replace(b'data-site="', b'data-respect-dnt="false" data-site="')
                if path == "/replay-hostile":
                    page = page.replace(b"{{origin}}", site.origin.encode())
                self._send(page, "text/html; charset=utf-8", headers)

            def _send(self, body: bytes, kind: str, headers: dict[str, str], status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def set_replay_rate(self, rate: float, heatmap_rate: float | None = None) -> None:
        """Change the site's replay (and heatmap snapshot) sample rate in its store (server stopped),
        then serve again."""
        self.server.stop()
        script = ("import dataclasses, sys\nfrom footfall.store import sites\nfrom footfall.store import Store\n"
                  "s = Store(sys.argv[1])\nsite = sites.load_all(s)[sys.argv[2]]\n"
                  "heatmap = float(sys.argv[4]) if sys.argv[4] else site.heatmap_sample\n"
                  "site = dataclasses.replace(site, replay_sample=float(sys.argv[3]), heatmap_sample=heatmap)\n"
                  "sites.save(s, site)\n")
        subprocess.run([sys.executable, "-c", script, f"chdb://{self.data / 'clickhouse'}", self.key, str(rate),
                        "" if heatmap_rate is None else str(heatmap_rate)], check=True, timeout=120, cwd=ROOT)
        self.server = Server(self.data, {"FOOTFALL_RATE_LIMIT": "0"})
        self.collector = self.server.url

    def settle(self, quiet_s: float = 0.8, timeout_s: float = 15.0) -> None:
        """Waits until the collector has accepted nothing new for quiet_s: the beacons a closed tab sent
        at pagehide may still be on their way, and a stopped server would refuse them."""
        request = urllib.request.Request(self.collector + "/api/v1/ingest/stats",
                                         headers={"Authorization": f"Bearer {self.token}"})
        last, since, deadline = None, time.monotonic(), time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with urllib.request.urlopen(request, timeout=5) as resp:
                counts = json.loads(resp.read())
            if counts != last:
                last, since = counts, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
            time.sleep(0.1)

    def arrived(self, timeout_s: float = 90.0, **least: int) -> None:
        """Waits until the store holds at least `least[kind]` rows of each kind (`/events/count`'s
        types): what the test made the browser send, counted where it lands, not trusted to a pause."""
        deadline = time.monotonic() + timeout_s
        for kind, wanted in least.items():
            found = wait_for_count(self.collector, self.token, kind, wanted,
                                   timeout=max(0.0, deadline - time.monotonic()), site=self.key)
            assert found >= wanted, f"{found} of {wanted} {kind} rows arrived"

    def rows(self, sql: str) -> list[list[Any]]:
        """Stops the server once the browser's beacons are in (its spool drains into the store), then
        reads the store."""
        if self.server.proc.poll() is None:
            self.settle()
        self.server.stop()
        return query_store(self.data, sql)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self.server.stop()


def login(browser: Browser, server: Server, who: tuple[str, str], **context: Any) -> Page:
    """A new tab of a new context (1280 x 900 unless `context` says otherwise) logged in as `who`."""
    page = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context}).new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.goto(server.url + "/sites")
    expect(page).to_have_url(server.url + "/login?next=%2Fsites")
    page.get_by_label("Email").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sites")).to_be_visible()
    return page


VIEWPORT = {"width": 1280, "height": 800}


def open_page(browser: Browser, url: str, **context: Any) -> Page:
    page = browser.new_context(viewport=VIEWPORT, **context).new_page()
    page.goto(url)
    page.wait_for_function("window.footfall && window.footfall.api")
    return page


def leave(page: Page) -> None:
    """Close the tab the way a visitor does: pagehide runs, beacons go out. The browser stays open
    (its contexts close when the test ends, tests/conftest.py): shutting it at once could drop a
    beacon still on its way, which a visitor's browser, left running, would deliver."""
    page.close(run_before_unload=True)


def wait_for_recording(host: HostSite, until: Any, timeout: float = 90) -> tuple[str, list[dict[str, Any]]]:
    """The one recorded session of the host site and its events, once `until(events)` holds."""
    bearer = {"Authorization": f"Bearer {host.token}"}
    deadline = time.monotonic() + timeout
    while True:
        found = httpx.get(f"{host.collector}/api/v1/sites/{host.key}/sessions", params={"has_replay": "true"},
                          headers=bearer, timeout=30).json()
        if found.get("sessions"):
            sid = found["sessions"][0]["session_id"]
            answer = httpx.get(f"{host.collector}/api/v1/sites/{host.key}/sessions/{sid}/replay", headers=bearer,
                               timeout=30)
            events = [json.loads(line) for line in answer.text.splitlines() if line.strip()]
            if answer.status_code == 200 and until(events):
                return sid, events
        assert time.monotonic() < deadline, "the recording did not arrive"
        time.sleep(0.5)


def open_player(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#play")).to_be_enabled(timeout=20_000)
    expect(page.locator("#player-status")).not_to_contain_text("Loading")


SEED = """
import json, sys, uuid
import msgspec
from footfall.collector import frames, rows, wire
from footfall.collector.enrich import Client
from footfall.store import Store
from tests.helpers import land

store = Store(sys.argv[1])
records = []
for view in json.loads(sys.argv[2]):
    body = {"v": 1, "site": view["site"], "sid": view.get("sid") or uuid.uuid4().hex, "pv": uuid.uuid4().hex,
            "url": view["url"], "vid": view.get("vid") or uuid.uuid4().hex, "vw": view.get("vw", 1280),
            "ref": view.get("ref", ""), "e": [{"t": "pageview", "ts": view["ts"]}, *view.get("events", [])]}
    batch = wire.batch_decoder.decode(msgspec.json.encode(body))
    client = Client("Chrome", "120", "Linux", False)
    records.append((frames.BATCH, batch, rows.Context(view["ts"] + 300, "h", client, 3650)))
land(store, records)
"""


def seed_pageviews(data: Path, views: list[dict[str, Any]]) -> None:
    """Page views landed straight into a stopped server's store, as the writer lands them, at any time
    (the collector takes only the last 24 hours): each a dict of `site`, `url`, `ts` (ms) and
    optionally `sid`, `vid`, `vw`, `ref` and more `events` of the same batch."""
    out = subprocess.run([sys.executable, "-c", SEED, f"chdb://{data / 'clickhouse'}", json.dumps(views)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
