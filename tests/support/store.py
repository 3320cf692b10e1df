"""Reading the store from a test, outside the code under test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from app.store.unit_of_work import UnitOfWork


def rows(uow_factory: Callable[[], UnitOfWork], model: Any) -> list[Any]:
    """Every row of `model`, by id."""
    with uow_factory() as uow:
        assert uow.session is not None
        found = list(uow.session.scalars(select(model).order_by(model.id)))
        uow.session.expunge_all()  # keep them readable after the unit of work rolls back
        return found


def count(uow_factory: Callable[[], UnitOfWork], model: Any) -> int:
    with uow_factory() as uow:
        assert uow.session is not None
        return uow.session.scalar(select(func.count()).select_from(model)) or 0
