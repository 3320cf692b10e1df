"""Kannel tests: the suite's settings plus a Kannel token."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from app.settings import Settings

KANNEL_TOKEN = "test-kannel-token"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"kannel_token": SecretStr(KANNEL_TOKEN)})
