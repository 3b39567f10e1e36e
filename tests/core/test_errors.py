"""One error vocabulary: every refusal is a locale key with parameters, readable in both languages.

Representative bad inputs (30 February, negative seats, another partner's record, a partner
at a staff action…) go through the real data functions; each refusal must name a key of both
locale files and render without a leftover placeholder. A static scan keeps sentences out of
the raise sites in data/, core/ and jobs/.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from core import i18n, validation
from core import recurrence as rec
from core.db import Databases
from core.errors import Refusal
from data.access.viewer import ScopeError, Viewer
from data.bookings import ledger
from data.bookings.decisions import decide
from data.bookings.listing import parse_params
from data.comms import notifications, outbox
from data.dates import course_dates as cd
from data.dates import series
from data.money import commission, documents, payouts
from data.ops import job_runs
from data.shop import writes as shop_writes
from jobs.registry import TASKS

ROOT = Path(__file__).resolve().parents[2]
ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
KEY = re.compile(r"[a-z_]+(?:\.[a-z_]+)+")
PLACEHOLDER = re.compile(r"{\w*}")


def _refusal(attempt: Callable[[], object]) -> Refusal:
    with pytest.raises(Refusal) as caught:
        attempt()
    return caught.value


def _in_a_week(hour: int) -> datetime:
    return datetime.combine(date.today() + timedelta(days=7), datetime.min.time()).replace(
        hour=hour
    )


def _lock_missing_order(db: Databases) -> None:
    with shop_writes.shop_transaction(db.magento) as conn:
        shop_writes.lock_order(conn, order_id=424_242)


def _bad_inputs(db: Databases) -> Iterator[tuple[str, Callable[[], object]]]:
    """(expected key, the attempt): pure checks first, then the data layer on the world."""
    yield "dates.day_invalid", lambda: rec.parse_day("30.02.2027")
    yield "validation.phone", lambda: validation.normalize_phone("0151 kaputt")
    yield "validation.email", lambda: validation.email_list("a@b.de, kaputt@")
    yield "dates.seats_invalid", lambda: cd.create_date(
        ALPHA, db, product_id=101, starts_at=_in_a_week(18), ends_at=_in_a_week(20),
        seats=-3, price="49",
    )  # fmt: skip
    yield "dates.end_before_start", lambda: cd.create_date(
        ALPHA, db, product_id=101, starts_at=_in_a_week(20), ends_at=_in_a_week(18),
        seats=8, price="49",
    )  # fmt: skip
    yield "dates.not_found", lambda: cd.get_date(BETA, db, date_id=13)
    yield "dates.not_found", lambda: series.get_series(BETA, db, series_id=424_242)
    yield (
        "orders.unknown_decision",
        lambda: decide(ALPHA, db, item_ids=[5001], decision="vielleicht"),
    )
    yield (
        "orders.reason_required",
        lambda: decide(ALPHA, db, item_ids=[5001], decision="rejected", reason="  "),
    )
    yield "access.choose_partner", lambda: decide(STAFF, db, item_ids=[5001], decision="confirmed")
    yield "orders.not_found", lambda: _lock_missing_order(db)
    yield "access.view_as_staff_only", lambda: ALPHA.view_as(2)
    yield (
        "access.commission_staff_only",
        lambda: commission.set_contract_rate(ALPHA, db, partner_id=1, rate="10"),
    )
    yield (
        "payouts.invalid_rate",
        lambda: commission.set_contract_rate(STAFF, db, partner_id=1, rate="-5"),
    )
    yield (
        "access.payouts_staff_only",
        lambda: payouts.mark_paid(ALPHA, db, payout_ids=[1], paid_on=date(2026, 1, 5)),
    )
    yield (
        "payouts.paid_on_missing",
        lambda: payouts.mark_paid(STAFF, db, payout_ids=[1], paid_on=None),
    )
    yield (
        "access.documents_staff_only",
        lambda: documents.reissue_document(ALPHA, db, document_id=1),
    )
    yield "access.system_only", lambda: job_runs.start_run(ALPHA, db, task="send-outbox")
    yield "access.system_only", lambda: ledger.sync_ledger(ALPHA, db)
    yield "access.resend_staff_only", lambda: outbox.resend(ALPHA, db, message_id=1)
    yield "notifications.choose_partner", lambda: notifications.save_prefs(STAFF, db, prefs=[])
    yield "validation.sms_needs_phone", lambda: notifications.save_prefs(
        ALPHA, db, prefs=[{"event": "review", "email_enabled": False, "sms_enabled": True,
                           "emails": "", "phone": ""}],
    )  # fmt: skip


def _all_subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_all_subclasses(direct)}}


def test_every_refusal_names_a_key_of_both_languages_and_renders(world: Databases) -> None:
    seen: set[type] = set()
    for expected, attempt in _bad_inputs(world):
        refusal = _refusal(attempt)
        assert refusal.key == expected, (expected, refusal)
        seen.add(type(refusal))
        for locale in i18n.LOCALES:
            assert refusal.key in i18n.catalog(locale), (locale, refusal.key)
            text = i18n.render_refusal(refusal, locale)
            assert text != refusal.key and not PLACEHOLDER.search(text), (locale, text)
    # A new kind of refusal needs a representative here.
    assert seen == _all_subclasses(Refusal) - {Refusal}


def test_the_date_a_user_typed_appears_in_the_refusal_and_the_log_line_names_the_key() -> None:
    refusal = _refusal(lambda: rec.parse_day("30.02.2027"))
    assert "30.02.2027" in i18n.render_refusal(refusal, "de")
    assert "30.02.2027" in i18n.render_refusal(refusal, "en")
    assert str(refusal) == "dates.day_invalid (value='30.02.2027')"
    assert str(ScopeError("dates.not_found")) == "dates.not_found"


def test_quote_guards_text_parameters_only() -> None:
    refusal = validation.InvalidInput("validation.too_many_rows", n=100)
    assert "100" in i18n.render_refusal(refusal, "de", quote=lambda s: f"<{s}>")
    typed = parse_params({"gebucht_von": "*30*.02.2026"}).errors[0]
    assert "„<*30*.02.2026>“" in i18n.render_refusal(typed, "de", quote=lambda s: f"<{s}>")


def test_old_constructor_calls_still_work() -> None:
    # Other modules raise ScopeError(key) or ScopeError(); both stay PermissionErrors.
    assert ScopeError().key == "access.denied" and isinstance(ScopeError(), PermissionError)
    assert isinstance(validation.InvalidInput("validation.email", value="x"), ValueError)


# --- static: keys, not sentences, at every raise site ---------------------------------------

REFUSAL_CLASSES = {"Refusal", "InvalidInput", "ScopeError", "ShopStateError"}


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "text" constants, for raise sites that pass a name."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _refusal_keys(path: Path) -> Iterator[tuple[int, str]]:
    """(line, first argument) of each refusal constructed in `path` with a known text."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = _module_strings(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if called not in REFUSAL_CLASSES:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield node.lineno, first.value
        elif isinstance(first, ast.Name) and first.id in names:
            yield node.lineno, names[first.id]
        elif isinstance(first, ast.JoinedStr):
            yield node.lineno, ast.unparse(first)


