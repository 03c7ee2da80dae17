"""Ingestion as a list of small steps: each passes the batch on, refuses it, or drops it with a reason."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import msgspec

from footfall.collector import frames, rows, times, urls, wire
from footfall.collector.decode import InvalidEvent, decode, decode_batch, inflated_limit, refused, unwrap
from footfall.collector.enrich import client_of, visitor_hash
from footfall.collector.ownership import Recordings, SnapshotWants
from footfall.collector.ratelimit import RateLimiter
from footfall.collector.recent import RecentIds
from footfall.collector.rejection import Counters, Drop, Rejected
from footfall.collector.salts import DailySalt
from footfall.collector.spool import Spool, SpoolFull
from footfall.store import chunks
from footfall.store.clock import now_ms
from footfall.store.sites import Site, SiteCache

RETRY_AFTER_FULL = 2
MAX_ERRORS_SHOWN = 10


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
    invalid: list[InvalidEvent] = dataclasses.field(default_factory=list)  # events dropped, the rest stored
    # True: the session is sampled in for replay, the snippet loads the recorder. "snapshot": it is
    # not, but the page is wanted for heatmaps; the recorder takes one snapshot of it and stops.
    replay: bool | str = False

    def body(self) -> dict[str, object]:
        out: dict[str, object] = {"accepted": self.accepted}
        if self.dropped:
            out["dropped"] = self.dropped.value
        if self.invalid:
            out["invalid"] = len(self.invalid)
            out["errors"] = [{"field": e.field, "error": e.message} for e in self.invalid[:MAX_ERRORS_SHOWN]]
        if self.replay:
            out["replay"] = self.replay
        return out


def inflate(chunk: wire.ReplayChunk, limit: int, received: int) -> wire.ReplayChunk:
    """A chunk the browser gzipped is stored as its JSON: ClickHouse's column compression then
    sees across chunks (every page's full snapshot repeats the same markup and styles), where each
    chunk gzipped alone cannot; stored bytes fall about sixfold (bench/README.md, Replay)."""
    if chunk.encoding != chunks.GZIP_BASE64:
        return chunk
    try:
        text = chunks.decode(chunk.encoding, chunk.data, inflated_limit(received, limit))
    except chunks.BadChunk as exc:
        raise refused(exc, "$.data") from None
    return msgspec.structs.replace(chunk, data=text, encoding=chunks.JSON)


def sampled(session_id: str, rate: float) -> bool:
    """The same answer for every batch of a session, so a recording never starts half way."""
    return rate >= 1 or zlib.crc32(session_id.encode()) < rate * 2**32


class Limits(Protocol):
    """What ingestion reads of the process's settings (web/settings.py has the table, flags and docs)."""

    max_body_kb: int
    max_replay_kb: int
    max_events: int
    rate_limit: float
    rate_burst: int
    rate_limit_kb: int
    rate_burst_kb: int
    data_dir: Path


class Ingestor:
    def __init__(self, config: Limits, sites: SiteCache, salt: DailySalt, spool: Spool) -> None:
        self.config = config
        self.sites = sites
        self.salt = salt
        self.spool = spool
        self.limiter = RateLimiter(config.rate_limit, config.rate_burst)
        self.byte_limiter = RateLimiter(config.rate_limit_kb * 1024, config.rate_burst_kb * 1024)
        self.counters = Counters()
        self.recent = RecentIds(path=config.data_dir / "recent-batch-ids")
        self.snapshots = SnapshotWants()
        self.recordings = Recordings(sites.store)

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

    def limit(self, req: Request, site: Site, stored_bytes: int) -> None:
        if not self.limiter.allow(req.ip, site.key):
            raise Rejected(429, "rate", "too many requests", self.limiter.retry_after())
        if not self.byte_limiter.allow(req.ip, site.key, cost=stored_bytes):
            wait = max(1, int(stored_bytes / self.byte_limiter.rate) + 1)
            raise Rejected(429, "rate", "too many bytes from this client: slow down", wait)

    def drop_reason(self, req: Request, site: Site, batch_id: str | None) -> Drop | None:
        client = client_of(req.headers.get("user-agent", ""))
        if client.is_bot:
            self.counters.add(f"dropped.bot.{client.bot_reason}")  # why: crawler, headless, http-library...
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
            batch, invalid = decode_batch(raw)
            if len(batch.events) + len(invalid) > self.config.max_events:
                raise Rejected(413, "$.e", f"at most {self.config.max_events} events per batch")
            site = await self.site_for(batch.site, req.headers)
            self.limit(req, site, len(raw))
        except Rejected as exc:
            self.counters.add(f"rejected.{exc.status}")
            raise
        batch, invalid = self.in_time(batch, invalid)
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
        self.recordings.saw(site.key, batch.session_id)
        self.counters.add("accepted.batches")
        self.counters.add("accepted.rows", count)
        if sampled(batch.session_id, site.replay_sample):
            return Outcome(accepted=count, invalid=invalid, replay=True)
        wanted = self.snapshots.wanted(site, batch)
        return Outcome(accepted=count, invalid=invalid, replay="snapshot" if wanted else False)

    def in_time(self, batch: wire.Batch, invalid: list[InvalidEvent]) -> tuple[wire.Batch, list[InvalidEvent]]:
        """Events dated too long before they arrived join the invalid ones (times.py); each
        invalid event is counted by type and field."""
        received = now_ms()
        old = [times.too_old(e.ts, received, batch.sent_at) for e in batch.events]
        if any(old):
            invalid = invalid + [InvalidEvent("$.e[].ts", f"more than {times.MAX_AGE_MS // 3_600_000} hours "
                                              "before the batch arrived", e.__struct_config__.tag)
                                 for e, too in zip(batch.events, old, strict=True) if too]
            batch = msgspec.structs.replace(batch, events=[e for e, too in zip(batch.events, old, strict=True)
                                                           if not too])
        if invalid:
            self.counters.add("dropped.invalid_event", len(invalid))
            for event in invalid:
                self.counters.add(f"dropped.invalid_event.{event.reason}")
        return batch, invalid

    async def replay(self, req: Request) -> Outcome:
        try:
            raw = unwrap(req.body, req.headers.get("content-encoding", ""), self.config.max_replay_kb * 1024)
            chunk = inflate(decode(raw, wire.replay_decoder), self.config.max_replay_kb * 1024, len(req.body))
            if chunk.snapshot and not chunk.url:
                raise Rejected(400, "$.url", "a page snapshot needs the page's url")
            site = await self.site_for(chunk.site, req.headers)
            self.limit(req, site, max(len(raw), len(chunk.data)))
            chunk = urls.clean_chunk(chunk)  # the page's query string and fragment go before the spool
            if chunk.started_at is not None and not times.in_window(chunk.started_at, now_ms(), chunk.sent_at):
                chunk = msgspec.structs.replace(chunk, started_at=None)  # stored at its receive time
                self.counters.add("clamped.replay_time")
        except Rejected as exc:
            self.counters.add(f"rejected.{exc.status}")
            raise
        dropped = self.drop_reason(req, site, None)
        if dropped:
            self.counters.add(f"dropped.{dropped.value}")
            return Outcome(dropped=dropped)
        try:
            if chunk.snapshot:
                self.snapshots.take(site.key, chunk)
            elif await self.recordings.check(site.key, chunk) is Drop.DUPLICATE:
                self.counters.add(f"dropped.{Drop.DUPLICATE.value}")
                return Outcome(dropped=Drop.DUPLICATE)
        except Rejected as exc:
            self.counters.add(f"rejected.{exc.status}.{exc.field}")
            raise
        ctx = await self.context(req, site)
        kind = frames.SNAPSHOT if chunk.snapshot else frames.REPLAY
        try:
            await self.spool_payload(frames.pack(kind, ctx, chunk), 1)
        except BaseException:
            if not chunk.snapshot:
                self.recordings.forget(site.key, chunk)
            raise
        self.counters.add("accepted.page_snapshots" if chunk.snapshot else "accepted.replay_chunks")
        return Outcome(accepted=1)
