"""What the server adds to a request: browser, OS and device from the user agent, and the visitor hash.

Clock-skew correction and URL clean-up run in ClickHouse (store/migrations/0002_ingest_views.sql)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re

import crawleruseragents
from ua_parser import Domain
from ua_parser import parse as parse_user_agent
from ua_parser.matchers import UserAgentMatcher
from ua_parser.regex import Resolver

from footfall.store.vocabulary import device_class


@dataclasses.dataclass(frozen=True)
class Client:
    browser: str
    browser_version: str
    os: str
    is_bot: bool
    device: str = "desktop"  # from the user agent; used only when the page sent no viewport
    # Why a bot is one, from a fixed set ("" for a person), counted as dropped.bot.<reason>:
    # "empty" (no User-Agent), "headless" (a headless browser), "automation" (a browser driven by
    # Puppeteer, Selenium and the like), "http-library" (curl, wget, python-requests, Go's client ...),
    # "crawler" (search engines, AI and SEO crawlers, monitors such as Lighthouse, scanners ...).
    bot_reason: str = ""


# HTTP clients that the crawler list does not name; none of them is a browser running f.js.
HTTP_LIBRARIES = re.compile(
    r"^(Java|PostmanRuntime|Deno|undici|Dart|Ruby|Faraday|GuzzleHttp|node|Bun|python-urllib3|PycURL)\b", re.I)


@functools.cache
def crawlers() -> Resolver:
    """The crawler-user-agents list (about 1,500 patterns, each a family named by its index), matched
    by ua-parser's Rust regex engine: 3 µs for a browser's User-Agent, against 120 µs with Python's re."""
    return Resolver(([UserAgentMatcher(entry["pattern"], str(index))
                      for index, entry in enumerate(crawleruseragents.CRAWLER_USER_AGENTS_DATA)], [], []))


def bot_reason(user_agent: str, device_family: str = "") -> str:
    """Why this User-Agent is not a person's browser, or "" when nothing says it is not."""
    if not user_agent:
        return "empty"
    if HTTP_LIBRARIES.match(user_agent):
        return "http-library"
    match = crawlers()(user_agent, Domain.USER_AGENT).user_agent
    if match:
        tags = crawleruseragents.CRAWLER_USER_AGENTS_DATA[int(match.family)].get("tags", ())
        if "http-library" in tags:
            return "http-library"
        if "browser-automation" in tags:
            return "headless" if "Headless" in user_agent else "automation"
        return "crawler"
    return "crawler" if device_family == "Spider" else ""


@functools.lru_cache(maxsize=4096)
def client_of(user_agent: str) -> Client:
    if not user_agent:
        return Client("Unknown", "", "Unknown", True, bot_reason="empty")
    result = parse_user_agent(user_agent)
    agent, os_, device = result.user_agent, result.os, result.device
    reason = bot_reason(user_agent, device.family if device else "")
    return Client(
        browser=agent.family if agent else "Other",
        browser_version=(agent.major or "") if agent else "",
        os=os_.family if os_ else "Other",
        is_bot=bool(reason),
        device=device_class(0, user_agent),
        bot_reason=reason,
    )


def visitor_hash(salt: bytes, site: str, ip: str, user_agent: str) -> str:
    """A visitor id that cannot be turned back into an IP and changes when the daily salt rotates.

    BLAKE2b in keyed mode is a MAC by design, so the salt is its key (no HMAC construction).
    """
    message = f"{site}\x00{ip}\x00{user_agent}".encode()
    return hashlib.blake2b(message, key=salt[:64], digest_size=12).hexdigest()
