"""Startup refuses a token anyone could guess (issue 11, finding 9)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from app.cli import main
from app.settings import Settings


@pytest.mark.parametrize("token", ["", " ", "\t\n", "short-token", " padded-token-0123456 "])
@pytest.mark.parametrize("field", ["gateway_token", "admin_token", "kannel_token"])
def test_weak_tokens_are_refused(field: str, token: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(**{field: SecretStr(token)}, _env_file=None)  # type: ignore[arg-type,call-arg]
    message = str(raised.value)
    assert f"SMSHALL_{field.upper()}" in message


def test_strong_and_unset_tokens_are_taken() -> None:
    settings = Settings(gateway_token=SecretStr("x" * 16), _env_file=None)  # type: ignore[call-arg]
    assert settings.admin_token is None and settings.kannel_token is None


def test_the_command_line_says_why_and_not_the_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setenv("SMSHALL_GATEWAY_TOKEN", "hunter2")
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["migrate"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "SMSHALL_GATEWAY_TOKEN is shorter than 16" in err and "hunter2" not in err
