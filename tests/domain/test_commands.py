"""DOMAIN.md §7: every way a phone may type the same command parses the same."""

import pytest

from app.domain.commands import DEFAULT_VOCABULARY, parse

VOCABULARY = DEFAULT_VOCABULARY.with_keywords(["IWJZS"])


@pytest.mark.parametrize(
    "typed",
    [
        "iwjzs2",
        "IWJZS 2",
        "iwjzs+2",
        "Iwjzs＋２",
        "ＩＷＪＺＳ２",
        "  iwjzs   2  ",
        "\u3000iwjzs\u30002\u3000",
        "iwjzs,2", "iwjzs，2", "iwjzs、2", "iwjzs;2", "iwjzs；2",
        "iwjzs:2", "iwjzs：2", "iwjzs#2", "iwjzs*2",
        "iwjzs + 2",
        "iWjZs\t2",
    ],
)  # fmt: skip
def test_variants_of_iwjzs_2(typed: str) -> None:
    command = parse(typed, VOCABULARY)
    assert (command.keyword, command.args, command.known) == ("IWJZS", ("2",), True)


@pytest.mark.parametrize(
    ("typed", "keyword"),
    [
        ("cxye", "CXYE"), ("ye", "CXYE"), ("YECX", "CXYE"), ("余额", "CXYE"), ("话费", "CXYE"),
        ("ＣＸＹＥ", "CXYE"), (" help ", "HELP"), ("?", "HELP"), ("？", "HELP"), ("帮助", "HELP"),
        ("bz", "HELP"), ("cd", "CD"), ("菜单", "CD"),
    ],
)  # fmt: skip
def test_aliases(typed: str, keyword: str) -> None:
    command = parse(typed, VOCABULARY)
    assert (command.keyword, command.known) == (keyword, True)


@pytest.mark.parametrize("typed", ["", "   ", "\u3000", "+ ，"])
def test_an_empty_message_is_the_menu(typed: str) -> None:
    assert parse(typed, VOCABULARY).keyword == "CD"


def test_without_a_number_the_argument_is_absent() -> None:
    command = parse("iwjzs", VOCABULARY)
    assert command.keyword == "IWJZS" and command.argument is None


def test_unknown_text_keeps_its_head_for_did_you_mean() -> None:
    command = parse("xcye", VOCABULARY)
    assert (command.keyword, command.known) == ("XCYE", False)


def test_a_campaign_keyword_is_unknown_without_the_catalog() -> None:
    assert not parse("iwjzs 2").known


def test_several_arguments_are_split_on_any_separator() -> None:
    assert parse("iwjzs 1，3、4", VOCABULARY).args == ("1", "3", "4")


def test_cjk_arguments_survive() -> None:
    command = parse("GABX 张三", DEFAULT_VOCABULARY.with_keywords(["GABX"]))
    assert (command.keyword, command.args) == ("GABX", ("张三",))
