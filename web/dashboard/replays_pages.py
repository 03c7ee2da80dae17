"""Replays: the list of a site's sessions (filtered, sorted, paged) and the player of one session.

The player page keeps the dashboard's strict policy; the recording plays in the isolated frames of
isolated_frames.py (the shell is /sites/{key}/replays/{sid}/frame, the viewer player.js).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from footfall.analysis import signals
from footfall.collector.rejection import Rejected
from footfall.replay import sessions
from footfall.store import Store
from footfall.web.dashboard import isolated_frames, tables
from footfall.web.dashboard.context import site_or_404, site_range
from footfall.web.dashboard.filters import filter_state
from footfall.web.dashboard.labels import SIGNAL_LABELS
from footfall.web.dashboard.render import env, page, render
from footfall.web.dashboard.tables import Column, Table
from footfall.web.sessions_api import SESSION_ID, filters_of

log = logging.getLogger("footfall.dashboard")

PAGE_SIZE = 25
SIDEBAR = "<!--footfall:sidebar-->"  # where the streamed player page's sidebar goes
SORTS = (("start", "Start"), ("duration", "Duration"), ("pageviews", "Page views"), ("errors", "Errors"),
         ("signals", "Frustration signals"))
FILTER_NAMES = ("url", "entry", "exit", "has_error", "signal", "min_duration", "max_duration", "device", "browser",
                "visitor", "has_replay", "clicked", "error", "funnel", "dropped_at")
SPEEDS = (1, 2, 4, 8)


def fmt_clock(seconds: float | None) -> str:
    """m:ss (or h:mm:ss) for a number of seconds."""
    if seconds is None:
        return "–"
    whole = max(0, int(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def ms_of(iso: str) -> int:
    return round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


# The list's page as its CSV holds it: what each row shows, the signals as name:count, instants in UTC.
SESSIONS = Table("sessions", "Sessions", (
    Column("session_id", "Session", "text"), Column("start", "Started", "text"),
    Column("duration_s", "Duration", "seconds"),
    Column("pageviews", "Pages"), Column("entry_path", "Entry page", "text"), Column("exit_path", "Exit page", "text"),
    Column("visitor_id", "Visitor", "text"), Column("device", "Device", "text"), Column("browser", "Browser", "text"),
    Column("errors", "Errors"), Column("signals", "Signals", "text"), Column("has_replay", "Recorded", "text")), [])

SESSION_VITALS = Table("vitals", "Web Vitals", (
    Column("path", "Page", "text"), Column("name", "Metric", "text"), Column("value", "Value", "number"),
    Column("rating", "Rating", "text")), [])

HELPERS = {"clock": fmt_clock, "duration": fmt_duration, "ms_of": ms_of}


def form_values(request: Request) -> dict[str, str]:
    """The list's controls as submitted (strings, for the form to show them again)."""
    query = request.query_params
    values = {name: query.get(name, "") for name in FILTER_NAMES}
    if "has_replay" not in query:
        values["has_replay"] = "true"  # the replays list: sessions with a recording, unless asked otherwise
    values["sort"] = query.get("sort") if query.get("sort") in sessions.SORTS else "start"
    values["order"] = "asc" if query.get("order") == "asc" else "desc"
    return values


def page_link(request: Request, **changes: Any) -> str:
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    params.update({k: str(v) for k, v in changes.items()})
    return request.url.path + "?" + urlencode(params)


def session_of(request: Request) -> str | None:
    sid = request.path_params["sid"]
    return sid if SESSION_ID.match(sid) else None


