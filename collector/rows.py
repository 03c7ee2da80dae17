"""How an accepted request becomes table rows: the server's facts and the documented limits.

The rows themselves are made inside ClickHouse, by the materialized views of
store/migrations/0002_ingest_views.sql, which apply these limits. They are kept here too
because docs/wire-format.md and the tests read them.
"""

from __future__ import annotations

import dataclasses

from footfall.collector.enrich import Client

# Longer strings are truncated (to this many characters), not refused: the rest of the batch
# is still worth keeping.
MAX_TEXT = {
    "url": 2048,
    "referrer": 2048,
    "title": 300,
    "selector": 512,
    "text": 100,
    "message": 1024,
    "stack": 8192,
    "source": 2048,
    "name": 128,
    "props": 4096,
    "utm": 256,
    "attribution": 4096,
}
# Event times more than this far ahead of the server's clock are clamped to it.
MAX_FUTURE_MS = 60_000


@dataclasses.dataclass(frozen=True)
class Context:
    """Per-request facts the server knows: who sent it, when, and the site's retention."""

    received_ms: int
    visitor_id: str
    client: Client
    retention_days: int
