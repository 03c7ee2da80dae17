"""The CLI works with the data directory free and while a server holds it (admin channel)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from footfall.web.version import version
from tests.conftest import FOOTFALL, ROOT, Server, footfall
from tests.helpers import count, get, make_batch, post, wait_for_count


def run_cli(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FOOTFALL, *args, "--data", str(data)], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_commands_with_and_without_a_running_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = footfall(data, "site", "create", "Shop", "--origin", "http://shop.test", "--key", "shop")
    assert site["key"] == "shop"
    assert site["snippet"] == '<script defer src="http://127.0.0.1:8000/f.js" data-site="shop"></script>'
    user = footfall(data, "user", "create", "Ann@Example.com", "--role", "admin", "--password-stdin",
                    stdin="correct horse battery\n")
    assert user == {"email": "ann@example.com", "role": "admin"}

    server = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    try:
        sock = data / "admin.sock"
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
        # While the server owns the embedded store, commands go through it.
        other = footfall(data, "site", "create", "Blog", "--origin", "https://blog.test")
        assert len(other["key"]) == 12
        token = footfall(data, "token", "create", "ci", "--site", "shop")["token"]
        assert token.startswith("ff_")
        # The new site is live at once in the server that created it.
        blog = make_batch(site=other["key"])
        assert post(server.url, blog, {"Origin": "https://blog.test"})[0] == 202
        # A token limited to one site cannot read another.
        assert get(f"{server.url}/api/v1/sites/{other['key']}/events/count", token)[0] == 403
        assert get(f"{server.url}/api/v1/ingest/stats", token)[0] == 403  # needs an all-site token
        assert count(server.url, token) == 0
        failing = run_cli(data, "token", "create", "x", "--site", "nope")
        assert failing.returncode == 2 and "unknown site" in failing.stderr
    finally:
        server.stop()
    # And once it has stopped, directly again.
    assert footfall(data, "token", "create", "after")["token"].startswith("ff_")


def test_bad_arguments_fail_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad_origin = run_cli(data, "site", "create", "X", "--origin", "ftp://nope")
    assert bad_origin.returncode == 2 and "not an origin" in bad_origin.stderr
    short = run_cli(data, "user", "create", "a@b.co", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "8 characters" in short.stderr
    no_tty = run_cli(data, "user", "create", "a@b.co")
    assert no_tty.returncode != 0 and "--password-stdin" in no_tty.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "footfall"
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "serve" in out.stdout and "demo" in out.stdout


def test_version_is_the_installed_distributions() -> None:
    script = Path(sys.executable).parent / "footfall"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout == f"footfall {metadata.version('footfall')}\n"
    assert version() == metadata.version("footfall")


def test_users_sites_and_tokens_are_managed_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    footfall(data, "site", "create", "Shop", "--origin", "http://shop.test", "--key", "shop")
    footfall(data, "site", "create", "Gone", "--origin", "http://gone.test", "--key", "gone")
    footfall(data, "user", "create", "boss@shop.test", "--role", "admin", "--password-stdin", stdin="boss-pass-1\n")
    again = run_cli(data, "user", "create", "boss@shop.test", "--role", "viewer", "--password-stdin",
                    stdin="other-pass-2\n")
    assert again.returncode == 2 and "already exists" in again.stderr and "--update" in again.stderr
    ops = footfall(data, "token", "create", "ops", "--scope", "admin")
    assert ops["scope"] == "admin"
    server = Server(data, {"FOOTFALL_RATE_LIMIT": "0"})
    try:
        # While the server holds the store, through its admin socket.
        footfall(data, "user", "create", "ann@shop.test", "--password-stdin", stdin="ann-pass-11\n")
        assert footfall(data, "user", "list")["users"] == [{"email": "ann@shop.test", "role": "viewer"},
                                                           {"email": "boss@shop.test", "role": "admin"}]
        assert footfall(data, "user", "role", "ann@shop.test", "admin")["role"] == "admin"
        assert footfall(data, "user", "create", "ann@shop.test", "--role", "viewer", "--update",
                        "--password-stdin", stdin="ann-pass-22\n")["role"] == "viewer"
        footfall(data, "user", "passwd", "ann@shop.test", "--password-stdin", stdin="ann-pass-33\n")
        last = run_cli(data, "user", "delete", "boss@shop.test")
        assert last.returncode == 2 and "last administrator" in last.stderr
        footfall(data, "user", "delete", "ann@shop.test")
        assert [u["email"] for u in footfall(data, "user", "list")["users"]] == ["boss@shop.test"]

        reader = footfall(data, "token", "create", "reader", "--site", "shop")["token"]
        listed = footfall(data, "token", "list")["tokens"]
        assert {(t["name"], t["site"], t["scope"], t["revoked"]) for t in listed} == {
            ("ops", "", "admin", False), ("reader", "shop", "read", False)}
        assert get(f"{server.url}/api/v1/sites/shop/events/count", reader)[0] == 200
        reader_id = next(t["id"] for t in listed if t["name"] == "reader")
        assert footfall(data, "token", "revoke", reader_id)["revoked"] == "true"
        assert get(f"{server.url}/api/v1/sites/shop/events/count", reader)[0] == 401  # at once on this server
        assert run_cli(data, "token", "revoke", "zz").returncode == 2

        assert post(server.url, make_batch(site="gone"), {"Origin": "http://gone.test"})[0] == 202
        assert wait_for_count(server.url, ops["token"], "pageview", 1, site="gone") == 1
        deleted = footfall(data, "site", "delete", "gone")
        assert deleted["deleted"] is True and "pageviews" in deleted["tables"]
        assert [s["key"] for s in footfall(data, "site", "list")["sites"]] == ["shop"]
        assert post(server.url, make_batch(site="gone"), {"Origin": "http://gone.test"})[0] == 403
        assert count(server.url, ops["token"], "", site="gone") == 0
    finally:
        server.stop()
    # And directly, with the server stopped.
    assert [s["key"] for s in footfall(data, "site", "list")["sites"]] == ["shop"]
    assert run_cli(data, "site", "delete", "gone").returncode == 2
