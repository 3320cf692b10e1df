"""Handset MO: one message from a handset becomes deliver_sm parts queued for the ESMEs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gateway_sim import segments, text_coding
from gateway_sim.session import Delivery
from gateway_sim.smsc.addressing import deliver_address
from gateway_sim.traffic import MoRecord

if TYPE_CHECKING:
    from gateway_sim.smsc.server import Smsc


def inject_mo(
    smsc: Smsc,
    source: str,
    destination: str,
    text: str,
    data_coding: int | None,
    split: segments.SplitMethod,
    parts_order: list[int] | None,
    ussd: dict[str, Any] | None,
) -> MoRecord:
    """Queue an MO from a handset; raises ValueError with a reason on bad input."""
    dc = _coding_for(text, data_coding)
    common: dict[str, Any] = {**deliver_address(source, destination), "data_coding": dc}
    ussd_view: dict[str, Any] | None = None
    if ussd is not None:
        split = segments.SplitMethod.NONE
        ussd_view = _ussd_fields(ussd)
        common.update(
            service_type="USSD",
            ussd_service_op=ussd_view["op"],
            its_session_info=ussd_view["session_info"],
        )
    try:
        parts = segments.split(text, dc, split, smsc.next_concat_ref())
    except segments.TooLong as exc:
        raise ValueError(str(exc)) from exc
    order = parts_order or list(range(1, len(parts) + 1))
    if any(not 1 <= n <= len(parts) for n in order):
        raise ValueError(f"parts_order entries must be between 1 and {len(parts)}")
    traffic = smsc.traffic
    record = MoRecord(
        id=traffic.new_mo_id(),
        seq=traffic.next_seq(),
        t=time.time(),
        source=source,
        destination=destination,
        text=text,
        data_coding=dc,
        segments=len(parts),
        split=split.value if len(parts) > 1 else "none",
        ussd=ussd_view,
        acks=[None] * len(order),
    )
    traffic.add_mo(record)
    for slot, n in enumerate(order):
        part = parts[n - 1]
        fields = {**common, "esm_class": part.esm_udhi, "short_message": part.body}
        smsc.enqueue(Delivery({**fields, **part.sar_fields()}, _mo_acker(record, slot)))
    return record


def _coding_for(text: str, data_coding: int | None) -> int:
    """The data_coding the MO goes out with: the one asked for, else the narrowest that fits."""
    dc = text_coding.choose_coding(text) if data_coding is None else data_coding
    if dc not in text_coding.SUPPORTED:
        raise ValueError(f"data_coding {dc} not supported (use 0, 1, 3 or 8)")
    try:
        text_coding.encode(text, dc)
    except UnicodeEncodeError as exc:
        raise ValueError(f"text cannot be encoded with data_coding {dc}: {exc.reason}") from exc
    return dc


def _ussd_fields(ussd: dict[str, Any]) -> dict[str, Any]:
    """ussd_service_op and its_session_info, the latter built from session/seq/end
    unless given raw."""
    op = int(ussd.get("op", 1))
    info = ussd.get("session_info")
    if info is None:
        info = (
            ((int(ussd.get("session", 0)) & 0xFF) << 8)
            | ((int(ussd.get("seq", 0)) & 0x7F) << 1)
            | (1 if ussd.get("end") else 0)
        )
    if not 0 <= op <= 255 or not 0 <= int(info) <= 0xFFFF:
        raise ValueError("ussd op must be 0..255 and session_info 0..65535")
    return {"op": op, "session_info": int(info)}


def _mo_acker(record: MoRecord, slot: int) -> Any:
    def ack(status: int, bind_id: str) -> None:
        record.acks[slot] = status
        record.bind_ids.append(bind_id)

    return ack
