"""Records the demo shop's sessions again: `python -m tools.record_demo [--server URL] [--out DIR]`.

Drives the shop in Chromium (Playwright) with the real snippet and recorder against a running
`footfall demo`, and saves every request the browser sent (batches and replay chunks, bodies as
JSON) per journey as `demo/recordings/*.json.gz`, which the demo seeds as live traffic
(footfall.demo.recordings). A tool for the repository, not shipped in the package.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo" / "recordings"
CHROME_DESKTOP = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36")
CHROME_MOBILE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/131.0.0.0 Mobile Safari/537.36")


def _journeys(prefix: str) -> dict[str, tuple[dict[str, Any], Callable[[Any], None]]]:
    """Scripted visits: a buyer, a frustrated visitor, a mobile browser, a checkout abandoned."""

    def buyer(page: Any) -> None:
        page.goto(prefix + "/")
        page.wait_for_timeout(1500)
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(800)
        page.click("a[href$='/category/boots']")
        page.wait_for_timeout(1200)
        page.click("a[href$='/product/7']")
        page.wait_for_timeout(1500)
        page.click(".size-picker button >> nth=2")
        page.wait_for_timeout(600)
        page.click("#add-to-cart")
        page.wait_for_timeout(1200)
        page.click("#checkout")
        page.wait_for_timeout(1000)
        for field, text in (("#name", "Robin Ash"), ("#email", "robin@example.org"), ("#street", "1 Fell Road"),
                            ("#city", "Keswick"), ("#postcode", "CA12 5AB"), ("#card-number", "4242424242424242"),
                            ("#card-expiry", "12/29"), ("#card-cvc", "123")):
            page.click(field)
            page.keyboard.type(text, delay=40)
        page.wait_for_timeout(600)
        page.click("#place-order")
        page.wait_for_timeout(2000)

    def frustrated(page: Any) -> None:
        page.goto(prefix + "/category/jackets")
        page.wait_for_timeout(1200)
        page.click("a[href$='/product/2']")
        page.wait_for_timeout(1000)
        picture = page.locator("main img").first.bounding_box()
        for i in range(5):  # rage: the picture does not zoom
            page.mouse.click(picture["x"] + picture["width"] / 2 + i, picture["y"] + picture["height"] / 2)
            page.wait_for_timeout(150)
        page.wait_for_timeout(800)
        page.go_back()  # a quick back and forth
        page.wait_for_timeout(1500)
        page.go_forward()
        page.wait_for_timeout(1500)
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(700)
        page.mouse.wheel(0, -900)
        page.wait_for_timeout(1500)

    def mobile(page: Any) -> None:
        page.goto(prefix + "/")
        page.wait_for_timeout(1200)
        page.mouse.wheel(0, 500)
        page.wait_for_timeout(900)
        page.goto(prefix + "/category/packs")  # through the menu, which a phone folds away
        page.wait_for_timeout(1200)
        page.mouse.wheel(0, 700)
        page.wait_for_timeout(800)
        page.locator("a[href$='/product/13']:visible").first.click()
        page.wait_for_timeout(2500)

    def abandoned(page: Any) -> None:
        page.goto(prefix + "/product/14")
        page.wait_for_timeout(1200)
        page.click("#add-to-cart")
        page.wait_for_timeout(1000)
        page.click("#checkout")
        page.wait_for_timeout(1000)
        page.click("#name")
        page.keyboard.type("Sam Birch", delay=50)
        page.click("#email")
        page.wait_for_timeout(6500)  # stares at the email field: hesitation
        page.keyboard.type("sam@", delay=80)
        page.wait_for_timeout(1500)

    desktop = {"viewport": {"width": 1280, "height": 800}, "user_agent": CHROME_DESKTOP}
    phone = {"viewport": {"width": 390, "height": 844}, "user_agent": CHROME_MOBILE, "is_mobile": True,
             "has_touch": True, "device_scale_factor": 2}
    return {"buyer": (desktop, buyer), "frustrated": (desktop, frustrated), "mobile": (phone, mobile),
            "abandoned": (desktop, abandoned)}


class CapturingProxy:
    """Forwards the browser's requests to the demo server and keeps the ingestion bodies (beacons
    and gzipped fetches included, which the browser automation cannot read back)."""

    def __init__(self, server: str) -> None:
        import http.server
        import threading
        import urllib.error
        import urllib.request

        self.server = server.rstrip("/")
        self.sent: list[dict[str, Any]] = []
        proxy = self

        class NoRedirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None  # the browser follows redirects itself, with its cookies

        opener = urllib.request.build_opener(NoRedirects)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "origin", "referer")}
                if self.headers.get("Origin"):
                    headers["Origin"] = proxy.server  # the demo site accepts its own origin
                if body and self.path.startswith("/i/v1/"):
                    raw = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
                    proxy.sent.append({"path": self.path.split("?")[0], "at_ms": int(time.time() * 1000),
                                       "body": json.loads(raw)})
                request = urllib.request.Request(proxy.server + self.path, data=body, method=self.command,
                                                 headers=headers)
                try:
                    with opener.open(request, timeout=30) as answer:
                        status, reply, answer_headers = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as err:
                    status, reply, answer_headers = err.code, err.read(), err.headers
                self.send_response(status)
                for key, value in answer_headers.items():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_OPTIONS = _forward  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def take(self) -> list[dict[str, Any]]:
        taken, self.sent = self.sent, []
        return taken

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def record(server: str, out: Path, chromium: str = "/usr/bin/chromium") -> list[Path]:
    """Drive the demo shop of a running `footfall demo` and save each journey's requests."""
    from playwright.sync_api import sync_playwright

    # navigator.webdriver false: f.js measures no automated browser, and these stand in for visitors.
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-quic", "--disable-blink-features=AutomationControlled"]
    out.mkdir(parents=True, exist_ok=True)
    proxy = CapturingProxy(server)
    written = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=flags, headless=True)
            for name, (options, script) in _journeys(proxy.url + "/demo/shop").items():
                context = browser.new_context(**options)
                page = context.new_page()
                started = int(time.time() * 1000)
                script(page)
                page.goto("about:blank")  # the visitor leaves: pagehide sends the last batch and chunk
                page.wait_for_timeout(2000)
                context.close()
                target = out / f"{name}.json.gz"
                target.write_bytes(gzip.compress(json.dumps({
                    "name": name, "user_agent": options["user_agent"], "viewport": options["viewport"],
                    "started_ms": started, "requests": proxy.take()}, separators=(",", ":")).encode(), 9))
                written.append(target)
            browser.close()
    finally:
        proxy.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="http://127.0.0.1:8000", help="a running `footfall demo`")
    parser.add_argument("--out", type=Path, default=OUT)
    ns = parser.parse_args()
    for path in record(ns.server, ns.out):
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
