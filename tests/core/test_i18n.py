"""Languages: both catalogs carry every key; money, numbers and dates look German or English."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from core import i18n
from core.validation import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
USED_KEY = re.compile(r"""\bt\(\s*f?["']([a-z_]+\.[a-z_{}.]+)["']""")


def test_both_languages_have_the_same_keys() -> None:
    de, en = set(i18n.catalog("de")), set(i18n.catalog("en"))
    assert de - en == set(), "missing in English"
    assert en - de == set(), "missing in German"


def test_placeholders_match_between_languages() -> None:
    field = re.compile(r"{(\w+)}")
    for key, german in i18n.catalog("de").items():
        english = i18n.catalog("en")[key]
        assert set(field.findall(german)) == set(field.findall(english)), key


def test_every_key_the_code_uses_exists() -> None:
    de = i18n.catalog("de")
    from components.navigation import PAGES

    used = {f"nav.{p.key}" for p in PAGES} | {f"nav.section_{p.section}" for p in PAGES}
    for path in [ROOT / "Home.py", *ROOT.glob("pages/**/*.py"), *ROOT.glob("components/*.py")]:
        used |= {k for k in USED_KEY.findall(path.read_text()) if "{" not in k}
    assert used, "the scan found no keys"
    assert sorted(k for k in used if k not in de) == []


def test_money_in_german_and_english() -> None:
    assert i18n.money(Decimal("1234.56"), "de") == "1.234,56\u00a0€"
    assert i18n.money(Decimal("1234.56"), "en") == "€1,234.56"
    assert i18n.money(Decimal("-0.5"), "de") == "-0,50\u00a0€"


def test_numbers_percent_and_dates() -> None:
    assert i18n.number(12345, "de") == "12.345"
    assert i18n.number(Decimal("4.56"), "en", digits=1) == "4.6"
    assert i18n.percent(Decimal("0.125"), "de", signed=True) == "+12,5\u00a0%"
    assert i18n.day(date(2026, 11, 24), "de") == "24.11.2026"
    assert i18n.day(date(2026, 11, 24), "en") == "24/11/2026"
    assert i18n.month_label(date(2026, 3, 1), "de") == "März 2026"


def test_times_are_shown_in_berlin_across_daylight_saving() -> None:
    # Stored naive UTC: 17:00 UTC is 18:00 in winter, 19:00 in summer in Berlin.
    assert i18n.moment(datetime(2026, 1, 15, 17, 0), "de") == "15.01.2026 18:00"
    assert i18n.moment(datetime(2026, 7, 15, 17, 0), "de") == "15.07.2026 19:00"


def test_a_missing_key_falls_back_to_german_and_never_crashes() -> None:
    assert i18n.translate("nav.overview", "fr") == "Übersicht"
    assert i18n.translate("does.not_exist", "en") == "does.not_exist"


def test_plural_forms_follow_the_count() -> None:
    assert i18n.translate("orders.tickets", "de", n=1) == "1 Ticket"
    assert i18n.translate("orders.tickets", "de", n=2) == "2 Tickets"
    assert i18n.translate("orders.tickets", "de", n=0) == "0 Tickets"
    assert i18n.translate("orders.tickets", "en", n=1) == "1 ticket"
    text = i18n.translate("dates.confirm_cancel", "de", bookings=1, tickets=3, amount="5 €")
    assert text.startswith("Auf den gewählten Terminen gibt es 1 Buchung mit 3 Tickets.")


def test_no_text_says_ticket_s_or_buchung_en() -> None:
    for locale in ("de", "en"):
        for key, text in i18n.catalog(locale).items():
            assert not re.search(r"\w\((s|en|e|n|r)\)", text), (locale, key, text)


@pytest.mark.parametrize("locale", ["de", "en"])
def test_a_money_column_reads_as_each_amount_does(locale: str) -> None:
    values = [Decimal("1234.5"), Decimal("-0.004"), Decimal("999.995"), 0, -3, None]
    values += [Decimal(n) / 100 for n in range(-1_000_000_000, 1_000_000_000, 7_777_777)]
    assert i18n.money_column(values, locale) == [i18n.money(v, locale) for v in values]


def test_each_distinct_value_is_formatted_once() -> None:
    seen: list[int] = []
    assert i18n.each_distinct([1, 2, 1, 1], lambda v: seen.append(v) or str(v)) == list("1211")
    assert seen == [1, 2]


def test_a_price_field_reads_and_shows_the_languages_decimal_mark() -> None:
    assert i18n.amount(Decimal("129"), "de") == "129,00"
    assert i18n.amount(Decimal("1234.5"), "de") == "1.234,50"
    assert i18n.amount(Decimal("1234.5"), "en") == "1,234.50"
    assert i18n.parse_amount("129,00", "de") == Decimal("129.00")
    assert i18n.parse_amount(" 1.234,50 € ", "de") == Decimal("1234.50")
    assert i18n.parse_amount("129.50", "de") == Decimal("129.50")  # a point before cents
    assert i18n.parse_amount("1.234", "de") == Decimal("1234")  # a thousands point
    assert i18n.parse_amount("0,004", "de") == Decimal("0.004")  # exact; the data layer refuses
    assert i18n.parse_amount("1,234.50", "en") == Decimal("1234.50")


@pytest.mark.parametrize("text", ["", "zwölf", "12,3,4", "-5", "1e5", "NaN", "12 Euro 50"])
def test_what_is_no_amount_is_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        i18n.parse_amount(text, "de")
    assert refused.value.key == "widgets.amount_invalid"
    assert "129,00" in i18n.render_refusal(refused.value, "de")


def test_order_statuses_come_from_the_locale_files() -> None:
    assert i18n.order_status("complete", "de") == "Abgeschlossen"
    assert i18n.order_status("holded", "de", shop_label="On Hold") == "Angehalten"
    assert i18n.order_status("holded", "en", shop_label="On Hold") == "On hold"
    assert i18n.order_status("miomente_confirmed", "en") == "Confirmed by the partner"
    # Unknown: the shop's label, else the code made readable; nothing: a dash.
    assert i18n.order_status("gift_wrapped", "de", shop_label="Als Geschenk") == "Als Geschenk"
    assert i18n.order_status("gift_wrapped", "de") == "Gift wrapped"
    assert i18n.order_status("gift_wrapped", "de", shop_label="  ") == "Gift wrapped"
    assert i18n.order_status(None, "de") == "–"


def test_every_shop_status_has_words_in_both_languages() -> None:
    from data.shop.schema import ORDER_STATUSES

    for locale in i18n.LOCALES:
        for status, *_ in ORDER_STATUSES:
            assert f"order_status.{status}" in i18n.catalog(locale), (locale, status)
