"""SQL errors carry no bind parameters: a traceback in a log must not hold a
number, a name or a text (issue 11, finding 8)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.exc import DBAPIError, StatementError

from app.logs import masked
from app.runtime import Runtime
from app.store.models import SubscriberRow


def test_an_integrity_error_shows_no_parameters(runtime: Runtime, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", name="王建国")
    with pytest.raises((DBAPIError, StatementError)) as raised:
        add_subscriber("13800138000", name="王建国")
    shown = str(raised.value)
    assert "王建国" not in shown and "[parameters: [{" not in shown
    assert "hidden due to hide_parameters" in shown
    assert SubscriberRow.__tablename__ in shown
    # PostgreSQL's own DETAIL names the key (`(msisdn)=(13800138000)`): the log masks it.
    assert "13800138000" not in masked(shown)
