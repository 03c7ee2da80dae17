"""Who is asking: an API bearer token, or a user logged in to the dashboard; every read route goes through here."""

from __future__ import annotations

import time

from starlette.requests import Request

from . import tokens
from .ingest.rejection import Rejected
from .store import Store

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


async def require_site_access(request: Request, cache: TokenCache, site: str) -> tokens.Grant:
    """A valid token for `site` (an empty site asks for one valid for every site), or a logged-in
    dashboard user, who sees every site."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header and "session" in request.scope and request.session.get("user"):
        return tokens.Grant(f"user:{request.session['user']['email']}", "")
    if scheme.lower() != "bearer" or not token:
        raise Rejected(401, "authorization", "a bearer token is required")
    grant = await cache.grant(token.strip())
    if grant is None:
        raise Rejected(401, "authorization", "unknown or revoked token")
    if not grant.covers(site) or (not site and grant.site):
        raise Rejected(403, "site", "this token is not valid for this site")
    return grant
