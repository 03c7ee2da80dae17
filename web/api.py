"""The API under /api/v1 (bearer tokens): stored counts, a visitor's erase and export, ingest stats; the health
check. Its OpenAPI paths are `OPENAPI` below, assembled with the other route modules' by web/openapi.py."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from footfall.collector.rejection import Counters, Rejected
from footfall.store import Store
from footfall.web import visitors
from footfall.web.params import days_of, guarded, site_and_range, site_of

# Event type -> (table, extra condition). Clicks, moves, scrolls and custom events share `events`.
COUNT_SOURCES = {
    "pageview": ("pageviews", ""),
    "click": ("events", "AND type = 'click'"),
    "move": ("events", "AND type = 'move'"),
    "scroll": ("events", "AND type = 'scroll'"),
    "custom": ("events", "AND type = 'custom'"),
    "nav": ("page_timings", ""),
    "vital": ("web_vitals", ""),
    "error": ("errors", ""),
    "res": ("resources", ""),
    "form": ("form_fields", ""),
    "replay": ("replay_chunks FINAL", ""),
}


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def events_count(store: Store, request: Request) -> Response:
    site, start, end = site_and_range(request)
    kind = request.query_params.get("type", "")
    if kind and kind not in COUNT_SOURCES:
        raise Rejected(400, "type", f"type must be one of {', '.join(COUNT_SOURCES)}")
    params = {"site": site, "start": start, "end": end}
    total = 0
    for name, (table, extra) in COUNT_SOURCES.items():
        if kind and name != kind:
            continue
        sql = (
            f"SELECT count() FROM {table} WHERE site = {{site:String}} "
            f"AND time >= {{start:DateTime64(3)}} AND time < {{end:DateTime64(3)}} {extra}"
        )
        total += int(await store.run(store.scalar, sql, params) or 0)
    return JSONResponse({"site": site, "type": kind or "all", **days_of(start, end), "count": total})


def visitor_of(request: Request) -> tuple[str, str]:
    site, visitor = site_of(request), request.path_params["visitor"]
    try:
        visitors.check(site, visitor)
    except visitors.InvalidInput as exc:
        raise Rejected(400, exc.field, str(exc)) from None
    return site, visitor


async def visitor_erase(store: Store, request: Request) -> Response:
    """Delete every stored row of one visitor of the site (GDPR erasure)."""
    site, visitor = visitor_of(request)
    erased = await store.run(visitors.erase, store, site, visitor)
    return JSONResponse({"site": site, "visitor": visitor, "erased": erased})


async def visitor_export(store: Store, request: Request) -> Response:
    """Every stored row of one visitor of the site, per table (GDPR access)."""
    site, visitor = visitor_of(request)
    return JSONResponse(await store.run(visitors.export, store, site, visitor))


async def ingest_stats(counters: Counters, request: Request) -> Response:
    """What this collector accepted, refused and dropped since it started, by reason."""
    return JSONResponse(counters.snapshot())


def routes(store: Store, counters: Counters) -> list[Route]:
    return [
        Route("/healthz", healthz),
        Route("/api/v1/sites/{site}/events/count", guarded(partial(events_count, store))),
        Route("/api/v1/sites/{site}/visitors/{visitor}", guarded(partial(visitor_erase, store)), methods=["DELETE"]),
        Route("/api/v1/sites/{site}/visitors/{visitor}/export", guarded(partial(visitor_export, store))),
        Route("/api/v1/ingest/stats", guarded(partial(ingest_stats, counters))),
    ]


_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_VISITOR_PARAMS = [
    {"name": "site", "in": "path", "required": True, "schema": {"type": "string", "maxLength": visitors.MAX_ID}},
    {"name": "visitor", "in": "path", "required": True,
     "description": "The visitor id: the one the site set with identify, or the collector's daily hash",
     "schema": {"type": "string", "maxLength": visitors.MAX_ID}},
]
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Footfall API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "An API token (ff_...). Scope read: every read route; scope admin: also erasing and "
                           "exporting a visitor. A token made for one site is valid for that site only. A "
                           "dashboard session cookie is accepted too (a viewer reads, an admin also erases)."}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
                "required": ["error", "field"],
            }
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/sites/{site}/events/count": {
            "get": {
                "summary": "Count stored events of one type (or all) in a date range",
                "parameters": [
                    {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "type", "in": "query", "schema": {"type": "string", "enum": list(COUNT_SOURCES)}},
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {
                    "200": {
                        "description": "The count",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {
                                "site": {"type": "string"}, "type": {"type": "string"},
                                "from": {"type": "string"}, "to": {"type": "string"},
                                "count": {"type": "integer"},
                            },
                        }}},
                    },
                    "400": _ERROR, "401": _ERROR, "403": _ERROR,
                },
            }
        },
        "/api/v1/sites/{site}/visitors/{visitor}": {
            "delete": {
                "summary": "Erase every stored row of one visitor of the site, in every table (admin scope)",
                "parameters": _VISITOR_PARAMS,
                "responses": {
                    "200": {
                        "description": "Rows removed per table",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {
                                "site": {"type": "string"}, "visitor": {"type": "string"},
                                "erased": {"type": "object", "additionalProperties": {"type": "integer"}},
                            },
                            "required": ["site", "visitor", "erased"],
                        }}},
                    },
                    "400": _ERROR, "401": _ERROR, "403": _ERROR,
                },
            }
        },
        "/api/v1/sites/{site}/visitors/{visitor}/export": {
            "get": {
                "summary": "Every stored row of one visitor of the site, per table (admin scope)",
                "parameters": _VISITOR_PARAMS,
                "responses": {
                    "200": {
                        "description": "The visitor's rows; times are ISO 8601 in UTC",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {
                                "site": {"type": "string"}, "visitor": {"type": "string"},
                                "tables": {"type": "object", "additionalProperties": {
                                    "type": "array", "items": {"type": "object"}}},
                            },
                            "required": ["site", "visitor", "tables"],
                        }}},
                    },
                    "400": _ERROR, "401": _ERROR, "403": _ERROR,
                },
            }
        },
        "/api/v1/ingest/stats": {
            "get": {
                "summary": "This collector's accepted, refused and dropped counts since it started "
                           "(needs a token valid for every site)",
                "responses": {
                    "200": {"description": "Counts by outcome and reason",
                            "content": {"application/json": {"schema": {
                                "type": "object", "additionalProperties": {"type": "integer"}}}}},
                    "401": _ERROR, "403": _ERROR,
                },
            }
        },
        "/i/v1/batch": {
            "post": {
                "summary": "Ingest a batch of events of one page view (see docs/wire-format.md)",
                "security": [],
                "responses": {"202": {"description": "Durable"}, "400": _ERROR, "403": _ERROR,
                              "413": _ERROR, "429": _ERROR, "503": _ERROR},
            }
        },
        "/i/v1/replay": {
            "post": {
                "summary": "Ingest a chunk of a session recording",
                "security": [],
                "responses": {"202": {"description": "Durable"}, "400": _ERROR, "403": _ERROR,
                              "413": _ERROR, "429": _ERROR, "503": _ERROR},
            }
        },
    },
}
