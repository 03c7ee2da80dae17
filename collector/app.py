"""One Starlette app: ingestion, the read API, the snippet, and (as they land) the dashboard pages."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from . import api
from .admin import SOCKET_NAME, AdminServer
from .auth import TokenCache
from .demo import shop
from .ingest.routes import ASGIApp, IngestLane
from .runtime import Runtime
from .settings import Config

log = logging.getLogger("footfall")


def snippet_bytes() -> bytes:
    return (resources.files("collector") / "static" / "f.js").read_bytes()


def create_app(config: Config, runtime: Runtime | None = None, on_started: Any = None) -> ASGIApp:
    runtime = runtime or Runtime(config)
    store = runtime.store_or_open()
    token_cache = TokenCache(store)
    script = snippet_bytes()

    async def snippet(request: Request) -> Response:
        return Response(
            script,
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )

    async def home(request: Request) -> Response:
        # Until the dashboard lands: say that Footfall runs and where to go next.
        return HTMLResponse(HOME)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()

        async def after_command(name: str, result: dict[str, Any]) -> None:
            if name == "site.create":  # live at once in this collector, with all its settings
                await store.run(runtime.sites.reload)

        admin = AdminServer(config.data_dir / SOCKET_NAME, store, after_command)
        await admin.start()
        app.state.runtime = runtime
        if on_started:
            await on_started(runtime)
        # What exists now (libraries, the store's client, caches) lives as long as the process:
        # kept out of the collector's full passes, which then stay short under load.
        gc.freeze()
        try:
            yield
        finally:
            await admin.stop()
            await runtime.stop()

    routes = [
        *api.routes(store, token_cache, runtime.ingestor.counters),
        Route("/", home),
        Route("/f.js", snippet),
        *shop.routes(),
    ]
    return IngestLane(Starlette(routes=routes, lifespan=lifespan), runtime.ingestor)


HOME = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Footfall</title>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>Footfall is running</h1>
<p>Visit the <a href="/demo/shop/">demo shop</a>: it carries the snippet, so your visit is recorded.</p>
<p>Create a site with <code>footfall site create NAME --origin ORIGIN</code>, an API token with
<code>footfall token create NAME</code>, and read counts from
<code>/api/v1/sites/SITE/events/count</code> (<a href="/api/openapi.json">OpenAPI</a>).</p>
</body></html>
"""
