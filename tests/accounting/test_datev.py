"""The DATEV booking batch (EXTF) as the accountant's import sees it."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest

from accounting.datev import (
    COLUMNS,
    DatevAccounts,
    DatevBooking,
    datev_bookings_for,
    extf_csv,
)
from accounting.model import VAT_REVERSE_CHARGE, VAT_SMALL_BUSINESS, VAT_STANDARD
from tests.accounting.test_credit_note import make_note

D = Decimal


def export(bookings: list[DatevBooking], **changes: object) -> bytes:
    arguments: dict[str, object] = {
        "bookings": bookings,
        "consultant_number": 1234567,
        "client_number": 10001,
        "fiscal_year_start": date(2026, 1, 1),
        "period_start": date(2026, 11, 1),
        "period_end": date(2026, 11, 30),
        "description": "Gutschriften Oktober 2026",
        "created_at": datetime(2026, 11, 6, 8, 15, 30, 123000),
    }
    arguments.update(changes)
    return extf_csv(**arguments)  # type: ignore[arg-type]


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("cp1252"), newline=""), delimiter=";"))


def field(row: list[str], column: str) -> str:
    return row[COLUMNS.index(column)]


def balances(bookings: list[DatevBooking]) -> dict[str, Decimal]:
    """Per account: debits positive, credits negative."""
    result: dict[str, Decimal] = defaultdict(lambda: D("0.00"))
    for entry in bookings:
        sign = 1 if entry.debit_credit == "S" else -1
        result[entry.account] += sign * entry.amount
        result[entry.contra_account] -= sign * entry.amount
    return dict(result)


def test_header_names_format_client_and_period() -> None:
    data = export(datev_bookings_for(make_note(), creditor_account="70017"))
    header = rows(data)[0]
    assert header[:6] == ["EXTF", "700", "21", "Buchungsstapel", "13", "20261106081530123"]
    assert header[10:16] == ["1234567", "10001", "20260101", "4", "20261101", "20261130"]
    assert header[16] == "Gutschriften Oktober 2026"
    assert header[21] == "EUR"
    assert header[26] == "03"
    assert len(header) == 31
    assert rows(data)[1] == list(COLUMNS)
    assert len(COLUMNS) == 125


def test_file_is_cp1252_with_crlf_and_umlauts_survive() -> None:
    data = export(datev_bookings_for(make_note(), creditor_account="70017"))
    assert data.count(b"\r\n") == 4  # header, headings, two bookings
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert "Müßig & Söhne".encode("cp1252") in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really Windows-1252, not UTF-8
    text = data.decode("cp1252")
    assert "Kursumsatz GS-2026-00017 Kochschule Müßig & Söhne" in text


def test_rows_have_decimal_comma_side_accounts_and_document_fields() -> None:
    note = make_note()
    data = rows(export(datev_bookings_for(note, creditor_account="70017")))
    revenue, provision = data[2], data[3]
    assert len(revenue) == len(COLUMNS)
    assert field(revenue, "Umsatz (ohne Soll/Haben-Kz)") == "1264,56"
    assert field(revenue, "Soll/Haben-Kennzeichen") == "S"
    assert field(revenue, "WKZ Umsatz") == "EUR"
    assert field(revenue, "Konto") == "1590"
    assert field(revenue, "Gegenkonto (ohne BU-Schlüssel)") == "70017"
    assert field(revenue, "Belegdatum") == "0611"
    assert field(revenue, "Belegfeld 1") == "GS-2026-00017"
    assert field(provision, "Umsatz (ohne Soll/Haben-Kz)") == "300,96"
    assert field(provision, "Konto") == "70017"
    assert field(provision, "Gegenkonto (ohne BU-Schlüssel)") == "8400"


def test_large_amount_has_no_thousands_separator() -> None:
    entry = DatevBooking(
        amount=D("12345.60"),
        debit_credit="H",
        account="70017",
        contra_account="1200",
        document_date=date(2026, 11, 6),
        document_field_1="GS-2026-00017",
        text="Auszahlung",
    )
    row = rows(export([entry]))[2]
    assert field(row, "Umsatz (ohne Soll/Haben-Kz)") == "12345,60"
    assert field(row, "Soll/Haben-Kennzeichen") == "H"


def test_long_document_field_and_text_are_cut() -> None:
    entry = DatevBooking(
        amount=D("1.00"),
        debit_credit="S",
        account="1590",
        contra_account="70017",
        document_date=date(2026, 11, 6),
        document_field_1="GS-2026-00017/" + "X" * 40 + " ;ä",
        text="Kursumsatz " + "Große Kochschule " * 10,
    )
    row = rows(export([entry]))[2]
    assert field(row, "Belegfeld 1") == ("GS-2026-00017/" + "X" * 40)[:36]
    assert len(field(row, "Buchungstext")) == 60
    assert field(row, "Buchungstext").startswith("Kursumsatz Große Kochschule")


@pytest.mark.parametrize("case", [VAT_STANDARD, VAT_SMALL_BUSINESS, VAT_REVERSE_CHARGE])
def test_credit_note_bookings_balance_and_leave_the_payout_on_the_creditor(case: str) -> None:
    note = make_note(case)
    bookings = datev_bookings_for(note, creditor_account="70017")
    totals = balances(bookings)
    assert sum(totals.values()) == 0  # Soll = Haben
    assert totals["70017"] == -note.totals.payout  # Miomente owes the partner the payout
    revenue_account = "8336" if case == VAT_REVERSE_CHARGE else "8400"
    assert totals[revenue_account] == -note.totals.commission_gross
    assert all(entry.amount > 0 for entry in bookings)


def test_separate_vat_and_payment_rows_also_balance() -> None:
    note = make_note()
    accounts = DatevAccounts(commission_revenue="8401", separate_vat=True)
    bookings = datev_bookings_for(
        note, accounts=accounts, creditor_account="70017", with_payment=True
    )
    totals = balances(bookings)
    assert sum(totals.values()) == 0
    assert totals["8401"] == -note.totals.commission_net
    assert totals["1776"] == -note.totals.commission_vat
    assert totals["70017"] == 0  # paid out: the partner's account is settled
    assert totals["1200"] == -note.totals.payout


def test_negative_note_flips_sides_instead_of_negative_amounts() -> None:
    from tests.accounting.test_credit_note import make_line

    lines = (make_line(1, "-100.00", VAT_STANDARD, correction=True),)
    note = make_note(lines=lines)
    bookings = datev_bookings_for(note, creditor_account="70017")
    assert all(entry.amount > 0 for entry in bookings)
    assert balances(bookings)["70017"] == -note.totals.payout == D("76.20")


def test_refuses_dates_outside_the_period_or_fiscal_year() -> None:
    bookings = datev_bookings_for(make_note(), creditor_account="70017")
    with pytest.raises(ValueError, match="Belegdatum"):
        export(bookings, period_start=date(2026, 12, 1), period_end=date(2026, 12, 31))
    with pytest.raises(ValueError, match="Wirtschaftsjahr"):
        export(bookings, period_end=date(2027, 1, 31))
