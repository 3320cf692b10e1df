"""Activations for the operator: a page for the admin API, or every match a batch
at a time for the CSV export (each batch its own short read, so an export of
millions holds no transaction open and no list in memory)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from app.store.activation_listing import ActivationFilter, ActivationView, list_activations
from app.store.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
EXPORT_BATCH = 1000


def activations_page(
    uow_factory: UowFactory, wanted: ActivationFilter, after: int, limit: int
) -> list[ActivationView]:
    with uow_factory() as uow:
        assert uow.session is not None
        return list_activations(uow.session, wanted, after, limit)


def every_activation(
    uow_factory: UowFactory, wanted: ActivationFilter, batch: int = EXPORT_BATCH
) -> Iterator[ActivationView]:
    after = 0
    while True:
        page = activations_page(uow_factory, wanted, after, batch)
        yield from page
        if len(page) < batch:
            return
        after = page[-1].id
