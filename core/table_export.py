"""Tables as CSV (German Excel) or XLSX: the one XLSX writer, for staff tables and bookings.

A staff page passes the DataFrame it shows, with the column headers it shows (`frame_csv`,
`frame_xlsx`); a large export streams its rows into `write_xlsx` itself. Text cells are
neutralised against formula injection (core/csv_safe: an apostrophe in CSV, Excel's quote
prefix in XLSX); numbers stay numbers ("1.234,56" in German CSV, number cells with a format
in XLSX); dates are dates. Pure: no database, no streamlit.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from core.csv_safe import neutralize, number_formatter, write_csv
from core.validation import InvalidInput

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet size less the header row


_PLAIN = (str, int, Decimal, datetime, date)


def _plain(value: object) -> object:
    """numpy/pandas scalars -> Python; NaN/NaT -> None."""
    if type(value) in _PLAIN:
        return value  # the common case, per cell of a large export
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
    """The frame as a typed workbook (see `write_xlsx`), columns as wide as their headers."""
    out = io.BytesIO()
    write_xlsx(
        frame.itertuples(index=False, name=None),
        out,
        headers=[str(c) for c in frame.columns],
        sheet=sheet,
        locale=locale,
    )
    return out.getvalue()


def write_xlsx(
    rows: Iterable[Sequence[object]],
    out: BinaryIO,
    *,
    headers: Sequence[str],
    sheet: str = "Export",
    locale: str = "de",
    widths: Sequence[int] | None = None,
) -> int:
    """The one XLSX writer: rows as they come into a workbook on `out`; returns the row count.

    Bold frozen header with an autofilter; cells typed by value: numbers, amounts with two
    places (Decimal and float), date and date-time cells in the locale's pattern, None empty.
    Text a spreadsheet could read as a formula gets Excel's quote prefix, so it stays text
    even when edited. Written in xlsxwriter's constant_memory mode (rows go to a temp file as
    they come), so a 50,000-row export needs no more memory than one row. More rows than a
    sheet holds are refused (InvalidInput "validation.too_many_rows"), never cut off; then
    nothing reaches `out`.
    """
    limit = XLSX_MAX_ROWS  # read per call: tests lower it
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    try:
        ws = book.add_worksheet(sheet[:31])
        cell = _cell_writer(book, ws, locale)
        bold = book.add_format({"bold": True})
        for col, header in enumerate(headers):
            width = widths[col] if widths else max(10, min(40, len(str(header)) + 4))
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        for col, header in enumerate(headers):
            ws.write_string(0, col, str(header), bold)
        written = 0
        for row in rows:
            if written == limit:
                raise InvalidInput("validation.too_many_rows", n=limit)
            written += 1
            for col, value in enumerate(row):
                cell(written, col, value)
        if headers:
            ws.autofilter(0, 0, written, len(headers) - 1)
    except BaseException:
        _discard(book)
        raise
    book.close()
    return written


def _cell_writer(book: xlsxwriter.Workbook, ws: Worksheet, locale: str):
    money = book.add_format({"num_format": "#,##0.00"})
    day = book.add_format({"num_format": "dd.mm.yyyy" if locale == "de" else "dd/mm/yyyy"})
    moment = book.add_format(
        {"num_format": "dd.mm.yyyy hh:mm" if locale == "de" else "dd/mm/yyyy hh:mm"}
    )
    quoted = book.add_format({"quote_prefix": True})

    def write(r: int, col: int, raw: object) -> None:
        value = _plain(raw)
        if value is None:
            return  # an empty cell
        if isinstance(value, bool):
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

    return write


def _discard(book: xlsxwriter.Workbook) -> None:
    """Drop an unfinished workbook: nothing reached `out` yet (it is written on close), but
    constant_memory mode keeps each sheet's rows in an open temp file."""
    for sheet in book.worksheets():
        handle = getattr(sheet, "row_data_fh", None)
        if handle is not None and not handle.closed:
            handle.close()
        if name := getattr(sheet, "row_data_filename", None):
            Path(name).unlink(missing_ok=True)
