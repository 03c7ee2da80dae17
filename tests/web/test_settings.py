"""Settings: flag over environment over default; types coerced."""

from footfall.web import settings


def test_precedence_and_types() -> None:
    env = {"FOOTFALL_PORT": "9000", "FOOTFALL_SPOOL_FSYNC": "false", "FOOTFALL_HOST": "0.0.0.0"}
    config = settings.load({"host": "10.0.0.1"}, environ=env)
    assert config.port == 9000 and config.spool_fsync is False and config.host == "10.0.0.1"


def test_store_url_defaults_to_embedded_under_data(tmp_path) -> None:  # noqa: ANN001
    config = settings.load({"data": str(tmp_path)}, environ={})
    assert config.store_url == f"chdb://{tmp_path}/clickhouse" and config.embedded
    remote = settings.load({"clickhouse_url": "http://ch:8123/footfall"}, environ={})
    assert not remote.embedded


def test_clickhouse_flag_matches_the_spec() -> None:
    assert settings.BY_NAME["clickhouse_url"].flag == "--clickhouse"
    assert settings.BY_NAME["clickhouse_url"].env == "FOOTFALL_CLICKHOUSE_URL"
