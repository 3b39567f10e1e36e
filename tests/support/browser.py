"""Helpers for the real-browser tests: the app as a `streamlit run` subprocess, Chromium.

Playwright's own browser download does not work here, so the tests drive Debian's Chromium
(`apt-get install chromium`). Missing Chromium: skipped with the reason, except with CI=true,
where it is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COOKIE_KEY = "browser-test-cookie-key-" + "k" * 24  # >= 32 characters, as settings insist
STARTUP_SECONDS = 60.0


def require_chromium() -> str:
    """The Chromium executable, or skip (fail under CI) with the reason."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    reason = f"{CHROMIUM} not found (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"CI needs {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RunningApp:
    url: str
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        if not self.log.is_file():
            return "(no app log)"
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def streamlit_app(
    *,
    magento_url: str | None,
    portal_url: str | None,
    tmp_dir: Path,
    staff_2fa: bool = False,
) -> Iterator[RunningApp]:
    """`streamlit run portal.py` (Home.py and the cookie routes) on a free port against the
    given databases; stopped afterwards.

    Without URLs the app starts in demo mode and builds its demo under `tmp_dir/demo`.
    Staff sign in without a second factor unless `staff_2fa` (tests/pages/test_two_factor_browser.py
    covers the required path on its own).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIOMENTE_")}
    if magento_url and portal_url:
        env |= {"MIOMENTE_MAGENTO_URL": magento_url, "MIOMENTE_PORTAL_URL": portal_url}
    env |= {
        "MIOMENTE_COOKIE_KEY": COOKIE_KEY,
        "MIOMENTE_DEMO_DIR": str(tmp_dir / "demo"),
        "MIOMENTE_STAFF_2FA": "true" if staff_2fa else "false",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", "portal.py",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = tmp_dir / "streamlit.log"
    app = RunningApp(url=url, log=log)
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _healthy(url):
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited with {proc.returncode}:\n{app.log_tail()}")
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"streamlit not healthy after {STARTUP_SECONDS:.0f} s:\n{app.log_tail()}"
                    )
                time.sleep(0.2)  # polling the health endpoint, not a timing assertion
            yield app
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


# Streamlit redraws in bursts; a page is "settled" when no script runs and the DOM has been
# still for a moment. WATCH_DOM (an init script) notes the time of every DOM change ...
WATCH_DOM = """
window.__mioLastChange = Date.now();
new MutationObserver(() => { window.__mioLastChange = Date.now(); }).observe(document, {
  subtree: true, childList: true, attributes: true, characterData: true,
});
"""
# ... and SETTLED (for page.wait_for_function, argument: quiet milliseconds) checks both.
SETTLED = """(quietMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && Date.now() - window.__mioLastChange > quietMs;
}"""


@contextmanager
def launched_chromium(chromium: str, *, timeout_ms: int) -> Iterator[Browser]:
    """Debian's Chromium, headless, with `timeout_ms` for every `expect` meanwhile (a busy
    machine redraws slowly); Playwright's default timeout again afterwards."""
    expect.set_options(timeout=timeout_ms)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
            expect.set_options(timeout=5_000)  # playwright's default


SESSION_COOKIE = "miomente_portal_session"  # Settings.cookie_name


def log_in(page: Page, url: str, username: str, password: str) -> None:
    """Log in through the form and wait for the session cookie: it is HttpOnly and set by the
    server after the login, so a page opened by its address before it arrives would show the
    login form again (waiting for a condition, not for seconds)."""
    page.goto(url)
    page.get_by_label("Benutzername", exact=True).fill(username)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("button", name="Abmelden").first).to_be_visible()
    for _ in range(300):
        if any(c["name"] == SESSION_COOKIE for c in page.context.cookies()):
            return
        page.wait_for_timeout(100)
    pytest.fail("the session cookie was never set", pytrace=False)
