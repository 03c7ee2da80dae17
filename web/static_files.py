"""The scripts (/f.js, /replay.js) and the dashboard's files (/static/...), served compressed.

Each file is read once when the app is assembled and compressed once per process, with brotli
(quality 11) and gzip (level 9), the first time a request takes a compressed form: at quality 11
the player's 200 KB take brotli about 0.4 s, which a process that never serves the player should
not pay at start, and which runs in a worker thread, not on the event loop. A request gets brotli
if its Accept-Encoding takes it, else gzip, else the file as it is; a request without the header
gets the file as it is. Each form has its own strong ETag (a hash of the file, with `-br` or `-gzip`
for a compressed form), so a cache never answers one form's revalidation with another's bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from collections.abc import Iterable
from importlib import resources

import brotli
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

# The snippet is cached briefly, so that customers' pages pick up a new one within minutes, and
# revalidated with its ETag after that (a 304 of a few hundred bytes).
SCRIPT_CACHE = "public, max-age=300"
# The dashboard's files keep their names across releases: revalidated on every use.
DASHBOARD_CACHE = "no-cache"
CODINGS = ("br", "gzip")  # compressed forms, in the order they are preferred
IDENTITY = "identity"


class Form:
    """One representation of a file: its bytes as sent, their Content-Encoding and ETag."""

    __slots__ = ("body", "coding", "etag")

    def __init__(self, body: bytes, coding: str, etag: str) -> None:
        self.body, self.coding, self.etag = body, coding, etag


class Asset:
    """A file's bytes and type, and its compressed forms once a request has needed them."""

    def __init__(self, name: str, body: bytes) -> None:
        self.name = name
        self.media_type = media_type(name)
        self.tag = hashlib.sha256(body).hexdigest()[:32]
        self.identity = Form(body, IDENTITY, f'"{self.tag}"')
        self.compressed: dict[str, Form] | None = None  # by coding, once made
        self._lock = threading.Lock()

    def compress(self) -> dict[str, Form]:
        """The compressed forms smaller than the file, made once (concurrent callers wait for the first)."""
        with self._lock:
            if self.compressed is None:
                body = self.identity.body
                made = {"br": brotli.compress(body, quality=11), "gzip": gzip.compress(body, 9, mtime=0)}
                self.compressed = {coding: Form(data, coding, f'"{self.tag}-{coding}"')
                                   for coding, data in made.items() if len(data) < len(body)}
        return self.compressed


def media_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def weights(accept_encoding: str) -> dict[str, float]:
    """Accept-Encoding as {coding: q}; an entry whose q is not a number is left out."""
    found: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        coding = coding.lower()
        if not coding:
            continue
        q = 1.0
        try:
            for param in params:
                key, _, value = param.partition("=")
                if key.strip().lower() == "q":
                    q = float(value)
        except ValueError:
            continue
        found["gzip" if coding == "x-gzip" else coding] = q
    return found


def choose(accept_encoding: str | None, offered: Iterable[str]) -> str | None:
    """The coding to send: the first offered one the request accepts (q above 0), else identity
    unless the request refuses it too (None: nothing acceptable)."""
    if accept_encoding is None:
        return IDENTITY  # a client that names no coding may not decode any
    accepted = weights(accept_encoding)
    anything = accepted.get("*")

    def q(coding: str) -> float:
        default = 1.0 if coding == IDENTITY else 0.0
        return accepted.get(coding, default if anything is None else anything)

    for coding in offered:
        if q(coding) > 0:
            return coding
    return IDENTITY if q(IDENTITY) > 0 else None


def matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match compares weakly: W/"x" matches "x"."""
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


async def respond(request: Request, asset: Asset, headers: dict[str, str]) -> Response:
    """The form of `asset` the request accepts, its 304, or a 406 when it accepts none."""
    accept = request.headers.get("accept-encoding")
    headers = {**headers, "Vary": "Accept-Encoding"}
    coding = choose(accept, CODINGS)
    forms: dict[str, Form] = {}
    if coding in CODINGS:
        forms = asset.compressed if asset.compressed is not None else await run_in_threadpool(asset.compress)
        coding = choose(accept, forms)  # a form no smaller than the file is not offered
    if coding is None:
        return Response("no acceptable content coding; this file is sent as br, gzip or identity", 406,
                        headers=headers, media_type="text/plain")
    form = asset.identity if coding == IDENTITY else forms[coding]
    headers["ETag"] = form.etag
    if matches(request.headers.get("if-none-match", ""), form.etag):
        return Response(status_code=304, headers=headers)
    if coding != IDENTITY:
        headers["Content-Encoding"] = coding
    headers["Content-Length"] = str(len(form.body))
    body = b"" if request.method == "HEAD" else form.body
    return Response(body, headers=headers, media_type=asset.media_type)


class StaticFiles:
    """Every file of a package's static folder, read once, served through respond()."""

    def __init__(self, package: str = "footfall.web", folder: str = "static") -> None:
        root = resources.files(package) / folder
        self.assets = {entry.name: Asset(entry.name, entry.read_bytes())
                       for entry in root.iterdir() if entry.is_file() and not entry.name.startswith(".")}

    def script_route(self, path: str, name: str) -> Route:
        """A script every site's pages load from this origin: cached briefly, usable cross-origin."""
        asset = self.assets[name]
        headers = {"Cache-Control": SCRIPT_CACHE, "Access-Control-Allow-Origin": "*"}

        async def serve(request: Request) -> Response:
            return await respond(request, asset, headers)

        return Route(path, serve)

    def mount(self, path: str = "/static") -> Mount:
        """The dashboard's files (and the scripts again) under `path`."""
        headers = {"Cache-Control": DASHBOARD_CACHE}

        async def serve(request: Request) -> Response:
            asset = self.assets.get(request.path_params["name"])
            if asset is None:
                return Response("not found", 404, media_type="text/plain")
            return await respond(request, asset, headers)

        return Mount(path, routes=[Route("/{name:path}", serve)], name="static")
