"""The arithmetic of the connection guards; their behaviour is tested on a real server in
tests/collector/test_slow_clients.py."""

from __future__ import annotations

import resource
import subprocess
import sys

from footfall.web import settings
from footfall.web.connections import ConnectionLimits, address_matcher, connection_cap


def test_the_cap_leaves_descriptors_to_the_store_and_the_spool() -> None:
    assert connection_cap(10000, 1048576) == 10000
    assert connection_cap(10000, 20000) == 10000
    assert connection_cap(10000, 4096) == 3072  # 1,024 kept back
    assert connection_cap(10000, 2700) == 2025  # a quarter of a smaller limit
    assert connection_cap(10000, 1024) == 768
    assert connection_cap(50, 4096) == 50


def test_trusted_proxies_are_matched_by_address_and_network() -> None:
    trusted = address_matcher("127.0.0.1, 10.0.0.0/8,::1")
    assert trusted("127.0.0.1") and trusted("10.20.30.40") and trusted("::1")
    assert not trusted("127.0.0.2") and not trusted("192.0.2.1") and not trusted("")
    assert address_matcher("*")("198.51.100.7")
    assert not address_matcher("")("127.0.0.1")


def test_limits_come_from_the_settings() -> None:
    config = settings.load({"max_connections": 500, "max_connections_per_ip": 7, "header_timeout": 2.5,
                            "body_timeout": 4, "forwarded_allow_ips": "192.0.2.1"}, environ={})
    limits = ConnectionLimits.from_config(config, 20000)
    assert (limits.total, limits.per_ip, limits.header_timeout, limits.body_timeout) == (500, 7, 2.5, 4.0)
    assert limits.exempt("192.0.2.1") and not limits.exempt("127.0.0.1")


def test_the_soft_open_file_limit_is_raised_to_the_hard_one() -> None:
    """In a child process: the hard limit of this one would otherwise stay lowered."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, 4000)
    script = (
        "import resource\n"
        "from footfall.web.connections import raise_open_file_limit\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, (256, {target}))\n"
        "print(raise_open_file_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == [str(target), str(target)]
