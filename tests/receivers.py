"""What alerts are sent to, for the tests: a webhook receiver (http.server) and an SMTP receiver
(socketserver, speaking just enough SMTP for smtplib), each on a free loopback port in a thread,
keeping what arrived."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socketserver
import threading
from email.message import EmailMessage
from typing import Any

from tests.conftest import free_port


class Call:
    """One request the webhook receiver took."""

    def __init__(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.path, self.headers, self.body = path, headers, body
        self.json: dict[str, Any] = json.loads(body)

    @property
    def event(self) -> str:
        return self.json["event"]


def verified(secret: str, body: bytes, header: str) -> bool:
    """Footfall-Signature checked as a receiver would: t=<seconds>,v1=<HMAC-SHA256 of "<t>.<body>">."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class WebhookReceiver:
    """POSTs to any path are kept in `calls` and answered `status`."""

    def __init__(self, status: int = 200) -> None:
        self.calls: list[Call] = []
        self.status = status
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.calls.append(Call(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def received(self, event: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if event is None or c.event == event]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class SmtpReceiver:
    """An SMTP server without TLS or login: every message accepted is kept in `messages` with its
    envelope recipients in `recipients`."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 receiver.test ESMTP")
                to: list[str] = []
                while line := self.rfile.readline():
                    verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-receiver.test")
                        self.reply("250 8BITMIME")
                    elif verb in ("HELO", "MAIL", "RSET", "NOOP"):
                        to = [] if verb in ("MAIL", "RSET") else to
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        to.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = b""
                        while (part := self.rfile.readline()) not in (b".\r\n", b""):
                            data += part[1:] if part.startswith(b"..") else part
                        message = email.message_from_bytes(data, policy=email.policy.default)
                        receiver.messages.append(message)  # type: ignore[arg-type]
                        receiver.recipients.append(to)
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        self.port = free_port()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
