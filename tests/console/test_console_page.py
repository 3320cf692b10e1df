"""The console page in a real headless Chromium (Debian's chromium + chromium-driver),
served by the real service (uvicorn on a loopback port) on the test database with
the catalog, subscribers, KPI data for October 2026 and MOs sent over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.domain.channels import Channel
from app.main import create_app
from app.runtime import Runtime
from app.services.clock import utc_now
from app.services.link_status import LinkReport, report_links
from tests.conftest import ADMIN_TOKEN, auth
from tests.reports.fixtures import add_activation, add_bundle
from tests.support.browser import headless_chromium, require_chromium
from tests.support.outbox import outbound_row
from tests.support.ports import LOOPBACK, free_port

require_chromium()
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.usefixtures("catalog")  # IWJZS; photo window 2026-01..2026-06
MANAGER = "李经理"
NO_CARD = dict(vip_level=None, vip_source=None, vip_type=None, vip_card_no=None)
PHOTO = {f"2026-{m:02d}": (80_00, 50) for m in range(1, 7)}  # 480 yuan: photographed


@pytest.fixture
def service(runtime: Runtime) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(runtime=runtime), host=LOOPBACK, port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def programme(runtime: Runtime, add_subscriber: Callable, service: str) -> str:
    """October 2026: dynamic 2 (1 in September), photographed base 3 (retained,
    churned, spend-lost), one terminal bundle, one IWJZS/2 sign-up; three MOs now."""
    kept = add_subscriber(
        "13800000001",
        {**PHOTO, "2026-09": (80_00, 100), "2026-10": (80_00, 100)},
        account_manager=MANAGER, balance_fen=19_99, last_contacted_on=date(2026, 11, 20),
        last_visited_on=date(2026, 11, 2),
    )  # fmt: skip
    add_subscriber("13800000002", {"2026-09": (80_00, 99), "2026-10": (200_00, 300)}, **NO_CARD)
    add_subscriber("13800000003", {**PHOTO, "2026-10": (90_00, 200)}, status="closed", **NO_CARD)
    add_subscriber("13800000004", {**PHOTO, "2026-10": (79_99, 500)}, **NO_CARD)
    add_bundle(runtime, kept, "terminal", date(2026, 1, 1), None)
    add_activation(runtime, kept, activated_on=date(2026, 10, 5), ends_on=date(2027, 1, 31))
    with httpx.Client(base_url=service, headers=auth()) as gateway:
        for n in range(3):
            body = {"from": "13800000001", "to": "10086", "text": "CXYE", "message_id": f"c-{n}"}
            assert gateway.post("/v1/mo", json=body).status_code == 200
    with runtime.uow_factory() as uow:  # a notice the SMPP sender has not taken yet
        assert uow.session is not None
        now = utc_now()
        uow.session.add(outbound_row("13800000004", "提醒", now, due=now))
        uow.commit()
    # Binds held by two other processes: one reporting, one silent for a minute.
    for process, name, silent in (("smpp-a:101", "main", 0), ("smpp-b:202", "backup", 60)):
        view = {"name": name, "bind": name, "system_id": "smshall", "role": "trx",
                "state": "bound", "outstanding": 3, "last_error": None}  # fmt: skip
        report_links(
            runtime.uow_factory, process, [LinkReport(Channel.SMPP, view)],
            now - timedelta(seconds=silent),
        )  # fmt: skip
    return service


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator[object]:
    with headless_chromium("1280,1700", downloads) as driver:
        yield driver


def text_of(browser, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def painted_pixels(browser, canvas_id: str) -> int:
    return browser.execute_script(
        """const c = document.getElementById(arguments[0]);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n;""",
        canvas_id,
    )


def submit(browser, element_id: str, value: str) -> None:
    box = browser.find_element(By.ID, element_id)
    browser.execute_script("arguments[0].value = arguments[1]", box, value)
    box.find_element(By.XPATH, "./ancestor::form").find_element(By.TAG_NAME, "button").click()


def test_console_in_browser(programme: str, browser, downloads: Path, tmp_path: Path) -> None:
    browser.get(programme + "/console")
    wait = WebDriverWait(browser, 15)
    # Without a token, nothing but the question; a wrong one is refused.
    assert browser.find_element(By.ID, "token").is_displayed()
    assert text_of(browser, "mo-rate") == "–"
    browser.find_element(By.ID, "token").send_keys("not-the-token")
    browser.find_element(By.ID, "token-use").click()
    wait.until(lambda b: "refused" in text_of(b, "status"))
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.ID, "token-use").click()
    wait.until(lambda b: not b.find_element(By.ID, "token-form").is_displayed())

    # Traffic now: three MOs and their replies in the last minute, one reply queued.
    wait.until(lambda b: text_of(b, "mo-rate") != "–")
    assert text_of(browser, "mo-rate") == "0.05"
    assert text_of(browser, "reply-rate") == "0.07"  # three answers and the queued notice
    assert text_of(browser, "state-queued") == "1" and text_of(browser, "queue-queued") == "1"
    assert text_of(browser, "queue-oldest").endswith(" s")
    # Every process's binds: the reporting one bound, the silent one stale.
    binds = browser.find_elements(By.CSS_SELECTOR, "#binds tbody tr")
    cells = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in binds]
    assert cells[0][:5] == ["SMPP backup", "smpp-b:202", "smshall", "trx", cells[0][4]]
    assert cells[0][4].startswith("stale (") and cells[0][4].endswith(" s silent)")
    assert cells[1][:6] == ["SMPP main", "smpp-a:101", "smshall", "trx", "bound", "3"]
    assert "connected · 1 of 2 link(s) up" in text_of(browser, "status")

    # The KPI month: first the last whole one by the service clock (October, the clock
    # being in November), then September asked for, then October again.
    wait.until(lambda b: b.find_element(By.ID, "kpi").get_attribute("data-month") == "2026-10")
    assert browser.find_element(By.ID, "kpi-month").get_attribute("value") == "2026-10"
    month_before = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        import("/console/static/console.js").then((page) => done(arguments[0].map(page.monthBefore)));""",
        ["2027-01-15T04:00:00Z", "2026-12-31T16:00:00Z", "2026-12-31T15:59:59Z"],
    )  # January's is December; operator time (UTC+8) decides which month an instant is in
    assert month_before == ["2026-12", "2026-12", "2026-11"]
    submit(browser, "kpi-month", "2026-09")
    wait.until(lambda b: b.find_element(By.ID, "kpi").get_attribute("data-month") == "2026-09")
    assert text_of(browser, "kpi-dynamic").startswith("1 in 2026-09")
    submit(browser, "kpi-month", "2026-10")
    wait.until(lambda b: b.find_element(By.ID, "kpi").get_attribute("data-month") == "2026-10")
    assert text_of(browser, "kpi-dynamic").startswith("2 in 2026-10, +1 from 1 in 2026-09")
    assert "retained 1 of 3" in text_of(browser, "kpi-retention")
    assert "churned 1, spend lost 1" in text_of(browser, "kpi-retention")
    assert "bundled 1 of 2" in text_of(browser, "kpi-bundling")
    assert "terminal 1" in text_of(browser, "kpi-bundling")
    assert text_of(browser, "kpi-uptake").startswith("IWJZS/2: 1 of ")
    for chart in ("chart-dynamic", "chart-retention", "chart-bundling", "chart-uptake"):
        assert painted_pixels(browser, chart) > 500, chart

    # A subscriber's conversation, newest first.
    submit(browser, "msisdn", "13800000001")
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#messages .msg.mo"))
    mos = browser.find_elements(By.CSS_SELECTOR, "#messages .msg.mo .text")
    mts = browser.find_elements(By.CSS_SELECTOR, "#messages .msg.mt .text")
    assert [m.text for m in mos] == ["CXYE"] * 3 and len(mts) == 3
    assert "19.99" in mts[0].text
    assert not browser.find_element(By.ID, "messages-older").is_displayed()  # one page

    # The account manager's worklist, with its CSV behind the token too.
    submit(browser, "manager", MANAGER)
    wait.until(lambda b: "13800000001" in text_of(b, "work-items"))
    assert "low_balance" in text_of(browser, "work-items")
    link = browser.find_element(By.ID, "worklist-csv")
    assert link.is_displayed() and link.get_attribute("href").endswith("/console#")
    link.click()
    saved = downloads / "worklist.csv"
    wait.until(lambda _: saved.exists() and saved.stat().st_size > 0)
    csv = saved.read_text(encoding="utf-8")
    assert csv.startswith("manager,due_on,reason") and "13800000001" in csv

    # The token stays in this tab's session, never in a URL or in localStorage.
    assert ADMIN_TOKEN not in browser.current_url
    assert browser.execute_script("return localStorage.length") == 0
    shot = tmp_path / "console.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 30_000
