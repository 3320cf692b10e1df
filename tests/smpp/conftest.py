"""The fake SMSC most SMPP gateway tests bind to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smpp.fake_smsc import FakeSmsc


@pytest.fixture
def smsc() -> Iterator[FakeSmsc]:
    server = FakeSmsc()
    yield server
    server.close()
