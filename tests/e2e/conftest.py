"""Debian's Chromium through Playwright, with the flags this sandbox needs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import footfall
from tests.e2e.site import OWNER, HostSite

CHROMIUM = "/usr/bin/chromium"
# Headless Chromium says "HeadlessChrome" in its User-Agent, which the collector drops as a bot; the
# tests' browser stands in for a visitor's, so it names itself as desktop Chrome does.
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
              "Safari/537.36")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         f"--user-agent={USER_AGENT}"]


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package-scoped: Playwright's sync API keeps an event loop running while it is open,
    which would stop asyncio.run in the tests collected after this package."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostSite]:
    """A site owner's pages next to a Footfall server holding the site, with the administrator OWNER."""
    site = HostSite(tmp_path)
    footfall(site.data, "user", "create", OWNER[0], "--role", "admin", "--password-stdin", stdin=OWNER[1] + "\n")
    yield site
    site.close()
