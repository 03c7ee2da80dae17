"""The replay benchmark's visitor: a scripted demo-shop visit in Chromium, with the recorder,
without it, or with rrweb's default options; and the store read after the server stopped."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .harness import BenchError
from .replay_data import (
    ROOT,
    SDK,
    SHOP,
    VIEWPORT,
    ThreadClock,
    per_minute,
)
from .snippet import CHROMIUM, FLAGS

DEFAULTS_RECORDER = """
import { record } from '@rrweb/record';
import { createChunker } from './chunks.js';
(() => {
  const host = new URL(document.currentScript.src).origin;
  const storage = (key, value) => {
    try {
      if (value === undefined) return JSON.parse(localStorage[key]);
      localStorage[key] = JSON.stringify(value);
    } catch (x) { return null; }
  };
  const session = storage('ff_s');
  const tag = document.querySelector('script[data-site][src$="/f.js"]');
  const site = tag && tag.getAttribute('data-site');
  if (!session || !session.id || !site) return;
  const post = (chunk, leaving) => {
    const body = new Blob([JSON.stringify(chunk)], { type: 'text/plain' });
    if (leaving && navigator.sendBeacon(host + '/i/v1/replay', body)) return;
    fetch(host + '/i/v1/replay', { method: 'POST', body, keepalive: body.size < 6e4, credentials: 'omit' });
  };
  let stop = null;
  const chunker = createChunker({ site, sid: session.id, storage, send: post, stop: () => stop && stop() });
  stop = record({
    emit: (event) => chunker.add(event),
    maskAllInputs: true,
    maskTextSelector: '[data-footfall-mask]',
    blockSelector: '[data-footfall-block]',
  });
  setInterval(() => chunker.flush(), 5000);
  addEventListener('pagehide', () => chunker.leave());
})();
"""
BUILD_DEFAULTS = """
const esbuild = require(process.cwd() + '/node_modules/esbuild');
const contents = require('fs').readFileSync(0, 'utf8');
esbuild.build({ stdin: { contents, resolveDir: process.cwd() + '/src/replay', sourcefile: 'defaults.js' },
  bundle: true, format: 'iife', target: ['es2022'], minify: true, write: false, logLevel: 'error' })
  .then((r) => process.stdout.write(r.outputFiles[0].text))
  .catch((e) => { console.error(String(e)); process.exit(1); });
"""

# The player page: when the replayer's frame first holds the recorded document. Installed in every
# frame; the top page notes the player's messages, the player (data:) document checks its rrweb
# iframe on every animation frame and reports the first frame that has the page's elements.
# -- the store, read after the server stopped ----------------------------------------------------

READ_STORE = """
import json, sys
from footfall.store import Store
store = Store(sys.argv[1])
out = {}
for name, sql, params in json.loads(sys.stdin.read()):
    if name.startswith("insert:"):
        store.insert_json(sql, params["lines"].encode())
    elif sql.lstrip().upper().startswith(("SELECT", "WITH")):
        out[name] = [list(r) for r in store.rows(sql, params)]
    else:
        store.command(sql, params)
