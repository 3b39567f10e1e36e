"""The Streamlit edge of core.i18n: the session's language and short helpers for pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import streamlit as st

from core import i18n

LOCALE_KEY = "locale"


def locale() -> str:
    return i18n.normalize_locale(st.session_state.get(LOCALE_KEY))


def t(key: str, **params: object) -> str:
    return i18n.translate(key, locale(), **params)


def money(amount: Decimal | int | None) -> str:
    return i18n.money(amount, locale())


def number(value: Decimal | int | float | None, *, digits: int = 0) -> str:
    return i18n.number(value, locale(), digits=digits)


def percent(value: Decimal | float | None, *, signed: bool = False) -> str:
    return i18n.percent(value, locale(), signed=signed)


def day(value: date | datetime | None) -> str:
    return i18n.day(value, locale())


def moment(value: datetime | None) -> str:
    return i18n.moment(value, locale())


def time_of_day(value: datetime) -> str:
    return i18n.time_of_day(value, locale())


def weekday(value: date) -> str:
    return i18n.weekday_short(value, locale())


def month_label(value: date) -> str:
    return i18n.month_label(value, locale())


def money_column(values) -> list[str]:
    """`money` of a whole column (core.i18n.money_column: the same text, far cheaper)."""
    return i18n.money_column(values, locale())


def each_distinct(values, fmt) -> list[str]:
    """`fmt` per distinct value of a column (dates, months and statuses repeat)."""
    return i18n.each_distinct(values, fmt)
