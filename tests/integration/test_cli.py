"""The CLI works with the data directory free and while a server holds it (admin channel)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import FOOTFALL, ROOT, Server, footfall

from .helpers import count, get, make_batch, post


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
