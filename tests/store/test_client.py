"""Which store a URL names: the database of a server URL, the schemes refused, the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.store import client
from footfall.web import settings


@pytest.mark.parametrize(
    ("url", "database"),
    [
        ("chdb:///var/lib/footfall/clickhouse", "footfall"),
        ("chdb://./data/clickhouse", "footfall"),
        ("http://u:p@h:8123/analytics", "analytics"),
        ("https://u:p@h:8443/analytics/", "analytics"),
        ("http://h:8123", "footfall"),
        ("http://h:8123/", "footfall"),
    ],
)
def test_database_of(url: str, database: str) -> None:
    assert client.database_of(url) == database


@pytest.mark.parametrize("url", ["mysql://h:3306/db", "clickhouse://h:9000", "/just/a/path", ""])
def test_connect_rejects_unknown_schemes(url: str) -> None:
    with pytest.raises(ValueError, match="scheme"):
        client.connect(url)


def test_default_store_is_embedded_under_the_data_directory(tmp_path: Path) -> None:
    config = settings.load({"data": str(tmp_path)}, environ={})
    assert config.embedded
    assert config.store_url == f"chdb://{tmp_path.resolve() / 'clickhouse'}"
    server = settings.load(environ={"FOOTFALL_CLICKHOUSE_URL": "http://h:8123/footfall"})
    assert not server.embedded
    assert server.store_url == "http://h:8123/footfall"
