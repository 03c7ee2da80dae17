"""Accounts, login sessions and tokens on the embedded store: the cost of a password check, what a
wrong email reveals, rehashing, generations that end sessions, and what old tokens become."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import pytest

from footfall.store import accounts, login_sessions, tokens
from footfall.store.clock import now
from footfall.web.dashboard.session import MAX_FAILURES, MAX_FAILURES_PER_IP, LoginThrottle


def email() -> str:
    return f"u-{uuid.uuid4().hex[:10]}@shop.test"


def old_hash(password: str, n: int = 2**14) -> str:
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    return f"scrypt${n}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_passwords_are_hashed_at_owasps_minimum_cost(store: Any) -> None:
    who = email()
    accounts.create(store, who, "long-enough-1", "viewer")
    stored = accounts.find(store, who)
    assert stored is not None and stored.password_hash.startswith(f"scrypt${2**17}$8$1$")
    assert accounts.authenticate(store, who, "long-enough-1") is not None
    assert accounts.authenticate(store, who, "long-enough-2") is None


def test_an_unknown_email_costs_one_full_check_like_a_wrong_password(store: Any, monkeypatch: Any) -> None:
    who = email()
    accounts.create(store, who, "long-enough-1", "viewer")
    costs: list[int] = []
    real = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        costs.append(kwargs["n"])
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts.hashlib, "scrypt", counted)
    assert accounts.authenticate(store, who, "wrong-password") is None
    assert accounts.authenticate(store, "nobody-" + who, "wrong-password") is None
    accounts.delete(store, who)
    assert accounts.authenticate(store, who, "long-enough-1") is None  # deleted: still one check
    assert costs == [2**17, 2**17, 2**17]


def test_an_older_hash_is_redone_at_the_next_login_and_its_sessions_survive(store: Any) -> None:
    who = email()
    stamp = now()
    store.insert_rows("users", accounts.COLUMNS, [[who, old_hash("old-cost-pass"), "viewer", stamp, stamp, 0, 3]])
    user = accounts.authenticate(store, who, "old-cost-pass")
    assert user is not None and user.generation == 3
    session = login_sessions.start(store, user)
    assert accounts.authenticate(store, who, "old-cost-pass") is not None
    rehashed = accounts.find(store, who)
    assert rehashed is not None and rehashed.password_hash.startswith(f"scrypt${2**17}$")
    assert rehashed.generation == 3 and login_sessions.lookup(store, session) == {"email": who, "role": "viewer"}


def test_a_stored_hash_cannot_ask_for_a_higher_cost() -> None:
    assert not accounts.verify_password("x", old_hash("x", n=2**14).replace(f"${2**14}$", f"${2**20}$"))


def test_sessions_end_with_logout_and_each_change_of_the_user(store: Any) -> None:
    admin = email()
    accounts.create(store, admin, "admin-pass-1", "admin")  # so that the user below is never the last admin
    who = email()
    accounts.create(store, who, "first-pass-1", "admin")

    def new_session() -> str:
        user = accounts.authenticate(store, who, password)
        assert user is not None
        return login_sessions.start(store, user)

    password = "first-pass-1"
    kept, ended = new_session(), new_session()
    login_sessions.end(store, ended)
    assert login_sessions.lookup(store, kept) == {"email": who, "role": "admin"}
    assert login_sessions.lookup(store, ended) is None
    accounts.set_password(store, who, "second-pass-2")
    password = "second-pass-2"
    assert login_sessions.lookup(store, kept) is None
    demoted = new_session()
    accounts.set_role(store, who, "viewer")
    assert login_sessions.lookup(store, demoted) is None
    as_viewer = new_session()
    assert login_sessions.lookup(store, as_viewer) == {"email": who, "role": "viewer"}
    accounts.delete(store, who)
    assert login_sessions.lookup(store, as_viewer) is None
    # Created again with the same email, the old sessions stay ended.
    accounts.create(store, who, "third-pass-3", "viewer")
    assert login_sessions.lookup(store, as_viewer) is None
    assert login_sessions.lookup(store, "made-up-session-id") is None


def test_existing_users_change_only_on_request_and_an_admin_always_remains(store: Any) -> None:
    who = email()
    accounts.create(store, who, "first-pass-1", "viewer")
    with pytest.raises(ValueError, match="already exists"):
        accounts.create(store, who, "other-pass-2", "admin")
    assert accounts.create(store, who, "other-pass-2", "admin", update=True) == {"email": who, "role": "admin"}
    admins = [u["email"] for u in accounts.list_all(store) if u["role"] == "admin"]
    for other in admins:
        if other != who:
            accounts.delete(store, other)
    with pytest.raises(ValueError, match="last administrator"):
        accounts.delete(store, who)
    with pytest.raises(ValueError, match="last administrator"):
        accounts.set_role(store, who, "viewer")


def test_tokens_made_before_scopes_keep_admin_and_new_ones_read(store: Any) -> None:
    before = tokens.PREFIX + uuid.uuid4().hex
    stamp = now()
    # A row as the tokens table held it before migration 0009: no scope column given.
    store.insert_rows("api_tokens", ["token_hash", "name", "site", "created", "updated", "revoked"],
                      [[tokens.digest(before), "old", "", stamp, stamp, 0]])
    grant = tokens.lookup(store, before)
    assert grant is not None and grant.scope == "admin"
    made = tokens.create(store, "new")
    assert tokens.lookup(store, made) == tokens.Grant("new", "", "read")
    listed = {t["name"]: t for t in tokens.list_all(store)}
    token_id = str(listed["new"]["id"])
    assert tokens.revoke(store, token_id)["revoked"] == "true"
    assert tokens.lookup(store, made) is None
    with pytest.raises(ValueError, match="at least 8 hex digits"):
        tokens.revoke(store, "abc")


def test_the_login_throttle_limits_one_address_across_emails_and_forgets_the_oldest_first() -> None:
    throttle = LoginThrottle(max_keys=50)
    for i in range(MAX_FAILURES_PER_IP):
        assert throttle.wait(("10.0.0.1", f"user{i}@x.test"), now=100.0) == 0
        throttle.failed(("10.0.0.1", f"user{i}@x.test"), now=100.0)
    assert throttle.wait(("10.0.0.1", "fresh@x.test"), now=101.0) > 0  # a new email does not help
    assert throttle.wait(("10.0.0.2", "fresh@x.test"), now=101.0) == 0  # another address is not held
    assert throttle.wait(("10.0.0.1", "fresh@x.test"), now=161.0) == 0  # a minute later
    # The table full: the pair being attacked is remembered, old ones go first.
    target = ("10.0.0.9", "admin@x.test")
    for i in range(MAX_FAILURES):
        throttle.failed(target, now=200.0 + i)
    for i in range(30):
        throttle.failed((f"10.1.0.{i}", "noise@x.test"), now=205.0)
        throttle.failed(target, now=205.0) if i % 10 == 0 else None
    assert throttle.wait(target, now=206.0) > 0
    assert len(throttle.failures) <= 50
