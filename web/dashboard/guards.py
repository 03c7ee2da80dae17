"""What every request outside the ingestion lane passes, as plain ASGI middleware (outermost first):

- `SecurityHeaders`: a strict Content-Security-Policy for dashboard pages (no inline script, no
  framing except by this origin's own sandbox frames), no MIME sniffing, a referrer policy.
- Starlette's `SessionMiddleware` (itsdangerous-signed cookie) sits between these two.
- `SecureCookieOnHttps`: the session cookie is Secure whenever the request arrived over https.
Who may call each route, and the CSRF check, live in web/access.py, around every route.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_FORM_BYTES = 1 << 20

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",  # the replay and heatmap sandbox frames, served by this origin
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
])


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first use (anonymous sessions too: the login form)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


async def reply(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/demo/shop"):
            return await self.app(scope, receive, send)  # the demo shop is a site, not the dashboard

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-frame-options"]
                names = {h[0].lower() for h in headers}
                if b"content-security-policy" not in names:  # a sandbox frame route sets its own
                    headers.append((b"content-security-policy", CSP.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                            (b"cross-origin-opener-policy", b"same-origin")]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


async def check_csrf(scope: Scope, receive: Receive, send: Send) -> Receive | None:
    """A state-changing request must carry the session's CSRF token (form field `csrf` or header
    `X-CSRF-Token`). Returns a `receive` that replays the body it read, or None once it refused."""
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            await reply(send, 413, b"request too large", [(b"content-type", b"text/plain")])
            return None
    sent = _header(scope, b"x-csrf-token")
    if not sent and _header(scope, b"content-type").startswith("application/x-www-form-urlencoded"):
        sent = (parse_qs(body.decode("utf-8", "replace")).get("csrf") or [""])[0]
    expected = scope.get("session", {}).get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        message = b"This form has expired or did not come from Footfall. Go back, reload the page and try again."
        await reply(send, 403, message, [(b"content-type", b"text/plain; charset=utf-8")])
        return None
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class SecureCookieOnHttps:
    """Cookies set on a request that arrived over https (directly, or from a proxy trusted by
    --forwarded-allow-ips, which uvicorn applies to the scope) are marked Secure."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            return await self.app(scope, receive, send)

        async def secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v + b"; secure") if k.lower() == b"set-cookie" and b"secure" not in v.lower() else (k, v)
                    for k, v in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, secure)
