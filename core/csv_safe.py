"""CSV cells that spreadsheets cannot turn into formulas (CSV injection), and a CSV writer.

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-` or `@` as a
formula (and tab or carriage return as a way to smuggle one past a naive check), so a customer
called `=HYPERLINK("http://evil.example";"Klick")` would become a live link in the partner's
spreadsheet. Following OWASP's guidance, such a text cell gets a leading apostrophe, which the
spreadsheet shows as plain text; leading whitespace does not hide the trigger.

Only *text* cells are neutralised. Numbers (int, Decimal, float) are not text: `write_csv`
writes them through the caller's `number` formatter and never alters them, so a negative
amount stays `-12,50` and is read back as a number. A number cannot carry a formula, so that is
safe; exports that do not want negative amounts simply never pass one (the bookings export
writes gross less refunds, which is never negative).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import BinaryIO, TextIO, cast

from core.money import to_money

# The characters that start a formula (or smuggle one in) in common spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


_TRIGGER_CHARS = frozenset(FORMULA_TRIGGERS)


def neutralize(value: str) -> str:
    """`value`, with a leading apostrophe if a spreadsheet could read it as a formula."""
    # Looks at the first character only, unless it is whitespace: exports call this per cell.
    if not value:
        return value
    first = value[0]
    if first in _TRIGGER_CHARS or (first.isspace() and value.lstrip()[:1] in _TRIGGER_CHARS):
        return "'" + value
    return value


def _plain_number(value: int | float | Decimal) -> str:
    return str(value)


def number_formatter(locale: str) -> Callable[[int | float | Decimal], str]:
    """Integers plain ("12"); amounts with two places and grouping: German "1.234,56"."""

    def number(value: int | float | Decimal) -> str:
        if isinstance(value, int):
            return str(value)
        english = f"{to_money(value):,.2f}"
        if locale == "de":
            return english.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return english

    return number


def cell(value: object, number: Callable[[int | float | Decimal], str] = _plain_number) -> str:
    """One CSV cell: None is empty, numbers go through `number`, everything else is safe text."""
    if type(value) is str:  # the common case first
        return neutralize(value)
    if value is None:
        return ""
    if isinstance(value, bool):  # a bool is an int to Python, but text to a reader
        return neutralize(str(value))
    if isinstance(value, int | float | Decimal):
        return number(value)
    return neutralize(str(value))


def write_csv(
    rows: Iterable[Sequence[object]],
    out: TextIO | BinaryIO,
    *,
    header: Sequence[str],
    delimiter: str = ";",
    bom: bool = True,
    number: Callable[[int | float | Decimal], str] = _plain_number,
) -> int:
    """Write `header` and `rows` to `out`; returns the number of data rows written.

    Defaults suit German Excel: semicolon, UTF-8 with a byte order mark (without it Excel reads
    umlauts as cp1252). A binary `out` gets UTF-8 bytes and is left open. Rows are consumed
    one at a time, so a generator streams with bounded memory.
    """
    # typing's TextIO/BinaryIO are protocols without the io classes' hierarchy: decide by
    # the io base class and tell the checker what that means.
    binary = not isinstance(out, io.TextIOBase)
    wrapper = (
        io.TextIOWrapper(cast(BinaryIO, out), encoding="utf-8", newline="", write_through=True)
        if binary
        else None
    )
    text: TextIO = wrapper if wrapper is not None else cast(TextIO, out)
    try:
        if bom:
            text.write("\ufeff")
        writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([cell(h) for h in header])
        written = 0
        for row in rows:
            writer.writerow([cell(v, number) for v in row])
            written += 1
        text.flush()
        return written
    finally:
        if wrapper is not None:
            wrapper.detach()  # hand the caller's stream back open
