"""What the CLI can ask for, runnable against an open store either here or inside a running server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import accounts, sites, tokens, visitors
from .store import Store


def site_create(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    site = sites.create(store, args["name"], args["origins"], key=args.get("key"),
                        retention_days=int(args.get("retention_days") or 365))
    return {
        "key": site.key,
        "name": site.name,
        "origins": list(site.origins),
        "snippet": sites.snippet(args.get("public_url") or "http://127.0.0.1:8000", site.key),
    }


def user_create(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return accounts.create(store, args["email"], args["password"], args.get("role") or "viewer")


def token_create(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    site = args.get("site") or ""
    if site and site not in sites.load_all(store):
        raise ValueError(f"unknown site {site!r}")
    return {"token": tokens.create(store, args["name"], site), "name": args["name"], "site": site}


def visitor_erase(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    erased = visitors.erase(store, args.get("site"), args.get("visitor"))
    return {"site": args["site"], "visitor": args["visitor"], "erased": erased}


def visitor_export(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return visitors.export(store, args.get("site"), args.get("visitor"))


COMMANDS: dict[str, Callable[[Store, dict[str, Any]], dict[str, Any]]] = {
    "site.create": site_create,
    "user.create": user_create,
    "token.create": token_create,
    "visitor.erase": visitor_erase,
    "visitor.export": visitor_export,
}


def run(store: Store, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return COMMANDS[name](store, args)
