"""The OpenAPI 3.1 document, made from the operations each route module declares beside its
handlers (web/operations.py): parameters, bodies and answers are Structs and types whose JSON
Schema msgspec makes, the ingestion bodies the wire format's own Structs, so the document says
what the routes read and the decoder takes (tests/web/test_openapi.py sends it)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from footfall.collector import wire
from footfall.web import (
    anomalies_api,
    api,
    funnels_api,
    heatmaps_api,
    performance_api,
    sessions_api,
    stats_api,
)
from footfall.web.operations import JSON, Answer, Body, Operation
from footfall.web.version import version

REF = "#/components/schemas/{name}"
API_VERSION = "1"  # the v1 of /api/v1 and /i/v1
USUAL = {400: "A bad parameter or body, named in the answer's field", 401: "No valid token or login",
         403: "A token or login that may not do this", 404: "Not found", 413: "Too large",
         429: "Too many requests from this address", 503: "Busy: try again later"}
BEARER = ("An API token (ff_...). Scope read: every read route; scope admin: also erasing and exporting a "
          "visitor. A token made for one site is valid for that site only. A dashboard session cookie is "
          "accepted too (a viewer reads, an admin also erases).")


class Error(msgspec.Struct):
    """Every refusal's body: what went wrong, and the parameter, header or JSON path at fault."""

    error: str
    field: str


INGESTION = tuple(
    Operation("post", path, summary, {202: "Durable"}, public=True, errors=(400, 403, 413, 429, 503),
              body=Body(body, "Also taken as text/plain (sendBeacon), gzip or not"))
    for path, summary, body in (
        ("/i/v1/batch", "Ingest a batch of events of one page view (see docs/wire-format.md)", wire.Batch),
        ("/i/v1/replay", "Ingest a chunk of a session recording", wire.ReplayChunk)))
OPERATIONS = (*api.OPERATIONS, *INGESTION, *sessions_api.OPERATIONS, *heatmaps_api.OPERATIONS,
              *funnels_api.OPERATIONS, *performance_api.OPERATIONS, *stats_api.OPERATIONS,
              *anomalies_api.OPERATIONS)


@functools.cache
def openapi_document() -> dict[str, Any]:
    return document(OPERATIONS)


def document(operations: Iterable[Operation]) -> dict[str, Any]:
    """The document of these operations, with every body's and answer's Struct in its components."""
    operations = tuple(operations)
    answered = [answers_of(op) for op in operations]
    typed = [Error, *(op.body.type for op in operations if op.body),
             *(one for answers in answered for answer in answers.values() for one in kinds(answer.body))]
    found, schemas = msgspec.json.schema_components(typed, ref_template=REF)
    schema_of = dict(zip(typed, found, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for op, answers in zip(operations, answered, strict=True):
        entry: dict[str, Any] = {"summary": op.summary}
        if params := [param for struct in op.params for param in parameters(struct, op.path)]:
            entry["parameters"] = params
        if op.body:
            entry["requestBody"] = {"content": {JSON: {"schema": schema_of[op.body.type]}},
                                    **({"description": op.body.description} if op.body.description else {}),
                                    **({"required": True} if op.body.required else {})}
        entry["responses"] = {str(status): response(answer, schema_of) for status, answer in answers.items()}
        if op.public:
            entry["security"] = []
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        # info.version is the product's; the API's own version is the /api/v1 of its paths
        "info": {"title": "Footfall API", "version": version(), "x-api-version": API_VERSION},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": BEARER}},
                       "schemas": schemas},
        "security": [{"bearer": []}],
        "paths": paths,
    }


def answers_of(op: Operation) -> dict[int, Answer]:
    """Every answer of `op` by status: its own, then the usual ones; from 400 up with an Error body."""
    said = {status: USUAL[status] for status in (*op.errors, *(() if op.public else (401, 403)))} | op.answers
    return {status: Answer(text, Error if status >= 400 else None) if isinstance(text, str) else text
            for status, text in sorted(said.items())}


def kinds(body: Any) -> tuple[Any, ...]:
    """An answer's body types: none, one, or a tuple of those it may be."""
    return () if body is None else body if isinstance(body, tuple) else (body,)


def response(answer: Answer, schema_of: dict[Any, Any]) -> dict[str, Any]:
    schemas = [schema_of[one] for one in kinds(answer.body)]
    content = {answer.media: {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}} if schemas else {}
    content |= {media: {} for media in answer.also}
    return {"description": answer.description, **({"content": content} if content else {})}


def parameters(struct: type, path: str) -> list[dict[str, Any]]:
    """A Struct's fields as parameters: in the path when it names them, else in the query. A field
    that may be None is optional, and None no value a query can carry."""
    schema = msgspec.json.schema(struct)["$defs"][struct.__name__]
    out = []
    for name, given in schema["properties"].items():
        of = dict(given)
        if "anyOf" in of:
            options = [option for option in of.pop("anyOf") if option != {"type": "null"}]
            of = {**options[0], **of} if len(options) == 1 else {"anyOf": options, **of}
        if "default" in of and of["default"] is None:
            del of["default"]
        where = "path" if f"{{{name}}}" in path else "query"
        param = {"name": name, "in": where, "required": where == "path" or name in schema.get("required", ()),
                 "schema": of}
        if "description" in of:
            param["description"] = of.pop("description")
        if of.get("type") == "array":
            param |= {"style": "form", "explode": True}
        out.append(param)
    return out


async def openapi(request: Request) -> Response:
    return Response(msgspec.json.encode(openapi_document()), media_type=JSON)


def routes() -> list[Route]:
    return [Route("/api/openapi.json", openapi)]
