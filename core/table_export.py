"""Any table on screen as CSV (German Excel) or XLSX: one helper for every staff table.

The caller passes the DataFrame it shows, with the column headers it shows. Text cells are
neutralised against formula injection (core/csv_safe: an apostrophe in CSV, Excel's quote
prefix in XLSX); numbers stay numbers ("1.234,56" in German CSV, number cells with a format
in XLSX); dates are dates. Pure: no database, no streamlit.
"""

from __future__ import annotations

import contextlib
import io
import math
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import xlsxwriter

from core.csv_safe import neutralize, number_formatter, write_csv

XLSX_MAX_ROWS = 1_048_575


def _plain(value: object) -> object:
    """numpy/pandas scalars -> Python; NaN/NaT -> None."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, Decimal | str | bytes):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _text(value: object, locale: str) -> object:
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M" if locale == "de" else "%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y" if locale == "de" else "%d/%m/%Y")
    return value


def frame_csv(frame: pd.DataFrame, *, locale: str = "de") -> bytes:
    """Semicolon CSV, UTF-8 with BOM, formula cells neutralised."""
    out = io.BytesIO()
    rows = (
        [_text(_plain(v), locale) for v in row] for row in frame.itertuples(index=False, name=None)
    )
    write_csv(rows, out, header=[str(c) for c in frame.columns], number=number_formatter(locale))
    return out.getvalue()


def frame_xlsx(frame: pd.DataFrame, *, sheet: str = "Export", locale: str = "de") -> bytes:
    """A typed workbook: bold frozen header with autofilter, dates, amounts with two places."""
    if len(frame) > XLSX_MAX_ROWS:
        from core.validation import InvalidInput

        raise InvalidInput("validation.too_many_rows", n=XLSX_MAX_ROWS)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    day = book.add_format({"num_format": "dd.mm.yyyy" if locale == "de" else "dd/mm/yyyy"})
    moment = book.add_format(
        {"num_format": "dd.mm.yyyy hh:mm" if locale == "de" else "dd/mm/yyyy hh:mm"}
    )
    quoted = book.add_format({"quote_prefix": True})
    for col, header in enumerate(frame.columns):
        ws.write_string(0, col, str(header), bold)
        ws.set_column(col, col, max(10, min(40, len(str(header)) + 4)))
    for r, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        for col, raw in enumerate(row):
            value = _plain(raw)
            if value is None:
                ws.write_blank(r, col, None)
            elif isinstance(value, bool):
                ws.write_string(r, col, str(value))
            elif isinstance(value, int):
                ws.write_number(r, col, value)
            elif isinstance(value, Decimal | float):
                ws.write_number(r, col, float(value), money)
            elif isinstance(value, datetime):
                ws.write_datetime(r, col, value, moment)
            elif isinstance(value, date):
                ws.write_datetime(r, col, datetime.combine(value, datetime.min.time()), day)
            else:
                text = str(value)
                ws.write_string(r, col, text, quoted if neutralize(text) != text else None)
    ws.freeze_panes(1, 0)
    if len(frame.columns):
        ws.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    book.close()
    return out.getvalue()
