"""The one XLSX writer, as staff tables use it: typed cells, formats, formula text kept text."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from core.table_export import frame_xlsx, write_xlsx
from core.validation import InvalidInput


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_a_staff_table_reads_back_typed_with_german_formats() -> None:
    frame = pd.DataFrame(
        {
            "Partner": ["Kochschule Nord", '=HYPERLINK("http://evil.example";"Klick")'],
            "Auszahlung": [Decimal("1234.56"), Decimal("-5.00")],
            "Tickets": [np.int64(3), np.int64(0)],
            "Fällig": [date(2026, 12, 7), None],
            "Erstellt": [pd.Timestamp(2026, 11, 24, 18, 30), pd.NaT],
            "Storniert": [True, False],
        }
    )
    sheet = _sheet(frame_xlsx(frame, sheet="Auszahlungen November 2026 (alle Partner)"))
    assert sheet.title == "Auszahlungen November 2026 (all"  # Excel's 31 characters
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Partner", "Auszahlung", "Tickets", "Fällig", "Erstellt", "Storniert")
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"
    assert rows[1] == ("Kochschule Nord", 1234.56, 3, datetime(2026, 12, 7),
                       datetime(2026, 11, 24, 18, 30), "True")  # fmt: skip
    assert rows[2][1:5] == (-5.0, 0, None, None)
    assert sheet["B2"].number_format == "#,##0.00"
    assert sheet["D2"].number_format == "dd.mm.yyyy"
    assert sheet["E2"].number_format == "dd.mm.yyyy hh:mm"
    assert sheet["A3"].data_type == "s" and sheet["A3"].quotePrefix  # text, never a formula
    assert not sheet["A2"].quotePrefix


def test_english_dates_and_an_empty_table() -> None:
    frame = pd.DataFrame({"Day": [date(2026, 12, 7)]})
    assert _sheet(frame_xlsx(frame, locale="en"))["A2"].number_format == "dd/mm/yyyy"
    empty = _sheet(frame_xlsx(pd.DataFrame(columns=["Partner", "Betrag"])))
    assert empty.max_row == 1 and empty["B1"].value == "Betrag"


def test_more_rows_than_a_sheet_holds_are_refused_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setattr("core.table_export.XLSX_MAX_ROWS", 2)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    out = io.BytesIO()
    assert write_xlsx(iter([("a",), ("b",)]), out, headers=["x"]) == 2
    out = io.BytesIO()
    with pytest.raises(InvalidInput) as exc:
        write_xlsx(iter([("a",), ("b",), ("c",)]), out, headers=["x"])
    assert exc.value.key == "validation.too_many_rows"
    assert out.getvalue() == b""
    assert list(tmp_path.iterdir()) == []  # the unfinished sheet's temp file is gone
