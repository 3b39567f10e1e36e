"""The mail preview's isolation in a real browser (Debian's Chromium), without the app.

Streamlit puts `st.iframe` HTML into a frame sandboxed with `allow-scripts allow-same-origin`
(its IFrameUtil): a page here builds exactly that frame around `mail_frame(...)` and a mail
whose script tries to read the portal page, its cookie and its storage. Nothing of it may run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Frame, Page, sync_playwright

from components.mail_frame import mail_frame
from tests.support.browser import CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser

# Streamlit 1.67's sandbox for components.html / st.iframe HTML.
STREAMLIT_SANDBOX = (
    "allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox "
    "allow-same-origin allow-scripts allow-downloads"
)
# The script stands before the greeting: a parser runs an inline script before it reads on,
# so once the greeting shows, the script has run or never will.
MAIL = """<html><body>
<script>
  window.top.__stolen = "ran";
  try { window.top.__cookie = window.top.document.cookie; } catch (e) {}
  try { window.parent.parent.document.title = "pwned"; } catch (e) {}
</script>
<p id="greeting">Guten Tag Anna,</p>
</body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _frame_showing(page: Page, selector: str) -> Frame:
    """The frame (at any depth) that shows `selector`, once one does (polls, up to 10 s)."""
    for _ in range(100):
        for frame in page.frames:
            if frame.locator(selector).count():
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no frame shows {selector}")


def test_a_script_in_a_previewed_mail_does_not_run_or_reach_the_portal(browser: Browser) -> None:
    page = browser.new_page()
    try:
        # "<\/" keeps a "</script>" in the frame's document from ending this page's script.
        outer = json.dumps(mail_frame(MAIL, height=300)).replace("</", "<\\/")
        page.set_content(
            "<title>Portal</title><body><iframe id='st' style='width:600px;height:340px' "
            f"sandbox='{STREAMLIT_SANDBOX}'></iframe>"
            f"<script>document.getElementById('st').srcdoc = {outer};</script></body>"
        )
        assert _frame_showing(page, "#greeting").inner_text("#greeting") == "Guten Tag Anna,"
        assert page.evaluate("[window.__stolen, window.__cookie, document.title]") == [
            None,
            None,
            "Portal",
        ]
        inner = page.frame_locator("#st").locator("iframe")
        assert inner.get_attribute("sandbox") == ""
    finally:
        page.close()
