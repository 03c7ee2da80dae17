"""The public ingestion endpoints, POST /i/v1/batch and /i/v1/replay, with CORS.

They are plain ASGI callables reached before the Starlette router (see `IngestLane`): at
thousands of beacons a second the framework's request, response and middleware objects cost
more than validating the batch itself.

`IngestLane` is the outermost ASGI layer, so it also holds every request to its body deadline
(`--body-timeout` seconds from its headers, kept by web/connections.py): a body shorter
than its Content-Length would otherwise hold the request, and its connection, forever. The
ingestion endpoints answer 408 with their JSON error; the app's own routes get `BodyTimeout`
from `receive` and answer 408 through the handler registered in app.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from footfall.collector.pipeline import Ingestor, Outcome
from footfall.collector.pipeline import Request as IngestRequest
from footfall.collector.rejection import Rejected

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFLIGHT_HEADERS = [
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"Content-Type, Content-Encoding"),
    (b"access-control-max-age", b"86400"),
]
JSON = (b"content-type", b"application/json")
BODY_LATE = "footfall.body_late"  # the scope key web/connections.py sets
_encode = msgspec.json.Encoder().encode


class Disconnected(Exception):
    pass


class BodyTimeout(Exception):
    """The request's body did not arrive within --body-timeout seconds of its headers."""


TIMEOUT_BODY = _encode({"error": "request body not received in time", "field": "body"})
TIMEOUT_HEADERS = [JSON, (b"connection", b"close")]  # the rest of the body must not be read as a request


def receive_by(receive: Receive, scope: Scope) -> Receive:
    """`receive`, raising BodyTimeout once the connection guard (web/connections.py) has
    marked the body late and woken this request. The guard keeps one timer for every connection:
    a timer per request here would cost more than the rest of receiving a beacon."""

    async def bounded() -> MutableMapping[str, Any]:
        message = await receive()
        if message.get("more_body") and scope.get(BODY_LATE):
            raise BodyTimeout
        return message

    return bounded


async def read_body(receive: Receive, declared: str, limit: int) -> bytes:
    """The body, refusing early when it grows past the limit (Content-Length may be absent or lie)."""
    if declared.isdigit() and int(declared) > limit:
        raise Rejected(413, "body", f"body exceeds {limit} bytes")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Rejected(413, "body", f"body exceeds {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class IngestEndpoint:
    def __init__(self, handle: Callable[[IngestRequest], Awaitable[Outcome]], limit_kb: int) -> None:
        self.handle = handle
        self.limit = limit_kb * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """`receive` comes bounded by the body deadline (IngestLane)."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        # The request's own origin is echoed: the site check, not CORS, decides what is stored.
        cors = [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin")] if origin else []
        method = scope["method"]
        if method == "OPTIONS":
            return await respond(send, 204, cors + PREFLIGHT_HEADERS)
        if method != "POST":
            return await respond(send, 405, [*cors, (b"allow", b"POST, OPTIONS"), JSON],
                                 _encode({"error": "use POST", "field": "method"}))
        try:
            body = await read_body(receive, headers.get("content-length", ""), self.limit)
            client = scope.get("client")
            outcome = await self.handle(IngestRequest(body, headers, client[0] if client else ""))
        except Rejected as exc:
            extra = [(b"retry-after", str(exc.retry_after).encode())] if exc.retry_after else []
            return await respond(send, exc.status, [*cors, *extra, JSON], _encode(exc.body()))
        except BodyTimeout:
            return await respond(send, 408, [*cors, *TIMEOUT_HEADERS], TIMEOUT_BODY)
        except Disconnected:
            return
        await respond(send, 202, [*cors, JSON], _encode(outcome.body()))


class IngestLane:
    """Sends the ingestion paths straight to their endpoints and everything else to the app."""

    def __init__(self, app: ASGIApp, ingestor: Ingestor) -> None:
        self.app = app
        config = ingestor.config
        self.endpoints = {
            "/i/v1/batch": IngestEndpoint(ingestor.batch, config.max_body_kb),
            "/i/v1/replay": IngestEndpoint(ingestor.replay, config.max_replay_kb),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            receive = receive_by(receive, scope)
            endpoint = self.endpoints.get(scope["path"])
            if endpoint is not None:
                return await endpoint(scope, receive, send)
        await self.app(scope, receive, send)
