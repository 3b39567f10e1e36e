"""Two-factor login through the real app (AppTest) on a fixed clock: the code step after the
password (de, en), a recovery code, enrolment under Einstellungen, the staff gate when
MIOMENTE_STAFF_2FA is on, and the staff reset on the partner page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import delete, func, select
from streamlit.testing.v1 import AppTest

from components import session
from core.db import Databases
from core.totp import step_of
from data.access import totp
from data.access.viewer import Viewer
from data.portal_schema import audit_log, recovery_codes, sessions
from data.portal_schema import totp as totp_table
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, new_app, open_page
from tests.support.two_factor import code_for, enrol
from tests.support.worlds import PASSWORD, build_world

NOW = datetime(2026, 11, 25, 9, 0, 10)  # the app's clock in these tests (naive UTC)
LATER = NOW + timedelta(minutes=5)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("two_factor_app")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


@pytest.fixture(autouse=True)
def clock(world: Databases, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app checks codes at LATER; nothing of one test is left for the next."""
    monkeypatch.setattr(totp, "now_utc", lambda: LATER)
    yield
    with world.portal.begin() as conn:
        for table in (sessions, recovery_codes, totp_table):
            conn.execute(delete(table))


def _password(at: AppTest, username: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(PASSWORD)
    return at.button[0].click().run()


def _code(at: AppTest, code: str, *, recovery: bool = False) -> AppTest:
    key = "login_totp_code_recovery" if recovery else "login_totp_code"
    at.text_input(key=key).input(code)
    return at.button(key="FormSubmitter:login_code-Bestätigen").click().run()


def _session_rows(db: Databases) -> int:
    with db.portal.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(sessions)).scalar_one())


def test_the_code_step_comes_before_the_session(world: Databases) -> None:
    enrol(world, Viewer(ALPHA, "partner", 1), at=NOW)
    at = new_app()
    at.run()
    _password(at, "alpha")
    text = assert_clean(at)
    assert "Bestätigungscode" in text and session.SESSION_KEY not in at.session_state
    assert _session_rows(world) == 0
    field = at.text_input(key="login_totp_code")
    assert field.label == "Code" and field.proto.autocomplete == "one-time-code"
    _code(at, "000000")
    assert [e.value for e in at.error] == ["Der Code ist falsch oder wurde schon verwendet."]
    assert _session_rows(world) == 0
    _code(at, code_for(world, ALPHA, LATER))
    assert_clean(at)
    assert at.title[0].value == "Guten Tag, Alpha Team"
    assert _session_rows(world) == 1


def test_the_code_step_in_english_and_a_recovery_code(world: Databases) -> None:
    recovery = enrol(world, Viewer(ALPHA, "partner", 1), at=NOW)
    at = new_app(locale="en")
    at.run()
    _password(at, "alpha")
    text = assert_clean(at)
    assert "Verification code" in text and "Use a recovery code" in [e.label for e in at.expander]
    at.text_input(key="login_totp_code_recovery").input(recovery[3])
    at.button(key="FormSubmitter:login_code-Verify").click().run()
    text = assert_clean(at)
    assert "You signed in with a recovery code. 9 unused codes left." in text
    # Used up: the same code does not sign in a second time.
    again = new_app(locale="en")
    again.run()
    _password(again, "alpha")
    again.text_input(key="login_totp_code_recovery").input(recovery[3])
    again.button(key="FormSubmitter:login_code-Verify").click().run()
    assert [e.value for e in again.error] == ["The code is wrong or was used already."]


@pytest.mark.parametrize(
    ("locale", "enable", "confirm", "done", "saved"),
    [
        ("de", "Zwei-Faktor-Anmeldung einrichten", "Bestätigen und einschalten",
         "Ich habe die Codes gesichert", "Die Zwei-Faktor-Anmeldung ist eingeschaltet. Noch 10"),
        ("en", "Set up two-factor sign-in", "Confirm and turn on", "I have saved the codes",
         "Two-factor sign-in is on. 10 unused"),
    ],
)  # fmt: skip
def test_enrolment_under_einstellungen(
    world: Databases, locale: str, enable: str, confirm: str, done: str, saved: str
) -> None:
    at = open_page("konto/einstellungen.py", user_id=ALPHA, locale=locale)
    assert_clean(at)
    at.button(key="totp_enable").click().run()
    text = assert_clean(at)
    assert enable not in text
    assert len(at.get("image")) == 1  # the QR code
    secret = at.session_state["_totp_enrollment"].secret
    assert secret.replace(" ", "")[:4] in "".join(c.value for c in at.code)
    at.text_input(key="totp_confirm_code").input(pyotp.TOTP(secret).generate_otp(step_of(LATER)))
    at.button(key=f"FormSubmitter:totp_confirm-{confirm}").click().run()
    assert_clean(at)
    shown = at.code[0].value.split("\n")
    assert len(shown) == 10 and totp.is_enabled(world, user_id=ALPHA)
    assert at.get("download_button")
    at.button(key="totp_recovery_done").click().run()
    text = assert_clean(at)
    assert saved in text and not any("\n" in c.value for c in at.code)


