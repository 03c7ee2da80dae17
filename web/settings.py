"""Every setting in one table: it drives the CLI flags, the env variables and docs/configuration.md."""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "FOOTFALL_"


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    cli: str = ""  # the flag, when it is not --name-with-dashes
    choices: tuple[str, ...] = ()  # the values a text setting may take (any case), when they are few
    check: Callable[[str], str] | None = None  # a text setting's reader: its value, or ValueError saying why not

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def flag(self) -> str:
        return self.cli or "--" + self.name.replace("_", "-")


def web_address(text: str) -> str:
    """An http(s) URL without query or fragment, fit to stand in an HTML attribute; no trailing slash."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or re.search(r"[\s\"'<>\\]", text):
        raise ValueError("is not an http(s) URL such as https://footfall.example")
    return text.rstrip("/")


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "Address the HTTP server binds to."),
    Setting("port", 8000, "Port the HTTP server listens on."),
    Setting("public_url", "", "The URL visitors' browsers reach Footfall at, which sites load the snippet from "
            "(behind a proxy, the proxy's): what footfall site create and the dashboard put in the snippet. Empty: "
            "http://HOST:PORT of the server.", check=web_address),
    Setting("data", "./data", "Data directory: embedded ClickHouse, spool, admin socket."),
    Setting(
        "clickhouse_url",
        "",
        "chdb:///path (embedded, default chdb://<data>/clickhouse) or "
        "http(s)://user:pass@host:8123/db for a ClickHouse server or cluster.",
        cli="--clickhouse",
    ),
    Setting(
        "forwarded_allow_ips",
        "127.0.0.1",
        "Proxies trusted to set X-Forwarded-For (comma-separated, '*' for any): the client IP feeds "
        "the rate limit and the visitor hash, and is never stored.",
    ),
    Setting("metrics_allow", "", "Client addresses (comma-separated IPs or CIDR ranges) that may read /metrics "
            "without a token; otherwise it needs an admin token valid for every site. A client behind a proxy is "
            "known by X-Forwarded-For only from --forwarded-allow-ips."),
    Setting("cluster", "", "ClickHouse cluster name: DDL runs ON CLUSTER with replicated tables."),
    Setting("spool_fsync", True, "fsync the spool before answering 202 (group-committed)."),
    Setting(
        "spool_fsync_interval_ms",
        0,
        "Extra wait before a group commit to gather more batches; 0: batches arriving during "
        "one fsync share the next.",
    ),
    Setting("spool_quota_mb", 256, "Spool size past which ingestion answers 503."),
    Setting("flush_interval_ms", 1000, "Oldest age of a spool segment before it is written."),
    Setting("flush_rows", 200000, "Rows in a spool segment that seal it early."),
    Setting("readiness_max_lag_s", 60.0, "GET /readyz answers 503 once the oldest batch not yet in ClickHouse "
            "arrived longer ago than this many seconds."),
    Setting("readiness_max_spool_share", 0.5, "GET /readyz answers 503 once the spool holds more than this share "
            "of --spool-quota-mb."),
    Setting("max_body_kb", 256, "Largest accepted batch body, compressed or not."),
    Setting("max_replay_kb", 1024, "Largest accepted replay chunk body."),
    Setting("max_events", 500, "Most events in one batch."),
    Setting("rate_limit", 20.0, "Batches per second per client IP and site (token refill rate)."),
    Setting("rate_burst", 200, "Token bucket size for the per IP and site rate limit."),
    Setting("rate_limit_kb", 1024, "Kilobytes per second per client IP and site, counted as stored (a gzipped "
            "body by what it inflates to); 0 turns the byte limit off."),
    Setting("rate_burst_kb", 32768, "Kilobyte bucket size for the per IP and site byte limit."),
    Setting("retention_days", 365, "Retention of new sites, in days."),
    Setting("secret", "", "Signing secret for sessions; generated under <data> when empty."),
    Setting("secret_file", "", "A file holding the signing secret instead (Docker secrets: /run/secrets/NAME); "
            "its trailing newline is dropped. Refused when unreadable or empty, or set with --secret."),
    Setting("secure_cookies", False, "Send the session cookie over HTTPS only (set it when served over HTTPS)."),
    Setting("log_level", "info", "Log level: debug, info, warning, error or critical. At debug a command "
            "refused with a one-line message also prints where it was refused (the traceback).",
            choices=("debug", "info", "warning", "error", "critical")),
    Setting("log_format", "text", "text: one line a record (time, level, logger, message, fields); json: one JSON "
            "object a line (time, level, logger, message and the record's fields), for log shippers.",
            choices=("text", "json")),
    Setting("access_log", False, "Log every request (method, path, status; never the client's address or the "
            "query string) in the log format, at --log-level info."),
    Setting("header_timeout", 10.0, "Seconds a connection has to send a request's headers, from when it opens "
            "or its last response was sent; then it is closed."),
    Setting("body_timeout", 30.0, "Seconds after its headers within which a request's whole body must arrive; "
            "then it is answered 408 and the connection closed."),
    Setting("max_connections", 10000, "Most open connections, and never more than the open-file limit (raised to "
            "its hard limit at start) less 1,024 or a quarter of it. At the cap a new connection closes the one "
            "that has waited longest for its request's headers."),
    Setting("max_connections_per_ip", 256, "Most open connections from one client address (proxies in "
            "--forwarded-allow-ips are exempt); one more is answered 503 and closed."),
    Setting("alert_interval", 300, "Seconds between two checks of the sites that have enabled alert rules (the "
            "anomalies of their last 2 days, by the hour); 0 turns alerts off in this process. With several "
            "processes on one ClickHouse, one of them at a time checks each site."),
    Setting("smtp_host", "", "SMTP server that alert emails go through; empty: alerts send no email."),
    Setting("smtp_port", 587, "Port of --smtp-host."),
    Setting("smtp_user", "", "Login at --smtp-host; empty: none."),
    Setting("smtp_password", "", "Password of --smtp-user."),
    Setting("smtp_from", "", "Sender of alert emails; empty: --smtp-user, else footfall@localhost."),
    Setting("smtp_starttls", True, "Upgrade the SMTP connection with STARTTLS (verifying the server's "
            "certificate) before logging in and sending."),
)

BY_NAME = {s.name: s for s in SETTINGS}


BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


class SettingError(ValueError):
    """A value a setting cannot take, named by the flag or variable that gave it."""


def _coerce(setting: Setting, raw: Any, source: str) -> Any:
    """A flag's or variable's text as the setting's type; values given by code are taken as they are."""
    if raw is None:
        return setting.default
    kind = type(setting.default)
    if not isinstance(raw, str):
        return kind(raw)
    text = raw.strip()
    if kind is bool:
        if text.lower() not in BOOLEANS:
            raise SettingError(f"{source}: {raw!r} is not a boolean (true/false, yes/no, on/off, 1/0)")
        return BOOLEANS[text.lower()]
    if kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            number = None
        if number is None or not math.isfinite(number):
            raise SettingError(f"{source}: {raw!r} is not {'an integer' if kind is int else 'a number'}")
        return number
    if setting.choices:
        if text.lower() not in setting.choices:
            raise SettingError(f"{source}: {raw!r} is not one of {', '.join(setting.choices)}")
        return text.lower()
    if setting.check and text:
        try:
            return setting.check(text)
        except ValueError as exc:
            raise SettingError(f"{source}: {raw!r} {exc}") from None
    return raw


