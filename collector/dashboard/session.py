"""Logging in and out: scrypt-checked passwords, a signed session cookie, a rate limit per client and email."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import accounts
from ..store import Store
from .render import page

# After this many failed logins within the window, for one client IP and email, the next
# attempts are refused until the oldest failure leaves the window.
MAX_FAILURES = 5
WINDOW_SECONDS = 60.0


class LoginThrottle:
    """Failed logins per (client IP, email); a success clears them."""

    def __init__(self) -> None:
        self.failures: dict[tuple[str, str], list[float]] = {}

    def wait(self, key: tuple[str, str], now: float | None = None) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        now = time.monotonic() if now is None else now
        recent = [t for t in self.failures.get(key, []) if now - t < WINDOW_SECONDS]
        if recent:
            self.failures[key] = recent
        else:
            self.failures.pop(key, None)
        return int(WINDOW_SECONDS - (now - recent[0])) + 1 if len(recent) >= MAX_FAILURES else 0

    def failed(self, key: tuple[str, str]) -> None:
        if len(self.failures) > 100_000:
            self.failures.clear()
        self.failures.setdefault(key, []).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        self.failures.pop(key, None)


def safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def routes(store: Store) -> list[Route]:
    throttle = LoginThrottle()

    async def login_form(request: Request) -> Response:
        if request.session.get("user"):
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        return page(request, "login.html", next=safe_next(request.query_params.get("next")),
                    demo=getattr(request.app.state.runtime, "demo_login", None))

    async def login(request: Request) -> Response:
        form = await request.form()
        email = str(form.get("email", "")).strip().lower()
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "/")))
        key = (request.client.host if request.client else "", email)
        wait = throttle.wait(key)
        if wait:
            return page(request, "login.html", status=429, email=email, next=target,
                        error=f"Too many attempts. Wait {wait} seconds and try again.")
        user = await store.run(accounts.authenticate, store, email, password) if email and password else None
        if user is None:
            throttle.failed(key)
            return page(request, "login.html", status=401, email=email, next=target,
                        error="Wrong email or password.")
        throttle.succeeded(key)
        request.session.clear()  # a new session on login: nothing carried over from before
        request.session.update({"user": user, "since": int(time.time())})
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
