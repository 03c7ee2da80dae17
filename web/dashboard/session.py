"""Logging in and out: scrypt-checked passwords, a session kept in the store (the cookie holds its id), rate
limits per client and email and per client."""

from __future__ import annotations

import asyncio
import collections
import time
from functools import partial

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from footfall.store import Store, accounts, login_sessions
from footfall.web.access import session_user
from footfall.web.dashboard.render import page

# After this many failed logins within the window, for one client IP and email, the next attempts
# are refused until the oldest failure leaves the window; one IP is also limited across all emails.
MAX_FAILURES = 5
MAX_FAILURES_PER_IP = 20
WINDOW_SECONDS = 60.0
# Keys remembered at most; past that the least recently failed are forgotten first, never all at once.
MAX_KEYS = 100_000
# scrypt at OWASP's cost takes 128 MiB: at most this many run at once, whatever arrives.
CONCURRENT_CHECKS = 2


class LoginThrottle:
    """Failed logins per (client IP, email) and per client IP; a success clears the pair's."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.failures: collections.OrderedDict[tuple[str, str], list[float]] = collections.OrderedDict()
        self.max_keys = max_keys

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        recent = [t for t in self.failures.get(key, []) if now - t < WINDOW_SECONDS]
        if recent:
            self.failures[key] = recent
        else:
            self.failures.pop(key, None)
        return recent

    def wait(self, key: tuple[str, str], now: float | None = None) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        now = time.monotonic() if now is None else now
        waits = [0]
        for each, limit in ((key, MAX_FAILURES), ((key[0], ""), MAX_FAILURES_PER_IP)):
            recent = self._recent(each, now)
            if len(recent) >= limit:
                waits.append(int(WINDOW_SECONDS - (now - recent[-limit])) + 1)
        return max(waits)

    def failed(self, key: tuple[str, str], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for each in (key, (key[0], "")):
            self.failures.setdefault(each, []).append(now)
            self.failures.move_to_end(each)
        while len(self.failures) > self.max_keys:
            self.failures.popitem(last=False)

    def succeeded(self, key: tuple[str, str]) -> None:
        self.failures.pop(key, None)


def safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def login_form(store: Store, request: Request) -> Response:
    if await session_user(request, store):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return page(request, "login.html", next=safe_next(request.query_params.get("next")),
                changed=request.query_params.get("changed") == "1",
                demo=getattr(request.app.state.runtime, "demo_login", None))


async def login(store: Store, throttle: LoginThrottle, checks: asyncio.Semaphore, request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    key = (request.client.host if request.client else "", email)
    wait = throttle.wait(key)
    if wait:
        return page(request, "login.html", status=429, email=email, next=target,
                    error=f"Too many attempts. Wait {wait} seconds and try again.")
    user = None
    if email and password and len(password) <= 1024:
        async with checks:
            user = await store.run(accounts.authenticate, store, email, password)
    if user is None:
        throttle.failed(key)
        return page(request, "login.html", status=401, email=email, next=target,
                    error="Wrong email or password.")
    throttle.succeeded(key)
    request.session.clear()  # a new session on login: nothing carried over from before
    request.session["sid"] = await store.run(login_sessions.start, store, user)
    return RedirectResponse(target, status_code=303)


async def logout(store: Store, request: Request) -> Response:
    """Ends this session in the store (every collector refuses its cookie from now on)."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        await store.run(login_sessions.end, store, session_id)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def routes(store: Store) -> list[Route]:
    throttle = LoginThrottle()
    checks = asyncio.Semaphore(CONCURRENT_CHECKS)
    return [
        Route("/login", partial(login_form, store), methods=["GET"]),
        Route("/login", partial(login, store, throttle, checks), methods=["POST"]),
        Route("/logout", partial(logout, store), methods=["POST"]),
    ]
