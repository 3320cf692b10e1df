"""The MO dedupe key (app/gateways/links/dedupe.py)."""

from __future__ import annotations

from app.gateways.links.dedupe import MoDedupe


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make() -> tuple[MoDedupe, Clock]:
    clock = Clock()
    return MoDedupe(window=60, ack_grace=5, clock=clock), clock


DIGEST = MoDedupe.digest("b", "13800138000", "10086", 0, b"CXYE")


def test_digest_covers_origin_coding_and_tp_mr() -> None:
    assert MoDedupe.digest("b", "13800138001", "10086", 0, b"CXYE") != DIGEST
    assert MoDedupe.digest("b", "13800138000", "10086", 8, b"CXYE") != DIGEST
    assert MoDedupe.digest("b", "13800138000", "10086", 0, b"CXYE", 7) != DIGEST


def test_arrival_while_the_first_is_unanswered_is_the_same_message() -> None:
    dedupe, _ = make()
    assert dedupe.key(DIGEST) == dedupe.key(DIGEST)


def test_answered_and_link_alive_means_a_new_message() -> None:
    dedupe, clock = make()
    first = dedupe.key(DIGEST)
    dedupe.answered(first, True, lambda: None)
    clock.now += 10
    assert dedupe.key(DIGEST) != first


def test_error_answer_or_unwritten_answer_means_redelivery() -> None:
    dedupe, _ = make()
    first = dedupe.key(DIGEST)
    dedupe.answered(first, False, lambda: None)
    assert dedupe.key(DIGEST) == first


def test_link_dying_right_after_the_answer_means_redelivery() -> None:
    dedupe, clock = make()
    first = dedupe.key(DIGEST)
    closed_at = clock.now + 1
    dedupe.answered(first, True, lambda: closed_at)
    clock.now += 20
    assert dedupe.key(DIGEST) == first


def test_late_answer_means_redelivery() -> None:
    dedupe, clock = make()
    first = dedupe.key(DIGEST)
    clock.now += 6
    dedupe.answered(first, True, lambda: None)
    assert dedupe.key(DIGEST) == first


def test_window_ends_the_memory() -> None:
    dedupe, clock = make()
    first = dedupe.key(DIGEST)
    clock.now += 61
    assert dedupe.key(DIGEST) != first


def test_logged_mo_text_keeps_the_keyword_only() -> None:
    from app.gateways.links.mo_core import shown

    assert shown("CXYE") == "CXYE"
    assert shown("BX 李四 110101199001011234") == "BX…(+22 chars)"
    assert shown("   ") == ""
