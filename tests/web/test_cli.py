"""The CLI works with the data directory free and while a server holds it (admin channel)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import httpx
import pytest
from itsdangerous import TimestampSigner

from footfall.web.version import version
from tests.conftest import FOOTFALL, ROOT, Server, footfall, free_port
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


def tag(url: str, key: str) -> str:
    return f'<script defer src="{url}/f.js" data-site="{key}"></script>'


def test_site_create_prints_the_address_the_server_is_reached_at(tmp_path: Path) -> None:
    data = tmp_path / "data"
    elsewhere = {"FOOTFALL_PORT": "9123"}

    def create(key: str, *args: str, env: dict[str, str] = elsewhere) -> str:
        return footfall(data, "site", "create", key, "--origin", "http://shop.test", "--key", key, *args,
                        env=env)["snippet"]

    assert create("alone") == tag("http://127.0.0.1:9123", "alone")  # no server: this command's settings
    server = Server(data)
    try:
        assert create("served") == tag(server.url, "served")  # the running server's own address
        assert create("told", "--public-url", "https://stats.example/ff/") == tag("https://stats.example/ff", "told")
    finally:
        server.stop()
    proxied = Server(data, {"FOOTFALL_PUBLIC_URL": "https://footfall.example"})
    try:
        assert create("proxied") == tag("https://footfall.example", "proxied")
    finally:
        proxied.stop()


def test_bad_arguments_fail_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad_origin = run_cli(data, "site", "create", "X", "--origin", "ftp://nope")
    assert bad_origin.returncode == 2 and "not an origin" in bad_origin.stderr
    bad_zone = run_cli(data, "site", "create", "X", "--origin", "https://x.test", "--time-zone", "Mars/Olympus")
    assert bad_zone.returncode == 2 and "not a time zone: 'Mars/Olympus'" in bad_zone.stderr
    zoned = footfall(data, "site", "create", "Z", "--origin", "https://z.test", "--time-zone", "Asia/Tokyo")
    assert zoned["time_zone"] == "Asia/Tokyo"
    assert [s["time_zone"] for s in footfall(data, "site", "list")["sites"]] == ["Asia/Tokyo"]
    short = run_cli(data, "user", "create", "a@b.co", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "8 characters" in short.stderr
    no_tty = run_cli(data, "user", "create", "a@b.co")
    assert no_tty.returncode != 0 and "--password-stdin" in no_tty.stderr


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command prints: status 2, no traceback."""
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert result.stderr.startswith("footfall: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


def run_footfall(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FOOTFALL, *args], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def test_a_second_server_on_the_same_data_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data)
    try:
        expected = (f"footfall: another Footfall (pid {server.proc.pid}) is serving the data directory "
                    f"{data.resolve()}: one process at a time may use it (stop that one, or give this one its own "
                    "--data)")
        port = str(free_port())
        assert refusal(run_footfall("serve", "--data", str(data), "--port", port)) == expected
        # With a ClickHouse server too (no chDB to protect, but the spool has one writer); refused before
        # this unreachable URL is tried.
        remote = run_footfall("serve", "--data", str(data), "--port", port, "--clickhouse", "http://127.0.0.1:9/x")
        assert refusal(remote) == expected
        assert get(f"{server.url}/healthz")[0] == 200
    finally:
        server.stop()


@pytest.mark.parametrize(("args", "env", "message"), [
    (("--log-level", "loud"), {}, "--log-level: 'loud' is not one of debug, info, warning, error, critical"),
    ((), {"FOOTFALL_LOG_LEVEL": "Loud"}, "FOOTFALL_LOG_LEVEL: 'Loud' is not one of debug, info, warning, error, "
                                         "critical"),
    (("--spool-fsync", "ture"), {}, "--spool-fsync: 'ture' is not a boolean (true/false, yes/no, on/off, 1/0)"),
    ((), {"FOOTFALL_SECURE_COOKIES": "maybe"}, "FOOTFALL_SECURE_COOKIES: 'maybe' is not a boolean (true/false, "
                                               "yes/no, on/off, 1/0)"),
    (("--port", "80a"), {}, "--port: '80a' is not an integer"),
    ((), {"FOOTFALL_RATE_LIMIT": "fast"}, "FOOTFALL_RATE_LIMIT: 'fast' is not a number"),
    (("--public-url", "javascript:alert(1)"), {}, "--public-url: 'javascript:alert(1)' is not an http(s) URL such "
                                                  "as https://footfall.example"),
])
def test_a_bad_setting_is_one_line(tmp_path: Path, args: tuple[str, ...], env: dict[str, str],
                                   message: str) -> None:
    result = run_footfall("serve", "--data", str(tmp_path / "data"), *args, env=env)
    assert refusal(result) == f"footfall: {message}"
    assert not (tmp_path / "data").exists()  # refused before anything was made


def test_an_unusable_data_directory_is_one_line(tmp_path: Path) -> None:
    taken = tmp_path / "file"
    taken.write_text("not a directory")
    served = run_footfall("serve", "--data", str(taken), "--port", str(free_port()))
    assert refusal(served) == f"footfall: the data directory {taken.resolve()} is a file, not a directory"
    listed = run_footfall("site", "list", "--data", str(taken / "data"))
    inside = taken.resolve() / "data"
    assert refusal(listed) == f"footfall: cannot use the data directory {inside}: Not a directory"


def test_the_secret_comes_from_a_file(tmp_path: Path) -> None:
    data, secret = tmp_path / "data", tmp_path / "footfall_secret"
    missing = run_footfall("serve", "--data", str(data), "--port", str(free_port()),
                           env={"FOOTFALL_SECRET_FILE": str(secret)})
    assert refusal(missing) == f"footfall: the secret file {secret} cannot be read: No such file or directory"
    secret.write_text("from-a-docker-secret\n")
    server = Server(data, {"FOOTFALL_SECRET_FILE": str(secret)})
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            cookie = client.get("/login").cookies["footfall_session"]  # holds the login form's CSRF token
        TimestampSigner("from-a-docker-secret").unsign(cookie)  # signed with the file's secret
        assert not (data / "secret").exists()  # and none generated
    finally:
        server.stop()


def test_a_refusal_shows_its_traceback_at_the_debug_level(tmp_path: Path) -> None:
    args = ("site", "create", "X", "--origin", "ftp://nope", "--data", str(tmp_path / "data"))
    for level, traced in (("info", False), ("debug", True)):
        result = run_footfall(*args, env={"FOOTFALL_LOG_LEVEL": level})  # the store's logs come before
        assert result.returncode == 2 and result.stderr.endswith("\nfootfall: not an origin: 'ftp://nope'\n")
        assert ("Traceback (most recent call last)" in result.stderr) is traced


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


def test_an_unreachable_clickhouse_is_one_line_without_its_password(tmp_path: Path) -> None:
    url = f"http://footfall:hunter2-secret@127.0.0.1:{free_port()}/footfall"  # nobody listens there
    for command in (("serve", "--port", str(free_port())), ("site", "list")):
        result = run_footfall(*command, "--data", str(tmp_path / "data"), "--clickhouse", url)
        assert refusal(result) == (f"footfall: cannot use ClickHouse at {url.replace('hunter2-secret', '***')}: "
                                   "Connection refused")
        assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
