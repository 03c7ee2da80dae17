"""The dashboard's page modules (those with `routes`) use shared modules (render, context, charts,
labels, ...) and never one another, so a page can change without breaking another; their handlers
are module-level functions that `routes` binds to the store with functools.partial."""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
from functools import partial
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

DASHBOARD = Path(__file__).resolve().parents[3] / "web" / "dashboard"
PACKAGE = "footfall.web.dashboard"


def trees() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text()) for path in sorted(DASHBOARD.glob("*.py"))}


def page_modules() -> set[str]:
    return {name for name, tree in trees().items()
            if any(isinstance(node, ast.FunctionDef) and node.name == "routes" for node in tree.body)}


def imported(tree: ast.Module) -> set[str]:
    """The dashboard modules a module imports, by their short name."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add((node.module or "").split(".")[3])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[3] for a in node.names if a.name.startswith(PACKAGE + ".")}
    return found


def test_the_page_modules_are_found() -> None:
    assert {"overview_page", "replays_pages", "sites_pages", "session"} <= page_modules()
    assert not {"render", "context", "charts", "guards"} & page_modules()


def test_no_page_module_imports_another() -> None:
    pages = page_modules()
    wrong = [f"{name} imports {target}" for name, tree in trees().items() if name in pages
             for target in sorted(imported(tree) & pages)]
    assert wrong == []


def test_starlette_serves_a_partial_as_a_request_handler() -> None:
    """Route unwraps functools.partial to tell a handler from an ASGI app: the bound arguments come
    first, the request last."""

    async def handler(bound: str, request: Request) -> Response:
        return PlainTextResponse(bound + request.url.path)

    route = Route("/page", partial(handler, "bound:"))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/page", "headers": [], "query_string": b"",
             "root_path": "", "scheme": "http", "server": ("test", 80)}
    asyncio.run(route.handle(scope, receive, send))
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"bound:/page"


def test_every_handler_is_a_module_level_function() -> None:
    store, token_cache = object(), object()  # routes() only binds them
    for name in sorted(page_modules()):
        module = importlib.import_module(f"{PACKAGE}.{name}")
        made = module.routes(store, token_cache) if name == "admin_pages" else module.routes(store)
        for route in made:
            handler = route.endpoint
            bound = handler.args if isinstance(handler, partial) else ()
            while isinstance(handler, partial):
                handler = handler.func
            assert inspect.isfunction(handler) and "<locals>" not in handler.__qualname__, (name, route.path)
            assert handler.__module__ == module.__name__, (name, route.path)
            assert route.app is not route.endpoint, (name, route.path)  # served as a request handler
            assert not bound or bound[0] is store, (name, route.path)
