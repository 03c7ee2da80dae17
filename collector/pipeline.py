"""Ingestion as a list of small steps. Each passes the request on, refuses it (Rejected: an
HTTP status and the field to blame) or drops it with a reason (Drop: answered 202, nothing
stored). A batch and a replay chunk each have their list (BATCH_STEPS, REPLAY_STEPS) and the same
driver runs both (`Ingestor.run`): the one place where a request's outcome is counted, and where a
request that fails before it is durable gives back what its steps claimed.
"""

from __future__ import annotations

import dataclasses
import inspect
import zlib
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

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
# What an accepted request is counted as, by the frame it became (a batch's rows are counted too).
ACCEPTED = {frames.BATCH: "accepted.batches", frames.REPLAY: "accepted.replay_chunks",
            frames.SNAPSHOT: "accepted.page_snapshots"}

R = TypeVar("R", wire.Batch, wire.ReplayChunk)


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


@dataclasses.dataclass(slots=True)
class Job(Generic[R]):
    """One request on its way through the steps, and what they have found out about it. Fields
    without a default are set by the step that finds them out."""

    req: Request
    record: R = dataclasses.field(init=False)  # the batch or chunk, as the steps so far have left it
    cost: int = dataclasses.field(init=False)  # bytes counted against the client's byte budget
    invalid: list[InvalidEvent] = dataclasses.field(default_factory=list)
    site: Site = dataclasses.field(init=False)
    kind: bytes = dataclasses.field(init=False)  # the frame it becomes (frames.BATCH, REPLAY, SNAPSHOT)
    rows: int = dataclasses.field(init=False)  # events or chunks it stores
    stored: msgspec.Struct = dataclasses.field(init=False)  # what the frame holds
    replay: bool | str = False  # Outcome.replay
    undo: Callable[[], object] | None = None  # gives back what a step claimed, until the frame is spooled


# A step passes the job on (None), drops it (a Drop) or refuses it (raises Rejected).
Step = Callable[["Ingestor", Job[Any]], "Drop | None | Awaitable[Drop | None]"]


def steps(*found: Step) -> tuple[tuple[Step, bool], ...]:
    """The steps in order, each with whether the driver awaits it (it waits on the store, the
    salt or the spool); the others are plain calls, which cost less on the hot path."""
    return tuple((step, inspect.iscoroutinefunction(step)) for step in found)


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


# -- the steps of both lists ------------------------------------------------------

async def check_site(ing: Ingestor, job: Job[Any]) -> None:
    """The site exists and the request's Origin is one of its origins (403)."""
    site = await ing.sites.get(job.record.site)
    if site is None:
        raise Rejected(403, "site", f"unknown site {job.record.site!r}")
    origin = job.req.headers.get("origin", "")
    if not origin:
        raise Rejected(403, "origin", "an Origin header is required")
    if not site.allows(origin):
        raise Rejected(403, "origin", f"origin {origin!r} is not allowed for this site")
    job.site = site


def check_rate(ing: Ingestor, job: Job[Any]) -> None:
    """Within the client's request and byte budgets for the site (429, with Retry-After)."""
    ip, key = job.req.ip, job.site.key
    if not ing.limiter.allow(ip, key):
        raise Rejected(429, "rate", "too many requests", ing.limiter.retry_after())
    if not ing.byte_limiter.allow(ip, key, cost=job.cost):
        wait = max(1, int(job.cost / ing.byte_limiter.rate) + 1)
        raise Rejected(429, "rate", "too many bytes from this client: slow down", wait)


def drop_unwanted(ing: Ingestor, job: Job[Any]) -> Drop | None:
    """Bots, and visitors who ask not to be tracked (DNT, GPC) where the site honours it."""
    client = client_of(job.req.headers.get("user-agent", ""))
    if client.is_bot:
        ing.counters.add(f"dropped.bot.{client.bot_reason}")  # why: crawler, headless, http-library...
        return Drop.BOT
    headers = job.req.headers
    if job.site.honour_dnt and (headers.get("dnt") == "1" or headers.get("sec-gpc") == "1"):
        return Drop.DO_NOT_TRACK
    return None


