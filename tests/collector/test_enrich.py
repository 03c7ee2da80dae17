"""What the server adds on the request path: visitor hashes and the device class."""

from __future__ import annotations

import pytest

from footfall.collector.enrich import client_of, visitor_hash
from footfall.store.vocabulary import device_class

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
          "Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IOS_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.5 Mobile/15E148 Safari/604.1")
SAMSUNG = ("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
           "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36")
BOTS = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36":
        "headless",
    "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
    "(compatible; Bytespider; spider-feedback@bytedance.com)": "crawler",
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/114.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse": "crawler",
    "curl/8.5.0": "http-library",
    "python-requests/2.32.3": "http-library",
    "Go-http-client/1.1": "http-library",
    "Wget/1.21.4": "http-library",
    "Java/17.0.10": "http-library",  # not in the crawler list: our own supplement
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": "crawler",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36 Puppeteer": "automation",
    "": "empty",
}


def test_visitor_hash_rotates_with_salt_and_hides_ip() -> None:
    a = visitor_hash(b"salt-1", "shop", "203.0.113.9", "UA")
    assert a == visitor_hash(b"salt-1", "shop", "203.0.113.9", "UA")
    assert a != visitor_hash(b"salt-2", "shop", "203.0.113.9", "UA")
    assert a != visitor_hash(b"salt-1", "other-site", "203.0.113.9", "UA")
    assert "203" not in a and len(a) == 24


def test_device_class_from_viewport_then_user_agent() -> None:
    assert [device_class(w) for w in (375, 800, 1440)] == ["mobile", "tablet", "desktop"]
    assert device_class(0, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148") == "mobile"
    assert device_class(0, "Mozilla/5.0 (iPad; CPU OS 17_0)") == "tablet"


def test_known_bots_are_flagged() -> None:
    assert client_of("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)").is_bot
    assert not client_of("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36").is_bot


@pytest.mark.parametrize(("user_agent", "reason"), BOTS.items(), ids=[r + ":" + u[:40] for u, r in BOTS.items()])
def test_crawlers_headless_browsers_and_http_libraries_are_bots_with_a_reason(user_agent: str, reason: str) -> None:
    client = client_of(user_agent)
    assert client.is_bot
    assert client.bot_reason == reason


@pytest.mark.parametrize(("user_agent", "browser"), [(CHROME, "Chrome"), (FIREFOX, "Firefox"),
                                                      (IOS_SAFARI, "Mobile Safari"), (SAMSUNG, "Samsung Internet")])
def test_real_browsers_stay_human(user_agent: str, browser: str) -> None:
    client = client_of(user_agent)
    assert not client.is_bot
    assert client.bot_reason == ""
    assert client.browser == browser
