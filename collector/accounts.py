"""Dashboard users: scrypt password hashes (memory-hard, standard library), roles."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from .clock import now
from .store import Store

ROLES = ("admin", "viewer")
# scrypt cost: 16 MiB of memory per hash, about 50 ms on one core.
N, R, P = 2**14, 8, 1
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${N}${R}${P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def create(store: Store, email: str, password: str, role: str = "viewer") -> dict[str, str]:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"not an email address: {email!r}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    stamp = now()
    store.insert_rows(
        "users",
        ["email", "password_hash", "role", "created", "updated", "deleted"],
        [[email, hash_password(password), role, stamp, stamp, 0]],
    )
    return {"email": email, "role": role}


def authenticate(store: Store, email: str, password: str) -> dict[str, str] | None:
    found = store.rows(
        "SELECT password_hash, role FROM users FINAL WHERE email = {e:String} AND deleted = 0",
        {"e": email.strip().lower()},
    )
    if not found or not verify_password(password, found[0][0]):
        return None
    return {"email": email.strip().lower(), "role": found[0][1]}


def list_all(store: Store) -> list[dict[str, str]]:
    rows = store.rows("SELECT email, role FROM users FINAL WHERE deleted = 0 ORDER BY email")
    return [{"email": email, "role": role} for email, role in rows]
