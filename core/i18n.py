"""Translations (locales/*.toml) and locale-aware formatting of money, numbers and dates.

German is the source language; English mirrors every key (tests enforce it). Formatting uses
Babel so that `1.234,56 €` and `€1,234.56` come from CLDR, not from hand-made rules.
Timestamps arrive as naive UTC (the databases' convention) and are shown in Europe/Berlin.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import TypeVar

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_time as _babel_time
from babel.dates import get_day_names
from babel.numbers import NumberFormatError, format_currency, format_decimal, format_percent
from babel.numbers import parse_decimal as _babel_parse_decimal

from core.clock import BERLIN
from core.errors import Refusal
from core.money import to_money
from core.settings import PROJECT_ROOT
from core.validation import InvalidInput

LOCALES = ("de", "en")
DEFAULT_LOCALE = "de"
_BABEL = {"de": "de_DE", "en": "en_GB"}
LOCALE_DIR = PROJECT_ROOT / "locales"

log = logging.getLogger(__name__)
T = TypeVar("T", bound=Hashable)


def _flatten(tree: dict[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = str(value)
    return flat


@cache
def catalog(locale: str) -> dict[str, str]:
    with (LOCALE_DIR / f"{locale}.toml").open("rb") as fh:
        return _flatten(tomllib.load(fh))


def normalize_locale(locale: str | None) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


# `{n|Ticket|Tickets}` in a locale text: the first form when the parameter `n` is 1, else the
# second ("1 Ticket", "2 Tickets", "0 Tickets"), so no text needs "Ticket(s)".
PLURAL = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)\}")


def _plurals(text: str, params: dict[str, object]) -> str:
    def form(match: re.Match[str]) -> str:
        value = params.get(match.group(1))
        return match.group(2) if isinstance(value, int | Decimal) and value == 1 else match.group(3)

    return PLURAL.sub(form, text)


def translate(key: str, locale: str, **params: object) -> str:
    """The text for `key`; a missing key falls back to German, then to the key (and is logged)."""
    text = catalog(normalize_locale(locale)).get(key)
    if text is None:
        log.warning("missing translation %s for %s", key, locale)
        text = catalog(DEFAULT_LOCALE).get(key, key)
    return _plurals(text, params).format(**params) if params else text


def render_refusal(
    refusal: Refusal, locale: str, *, quote: Callable[[str], str] | None = None
) -> str:
    """The refusal's sentence in `locale`; `quote` guards text parameters (they may come from
    users) for where the sentence goes, e.g. Markdown in the app."""
    params = {
        name: quote(value) if quote and isinstance(value, str) else value
        for name, value in refusal.params.items()
    }
    return translate(refusal.key, locale, **params)


def order_status(status: str | None, locale: str, *, shop_label: str | None = None) -> str:
    """A Magento order status in `locale` ("complete" -> "Abgeschlossen" / "Complete"). A
    status the locale files do not know reads as the shop's label, else as its code made
    readable ("partly_shipped" -> "Partly shipped"); no status is "–"."""
    if not status:
        return "–"
    text = catalog(normalize_locale(locale)).get(f"order_status.{status}")
    if text is not None:
        return text
    if shop_label and shop_label.strip():
        return shop_label.strip()
    readable = re.sub(r"[_\-\s]+", " ", status).strip()
    return readable[:1].upper() + readable[1:] if readable else status


def money(amount: Decimal | int | None, locale: str, *, currency: str = "EUR") -> str:
    if amount is None:
        return "–"
    return format_currency(to_money(amount), currency, locale=_BABEL[normalize_locale(locale)])


def number(value: Decimal | int | float | None, locale: str, *, digits: int = 0) -> str:
    if value is None:
        return "–"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=_BABEL[normalize_locale(locale)])


def amount(value: Decimal, locale: str) -> str:
    """A price for a form field, without currency: 129,00 / 1.234,50 (129.00 / 1,234.50)."""
    return format_decimal(
        to_money(value), format="#,##0.00", locale=_BABEL[normalize_locale(locale)]
    )


# "129.5" in a German form: a point before one or two digits is no thousands separator.
_POINT_DECIMALS = re.compile(r"[0-9]+\.[0-9]{1,2}")
_AMOUNT_CHARS = re.compile(r"[0-9][0-9.,]*")


def parse_amount(text: str, locale: str) -> Decimal:
    """What a partner typed into a price field -> Decimal ("129,00", "1.234,5", "129" and, in
    German too, "129.50"); anything else is InvalidInput("widgets.amount_invalid")."""
    raw = (text or "").replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
    if _POINT_DECIMALS.fullmatch(raw):
        return Decimal(raw)
    if not _AMOUNT_CHARS.fullmatch(raw):  # no signs, exponents or words
        raise InvalidInput("widgets.amount_invalid", value=(text or "")[:20])
    try:
        value = _babel_parse_decimal(raw, locale=_BABEL[normalize_locale(locale)], strict=True)
    except NumberFormatError:
        raise InvalidInput("widgets.amount_invalid", value=(text or "")[:20]) from None
    if not value.is_finite() or value < 0:
        raise InvalidInput("widgets.amount_invalid", value=(text or "")[:20])
    return value


def percent(value: Decimal | float | None, locale: str, *, signed: bool = False) -> str:
    """`value` is a fraction (0.125 -> 12,5 %)."""
    if value is None:
        return "–"
    sep = "\u00a0" if normalize_locale(locale) == "de" else ""  # 12,5 % but 12.5%
    fmt = f"#,##0.0{sep}%"
    if signed:
        fmt = f"+{fmt};-{fmt}"
    return format_percent(value, format=fmt, locale=_BABEL[normalize_locale(locale)])


def to_berlin(moment: datetime) -> datetime:
    """Naive UTC (as stored) or aware -> aware Europe/Berlin."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BERLIN)


