"""What the server adds on the request path: visitor hashes and the device class."""

from __future__ import annotations

from collector.ingest.enrich import client_of, device_class, visitor_hash


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
