"""The policy of the frames that rebuild recorded pages: loads only from the site's own origins."""

from __future__ import annotations

from footfall.web.dashboard import isolated_frames

SOURCES = ("img-src", "font-src", "media-src", "style-src")


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


def test_the_rebuilt_page_loads_only_from_the_site_and_data() -> None:
    policy = directives(isolated_frames.frame_policy(["http://shop.test", "https://www.shop.test:8443"]))
    for name in SOURCES:
        assert "http://shop.test" in policy[name] and "https://www.shop.test:8443" in policy[name], name
        assert "data:" in policy[name] and "*" not in policy[name], name
    assert policy["img-src"] == ["http://shop.test", "https://www.shop.test:8443", "data:", "blob:"]
    assert policy["connect-src"] == ["'none'"] and policy["default-src"] == ["'none'"]


def test_any_origin_allows_no_host_and_nothing_odd_reaches_the_header() -> None:
    policy = isolated_frames.frame_policy(["*", "http://a.test; script-src *", "javascript:x", "http://[::1]:80"])
    assert directives(policy)["img-src"] == ["data:", "blob:"]
    assert "a.test" not in policy and "javascript" not in policy and "*" not in policy


def test_the_viewer_document_names_the_origins_it_may_load_from() -> None:
    document = isolated_frames.viewer_document("http://ff.test", "player.js", "Replay",
                                               origins=["http://shop.test", "*"])
    assert 'data-origins="http://shop.test"' in document
