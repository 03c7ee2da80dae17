"""A real browser on a site that carries the snippet: its page view reaches ClickHouse."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Server, footfall, free_port
from tests.helpers import wait_for_count

pytestmark = pytest.mark.browser


@pytest.fixture
def host_site(tmp_path: Path) -> Iterator[tuple[Server, str, str]]:
    """Footfall on one port, the site owner's page on another origin."""
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    data = tmp_path / "data"
    footfall(data, "site", "create", "Owner", "--origin", origin, "--key", "owner")
    server = Server(data)
    token = footfall(data, "token", "create", "e2e")["token"]
    html = (f'<!doctype html><title>Owner shop</title><h1>Hello</h1>'
            f'<script defer src="{server.url}/f.js" data-site="owner" data-allow-automation></script>').encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", page_port), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server, token, origin
    httpd.shutdown()
    httpd.server_close()
    server.stop()


def test_page_view_from_chromium_is_stored(browser, host_site) -> None:  # noqa: ANN001
    server, token, origin = host_site
    page = browser.new_page()
    page.goto(origin + "/products?ref=newsletter")
    page.wait_for_function("document.readyState === 'complete'")
    page.close(run_before_unload=True)
    assert wait_for_count(server.url, token, "pageview", 1, site="owner") == 1
