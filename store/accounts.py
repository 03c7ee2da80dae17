"""Dashboard users: scrypt password hashes (memory-hard, standard library), roles, and a generation
that every change a session must not outlive raises (password, role, deletion)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import secrets

from footfall.store import Store
from footfall.store.clock import now

ROLES = ("admin", "viewer")
# OWASP's minimum for scrypt: N=2^17, r=8, p=1 (128 MiB and about 0.6 s on one core here).
# Hashes made with a lower cost are redone at the next successful login.
N, R, P = 2**17, 8, 1
MAX_MEMORY = 256 * 2**20
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COLUMNS = ["email", "password_hash", "role", "created", "updated", "deleted", "generation"]


@dataclasses.dataclass(frozen=True)
class User:
    email: str
    password_hash: str
    role: str
    created: object
    deleted: bool
    generation: int


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=MAX_MEMORY, dklen=32)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${N}${R}${P}${encoded[0]}${encoded[1]}"


# Checked against when the email is unknown, so a wrong email costs what a wrong password costs.
_DUMMY_HASH = f"scrypt${N}${R}${P}${base64.b64encode(bytes(16)).decode()}${base64.b64encode(bytes(32)).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        if int(n) > N or int(r) > R or int(p) > P:
            return False  # never let a stored hash choose a cost above ours
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            maxmem=MAX_MEMORY, dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def outdated(stored: str) -> bool:
    """Made with a cost other than today's: rehashed at the next successful login."""
    return not stored.startswith(f"scrypt${N}${R}${P}$")


def normal_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str) -> None:
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    if len(password) > 1024:
        raise ValueError("password must have at most 1024 characters")


def find(store: Store, email: str) -> User | None:
    """The user's newest row, deleted or not."""
    found = store.rows(
        "SELECT email, password_hash, role, created, deleted, generation FROM users FINAL "
        "WHERE email = {e:String}", {"e": normal_email(email)})
    if not found:
        return None
    email, digest, role, created, deleted, generation = found[0]
    return User(email, digest, role, created, bool(deleted), int(generation))


def _write(store: Store, user: User) -> None:
    store.insert_rows("users", COLUMNS, [[user.email, user.password_hash, user.role, user.created, now(),
                                          int(user.deleted), user.generation]])


def create(store: Store, email: str, password: str, role: str = "viewer", update: bool = False) -> dict[str, str]:
    """A new user; an existing one only with `update` (then its password and role change and its
    sessions end)."""
    email = normal_email(email)
    if not _EMAIL.match(email):
        raise ValueError(f"not an email address: {email!r}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    check_password(password)
    existing = find(store, email)
    if existing and not existing.deleted and not update:
        raise ValueError(f"user {email} already exists (use --update to change its password and role)")
    if existing and not existing.deleted and existing.role == "admin" and role != "admin":
        _keep_an_admin(store, email)
    generation = existing.generation + 1 if existing else 0
    created = existing.created if existing and not existing.deleted else now()
    _write(store, User(email, hash_password(password), role, created, False, generation))
    return {"email": email, "role": role}


def authenticate(store: Store, email: str, password: str) -> User | None:
    """The user, if the password is theirs. One scrypt whether or not the email exists."""
    user = find(store, email)
    live = user is not None and not user.deleted
    valid = verify_password(password, user.password_hash if live and user else _DUMMY_HASH)
    if not (live and valid and user):
        return None
    if outdated(user.password_hash):
        _write(store, dataclasses.replace(user, password_hash=hash_password(password)))
    return user


def _existing(store: Store, email: str) -> User:
    user = find(store, email)
    if user is None or user.deleted:
        raise ValueError(f"no user {normal_email(email)}")
    return user


def _keep_an_admin(store: Store, email: str) -> None:
    others = store.scalar("SELECT count() FROM users FINAL WHERE deleted = 0 AND role = 'admin' "
                          "AND email != {e:String}", {"e": normal_email(email)})
    if not others:
        raise ValueError(f"{normal_email(email)} is the last administrator: make another one first")


def set_password(store: Store, email: str, password: str) -> dict[str, str]:
    user = _existing(store, email)
    check_password(password)
    _write(store, dataclasses.replace(user, password_hash=hash_password(password), generation=user.generation + 1))
    return {"email": user.email, "role": user.role}


def set_role(store: Store, email: str, role: str) -> dict[str, str]:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user = _existing(store, email)
    if user.role == role:
        return {"email": user.email, "role": role}
    if user.role == "admin":
        _keep_an_admin(store, email)
    _write(store, dataclasses.replace(user, role=role, generation=user.generation + 1))
    return {"email": user.email, "role": role}


def delete(store: Store, email: str) -> dict[str, str]:
    user = _existing(store, email)
    if user.role == "admin":
        _keep_an_admin(store, email)
    _write(store, dataclasses.replace(user, deleted=True, generation=user.generation + 1))
    return {"email": user.email, "deleted": "true"}


def list_all(store: Store) -> list[dict[str, str]]:
    rows = store.rows("SELECT email, role FROM users FINAL WHERE deleted = 0 ORDER BY email")
    return [{"email": email, "role": role} for email, role in rows]
