"""What the Termine tabs say back: refusals, messages kept across a rerun, the cancel warning.

Every refusal the partner can act on is a German sentence from the data layer's key; a date
out of scope (or gone) reads like one that does not exist.
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from components.date_form import FLASH_KEY
from components.i18n import money, t
from components.session import PageContext
from core.money import ZERO
from core.validation import InvalidInput
from data.access.viewer import ScopeError
from data.dates import course_dates as cd

# What the tabs catch around a data call; anything else is a bug for run_guarded to log.
REFUSALS: tuple[type[Exception], ...] = (InvalidInput, ScopeError)


def refused(exc: Exception) -> None:
    if isinstance(exc, InvalidInput):
        st.error(t(exc.key, **exc.params), icon=":material/error:")
    else:
        st.error(t("dates.not_found"), icon=":material/block:")


def flash(kind: str, message: str) -> None:
    """Keep `message` for the next run (shown by date_form.show_flash), e.g. before a rerun."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def cancel_warning(*, bookings: int, tickets: int, amount: Decimal) -> str:
    return t("dates.confirm_cancel", bookings=bookings, tickets=tickets, amount=money(amount))


def date_cancel_warning(ctx: PageContext, date_id: int) -> str:
    """The warning before one booked date is cancelled, from its current bookings."""
    booked = cd.date_bookings(ctx.viewer, ctx.db, date_id=date_id)
    return cancel_warning(
        bookings=len(booked),
        tickets=int(booked["tickets"].sum()),
        amount=sum(booked["amount"], ZERO),
    )