print(json.dumps(out, default=str))
"""


def read_store(data: Path, statements: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """Statements run in order against a stopped server's embedded store, in another process (one chDB
    data path per process): the rows of each SELECT by name. A statement named `insert:...` inserts
    `params["lines"]` (NDJSON) into the table its SQL names."""
    result = subprocess.run([sys.executable, "-c", READ_STORE, f"chdb://{data / 'clickhouse'}"],
                            input=json.dumps(statements), capture_output=True, text=True, timeout=180, cwd=ROOT)
    if result.returncode != 0:
        raise BenchError(f"reading the store failed: {result.stderr.strip()[-800:]}")
    return json.loads(result.stdout)


# -- the visitor ------------------------------------------------------------------------------------

def build_defaults_recorder() -> tuple[str | None, str | None]:
    """The baseline recorder bundled by esbuild from sdk-js/ (None and why, when it cannot be built)."""
    if not (SDK / "node_modules" / "esbuild").is_dir():
        return None, "sdk-js/node_modules is missing (make snippet installs it)"
    try:
        result = subprocess.run(["node", "-e", BUILD_DEFAULTS], input=DEFAULTS_RECORDER, capture_output=True,
                                text=True, timeout=120, cwd=SDK)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"node: {exc}"
    if result.returncode != 0 or not result.stdout:
        return None, f"esbuild failed: {result.stderr.strip()[-400:]}"
    return result.stdout, None


CHECKOUT_FIELDS = (("#name", "Robin Ash"), ("#email", "robin@example.org"), ("#street", "1 Fell Road"),
                   ("#city", "Keswick"), ("#postcode", "CA12 5AB"), ("#card-number", "4242424242424242"),
                   ("#card-expiry", "12/29"), ("#card-cvc", "123"))


class Visitor:
    """One scripted visit in its own browser context. `kind`: "with" (the recorder), "without" (its
    request aborted) or "defaults" (rrweb's defaults served instead)."""

    def __init__(self, browser: Any, server: str, kind: str, user_agent: str, defaults_js: str | None,
                 seed: int) -> None:
        self.browser, self.server, self.kind = browser, server, kind
        self.user_agent, self.defaults_js = user_agent, defaults_js
        self.rng = random.Random(seed)  # the same seed for every visit: the same script
        self.clock = ThreadClock()
        self.x, self.y = VIEWPORT["width"] / 2, VIEWPORT["height"] / 2
        self.pages: list[dict[str, Any]] = []
        self.replay_js: dict[str, int] = {}
        self.beacons = self.replay_posts = 0
        self.page_errors: list[str] = []
        self.started = 0.0

    async def open(self) -> None:
        self.context = await self.browser.new_context(viewport=VIEWPORT, user_agent=self.user_agent)
        self.page = page = await self.context.new_page()
        await page.route("**/replay.js", self.route)
        page.on("request", self.on_request)
        page.on("response", self.on_response)
        page.on("requestfailed", self.on_failed)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)[:200]))
        self.cdp = await self.context.new_cdp_session(page)
        await self.cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        await self.sample()

    async def route(self, route: Any) -> None:
        if self.kind == "with":
            await route.continue_()
        elif self.kind == "without":
            await route.abort()
        else:
            await route.fulfill(body=self.defaults_js, content_type="text/javascript; charset=utf-8")

    def on_request(self, request: Any) -> None:
        path = urlsplit(request.url).path
        self.beacons += path == "/i/v1/batch"
        self.replay_posts += path == "/i/v1/replay"

    def on_response(self, response: Any) -> None:
        if urlsplit(response.url).path == "/replay.js":
            key = str(response.status)
            self.replay_js[key] = self.replay_js.get(key, 0) + 1

    def on_failed(self, request: Any) -> None:
        if urlsplit(request.url).path == "/replay.js":
            self.replay_js["aborted"] = self.replay_js.get("aborted", 0) + 1

    async def sample(self) -> None:
        found = await self.cdp.send("Performance.getMetrics")
        self.clock.update({m["name"]: m["value"] for m in found["metrics"]})

    def now(self) -> float:
        return time.monotonic() - self.started

    async def goto(self, path: str) -> None:
        response = await self.page.goto(self.server + path, wait_until="load")
        if response is None or response.status != 200:
            raise BenchError(f"{path}: HTTP {response.status if response else 'no response'}")
        self.pages.append({"path": path, "at_s": round(self.now(), 1)})
        await self.sample()

    async def pause(self, seconds: float) -> None:
        """Reading: nothing happens; a metrics sample every second."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(1.0, left))
            await self.sample()

    async def glide(self, x: float, y: float, speed: float = 900.0) -> None:
        """The pointer moves to (x, y) as a hand does: a step every 30 ms."""
        distance = ((x - self.x) ** 2 + (y - self.y) ** 2) ** 0.5
        steps = max(3, int(distance / speed / 0.03))
        x0, y0 = self.x, self.y
        for i in range(1, steps + 1):
            k = i / steps
            ease = k * k * (3 - 2 * k)
            await self.page.mouse.move(x0 + (x - x0) * ease, y0 + (y - y0) * ease)
            await asyncio.sleep(0.03)
        self.x, self.y = x, y

    async def wander(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await self.glide(self.rng.uniform(80, VIEWPORT["width"] - 80),
                             self.rng.uniform(90, VIEWPORT["height"] - 60))
            await asyncio.sleep(self.rng.uniform(0.15, 0.6))
        await self.sample()

    async def scroll(self, pixels: int, step: int = 100) -> None:
        for _ in range(abs(pixels) // step):
            await self.page.mouse.wheel(0, step if pixels > 0 else -step)
            await asyncio.sleep(self.rng.uniform(0.05, 0.12))
        await asyncio.sleep(0.3)
        await self.sample()

    async def click(self, selector: str, navigates: bool = False) -> None:
        target = self.page.locator(selector).first
        await target.scroll_into_view_if_needed()
        box = await target.bounding_box()
        if box is None:
            raise BenchError(f"{selector}: not on the page ({self.page.url})")
        x = box["x"] + box["width"] * self.rng.uniform(0.35, 0.65)
        y = box["y"] + box["height"] * self.rng.uniform(0.35, 0.65)
        await self.glide(x, y)
        await asyncio.sleep(self.rng.uniform(0.1, 0.3))
        if not navigates:
            await self.page.mouse.click(x, y)
            return
        await self.sample()  # the old document's counters are gone after the navigation
        async with self.page.expect_navigation(wait_until="load", timeout=30_000):
            await self.page.mouse.click(x, y)
        self.pages.append({"path": urlsplit(self.page.url).path, "at_s": round(self.now(), 1)})
        await self.sample()

    async def type_into(self, selector: str, text: str) -> None:
        await self.click(selector)
        await self.page.keyboard.type(text, delay=90)
        await asyncio.sleep(self.rng.uniform(0.3, 0.8))

    async def visit(self) -> None:
        """About two minutes: six pages, each read, scrolled and pointed at; a form typed in."""
        self.started = time.monotonic()
        await self.goto(SHOP + "/")
        await self.pause(1.5)
        await self.wander(5)
        await self.scroll(1000)
        await self.pause(4)
        await self.wander(3)
        await self.scroll(-600)
        await self.pause(2)
        await self.click("header a[href$='/category/boots']", navigates=True)
        await self.pause(1.5)
        await self.wander(4)
        await self.scroll(700)
        await self.pause(4)
        await self.wander(4)
        await self.scroll(-300)
        await self.pause(2)
        await self.click("main a[href$='/product/7']", navigates=True)
        await self.pause(1.5)
        await self.wander(3)
        await self.click(".size-picker button >> nth=2")
        await self.pause(1.5)
        await self.click(".size-picker button >> nth=3")
        await self.pause(1)
        await self.scroll(600)
        await self.pause(5)
        await self.scroll(-600)
        await self.wander(3)
        await self.click("#add-to-cart", navigates=True)
        await self.pause(2)
        await self.wander(3)
        await self.pause(4)
        await self.click("#checkout", navigates=True)
        await self.pause(1.5)
        for field, text in CHECKOUT_FIELDS:
            await self.type_into(field, text)
        await self.sample()
        await self.pause(3)
        await self.click("#place-order", navigates=True)
        await self.pause(2)
        await self.wander(4)
        await self.scroll(400)
        await self.pause(6)
        await self.wander(3)
        await self.pause(5)

    async def run(self, delay_s: float) -> dict[str, Any]:
        await asyncio.sleep(delay_s)
        await self.open()
        try:
            await self.visit()
            await self.sample()
            wall = self.now()
            sid = await self.page.evaluate("(() => { try { return JSON.parse(localStorage.ff_s).id; } "
                                           "catch (e) { return null; } })()")
            await self.page.goto("about:blank")  # leaving: pagehide sends the last batch and chunk
            await asyncio.sleep(2.5)
        finally:
            await self.context.close()
        if not sid:
            raise BenchError(f"{self.kind} visit: f.js kept no session id")
        return {"kind": self.kind, "sid": sid, "wall_s": round(wall, 2), "pages": self.pages,
                "main_thread_ms": self.clock.ms(), "samples": self.clock.samples, "resets": self.clock.resets,
                "per_minute": {key: per_minute(v, wall * 1000) for key, v in self.clock.ms().items()},
                "replay_js": self.replay_js, "beacons": self.beacons, "replay_posts": self.replay_posts,
                "page_errors": self.page_errors}


async def visits(server: str, kinds: list[str], defaults_js: str | None, stagger_s: float,
                 progress: Callable[[str], None]) -> tuple[list[dict[str, Any]], str]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            major = browser.version.split(".")[0]
            user_agent = (f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                          f"Chrome/{major}.0.0.0 Safari/537.36")
            runs = [Visitor(browser, server, kind, user_agent, defaults_js, seed=20261123) for kind in kinds]
            results = await asyncio.gather(*(v.run(i * stagger_s) for i, v in enumerate(runs)))
            name = f"Chromium {browser.version}"
        finally:
            await browser.close()
    for r in results:
        progress(f"   {r['kind']:8} {r['sid']}: {r['wall_s']:.0f} s, {len(r['pages'])} pages, main thread "
                 f"{r['main_thread_ms']['task']:.0f} ms (script {r['main_thread_ms']['script']:.0f}), "
                 f"replay.js {r['replay_js']}, {r['replay_posts']} replay posts")
    return list(results), name


def check_visits(results: list[dict[str, Any]]) -> None:
    for r in results:
        if len(r["pages"]) != 6:
            raise BenchError(f"{r['kind']} visit {r['sid']}: {len(r['pages'])} pages instead of 6")
        if not r["beacons"]:
            raise BenchError(f"{r['kind']} visit {r['sid']}: f.js sent nothing")
        if r["kind"] == "without" and (r["replay_js"].get("200") or r["replay_posts"]):
            raise BenchError(f"visit {r['sid']}: the recorder ran although /replay.js was aborted")
        if r["kind"] != "without" and not r["replay_posts"]:
            raise BenchError(f"{r['kind']} visit {r['sid']}: the recorder sent nothing (replay.js {r['replay_js']})")