async def replays_list(store: Store, request: Request) -> Response:
    view = site_range(request)
    if isinstance(view, Response):
        return view
    values = form_values(request)
    error = None
    try:
        filters = filters_of(request)
        if "has_replay" not in request.query_params:
            filters = dataclasses.replace(filters, has_replay=True)
    except Rejected as exc:
        error, filters = exc.message, sessions.SessionFilters(has_replay=True)
    try:
        number = max(1, min(10**6, int(request.query_params.get("page") or 1)))
    except ValueError:
        number = 1
    found: dict[str, Any] = await store.run(
        sessions.list_sessions, store, view.site.key, view.start, view.end, filters, values["sort"], PAGE_SIZE,
        (number - 1) * PAGE_SIZE, values["order"] == "desc")
    if (wanted := tables.asked(request)) is not None:  # the page of the list shown, as CSV
        rows = [{**row, "signals": " ".join(f"{name}:{n}" for name, n in row["signals"].items() if n)}
                for row in found["sessions"]]
        return tables.download(wanted, SESSIONS, rows, view.site.key, view.first.isoformat(),
                               view.last.isoformat(), f"page-{number}")
    filtered = any(request.query_params.get(name) for name in FILTER_NAMES if name != "has_replay")
    pages = max(1, -(-found["total"] // PAGE_SIZE))
    return page(request, "replays.html", **view.shown, found=found, values=values, error=error,
                filtered=filtered, number=number, pages=pages,
                prev_link=page_link(request, page=number - 1) if number > 1 else None,
                next_link=page_link(request, page=number + 1) if number < pages else None,
                sorts=SORTS, signal_labels=SIGNAL_LABELS, devices=sessions.DEVICES,
                replay_percent=round(view.site.replay_sample * 100, 3), state=filter_state(request), **HELPERS)


async def player(store: Store, request: Request) -> Response:
    """Streamed in two parts so the recording starts loading at once: the page down to the
    player from the session's index row (milliseconds), then the sidebar, which needs the
    session's rows (pages, errors with stacks, vitals, every signal occurrence)."""
    site = site_or_404(request)
    if isinstance(site, Response):
        return site
    sid = session_of(request)
    summary = await store.run(sessions.indexed_summary, store, site.key, sid) if sid else None
    if summary is None or sid is None:
        return page(request, "message.html", status=404, title="No such session",
                    message="This session does not exist, or it is older than the site keeps data. "
                            "Pick one from the list of replays.")
    if (wanted := tables.asked(request)) is not None:  # the sidebar's Web Vitals of the session
        if wanted != SESSION_VITALS.name:  # before reading the session
            return tables.not_a_table(wanted)
        detail = await store.run(sessions.session_detail, store, site.key, sid)
        return tables.download(wanted, SESSION_VITALS, (detail or {}).get("vitals", []), site.key, sid)
    try:
        t = float(request.query_params.get("t") or 0)  # seconds from the start of the recording
    except ValueError:
        t = 0.0
    t = t if math.isfinite(t) and t > 0 else 0.0
    top, bottom = render(request, "player.html", site=site, sid=sid, s=summary, t=t, speeds=SPEEDS,
                         start_ms=ms_of(summary["start"]), sidebar=Markup(SIDEBAR), **HELPERS).split(SIDEBAR)
    key, has_replay = site.key, summary["has_replay"]

    async def body() -> AsyncIterator[str]:
        yield top
        yield await sidebar(store, key, sid, has_replay)
        yield bottom

    return StreamingResponse(body(), media_type="text/html; charset=utf-8")


async def sidebar(store: Store, key: str, sid: str, has_replay: bool) -> str:
    try:
        detail = await store.run(sessions.session_detail, store, key, sid)
        skew = await store.run(sessions.clock_skew, store, key, sid) if has_replay else 0
    except Exception:  # the top of the page is sent: say so in the page instead of cutting it
        log.exception("player sidebar of session %s", sid)
        detail = None
    if detail is None:
        return ('<aside class="player-side" aria-label="The session"><p class="hint">The session\'s pages, '
                'errors and signals could not be read. Reload the page to try again.</p></aside>')
    moments = [(name, SIGNAL_LABELS[name], o) for name in signals.SIGNALS for o in detail["signals"][name]]
    moments.sort(key=lambda m: m[2]["offset_s"])
    return env.get_template("player_sidebar.html").render(detail=detail, moments=moments, skew_ms=skew,
                                                         csv=f"/sites/{key}/replays/{sid}?table=vitals&format=csv",
                                                         **HELPERS)


async def frame(request: Request) -> Response:
    site = request.app.state.runtime.sites.sites.get(request.path_params["key"])
    if site is None or not session_of(request):
        return isolated_frames.not_found()
    return isolated_frames.shell(request, "player.js", "Replay of the recorded pages", origins=site.origins)


def routes(store: Store) -> list[Route]:
    return [
        Route("/sites/{key}/replays", partial(replays_list, store)),
        Route("/sites/{key}/replays/{sid}", partial(player, store)),
        Route("/sites/{key}/replays/{sid}/frame", frame),
    ]