def day(value: date | datetime | None, locale: str) -> str:
    """24.11.2026 / 24/11/2026."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = to_berlin(value).date()
    pattern = "dd.MM.yyyy" if normalize_locale(locale) == "de" else "dd/MM/yyyy"
    return _babel_date(value, format=pattern, locale=_BABEL[normalize_locale(locale)])


def time_of_day(moment: datetime, locale: str) -> str:
    return _babel_time(to_berlin(moment), format="HH:mm", locale=_BABEL[normalize_locale(locale)])


def moment(value: datetime | None, locale: str) -> str:
    """24.11.2026 18:00 in Berlin time."""
    if value is None:
        return "–"
    pattern = "dd.MM.yyyy HH:mm" if normalize_locale(locale) == "de" else "dd/MM/yyyy HH:mm"
    return _babel_datetime(
        to_berlin(value), format=pattern, locale=_BABEL[normalize_locale(locale)]
    )


def weekday_short(value: date, locale: str) -> str:
    return _babel_date(value, format="EEE", locale=_BABEL[normalize_locale(locale)])


def weekday_name(index: int, locale: str) -> str:
    """0 -> Montag / Monday … 6 -> Sonntag / Sunday."""
    return str(get_day_names("wide", locale=_BABEL[normalize_locale(locale)])[index])


def month_label(value: date, locale: str) -> str:
    """Oktober 2026 / October 2026."""
    return _babel_date(value, format="MMMM yyyy", locale=_BABEL[normalize_locale(locale)])


# --- whole columns ------------------------------------------------------------------------------
# A table formats a column at a time: each distinct value once (dates, months, statuses repeat),
# amounts by one pattern learnt from Babel per locale instead of a CLDR lookup per cell.


def each_distinct(values: Iterable[T], fmt: Callable[[T], str]) -> list[str]:
    """`fmt` of every value, computed once per distinct value."""
    seen: dict[T, str] = {}
    out = []
    for value in values:
        text = seen.get(value)
        if text is None:
            text = seen[value] = fmt(value)
        out.append(text)
    return out


@cache
def _money_pattern(locale: str) -> tuple[str, str, str, str]:
    """(prefix, suffix, thousands, decimal) of a positive amount in `locale`, from Babel."""
    sample = money(Decimal("1234.5"), locale)
    digits = re.search(r"1(\D?)234(\D)50", sample)
    assert digits is not None, sample
    return sample[: digits.start()], sample[digits.end() :], digits.group(1), digits.group(2)


def money_column(values: Iterable[Decimal | int | None], locale: str) -> list[str]:
    """`money(v, locale)` for a whole column, the same text, without Babel per cell."""
    prefix, suffix, thousands, decimal = _money_pattern(normalize_locale(locale))
    swap = str.maketrans({",": thousands, ".": decimal})
    out = []
    for value in values:
        if value is None or (isinstance(value, float) and value != value):
            out.append("–")
            continue
        amount = to_money(value)
        text = f"{abs(amount):,.2f}".translate(swap)
        out.append(f"{'-' if amount.is_signed() else ''}{prefix}{text}{suffix}")
    return out