def test_staff_must_enrol_before_anything_else(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIOMENTE_STAFF_2FA", "true")
    at = new_app()
    at.run()
    _password(at, "staff")
    text = assert_clean(at)
    assert at.title[0].value == "Zwei-Faktor-Anmeldung einrichten"
    assert "Für das Miomente-Team ist die Zwei-Faktor-Anmeldung Pflicht" in text
    assert "_page_context" not in at.session_state  # no page ran
    secret = at.session_state["_totp_enrollment"].secret
    at.text_input(key="totp_confirm_code").input(pyotp.TOTP(secret).generate_otp(step_of(LATER)))
    at.button(key="FormSubmitter:totp_confirm-Bestätigen und einschalten").click().run()
    assert len(at.code[0].value.split("\n")) == 10
    assert "_page_context" not in at.session_state
    at.button(key="totp_recovery_done").click().run()
    assert_clean(at)
    assert "_page_context" in at.session_state and at.title[0].value != (
        "Zwei-Faktor-Anmeldung einrichten"
    )
    # Off (the demo, these page tests): staff go straight in.
    monkeypatch.setenv("MIOMENTE_STAFF_2FA", "false")
    with world.portal.begin() as conn:
        conn.execute(delete(recovery_codes))
        conn.execute(delete(totp_table))
    off = new_app()
    off.run()
    _password(off, "staff")
    assert "_page_context" in off.session_state


def test_staff_reset_a_partners_2fa_with_audit(world: Databases) -> None:
    enrol(world, Viewer(ALPHA, "partner", 1), at=NOW)
    at = open_page("verwaltung/partner.py", user_id=STAFF)
    text = assert_clean(at)
    assert "Zwei-Faktor-Anmeldung zurücksetzen" in text
    assert "Kein anderes Teammitglied nutzt die Zwei-Faktor-Anmeldung." in text
    at.selectbox(key="partners_commission_partner").select(1).run()
    at.button(key="totp_reset_p1_go").click().run()
    text = assert_clean(at)
    assert "Die Zwei-Faktor-Anmeldung von Alpha Team (alpha) ist zurückgesetzt." in text
    assert not totp.is_enabled(world, user_id=ALPHA)
    with world.portal.connect() as conn:
        actors = conn.execute(
            select(audit_log.c.user_id).where(audit_log.c.action == "totp_reset")
        ).scalars()
        assert STAFF in list(actors)


HOSTILE = ["", "   ", "'; DROP TABLE miomente_totp; --", "١٢٣٤٥٦", "9" * 10_000, "<b>1</b>"]
# The German answers the code step may give (the fifth wrong code locks).
ANSWERS = ("Bitte den Code eingeben.", "Der Code ist falsch", "Zu viele falsche Codes")


def test_hostile_codes_get_a_german_answer_and_no_session(world: Databases) -> None:
    enrol(world, Viewer(ALPHA, "partner", 1), at=NOW)
    at = new_app()
    at.run()
    _password(at, "alpha")
    for value in HOSTILE:
        _code(at, value)
        assert_clean(at)
        messages = [e.value for e in (*at.error, *at.warning)]
        assert len(messages) == 1 and messages[0].startswith(ANSWERS), (value[:20], messages)
        assert _session_rows(world) == 0 and session.SESSION_KEY not in at.session_state
    # The field takes 12 characters (longer input arrives empty); the two wrong codes that
    # arrived count towards the lockout.
    with world.portal.connect() as conn:
        assert conn.execute(select(totp_table.c.failed_attempts)).scalar_one() == 2
