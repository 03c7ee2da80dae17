"""One log format for Footfall's loggers and uvicorn's: text lines or JSON objects, the access log too."""

from __future__ import annotations

import io
import json
import logging
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from footfall.web import logs
from tests.conftest import Server

TEXT_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: .*")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger's configuration as the CLI makes it, written here; put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def access_record() -> logging.LogRecord:
    """What uvicorn's access logger makes of a request."""
    return logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access", logging.INFO, "h11_impl.py", 1, '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.9:51234", "GET", "/api/v1/sites/shop/sessions?url=/checkout", "1.1", 200), None)


def test_text_is_one_line_with_time_level_logger_message_and_fields(captured: io.StringIO) -> None:
    logs.configure("info", "text", captured)
    logging.getLogger("footfall.writer").info("segment %s written", "s1", extra={"rows": 3})
    logging.getLogger("footfall.writer").debug("not at info")
    line = captured.getvalue()
    assert TEXT_LINE.fullmatch(line.rstrip("\n")) and line.count("\n") == 1
    assert line.split(" ", 1)[1] == "INFO footfall.writer: segment s1 written rows=3\n"


def test_json_is_one_object_a_line(captured: io.StringIO) -> None:
    logs.configure("debug", "json", captured)
    logging.getLogger("footfall.store").debug("slow query", extra={"ms": 812.5, "table": "events"})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("footfall.spool").exception("commit failed")
    first, second = (json.loads(line) for line in captured.getvalue().splitlines())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first.pop("time"))
    assert first == {"level": "DEBUG", "logger": "footfall.store", "message": "slow query", "ms": 812.5,
                     "table": "events"}
    assert second["level"] == "ERROR" and second["message"] == "commit failed"
    assert second["exception"].startswith("Traceback") and "RuntimeError: boom" in second["exception"]


def test_an_access_line_names_the_request_without_client_address_or_query() -> None:
    record = access_record()
    text = logs.TextFormatter().format(record)
    assert text.split(" ", 1)[1] == 'INFO uvicorn.access: "GET /api/v1/sites/shop/sessions HTTP/1.1" 200'
    entry = json.loads(logs.JsonFormatter().format(record))
    assert {k: v for k, v in entry.items() if k != "time"} == {
        "level": "INFO", "logger": "uvicorn.access", "message": '"GET /api/v1/sites/shop/sessions HTTP/1.1" 200',
        "method": "GET", "path": "/api/v1/sites/shop/sessions", "http_version": "1.1", "status": 200}
    assert "203.0.113.9" not in text + json.dumps(entry) and "checkout" not in text + json.dumps(entry)


@pytest.mark.parametrize("form", ["text", "json"])
def test_a_server_logs_in_one_format(tmp_path: Path, form: str) -> None:
    """Footfall's loggers, the migrations', uvicorn's and its access log, every line in the format."""
    server = Server(tmp_path / "data", {"FOOTFALL_LOG_LEVEL": "info", "FOOTFALL_LOG_FORMAT": form,
                                        "FOOTFALL_ACCESS_LOG": "on"})
    try:
        with urllib.request.urlopen(f"{server.url}/healthz?probe=1", timeout=10) as answer:
            assert answer.status == 200
    finally:
        server.stop()
    lines = server.log_path.read_text().splitlines()
    if form == "json":
        entries = [json.loads(line) for line in lines]
    else:
        assert all(TEXT_LINE.fullmatch(line) for line in lines), lines
        entries = [dict(zip(("time", "level", "logger"), line.split(" ", 3)[:3], strict=True))
                   | {"message": line.split(": ", 1)[1]} for line in lines]
        for entry in entries:
            entry["logger"] = entry["logger"].rstrip(":")
    loggers = {entry["logger"] for entry in entries}
    assert {"footfall", "footfall.migrations", "uvicorn.error", "uvicorn.access"} <= loggers, loggers
    assert any(entry["message"] == '"GET /healthz HTTP/1.1" 200' for entry in entries)  # without ?probe=1
    assert "127.0.0.1" not in "".join(entry["message"] for entry in entries if entry["logger"] == "uvicorn.access")
