"""API tokens: shown once, stored as a SHA-256 hash, optionally limited to one site, scoped
`read` (every read route) or `admin` (also erase, export and anything that changes data)."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets

from footfall.store import Store
from footfall.store.clock import now

PREFIX = "ff_"
SCOPES = ("read", "admin", "metrics")  # metrics: /metrics and nothing else (a scraper holds it)
COLUMNS = ["token_hash", "name", "site", "scope", "created", "updated", "revoked"]
# A token is named in lists and by `footfall token revoke` by this many leading hex digits of its hash.
ID_LENGTH = 12


@dataclasses.dataclass(frozen=True)
class Grant:
    name: str
    site: str  # empty: every site
    scope: str = "read"

    def covers(self, site: str) -> bool:
        return not self.site or self.site == site


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(store: Store, name: str, site: str = "", scope: str = "read") -> str:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    token = PREFIX + secrets.token_urlsafe(32)
    stamp = now()
    store.insert_rows("api_tokens", COLUMNS, [[digest(token), name, site, scope, stamp, stamp, 0]])
    return token


def lookup(store: Store, token: str) -> Grant | None:
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    found = store.rows(
        "SELECT name, site, scope FROM api_tokens FINAL WHERE token_hash = {h:String} AND revoked = 0",
        {"h": digest(token)},
    )
    return Grant(found[0][0], found[0][1], found[0][2] if found[0][2] in SCOPES else "read") if found else None


def revoke(store: Store, token_id: str) -> dict[str, str]:
    """Revoke the token whose hash starts with `token_id` (at least 8 hex digits, naming one token)."""
    token_id = token_id.strip().lower()
    if len(token_id) < 8 or any(c not in "0123456789abcdef" for c in token_id):
        raise ValueError("name a token by its id: at least 8 hex digits, as `footfall token list` shows")
    found = store.rows(
        "SELECT token_hash, name, site, scope, created FROM api_tokens FINAL "
        "WHERE startsWith(token_hash, {h:String}) AND revoked = 0", {"h": token_id})
    if not found:
        raise ValueError(f"no active token with id {token_id}")
    if len(found) > 1:
        raise ValueError(f"{len(found)} tokens have ids starting {token_id}: give more digits")
    token_hash, name, site, scope, created = found[0]
    store.insert_rows("api_tokens", COLUMNS, [[token_hash, name, site, scope, created, now(), 1]])
    return {"id": token_hash[:ID_LENGTH], "name": name, "revoked": "true"}


def list_all(store: Store) -> list[dict[str, object]]:
    rows = store.rows("SELECT token_hash, name, site, scope, created, revoked FROM api_tokens FINAL "
                      "ORDER BY created DESC")
    return [{"id": h[:ID_LENGTH], "name": n, "site": s, "scope": sc, "created": c.strftime("%Y-%m-%d %H:%M"),
             "revoked": bool(r)} for h, n, s, sc, c, r in rows]
