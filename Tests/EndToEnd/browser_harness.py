"""Headless Chromium driven by selenium, for the tests that need a real browser (the demo page in
test_browser_demo.py, EventSource through nginx in test_cluster.py).

`headless_chromium(profile, extra_arguments)` starts the Debian `chromium` with its
`chromium-driver`, confined to 127.0.0.1 (no proxy, no DNS, no background traffic), and quits it
afterwards. What differs between tests (window size, language, where and for how long the
profile lives) is the caller's: the profile directory and `extra_arguments`.

Without selenium, chromium or chromedriver a test is skipped when not root (nothing can be
installed) and fails when root (run.sh installs them: in CI these tests must run).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import pytest

from nginx_harness import require_executable

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    SELENIUM_IMPORT_ERROR: Optional[str] = None
except ImportError as exc:  # reported by require_selenium(): skip when not root, fail when root
    SELENIUM_IMPORT_ERROR = str(exc)

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
PAGE_LOAD_TIMEOUT = 20
SCRIPT_TIMEOUT = 10

# Every test's Chromium: headless, runnable as root in a container, and only 127.0.0.1 — no proxy,
# no DNS (every host name fails to resolve), no background traffic.
BASE_ARGUMENTS = (
    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
    "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
    "--disable-client-side-phishing-detection", "--no-first-run", "--no-default-browser-check",
    "--metrics-recording-only", "--disable-features=Translate,OptimizationHints,MediaRouter",
)


def require_selenium() -> None:
    """Skips the test when selenium is missing and we are not root; fails it when root."""
    if SELENIUM_IMPORT_ERROR is None:
        return
    message = f"selenium is not importable ({SELENIUM_IMPORT_ERROR}); run.sh installs it with pip"
    if os.geteuid() == 0:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def headless_chromium(profile: Path, extra_arguments: tuple = ()) -> Iterator:
    """A selenium Chrome driver on headless Chromium with its user data in `profile` and
    BASE_ARGUMENTS + `extra_arguments`; quit when the block ends."""
    require_selenium()
    require_executable(CHROMIUM, "chromium")
    require_executable(CHROMEDRIVER, "chromium-driver")
    # The driver path is given explicitly: selenium-manager must never look anything up online.
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (*BASE_ARGUMENTS, f"--user-data-dir={profile}", *extra_arguments):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        driver.set_script_timeout(SCRIPT_TIMEOUT)
        yield driver
    finally:
        driver.quit()
