"""The OpenAPI 3.1 document, assembled from the route modules' own paths and, for the ingestion
bodies, JSON Schema made from the wire format's Structs."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from footfall.collector import wire
from footfall.web import api, funnels_api, heatmaps_api, performance_api, sessions_api


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document: these routes, each read module's, and the ingestion bodies as
    JSON Schema made from the wire format's own Structs, so the document cannot drift from what
    the decoder takes (tests/integration/test_openapi_fuzz.py sends what it describes)."""
    paths = {**api.OPENAPI["paths"]}
    for module in (sessions_api, heatmaps_api, funnels_api, performance_api):
        paths.update(module.openapi_paths())
    (batch, chunk), wire_schemas = msgspec.json.schema_components(
        [wire.Batch, wire.ReplayChunk], ref_template="#/components/schemas/{name}")
    for path, schema in (("/i/v1/batch", batch), ("/i/v1/replay", chunk)):
        body = {"required": True, "description": "Also taken as text/plain (sendBeacon), gzip or not",
                "content": {"application/json": {"schema": schema}}}
        paths[path] = {"post": {**paths[path]["post"], "requestBody": body}}
    components = {**api.OPENAPI["components"], "schemas": {**wire_schemas, **api.OPENAPI["components"]["schemas"]}}
    return {**api.OPENAPI, "components": components, "paths": paths}



def routes() -> list[Route]:
    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    return [Route("/api/openapi.json", openapi)]
