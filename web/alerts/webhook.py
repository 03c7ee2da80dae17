"""A webhook delivery: the event as JSON, POSTed with a Stripe-style signature
(`Footfall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the rule's
secret) and the event's name (`Footfall-Event`); three tries, backing off, on a short timeout. It
blocks: callers run it in a thread."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from footfall.web.version import version

TIMEOUT = 5.0  # seconds per try
TRIES = 3
BACKOFF = 0.5  # seconds before the second try, doubled before each next one
MAX_URL = 2048
RETRIED = {408, 425, 429, 500, 502, 503, 504}  # answers worth another try; any other is final


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a delivery came to, as the rule page and the notifications table show it."""

    ok: bool
    text: str  # "HTTP 200", "HTTP 410", "error: connection refused", "sent"


def checked_url(text: str) -> str:
    """An http(s) URL with a host; ValueError says why not."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(text) > MAX_URL \
            or any(c.isspace() for c in text):
        raise ValueError("A webhook is an http(s) URL, such as https://hooks.example/footfall.")
    return text


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is the receiver's answer, not a place to send the event again."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_once(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT) -> Outcome:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(65536)
            return Outcome(200 <= answer.status < 300, f"HTTP {answer.status}")
    except urllib.error.HTTPError as exc:
        exc.close()
        return Outcome(False, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Outcome(False, f"error: {getattr(reason, 'strerror', None) or reason}")


def deliver(url: str, secret: str, event: str, body: bytes,
            sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """POST the event, signed afresh at each try; retried on a network error or a RETRIED status."""
    outcome = Outcome(False, "error: not sent")
    for attempt in range(TRIES):
        if attempt:
            sleep(BACKOFF * 2 ** (attempt - 1))
        headers = {"Content-Type": "application/json", "User-Agent": f"Footfall/{version()}",
                   "Footfall-Event": event, "Footfall-Signature": signature(secret, body, int(time.time()))}
        outcome = post_once(url, body, headers)
        status = outcome.text.removeprefix("HTTP ")
        if outcome.ok or (status.isdigit() and int(status) not in RETRIED):
            break
    return outcome