async def spool_frame(ing: Ingestor, job: Job[Any]) -> None:
    """The frame (what only the server knows, then the record) appended to the spool: durable, so
    accepted. A full or failing spool refuses the request (503, with Retry-After)."""
    user_agent = job.req.headers.get("user-agent", "")
    ctx = rows.Context(
        received_ms=now_ms(),
        visitor_id=visitor_hash(await ing.salt.current(), job.site.key, job.req.ip, user_agent),
        client=client_of(user_agent),
        retention_days=job.site.retention_days,
    )
    if job.rows:
        try:
            await ing.spool.append(frames.pack(job.kind, ctx, job.stored), job.rows)
        except SpoolFull as exc:
            raise Rejected(503, "spool", f"ingestion is saturated: {exc}", RETRY_AFTER_FULL,
                           reason="spool_full") from None
        except OSError as exc:  # disk full or failing: the request is not durable, so not accepted
            raise Rejected(503, "spool", f"spool write failed: {exc.strerror or exc}", RETRY_AFTER_FULL,
                           reason="spool_error") from None
    job.undo = None  # stored: nothing to give back


# -- a batch --------------------------------------------------------------------------

def read_batch(ing: Ingestor, job: Job[wire.Batch]) -> None:
    """The body within its size limit, gunzipped and decoded (400, 413, 415); only an invalid
    envelope refuses the batch, invalid events are set aside (decode.py)."""
    raw = unwrap(job.req.body, job.req.headers.get("content-encoding", ""), ing.config.max_body_kb * 1024)
    job.record, job.invalid = decode_batch(raw)
    job.cost = len(raw)
    job.kind = frames.BATCH


def check_event_count(ing: Ingestor, job: Job[wire.Batch]) -> None:
    """At most --max-events events, the invalid ones included (413)."""
    if len(job.record.events) + len(job.invalid) > ing.config.max_events:
        raise Rejected(413, "$.e", f"at most {ing.config.max_events} events per batch")


def drop_old_events(ing: Ingestor, job: Job[wire.Batch]) -> None:
    """Events dated too long before they arrived are set aside with the invalid ones (times.py)."""
    job.record, job.invalid = ing.in_time(job.record, job.invalid)
    job.rows = len(job.record.events)


def drop_duplicate(ing: Ingestor, job: Job[wire.Batch]) -> Drop | None:
    """A batch id seen lately from the site (a retried beacon). A new id is claimed here, before
    the first await: a retry arriving while this copy is made durable (a keepalive fetch outliving
    its page, resent by the next page) is then a duplicate. Given back if this copy is not stored."""
    if not job.record.batch_id:
        return None
    claim = f"{job.site.key}\x00{job.record.batch_id}"
    if claim in ing.recent:
        return Drop.DUPLICATE
    ing.recent.add(claim)
    job.undo = lambda: ing.recent.discard(claim)
    return None


def cut_urls(ing: Ingestor, job: Job[wire.Batch]) -> None:
    """Query strings and fragments cut from the batch's URLs before the spool (urls.py)."""
    job.stored = urls.clean_batch(job.record)


def ask_for_replay(ing: Ingestor, job: Job[wire.Batch]) -> None:
    """The session is known here from now on (its recording may follow), and the answer says
    whether to record it, or to take one snapshot of the page for heatmaps."""
    batch, site = job.record, job.site
    ing.recordings.saw(site.key, batch.session_id)
    if sampled(batch.session_id, site.replay_sample):
        job.replay = True
    elif ing.snapshots.wanted(site, batch):
        job.replay = "snapshot"


