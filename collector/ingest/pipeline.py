"""Ingestion as a list of small steps: each passes the batch on, refuses it, or drops it with a reason."""

from __future__ import annotations

import base64
import binascii
import collections
import dataclasses
import time
import zlib
from collections.abc import Mapping
from urllib.parse import urlsplit

import msgspec

from ..clock import now_ms
from ..settings import Config
from ..sites import Site, SiteCache
from . import frames, rows, urls, wire
from .decode import MAX_EXPANSION, decode, gunzip, unwrap
from .enrich import client_of, visitor_hash
from .ratelimit import RateLimiter
from .rejection import Counters, Drop, Rejected
from .salts import DailySalt
from .spool import Spool, SpoolFull

RETRY_AFTER_FULL = 2


@dataclasses.dataclass
class Request:
    """What the HTTP layer hands over: no framework types past this point."""

    body: bytes
    headers: Mapping[str, str]
    ip: str


@dataclasses.dataclass
class Outcome:
    accepted: int = 0
    dropped: Drop | None = None
    # True: the session is sampled in for replay, the snippet loads the recorder. "snapshot": it is
    # not, but the page is wanted for heatmaps; the recorder takes one snapshot of it and stops.
    replay: bool | str = False

    def body(self) -> dict[str, object]:
        out: dict[str, object] = {"accepted": self.accepted}
        if self.dropped:
            out["dropped"] = self.dropped.value
        if self.replay:
            out["replay"] = self.replay
        return out


