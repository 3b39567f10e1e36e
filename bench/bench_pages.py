"""Benchmark: the pages in a real browser, as the biggest partner and as staff.

Usage (from the project root):

    .venv/bin/python -m bench.bench_pages [--runs 5] [--partner kochschule] [--staff miomente]
        [--password demo] [--magento-url URL --portal-url URL] [--demo-dir var/bench_pages_demo]

Without URLs the app starts in demo mode on the demo under --demo-dir (built by the app at the
first visit when missing, then kept for the next run); with
them it serves the given databases, e.g. the 1,000,000-order ones `bench_demo_seed --keep`
leaves (log in with the demo logins of that seed). Chromium is Debian's (/usr/bin/chromium),
driven by Playwright, like tests/pages/test_browser.py.

Each page and main action is done --runs times per user and timed twice:

- wall: from the click (or the address) until the page is settled, i.e. no script runs and
  the DOM has not changed for a moment; the figure ends at the DOM's last change, so the
  quiet moment is not counted;
- server: the script runs the action caused, from the app's log line "script run … ms"
  (Home.py), summed; `runs` is how many there were (one per click is the goal).

The walk opens the main pages by address (a bookmark: Streamlit's frontend loads anew) and
through the menu (a click in the app), does the main clicks (paging, the calendar's tab and
week, the revenue year, the payouts tab; staff also Auszahlungen and its CSV), and ends with
Bestellungen's streamed CSV of the whole selection: click to the download's start (its first
byte) and to its end. The app runs as `streamlit run portal.py` (the cookie and download
routes) with staff's second factor off, as for the seed's logins.

Printed: p50/p95 of both per action, the runs per action, and the app process's peak RSS.
Figures carry the noise of a shared 2-core machine; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 120_000  # for a page to settle
ACTION_MS = 15_000  # for a button to be there and clickable
QUIET_MS = 300
SESSION_COOKIE = "miomente_portal_session"
RUN_LINE = re.compile(r"miomente\.timing: script run ([0-9.]+) ms")

WATCH_DOM = """
window.__mioLastChange = Date.now();
new MutationObserver(() => { window.__mioLastChange = Date.now(); }).observe(document, {
  subtree: true, childList: true, attributes: true, characterData: true,
});
"""
SETTLED = """(quietMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && Date.now() - window.__mioLastChange > quietMs;
}"""


# --- the app -------------------------------------------------------------------------------------


@dataclass
class App:
    url: str
    log: Path
    proc: subprocess.Popen
    read_to: int = 0

    def new_runs(self) -> list[float]:
        """Server-side times of the script runs logged since the last call."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        fresh, self.read_to = text[self.read_to :], len(text)
        return [float(m) for m in RUN_LINE.findall(fresh)]

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def running_app(
    tmp: Path, magento_url: str | None, portal_url: str | None, demo_dir: Path
) -> Iterator[App]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIOMENTE_")}
    if magento_url and portal_url:
        env |= {"MIOMENTE_MAGENTO_URL": magento_url, "MIOMENTE_PORTAL_URL": portal_url}
    env |= {
        "MIOMENTE_COOKIE_KEY": "bench-pages-cookie-key-" + "k" * 24,
        "MIOMENTE_DEMO_DIR": str(demo_dir),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",
        # The seed's staff login has no second factor; the pages behind it are measured here.
        "MIOMENTE_STAFF_2FA": "false",
    }
    command = [
        sys.executable, "-m", "streamlit", "run", "portal.py", "--server.port", str(port),
        "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = tmp / "streamlit.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        app = App(url=f"http://127.0.0.1:{port}", log=log, proc=proc)
        try:
            deadline = time.monotonic() + 120
            while not _healthy(app.url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"streamlit did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield app
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Figures:
    wall_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)


def _settle(page: Page) -> None:
    page.wait_for_function(SETTLED, arg=QUIET_MS, polling=50, timeout=TIMEOUT_MS)


def measure(page: Page, app: App, figures: Figures, action: Callable[[], None]) -> None:
    _settle(page)
    app.new_runs()  # forget what came before
    started = page.evaluate("Date.now()")
    action()
    page.wait_for_timeout(50)  # let the click reach the server before asking "settled?"
    _settle(page)
    ended = page.evaluate("window.__mioLastChange")
    runs = app.new_runs()
    figures.wall_ms.append(max(0.0, ended - started))
    figures.server_ms.append(sum(runs))
    figures.runs.append(len(runs))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(user: str, results: dict[str, Figures]) -> None:
    print(f"\n{user}")
    print(f"{'page / action':44} {'wall p50':>9} {'p95':>7} {'server p50':>11} {'p95':>7} runs")
    for name, f in results.items():
        print(
            f"{name:44} {statistics.median(f.wall_ms):9.0f} {_pct(f.wall_ms, 0.95):7.0f} "
            f"{statistics.median(f.server_ms):11.0f} {_pct(f.server_ms, 0.95):7.0f} "
            f"{statistics.median(f.runs):4.0f}"
        )


# --- the walk ----------------------------------------------------------------------------------


def _login(page: Page, app: App, username: str, password: str) -> None:
    page.goto(app.url)
    # The first visit of a new demo dir builds the demo first (minutes on a busy machine).
    page.get_by_label("Benutzername", exact=True).wait_for(timeout=900_000)
    _settle(page)
    page.get_by_label("Benutzername", exact=True).fill(username)
    page.get_by_label("Passwort", exact=True).fill(password)


def _click(page: Page, role: str, name: str) -> Callable[[], None]:
    return lambda: page.get_by_role(role, name=name).first.click()  # type: ignore[arg-type]


def _goto(page: Page, app: App, path: str) -> Callable[[], None]:
    return lambda: page.goto(f"{app.url}/{path}")


def walk(page: Page, app: App, *, staff: bool) -> list[tuple[str, Callable[[], None]]]:
    """(name, action) in order; each action starts where the previous one left the page."""
    steps = [
        ("Übersicht (address)", _goto(page, app, "")),
        ("Bestellungen (address)", _goto(page, app, "bestellungen")),
        ("Bestellungen: Weiter →", _click(page, "button", "Weiter →")),
        ("Termine (address)", _goto(page, app, "termine")),
        ("Termine: Kalender tab", _click(page, "tab", "Kalender")),
        ("Termine: Kalender Woche", _click(page, "radio", "Woche")),
        ("Buchhaltung (address)", _goto(page, app, "buchhaltung")),
        ("Buchhaltung: Umsatz Jahr", _click(page, "radio", "Jahr")),
        ("Buchhaltung: Auszahlungen tab", _click(page, "tab", "Auszahlungen")),
    ]
    # The same pages through the menu: a click in the app, without reloading Streamlit's
    # frontend as an address (a bookmark) does.
    steps += [
        (f"{name} (menu)", _click(page, "link", name))
        for name in ("Bestellungen", "Termine", "Buchhaltung", "Übersicht")
    ]
    if staff:
        steps += [
            ("Auszahlungen (address)", _goto(page, app, "auszahlungen")),
            ("Auszahlungen: Weiter →", _click(page, "button", "Weiter →")),
            ("Auszahlungen: CSV erstellen", _click(page, "button", "Auszahlungen.csv erstellen")),
        ]
    return steps


def _wait_for_cookie(page: Page) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not any(c["name"] == SESSION_COOKIE for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise SystemExit("the session cookie was never set")
        page.wait_for_timeout(100)


def measure_export(page: Page, app: App, results: dict[str, Figures]) -> None:
    """Bestellungen's CSV of the whole selection, streamed: click to the download's start
    (its first byte: the browser fires `download` when the response begins) and to its end."""
    page.goto(f"{app.url}/bestellungen")
    _settle(page)
    page.get_by_text("Export", exact=True).first.click()
    link = page.get_by_test_id("mio-download").first
    link.wait_for()
    started = time.perf_counter()
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        link.click()
    first = time.perf_counter()
    path = info.value.path()  # waits for the end
    done = time.perf_counter()
    size = path.stat().st_size if path else 0
    results.setdefault("Bestellungen: CSV, first byte", Figures()).wall_ms.append(
        (first - started) * 1000
    )
    whole = results.setdefault(f"Bestellungen: CSV, whole ({size / 1e6:.0f} MB)", Figures())
    whole.wall_ms.append((done - started) * 1000)
    for figures in (results["Bestellungen: CSV, first byte"], whole):
        figures.server_ms.append(0.0)
        figures.runs.append(0)


def bench_user(browser, app: App, *, username: str, password: str, runs: int, staff: bool):
    results: dict[str, Figures] = {}
    for _ in range(runs):
        context = browser.new_context(
            locale="de-DE", timezone_id="Europe/Berlin", accept_downloads=True
        )
        context.set_default_timeout(ACTION_MS)  # finding and clicking; settling has its own
        context.add_init_script(WATCH_DOM)
        page = context.new_page()
        _login(page, app, username, password)
        login = results.setdefault("login → Übersicht", Figures())
        measure(page, app, login, _click(page, "button", "Anmelden"))
        # The session cookie is set by the server after login (HttpOnly: no script sees it);
        # addresses need it.
        _wait_for_cookie(page)
        for name, action in walk(page, app, staff=staff):
            try:
                measure(page, app, results.setdefault(name, Figures()), action)
            except PlaywrightError as exc:  # a missing button (e.g. one page only): say so, go on
                print(f"  {username}: {name} skipped ({type(exc).__name__})", file=sys.stderr)
        try:
            measure_export(page, app, results)
        except PlaywrightError as exc:
            print(f"  {username}: export skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
        context.close()
    return {name: f for name, f in results.items() if f.wall_ms}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--partner", default="kochschule")
    parser.add_argument("--staff", default="miomente")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--magento-url")
    parser.add_argument("--portal-url")
    parser.add_argument("--demo-dir", type=Path, default=ROOT / "var" / "bench_pages_demo")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp,
        running_app(Path(tmp), args.magento_url, args.portal_url, args.demo_dir) as app,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for username, staff in ((args.partner, False), (args.staff, True)):
            figures = bench_user(
                browser, app, username=username, password=args.password, runs=args.runs,
                staff=staff,
            )  # fmt: skip
            report(f"{username} ({'staff' if staff else 'partner'}), ms", figures)
        browser.close()
        print(f"\napp process peak RSS: {app.peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
