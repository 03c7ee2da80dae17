"""Whose recording a replay chunk may add to: a session this collector (or the store) has seen
from the site, a part not stored before, and a page snapshot only where one was asked for.

The site key is public, so anyone can post a chunk. Without these checks, whoever learned a
session id could replace its recording part by part (the store keeps the newest copy of a part)
or a page's heatmap snapshot, and chunks of sessions that never had a page view were stored and
served. A part this collector took keeps its content's digest: the same content again (a retry)
is a duplicate, other content is refused. A part stored by another collector or before a restart
is refused outright (a sender retrying it has nothing left to deliver).
"""

from __future__ import annotations

import collections
import hashlib
import time
import zlib

from footfall.collector import wire
from footfall.collector.rejection import Drop, Rejected
from footfall.store import Store
from footfall.store.sites import Site
from footfall.store.vocabulary import device_class, page_path

KNOWN_SESSION = (
    "SELECT 1 FROM session_index WHERE site = {site:String} AND session_id = {sid:String} LIMIT 1"
)
STORED_PART = (
    "SELECT 1 FROM replay_chunks WHERE site = {site:String} AND session_id = {sid:String} "
    "AND seq = {seq:UInt32} LIMIT 1"
)


def conflict(field: str, message: str) -> Rejected:
    """A part or snapshot refused (409), counted by the field at fault: rejected.409.seq."""
    return Rejected(409, field, message, reason=f"409.{field}")


class _Bounded(collections.OrderedDict):  # type: ignore[type-arg]
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: object, value: object) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class SnapshotWants:
    """Which page views to ask for a heatmap snapshot of, for sessions not recorded for replay: a
    share of page views (the site's heatmap rate, the same answer for a page view's every batch),
    at most one ask per page and device class every ASK_EVERY_S on this collector. A snapshot is
    then taken only for a (session, page) asked for, once."""

    ASK_EVERY_S = 600.0

    def __init__(self, size: int = 10_000) -> None:
        self.asked = _Bounded(size)  # (site, page, device) -> when
        self.open = _Bounded(size)  # (site, session, page) -> when, until its snapshot arrives

    def wanted(self, site: Site, batch: wire.Batch) -> bool:
        if site.heatmap_sample <= 0 or not any(isinstance(e, wire.PageView) for e in batch.events):
            return False
        if zlib.crc32(batch.pageview_id.encode()) >= site.heatmap_sample * 2**32:
            return False
        key = (site.key, page_path(batch.url), device_class(batch.viewport_width))
        now = time.monotonic()
        if now - self.asked.get(key, -self.ASK_EVERY_S) < self.ASK_EVERY_S:
            return False
        self.asked.put(key, now)
        self.open.put((site.key, batch.session_id, key[1]), now)
        return True

    def take(self, site: str, chunk: wire.ReplayChunk) -> None:
        """A snapshot may come once for a page view asked for, within ASK_EVERY_S."""
        asked = self.open.pop((site, chunk.session_id, page_path(chunk.url)), None)
        if asked is None or time.monotonic() - asked > self.ASK_EVERY_S:
            raise conflict("snap", "no snapshot of this page was asked for in this session")


class Recordings:
    def __init__(self, store: Store, size: int = 200_000) -> None:
        self.store = store
        self.sessions = _Bounded(size)  # (site, session) seen in a batch here
        self.parts = _Bounded(size)  # (site, session, seq) -> digest of the part taken here

    def saw(self, site: str, session_id: str) -> None:
        self.sessions.put((site, session_id), None)

    async def check(self, site: str, chunk: wire.ReplayChunk) -> Drop | None:
        """None: store the part. Drop.DUPLICATE: taken already, the same. Rejected: refused."""
        params = {"site": site, "sid": chunk.session_id, "seq": chunk.seq}
        if (site, chunk.session_id) not in self.sessions:
            if not await self.store.run(self.store.rows, KNOWN_SESSION, params):
                raise conflict("sid", "no page view of this session has been received from this site")
            self.saw(site, chunk.session_id)
        key = (site, chunk.session_id, chunk.seq)
        digest = hashlib.blake2b(chunk.data.encode(), digest_size=16).digest()
        taken = self.parts.get(key)
        if taken is not None:
            if taken == digest:
                return Drop.DUPLICATE
            raise conflict("seq", "this part of the recording is already stored")
        if await self.store.run(self.store.rows, STORED_PART, params):
            raise conflict("seq", "this part of the recording is already stored")
        self.parts.put(key, digest)
        return None

    def forget(self, site: str, chunk: wire.ReplayChunk) -> None:
        """The part was not stored after all (the spool refused it): a retry must be let in."""
        self.parts.pop((site, chunk.session_id, chunk.seq), None)
