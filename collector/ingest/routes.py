"""The public ingestion endpoints: POST /i/v1/batch and /i/v1/replay, with CORS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .pipeline import Ingestor, Outcome
from .pipeline import Request as IngestRequest
from .rejection import Rejected

PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
}


def cors(request: Request) -> dict[str, str]:
    """The request's own origin is echoed: the site check, not CORS, decides what is stored."""
    origin = request.headers.get("origin")
    if not origin:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing early when it grows past the limit (Content-Length may be absent or lie)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Rejected(413, "body", f"body exceeds {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, "body", f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def endpoint(
    ingestor: Ingestor, handle: Callable[[IngestRequest], Awaitable[Outcome]], limit_kb: int
) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        headers = cors(request)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={**headers, **PREFLIGHT_HEADERS})
        try:
            body = await read_body(request, limit_kb * 1024)
            outcome = await handle(
                IngestRequest(body, request.headers, request.client.host if request.client else "")
            )
        except Rejected as exc:
            if exc.retry_after:
                headers["Retry-After"] = str(exc.retry_after)
            return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
        except ClientDisconnect:
            return Response(status_code=400)
        return JSONResponse(outcome.body(), status_code=202, headers=headers)

    return receive


def routes(ingestor: Ingestor) -> list[Route]:
    config = ingestor.config
    return [
        Route("/i/v1/batch", endpoint(ingestor, ingestor.batch, config.max_body_kb), methods=["POST", "OPTIONS"]),
        Route(
            "/i/v1/replay",
            endpoint(ingestor, ingestor.replay, config.max_replay_kb),
            methods=["POST", "OPTIONS"],
        ),
    ]
