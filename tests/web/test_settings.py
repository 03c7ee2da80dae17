"""Settings: flag over environment over default; types coerced, and a value that is not one refused."""

import pytest

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


@pytest.mark.parametrize(("text", "value"), [("true", True), ("On", True), ("YES", True), ("1", True),
                                             ("false", False), ("Off", False), ("no", False), (" 0 ", False)])
def test_booleans_read_the_same_from_flags_and_environment(text: str, value: bool) -> None:
    assert settings.load({"secure_cookies": text}, environ={}).secure_cookies is value
    assert settings.load(environ={"FOOTFALL_SECURE_COOKIES": text}).secure_cookies is value


@pytest.mark.parametrize(("name", "text", "message"), [
    ("spool_fsync", "ture", "'ture' is not a boolean (true/false, yes/no, on/off, 1/0)"),
    ("spool_fsync", "", "'' is not a boolean (true/false, yes/no, on/off, 1/0)"),
    ("port", "80a", "'80a' is not an integer"),
    ("port", "80.0", "'80.0' is not an integer"),
    ("rate_limit", "fast", "'fast' is not a number"),
    ("rate_limit", "nan", "'nan' is not a number"),
    ("log_level", "loud", "'loud' is not one of debug, info, warning, error, critical"),
    ("public_url", "footfall.example", "'footfall.example' is not an http(s) URL such as https://footfall.example"),
    ("public_url", 'https://x.example/"><script>', """'https://x.example/"><script>' is not an http(s) URL such as """
                                                   "https://footfall.example"),
])
def test_a_value_a_setting_cannot_take_is_refused_by_its_name(name: str, text: str, message: str) -> None:
    setting = settings.BY_NAME[name]
    with pytest.raises(settings.SettingError) as flag:
        settings.load({name: text}, environ={})
    assert str(flag.value) == f"{setting.flag}: {message}"
    with pytest.raises(settings.SettingError) as env:
        settings.load(environ={setting.env: text})
    assert str(env.value) == f"{setting.env}: {message}"


def test_a_log_level_is_read_in_any_case() -> None:
    assert settings.load({"log_level": "WARNING"}, environ={}).log_level == "warning"


def test_the_snippet_url_is_the_public_url_else_the_servers_address() -> None:
    assert settings.load(environ={}).snippet_url == "http://127.0.0.1:8000"
    assert settings.load({"host": "0.0.0.0", "port": "9000"}, environ={}).snippet_url == "http://127.0.0.1:9000"
    assert settings.load({"host": "::1"}, environ={}).snippet_url == "http://[::1]:8000"
    proxied = settings.load(environ={"FOOTFALL_PUBLIC_URL": "https://footfall.example/"})
    assert proxied.public_url == proxied.snippet_url == "https://footfall.example"
