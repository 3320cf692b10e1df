"""Reassembly of long MO (app/gateways/links/concatenation.py, long_mo.py), in the database."""

from __future__ import annotations

import time
from collections.abc import Callable

from app.gateways.links.concatenation import (
    PartInfo,
    part_info_from_sar,
    part_info_from_udh,
    split_udh,
)
from app.gateways.links.long_mo import LongMoAssembly
from app.gateways.smpp import pdus
from app.gateways.smpp.gateway import SmppGateway
from app.runtime import Runtime
from app.settings import SmppBind
from app.store.long_mo import ArrivedPart
from app.store.unit_of_work import UnitOfWork
from tests.support.statements import first_words, statements_sent


def test_udh_eight_and_sixteen_bit_references() -> None:
    header, payload = split_udh(bytes([5, 0, 3, 7, 2, 1]) + b"abc")
    assert payload == b"abc"
    assert part_info_from_udh(header) == PartInfo(7, 2, 1)
    header, _ = split_udh(bytes([6, 8, 4, 1, 2, 3, 3]) + b"x")
    assert part_info_from_udh(header) == PartInfo(0x0102, 3, 3)


def test_other_information_elements_are_skipped() -> None:
    # a port-addressing IE (0x05) before the concatenation IE
    header, _ = split_udh(bytes([11, 5, 4, 0, 1, 0, 2, 0, 3, 9, 2, 2]) + b"x")
    assert part_info_from_udh(header) == PartInfo(9, 2, 2)


def test_broken_headers_are_not_parts() -> None:
    assert split_udh(bytes([40, 0, 3])) == (b"", bytes([40, 0, 3]))
    assert part_info_from_udh(bytes([0, 3, 1, 2, 3])) is None  # number > total
    assert part_info_from_udh(bytes([0, 3, 1, 1, 1])) is None  # a single part
    assert part_info_from_sar(5, 2, None) is None
    assert part_info_from_sar(5, 2, 2) == PartInfo(5, 2, 2)


def add(assembly: LongMoAssembly, source: str, info: PartInfo, payload: bytes, link: str = "b"):  # type: ignore[no-untyped-def]
    [joined] = assembly.add([assembly.part(link, source, "10086", info, 8, payload)])
    return joined


def test_parts_in_any_order_and_repeated(uow_factory: Callable[[], UnitOfWork]) -> None:
    r = LongMoAssembly(uow_factory, ttl=60)
    assert add(r, "13800138000", PartInfo(1, 3, 3), b"C") is None
    assert add(r, "13800138000", PartInfo(1, 3, 1), b"A") is None
    assert add(r, "13800138000", PartInfo(1, 3, 1), b"A") is None
    whole = add(r, "13800138000", PartInfo(1, 3, 2), b"B")
    assert whole is not None and whole.payload == b"ABC" and whole.complete
    assert r.stale() == []


def test_parts_over_several_binds_make_one_message(uow_factory: Callable[[], UnitOfWork]) -> None:
    """The parts of one MO may come in on binds of different processes."""
    r = LongMoAssembly(uow_factory, ttl=60)
    assert add(r, "13800138000", PartInfo(7, 2, 2), b"B", link="node-2") is None
    whole = add(r, "13800138000", PartInfo(7, 2, 1), b"A", link="node-1")
    assert whole is not None and whole.payload == b"AB" and whole.link == "node-2"


def test_a_batch_holding_every_part_joins_on_its_last(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    r = LongMoAssembly(uow_factory, ttl=60)
    parts = [r.part("b", "13800138000", "10086", PartInfo(3, 2, n), 0, b"%d" % n) for n in (2, 1)]
    first, last = r.add(parts)
    assert first is None and last is not None and last.payload == b"12"


def test_same_reference_from_two_senders_stays_apart(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    r = LongMoAssembly(uow_factory, ttl=60)
    add(r, "13800138001", PartInfo(1, 2, 1), b"x")
    assert add(r, "13800138002", PartInfo(1, 2, 2), b"y") is None
    assert len(r.stale()) == 0  # within the TTL


def test_missing_part_expires_after_ttl_with_what_arrived(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    r = LongMoAssembly(uow_factory, ttl=0.2)
    add(r, "13800138000", PartInfo(4, 3, 3), b"end")
    add(r, "13800138000", PartInfo(4, 3, 1), b"start ")
    assert r.stale() == []
    time.sleep(0.3)  # the service clock runs on: past the TTL
    [partial] = r.stale()
    assert partial.payload == b"start end" and not partial.complete
    r.finish([partial.id])
    assert r.stale() == []
    # A late part of a message given up on is answered and dropped.
    assert add(r, "13800138000", PartInfo(4, 3, 2), b"middle ") is None


def statements_while(runtime: Runtime, run: Callable[[], object]) -> list[str]:
    """The SQL statements `run` sends, by their first words."""
    with statements_sent(runtime.engine) as sent:
        run()
    return first_words(sent, 3)


def test_a_batch_of_parts_costs_the_same_statements_whatever_its_size(runtime: Runtime) -> None:
    """DESIGN.md, "Batches, not messages": the parts of a deliver_sm batch are
    stored and looked up together, whether 2 or 40, completing messages or not."""
    r = LongMoAssembly(runtime.uow_factory, ttl=60)

    def batch(first: int, messages: int) -> list[ArrivedPart]:
        # Each message's part 2 (held), and part 1 of every other one (which joins it).
        parts = []
        for n in range(first, first + messages):
            source = f"1380013{n:04d}"
            parts.append(r.part("b", source, "10086", PartInfo(n % 256, 2, 2), 0, b"y"))
            if n % 2:
                parts.append(r.part("b", source, "10086", PartInfo(n % 256, 2, 1), 0, b"x"))
        return parts

    small = statements_while(runtime, lambda: r.add(batch(0, 2)))
    large = statements_while(runtime, lambda: r.add(batch(100, 27)))
    assert small == large
    assert len([s for s in large if not s.startswith(("BEGIN", "COMMIT"))]) == 4


def test_single_part_mos_never_touch_the_long_mo_store(runtime: Runtime) -> None:
    """The hot path gains no statement: only a part of a long MO goes there."""
    deliveries = SmppGateway(
        runtime, [SmppBind(name="main", host="127.0.0.1", system_id="smshall")]
    ).deliveries
    frames = [
        pdus.parse(pdus.build("deliver_sm", n, source_addr=f"1380013{n:04d}",
                              destination_addr="10086", short_message=b"HELP"))
        for n in range(5)
    ]  # fmt: skip
    sent = statements_while(runtime, lambda: deliveries.handle_many([("main", f) for f in frames]))
    assert sent and not [s for s in sent if "LONG_MO" in s]


def test_each_transport_answers_only_its_own_stale_long_mos(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    smpp = LongMoAssembly(uow_factory, ttl=0.1, channel="smpp")
    cmpp = LongMoAssembly(uow_factory, ttl=0.1, channel="cmpp")
    add(smpp, "13800138000", PartInfo(5, 2, 1), b"by smpp")
    add(cmpp, "13800138000", PartInfo(5, 2, 1), b"by cmpp")
    time.sleep(0.2)
    assert [m.payload for m in smpp.stale()] == [b"by smpp"]
    assert [m.payload for m in cmpp.stale()] == [b"by cmpp"]
