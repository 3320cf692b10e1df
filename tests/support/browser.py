"""A real headless Chromium (Debian's chromium + chromium-driver) for the web pages."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
)


def require_chromium() -> Any:
    """selenium's webdriver module; skips the calling test module (at import) when
    Chromium, its driver or selenium is missing."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(
            "chromium/chromedriver not installed (apt-get install -y chromium chromium-driver)",
            allow_module_level=True,
        )
    return pytest.importorskip("selenium.webdriver", reason="selenium not installed")


@contextmanager
def headless_chromium(window_size: str, downloads: Path | None = None) -> Iterator[Any]:
    """A driver with a `window_size` ("480,900") window; files it downloads land in `downloads`."""
    webdriver = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    if downloads is not None:
        options.add_experimental_option(
            "prefs",
            {"download.default_directory": str(downloads), "download.prompt_for_download": False},
        )
    for flag in (*FLAGS, f"--window-size={window_size}"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
