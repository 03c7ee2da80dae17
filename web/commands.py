"""What the CLI can ask for, runnable against an open store either here or inside a running server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from footfall.store import Store, accounts, sites, tokens
from footfall.web import visitors
from footfall.web.settings import Config


def defaults(config: Config) -> dict[str, Any]:
    """What a command takes from the process that runs it when the CLI did not say: a running server
    answers with its own address in a new site's snippet, which the CLI cannot know."""
    return {"public_url": config.snippet_url}


def site_create(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    site = sites.create(store, args["name"], args["origins"], key=args.get("key"),
                        retention_days=int(args.get("retention_days") or 365), zone=args.get("time_zone") or "UTC")
    return {
        "key": site.key,
        "name": site.name,
        "origins": list(site.origins),
        "time_zone": site.time_zone,
        "snippet": sites.snippet(args["public_url"], site.key),
    }


def site_list(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    listed = sorted(sites.load_all(store).values(), key=lambda s: s.key)
    return {"sites": [{"key": s.key, "name": s.name, "origins": list(s.origins), "retention_days": s.retention_days,
                       "time_zone": s.time_zone}
                      for s in listed]}


def site_delete(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return sites.delete(store, args["key"])


def user_create(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return accounts.create(store, args["email"], args["password"], args.get("role") or "viewer",
                           update=bool(args.get("update")))


def user_list(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return {"users": accounts.list_all(store)}


def user_delete(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return accounts.delete(store, args["email"])


def user_passwd(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return accounts.set_password(store, args["email"], args["password"])


def user_role(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return accounts.set_role(store, args["email"], args["role"])


def token_create(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    site = args.get("site") or ""
    if site and site not in sites.load_all(store):
        raise ValueError(f"unknown site {site!r}")
    scope = args.get("scope") or "read"
    return {"token": tokens.create(store, args["name"], site, scope), "name": args["name"], "site": site,
            "scope": scope}


def token_list(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return {"tokens": tokens.list_all(store)}


def token_revoke(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return tokens.revoke(store, args["id"])


DEAD_LETTER_FOLDERS = ("dead-letter", "quarantine")  # quarantine: where older versions set segments aside


def spool_status(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    """Segments waiting for the writer, and those set aside because the store kept refusing them."""
    spool = Path(args["spool"])
    aside = [p for folder in DEAD_LETTER_FOLDERS for p in sorted((spool / folder).glob("*.seg"))]
    return {"waiting": len(list(spool.glob("*.seg"))),
            "dead_letter": [{"segment": p.stem, "bytes": p.stat().st_size} for p in aside]}


def spool_retry(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    """Put dead-lettered segments (all, or the one named) back in line for the writer."""
    spool, only = Path(args["spool"]), args.get("segment") or ""
    moved, size = [], 0
    for folder in DEAD_LETTER_FOLDERS:
        for path in sorted((spool / folder).glob("*.seg")):
            if only and path.stem != only:
                continue
            size += path.stat().st_size
            path.rename(spool / path.name)
            moved.append(path.stem)
    if only and not moved:
        raise ValueError(f"no dead-lettered segment {only!r}: see `footfall spool status`")
    return {"retried": moved, "bytes": size}


def visitor_erase(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    erased = visitors.erase(store, args.get("site"), args.get("visitor"))
    return {"site": args["site"], "visitor": args["visitor"], "erased": erased}


def visitor_export(store: Store, args: dict[str, Any]) -> dict[str, Any]:
    return visitors.export(store, args.get("site"), args.get("visitor"))


COMMANDS: dict[str, Callable[[Store, dict[str, Any]], dict[str, Any]]] = {
    "site.create": site_create,
    "site.list": site_list,
    "site.delete": site_delete,
    "user.create": user_create,
    "user.list": user_list,
    "user.delete": user_delete,
    "user.passwd": user_passwd,
    "user.role": user_role,
    "token.create": token_create,
    "token.list": token_list,
    "token.revoke": token_revoke,
    "spool.status": spool_status,
    "spool.retry": spool_retry,
    "visitor.erase": visitor_erase,
    "visitor.export": visitor_export,
}


def run(store: Store, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return COMMANDS[name](store, args)