@dataclasses.dataclass(frozen=True)
class Config:
    """Resolved configuration: flag over environment over default."""

    values: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def data_dir(self) -> Path:
        return Path(self.values["data"]).resolve()

    @property
    def store_url(self) -> str:
        return self.values["clickhouse_url"] or f"chdb://{self.data_dir / 'clickhouse'}"

    @property
    def embedded(self) -> bool:
        return self.store_url.startswith("chdb:")

    @property
    def snippet_url(self) -> str:
        """Where sites load the snippet from: --public-url, else the server's own address (by loopback
        when it listens on every address, where --public-url is what visitors need)."""
        if self.values["public_url"]:
            return str(self.values["public_url"])
        host = self.values["host"]
        host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.values['port']}"

    def replace(self, **changes: Any) -> Config:
        return Config({**self.values, **changes})


def load(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Config:
    """Flags (`overrides`, as text from the command line or typed from code) over the environment over
    the defaults; SettingError names the first value that cannot be read."""
    env = os.environ if environ is None else environ
    overrides = overrides or {}
    values = {}
    for s in SETTINGS:
        raw, source = overrides.get(s.name), s.flag
        if raw is None:
            raw, source = env.get(s.env), s.env
        values[s.name] = _coerce(s, raw, source)
    return Config(values)
