"""The scripts and the dashboard's files as a real server sends them: brotli, gzip or the file as
it is, by the request's Accept-Encoding; strong ETags, 304s, HEAD, and bodies that decompress to
exactly the file."""

from __future__ import annotations

import gzip

import brotli
import httpx
import pytest

from footfall.web.static_files import choose
from tests.conftest import ROOT, Server

STATIC = ROOT / "web" / "static"
BUDGET = 6 * 1024  # f.js on the wire, as tests/sdk_js/test_size.py holds the file to
# (path, file): the scripts every site's pages load, and dashboard files behind /static.
SERVED = [("/f.js", "f.js"), ("/replay.js", "replay.js"), ("/static/player.js", "player.js"),
          ("/static/heatmap.js", "heatmap.js"), ("/static/player.css", "player.css")]
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda body: body}


@pytest.fixture(scope="module")
def server(shop_server: tuple[Server, str]) -> Server:
    return shop_server[0]


def fetch(server: Server, path: str, method: str = "GET", **headers: str) -> tuple[httpx.Response, bytes]:
    """The answer and its body as it came over the wire; no Accept-Encoding unless one is given."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        del client.headers["accept-encoding"]
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        with client.stream(method, path, headers=named) as answer:
            return answer, b"".join(answer.iter_raw())


def file(name: str) -> bytes:
    return (STATIC / name).read_bytes()


@pytest.mark.parametrize(("accept", "coding"), [
    ("gzip, deflate, br, zstd", "br"),  # what browsers send over HTTPS
    ("gzip, deflate", "gzip"),  # and over plain HTTP
    (None, None),
    ("", None),
    ("deflate", None),
    ("br;q=0, gzip", "gzip"),
    ("gzip;q=0", None),
    ("br;q=0.001, gzip;q=1", "br"),  # any q above 0 takes it; the server prefers br
    ("*", "br"),
    ("*;q=0, gzip", "gzip"),
    ("identity;q=0, gzip", "gzip"),
    ("X-GZIP", "gzip"),
    ("br;q=junk, gzip", "gzip"),  # an entry that cannot be read is left out
])
@pytest.mark.parametrize(("path", "name"), SERVED, ids=[p for p, _ in SERVED])
def test_the_form_sent_is_the_one_accepted_and_decompresses_to_the_file(
        server: Server, path: str, name: str, accept: str | None, coding: str | None) -> None:
    answer, raw = fetch(server, path, **({} if accept is None else {"accept_encoding": accept}))
    assert answer.status_code == 200
    assert answer.headers.get("content-encoding") == coding
    assert answer.headers["vary"] == "Accept-Encoding"
    assert int(answer.headers["content-length"]) == len(raw)
    assert DECODE[coding](raw) == file(name)
    if coding:
        assert len(raw) < len(file(name)) * 0.5


@pytest.mark.parametrize("accept", ["identity;q=0", "*;q=0", "gzip;q=0, identity;q=0"])
def test_a_request_that_refuses_every_form_gets_406(server: Server, accept: str) -> None:
    answer, _ = fetch(server, "/f.js", accept_encoding=accept)
    assert answer.status_code == 406
    assert answer.headers["vary"] == "Accept-Encoding"


def test_the_scripts_are_short_lived_and_cross_origin_the_dashboard_files_revalidated(server: Server) -> None:
    for path in ("/f.js", "/replay.js"):
        answer, _ = fetch(server, path, accept_encoding="br")
        assert answer.headers["cache-control"] == "public, max-age=300"
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    answer, _ = fetch(server, "/static/player.css", accept_encoding="br")
    assert answer.headers["cache-control"] == "no-cache"
    assert "access-control-allow-origin" not in answer.headers
    assert answer.headers["content-type"] == "text/css; charset=utf-8"


@pytest.mark.parametrize(("path", "name"), SERVED, ids=[p for p, _ in SERVED])
def test_each_form_has_its_own_strong_etag_and_is_revalidated_with_it(server: Server, path: str, name: str) -> None:
    tags = {}
    for accept in ("br", "gzip", "identity"):
        answer, _ = fetch(server, path, accept_encoding=accept)
        tags[accept] = answer.headers["etag"]
        again, body = fetch(server, path, accept_encoding=accept, if_none_match=tags[accept])
        assert again.status_code == 304 and body == b""
        assert again.headers["etag"] == tags[accept]
        assert again.headers["vary"] == "Accept-Encoding"
        assert "content-length" not in again.headers and "content-encoding" not in again.headers
        weak, _ = fetch(server, path, accept_encoding=accept, if_none_match=f'"other", W/{tags[accept]}')
        assert weak.status_code == 304  # If-None-Match compares weakly
    assert len(set(tags.values())) == 3
    assert all(tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/") for tag in tags.values())
    # A cache holding the brotli form does not get a 304 for a gzip request: it gets the gzip form.
    other, raw = fetch(server, path, accept_encoding="gzip", if_none_match=tags["br"])
    assert other.status_code == 200 and other.headers["etag"] == tags["gzip"]
    assert gzip.decompress(raw) == file(name)


def test_a_changed_file_has_another_etag(server: Server) -> None:
    f_js, _ = fetch(server, "/f.js", accept_encoding="br")
    replay_js, _ = fetch(server, "/replay.js", accept_encoding="br")
    assert f_js.headers["etag"] != replay_js.headers["etag"]
    again, _ = fetch(server, "/static/f.js", accept_encoding="br")
    assert again.headers["etag"] == f_js.headers["etag"]  # the same file under /static: the same form


@pytest.mark.parametrize("accept", ["br", "gzip", "identity"])
def test_head_answers_the_get_headers_without_a_body(server: Server, accept: str) -> None:
    get, raw = fetch(server, "/f.js", accept_encoding=accept)
    head, body = fetch(server, "/f.js", "HEAD", accept_encoding=accept)
    assert head.status_code == 200 and body == b""
    for name in ("content-length", "content-encoding", "etag", "vary", "cache-control", "content-type"):
        assert head.headers.get(name) == get.headers.get(name), name
    assert int(head.headers["content-length"]) == len(raw)


def test_a_missing_static_file_is_404(server: Server) -> None:
    for path in ("/static/nothing.js", "/static/../app.py", "/static/"):
        answer, _ = fetch(server, path, accept_encoding="br")
        assert answer.status_code == 404, path


def test_f_js_compressed_is_within_the_snippet_budget(server: Server) -> None:
    sizes = {}
    for accept in ("br", "gzip"):
        answer, raw = fetch(server, "/f.js", accept_encoding=accept)
        assert answer.headers["content-encoding"] == accept
        sizes[accept] = len(raw)
    assert sizes["br"] < sizes["gzip"] <= BUDGET


@pytest.mark.parametrize(("accept", "offered", "coding"), [
    (None, ("br", "gzip"), "identity"),
    ("br, gzip", ("gzip",), "gzip"),  # brotli not kept (no smaller than the file): gzip
    ("br", (), "identity"),
    ("identity;q=0", (), None),
    ("*;q=0.5", ("br", "gzip"), "br"),
    ("*;q=0, identity", ("br", "gzip"), "identity"),
])
def test_choose(accept: str | None, offered: tuple[str, ...], coding: str | None) -> None:
    assert choose(accept, offered) == coding
