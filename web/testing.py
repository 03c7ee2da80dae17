"""Real `footfall` processes for tests and benchmarks: a server on a free loopback port, the CLI."""

from __future__ import annotations

import itertools
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

FOOTFALL = [sys.executable, "-m", "footfall.web.cli"]


_TAKEN = itertools.count()
# Ports each pytest-xdist worker takes its servers' from, below Linux's ephemeral range (32768 and up)
WORKER_PORTS, WORKER_BASE = 1000, 20000


def free_port() -> int:
    """A loopback port free now. Under pytest-xdist each worker has its own range, outside the one the
    kernel hands out, so no other worker's server, nor any client's own end, takes it before the
    server binds it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
    if not worker.isdigit() or WORKER_BASE + (int(worker) + 1) * WORKER_PORTS > 32768:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    first = WORKER_BASE + int(worker) * WORKER_PORTS
    for _ in range(WORKER_PORTS):
        port = first + next(_TAKEN) % WORKER_PORTS
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}..{first + WORKER_PORTS - 1}")


def cli_json(data: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
    """Run a CLI command with --json on a data directory and return its parsed output."""
    result = subprocess.run(
        [*FOOTFALL, *args, "--data", str(data), "--json"],
        input=stdin, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise RuntimeError(f"footfall {' '.join(args)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


class ServerProcess:
    """A `footfall serve` (or `demo`) process; kill() is SIGKILL, stop() a graceful SIGTERM."""

    def __init__(self, data: Path, env: dict[str, str] | None = None, command: str = "serve",
                 extra: tuple[str, ...] = (), nofile: tuple[int, int] | None = None) -> None:
        """`nofile`: the (soft, hard) open-file limit the server starts with."""
        self.data = data
        self.host = "127.0.0.1"
        self.port = free_port()
        self.url = f"http://{self.host}:{self.port}"
        self.env = {**os.environ, "FOOTFALL_LOG_LEVEL": "warning", **(env or {})}
        self.log_path = data.parent / f"server-{self.port}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*FOOTFALL, command, "--data", str(data), "--port", str(self.port), *extra],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, nofile)) if nofile else None,
        )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.read_log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"server not healthy after {timeout}s: {self.read_log()}")

    def read_log(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.log.close()

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode


def wait_for_demo(server: ServerProcess, token: str, timeout: float = 180.0) -> str:
    """Until `footfall demo`'s seeding has landed in the store, and the id of a recorded session.

    The demo seeds its generated sessions first and its recorded ones last, and the writer lands
    segments in order, so every recorded session listed means all of it is in."""
    from footfall.demo import recordings

    wanted = len(recordings.load())
    url = f"{server.url}/api/v1/sites/demo/sessions?has_replay=true"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(request, timeout=30) as resp:
            found = json.loads(resp.read())
        if found["total"] >= wanted:
            return found["sessions"][0]["session_id"]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{found['total']} of {wanted} demo recordings landed in {timeout}s")
        time.sleep(0.2)
