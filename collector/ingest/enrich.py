"""What the server adds to a batch: receive time, clock-skew correction, device, browser, visitor hash."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
from urllib.parse import urlsplit

from ua_parser import parse as parse_user_agent

MOBILE_MAX_WIDTH = 767
TABLET_MAX_WIDTH = 1024
# Client clocks off by less than this are trusted as they are.
SKEW_TOLERANCE_MS = 2_000


@dataclasses.dataclass(frozen=True)
class Client:
    browser: str
    browser_version: str
    os: str
    is_bot: bool
    device: str = "desktop"  # from the user agent; used only when the page sent no viewport


@functools.lru_cache(maxsize=4096)
def client_of(user_agent: str) -> Client:
    if not user_agent:
        return Client("Unknown", "", "Unknown", True)
    result = parse_user_agent(user_agent)
    agent, os_, device = result.user_agent, result.os, result.device
    is_bot = bool(device and device.family == "Spider")
    return Client(
        browser=agent.family if agent else "Other",
        browser_version=(agent.major or "") if agent else "",
        os=os_.family if os_ else "Other",
        is_bot=is_bot,
        device=device_class(0, user_agent),
    )


def device_class(viewport_width: int, user_agent: str = "") -> str:
    """Viewport width decides; the user agent only breaks ties when the page sent no width."""
    if viewport_width <= 0:
        lowered = user_agent.lower()
        if "ipad" in lowered or "tablet" in lowered:
            return "tablet"
        return "mobile" if "mobi" in lowered else "desktop"
    if viewport_width <= MOBILE_MAX_WIDTH:
        return "mobile"
    if viewport_width <= TABLET_MAX_WIDTH:
        return "tablet"
    return "desktop"


def clock_skew_ms(sent_at: int | None, received_ms: int) -> int:
    """Amount to add to client timestamps so they land on the server's clock."""
    if sent_at is None:
        return 0
    skew = received_ms - sent_at
    return 0 if abs(skew) < SKEW_TOLERANCE_MS else skew


def visitor_hash(salt: bytes, site: str, ip: str, user_agent: str) -> str:
    """A visitor id that cannot be turned back into an IP and changes when the daily salt rotates."""
    message = f"{site}\x00{ip}\x00{user_agent}".encode()
    return hmac.new(salt, message, hashlib.blake2b).hexdigest()[:24]


def split_url(url: str) -> tuple[str, str, str]:
    """(url without query or fragment, path, host). Query strings often carry personal data."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0], "/", ""
    path = parts.path or "/"
    # Hash-routed single page apps keep their route.
    if parts.fragment.startswith("/"):
        path = f"{path}#{parts.fragment.split('?', 1)[0]}"
    base = f"{parts.scheme}://{parts.netloc}{path}" if parts.scheme else path
    return base, path, parts.hostname or ""


def referrer_host(referrer: str) -> str:
    try:
        return urlsplit(referrer).hostname or ""
    except ValueError:
        return ""
