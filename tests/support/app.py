"""The Streamlit app through AppTest, as every page test uses it.

`app_environment` points the app at a test world through the same environment variables
production uses; `open_page` logs a user in (the viewer in session state, as after login) and
runs one page; `assert_clean` checks what every rendered page must satisfy. Termine runs only
its open tab: `open_dates_tab` opens one, as a user clicks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import Databases
from core.i18n import catalog, normalize_locale

ROOT = Path(__file__).resolve().parents[2]
# A locale key shown raw ("orders.empty") means a missing translation.
RAW_KEY = re.compile(
    r"\b(" + "|".join(sorted({k.split(".")[0] for k in catalog("de")})) + r")\.[a-z_]+\b"
)
ALPHA, STAFF = 10, 30  # tests/support/worlds.py: partner A's user and the staff user
# components.text.md: a backslash before ASCII punctuation, a word joiner after a colon.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_shown(markdown: str) -> str:
    """A Markdown source as the reader sees its text: escapes resolved (so that "not in the
    text" checks also catch an escaped value)."""
    return _ESCAPE.sub(r"\1", markdown).replace("\u2060", "")


@contextmanager
def app_environment(db: Databases, tmp: Path) -> Iterator[Databases]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIOMENTE_DEMO_DIR", str(tmp / "local"))  # the local mail transport's files
        mp.setenv("MIOMENTE_MAGENTO_URL", db.magento.url.render_as_string(False))
        mp.setenv("MIOMENTE_PORTAL_URL", db.portal.url.render_as_string(False))
        mp.setenv("MIOMENTE_COOKIE_KEY", "t" * 40)
        # Staff pages open without the second factor; tests/pages/test_two_factor.py turns it on.
        mp.setenv("MIOMENTE_STAFF_2FA", "false")
        yield db


def new_app(*, user_id: int | None = None, locale: str | None = None) -> AppTest:
    """The app, not yet run; with `user_id` as if that user had logged in."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    if user_id is not None:
        at.session_state["auth_user_id"] = user_id
    if locale is not None:
        at.session_state["locale"] = locale
    return at


def open_page(page: str, *, user_id: int, locale: str = "de") -> AppTest:
    """`pages/<page>` rendered for the user."""
    at = new_app(user_id=user_id, locale=locale)
    at.run()
    at.switch_page(f"pages/{page}")
    at.run()
    return at


def open_dates_tab(at: AppTest, tab: str) -> AppTest:
    """Termine with its tab `tab` ("list", "calendar", "series", "refunds") open, as after a
    click on it: only the open tab runs (pages/angebot/termine.py), so a test uses a tab's
    widgets after opening it. The tab is chosen by its label in the session's language."""
    language = normalize_locale(at.session_state.get("locale"))
    at.session_state["dates_view"] = catalog(language)[f"dates.tab_{tab}"]
    at.run()
    return at


def visible_text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success"):  # fmt: skip
        parts += [as_shown(str(el.value)) for el in getattr(at, kind)]
    for metric in at.metric:
        parts += [as_shown(str(part)) for part in (metric.label, metric.value, metric.delta or "")]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    for widget in (*at.button, *at.text_input, *at.selectbox):
        parts.append(as_shown(str(widget.label)))
    return "\n".join(parts)


def assert_clean(at: AppTest) -> str:
    """No exception, no raw locale key, no traceback; returns the visible text."""
    assert not at.exception, [e.message for e in at.exception]
    text = visible_text(at)
    assert not RAW_KEY.search(text), RAW_KEY.search(text)
    assert "Traceback" not in text
    return text
