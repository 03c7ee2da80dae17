"""API bearer tokens as the access guard (web/access.py) checks them: looked up in the store, cached briefly."""

from __future__ import annotations

import time

from footfall.store import Store, tokens

CACHE_SECONDS = 30.0


class TokenCache:
    """Token lookups cached briefly: a revoked token stops working within CACHE_SECONDS."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.entries: dict[str, tuple[float, tokens.Grant | None]] = {}

    async def grant(self, token: str) -> tokens.Grant | None:
        hit = self.entries.get(token)
        if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        grant = await self.store.run(tokens.lookup, self.store, token)
        if len(self.entries) > 10_000:
            self.entries.clear()
        self.entries[token] = (time.monotonic(), grant)
        return grant
