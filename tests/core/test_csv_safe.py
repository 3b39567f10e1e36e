"""CSV cells that no spreadsheet turns into a formula, and the German-Excel CSV writer."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from core.csv_safe import cell, neutralize, write_csv


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example";"Klick")',
        "=1+1",
        "+1",
        "-2",
        "@SUM(A1:A2)",
        "\tTAB",
        "\rCR",
        "  =versteckt",
        "\n+1",
        "\u00a0@x",
    ],
)
def test_formula_triggers_get_an_apostrophe(value: str) -> None:
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    ["", "Jürgen Müller", "anna@example.org", "100001234", "Pasta & Pesto – Grundkurs", "a=b", "'"],
)
def test_harmless_text_is_unchanged(value: str) -> None:
    assert neutralize(value) == value


def test_numbers_are_not_text_and_stay_numbers() -> None:
    assert cell(Decimal("-12.50")) == "-12.50"
    assert cell(-3) == "-3"
    assert cell(None) == ""
    assert cell("-3") == "'-3"  # the same characters as text are neutralised
    assert cell(True) == "True"


def test_write_csv_binary_has_bom_semicolons_and_quotes() -> None:
    out = io.BytesIO()
    rows = [("Jürgen; der Koch", '"Zitat"', Decimal("1.5")), ("=cmd", None, 7)]
    assert write_csv(iter(rows), out, header=["Kunde", "Notiz", "Betrag"]) == 2
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    assert not out.closed  # the caller's stream is handed back open
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Kunde;Notiz;Betrag"
    parsed = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert parsed == [
        ["Kunde", "Notiz", "Betrag"],
        ["Jürgen; der Koch", '"Zitat"', "1.5"],
        ["'=cmd", "", "7"],
    ]


def test_write_csv_text_stream_and_number_formatter() -> None:
    out = io.StringIO()
    write_csv(
        [(Decimal("1234.5"), 3)],
        out,
        header=["=Betrag", "Anzahl"],
        bom=False,
        delimiter=",",
        number=lambda v: f"<{v}>",
    )
    assert out.getvalue() == "'=Betrag,Anzahl\r\n<1234.5>,<3>\r\n"
