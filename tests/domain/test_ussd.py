"""The *10086# tree walked input by input: screens, back/home, paging, text and consent steps."""

from __future__ import annotations

import pytest

from app.domain.ussd import Cancelled, Node, Run, Screen, fits_screen, pages, walk
from app.domain.ussd_menu import ussd_tree
from tests.domain.catalog_fixtures import SHIPPED

TREE = ussd_tree(SHIPPED.values())


def screen(inputs: list[str], chinese: bool = True) -> str:
    where = walk(TREE, inputs, chinese)
    assert isinstance(where, Screen), where
    return where.text


@pytest.mark.parametrize(
    ("inputs", "command"),
    [(["1"], "CXYE"), (["2"], "CXTC"), (["3", "1", "2"], "IWJZS 2"), (["3", "2", "3"], "TY HBGJ"),
     (["5"], "CXVIP"), (["6"], "HELP"), (["3", "0", "1"], "CXYE"), (["3", "1", "00", "2"], "CXTC")],
)  # fmt: skip
def test_leaves_run_their_command(inputs: list[str], command: str) -> None:
    assert walk(TREE, inputs) == Run(command)


def test_paid_leaves_ask_first_and_1_confirms_2_declines() -> None:
    asked = walk(TREE, ["4", "1", "1"])
    assert isinstance(asked, Run) and not asked.confirmed and asked.confirm_node is not None
    assert walk(TREE, ["4", "1", "1", "1"]) == Run("YC SJB", confirmed=True)
    assert walk(TREE, ["4", "1", "1", "2"]) == Cancelled()
    still = walk(TREE, ["4", "1", "1", "7"])
    assert isinstance(still, Run) and not still.confirmed


def test_free_text_step() -> None:
    assert "被保险人姓名" in screen(["4", "2"])
    assert walk(TREE, ["4", "2", "张三"]) == Run("GABX 张三")
    assert screen(["4", "2", "0"]).startswith("VIP专享")


@pytest.mark.parametrize("bad", ["7", "abc", "", "-1"])
def test_unknown_choice_repeats_the_screen_with_a_note(bad: str) -> None:
    text = screen(["3", bad])
    assert text.startswith("输入有误") and "1.我家免费体验" in text


@pytest.mark.parametrize("chinese", [True, False])
def test_every_screen_fits_and_pages_number_on(chinese: bool) -> None:
    label = "选项{}号很长的名字" if chinese else "Option number {} with a long name"
    children = tuple(Node(label.format(i), label.format(i), command=str(i)) for i in range(1, 13))
    many = Node("Long list", "Long list", children)
    texts = pages(many, chinese)
    assert len(texts) > 1
    assert all(fits_screen(t) for t in texts)
    numbers = [
        int(line.split(".")[0])
        for t in texts
        for line in t.splitlines()
        if line[:1].isdigit() and not line.startswith(("99", "0."))
    ]
    assert numbers == list(range(1, 13))


def test_more_moves_to_the_next_page() -> None:
    first = screen(["4", "1"])
    second = screen(["4", "1", "99"])
    assert first != second and "99.更多" in first


def test_english_screens() -> None:
    assert screen([], chinese=False).startswith("China Mobile 10086\n1.Balance")
