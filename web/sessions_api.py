"""The sessions API under /api/v1 (bearer tokens): the session list, one session, and its recording.

- `GET /api/v1/sites/{site}/sessions`: summaries of the sessions that began in a date range,
  filtered, sorted, one page (replay/sessions.py).
- `GET /api/v1/sites/{site}/sessions/{session_id}`: one session for the player (404 when unknown).
- `GET /api/v1/sites/{site}/sessions/{session_id}/replay`: the recording as NDJSON, one rrweb event
  per line, streamed chunk by chunk from `replay_chunks FINAL` in `seq` order.

`routes(store)` gives the routes; `OPERATIONS` describes them for the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from footfall.analysis import signals
from footfall.collector.rejection import Rejected
from footfall.replay import recordings, sessions
from footfall.store import Store
from footfall.web.funnels_api import funnel_of
from footfall.web.operations import Answer, Operation
from footfall.web.params import (
    PAGE,
    DateRange,
    Day,
    Refusal,
    SitePath,
    days_of,
    guarded,
    query_of,
    site_and_range,
    site_of,
)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # as the wire format's ids
MAX_TEXT = 2048  # longest url / entry / exit pattern, browser or visitor accepted
NDJSON = "application/x-ndjson"
Text = Annotated[str, Meta(max_length=MAX_TEXT)]
Seconds = Annotated[float, Meta(ge=0, le=10**9, description="Seconds, inclusive")]
Time = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]


# -- query parameters -----------------------------------------------------------------------------
class FilterQuery(DateRange, kw_only=True):
    """Which sessions the list shows (the Replays page reads the same)."""

    url: Annotated[Text, Meta(description=f"A page the session visited. {PAGE}")] | None = None
    entry: Annotated[Text, Meta(description=f"The session's first page. {PAGE}")] | None = None
    exit: Annotated[Text, Meta(description=f"The session's last page. {PAGE}")] | None = None
    has_error: bool | None = None
    signal: Annotated[list[Literal[*signals.SIGNALS]],
                      Meta(description="Sessions with at least one of these signals (repeat, or a comma list)")] = []
    min_duration: Seconds | None = None
    max_duration: Seconds | None = None
    device: Literal[*sessions.DEVICES] | None = None
    browser: Text | None = None
    visitor: Annotated[Text, Meta(description="A visitor id seen on any of the session's page views")] | None = None
    has_replay: bool | None = None
    clicked: Annotated[Text, Meta(description="A CSS selector of an element clicked in the session")] | None = None
    error: Annotated[Text, Meta(description="An error group's fingerprint seen in the session")] | None = None
    # Both checked first by dropped_of: the steps dropped_at may name are the funnel's.
    funnel: Annotated[str, Meta(description="A funnel as funnels/query takes it, as JSON, for dropped_at")] \
        | None = None
    dropped_at: Annotated[int, Meta(ge=1, description=(
        "Sessions that reached this step of `funnel` (counted per session) and not the next"))] | None = None
    refusals = {name: Refusal(f"{name} must be a number of seconds, 0 or more", f"{name} must be a number of seconds")
                for name in ("min_duration", "max_duration")}


class SessionsQuery(FilterQuery, kw_only=True):
    sort: Literal[*sessions.SORTS] = "start"
    order: Literal["asc", "desc"] = "desc"
    limit: Annotated[int, Meta(ge=1, le=sessions.MAX_LIMIT)] = sessions.DEFAULT_LIMIT
    offset: Annotated[int, Meta(ge=0, le=10**9)] = 0


Q = TypeVar("Q", bound=FilterQuery)


class SessionPath(msgspec.Struct):
    site: str
    session_id: Annotated[str, Meta(pattern=SESSION_ID.pattern)]


def filters_of(request: Request) -> sessions.SessionFilters:
    return filtered(request, FilterQuery)[1]


def filtered(request: Request, kind: type[Q]) -> tuple[Q, sessions.SessionFilters]:
    """The query and the sessions it asks for."""
    dropped = dropped_of(request)
    query = query_of(request, kind)
    low, high = query.min_duration, query.max_duration
    if low is not None and high is not None and high < low:
        raise Rejected(400, "max_duration", "max_duration is below min_duration")
    return query, sessions.SessionFilters(
        url=query.url, entry=query.entry, exit=query.exit, has_error=query.has_error, signals=tuple(query.signal),
        min_duration=low, max_duration=high, device=query.device, browser=query.browser, visitor=query.visitor,
        has_replay=query.has_replay, clicked=query.clicked, error=query.error, **dropped,
    )


def dropped_of(request: Request) -> dict[str, Any]:
    """`funnel` (a funnel as funnels/query takes it, as JSON) with `dropped_at` (a step number)."""
    raw, step = request.query_params.get("funnel"), request.query_params.get("dropped_at")
    if raw is None and step is None:
        return {}
    if raw is None or step is None:
        raise Rejected(400, "dropped_at", "dropped_at and funnel go together")
    try:
        funnel = funnel_of(raw.encode())
    except Rejected as exc:
        raise Rejected(400, "funnel", f"{exc.field}: {exc.message}") from None
    if not (step.isascii() and step.isdigit()) or not 1 <= int(step) < len(funnel.steps):
        raise Rejected(400, "dropped_at", f"dropped_at is a step from 1 to {len(funnel.steps) - 1}")
    return {"funnel": funnel, "dropped_at": int(step)}


def session_id_of(request: Request) -> str:
    session_id = request.path_params["session_id"]
    if not SESSION_ID.match(session_id):
        raise Rejected(400, "session_id", "session_id must be 1 to 64 letters, digits, _ or -")
    return session_id


# -- routes ---------------------------------------------------------------------------------------
async def session_list(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    query, filters = filtered(request, SessionsQuery)
    found = await store.run(sessions.list_sessions, store, site, start, end, filters, query.sort, query.limit,
                            query.offset, descending=query.order == "desc")
    return JSONResponse({"site": site, **days_of(request), "sort": query.sort, "order": query.order,
                         "limit": query.limit, "offset": query.offset, **found})


async def session_one(store: Store, request: Request) -> Response:
    site, session_id = site_of(request), session_id_of(request)
    found = await store.run(sessions.session_detail, store, site, session_id)
    if found is None:
        raise Rejected(404, "session_id", "no such session")
    return JSONResponse({"site": site, **found})


async def session_replay(store: Store, request: Request) -> Response:
    site, session_id = site_of(request), session_id_of(request)
    last, first_lines = await store.run(recordings.read_replay, store, site, session_id, -1)
    if last is None:
        raise Rejected(404, "session_id", "no recording for this session")

    async def stream() -> AsyncIterator[bytes]:
        after: int | None = last
        lines = first_lines
        while True:
            if lines:
                yield b"".join(lines)
            if after is None:
                return
            after, lines = await store.run(recordings.read_replay, store, site, session_id, after)

    return StreamingResponse(stream(), media_type=NDJSON, headers={"Cache-Control": "no-store"})


def routes(store: Store) -> list[Route]:
    return [
        Route("/api/v1/sites/{site}/sessions", guarded(partial(session_list, store))),
        Route("/api/v1/sites/{site}/sessions/{session_id}", guarded(partial(session_one, store))),
        Route("/api/v1/sites/{site}/sessions/{session_id}/replay", guarded(partial(session_replay, store))),
    ]


# -- answers, as the OpenAPI document shows them --------------------------------------------------
SignalCounts = msgspec.defstruct("SignalCounts", [(name, int) for name in signals.SIGNALS])


class SessionSummary(msgspec.Struct):
    session_id: str
    visitor_id: str
    start: Time
    end: Time
    duration_s: float
    active_s: float
    pages: list[str]
    entry_path: str
    exit_path: str
    pageviews: int
    clicks: int
    errors: int
    device: str
    browser: str
    has_replay: bool
    signals: SignalCounts


class SessionPage(msgspec.Struct):
    site: str
    from_: Day = msgspec.field(name="from")
    to: Day
    sort: str
    order: str
    limit: int
    offset: int
    total: int
    sessions: list[SessionSummary]


class At(msgspec.Struct):
    time: Time
    offset_s: Annotated[float, Meta(description="Seconds since the session's start")]


class SessionPageView(At):
    pageview_id: str
    path: str
    url: str
    title: str
    referrer: str
    duration_s: float


class SessionError(At):
    pageview_id: str
    path: str
    kind: str
    message: str
    stack: str
    source: str
    line: int
    column: int
    fingerprint: str


class SessionVital(At):
    pageview_id: str
    path: str
    name: str
    value: float
    rating: str
    target: str


class SignalOccurrence(At):
    """Besides these, the fields of its signal (docs/signals.md)."""

    path: str | msgspec.UnsetType = msgspec.UNSET


SignalOccurrences = msgspec.defstruct("SignalOccurrences", [(name, list[SignalOccurrence]) for name in signals.SIGNALS])


class SessionDetail(msgspec.Struct):
    site: str
    summary: SessionSummary
    pages: list[SessionPageView]
    errors: list[SessionError]
    vitals: list[SessionVital]
    signals: SignalOccurrences


OPERATIONS = (
    Operation("get", "/api/v1/sites/{site}/sessions",
              "Sessions that began in a date range, with their frustration signals; filtered, sorted, one page",
              {200: Answer("One page of session summaries and the number matching", SessionPage)},
              params=(SitePath, SessionsQuery)),
    Operation("get", "/api/v1/sites/{site}/sessions/{session_id}",
              "One session: summary, pages, errors with stacks, Web Vitals, signal occurrences",
              {200: Answer("The session", SessionDetail)}, params=(SessionPath,), errors=(400, 404)),
    Operation("get", "/api/v1/sites/{site}/sessions/{session_id}/replay",
              "The session's recording: rrweb events in order, one JSON object per line (streamed)",
              {200: Answer("NDJSON, one rrweb event per line", dict[str, Any], NDJSON)}, params=(SessionPath,),
              errors=(400, 404)),
)
