"""Real recorded sessions of the demo shop, kept as demo data so replays have something true to show.

`python -m footfall.demo.recordings` drives the shop in Chromium (Playwright) with the real
snippet and recorder against a running `footfall demo`, and saves every request the browser
sent (batches and replay chunks, bodies as JSON) per journey in `recordings/*.json.gz`. The
seeder (`replay_recording`) sends them again through the spool, as live traffic, with new ids
and times shifted to the recent past, so each replay comes with its session's page views,
clicks, vitals and errors.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import time
import uuid
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from footfall.collector import frames, rows, wire
from footfall.collector.enrich import client_of

FOLDER = "recordings"
CHROME_DESKTOP = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36")
CHROME_MOBILE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/131.0.0.0 Mobile Safari/537.36")


# -- replaying saved recordings -------------------------------------------------------

def load() -> list[dict[str, Any]]:
    """The saved journeys, oldest first by name."""
    folder = resources.files("footfall.demo") / FOLDER
    if not folder.is_dir():
        return []
    found = sorted((e for e in folder.iterdir() if e.name.endswith(".json.gz")), key=lambda e: e.name)
    return [json.loads(gzip.decompress(entry.read_bytes())) for entry in found]


def _shift_chunk(body: dict[str, Any], delta: int, swap: tuple[str, str] | None) -> dict[str, Any]:
    """The chunk's events moved in time (and to `swap`'s origin), as the collector stores a chunk: JSON."""
    encoded = body["data"]
    raw = gzip.decompress(base64.b64decode(encoded)).decode() if body.get("enc") == "gzip-base64" else encoded
    events = json.loads(raw.replace(*swap) if swap else raw)
    for event in events:
        event["timestamp"] += delta
    return {**body, "data": json.dumps(events, separators=(",", ":")), "enc": "json"}


def recorded_origin(recording: dict[str, Any]) -> str:
    """The origin the shop was served from while recording (the capturing proxy's)."""
    url = next(r["body"]["url"] for r in recording["requests"] if r["path"].endswith("/batch"))
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def replay_recording(recording: dict[str, Any], start_ms: int, retention_days: int, origin: str | None = None,
                     new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:20]) -> Iterator[tuple[bytes, int]]:
    """Spool payloads for one saved journey, as if it had started at `start_ms`: new session,
    visitor, page-view and batch ids, every time shifted, replay events included. With `origin`,
    the shop's recorded address becomes that one, so replayed pictures load from this server."""
    requests = recording["requests"]
    if not requests:
        return
    swap = (recorded_origin(recording), origin.rstrip("/")) if origin else None
    if swap:
        requests = json.loads(json.dumps(requests).replace(*swap))
    delta = start_ms - recording["started_ms"]
    sid, visitor = new_id(), new_id()
    page_views: dict[str, str] = {}
    client = client_of(recording["user_agent"])
    for request in requests:
        body = dict(request["body"])
        received = request["at_ms"] + delta
        ctx = rows.Context(received_ms=received, visitor_id=visitor, client=client, retention_days=retention_days)
        body["sid"] = sid
        if body.get("sent") is not None:
            body["sent"] += delta
        if request["path"].endswith("/batch"):
            body["pv"] = page_views.setdefault(body["pv"], new_id())
            body["id"] = new_id()
            body["e"] = [{**event, "ts": event["ts"] + delta} for event in body["e"]]
            batch = wire.batch_decoder.decode(json.dumps(body).encode())
            yield frames.pack(frames.BATCH, ctx, batch), len(batch.events)
        else:
            if body.get("pv"):
                body["pv"] = page_views.setdefault(body["pv"], new_id())
            if body.get("ts") is not None:
                body["ts"] += delta
            chunk = wire.replay_decoder.decode(json.dumps(_shift_chunk(body, delta, swap)).encode())
            yield frames.pack(frames.REPLAY, ctx, chunk), 1


# -- making new recordings ----------------------------------------------------------

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
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(FOLDER))
    ns = parser.parse_args()
    for path in record(ns.server, ns.out):
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
