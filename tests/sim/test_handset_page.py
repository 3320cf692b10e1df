"""The handset web page in a real headless Chromium (Debian's chromium + chromium-driver)."""

from __future__ import annotations

import pytest

from tests.sim.ussd_esme import MENU, UssdEsme, read_ussd_in_deliver_sm
from tests.support.browser import headless_chromium, require_chromium
from tests.support.esme import EchoEsme

require_chromium()
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser():
    with headless_chromium("480,900") as driver:
        yield driver


def test_chat_round_trip_in_browser(sim, browser, tmp_path):
    echo = EchoEsme(sim.port).start()
    try:
        browser.get(sim.url + "/")
        wait = WebDriverWait(browser, 15)
        wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "ESME bind"))
        number = browser.find_element(By.ID, "msisdn")
        number.clear()
        number.send_keys("13800000042")
        box = browser.find_element(By.ID, "text")
        box.send_keys("查话费 cxye")
        browser.find_element(By.ID, "send").click()
        wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, ".msg.mt[data-state='DELIVRD']"))
        )
        mo = browser.find_element(By.CSS_SELECTOR, ".msg.mo .text").text
        mt = browser.find_element(By.CSS_SELECTOR, ".msg.mt .text").text
        meta = browser.find_element(By.CSS_SELECTOR, ".msg.mt .meta").text
        assert mo == "查话费 cxye"
        assert mt == "echo: 查话费 cxye"
        assert "1 part(s)" in meta and "dc=8" in meta and "DELIVRD" in meta
        assert browser.find_element(By.ID, "dial").is_enabled()
        shot = tmp_path / "handset.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 1000
        # The MO really went through the simulator, not just the page.
        convo = sim.api("GET", "/api/handsets/13800000042/conversation")["messages"]
        assert [m["direction"] for m in convo] == ["mo", "mt"]
    finally:
        echo.stop()


def test_ussd_dial_in_browser(sim, browser, monkeypatch):
    read_ussd_in_deliver_sm(monkeypatch)
    esme = UssdEsme(sim.port).start()
    try:
        browser.get(sim.url + "/")
        wait = WebDriverWait(browser, 15)
        wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "ESME bind"))
        code = browser.find_element(By.ID, "ussd-code")
        code.clear()
        code.send_keys("*10086#")
        browser.find_element(By.ID, "dial").click()
        screen = browser.find_element(By.ID, "ussd-screen")
        wait.until(lambda _: screen.get_attribute("data-state") == "open")
        assert browser.find_element(By.ID, "ussd-text").text == MENU
        assert browser.find_element(By.ID, "dial").text == "Reply"
        code.send_keys("2")
        browser.find_element(By.ID, "dial").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "ussd-text"), "Help"))
        code.send_keys("1")
        browser.find_element(By.ID, "dial").click()
        wait.until(lambda _: screen.get_attribute("data-state") == "ended")
        assert browser.find_element(By.ID, "ussd-text").text == "Balance: 86.50"
        assert "session ended" in browser.find_element(By.ID, "ussd-state").text
        assert browser.find_element(By.ID, "dial").text == "Dial"
        assert not browser.find_element(By.ID, "hangup").is_displayed()
    finally:
        esme.stop()