def inflate(chunk: wire.ReplayChunk, limit: int) -> wire.ReplayChunk:
    """A chunk the browser gzipped is stored as its JSON: ClickHouse's column compression then
    sees across chunks (every page's full snapshot repeats the same markup and styles), where each
    chunk gzipped alone cannot; stored bytes fall about sixfold (bench/README.md, Replay)."""
    if chunk.encoding != "gzip-base64":
        return chunk
    try:
        packed = base64.b64decode(chunk.data, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected(400, "$.data", "data is not valid base64") from None
    try:
        text = gunzip(packed, limit * MAX_EXPANSION).decode()
    except UnicodeDecodeError:
        raise Rejected(400, "$.data", "data is not gzipped UTF-8 JSON") from None
    except Rejected as exc:
        raise Rejected(exc.status, "$.data", exc.message) from None
    return msgspec.structs.replace(chunk, data=text, encoding="json")


def sampled(session_id: str, rate: float) -> bool:
    """The same answer for every batch of a session, so a recording never starts half way."""
    return rate >= 1 or zlib.crc32(session_id.encode()) < rate * 2**32


class RecentIds:
    """Batch ids seen lately, so a replayed or retried beacon is stored once.

    Keys are plain strings, which the garbage collector does not track.
    """

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self.ids: collections.OrderedDict[str, None] = collections.OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self.ids

    def add(self, key: str) -> None:
        self.ids[key] = None
        if len(self.ids) > self.size:
            self.ids.popitem(last=False)

    def discard(self, key: str) -> None:
        self.ids.pop(key, None)


class SnapshotWants:
    """Which page views to ask for a heatmap snapshot of, for sessions not recorded for replay: a
    share of page views (the site's heatmap rate, the same answer for a page view's every batch),
    at most one ask per page and device class every ASK_EVERY_S on this collector."""

    ASK_EVERY_S = 600.0

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.asked: collections.OrderedDict[tuple[str, str, str], float] = collections.OrderedDict()

    def wanted(self, site: Site, batch: wire.Batch) -> bool:
        if site.heatmap_sample <= 0 or not any(isinstance(e, wire.PageView) for e in batch.events):
            return False
        if zlib.crc32(batch.pageview_id.encode()) >= site.heatmap_sample * 2**32:
            return False
        key = (site.key, urlsplit(batch.url).path or "/", device_class(batch.viewport_width))
        now = time.monotonic()
        if now - self.asked.get(key, -self.ASK_EVERY_S) < self.ASK_EVERY_S:
            return False
        self.asked[key] = now
        self.asked.move_to_end(key)
        if len(self.asked) > self.size:
            self.asked.popitem(last=False)
        return True


def device_class(viewport_width: int) -> str:
    """As the ingest views classify page views (store/migrations/0002_ingest_views.sql)."""
    return "mobile" if 0 < viewport_width <= 767 else "tablet" if 767 < viewport_width <= 1024 else "desktop"


class Ingestor:
    def __init__(self, config: Config, sites: SiteCache, salt: DailySalt, spool: Spool) -> None:
        self.config = config
        self.sites = sites
        self.salt = salt
        self.spool = spool
        self.limiter = RateLimiter(config.rate_limit, config.rate_burst)
        self.counters = Counters()
        self.recent = RecentIds()
        self.snapshots = SnapshotWants()

    # -- the steps ---------------------------------------------------------------
    async def site_for(self, key: str, headers: Mapping[str, str]) -> Site:
        site = await self.sites.get(key)
        if site is None:
            raise Rejected(403, "site", f"unknown site {key!r}")
        origin = headers.get("origin", "")
        if not origin:
            raise Rejected(403, "origin", "an Origin header is required")
        if not site.allows(origin):
            raise Rejected(403, "origin", f"origin {origin!r} is not allowed for this site")
        return site

    def limit(self, req: Request, site: Site) -> None:
        if not self.limiter.allow(req.ip, site.key):
            raise Rejected(429, "rate", "too many requests", self.limiter.retry_after())

    def drop_reason(self, req: Request, site: Site, batch_id: str | None) -> Drop | None:
        if client_of(req.headers.get("user-agent", "")).is_bot:
            return Drop.BOT
        if site.honour_dnt and (
            req.headers.get("dnt") == "1" or req.headers.get("sec-gpc") == "1"
        ):
            return Drop.DO_NOT_TRACK
        if batch_id and f"{site.key}\x00{batch_id}" in self.recent:
            return Drop.DUPLICATE
        return None

    async def context(self, req: Request, site: Site) -> rows.Context:
        user_agent = req.headers.get("user-agent", "")
        salt = await self.salt.current()
        return rows.Context(
            received_ms=now_ms(),
            visitor_id=visitor_hash(salt, site.key, req.ip, user_agent),
            client=client_of(user_agent),
            retention_days=site.retention_days,
        )

    async def spool_payload(self, payload: bytes, count: int) -> None:
        try:
            await self.spool.append(payload, count)
        except SpoolFull as exc:
            self.counters.add("rejected.spool_full")
            raise Rejected(503, "spool", f"ingestion is saturated: {exc}", RETRY_AFTER_FULL) from None
        except OSError as exc:  # disk full or failing: the batch is not durable, so not accepted
            self.counters.add("rejected.spool_error")
            raise Rejected(503, "spool", f"spool write failed: {exc.strerror or exc}", RETRY_AFTER_FULL) from None

    # -- the endpoints -------------------------------------------------------------
    async def batch(self, req: Request) -> Outcome:
        try:
            raw = unwrap(req.body, req.headers.get("content-encoding", ""), self.config.max_body_kb * 1024)
            batch = decode(raw, wire.batch_decoder)
            if len(batch.events) > self.config.max_events:
                raise Rejected(413, "$.e", f"at most {self.config.max_events} events per batch")
            site = await self.site_for(batch.site, req.headers)
            self.limit(req, site)
        except Rejected as exc:
            self.counters.add(f"rejected.{exc.status}")
            raise
        dropped = self.drop_reason(req, site, batch.batch_id)
        if dropped:
            self.counters.add(f"dropped.{dropped.value}")
            return Outcome(dropped=dropped)
        # Claimed before the first await: a retry arriving while this one is being made durable
        # (a keepalive fetch outliving its page, resent by the next page) is then a duplicate.
        claim = f"{site.key}\x00{batch.batch_id}" if batch.batch_id else None
        if claim:
            self.recent.add(claim)
        count = len(batch.events)
        try:
            ctx = await self.context(req, site)
            if count:
                await self.spool_payload(frames.pack(frames.BATCH, ctx, urls.clean_batch(batch)), count)
        except BaseException:
            if claim:
                self.recent.discard(claim)  # not stored: the sender's retry must be let in
            raise
        self.counters.add("accepted.batches")
        self.counters.add("accepted.rows", count)
        if sampled(batch.session_id, site.replay_sample):
            return Outcome(accepted=count, replay=True)
        wanted = self.snapshots.wanted(site, batch)
        return Outcome(accepted=count, replay="snapshot" if wanted else False)

    async def replay(self, req: Request) -> Outcome:
        try:
            raw = unwrap(req.body, req.headers.get("content-encoding", ""), self.config.max_replay_kb * 1024)
            chunk = inflate(decode(raw, wire.replay_decoder), self.config.max_replay_kb * 1024)
            if chunk.snapshot and not chunk.url:
                raise Rejected(400, "$.url", "a page snapshot needs the page's url")
            site = await self.site_for(chunk.site, req.headers)
            self.limit(req, site)
            chunk = urls.clean_chunk(chunk)  # the page's query string and fragment go before the spool
        except Rejected as exc:
            self.counters.add(f"rejected.{exc.status}")
            raise
        dropped = self.drop_reason(req, site, None)
        if dropped:
            self.counters.add(f"dropped.{dropped.value}")
            return Outcome(dropped=dropped)
        ctx = await self.context(req, site)
        kind = frames.SNAPSHOT if chunk.snapshot else frames.REPLAY
        await self.spool_payload(frames.pack(kind, ctx, chunk), 1)
        self.counters.add("accepted.page_snapshots" if chunk.snapshot else "accepted.replay_chunks")
        return Outcome(accepted=1)
