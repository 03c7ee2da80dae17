"""`footfall`: serve, demo, the commands that create sites, users and tokens, and a visitor's erase and export."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import traceback
from typing import Any

from footfall.demo.journeys import DEFAULT_DAYS, DEFAULT_SESSIONS
from footfall.store.client import StoreUnreachable
from footfall.web import admin, commands, logs, settings
from footfall.web.runtime import DataDirBusy, DataDirError, Runtime
from footfall.web.settings import SETTINGS, Config
from footfall.web.version import version
from footfall.web.wording import counted

STORE_SETTINGS = ("data", "clickhouse_url", "cluster")
# What an operator can cause and fix (a bad setting or argument, a busy or unusable data directory, a
# refusal by the server): one line on stderr and status 2, the traceback too at --log-level debug.
# Anything else is a bug and keeps its traceback.
REFUSALS = (ValueError, admin.AdminError, DataDirBusy, DataDirError, StoreUnreachable)


def add_settings(parser: argparse.ArgumentParser, names: tuple[str, ...] | None = None) -> None:
    """The settings' flags, taken as text: settings.load reads flags and variables alike, and names a bad one."""
    for s in SETTINGS:
        if names is not None and s.name not in names:
            continue
        default = str(s.default).lower() if isinstance(s.default, bool) else repr(s.default)
        parser.add_argument(s.flag, dest=s.name, default=None, help=f"{s.help} [{s.env}, default {default}]")


def config_of(ns: argparse.Namespace) -> Config:
    return settings.load({s.name: getattr(ns, s.name, None) for s in SETTINGS})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="footfall", description="Self-hosted journey analytics.")
    parser.add_argument("--version", action="version", version=f"footfall {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the collector, API and dashboard")
    add_settings(serve)

    demo = sub.add_parser("demo", help="seed demo data (once per data directory), then serve")
    add_settings(demo)
    demo.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS)
    demo.add_argument("--days", type=int, default=DEFAULT_DAYS)

    site = sub.add_parser("site", help="manage sites").add_subparsers(dest="action", required=True)
    site_create = site.add_parser("create", help="create a site; prints its key and snippet")
    site_create.add_argument("name")
    site_create.add_argument("--origin", dest="origins", action="append", required=True, nargs="+")
    site_create.add_argument("--key", help="choose the site key instead of a random one")
    site_create.add_argument("--time-zone", default="UTC",
                             help="the site's IANA time zone (Europe/Paris): the stats API's days and buckets")
    site_create.add_argument("--json", action="store_true")
    add_settings(site_create, (*STORE_SETTINGS, "public_url"))

    site_list = site.add_parser("list", help="list the sites")
    site_delete = site.add_parser("delete", help="delete a site and every stored row of it")
    site_delete.add_argument("key")
    for each in (site_list, site_delete):
        each.add_argument("--json", action="store_true")
        add_settings(each, STORE_SETTINGS)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    user_create = user.add_parser("create", help="create a dashboard user")
    user_create.add_argument("email")
    user_create.add_argument("--role", choices=("admin", "viewer"), default="viewer")
    user_create.add_argument("--update", action="store_true",
                             help="if the user exists, set its password and role (its sessions end)")
    user_list = user.add_parser("list", help="list the users and their roles")
    user_delete = user.add_parser("delete", help="delete a user; its sessions end at once")
    user_delete.add_argument("email")
    user_passwd = user.add_parser("passwd", help="set a user's password; its sessions end at once")
    user_passwd.add_argument("email")
    user_role = user.add_parser("role", help="change a user's role; its sessions end at once")
    user_role.add_argument("email")
    user_role.add_argument("role", choices=("admin", "viewer"))
    for each in (user_create, user_passwd):
        each.add_argument("--password-stdin", action="store_true")
    for each in (user_create, user_list, user_delete, user_passwd, user_role):
        each.add_argument("--json", action="store_true")
        add_settings(each, STORE_SETTINGS)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="action", required=True)
    token_create = token.add_parser("create", help="create an API token; prints it once")
    token_create.add_argument("name")
    token_create.add_argument("--site", default="", help="limit the token to this site key")
    token_create.add_argument("--scope", choices=("read", "admin", "metrics"), default="read",
                              help="read: every read route; admin: also erase, export and changes; metrics: "
                                   "/metrics only")
    token_list = token.add_parser("list", help="list the tokens (ids, names, sites, scopes, states)")
    token_revoke = token.add_parser("revoke", help="revoke a token by its id, as `token list` shows it")
    token_revoke.add_argument("id")
    for each in (token_create, token_list, token_revoke):
        each.add_argument("--json", action="store_true")
        add_settings(each, STORE_SETTINGS)

    spool = sub.add_parser("spool", help="the ingestion spool").add_subparsers(dest="action", required=True)
    spool_status = spool.add_parser("status", help="segments waiting, and those set aside (dead letter)")
    spool_retry = spool.add_parser("retry", help="put dead-lettered segments back in line for the writer")
    spool_retry.add_argument("--segment", default="", help="only this segment (a name from `spool status`)")
    for each in (spool_status, spool_retry):
        each.add_argument("--json", action="store_true")
        add_settings(each, STORE_SETTINGS)

    erase = sub.add_parser("erase", help="delete every stored row of one visitor of a site")
    erase.add_argument("--site", required=True, help="the site key")
    erase.add_argument("--visitor", required=True, help="the visitor id (from identify, or the daily hash)")
    erase.add_argument("--json", action="store_true")
    add_settings(erase, STORE_SETTINGS)

    export = sub.add_parser("export", help="print every stored row of one visitor of a site as JSON")
    export.add_argument("--site", required=True, help="the site key")
    export.add_argument("--visitor", required=True, help="the visitor id (from identify, or the daily hash)")
    export.add_argument("--json", action="store_true", help="accepted for symmetry: the output is always JSON")
    add_settings(export, STORE_SETTINGS)
    return parser


