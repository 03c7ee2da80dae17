"""Dashboard logins kept in the store: the cookie holds a random id, the store its SHA-256, and
each request reads the session with its user's current role, so ending one takes effect at once
on every collector that shares the store."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from footfall.store import Store
from footfall.store.accounts import User
from footfall.store.clock import now

HOURS = 12
COLUMNS = ["id_hash", "email", "generation", "created", "expires", "updated", "revoked"]

LOOKUP = """
SELECT u.email, u.role
FROM (SELECT email, generation FROM login_sessions FINAL
      WHERE id_hash = {h:String} AND revoked = 0 AND expires > now64(3)) AS s
INNER JOIN (SELECT email, role, generation FROM users FINAL WHERE deleted = 0) AS u
    ON u.email = s.email AND u.generation = s.generation
"""


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(store: Store, user: User) -> str:
    """A new session for the user: its id, for the cookie only."""
    session_id = secrets.token_urlsafe(32)
    stamp = now()
    store.insert_rows("login_sessions", COLUMNS,
                      [[digest(session_id), user.email, user.generation, stamp, stamp + timedelta(hours=HOURS),
                        stamp, 0]])
    return session_id


def lookup(store: Store, session_id: str) -> dict[str, str] | None:
    """The session's user and current role, or None once it ended (expired, logged out, user changed)."""
    if not session_id or len(session_id) > 100:
        return None
    found = store.rows(LOOKUP, {"h": digest(session_id)})
    return {"email": found[0][0], "role": found[0][1]} if found else None


def end(store: Store, session_id: str) -> None:
    found = store.rows("SELECT email, generation, created, expires FROM login_sessions FINAL "
                       "WHERE id_hash = {h:String}", {"h": digest(session_id)})
    if found:
        email, generation, created, expires = found[0]
        store.insert_rows("login_sessions", COLUMNS, [[digest(session_id), email, generation, created, expires,
                                                       now(), 1]])
