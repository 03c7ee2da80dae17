"""Runs the app under uvicorn with httptools and uvloop (h11 is about three times slower), behind
the connection guards of connections.py (header and body deadlines, connection caps)."""

from __future__ import annotations

from typing import Any

import uvicorn

from footfall.web.app import create_app
from footfall.web.connections import ConnectionLimits, protocol_class, raise_open_file_limit
from footfall.web.runtime import Runtime, secret_of
from footfall.web.settings import Config


def serve(config: Config, on_started: Any = None) -> None:
    open_files = raise_open_file_limit()  # before the store opens its files
    limits = ConnectionLimits.from_config(config, open_files)
    runtime = Runtime(config)
    runtime.lock()  # with a ClickHouse server too: two collectors must not share one spool
    secret_of(config)  # an unreadable --secret-file is refused before the store is opened
    runtime.open_store()
    app = create_app(config, runtime, on_started)
    uvicorn.run(
        app,
        host=config.host,
        port=int(config.port),
        loop="uvloop",
        http=protocol_class(limits),
        log_level=config.log_level,
        log_config=None,  # uvicorn's loggers go through web/logs.py's handler, in the same format
        access_log=config.access_log,
        timeout_graceful_shutdown=10,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=config.forwarded_allow_ips,
    )
