"""A handset's MO through the ISMG: one DELIVER per part, as an ISMG sends them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gateway_sim.cmpp import wire
from gateway_sim.cmpp.link import Delivery
from gateway_sim.traffic import MoRecord

if TYPE_CHECKING:
    from gateway_sim.cmpp.ismg import Ismg

ENCODINGS = {0: "ascii", 8: "utf-16-be", 15: "gbk"}  # Msg_Fmt -> Python codec


def inject_mo(ismg: Ismg, source: str, destination: str, text: str, msg_fmt: int | None = None,
              repeat: int = 1, parts_order: list[int] | None = None) -> MoRecord:  # fmt: skip
    """One DELIVER per part (UDH, 8-bit reference when long), in `parts_order`
    (part numbers from 1) if given, as an ISMG may deliver them. `repeat` > 1
    sends each DELIVER again with the same Msg_Id, as an ISMG whose DELIVER_RESP
    got lost does. Raises ValueError with a reason on bad input."""
    if msg_fmt is None:
        msg_fmt = 0 if text.isascii() else 8
    chunks = _chunks(text, msg_fmt)
    order = parts_order or list(range(1, len(chunks) + 1))
    if sorted(order) != list(range(1, len(chunks) + 1)):
        raise ValueError(f"parts_order must name each of the {len(chunks)} parts once")
    ref = ismg.msg_ref()
    record = MoRecord(
        id=ismg.traffic.new_mo_id(), seq=ismg.traffic.next_seq(), t=time.time(),
        source=source, destination=destination, text=text, data_coding=msg_fmt,
        segments=len(chunks), split="udh8" if len(chunks) > 1 else "none",
        acks=[None] * len(chunks),
    )  # fmt: skip
    ismg.traffic.add_mo(record)
    ids: dict[int, int] = {}  # by part number
    for number in order:
        index, chunk = number - 1, chunks[number - 1]
        udhi = 1 if len(chunks) > 1 else 0
        content = bytes((5, 0, 3, ref, len(chunks), index + 1)) + chunk if udhi else chunk
        msg_id = ismg.next_msg_id()
        ids[number] = msg_id

        def body(version: int, m: int = msg_id, c: bytes = content, u: int = udhi) -> bytes:
            return wire.deliver_body(version, m, destination, source, msg_fmt, c, udhi=u)

        def ack(result: int, link_id: str, slot: int = index) -> None:
            record.acks[slot] = result
            record.bind_ids.append(link_id)

        for _ in range(max(1, repeat)):
            ismg.enqueue(Delivery(msg_id, body, ack))
    ismg.mo_deliveries[record.id] = [ids[n] for n in sorted(ids)]
    return record


def _chunks(text: str, msg_fmt: int) -> list[bytes]:
    """The text encoded as `msg_fmt`, cut into the parts of a long message if it must be."""
    if msg_fmt not in ENCODINGS:
        raise ValueError("Msg_Fmt must be 0 (ASCII), 8 (UCS-2) or 15 (GBK)")
    try:
        data = text.encode(ENCODINGS[msg_fmt])
    except UnicodeEncodeError as error:
        raise ValueError(f"text cannot be sent as Msg_Fmt {msg_fmt}: {error.reason}") from error
    single, part = (140, 134) if msg_fmt else (160, 153)
    if len(data) <= single:
        chunks = [data]
    elif msg_fmt == 15:  # never cut a GBK character in two
        chunks = _gbk_chunks(text, part)
    else:
        chunks = [data[i : i + part] for i in range(0, len(data), part)]
    if len(chunks) > 255:
        raise ValueError("text too long")
    return chunks


def _gbk_chunks(text: str, budget: int) -> list[bytes]:
    chunks: list[bytes] = []
    current = b""
    for ch in text:
        encoded = ch.encode("gbk")
        if len(current) + len(encoded) > budget:
            chunks.append(current)
            current = b""
        current += encoded
    return [*chunks, current] if current else chunks
