"""What the Termine tabs say back: refusals and the cancel warning (messages kept across a
rerun: components.confirm).

Every refusal is shown by components.feedback from the data layer's key; a date out of scope
(or gone) reads like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from components.feedback import show_refusal
from components.i18n import moment, money, t
from components.session import PageContext
from core.errors import Refusal
from core.money import ZERO
from core.validation import InvalidInput
from data.access.viewer import ScopeError
from data.dates import course_dates as cd
from data.dates.course_dates import CancelResult

# What the tabs catch around a data call; anything else is a bug for run_guarded to log.
REFUSALS: tuple[type[Refusal], ...] = (InvalidInput, ScopeError)


def refused(exc: Refusal) -> None:
    # A date out of scope reads like a missing one (its key is dates.not_found), marked apart.
    show_refusal(exc, icon=":material/block:" if isinstance(exc, ScopeError) else None)


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


def bookings_note(would: CancelResult) -> str:
    """What a cancel does to bookings: the warning with the numbers, or that there are none."""
    if not would.bookings:
        return t("clicks.no_bookings")
    return cancel_warning(bookings=would.bookings, tickets=would.tickets, amount=would.refund_total)


def confirm_label(would: CancelResult) -> str:
    return t("dates.confirm_cancel_button" if would.bookings else "clicks.confirm_cancel")


def cancelled_text(outcome: CancelResult) -> str:
    if outcome.messages:
        return t("dates.cancelled_told", n=len(outcome.cancelled), mails=outcome.messages)
    return t("dates.cancelled", n=len(outcome.cancelled))


MAX_NAMED_OVERLAPS = 5


def overlap_warning(ctx: PageContext, date_ids: Sequence[int]) -> str:
    """The warning that a new or changed date clashes with others of the course, naming each
    clashing date once (the first five, then how many more)."""
    unique = list(dict.fromkeys(int(i) for i in date_ids))
    named = []
    for date_id in unique[:MAX_NAMED_OVERLAPS]:
        try:
            named.append(moment(cd.get_date(ctx.viewer, ctx.db, date_id=date_id).starts_at))
        except REFUSALS:
            continue  # gone meanwhile: nothing to name
    dates = ", ".join(dict.fromkeys(named))
    more = len(unique) - MAX_NAMED_OVERLAPS
    if more > 0:
        dates += t("clash.more", n=more)
    return t("clash.warning", n=len(unique), dates=dates)
