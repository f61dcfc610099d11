"""Browser fixtures: Debian's Chromium, headless, driven by Selenium against pytest-django's live server.

The tests skip, saying why, when Chromium or its driver is not installed (`.ci/run` installs
both with apt). Paths are fixed on purpose: Selenium would otherwise try to download a browser.
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.e2e.browser import LOGGING_PREFS

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1366,900",  # a laptop screen
)
STAFF_USERNAME = "staff"
STAFF_PASSWORD = "e2e-staff-password-1"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        return f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture
def browser(tmp_path):
    """A fresh headless Chromium, with a profile of its own under the test's tmp dir."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (requirements-dev.txt)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", LOGGING_PREFS)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def superuser(transactional_db):
    """A superuser with a password to type: on SecantusDB, staff permission checks fail (tests/test_secantus_differences.py)."""
    return get_user_model().objects.create_superuser(STAFF_USERNAME, "staff@example.com", password=STAFF_PASSWORD)
