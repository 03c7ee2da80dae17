"""The local admin channel: a Unix socket in the data directory, usable only by its owner.

While `footfall serve` holds the embedded store, CLI commands send their request here
and the server runs it, since chDB lets only one process open a data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from footfall.store import Store
from footfall.web import commands

SOCKET_NAME = "admin.sock"
MAX_REQUEST = 1 << 20
# What a running server does for the CLI: every command (a GDPR request, or ending a user's access,
# must not wait for the server to stop).
ACCEPTED = frozenset(commands.COMMANDS)
# Seconds to wait for the reply: erasing rewrites the table parts that held the visitor's rows.
TIMEOUTS = {"visitor.erase": 600.0, "visitor.export": 600.0, "site.delete": 600.0}


class AdminError(Exception):
    pass


class AdminServer:
    def __init__(self, path: Path, store: Store, on_result: Any = None,
                 defaults: dict[str, Any] | None = None) -> None:
        self.path = path
        self.store = store
        self.on_result = on_result
        self.defaults = defaults or {}  # commands.defaults of the server's configuration
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        old = os.umask(0o177)  # the socket is created 0600: only the data directory's owner
        try:
            self.server = await asyncio.start_unix_server(self.handle, path=str(self.path))
        finally:
            os.umask(old)

    async def stop(self) -> None:
        if self.server:
            self.server.close()
            await self.server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            request = json.loads(line[:MAX_REQUEST])
            name = request["command"]
            if name not in ACCEPTED or name not in commands.COMMANDS:
                raise ValueError(f"unknown command {name!r}")
            args = {**self.defaults, **request.get("args", {})}
            result = await self.store.run(commands.run, self.store, name, args)
            if self.on_result:
                await self.on_result(name, result)
            reply: dict[str, Any] = {"ok": True, "result": result}
        except Exception as exc:  # the reply carries the error to the CLI, which prints it
            reply = {"ok": False, "error": str(exc)}
        writer.write(json.dumps(reply).encode() + b"\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()


def call(path: Path, name: str, args: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    timeout = timeout or TIMEOUTS.get(name, 30.0)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(json.dumps({"command": name, "args": args}).encode() + b"\n")
        chunks: list[bytes] = []  # one JSON line: an export may run to megabytes
        while not chunks or not chunks[-1].endswith(b"\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    reply = json.loads(b"".join(chunks))
    if not reply.get("ok"):
        raise AdminError(reply.get("error", "admin request failed"))
    return reply["result"]


def wait_and_call(path: Path, name: str, args: dict[str, Any], wait: float = 60.0) -> dict[str, Any]:
    """The server holding the data directory may still be starting: wait for its socket."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return call(path, name, args)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise AdminError(
                    f"the data directory is in use but no server answers on {path}"
                ) from None
            time.sleep(0.2)
