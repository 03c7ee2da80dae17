"""Readiness at GET /readyz. /healthz says the process answers; /readyz says whether it should get
traffic: the store answers a query, the spool is not filling up, and the writer keeps up. Public
like /healthz, so it shows each check's numbers and never a store's error text (it may name hosts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from footfall.web.runtime import Runtime

log = logging.getLogger("footfall.readiness")

STORE_TIMEOUT = 2.0  # seconds the store has to answer SELECT 1: under the 3 s of the compose health checks
PROBE_REUSE = 1.0  # a probe this recent answers again, so a flood of /readyz costs one query a second


class Readiness:
    def __init__(self, runtime: Runtime, max_lag: float, max_spool_share: float) -> None:
        self.runtime = runtime
        self.max_lag = max_lag
        self.max_spool_share = max_spool_share
        self._probe: asyncio.Future[str] | None = None  # running, or done: "" or the error's class
        self._probed = 0.0  # when the last probe finished (monotonic)
        self._ready: bool | None = None
        self._store_error = ""  # the last probe's error, for the log only

    async def checks(self) -> dict[str, dict[str, Any]]:
        spool = self.runtime.spool
        share = spool.size / spool.quota_bytes if spool.quota_bytes else 0.0
        lag = spool.lag()
        return {
            "store": await self.store_check(),
            "spool": {"ok": share <= self.max_spool_share, "share": round(share, 4),
                      "max_share": self.max_spool_share},
            "writer": {"ok": lag <= self.max_lag, "lag_s": round(lag, 3), "max_lag_s": self.max_lag},
        }

    async def store_check(self) -> dict[str, Any]:
        """SELECT 1 in a thread of its own, one at a time: a store that hangs holds one thread, never
        the store's pool nor a thread per request."""
        loop = asyncio.get_running_loop()
        stale = self._probe is not None and self._probe.done() and time.monotonic() - self._probed > PROBE_REUSE
        if self._probe is None or stale:
            self._probe = self._start_probe(loop)
        try:
            async with asyncio.timeout(STORE_TIMEOUT):
                error = await asyncio.shield(self._probe)
        except TimeoutError:
            error = f"no answer within {STORE_TIMEOUT:g} s"
        return {"ok": True} if not error else {"ok": False, "error": error}

    def _start_probe(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[str]:
        future: asyncio.Future[str] = loop.create_future()
        store = self.runtime.store_or_open()

        def settle(error: str) -> None:
            self._probed = time.monotonic()
            if not future.done():
                future.set_result(error)

        def probe() -> None:
            try:
                store.scalar("SELECT 1")
                error = ""
            except Exception as exc:
                self._store_error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
                error = type(exc).__name__
            with contextlib.suppress(RuntimeError):  # the loop closed while the store hung
                loop.call_soon_threadsafe(settle, error)

        # A daemon thread: one stuck on a store that never answers does not hold the process at exit.
        threading.Thread(target=probe, name="readiness-probe", daemon=True).start()
        return future

    async def answer(self) -> tuple[bool, dict[str, Any]]:
        checks = await self.checks()
        failed = [name for name, check in checks.items() if not check["ok"]]
        ready = not failed
        if ready != self._ready:
            if ready:
                log.info("readiness: ready")
            else:
                log.warning("readiness: not ready: %s", ", ".join(
                    f"{name} ({self._store_error})" if name == "store" else name for name in failed))
            self._ready = ready
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        if failed:
            body["failed"] = failed
        return ready, body


async def readyz(request: Request) -> Response:
    readiness: Readiness = request.app.state.readiness
    ready, body = await readiness.answer()
    return JSONResponse(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    """GET /readyz, reading the app's Readiness from app.state (set by create_app)."""
    return [Route("/readyz", readyz)]
