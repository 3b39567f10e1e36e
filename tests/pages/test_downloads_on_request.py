"""Files are built when asked: the Termine iCal file and the Bestellungen export are not
written on a plain rerun, only after their "erstellen" button, and then into a temp file; in
a logged-in browser the CSV is a link whose route writes it only when it is followed."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from components import downloads, stream_download
from core import export, ical
from core.db import Databases
from data.access.sessions import end_session, start_session
from data.bookings import listing
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, open_page
from tests.support.calls import Calls
from tests.support.orders import STAFF as STAFF_VIEWER
from tests.support.worlds import build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("downloads")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


def test_the_ical_file_is_built_only_when_asked(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls().wrap(monkeypatch, ical, "build_ics")
    at = open_page("angebot/termine.py", user_id=ALPHA)
    at.run()
    assert calls["ical.build_ics"] == 0 and not at.get("download_button")
    at.button(key="ical").click().run()
    assert_clean(at)
    assert calls["ical.build_ics"] == 1
    [download] = at.get("download_button")
    assert download.proto.label.startswith("miomente-termine.ics herunterladen (")
    path = Path(at.session_state["_prepared_file_ical"].path)
    assert path.read_bytes().count(b"BEGIN:VEVENT") == 3  # A's three dates, not B's
    at.run()
    assert calls["ical.build_ics"] == 1


def test_the_orders_export_is_written_to_a_temp_file_on_request(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls().wrap(monkeypatch, listing, "export_csv", "export_xlsx")
    at = open_page("verkauf/bestellungen.py", user_id=STAFF)
    at.run()
    assert sum(calls.values()) == 0
    at.button(key="export_xlsx").click().run()
    assert_clean(at)
    assert calls == {"listing.export_xlsx": 1}
    prepared = at.session_state["_prepared_file_export_xlsx"]
    assert Path(prepared.path).read_bytes()[:2] == b"PK"  # the workbook, on disk
    assert "_orders_export" not in at.session_state  # the bytes are no longer kept there


def test_a_long_csv_export_shows_progress_and_writes_every_row(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(downloads, "PROGRESS_FROM", 1)  # the world's few rows count as long
    reports: list[int] = []
    real = export.LineProgress

    def counting(out, report, *, step):  # the page's own progress, watched
        return real(out, lambda n: (reports.append(n), report(n)), step=step)

    monkeypatch.setattr(export, "LineProgress", counting)
    at = open_page("verkauf/bestellungen.py", user_id=STAFF)
    at.button(key="export_csv").click().run()
    assert_clean(at)
    written = Path(at.session_state["_prepared_file_export_csv"].path).read_bytes()
    assert reports and reports[-1] == written.count(b"\n")  # the bar followed every line
    assert not at.get("progress")  # gone once the file is written


def test_a_logged_in_browser_gets_a_streaming_link_that_builds_only_when_followed(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = start_session(world, user_id=STAFF, lifetime=timedelta(days=1))
    calls = Calls().wrap(monkeypatch, listing, "export_csv", "export_xlsx")
    at = open_page("verkauf/bestellungen.py", user_id=STAFF)
    at.session_state["_auth_session"] = token
    at.run()
    at.run()  # reruns build nothing either
    assert_clean(at)
    assert sum(calls.values()) == 0
    assert not [b for b in at.button if b.key == "export_csv"]  # no "erstellen" step for it
    shown = " ".join(str(h.proto.body) for h in at.get("html"))
    [href] = re.findall(r'href="(/_portal/download/[^"]+)"', shown)
    assert "bestellungen.csv herunterladen" in shown
    try:
        routes = Starlette(routes=stream_download.routes())
        with TestClient(routes, base_url="http://portal.test") as client:
            response = client.get(href, headers={"Cookie": f"miomente_portal_session={token}"})
        assert response.status_code == 200
        assert calls == {"listing.export_csv": 1}
        expected = io.BytesIO()
        listing.export_csv(STAFF_VIEWER, world, out=expected)
        assert response.content == expected.getvalue()
    finally:
        end_session(world, token=token)