def execute(config: Config, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run a command on the store directly, or through the server that holds the data directory."""
    if config.embedded:
        runtime = Runtime(config)
        try:
            store = runtime.open_store()
        except DataDirBusy:
            return admin.wait_and_call(config.data_dir / admin.SOCKET_NAME, name, args)
        try:
            return commands.run(store, name, {**commands.defaults(config), **args})
        finally:
            store.close()
            runtime.release()
    runtime = Runtime(config)
    store = runtime.open_store()
    try:
        return commands.run(store, name, {**commands.defaults(config), **args})
    finally:
        store.close()


def read_password(ns: argparse.Namespace) -> str:
    if ns.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SystemExit("footfall: no terminal for a password prompt; use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise SystemExit("footfall: passwords differ")
    return first


def print_result(ns: argparse.Namespace, result: dict[str, Any], human: str) -> None:
    print(json.dumps(result) if ns.json else human)


def erase_summary(result: dict[str, Any]) -> str:
    erased = result["erased"]
    total = sum(erased.values())
    head = f"erased {total} row{'' if total == 1 else 's'} of visitor {result['visitor']} on site {result['site']}"
    return head + "".join(f"\n  {table}: {n}" for table, n in erased.items() if n)


def manage(config: Config, ns: argparse.Namespace) -> None:
    """The site, user and token commands: each one request, run here or by the server."""
    name = f"{ns.command}.{ns.action}"
    if name == "site.create":
        origins = [o for group in ns.origins for o in group]
        args = {"name": ns.name, "origins": origins, "key": ns.key, "retention_days": config.retention_days,
                "time_zone": ns.time_zone}
        if config.public_url:  # else the server's own, or this configuration's when none runs (commands.defaults)
            args["public_url"] = config.public_url
        result = execute(config, name, args)
        return print_result(ns, result, f"site key: {result['key']}\nsnippet:  {result['snippet']}")
    args: dict[str, Any] = {k: v for k, v in vars(ns).items()
                            if k in ("key", "email", "role", "update", "name", "site", "scope", "id", "segment")}
    if ns.command == "spool":
        args["spool"] = str(config.data_dir / "spool")
    if name in ("user.create", "user.passwd"):
        args["password"] = read_password(ns)
    result = execute(config, name, args)
    human = {
        "site.list": lambda r: "\n".join(f"{s['key']}  {s['name']}  {' '.join(s['origins'])}" for s in r["sites"]),
        "site.delete": lambda r: f"deleted site {r['key']} ({r['name']}) and its data",
        "user.create": lambda r: f"{'updated' if ns.update else 'created'} {r['role']} {r['email']}",
        "user.list": lambda r: "\n".join(f"{u['email']}  {u['role']}" for u in r["users"]),
        "user.delete": lambda r: f"deleted {r['email']}; their sessions have ended",
        "user.passwd": lambda r: f"new password for {r['email']}; their sessions have ended",
        "user.role": lambda r: f"{r['email']} is now {r['role']}; their sessions have ended",
        "token.create": lambda r: r["token"],
        "token.list": lambda r: "\n".join(
            f"{t['id']}  {t['name']}  {t['site'] or 'all sites'}  {t['scope']}  {t['created']}  "
            f"{'revoked' if t['revoked'] else 'active'}" for t in r["tokens"]),
        "token.revoke": lambda r: f"revoked token {r['id']} ({r['name']})",
        "spool.status": lambda r: f"{counted(r['waiting'], 'segment')} waiting, {len(r['dead_letter'])} set aside"
                                  + "".join(f"\n  {d['segment']}  {counted(d['bytes'], 'byte')}"
                                            for d in r["dead_letter"]),
        "spool.retry": lambda r: f"{counted(len(r['retried']), 'segment')} back in line "
                                 f"({counted(r['bytes'], 'byte')})",
    }[name]
    print_result(ns, result, human(result))


def run(ns: argparse.Namespace, config: Config) -> None:
    """The command `ns` names, with its configuration."""
    if ns.command == "serve":
        from footfall.web.server import serve

        serve(config)
    elif ns.command == "demo":
        from footfall.web.demo import serve_demo

        serve_demo(config, sessions=ns.sessions, days=ns.days)
    elif ns.command in ("site", "user", "token", "spool"):
        manage(config, ns)
    elif ns.command == "erase":
        result = execute(config, "visitor.erase", {"site": ns.site, "visitor": ns.visitor})
        print_result(ns, result, erase_summary(result))
    elif ns.command == "export":
        result = execute(config, "visitor.export", {"site": ns.site, "visitor": ns.visitor})
        print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    config: Config | None = None
    try:
        config = config_of(ns)
        logs.configure(config.log_level, config.log_format)
        run(ns, config)
    except REFUSALS as exc:
        if config is not None and config.log_level == "debug":
            traceback.print_exc()
        print(f"footfall: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
