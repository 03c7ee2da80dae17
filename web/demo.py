"""`footfall demo`: the demo site, its traffic seeded through the live write path, then serving."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import time
from collections.abc import Iterator

from footfall.collector import frames, rows
from footfall.collector.enrich import client_of
from footfall.collector.spool import Spool, SpoolFull
from footfall.demo import journeys, recordings
from footfall.demo.shop import PREFIX, SITE_KEY
from footfall.store import Store, accounts, goals, saved_funnels, sites
from footfall.web.runtime import Runtime
from footfall.web.server import serve
from footfall.web.settings import Config

log = logging.getLogger("footfall.demo")

RETENTION_DAYS = 365
# The demo dashboard's login, shown on its login page (a local demo, not a real account).
DEMO_EMAIL = "demo@footfall.local"
DEMO_PASSWORD = "footfall-demo"
CHUNK_SESSIONS = 50  # encoded off the event loop together; their appends share a group commit
# The snippet sends a batch when the page is hidden, a moment after its last event.
SEND_DELAY_MS = 300


@dataclasses.dataclass
class Seeded:
    sessions: int = 0
    pageviews: int = 0
    rows: int = 0
    recordings: int = 0  # real recorded sessions with their replays
    seconds: float = 0.0


def demo_origins(config: Config) -> list[str]:
    port = int(config.port)
    hosts = ["127.0.0.1", "localhost"]
    if config.host not in (*hosts, "0.0.0.0", "::", ""):
        hosts.append(config.host)
    return [f"http://{host}:{port}" for host in hosts]


URL_PATTERNS = ("/demo/shop/product/*", "/demo/shop/category/*")
# A funnel saved with the site, so the funnels page opens on the shop's purchase path.
DEMO_FUNNEL = ("From product to order", {
    "steps": [{"page": f"{PREFIX}/product/*"}, {"page": f"{PREFIX}/cart"}, {"page": f"{PREFIX}/checkout"},
              {"page": f"{PREFIX}/thank-you"}],
    "window_s": 86400, "mode": "ordered", "count_by": "session"})
# Goals saved with the site, from the custom events and pages the demo shop sends, so the Goals page
# opens with conversions.
DEMO_GOALS = (("Purchase", {"event": "purchase"}), ("Added to cart", {"event": "add_to_cart"}),
              ("Reached checkout", {"page": f"{PREFIX}/checkout"}))


def ensure_site(store: Store, origins: list[str]) -> sites.Site:
    """The demo site, created once; origins of a new port are added to the ones it had."""
    current = sites.load_all(store).get(SITE_KEY)
    known = current.origins if current else ()
    wanted = tuple(dict.fromkeys([*known, *(sites.normalise_origin(o) for o in origins)]))
    if current is None:
        created = sites.create(store, "Demo shop", list(wanted), key=SITE_KEY,
                               retention_days=RETENTION_DAYS)
        name, definition = DEMO_FUNNEL
        saved_funnels.save(store, created.key, name, json.dumps(definition))
        for name, definition in DEMO_GOALS:
            goals.save(store, created.key, name, json.dumps(definition))
        # The demo shop's visitor is its operator: a browser sending GPC should still see itself.
        return sites.save(store, dataclasses.replace(created, honour_dnt=False, url_patterns=URL_PATTERNS))
    if wanted != current.origins:
        return sites.save(store, dataclasses.replace(current, origins=wanted))
    return current


def ensure_demo_user(store: Store) -> tuple[str, str]:
    """The demo's administrator; its password is shown on the login page of the demo only."""
    if not store.scalar("SELECT count() FROM users FINAL WHERE email = {e:String} AND deleted = 0",
                        {"e": DEMO_EMAIL}):
        accounts.create(store, DEMO_EMAIL, DEMO_PASSWORD, "admin")
    return DEMO_EMAIL, DEMO_PASSWORD


def has_pageviews(store: Store, site_key: str) -> bool:
    sql = "SELECT count() FROM pageviews WHERE site = {site:String}"
    return bool(store.scalar(sql, {"site": site_key}))


def encode(chunk: list[journeys.Journey], retention_days: int) -> list[tuple[bytes, int]]:
    """Spool payloads, one per batch, built exactly as the ingestion endpoint builds them."""
    payloads = []
    for journey in chunk:
        client = client_of(journey.visitor.device.user_agent)
        for batch in journey.batches:
            ctx = rows.Context(
                received_ms=max(e.ts for e in batch.events) + SEND_DELAY_MS,
                visitor_id=journey.visitor.id,
                client=client,
                retention_days=retention_days,
            )
            payloads.append((frames.pack(frames.BATCH, ctx, batch), len(batch.events)))
    return payloads


