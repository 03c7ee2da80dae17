"""Part 3 of the replay benchmark: a long recording stored through a live server, and the time
until the dashboard's player shows its first frame."""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import http.client
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from footfall.web.testing import ServerProcess

from .harness import BenchError
from .replay_data import (
    DEMO_LOGIN,
    FULL_SNAPSHOT,
    GOAL_FIRST_FRAME_MS,
    GZIP_LEVEL,
    KB,
    META,
    ROOT,
    SHOP,
    SITE,
    VIEWPORT,
    build_long_recording,
    chunks_of,
    compact,
    cycle_recording,
    rewrite_origin,
    segments,
    shifted,
    speed_summary,
)
from .replay_report import kb
from .report import fmt
from .snippet import CHROMIUM, FLAGS, median

PLAYER_PROBE = r"""
(() => {
  if (window.top === window) {
    const b = window.__ffbench = {ready: null, state: null, frame: null, info: null};
    addEventListener('message', (e) => {
      const d = e.data || {};
      if (d.ff === 'player' && d.type === 'ready' && b.ready === null) b.ready = performance.now();
      if (d.ff === 'player' && d.type === 'state' && b.state === null) b.state = performance.now();
      if (d.ffbench === 'frame' && b.frame === null) {
        b.frame = d.at - performance.timeOrigin;
        b.info = d.info;
      }
    });
    return;
  }
  if (location.protocol !== 'data:') return;
  const check = () => {
    const frame = document.querySelector('#stage iframe');
    const doc = frame && frame.contentDocument;
    if (doc && doc.body && doc.body.childElementCount > 0) {
      const at = performance.timeOrigin + performance.now();
      const info = {elements: doc.getElementsByTagName('*').length, title: doc.title};
      parent.parent.postMessage({ffbench: 'frame', at, info}, '*');
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""
PLAYER_TIMES = """() => {
  const b = window.__ffbench || {};
  const nav = performance.getEntriesByType('navigation')[0] || {};
  const fetched = performance.getEntriesByType('resource')
    .filter((e) => /\\/sessions\\/[^/]+\\/replay$/.test(e.name))[0];
  return {html_ms: nav.responseEnd, dom_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd || null,
          fetch_start_ms: fetched ? fetched.startTime : null, fetch_end_ms: fetched ? fetched.responseEnd : null,
          recording_bytes: fetched ? fetched.decodedBodySize : null, ready_ms: b.ready, state_ms: b.state,
          frame_ms: b.frame, frame_info: b.info,
          status: (document.getElementById('player-status') || {}).textContent || ''};
}"""


# -- part 3: the player ---------------------------------------------------------------------------

def post_json(server: str, path: str, body: dict[str, Any], user_agent: str) -> int:
    parts = urlsplit(server)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", path, body=compact(body), headers={
            "Content-Type": "text/plain", "Origin": server, "User-Agent": user_agent})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def store_recording(server: str, sid: str, events: list[dict[str, Any]], user_agent: str) -> dict[str, Any]:
    """A recording through the live ingestion endpoints, as the snippet and the recorder send it: a
    page view batch per meta event (the recorded page's URL), then the chunks, gzipped and base64'd."""
    now = int(time.time() * 1000)
    metas = [e for e in events if e.get("type") == META]
    views = []
    for meta in metas:
        pv = uuid.uuid4().hex[:16]
        views.append((meta["timestamp"], pv))
        status = post_json(server, "/i/v1/batch", {
            "v": 1, "site": SITE, "sid": sid, "pv": pv, "id": uuid.uuid4().hex[:16],
            "url": (meta.get("data") or {}).get("href") or server + SHOP + "/", "vw": VIEWPORT["width"],
            "vh": VIEWPORT["height"], "sent": now, "e": [{"t": "pageview", "ts": meta["timestamp"]}]}, user_agent)
        if status != 202:
            raise BenchError(f"POST /i/v1/batch for the synthetic session: HTTP {status}")
    chunks = chunks_of(events)
    gzip_bytes = 0
    for seq, chunk in enumerate(chunks):
        packed = gzip.compress(compact(chunk), compresslevel=GZIP_LEVEL, mtime=0)
        gzip_bytes += len(packed)
        pv = next((p for t, p in reversed(views) if t <= chunk[0]["timestamp"]), views[0][1] if views else None)
        body = {"v": 1, "site": SITE, "sid": sid, "seq": seq, "enc": "gzip-base64",
                "data": base64.b64encode(packed).decode(), "ts": chunk[0]["timestamp"], "sent": now}
        if pv:
            body["pv"] = pv
        status = post_json(server, "/i/v1/replay", body, user_agent)
        if status != 202:
            raise BenchError(f"POST /i/v1/replay chunk {seq}: HTTP {status}")
    stamps = [e["timestamp"] for e in events]
    return {"sid": sid, "events": len(events), "chunks": len(chunks), "gzip_bytes": gzip_bytes,
            "json_bytes": sum(len(compact(c)) for c in chunks),
            "full_snapshots": sum(e.get("type") == FULL_SNAPSHOT for e in events),
            "minutes": round((max(stamps) - min(stamps)) / 60000, 2), "page_views": len(metas)}


def player_available() -> str | None:
    """Why the player cannot be measured (its module, template or route missing), or None."""
    needed = [ROOT / "web" / "dashboard" / "replays_pages.py",
              ROOT / "web" / "templates" / "dashboard" / "player.html"]
    missing = [str(p.relative_to(ROOT)) for p in needed if not p.exists()]
    if missing:
        return f"the player is not there yet ({', '.join(missing)} missing)"
    return None


async def measure_player(server: str, stored: dict[str, dict[str, Any]], rounds: int, warmup: int,
                         progress: Callable[[str], None]) -> tuple[list[dict[str, Any]], str | None]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            context = await browser.new_context(viewport={"width": 1440, "height": 900})
            await context.add_init_script(PLAYER_PROBE)
            page = await context.new_page()
            await page.goto(server + "/login")
            await page.fill("#email", DEMO_LOGIN[0])
            await page.fill("#password", DEMO_LOGIN[1])
            async with page.expect_navigation():
                await page.click("button[type=submit]")
            # Wait until every recording is stored whole (the writer flushes the spool about once a second).
            for name, s in stored.items():
                url = f"{server}/api/v1/sites/{SITE}/sessions/{s['sid']}/replay"
                deadline = time.monotonic() + 60
                while True:
                    answer = await context.request.get(url)
                    lines = (await answer.text()).count("\n") if answer.ok else 0
                    if lines >= s["events"]:
                        break
                    if time.monotonic() > deadline:
                        raise BenchError(f"{name}: {lines} of {s['events']} events stored after 60 s")
                    await asyncio.sleep(0.5)
                probe = await context.request.get(f"{server}/sites/{SITE}/replays/{s['sid']}")
                if probe.status != 200 or 'id="player"' not in await probe.text():
                    return [], f"GET /sites/{{key}}/replays/{{sid}} answered HTTP {probe.status} without a player"
            await page.close()
            loads = []
            names = list(stored)
            for r in range(warmup + rounds):
                order = names if r % 2 == 0 else names[::-1]
                for name in order:
                    tab = await context.new_page()
                    try:
                        await tab.goto(f"{server}/sites/{SITE}/replays/{stored[name]['sid']}")
                        await tab.wait_for_function("() => window.__ffbench && window.__ffbench.frame !== null",
                                                    timeout=60_000, polling=50)
                        await tab.wait_for_timeout(100)  # the load event, when it comes after the frame
                        times = await tab.evaluate(PLAYER_TIMES)
                    finally:
                        await tab.close()
                    times.update({"variant": name, "round": r - warmup, "warmup": r < warmup})
                    loads.append(times)
                    progress(f"   {'warm-up' if r < warmup else f'round {r - warmup + 1}'} {name:9}: first frame "
                             f"{times['frame_ms']:.0f} ms (HTML {times['html_ms']:.0f}, recording fetched "
                             f"{times['fetch_end_ms'] or 0:.0f}, replayer built {times['state_ms'] or 0:.0f})")
        finally:
            await browser.close()
    return loads, None


def first_frame(ns: argparse.Namespace, data: Path, source: dict[str, Any], report: dict[str, Any],
                progress: Callable[[str], None]) -> None:
    """Part 3: the real recording and the long ones built from it, stored through the ingestion
    endpoints of the same data directory's server (started again), then opened in the player."""
    why = player_available()
    if why:
        report["first_frame"] = {"measured": False, "reason": why}
        progress(f"== part 3 not measured: {why}")
        return
    progress(f"== part 3: the player, a {ns.minutes:g}-minute recording built from session {source['sid']}")
    server = ServerProcess(data, {"FOOTFALL_RATE_LIMIT": "0"}, command="demo", extra=("--sessions", "0"))
    try:
        events = rewrite_origin(source["events"], source["origin"], server.url)
        ordered = sorted(events, key=lambda e: e["timestamp"])
        real_ms = ordered[-1]["timestamp"] - ordered[0]["timestamp"]
        now = int(time.time() * 1000)
        long_start = now - round(ns.minutes * 60_000) - 60_000
        variants = {
            "recorded": ("the real recording", [shifted(e, now - 60_000 - real_ms - ordered[0]["timestamp"])
                                                for e in ordered]),
            "long": (f"{ns.minutes:g} min, a full snapshot every 3 min",
                     build_long_recording(events, ns.minutes, long_start)),
            "long_pages": (f"{ns.minutes:g} min, every page load repeated",
                           cycle_recording(events, ns.minutes, long_start)),
        }
        user_agent = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/131.0.0.0 Safari/537.36")
        stored = {}
        for name, (title, recording) in variants.items():
            sid = f"bench{name.replace('_', '')}{uuid.uuid4().hex[:8]}"
            stored[name] = store_recording(server.url, sid, recording, user_agent) | {"title": title}
            progress(f"   stored {name}: {stored[name]['events']:,} events, {stored[name]['chunks']} chunks, "
                     f"{stored[name]['gzip_bytes'] / KB:,.0f} KB gzipped, {stored[name]['minutes']} min")
        loads, why = asyncio.run(measure_player(server.url, stored, ns.player_rounds, 1, progress))
    finally:
        server.stop()
    if why:
        report["first_frame"] = {"measured": False, "reason": why, "stored": stored}
        return
    keys = ("frame_ms", "html_ms", "dom_ms", "ready_ms", "fetch_start_ms", "fetch_end_ms", "state_ms", "load_ms")
    out = {}
    for name, s in stored.items():
        mine = [load for load in loads if load["variant"] == name and not load["warmup"]]
        out[name] = {**s, **{key: speed_summary([load[key] for load in mine]) for key in keys},
                     "ndjson_bytes": median(load["recording_bytes"] for load in mine),
                     "frame_elements": median((load.get("frame_info") or {}).get("elements") for load in mine)}
    report["first_frame"] = {
        "measured": True, "variants": out, "loads": loads, "reading": player_reading(out),
        "method": (
            f"The recorder's session with the median bytes per minute (part 1, {fmt(real_ms / 60000, 1)} min, "
            f"{len(segments(events))} page loads) is the source. *{ns.minutes:g} min, a full snapshot every 3 min* "
            f"(the goal's recording): {ns.minutes:g} minutes in 3-minute blocks, block i being page load i of "
            "the source (cycling), with its meta and full snapshot at the block's start and that page's own "
            "incremental events (mouse, scroll, input, mutations) repeated at their recorded pace until the "
            "block ends, timestamps shifted: a full snapshot every 3 minutes as the recorder's checkout makes "
            "them, real activity in between. *Every page load repeated*: the whole source recording back to "
            "back, so a full snapshot every ~20 s, as a visitor who keeps changing pages for "
            f"{ns.minutes:g} minutes. *The real recording*: the source itself. Each is stored as a new session "
            "through `POST /i/v1/batch` (a page view per meta event) and `POST /i/v1/replay` (5-second chunks, "
            "gzip + base64, as the recorder sends them) of the demo server, restarted on the same data "
            "directory. Chromium, logged in to the dashboard, opens `/sites/demo/replays/{sid}` in a new tab "
            f"(HTTP cache warm) {ns.player_rounds} times per recording after one warm-up round, alternating "
            "recordings. **First frame** = from navigation start until the first animation frame in which "
            "the replayer's iframe (inside the player's data: document) holds the recorded page's body "
            "with elements, checked on every animation frame by a script Playwright adds to that document. "
            "The player itself signals readiness by posting a `state` message once the Replayer is built "
            "and paused at 0:00; rrweb draws the first snapshot a timer tick later, so that message comes "
            "first and is reported as \"replayer built\"."),
    }


def player_reading(variants: dict[str, Any]) -> list[str]:
    """Where the time to the first frame goes, from the medians of each step."""
    try:
        from footfall.replay.recordings import CHUNKS_PER_READ as per_read
    except ImportError:
        per_read = None

    def med(v: dict[str, Any], key: str) -> float:
        return (v.get(key) or {}).get("median") or 0.0

    short, out = variants.get("recorded"), []
    if short:
        out.append(f"Before any recording arrives: the page's HTML at {med(short, 'html_ms'):.0f} ms (the "
                   f"server's session query), the player frame ready at {med(short, 'ready_ms'):.0f} ms. The "
                   f"real {short['minutes']:.1f}-minute recording shows its first frame at "
                   f"{med(short, 'frame_ms'):.0f} ms: the fixed part alone is "
                   f"{'over' if med(short, 'frame_ms') >= GOAL_FIRST_FRAME_MS else 'within'} the "
                   f"{GOAL_FIRST_FRAME_MS} ms goal.")
    for name in ("long", "long_pages"):
        v = variants.get(name)
        if not v or not short:
            continue
        fetch = med(v, "fetch_end_ms") - med(v, "fetch_start_ms")
        short_fetch = med(short, "fetch_end_ms") - med(short, "fetch_start_ms")
        after = med(v, "frame_ms") - med(v, "fetch_end_ms")
        queries = (f", {-(-v['chunks'] // per_read) + 1} queries of `replay_chunks FINAL` ({per_read} chunks "
                   "each)") if per_read else ""
        more = med(v, "frame_ms") - med(short, "frame_ms")
        out.append(f"{v['title']}: first frame {med(v, 'frame_ms'):,.0f} ms, {more:,.0f} "
                   f"ms more than the real recording. Fetching its {kb(v.get('ndjson_bytes'))} of NDJSON took "
                   f"{fetch:,.0f} ms ({short_fetch:,.0f} ms for the real one): {v['chunks']} chunks{queries}, "
                   f"{fetch / max(1, v['chunks']):.1f} ms per chunk. Then parsing, handing the events to the player "
                   f"and building the Replayer took {after:.0f} ms.")
    return out