def _sources() -> Iterator[Path]:
    for folder in ("data", "core", "jobs", "api"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_refusals_are_raised_with_keys_not_sentences() -> None:
    catalogs = [i18n.catalog(locale) for locale in i18n.LOCALES]
    bad, checked = [], 0
    for path in _sources():
        for line, key in _refusal_keys(path):
            checked += 1
            if not KEY.fullmatch(key) or any(key not in catalog for catalog in catalogs):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {key!r}")
    assert checked > 50, "the scan found too few raise sites"
    assert bad == []


def test_the_scan_catches_a_sentence(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'STAFF = "Nur Mitarbeiter dürfen das."\n'
        "def f(x):\n"
        '    raise ScopeError("only staff can do this")\n'
        "def g():\n"
        "    raise ScopeError(STAFF)\n"
        "def h():\n"
        '    raise InvalidInput(f"{x} kaputt")\n'
        "def i():\n"
        '    raise InvalidInput("dates.in_past")\n'
    )
    found = [key for _line, key in _refusal_keys(sample)]
    assert found == [
        "only staff can do this",
        "Nur Mitarbeiter dürfen das.",
        "f'{x} kaputt'",
        "dates.in_past",
    ]
    assert [k for k in found if not KEY.fullmatch(k)] == found[:3]


# --- no internal ids in what a refusal says ------------------------------------------------


def _id_parameters(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, key, parameter) of each refusal parameter that carries an internal id: named
    `id`/`…_id`, or given a value named so (`course=product_id`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if called not in REFUSAL_CLASSES or not isinstance(first, ast.Constant):
            continue
        for keyword in node.keywords:
            name = keyword.arg or ""
            if name == "id" or name.endswith("_id") or _names_an_id(keyword.value):
                yield node.lineno, str(first.value), name


def _names_an_id(value: ast.expr) -> bool:
    """`product_id`, `row.date_id`, `row["order_id"]`, `int(date_id)`: an id itself."""
    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
        func = value.func
        return (
            isinstance(func, ast.Name) and func.id in {"int", "str"} and _names_an_id(value.args[0])
        )
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant):
        label = str(value.slice.value)
    elif isinstance(value, ast.Attribute):
        label = value.attr
    elif isinstance(value, ast.Name):
        label = value.id
    else:
        return False
    return label == "id" or label.endswith("_id")


def test_no_refusal_shows_an_internal_id() -> None:
    """Was: "Termin 4523 …" and "Der Kurs 101 …": a refusal names the course and the date a
    user knows, never the database's number for them."""
    german, english = i18n.catalog("de"), i18n.catalog("en")
    shown = []
    for path in [*_sources(), *sorted((ROOT / "components").glob("*.py"))]:
        for line, key, name in _id_parameters(path):
            if f"{{{name}}}" in german.get(key, "") or f"{{{name}}}" in english.get(key, ""):
                shown.append(f"{path.relative_to(ROOT)}:{line}: {key} shows {{{name}}}")
    assert shown == []


def test_the_id_scan_catches_an_id_in_a_sentence(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(product_id, name):\n"
        '    raise InvalidInput("partners.course_other_partner", course=product_id)\n'
        '    raise InvalidInput("orders.alternative_invalid", date_id=4523)\n'
        '    raise InvalidInput("dates.no_such_occurrence", day=name)\n'
    )
    assert [(key, name) for _line, key, name in _id_parameters(sample)] == [
        ("partners.course_other_partner", "course"),
        ("orders.alternative_invalid", "date_id"),
    ]


# --- the jobs command line speaks from the locale files --------------------------------------


def test_job_summaries_and_schedules_come_from_both_locale_files() -> None:
    for task in TASKS.values():
        for locale in i18n.LOCALES:
            assert task.summary_key in i18n.catalog(locale), task.summary_key
            assert task.summary(locale) != task.summary_key
    german = {task.schedule.describe("de") for task in TASKS.values()}
    english = {task.schedule.describe("en") for task in TASKS.values()}
    assert "mit jedem run-due, laut Crontab alle 5 Minuten" in german
    assert "with each run-due, every 5 minutes by the crontab" in english
    assert "täglich um 03:00 Uhr (Europe/Berlin)" in german
    assert "daily at 03:00 (Europe/Berlin)" in english
