"""What the server adds to a request: browser, OS and device from the user agent, and the visitor hash.

Clock-skew correction and URL clean-up run in ClickHouse (store/migrations/0002_ingest_views.sql)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib

from ua_parser import parse as parse_user_agent

MOBILE_MAX_WIDTH = 767
TABLET_MAX_WIDTH = 1024


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


def visitor_hash(salt: bytes, site: str, ip: str, user_agent: str) -> str:
    """A visitor id that cannot be turned back into an IP and changes when the daily salt rotates.

    BLAKE2b in keyed mode is a MAC by design, so the salt is its key (no HMAC construction).
    """
    message = f"{site}\x00{ip}\x00{user_agent}".encode()
    return hashlib.blake2b(message, key=salt[:64], digest_size=12).hexdigest()
