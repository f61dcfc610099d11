"""What a browser test watches while a person clicks: every page and resource loads from this host,
answers below 400, and the console stays free of errors.

Chromium's own logs are the witness (`goog:loggingPrefs`): the network log lists each request and
response, blocked ones included (a request our CSP stopped is still a request the page tried to
make to another host), and the browser log holds console errors and CSP violations.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

WAIT_SECONDS = 15
LOGGING_PREFS = {"browser": "ALL", "performance": "ALL"}
# How Chromium's console reports any answer of 400 or more, a page's own included.
FAILED_LOAD = re.compile(r"^(?P<url>\S+) - Failed to load resource: the server responded with a status of (?P<status>\d{3})\b")


@dataclass
class PageWatch:
    """Reads Chromium's logs since the last look and names whatever a person would have hit."""

    driver: object
    base_url: str
    expected_statuses: set[tuple[str, int]] = field(default_factory=set)
    seen: list[str] = field(default_factory=list)

    def expect(self, path: str, status: int) -> None:
        """An answer the test provokes on purpose (an invalid link's 400 page) is no problem, nor
        the console line Chromium writes for it."""
        self.expected_statuses.add((path, status))

    def _expected_failed_load(self, message: str) -> bool:
        failed = FAILED_LOAD.match(message)
        return failed is not None and (urlsplit(failed["url"]).path, int(failed["status"])) in self.expected_statuses

    def problems(self) -> list[str]:
        host = urlsplit(self.base_url).netloc
        found = []
        for event in (json.loads(entry["message"])["message"] for entry in self.driver.get_log("performance")):
            found += self._network_problem(event, host)
        for entry in self.driver.get_log("browser"):
            if entry["level"] == "SEVERE" and not self._expected_failed_load(entry["message"]):
                found.append(f"console error: {entry['message']}")
        return found

    def _network_problem(self, event: dict, host: str) -> list[str]:
        params = event.get("params", {})
        if event["method"] == "Network.requestWillBeSent":
            url = params["request"]["url"]
            self.seen.append(url)
            if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != host:
                return [f"request to another host: {url}"]
        if event["method"] == "Network.responseReceived":
            url, status = params["response"]["url"], params["response"]["status"]
            if status >= 400 and (urlsplit(url).path, status) not in self.expected_statuses:
                return [f"{status} answer for {url}"]
        return []

    def assert_clean(self) -> None:
        problems = self.problems()
        assert problems == [], "\n".join(problems)


# Two frames and a task: what a UI does just after it renders (an effect adding a late image)
# has started by then, so the watch sees it.
SETTLE = "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done)));"


class Journey:
    """The browser, the live server, numbered screenshots of each step, and a watch on every page."""

    def __init__(self, driver, base_url: str, shots: Path):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.base_url = base_url
        self.shots = shots
        self.wait = WebDriverWait(driver, WAIT_SECONDS)
        self.taken: list[Path] = []
        self.watch = PageWatch(driver, base_url)

    def open(self, path: str) -> None:
        self.driver.get(path if re.match(r"https?://", path) else f"{self.base_url}{path}")

    def find(self, css: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def follow_object_tool(self, label: str) -> None:
        """Click a button of the change page's object tools (by its text in the page, not as styled)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        link = (By.XPATH, f"//ul[contains(@class, 'object-tools')]//a[normalize-space()='{label}']")
        self.wait.until(ec.element_to_be_clickable(link)).click()

    def wait_for_path(self, pattern: str) -> None:
        self.wait.until(lambda driver: re.search(pattern, driver.current_url))

    def wait_until_rendered(self, script: str) -> None:
        """For a page that renders itself (Swagger UI, Redoc): wait until `script` returns true, then settle."""
        self.wait.until(lambda driver: driver.execute_script(script))
        self.driver.execute_async_script(SETTLE)

    def screenshot(self, name: str) -> None:
        """A numbered shot of what the person sees now; every step shot is also a step checked."""
        path = self.shots / f"{len(self.taken) + 1:02d}-{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot for {name}"
        assert path.stat().st_size > 0
        self.taken.append(path)
        self.watch.assert_clean()