def next_chunk(source: Iterator[journeys.Journey],
               retention_days: int) -> tuple[int, list[tuple[bytes, int]]]:
    chunk = list(itertools.islice(source, CHUNK_SESSIONS))
    return len(chunk), encode(chunk, retention_days)


async def append(spool: Spool, payload: bytes, count: int) -> None:
    """Wait out a full spool (the writer is catching up); give up only when it is shutting down."""
    while True:
        try:
            await spool.append(payload, count)
            return
        except SpoolFull:
            if not spool.full():
                raise
            await asyncio.sleep(0.2)


async def seed(runtime: Runtime, site_key: str = SITE_KEY, sessions: int = journeys.DEFAULT_SESSIONS,
               days: int = journeys.DEFAULT_DAYS, seed: int = journeys.DEFAULT_SEED,
               origin: str = journeys.DEFAULT_ORIGIN, now_ms: int | None = None) -> Seeded:
    """Generate demo journeys and hand their rows to the spool, as live batches are."""
    site = await runtime.sites.get(site_key)
    retention = site.retention_days if site else RETENTION_DAYS
    source = journeys.generate(site_key, sessions, days, seed=seed, now_ms=now_ms, origin=origin)
    done, started, reported = Seeded(), time.monotonic(), 0
    while True:
        count, payloads = await asyncio.to_thread(next_chunk, source, retention)
        if not count:
            break
        await asyncio.gather(*(append(runtime.spool, payload, n) for payload, n in payloads if n))
        done.sessions += count
        done.pageviews += len(payloads)
        done.rows += sum(n for _, n in payloads)
        if done.sessions * 5 // max(1, sessions) > reported:
            reported = done.sessions * 5 // max(1, sessions)
            log.info("demo: seeded %d of %d sessions", done.sessions, sessions)
    done.recordings = await seed_recordings(runtime, site_key, retention, now_ms, origin)
    done.seconds = time.monotonic() - started
    return done


# When the saved recordings start, before now: recent enough to top the replays list.
RECORDING_STARTS_AGO_MS = (2 * 3_600_000, 5 * 3_600_000, 26 * 3_600_000, 50 * 3_600_000)


async def seed_recordings(runtime: Runtime, site_key: str, retention: int, now_ms: int | None = None,
                          origin: str | None = None) -> int:
    """The real recorded sessions of the shop (demo/recordings.py), as live traffic."""
    saved = await asyncio.to_thread(recordings.load)
    now_ms = now_ms or int(time.time() * 1000)
    for i, recording in enumerate(saved):
        if recording["requests"] and recording["requests"][0]["body"].get("site") != site_key:
            for request in recording["requests"]:
                request["body"]["site"] = site_key
        start = now_ms - RECORDING_STARTS_AGO_MS[i % len(RECORDING_STARTS_AGO_MS)] - i * 60_000
        payloads = await asyncio.to_thread(list, recordings.replay_recording(recording, start, retention, origin))
        for payload, n in payloads:
            await append(runtime.spool, payload, n)
    return len(saved)


async def seed_once(runtime: Runtime, site_key: str, sessions: int, days: int, origin: str) -> None:
    store = runtime.store
    assert store is not None
    if await store.run(has_pageviews, store, site_key):
        log.info("demo: site %r already has page views; not seeding again", site_key)
        return
    log.info("demo: seeding %d sessions over %d days", sessions, days)
    try:
        done = await seed(runtime, site_key, sessions, days, origin=origin)
    except SpoolFull:
        log.warning("demo: seeding interrupted by shutdown; remove the data directory to redo it")
        return
    except Exception:
        log.exception("demo: seeding failed")
        return
    log.info("demo: seeded %d sessions, %d page views, %d rows and %d recorded sessions in %.1fs",
             done.sessions, done.pageviews, done.rows, done.recordings, done.seconds)


def serve_demo(config: Config, sessions: int = journeys.DEFAULT_SESSIONS, days: int = journeys.DEFAULT_DAYS) -> None:
    """Serve; the first time on this data directory, seed the demo site in the background."""
    background: set[asyncio.Task[None]] = set()
    origin = f"http://127.0.0.1:{int(config.port)}"

    async def on_started(runtime: Runtime) -> None:
        store = runtime.store
        assert store is not None
        runtime.demo_login = await store.run(ensure_demo_user, store)
        site = await store.run(ensure_site, store, demo_origins(config))
        runtime.sites.put(site)  # the shop's own snippet is accepted from the first page view
        seeding = seed_once(runtime, site.key, sessions, days, origin)
        task = asyncio.get_running_loop().create_task(seeding)
        background.add(task)
        task.add_done_callback(background.discard)

    log.info("demo shop: %s/demo/shop/", origin)
    serve(config, on_started=on_started)
