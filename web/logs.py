"""One log format for every logger of the process, Footfall's and uvicorn's (its access log too):
`text` for people, `json` (one object a line) for log shippers."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

# What every record carries; anything else on a record was given as `extra=` and is shown as a field.
STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}
# uvicorn's access log record: its message's arguments (client, method, path, HTTP version, status).
ACCESS_ARGS = 5
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def timestamp(record: logging.LogRecord) -> str:
    """UTC, ISO 8601 to the millisecond: 2026-12-07T15:40:00.123Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """What the call passed as `extra=`."""
    return {key: value for key, value in vars(record).items() if key not in STANDARD}


def access_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """An access log line's parts, without the client's address and the query string (docs/privacy.md:
    no log line holds an IP address; page addresses and ids travel in queries)."""
    if record.name != "uvicorn.access" or not isinstance(record.args, tuple) or len(record.args) != ACCESS_ARGS:
        return None
    _client, method, path, version, status = record.args
    return {"method": method, "path": str(path).split("?", 1)[0], "http_version": version, "status": status}


def message(record: logging.LogRecord) -> str:
    access = access_fields(record)
    if access is None:
        return record.getMessage()
    return f'"{access["method"]} {access["path"]} HTTP/{access["http_version"]}" {access["status"]}'


class TextFormatter(logging.Formatter):
    """`2026-12-07T15:40:00.123Z INFO footfall.writer: message key=value`, a traceback on the lines below."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{timestamp(record)} {record.levelname} {record.name}: {message(record)}"
        line += "".join(f" {key}={value}" for key, value in extras(record).items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", ...fields, "exception"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": timestamp(record), "level": record.levelname, "logger": record.name,
                 "message": message(record)}
        own = (access_fields(record) or {}) | extras(record)
        entry.update((key, value) for key, value in own.items() if key not in entry)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


FORMATTERS = {"text": TextFormatter, "json": JsonFormatter}


def configure(level: str, form: str = "text", stream: TextIO | None = None) -> None:
    """Every record to one handler on the root logger: uvicorn's loggers lose their own handlers and
    propagate (uvicorn is then started with log_config=None, so it installs none)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(FORMATTERS[form]())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in UVICORN:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
