"""USSD *10086# over HTTP (CON/END): every screen, back/home, paging, consent, the success SMS."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.runtime import Runtime
from app.store.models import ActivationRow, OutboundMessageRow
from tests.conftest import auth

pytestmark = pytest.mark.usefixtures("catalog")


class Dialer:
    """One USSD session: each call sends every input so far, as aggregators do."""

    def __init__(
        self, client: TestClient, session: str = "s-1", number: str = "13800138000"
    ) -> None:
        self.client, self.session, self.number, self.inputs = client, session, number, []

    def dial(self, *inputs: str) -> str:
        self.inputs += list(inputs)
        form = {"sessionId": self.session, "serviceCode": "*10086#", "phoneNumber": self.number,
                "networkCode": "46000", "text": "*".join(self.inputs)}  # fmt: skip
        response = self.client.post("/v1/ussd", data=form, headers=auth())
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return response.text


def sms_sent(runtime: Runtime) -> list[str]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        rows = uow.session.scalars(
            select(OutboundMessageRow).where(OutboundMessageRow.channel != "ussd")
        )
        return [r.text for r in rows]


def activations(runtime: Runtime) -> list[str]:
    with runtime.uow_factory() as uow:
        assert uow.session is not None
        return [r.service_code for r in uow.session.scalars(select(ActivationRow))]


def test_first_screen_is_the_main_menu(client: TestClient) -> None:
    screen = Dialer(client).dial()
    assert screen.startswith("CON 中国移动10086")
    assert "1.余额查询" in screen and "3.免费体验" in screen and "0.返回" not in screen


def test_balance_in_two_screens(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", balance_fen=86_50)
    dialer = Dialer(client)
    dialer.dial()
    screen = dialer.dial("1")
    assert screen.startswith("END ") and "86.50元" in screen


def test_my_home_sign_up_in_four_screens_and_the_sms(
    client: TestClient, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    dialer = Dialer(client)
    assert dialer.dial().startswith("CON ")
    assert "1.我家免费体验" in dialer.dial("3")
    assert "2.我家26元套餐" in dialer.dial("1")
    done = dialer.dial("2")
    assert done.startswith("END ") and "短信" in done
    assert activations(runtime) == ["IWJZS"]
    (sms,) = sms_sent(runtime)
    assert "我家26元套餐" in sms and "免费" in sms


def test_a_retried_step_acts_once(
    client: TestClient, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    first = Dialer(client).dial("3", "1", "2")
    again = Dialer(client).dial("3", "1", "2")  # the aggregator re-sends the same step
    assert first == again
    assert activations(runtime) == ["IWJZS"] and len(sms_sent(runtime)) == 1


def test_one_session_id_on_two_numbers_is_two_dialogues(
    client: TestClient, runtime: Runtime, add_subscriber: Callable
) -> None:
    """A gateway whose session ids repeat across numbers: each number gets its own
    screens and sign-up, none is taken for the other's repeat."""
    add_subscriber("13800138000")
    add_subscriber("13900139000")
    first = Dialer(client, "A1", "13800138000").dial("3", "1", "2")
    second = Dialer(client, "A1", "13900139000").dial("3", "1", "2")
    assert first == second and first.startswith("END ")
    assert activations(runtime) == ["IWJZS", "IWJZS"] and len(sms_sent(runtime)) == 2


def test_back_and_home(client: TestClient) -> None:
    dialer = Dialer(client)
    assert "我家免费体验" in dialer.dial("3", "1")
    assert dialer.dial("0").startswith("CON 免费体验")
    assert dialer.dial("1", "00").startswith("CON 中国移动10086")


def test_an_unknown_choice_repeats_the_screen(client: TestClient) -> None:
    screen = Dialer(client).dial("3", "7")
    assert screen.startswith("CON 输入有误") and "1.我家免费体验" in screen


def test_a_paid_order_asks_on_its_own_screen(
    client: TestClient, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    dialer = Dialer(client)
    confirm = dialer.dial("4", "1", "1")  # VIP offers → pre-store → mobile newspaper
    assert confirm.startswith("CON ") and "预存60元" in confirm and "1.确认 2.取消" in confirm
    assert activations(runtime) == []
    assert dialer.dial("1").startswith("END ")
    assert activations(runtime) == ["YCSJB"]
    assert any("预存60元" in sms for sms in sms_sent(runtime))


def test_declining_places_nothing(
    client: TestClient, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    assert Dialer(client).dial("4", "1", "1", "2").startswith("END 已取消")
    assert activations(runtime) == []


def test_care_insurance_asks_for_a_name(
    client: TestClient, runtime: Runtime, add_subscriber: Callable
) -> None:
    add_subscriber("13800138000")
    dialer = Dialer(client)
    assert "被保险人姓名" in dialer.dial("4", "2")
    assert dialer.dial("张三").startswith("END ")
    assert activations(runtime) == ["GABX"]


def test_not_eligible_ends_with_the_reason(client: TestClient, add_subscriber: Callable) -> None:
    add_subscriber("13800138000", vip_source="granted")
    screen = Dialer(client).dial("3", "1", "1")
    assert screen.startswith("END ") and "营销活动" in screen


def test_unknown_subscriber_can_walk_but_not_sign_up(client: TestClient) -> None:
    screen = Dialer(client, number="13911112222").dial("3", "1", "1")
    assert screen.startswith("END ") and "未查到" in screen


def test_screens_fit_one_ussd_string(client: TestClient) -> None:
    from app.domain.ussd import fits_screen

    for path in ([], ["3"], ["3", "1"], ["3", "2"], ["4"], ["4", "1"], ["4", "1", "99"]):
        screen = Dialer(client, session=f"fit-{len(path)}").dial(*path)
        assert fits_screen(screen[4:]), screen


def test_paging_keeps_numbers(client: TestClient) -> None:
    dialer = Dialer(client)
    first = dialer.dial("4", "1")
    assert "99.更多" in first
    second = dialer.dial("99")
    last_on_first = max(
        int(line.split(".")[0])
        for line in first.splitlines()[1:]
        if line[0].isdigit() and not line.startswith(("99", "0."))
    )
    assert f"{last_on_first + 1}." in second


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"serviceCode": "*10086#", "phoneNumber": "13800138000"}, 422),  # no sessionId
        ({"sessionId": "x", "serviceCode": "*10086#", "phoneNumber": "12345"}, 422),
        ({"sessionId": "x", "serviceCode": "hello", "phoneNumber": "13800138000"}, 422),
    ],
)
def test_malformed_requests(client: TestClient, form: dict, status: int) -> None:
    assert client.post("/v1/ussd", data=form, headers=auth()).status_code == status


def test_token_required_and_accepted_in_the_query(client: TestClient) -> None:
    form = {"sessionId": "t", "serviceCode": "*10086#", "phoneNumber": "13800138000", "text": ""}
    assert client.post("/v1/ussd", data=form).status_code == 401
    from tests.conftest import GATEWAY_TOKEN

    assert client.post(f"/v1/ussd?token={GATEWAY_TOKEN}", data=form).status_code == 200
