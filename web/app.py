"""One Starlette app: ingestion, the read API, the snippet and the dashboard, behind dashboard/guards.py."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from footfall.collector.routes import TIMEOUT_BODY, TIMEOUT_HEADERS, ASGIApp, BodyTimeout, IngestLane
from footfall.demo import shop
from footfall.store import login_sessions
from footfall.web import (
    anomalies_api,
    api,
    funnels_api,
    health,
    heatmaps_api,
    metrics,
    openapi,
    performance_api,
    sessions_api,
    stats_api,
)
from footfall.web.access import SESSION_COOKIE, guard_routes, networks
from footfall.web.admin import SOCKET_NAME, AdminServer
from footfall.web.auth import TokenCache
from footfall.web.commands import defaults as command_defaults
from footfall.web.dashboard import (
    admin_pages,
    alerts_page,
    anomalies_page,
    errors_page,
    funnels_page,
    goals_page,
    heatmaps_page,
    overview_page,
    performance_page,
    replays_pages,
    session,
    sites_pages,
)
from footfall.web.dashboard.guards import SecureCookieOnHttps, SecurityHeaders
from footfall.web.runtime import Runtime, secret_of
from footfall.web.settings import Config
from footfall.web.static_files import StaticFiles

log = logging.getLogger("footfall")


async def body_timeout(request: Request, exc: Exception) -> Response:
    """A route's body did not arrive in time (see IngestLane): 408, and the connection is closed."""
    return Response(TIMEOUT_BODY, 408, headers={k.decode(): v.decode() for k, v in TIMEOUT_HEADERS})


def route_table(store: Any, token_cache: Any, counters: Any) -> list[Route | Mount]:
    """Every route of the app, unguarded: create_app puts each behind its rules in web/access.py
    (tests enumerate it against that table)."""
    files = StaticFiles()  # read once; compressed once per process (web/static_files.py)
    return [
        *api.routes(store, counters),
        *metrics.routes(),
        *health.routes(),
        *openapi.routes(),
        *sessions_api.routes(store),
        *heatmaps_api.routes(store),
        *funnels_api.routes(store),
        *performance_api.routes(store),
        *stats_api.routes(store),
        *anomalies_api.routes(store),
        *session.routes(store),
        *sites_pages.routes(store),
        *overview_page.routes(store),
        *replays_pages.routes(store),
        *heatmaps_page.routes(store),
        *funnels_page.routes(store),
        *goals_page.routes(store),
        *performance_page.routes(store),
        *errors_page.routes(store),
        *anomalies_page.routes(store),
        *alerts_page.routes(store),
        *admin_pages.routes(store, token_cache),
        files.script_route("/f.js", "f.js"),
        files.script_route("/replay.js", "replay.js"),
        files.mount("/static"),
        *shop.routes(),
    ]


def create_app(config: Config, runtime: Runtime | None = None, on_started: Any = None) -> ASGIApp:
    runtime = runtime or Runtime(config)
    store = runtime.store_or_open()
    token_cache = TokenCache(store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()

        async def after_command(name: str, result: dict[str, Any]) -> None:
            if name in ("site.create", "site.delete"):  # live at once in this collector
                await store.run(runtime.sites.reload)
            if name == "token.revoke":  # refused at once here, by other collectors within 30 s
                token_cache.entries.clear()
            if name == "spool.retry":  # the writer takes the segments back at once
                runtime.spool.size += int(result.get("bytes", 0))
                runtime.spool.sealed_event.set()

        admin = AdminServer(config.data_dir / SOCKET_NAME, store, after_command, command_defaults(config))
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

    measured = metrics.Metrics(runtime)
    routes = guard_routes(route_table(store, token_cache, runtime.ingestor.counters), store, token_cache,
                          operators=networks(config.metrics_allow))
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SecureCookieOnHttps),
        Middleware(SessionMiddleware, secret_key=secret_of(config), session_cookie=SESSION_COOKIE,
                   max_age=login_sessions.HOURS * 3600, same_site="lax", https_only=config.secure_cookies),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={BodyTimeout: body_timeout})
    app.state.runtime = runtime
    app.state.metrics = measured
    app.state.readiness = health.Readiness(runtime, config.readiness_max_lag_s, config.readiness_max_spool_share)
    lane = IngestLane(app, runtime.ingestor)
    return metrics.HttpMetrics(lane, measured.http, lane.endpoints)
