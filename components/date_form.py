"""Quick action "Neuer Termin": a dialog any page can open (`new_date_dialog(ctx, product_id)`).

The Warteliste and other screens call it with the course preselected; on save it creates one
date through `data.dates.course_dates.create_date`, warns about overlapping dates of the course and
leaves a message for the page's next run.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import streamlit as st

from components import widgets
from components.cache import viewer_courses
from components.confirm import done, flash, form_token, new_form
from components.date_feedback import overlap_warning
from components.day_field import check_day, day_input
from components.feedback import show_refusal
from components.i18n import day, t
from components.session import PageContext
from core import periods
from core.money import to_decimal
from core.validation import InvalidInput
from data.access.viewer import ScopeError
from data.dates.course_dates import DUPLICATE, create_date

DEFAULT_LENGTH = timedelta(hours=3)


def save_new_date(
    ctx: PageContext,
    *,
    product_id: int,
    on: date,
    start: time,
    end: time,
    seats: int,
    price: float | Decimal,
    token: str | None = None,
    minimum: object = None,
) -> bool:
    """Create the date and put the outcome in the flash; False (and an error shown) on bad
    input. `token` is the rendered form's (components.confirm.form_token): the same form sent
    twice creates one date."""
    try:
        check_day(on, first=periods.berlin_today())
        saved = create_date(
            ctx.viewer,
            ctx.db,
            product_id=product_id,
            starts_at=datetime.combine(on, start),
            ends_at=datetime.combine(on, end),
            seats=seats,
            price=to_decimal(price),  # exact: a fraction of a cent is refused, not rounded
            token=token,
            minimum=minimum,
        )
    except (InvalidInput, ScopeError) as exc:
        if exc.key == DUPLICATE:  # the first click's run created it and was cut short
            flash("info", t(DUPLICATE))
            return True
        show_refusal(exc)
        return False
    flash("success", t("dates.date_created", day=day(on), time=start.strftime("%H:%M")))
    if saved.overlaps:
        flash("warning", overlap_warning(ctx, saved.overlaps))
    return True


def new_date_form(
    ctx: PageContext,
    *,
    product_id: int | None = None,
    key: str = "nd",
    on: date | None = None,
    start: time | None = None,
    seats: int | None = None,
) -> bool:
    """The fields of a new single date, prefilled with a suggested day, start and seats when
    given (the Übersicht's Nachfrage); True once saved."""
    courses = viewer_courses(ctx)
    if courses.empty:
        st.info(t("dates.no_courses"))
        return False
    names = dict(zip(courses["product_id"], courses["name"], strict=True))
    prices = dict(zip(courses["product_id"], courses["price"], strict=True))
    options = list(names)
    chosen = widgets.selectbox(
        st,
        t("dates.course"),
        options,
        index=options.index(product_id) if product_id in options else 0,
        format_func=lambda pid: names.get(pid, str(pid)),
        key=f"{key}_course",
    )
    left, right = st.columns(2)
    first = on or periods.berlin_today() + timedelta(days=7)
    on = day_input(left, t("dates.day"), value=first, key=f"{key}_day") or first
    seats = right.number_input(t("dates.seats"), value=seats or 10, step=1, key=f"{key}_seats")
    start_col, end_col = st.columns(2)
    begins = start or time(18, 0)
    ends = (datetime.combine(first, begins) + DEFAULT_LENGTH).time()
    start = start_col.time_input(t("dates.start_time"), value=begins, key=f"{key}_start")
    end = end_col.time_input(t("dates.end_time"), value=ends, key=f"{key}_end")
    default_price = float(prices.get(chosen) or 0)
    price_col, minimum_col = st.columns(2)
    price = widgets.money_input(
        price_col, t("dates.price"), value=default_price, key=f"{key}_price"
    )
    # Whatever is typed reaches the data layer, which refuses a negative or too big minimum.
    minimum = minimum_col.number_input(
        t("minimums.field"), value=0, step=1, key=f"{key}_minimum", help=t("minimums.field_help")
    )
    saving = st.button(t("dates.save_date"), type="primary", key=f"{key}_save", width="stretch")
    if saving and price is not None:  # a price that is no amount is explained at its field
        saved = save_new_date(
            ctx, product_id=int(chosen), on=on, start=start, end=end, seats=int(seats),
            price=price, token=form_token(key), minimum=int(minimum),
        )  # fmt: skip
        if saved:
            new_form(key)
        return saved
    return False


def _dialog_body(
    ctx: PageContext, product_id: int | None, on: date | None, start: time | None, seats: int | None
) -> None:
    if new_date_form(ctx, product_id=product_id, key="nd_dialog", on=on, start=start, seats=seats):
        done()  # closes the dialog; the page shows the new date and the flash


def new_date_dialog(
    ctx: PageContext,
    product_id: int | None = None,
    *,
    on: date | None = None,
    start: time | None = None,
    seats: int | None = None,
) -> None:
    """Open the "Neuer Termin" dialog (call it from a button's branch), optionally prefilled
    with a suggested day, start time and seats."""
    st.dialog(t("dates.new_date"))(_dialog_body)(ctx, product_id, on, start, seats)
