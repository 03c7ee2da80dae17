"""Slow and greedy clients cannot take the process's file descriptors.

Each open connection holds a descriptor, and the spool, the writer and the store need theirs
too: a client that opens thousands of connections and never finishes a request once left the
writer looping on "Too many open files". uvicorn's httptools protocol has a keep-alive timeout
but no deadline for a request's headers, and a request that never finishes its headers never
reaches the ASGI app, so the guards live here, in a small subclass of that protocol:

- a connection has `--header-timeout` seconds to send a request's headers, counted from when it
  opened or its previous response was sent (an idle kept-alive connection is closed sooner by
  uvicorn's keep-alive timeout); headers past `MAX_HEADER_BYTES` are refused with 431;
- a request whose body is incomplete `--body-timeout` seconds after its headers is answered 408
  by the app, woken through a flag in its scope (see `receive_by` in collector/routes.py);
  a connection whose app is not reading the body is closed `BODY_GRACE` seconds later;
- at most `--max-connections-per-ip` connections per client address (trusted proxies, see
  `--forwarded-allow-ips`, are exempt: their connections carry many clients): one more is
  answered 503 and closed at once;
- at most `--max-connections` in all, never more than the open-file limit less a reserve: at
  the cap a new connection closes the one that has waited longest for its request's headers
  (a half-sent request or an idle keep-alive connection), so a flood of slow connections
  cannot lock out new clients; with none waiting, the new one gets 503.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import resource
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from footfall.collector.routes import BODY_LATE

log = logging.getLogger("footfall")

MAX_HEADER_BYTES = 64 * 1024  # request line and headers; nginx allows 4 x 8 KiB by default
BODY_GRACE = 1.0  # seconds past --body-timeout before closing a connection whose app is not reading
SWEEP_INTERVAL = 0.25  # how often deadlines are checked: a timeout fires up to this much late


def _reply(status: bytes, text: bytes, *extra: bytes) -> bytes:
    """A whole response written straight to the transport: these are answered before (or instead
    of) the app."""
    head = [b"HTTP/1.1 " + status, b"content-type: text/plain", *extra, b"connection: close",
            b"content-length: " + str(len(text)).encode()]
    return b"\r\n".join(head) + b"\r\n\r\n" + text


REFUSED = _reply(b"503 Service Unavailable", b"too many connections", b"retry-after: 1")
TIMED_OUT = _reply(b"408 Request Timeout", b"request headers not received in time")
TOO_LARGE = _reply(b"431 Request Header Fields Too Large", b"request headers too large")


def raise_open_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (allowed without privileges); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            log.warning("could not raise the open-file limit above %d", soft)
    return soft


def connection_cap(wanted: int, open_files: int) -> int:
    """`wanted`, but leaving 1,024 descriptors (a quarter of a smaller limit) to everything else."""
    return max(1, min(wanted, open_files - min(1024, open_files // 4)))


def address_matcher(spec: str) -> Any:
    """A predicate for the addresses of --forwarded-allow-ips: '*', addresses and networks."""
    items = [item.strip() for item in spec.split(",") if item.strip()]
    if "*" in items:
        return lambda host: True
    networks, literals = [], set()
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            literals.add(item)

    def matches(host: str) -> bool:
        if host in literals:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in networks)

    return matches


class ConnectionLimits:
    """The shared state of one process's connections: counts per address, and two queues in deadline
    order (the same timeout for all), checked by one timer, so no request pays for a timer of its own."""

    def __init__(self, total: int, per_ip: int, header_timeout: float, body_timeout: float,
                 exempt: Any = lambda host: False) -> None:
        self.total, self.per_ip = total, per_ip
        self.header_timeout, self.body_timeout = header_timeout, body_timeout
        self.exempt = exempt
        self.open = 0
        self.by_ip: dict[str, int] = {}
        # Connection -> deadline (loop time). Dicts keep insertion order: the first entry is due first.
        self.waiting: dict[GuardedHttpToolsProtocol, float] = {}  # for a request's headers
        self.reading: dict[GuardedHttpToolsProtocol, float] = {}  # for a request's body
        self.sweeper: asyncio.TimerHandle | None = None
        self.counts = {"refused": 0, "evicted": 0, "header_timeout": 0, "body_timeout": 0}
        self.logged = -60.0

    @classmethod
    def from_config(cls, config: Any, open_files: int) -> ConnectionLimits:
        return cls(connection_cap(config.max_connections, open_files), config.max_connections_per_ip,
                   config.header_timeout, config.body_timeout, address_matcher(config.forwarded_allow_ips))

    def admit(self, conn: GuardedHttpToolsProtocol) -> bool:
        ip = conn.ip
        if self.by_ip.get(ip, 0) >= self.per_ip and not self.exempt(ip):
            self.note("refused")
            return False
        if self.open >= self.total:
            if not self.waiting:
                self.note("refused")
                return False
            self.note("evicted")
            next(iter(self.waiting)).drop()
        self.open += 1
        self.by_ip[ip] = self.by_ip.get(ip, 0) + 1
        if self.sweeper is None:
            self.sweeper = conn.loop.call_later(SWEEP_INTERVAL, self.sweep, conn.loop)
        return True

    def release(self, conn: GuardedHttpToolsProtocol) -> None:
        self.waiting.pop(conn, None)
        self.reading.pop(conn, None)
        self.open -= 1
        left = self.by_ip[conn.ip] - 1
        if left:
            self.by_ip[conn.ip] = left
        else:
            del self.by_ip[conn.ip]

    def await_headers(self, conn: GuardedHttpToolsProtocol) -> None:
        self.waiting.pop(conn, None)  # to the end of the queue
        self.waiting[conn] = conn.loop.time() + self.header_timeout

    def sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for queue, expire in ((self.waiting, "header_timeout"), (self.reading, "body_timeout")):
            while queue:
                conn, deadline = next(iter(queue.items()))
                if deadline > now:
                    break
                del queue[conn]
                self.note(expire)
                getattr(conn, expire)()
        self.sweeper = loop.call_later(SWEEP_INTERVAL, self.sweep, loop)

    def note(self, what: str) -> None:
        """Count, and say so in the log at most once a minute (a flood must not flood the log too)."""
        self.counts[what] += 1
        now = time.monotonic()
        if now - self.logged >= 60:
            self.logged = now
            log.warning("connection guards: %s (%d open, cap %d, %d per client address)",
                        ", ".join(f"{k} {v}" for k, v in self.counts.items()), self.open, self.total,
                        self.per_ip)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body deadlines and the connection caps."""

    limits: ConnectionLimits  # set on the class that protocol_class() makes

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.ip = self.client[0] if self.client else ""
        self.header_bytes = 0
        self.admitted = self.limits.admit(self)
        if not self.admitted:
            transport.write(REFUSED)
            transport.close()
            return
        self.limits.await_headers(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.admitted:
            self.admitted = False
            self.limits.release(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return  # refused: the 503 is on its way out
        # Waiting for headers, and not for the rest of a body answered early (a 413 says so at once).
        waiting = self in self.limits.waiting and self not in self.limits.reading
        super().data_received(data)  # parses: the headers may complete inside this read, a body after them
        if waiting and self in self.limits.waiting:  # still no end of headers in what came
            self.header_bytes += len(data)
            if self.header_bytes > MAX_HEADER_BYTES:
                self.close_with(TOO_LARGE)

    def on_headers_complete(self) -> None:
        self.limits.waiting.pop(self, None)
        super().on_headers_complete()
        self.limits.reading[self] = self.loop.time() + self.limits.body_timeout

    def on_message_complete(self) -> None:
        self.limits.reading.pop(self, None)
        super().on_message_complete()
        if self.cycle.response_complete:  # answered before its body was in (a 413, say)
            self.idle()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self not in self.limits.reading:  # else the body deadline holds until the body is in
            self.idle()

    def idle(self) -> None:
        """Between requests, a kept-alive connection waits for the next one's headers."""
        if self.admitted and self.timeout_keep_alive_task is not None:
            self.header_bytes = 0
            self.limits.await_headers(self)

    def header_timeout(self) -> None:
        # Part of a request arrived: say why it ends. Nothing did (an idle connection): just close.
        self.close_with(TIMED_OUT if self.header_bytes else b"")

    def body_timeout(self) -> None:
        """Wake the app reading the body, which then answers 408 (collector/routes.py); a
        connection whose app is not reading it is closed BODY_GRACE seconds later."""
        cycle = self.cycle
        if cycle is None or cycle.response_started or cycle.scope.get(BODY_LATE):
            self.close_with(b"")
            return
        cycle.scope[BODY_LATE] = True  # type: ignore[typeddict-unknown-key]
        cycle.message_event.set()
        self.limits.reading[self] = self.loop.time() + BODY_GRACE

    def drop(self) -> None:
        """Make room for a new connection (see ConnectionLimits.admit)."""
        self.limits.waiting.pop(self, None)
        self.transport.abort()

    def close_with(self, response: bytes) -> None:
        self.limits.waiting.pop(self, None)
        self.limits.reading.pop(self, None)
        if not self.transport.is_closing():
            if response:
                self.transport.write(response)
            self.transport.close()


def protocol_class(limits: ConnectionLimits) -> type[GuardedHttpToolsProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to this process's limits."""
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"limits": limits})