BATCH_STEPS = steps(read_batch, check_event_count, check_site, check_rate, drop_old_events, drop_unwanted,
                    drop_duplicate, cut_urls, spool_frame, ask_for_replay)


# -- a replay chunk or page snapshot --------------------------------------------------

def read_chunk(ing: Ingestor, job: Job[wire.ReplayChunk]) -> None:
    """The body within its size limit, gunzipped and decoded, its data inflated if the browser
    gzipped it (400, 413, 415)."""
    limit = ing.config.max_replay_kb * 1024
    raw = unwrap(job.req.body, job.req.headers.get("content-encoding", ""), limit)
    chunk = inflate(decode(raw, wire.replay_decoder), limit, len(job.req.body))
    job.record = chunk
    job.cost = max(len(raw), len(chunk.data))
    job.kind = frames.SNAPSHOT if chunk.snapshot else frames.REPLAY
    job.rows = 1


def check_snapshot_url(ing: Ingestor, job: Job[wire.ReplayChunk]) -> None:
    """A page snapshot names its page (400)."""
    if job.record.snapshot and not job.record.url:
        raise Rejected(400, "$.url", "a page snapshot needs the page's url")


def clamp_start(ing: Ingestor, job: Job[wire.ReplayChunk]) -> None:
    """A start time outside the window (times.py) is dropped: the chunk is stored at its receive time."""
    chunk = job.record
    if chunk.started_at is not None and not times.in_window(chunk.started_at, now_ms(), chunk.sent_at):
        job.record = msgspec.structs.replace(chunk, started_at=None)
        ing.counters.add("clamped.replay_time")


def cut_chunk_urls(ing: Ingestor, job: Job[wire.ReplayChunk]) -> None:
    """The page's query string and fragment cut from the data and the snapshot's page before the
    spool, and before the part is compared with a copy taken before (urls.py)."""
    job.record = job.stored = urls.clean_chunk(job.record)


async def check_ownership(ing: Ingestor, job: Job[wire.ReplayChunk]) -> Drop | None:
    """A snapshot only of a page asked for, a recording part only of a session seen from the site,
    never replacing a stored part (409, ownership.py); the same part again is a duplicate. A new
    part is claimed here, given back if it is not stored."""
    chunk, key = job.record, job.site.key
    if chunk.snapshot:
        ing.snapshots.take(key, chunk)
        return None
    if await ing.recordings.check(key, chunk) is Drop.DUPLICATE:
        return Drop.DUPLICATE
    job.undo = lambda: ing.recordings.forget(key, chunk)
    return None


REPLAY_STEPS = steps(read_chunk, check_snapshot_url, check_site, check_rate, clamp_start, cut_chunk_urls,
                     drop_unwanted, check_ownership, spool_frame)


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

    async def batch(self, req: Request) -> Outcome:
        return await self.run(BATCH_STEPS, Job(req))

    async def replay(self, req: Request) -> Outcome:
        return await self.run(REPLAY_STEPS, Job(req))

    async def run(self, pipeline: tuple[tuple[Step, bool], ...], job: Job[Any]) -> Outcome:
        """The steps in order, until one drops or refuses the request; its outcome counted once:
        accepted (by kind), dropped.<reason> or rejected.<reason>."""
        try:
            for step, waits in pipeline:
                dropped = await step(self, job) if waits else step(self, job)
                if dropped is not None:
                    self.counters.add(f"dropped.{dropped.value}")
                    return Outcome(dropped=dropped)
        except BaseException as exc:
            if job.undo is not None:
                job.undo()  # not stored: the sender's retry must be let in
            if isinstance(exc, Rejected):
                self.counters.add(f"rejected.{exc.reason}")
            raise
        self.counters.add(ACCEPTED[job.kind])
        if job.kind == frames.BATCH:
            self.counters.add("accepted.rows", job.rows)
        return Outcome(accepted=job.rows, invalid=job.invalid, replay=job.replay)

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
