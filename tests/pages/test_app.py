"""The Streamlit app through a real script runner (AppTest): every page, both roles, login.

The app is pointed at a world of two partners in temp SQLite files through the same
environment variables production uses; the viewer is put in session state as after login.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from components.navigation import PAGES
from core.db import Databases
from core.i18n import catalog
from data.portal_schema import outbox as outbox_table
from data.portal_schema import users
from tests.conftest import fresh_databases
from tests.support.app import (
    ALPHA,
    ROOT,
    STAFF,
    app_environment,
    as_shown,
    assert_clean,
    new_app,
    open_dates_tab,
)
from tests.support.worlds import PASSWORD, B, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("app")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


@pytest.mark.parametrize("user_id", [ALPHA, STAFF], ids=["partner", "staff"])
@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("spec", PAGES, ids=[p.key for p in PAGES])
def test_every_page_renders(world: Databases, spec, user_id: int, locale: str) -> None:
    at = new_app(user_id=user_id, locale=locale)
    at.run()
    if not (spec.staff_only and user_id == ALPHA):
        at.switch_page(f"pages/{spec.file}")
        at.run()
    text = assert_clean(at)
    if spec.staff_only and user_id == ALPHA:
        # A partner's menu does not even register staff pages.
        with pytest.raises(ValueError):
            at.switch_page(f"pages/{spec.file}")
        assert B.partner_name not in text
    else:
        # One title, drawn by the entry point from the page's spec.
        name = "Alpha Team" if user_id == ALPHA else "Miomente Staff"
        heading = catalog(locale)[spec.heading_key or f"nav.{spec.key}"].format(name=name)
        assert [title.value for title in at.title] == [heading]


def test_no_page_file_lies_directly_in_pages() -> None:
    """Streamlit lists the files directly in pages/ in the sidebar (under their raw names,
    before Home.py sets the menu); the pages live one folder deeper, in their menu section."""
    assert not list((ROOT / "pages").glob("*.py"))


def test_overview_shows_the_partners_own_figures(world: Databases) -> None:
    at = new_app(user_id=ALPHA)
    at.run()
    text = assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    # Orders 1001 (2 × 89 €) and A's item of shared order 1003 (89 €) wait for A.
    assert metrics["Offene Bestätigungen"] == "2"
    # This month: 178 € + 89 € (the cancelled order 1004 does not count).
    assert metrics["Umsatz diesen Monat"] == "267,00\u00a0€"
    assert metrics["Ø Bewertung"] == "4,5 ★"
    assert "Alpha Pasta-Werkstatt" in text
    assert B.partner_name not in text and B.course_names[0] not in text
    assert "777,77" not in text


def test_staff_sees_all_partners_and_can_view_as_one(world: Databases) -> None:
    at = new_app(user_id=STAFF)
    at.run()
    text = assert_clean(at)
    assert "Kochschule Alpha" in text and B.partner_name in text
    at.selectbox(key="_view_as_choice").select(1).run()
    text = assert_clean(at)
    assert "Kochschule Alpha" in text
    assert B.course_names[0] not in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Offene Bestätigungen"] == "2"


def test_english_formats_money_the_english_way(world: Databases) -> None:
    at = new_app(user_id=ALPHA, locale="en")
    at.run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Revenue this month"] == "€267.00"


def test_language_switch_persists_for_the_user(world: Databases) -> None:
    at = new_app(user_id=ALPHA)
    at.run()
    at.segmented_control(key="_language_choice").set_value("en").run()
    assert_clean(at)
    assert at.title[0].value == "Hello, Alpha Team"
    with world.portal.connect() as conn:
        assert conn.execute(select(users.c.locale).where(users.c.user_id == ALPHA)).scalar() == "en"
    with world.portal.begin() as conn:
        conn.execute(update(users).where(users.c.user_id == ALPHA).values(locale="de"))


def _login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in (*at.error, *at.warning)]


def test_login_refuses_a_wrong_password_then_locks_after_five(world: Databases) -> None:
    at = new_app()
    at.run()
    assert at.title[0].value == "Miomente Partner-Portal"
    for _ in range(1, 5):
        _login(at, "beta", "falsch")
        wrong_password = _errors(at)
        _login(at, "niemand", "falsch")
        # The same words for an existing name with a wrong password and for an unknown name.
        assert wrong_password == _errors(at) == ["Benutzername oder Passwort ist falsch."]
    _login(at, "beta", "falsch")
    assert _errors(at)[0].startswith("Zu viele Fehlversuche: Das Konto ist bis")
    _login(at, "beta", PASSWORD)  # right password, but locked
    assert _errors(at)[0].startswith("Zu viele Fehlversuche")
    assert "auth_user_id" not in at.session_state
    with world.portal.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.username == "beta")
            .values(locked_until=None, failed_attempts=0)
        )


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "", "Bitte Benutzername und Passwort eingeben."),
        ("alpha", "", "Bitte Benutzername und Passwort eingeben."),
        ("a" * 10_000, "x", "Benutzername oder Passwort ist zu lang."),
        ("alpha", "x" * 10_000, "Benutzername oder Passwort ist zu lang."),
        ("' OR '1'='1", "' OR '1'='1", "Benutzername oder Passwort ist falsch."),
        ("alpha'; DROP TABLE miomente_users; --", "x", "Benutzername oder Passwort ist falsch."),
    ],
    ids=["empty", "no-password", "long-user", "long-password", "sql-or", "sql-drop"],
)
def test_bad_login_input_gets_a_german_message(
    world: Databases, username: str, password: str, message: str
) -> None:
    at = new_app()
    at.run()
    _login(at, username, password)
    assert _errors(at) == [message]
    assert "auth_user_id" not in at.session_state
    with world.portal.connect() as conn:
        alpha = conn.execute(select(users.c.failed_attempts).where(users.c.username == "alpha"))
        assert alpha.scalar() == 0  # nothing about the real account changed


def test_login_succeeds_and_shows_the_overview(world: Databases) -> None:
    at = new_app()
    at.run()
    _login(at, "Alpha ", PASSWORD)
    assert_clean(at)
    assert at.session_state["auth_user_id"] == ALPHA
    assert at.title[0].value == "Guten Tag, Alpha Team"


def test_logout_returns_to_the_login_form(world: Databases) -> None:
    at = new_app(user_id=ALPHA)
    at.run()
    at.button(key="logout_button").click().run()
    assert "auth_user_id" not in at.session_state
    assert at.title[0].value == "Miomente Partner-Portal"


def test_a_broken_database_shows_a_calm_message_not_a_traceback(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIOMENTE_MAGENTO_URL", f"sqlite:///{tmp_path}/missing/shop.sqlite")
        mp.setenv("MIOMENTE_PORTAL_URL", f"sqlite:///{tmp_path}/missing/portal.sqlite")
        mp.setenv("MIOMENTE_COOKIE_KEY", "t" * 40)
        at = new_app()
        at.run()
        at.text_input(key="login_username").input("alpha")
        at.text_input(key="login_password").input("x")
        at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [catalog("de")["app.error"]]


def test_half_a_configuration_is_explained_in_german() -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIOMENTE_MAGENTO_URL", "sqlite:///nowhere.sqlite")
        mp.delenv("MIOMENTE_PORTAL_URL", raising=False)
        at = new_app()
        at.run()
    assert not at.exception
    assert at.error[0].value.startswith("Die Konfiguration ist unvollständig")


def _settings_page(user_id: int) -> AppTest:
    at = new_app(user_id=user_id)
    at.run()
    at.switch_page("pages/konto/einstellungen.py")
    return at.run()


def test_partner_routes_payout_mail_to_accounting(world: Databases) -> None:
    at = _settings_page(ALPHA)
    at.text_input(key="pref_payout_emails").input("buchhaltung@alpha.example, chef@alpha.example")
    submit = next(b for b in at.button if b.label == "Benachrichtigungen speichern")
    submit.click().run()
    assert [s.value for s in at.success] == [catalog("de")["notifications.saved"]]
    again = _settings_page(ALPHA)
    assert again.text_input(key="pref_payout_emails").value == (
        "buchhaltung@alpha.example, chef@alpha.example"
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("pref_new_booking_emails", "kein-at-zeichen", "Neue Buchung: „kein-at-zeichen“ ist keine"),
        ("pref_review_phone", "12ab", "Neue Bewertung: „12ab“ ist keine gültige Telefonnummer"),
    ],
)
def test_bad_notification_input_is_refused_and_nothing_saved(
    world: Databases, field: str, value: str, expected: str
) -> None:
    at = _settings_page(ALPHA)
    at.text_input(key="pref_waitlist_emails").input("team@alpha.example")
    at.text_input(key=field).input(value)
    next(b for b in at.button if b.label == "Benachrichtigungen speichern").click().run()
    assert as_shown(at.error[0].value).startswith(expected)
    assert _settings_page(ALPHA).text_input(key="pref_waitlist_emails").value == ""


def test_staff_must_choose_a_partner_for_notifications(world: Databases) -> None:
    at = _settings_page(STAFF)
    assert at.info[0].value == catalog("de")["notifications.choose_partner"]


def test_staff_reads_a_failed_message_and_queues_it_again(world: Databases) -> None:
    at = new_app(user_id=STAFF)
    at.run()
    at.switch_page("pages/verwaltung/postausgang.py").run()
    assert_clean(at)
    at.selectbox(key="outbox_status").select("failed").run()
    at.selectbox(key="outbox_open").select(1).run()
    text = assert_clean(at)
    assert "Letzter Fehler: 550 mailbox unavailable" in text
    assert "Betreff" in text
    at.button(key="resend_1").click().run()
    assert at.success[0].value.startswith("Die Nachricht steht wieder in der Warteschlange")
    with world.portal.begin() as conn:
        conn.execute(
            update(outbox_table).where(outbox_table.c.message_id == 1).values(status="failed")
        )


def test_staff_runs_the_sender_now_from_the_jobs_page(world: Databases) -> None:
    at = new_app(user_id=STAFF)
    at.run()
    at.switch_page("pages/verwaltung/jobs.py").run()
    text = assert_clean(at)
    assert "send-outbox" in text and "Noch nie gelaufen." in text
    # The real pace: run-due every 5 minutes by the documented crontab, not "jede Minute".
    assert "send-outbox** · mit jedem run-due, laut Crontab alle 5 Minuten" in text
    assert "jede Minute" not in text
    at.button(key="run_send-outbox").click().run()
    assert [s.value for s in at.success] == ["send-outbox ist fertig."]
    at.run()
    assert "Letzter Lauf: erfolgreich" in assert_clean(at)


def _orders_page(user_id: int, **params: str) -> AppTest:
    at = new_app(user_id=user_id)
    at.run()
    at.switch_page("pages/verkauf/bestellungen.py")
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_orders_list_shows_only_the_partners_own_bookings(world: Databases) -> None:
    at = _orders_page(ALPHA)
    text = assert_clean(at)
    assert "Alpha Pasta-Werkstatt" in text
    assert B.course_names[0] not in text and "777,77" not in text
    assert at.caption[0].value.startswith("4 Buchungen")


def test_orders_filter_from_the_url_and_a_bad_value_is_explained(world: Databases) -> None:
    at = _orders_page(ALPHA, status="new", seite="abc")
    text = assert_clean(at)
    assert at.caption[0].value.startswith("2 Buchungen")
    assert at.warning, "a bad page number is explained"
    assert "Storniert" not in text


def test_a_typed_value_in_a_refusal_reads_as_typed_not_as_markdown(world: Databases) -> None:
    at = _orders_page(ALPHA, gebucht_von="*30.02.2026* [x](http://e.de)")
    assert_clean(at)
    # Backslash escapes: the box shows the stars and brackets instead of emphasis and a link
    # (the word joiner after "http" keeps the renderer from making one of the address).
    assert [w.value for w in at.warning] == [
        "„\\*30\\.02\\.2026\\* \\[x\\]\\(http\u2060\\:\\/\\/e\\.de\\)“ ist kein gültiges Datum. "
        "Bitte TT.MM.JJJJ angeben, z. B. 24.11.2026."
    ]
    assert as_shown(at.warning[0].value).startswith("„*30.02.2026* [x](http://e.de)“ ist kein")


@pytest.fixture
def own_world(world: Databases, tmp_path: Path) -> Iterator[Databases]:
    """A world of its own for a test that changes it (the module's world stays as built)."""
    with fresh_databases("sqlite", tmp_path) as db, pytest.MonkeyPatch.context() as mp:
        build_world(db)
        mp.setenv("MIOMENTE_MAGENTO_URL", db.magento.url.render_as_string(False))
        mp.setenv("MIOMENTE_PORTAL_URL", db.portal.url.render_as_string(False))
        yield db


def test_filter_list_detail_confirm_round_trip(own_world: Databases) -> None:
    world = own_world
    at = _orders_page(ALPHA, status="new")
    numbers = list(at.dataframe[0].value["Bestellnummer"])
    # A click on the order's row (AppTest sets the table's selection as the browser does).
    at.session_state["orders_table_0"] = {
        "selection": {"rows": [numbers.index("000001001")], "columns": [], "cells": []}
    }
    at.run()
    text = assert_clean(at)
    assert "Bestellung 000001001" in text
    assert at.query_params["bestellung"] == "1001"
    at.button(key="confirm_1001").click().run()
    assert at.success[0].value.startswith("1 Buchung bestätigt")
    again = _orders_page(ALPHA, status="new")
    assert again.caption[0].value.startswith("1 Buchungen")
    with world.portal.connect() as conn:
        queued = conn.execute(
            select(outbox_table.c.template).where(outbox_table.c.dedupe_key == "decision:5001")
        ).scalar()
    assert queued == "booking_confirmed"


def test_staff_sees_every_partners_bookings(world: Databases) -> None:
    at = _orders_page(STAFF)
    text = assert_clean(at)
    assert "Kochschule Alpha" in text and B.partner_name in text


def test_new_date_quick_action_on_the_overview(world: Databases) -> None:
    at = new_app(user_id=ALPHA)
    at.run()
    at.button(key="overview_new_date").click().run()
    assert_clean(at)
    # The dialog's form offers only the partner's own courses.
    course = next(box for box in at.selectbox if box.label == "Kurs")
    assert "Alpha Pasta-Werkstatt" in course.options
    assert not any(name in course.options for name in B.course_names)
    staff = new_app(user_id=STAFF)
    staff.run()
    assert not [b for b in staff.button if b.key == "overview_new_date"]


def test_viewing_as_a_partner_no_caption_speaks_of_all_partners(world: Databases) -> None:
    from components.navigation import PAGES
    from components.session import VIEW_AS_KEY

    for spec in PAGES:
        at = new_app(user_id=STAFF)
        at.session_state[VIEW_AS_KEY] = 1
        at.run()
        at.switch_page(f"pages/{spec.file}")
        at.run()
        text = assert_clean(at)
        shown = [s.format_func(s.value) for s in at.selectbox if s.key != "_view_as_choice"]
        seen = "\n".join([text, *map(str, shown)])
        assert "Alle Partner" not in seen, spec.file
        if spec.key == "dates":  # Termine runs only its open tab: each of the others opened
            for tab in ("calendar", "series", "refunds"):
                text = assert_clean(open_dates_tab(at, tab))
                shown = [s.format_func(s.value) for s in at.selectbox if s.key != "_view_as_choice"]
                assert "Alle Partner" not in "\n".join([text, *map(str, shown)]), tab
        if spec.key == "payouts":
            captions = "\n".join(str(c.value) for c in at.caption)
            assert "Kochschule Alpha: berechnen, freigeben" in captions
