"""Rows the report tests write beside `add_subscriber`: activations, bundles, notices."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.runtime import Runtime
from app.store.models import (
    ActivationRow,
    BundleRow,
    NoticeRow,
    OutboundMessageRow,
    SubscriberRow,
)

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def add_activation(
    runtime: Runtime,
    subscriber_id: int,
    *,
    package: str = "2",
    activated_on: date,
    ends_on: date,
    state: str = "active",
    campaign: str = "IWJZS",
    key: str | None = None,
    reminded: bool = False,
) -> int:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        row = ActivationRow(
            subscriber_id=subscriber_id,
            campaign_code=campaign,
            exclusivity_key=key or f"{campaign}:{package}:{activated_on}",
            package_code=package,
            monthly_fee_fen=26_00,
            free_months=3,
            activated_on=activated_on,
            starts_on=activated_on,
            ends_on=ends_on,
            state=state,
            created_at=AT,
            kind="free_experience",
            service_code=f"{campaign}{package}",
            details={},
        )
        uow.session.add(row)
        uow.session.flush()
        if reminded:
            msisdn = uow.session.get_one(SubscriberRow, subscriber_id).msisdn
            out = OutboundMessageRow(
                msisdn=msisdn, sender="10086", text="reminder", channel="smpp", state="delivered",
                attempts=1, created_at=AT, updated_at=AT,
            )  # fmt: skip
            uow.session.add(out)
            uow.session.flush()
            uow.session.add(
                NoticeRow(
                    msisdn=msisdn,
                    kind="reminder",
                    subject=str(row.id),
                    local_day=ends_on,
                    outbound_message_id=out.id,
                    created_at=AT,
                    activation_id=row.id,
                )  # fmt: skip
            )
        uow.commit()
        return row.id


def add_bundle(
    runtime: Runtime, subscriber_id: int, kind: str, valid_from: date, valid_to: date | None
) -> None:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        uow.session.add(
            BundleRow(
                subscriber_id=subscriber_id, kind=kind, valid_from=valid_from, valid_to=valid_to
            )
        )
        uow.commit()
