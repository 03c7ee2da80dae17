"""Accounts in Chromium: an administrator changes a user's role, resets and deletes them, and the
user's open tab loses its access at the next click; a user changes their own password; tokens get
a scope; a site is deleted with its data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import Server, footfall
from tests.helpers import make_batch, post, wait_for_count

pytestmark = pytest.mark.browser

ADMIN = ("owner@shop.test", "correct-horse-1")
MEMBER = ("member@shop.test", "member-pass-2")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data: Path = tmp_path_factory.mktemp("accounts-e2e") / "data"
    footfall(data, "site", "create", "Shop", "--origin", "http://shop.test", "--key", "shop")
    footfall(data, "site", "create", "Old", "--origin", "http://old.test", "--key", "old")
    footfall(data, "user", "create", ADMIN[0], "--role", "admin", "--password-stdin", stdin=ADMIN[1] + "\n")
    running = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    yield running
    running.stop()


def log_in(browser: Browser, server: Server, who: tuple[str, str]) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(server.url + "/sites")  # to the login page, then back here
    page.get_by_label("Email").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sites")).to_be_visible()
    return page


def test_an_admin_changes_resets_and_deletes_a_user_whose_tab_then_loses_access(
        browser: Browser, server: Server) -> None:
    admin = log_in(browser, server, ADMIN)
    admin.get_by_role("link", name="Users").click()
    admin.get_by_label("Email").fill(MEMBER[0])
    admin.locator("#user-password").fill(MEMBER[1])
    admin.get_by_role("button", name="Add user").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Added {MEMBER[0]}")

    member = log_in(browser, server, MEMBER)
    expect(member.get_by_role("link", name="Users")).to_have_count(0)  # a viewer

    admin.get_by_label(f"Role of {MEMBER[0]}", exact=True).select_option("admin")
    admin.get_by_role("button", name=f"Change the role of {MEMBER[0]}").click()
    expect(admin.get_by_role("status")).to_contain_text("their sessions have ended")
    member.get_by_role("link", name="Sites").click()
    expect(member.get_by_role("heading", name="Log in to Footfall")).to_be_visible()

    member = log_in(browser, server, MEMBER)
    expect(member.get_by_role("link", name="Users")).to_be_visible()  # the new role, read from the store

    admin.get_by_label(f"New password for {MEMBER[0]}", exact=True).fill("reset-pass-77")
    admin.get_by_role("button", name=f"Set the password of {MEMBER[0]}").click()
    expect(admin.get_by_role("status")).to_contain_text("New password set")
    member.get_by_role("link", name="Sites").click()
    expect(member.get_by_role("heading", name="Log in to Footfall")).to_be_visible()

    member = log_in(browser, server, (MEMBER[0], "reset-pass-77"))
    admin.get_by_role("button", name=f"Delete {MEMBER[0]}").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Deleted {MEMBER[0]}")
    expect(admin.get_by_role("cell", name=MEMBER[0])).to_have_count(0)
    member.reload()
    expect(member.get_by_role("heading", name="Log in to Footfall")).to_be_visible()
    member.get_by_label("Email").fill(MEMBER[0])
    member.get_by_label("Password").fill("reset-pass-77")
    member.get_by_role("button", name="Log in").click()
    expect(member.get_by_role("alert")).to_contain_text("Wrong email or password")


def test_a_user_changes_their_own_password(browser: Browser, server: Server) -> None:
    footfall(server.data, "user", "create", "self@shop.test", "--password-stdin", stdin="self-pass-1\n")
    other_tab = log_in(browser, server, ("self@shop.test", "self-pass-1"))
    page = log_in(browser, server, ("self@shop.test", "self-pass-1"))
    page.get_by_role("link", name="self@shop.test (viewer)").click()
    page.get_by_label("Current password").fill("self-pass-1")
    page.locator("#new-password").fill("self-pass-2")
    page.get_by_label("Repeat the new password").fill("self-pass-2")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("every session of yours has ended")
    other_tab.reload()
    expect(other_tab.get_by_role("heading", name="Log in to Footfall")).to_be_visible()
    log_in(browser, server, ("self@shop.test", "self-pass-2"))


def test_an_admin_makes_a_read_and_an_admin_token(browser: Browser, server: Server) -> None:
    admin = log_in(browser, server, ADMIN)
    admin.get_by_role("link", name="API tokens").click()
    tokens = {}
    for name, scope in (("reporting", "read"), ("erasure", "admin")):
        admin.get_by_label("Name").fill(name)
        admin.get_by_label("Scope").select_option(scope)
        admin.get_by_role("button", name="Create token").click()
        expect(admin.get_by_role("status")).to_contain_text(f"new {scope} token for {name}")
        tokens[scope] = admin.locator("#new-token").input_value()
        expect(admin.get_by_role("row").filter(has_text=name)).to_contain_text(scope)
    erase = server.url + "/api/v1/sites/shop/visitors/someone"
    assert httpx.delete(erase, headers={"Authorization": f"Bearer {tokens['read']}"}).status_code == 403
    assert httpx.delete(erase, headers={"Authorization": f"Bearer {tokens['admin']}"}).status_code == 200
    admin.get_by_role("button", name="Revoke erasure").click()
    expect(admin.get_by_role("row").filter(has_text="erasure")).to_contain_text("revoked")
    assert httpx.delete(erase, headers={"Authorization": f"Bearer {tokens['admin']}"}).status_code == 401


def test_an_admin_deletes_a_site_and_its_data(browser: Browser, server: Server) -> None:
    token = footfall(server.data, "token", "create", "check", "--scope", "admin")["token"]
    assert post(server.url, make_batch(site="old"), {"Origin": "http://old.test"})[0] == 202
    assert wait_for_count(server.url, token, "pageview", 1, site="old") == 1
    admin = log_in(browser, server, ADMIN)
    admin.goto(server.url + "/sites/old/settings")
    admin.get_by_label(re.compile("Type the site key")).fill("wrong")
    admin.get_by_role("button", name="Delete site and its data").click()
    expect(admin.get_by_role("alert")).to_contain_text("Type the site key old")
    admin.get_by_label(re.compile("Type the site key")).fill("old")
    admin.get_by_role("button", name="Delete site and its data").click()
    expect(admin.get_by_role("heading", name="Sites")).to_be_visible()
    expect(admin.get_by_role("link", name="Old", exact=True)).to_have_count(0)
    assert post(server.url, make_batch(site="old"), {"Origin": "http://old.test"})[0] == 403
    assert httpx.get(server.url + "/api/v1/sites/old/events/count",
                     headers={"Authorization": f"Bearer {token}"}).json()["count"] == 0
