"""A broken CSV file is refused as `line N, column C: why`, never a traceback,
and nothing of it is written (issue 11, finding 11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.runtime import Runtime
from app.services.importing import ImportFailed, import_subscribers, import_usage
from app.store.models import SubscriberRow
from tests.hostile.helpers import count

HEADER = "msisdn,brand,status,opened_on,balance_yuan,name,mailing_address\n"
GOOD = "13800138000,gotone,active,2015-03-12,86.50,王建国,北京\n"
WHERE = re.compile(r"^line \d+, column \w+: ")


def refused(runtime: Runtime, path: Path) -> str:
    with pytest.raises(ImportFailed) as raised:
        import_subscribers(runtime.uow_factory, path)
    assert count(runtime, SubscriberRow) == 0
    return str(raised.value)


def test_a_gbk_file(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        (HEADER + GOOD + "13900139000,gotone,active,2015-03-12,1,张三,北京\n").encode("gbk")
    )
    message = refused(runtime, path)
    assert message.startswith("line 2, column name: not UTF-8"), message


def test_a_binary_file(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(HEADER.encode() + GOOD.encode() + b"1380013\x00\x01\x02,\xff\xfe\n")
    message = refused(runtime, path)
    assert WHERE.match(message) and "line 3" in message, message


def test_a_131072_character_field(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + f"13800138000,gotone,active,2015-03-12,1,{'名' * 131_072},北京\n")
    message = refused(runtime, path)
    assert message.startswith("line 2, column name: longer than"), message


def test_a_quoted_field_running_to_the_end(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text(HEADER + '13800138000,gotone,active,2015-03-12,1,"王\n' + "x\n" * 10)
    message = refused(runtime, path)
    assert message.startswith("line"), message


@pytest.mark.parametrize(
    ("balance", "why"),
    [("sNaN", "not an amount"), ("NaN", "not an amount"), ("-Infinity", "not an amount"),
     ("1e30", "more than"), ("1e999999999", "more than"), ("0.001", "at most two decimals")],
)  # fmt: skip
def test_absurd_balances(runtime: Runtime, tmp_path: Path, balance: str, why: str) -> None:
    path = tmp_path / "money.csv"
    path.write_text(HEADER + f"13800138000,gotone,active,2015-03-12,{balance},王建国,北京\n")
    message = refused(runtime, path)
    assert message.startswith("line 2, column balance_yuan: " + why), message


def test_a_name_longer_than_the_store_holds(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(HEADER + f"13800138000,gotone,active,2015-03-12,1,{'王' * 101},北京\n")
    assert refused(runtime, path).startswith("line 2, column name: longer than 100")


@pytest.mark.parametrize("mou", ["²", "١٠", "99999999999", "-1"])
def test_odd_minutes(runtime: Runtime, tmp_path: Path, mou: str) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(f"msisdn,month,spend_yuan,mou\n13800138000,2026-01,100,{mou}\n")
    with pytest.raises(ImportFailed, match=r"^line 2, column mou: "):
        import_usage(runtime.uow_factory, path)
