"""The process's parts: the sessions' signing secret from --secret, --secret-file or the data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.web import settings
from footfall.web.runtime import secret_of


def config_of(tmp_path: Path, **values: str) -> settings.Config:
    return settings.load({"data": str(tmp_path / "data"), **values}, environ={})


@pytest.mark.parametrize(("held", "secret"), [("s3cret\n", "s3cret"), ("two words\r\n\n", "two words"),
                                              ("  padded  ", "  padded  ")])
def test_a_secret_file_gives_the_secret_less_its_trailing_newline(tmp_path: Path, held: str, secret: str) -> None:
    (tmp_path / "secret").write_text(held)
    assert secret_of(config_of(tmp_path, secret_file=str(tmp_path / "secret"))) == secret
    assert not (tmp_path / "data").exists()  # none made in the data directory


def test_a_secret_file_that_cannot_be_used_is_refused(tmp_path: Path) -> None:
    missing, empty = tmp_path / "missing", tmp_path / "empty"
    empty.write_text("\n")
    refusals = {
        str(missing): f"the secret file {missing} cannot be read: No such file or directory",
        str(tmp_path): f"the secret file {tmp_path} cannot be read: Is a directory",
        str(empty): f"the secret file {empty} is empty",
    }
    for path, message in refusals.items():
        with pytest.raises(settings.SettingError) as refused:
            secret_of(config_of(tmp_path, secret_file=path))
        assert str(refused.value) == message
    with pytest.raises(settings.SettingError) as both:
        secret_of(config_of(tmp_path, secret="given", secret_file=str(empty)))
    assert str(both.value) == "--secret and --secret-file are both set: give one of them"


def test_without_either_the_secret_is_made_once_in_the_data_directory(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    made = secret_of(config_of(tmp_path))
    assert len(made) >= 64 and secret_of(config_of(tmp_path)) == made
    assert (tmp_path / "data" / "secret").stat().st_mode & 0o777 == 0o600
    assert secret_of(config_of(tmp_path, secret="given")) == "given"
