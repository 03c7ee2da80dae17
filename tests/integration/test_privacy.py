"""No raw IP address is stored anywhere; it only shapes the salted visitor hash."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import footfall, query_store, start_site_server

from .helpers import make_batch, post, wait_for_count

IPS = ("203.0.113.77", "198.51.100.23")


def test_client_ip_is_never_stored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server, token = start_site_server(data)
    try:
        for ip in IPS:
            for _ in range(2):
                batch = make_batch()
                batch["e"].append({"t": "error", "ts": batch["sent"], "msg": f"failed for {ip[:3]}"})
                assert post(server.url, batch, {"X-Forwarded-For": ip})[0] == 202
        assert wait_for_count(server.url, token, "pageview", 4) == 4
        spool = b"".join(p.read_bytes() for p in (data / "spool").glob("*"))
        assert not any(ip.encode() in spool for ip in IPS)
    finally:
        server.stop()
    assert "203.0.113" not in server.read_log()
    visitors = query_store(data, "SELECT uniqExact(visitor_id) FROM pageviews")
    assert int(visitors[0][0]) == 2  # same IP and agent, same visitor; the other IP, another
    enriched = query_store(data, "SELECT DISTINCT device, browser, os, url FROM pageviews")
    assert enriched == [["desktop", "Chrome", "Linux", "http://shop.test/product/1"]]
    columns = query_store(data, "SELECT table, name FROM system.columns WHERE database = 'footfall' "
                                "AND type LIKE '%String%'")
    assert len(columns) > 50
    found = " OR ".join(f"position(toString(c), '{ip}') > 0" for ip in IPS)
    search = " UNION ALL ".join(
        f"SELECT '{table}.{column}', countIf({found.replace('(c)', f'({column})')}) FROM {table}"
        for table, column in columns
    )
    hits = {where: int(n) for where, n in query_store(data, search)}
    assert len(hits) == len(columns) and not any(hits.values()), hits
    assert footfall(data, "token", "create", "after")["token"]
