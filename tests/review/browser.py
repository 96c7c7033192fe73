"""A real headless Chromium driven through Selenium, for the review page's tests.

Chromium and chromedriver come from apt (Debian ``chromium`` and ``chromium-driver``); without
them, or without the ``selenium`` package, the browser tests skip and say why. The browser runs
with everything that phones home switched off and a fresh profile, and records its console and
every network request so a test can prove the page fetched nothing from anywhere.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
    "--window-size=1500,1000",
)  # fmt: skip


@dataclass
class Browser:
    """The driver, and the folder it downloads into."""

    driver: Any
    downloads: Path

    def open(self, page: Path) -> None:
        """Load ``page`` from disk, dropping the logs of whatever was loaded before."""
        self.console()
        self.requests()
        self.driver.get(page.resolve().as_uri())

    def console(self) -> list[dict[str, Any]]:
        """Console entries since the last call."""
        entries: list[dict[str, Any]] = self.driver.get_log("browser")
        return entries

    def requests(self) -> list[dict[str, Any]]:
        """``Network.requestWillBeSent`` parameters since the last call."""
        events = (json.loads(e["message"])["message"] for e in self.driver.get_log("performance"))
        return [e["params"] for e in events if e["method"] == "Network.requestWillBeSent"]

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)


def _programs() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("needs Chromium and chromedriver (apt install chromium chromium-driver)")
    return chromium, driver


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session, with a fresh profile and download folder."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (dev extra)")
    chromium, chromedriver = _programs()
    profile = Path(tempfile.mkdtemp(prefix="previz-chromium-"))
    downloads = profile / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={profile / 'profile'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = webdriver.ChromeService(executable_path=chromedriver)
    driver = webdriver.Chrome(service=service, options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield Browser(driver, downloads)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
