"""The sessions API under /api/v1 (bearer tokens): the session list, one session, and its recording.

- `GET /api/v1/sites/{site}/sessions`: summaries of the sessions that began in a date range,
  filtered, sorted, one page (replay/sessions.py).
- `GET /api/v1/sites/{site}/sessions/{session_id}`: one session for the player (404 when unknown).
- `GET /api/v1/sites/{site}/sessions/{session_id}/replay`: the recording as NDJSON, one rrweb event
  per line, streamed chunk by chunk from `replay_chunks FINAL` in `seq` order.

`routes(store)` gives the routes; `openapi_paths()` their OpenAPI path entries.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from footfall.analysis import signals
from footfall.collector.rejection import Rejected
from footfall.replay import recordings, sessions
from footfall.store import Store
from footfall.web.funnels_api import funnel_of
from footfall.web.params import days_of, guarded, site_and_range, site_of

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # as the wire format's ids
MAX_TEXT = 2048  # longest url / entry / exit pattern, browser or visitor accepted
NDJSON = "application/x-ndjson"
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


# -- query parameters -----------------------------------------------------------------------------
def text_param(request: Request, name: str) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_TEXT:
        raise Rejected(400, name, f"{name} must be at most {MAX_TEXT} characters")
    return raw


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise Rejected(400, name, f"{name} must be true or false")


def number_param(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Rejected(400, name, f"{name} must be a number of seconds") from None
    if not 0 <= value <= 10**9:  # also refuses nan and inf
        raise Rejected(400, name, f"{name} must be a number of seconds, 0 or more")
    return value


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Rejected(400, name, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise Rejected(400, name, f"{name} must be {low} to {high}")
    return value


def signal_param(request: Request) -> tuple[str, ...]:
    """`signal` may repeat and each value may be a comma list."""
    names = [name.strip() for raw in request.query_params.getlist("signal") for name in raw.split(",")]
    names = [name for name in names if name]
    for name in names:
        if name not in signals.SIGNALS:
            raise Rejected(400, "signal", f"signal must be one of {', '.join(signals.SIGNALS)}")
    return tuple(dict.fromkeys(names))


def filters_of(request: Request) -> sessions.SessionFilters:
    device = text_param(request, "device")
    if device is not None and device not in sessions.DEVICES:
        raise Rejected(400, "device", f"device must be one of {', '.join(sessions.DEVICES)}")
    low, high = number_param(request, "min_duration"), number_param(request, "max_duration")
    if low is not None and high is not None and high < low:
        raise Rejected(400, "max_duration", "max_duration is below min_duration")
    return sessions.SessionFilters(
        url=text_param(request, "url"), entry=text_param(request, "entry"), exit=text_param(request, "exit"),
        has_error=bool_param(request, "has_error"), signals=signal_param(request),
        min_duration=low, max_duration=high, device=device, browser=text_param(request, "browser"),
        visitor=text_param(request, "visitor"), has_replay=bool_param(request, "has_replay"),
        clicked=text_param(request, "clicked"), error=text_param(request, "error"), **dropped_of(request),
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
    filters = filters_of(request)
    sort = request.query_params.get("sort") or "start"
    if sort not in sessions.SORTS:
        raise Rejected(400, "sort", f"sort must be one of {', '.join(sessions.SORTS)}")
    order = request.query_params.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise Rejected(400, "order", "order must be asc or desc")
    limit = int_param(request, "limit", sessions.DEFAULT_LIMIT, 1, sessions.MAX_LIMIT)
    offset = int_param(request, "offset", 0, 0, 10**9)
    found = await store.run(sessions.list_sessions, store, site, start, end, filters, sort, limit, offset,
                            descending=order == "desc")
    return JSONResponse({"site": site, **days_of(start, end), "sort": sort, "order": order, "limit": limit,
                         "offset": offset, **found})


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


# -- OpenAPI --------------------------------------------------------------------------------------
_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_SITE = {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
_SESSION = {"name": "session_id", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": SESSION_ID.pattern}}
_TIME = {"type": "string", "format": "date-time"}
_SIGNAL_COUNTS = {"type": "object", "properties": {name: {"type": "integer"} for name in signals.SIGNALS},
                  "required": list(signals.SIGNALS)}
_SUMMARY = {
    "type": "object",
    "properties": {
        "session_id": {"type": "string"}, "visitor_id": {"type": "string"},
        "start": _TIME, "end": _TIME, "duration_s": {"type": "number"}, "active_s": {"type": "number"},
        "pages": {"type": "array", "items": {"type": "string"}},
        "entry_path": {"type": "string"}, "exit_path": {"type": "string"},
        "pageviews": {"type": "integer"}, "clicks": {"type": "integer"}, "errors": {"type": "integer"},
        "device": {"type": "string"}, "browser": {"type": "string"}, "has_replay": {"type": "boolean"},
        "signals": _SIGNAL_COUNTS,
    },
}
_AT = {"time": _TIME, "offset_s": {"type": "number", "description": "Seconds since the session's start"}}
_PATTERN = "A path, or a pattern where * stands for one or more whole path segments"


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
    if description:
        param["description"] = description
    return param


def openapi_paths() -> dict[str, Any]:
    """The OpenAPI 3.1 path entries of the three routes (to merge into web/api.py's document)."""
    list_params = [
        _SITE,
        _query("from", {"type": "string", "format": "date"}, "First day (UTC), inclusive; default 29 days ago"),
        _query("to", {"type": "string", "format": "date"}, "Last day (UTC), inclusive; default today"),
        _query("url", {"type": "string"}, f"A page the session visited. {_PATTERN}"),
        _query("entry", {"type": "string"}, f"The session's first page. {_PATTERN}"),
        _query("exit", {"type": "string"}, f"The session's last page. {_PATTERN}"),
        _query("has_error", {"type": "boolean"}),
        {**_query("signal", {"type": "array", "items": {"type": "string", "enum": list(signals.SIGNALS)}},
                  "Sessions with at least one of these signals (repeat, or a comma list)"),
         "style": "form", "explode": True},
        _query("min_duration", {"type": "number", "minimum": 0}, "Seconds, inclusive"),
        _query("max_duration", {"type": "number", "minimum": 0}, "Seconds, inclusive"),
        _query("device", {"type": "string", "enum": list(sessions.DEVICES)}),
        _query("browser", {"type": "string"}),
        _query("visitor", {"type": "string"}, "A visitor id seen on any of the session's page views"),
        _query("has_replay", {"type": "boolean"}),
        _query("clicked", {"type": "string"}, "A CSS selector of an element clicked in the session"),
        _query("error", {"type": "string"}, "An error group's fingerprint seen in the session"),
        _query("funnel", {"type": "string"}, "A funnel as funnels/query takes it, as JSON, for dropped_at"),
        _query("dropped_at", {"type": "integer", "minimum": 1},
               "Sessions that reached this step of `funnel` (counted per session) and not the next"),
        _query("sort", {"type": "string", "enum": list(sessions.SORTS), "default": "start"}),
        _query("order", {"type": "string", "enum": ["desc", "asc"], "default": "desc"}),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": sessions.MAX_LIMIT,
                         "default": sessions.DEFAULT_LIMIT}),
        _query("offset", {"type": "integer", "minimum": 0, "default": 0}),
    ]
    occurrence = {"type": "object", "properties": {**_AT, "path": {"type": "string"}},
                  "additionalProperties": True}
    return {
        "/api/v1/sites/{site}/sessions": {
            "get": {
                "summary": "Sessions that began in a date range, with their frustration signals; filtered, "
                           "sorted, one page",
                "parameters": list_params,
                "responses": {
                    "200": {"description": "One page of session summaries and the number matching",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "properties": {
                                    "site": {"type": "string"}, "from": {"type": "string", "format": "date"},
                                    "to": {"type": "string", "format": "date"}, "sort": {"type": "string"},
                                    "order": {"type": "string"}, "limit": {"type": "integer"},
                                    "offset": {"type": "integer"}, "total": {"type": "integer"},
                                    "sessions": {"type": "array", "items": _SUMMARY},
                                },
                                "required": ["sessions", "total"],
                            }}}},
                    "400": _ERROR, "401": _ERROR, "403": _ERROR,
                },
            }
        },
        "/api/v1/sites/{site}/sessions/{session_id}": {
            "get": {
                "summary": "One session: summary, pages, errors with stacks, Web Vitals, signal occurrences",
                "parameters": [_SITE, _SESSION],
                "responses": {
                    "200": {"description": "The session", "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {
                            "site": {"type": "string"},
                            "summary": _SUMMARY,
                            "pages": {"type": "array", "items": {"type": "object", "properties": {
                                **_AT, "pageview_id": {"type": "string"}, "path": {"type": "string"},
                                "url": {"type": "string"}, "title": {"type": "string"},
                                "referrer": {"type": "string"}, "duration_s": {"type": "number"}}}},
                            "errors": {"type": "array", "items": {"type": "object", "properties": {
                                **_AT, "pageview_id": {"type": "string"}, "path": {"type": "string"},
                                "kind": {"type": "string"}, "message": {"type": "string"},
                                "stack": {"type": "string"}, "source": {"type": "string"},
                                "line": {"type": "integer"}, "column": {"type": "integer"},
                                "fingerprint": {"type": "string"}}}},
                            "vitals": {"type": "array", "items": {"type": "object", "properties": {
                                **_AT, "pageview_id": {"type": "string"}, "path": {"type": "string"},
                                "name": {"type": "string"}, "value": {"type": "number"},
                                "rating": {"type": "string"}, "target": {"type": "string"}}}},
                            "signals": {"type": "object", "properties": {
                                name: {"type": "array", "items": occurrence} for name in signals.SIGNALS}},
                        },
                        "required": ["summary", "pages", "errors", "vitals", "signals"],
                    }}}},
                    "400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR,
                },
            }
        },
        "/api/v1/sites/{site}/sessions/{session_id}/replay": {
            "get": {
                "summary": "The session's recording: rrweb events in order, one JSON object per line (streamed)",
                "parameters": [_SITE, _SESSION],
                "responses": {
                    "200": {"description": "NDJSON, one rrweb event per line",
                            "content": {NDJSON: {"schema": {"type": "object"}}}},
                    "400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR,
                },
            }
        },
    }
