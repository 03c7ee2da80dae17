"""API tokens: shown once, stored as a SHA-256 hash, optionally limited to one site."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets

from .clock import now
from .store import Store

PREFIX = "ff_"


@dataclasses.dataclass(frozen=True)
class Grant:
    name: str
    site: str  # empty: every site

    def covers(self, site: str) -> bool:
        return not self.site or self.site == site


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(store: Store, name: str, site: str = "") -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    stamp = now()
    store.insert_rows(
        "api_tokens",
        ["token_hash", "name", "site", "created", "updated", "revoked"],
        [[digest(token), name, site, stamp, stamp, 0]],
    )
    return token


def lookup(store: Store, token: str) -> Grant | None:
    if not token.startswith(PREFIX):
        return None
    found = store.rows(
        "SELECT name, site FROM api_tokens FINAL WHERE token_hash = {h:String} AND revoked = 0",
        {"h": digest(token)},
    )
    return Grant(found[0][0], found[0][1]) if found else None


def revoke(store: Store, token_hash: str) -> None:
    stamp = now()
    found = store.rows(
        "SELECT name, site, created FROM api_tokens FINAL WHERE token_hash = {h:String}",
        {"h": token_hash},
    )
    if found:
        name, site, created = found[0]
        store.insert_rows(
            "api_tokens",
            ["token_hash", "name", "site", "created", "updated", "revoked"],
            [[token_hash, name, site, created, stamp, 1]],
        )


def list_all(store: Store) -> list[dict[str, object]]:
    rows = store.rows("SELECT token_hash, name, site, created, revoked FROM api_tokens FINAL ORDER BY created DESC")
    return [{"token_hash": h, "name": n, "site": s, "created": c.strftime("%Y-%m-%d %H:%M"), "revoked": bool(r)}
            for h, n, s, c, r in rows]
