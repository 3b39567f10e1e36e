"""A day field that cannot silently keep the old day: any typed day reaches the server.

Streamlit's date field refuses a day outside its `min_value`/`max_value` (by default ten years
around its value) without telling the server: the browser keeps the old day, and a script
setting such a day gets the default back. A form would then save the old day and say
"gespeichert". So the fields here take any day and `check_day` refuses one outside the range
the form allows, in German, before anything is saved.
"""

from __future__ import annotations

from datetime import date

from streamlit.delta_generator import DeltaGenerator

from components import widgets
from components.i18n import day
from core.validation import InvalidInput

ANY_DAY = (date(1, 1, 1), date(9999, 12, 31))
LAST_DAY = date(2099, 12, 31)  # the latest day any form saves


def day_input(
    where: DeltaGenerator,
    label: str,
    *,
    value: date | None,
    key: str | None = None,
    **options: object,
) -> date | None:
    """`widgets.date_input` (the language's format) that passes on whatever day was typed."""
    chosen = widgets.date_input(
        where,
        label,
        value=value,
        min_value=ANY_DAY[0],
        max_value=ANY_DAY[1],
        key=key,
        **options,
    )
    return chosen if isinstance(chosen, date) else None


def check_day(value: date, *, first: date, last: date = LAST_DAY) -> None:
    """Refuse (InvalidInput, shown like every refusal) a day outside first..last."""
    if not first <= value <= last:
        raise InvalidInput("date_range.outside", first=day(first), last=day(last))
