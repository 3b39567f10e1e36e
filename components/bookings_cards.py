"""Bestellungen on a phone: the page's bookings as compact cards instead of the wide table.

Both are drawn; the stylesheet shows the cards up to 640 px and the table above (Streamlit
cannot tell the script the screen's width). A card leads with what a partner looks for on the
go: order number and status, then course and date, then customer, tickets and amount.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.i18n import moment, money, t
from components.text import md

CARDS_KEY = "orders_cards"
# The cards' container follows the table's element; each hides the other by the width.
_CSS = f"""
<style>
.st-key-{CARDS_KEY} {{ gap: 0.5rem; }}
@media (min-width: 641px) {{ .st-key-{CARDS_KEY} {{ display: none; }} }}
@media (max-width: 640px) {{
  .stElementContainer:has([data-testid="stDataFrame"]):has(+ * .st-key-{CARDS_KEY}),
  .stElementContainer:has([data-testid="stDataFrame"]):has(+ .st-key-{CARDS_KEY}) {{
    display: none;
  }}
}}
</style>
"""


def _unbroken(text: str) -> str:
    """Date and time stay on one line."""
    return text.replace(" ", "\u00a0")


def _card(row, partner_names: dict[int, str] | None) -> str:
    """One booking as three short Markdown lines; shop values go through `md`."""
    status = t(f"bookings.status_{row.status}")
    who = md(row.customer_name)
    if partner_names is not None:
        who = f"{md(partner_names.get(row.partner_id, '–'))} · {who}"
    return "  \n".join(
        [
            f"**{md(row.increment_id)}** · {status}",
            f"{md(row.course)} · **{_unbroken(moment(row.event_at))}**",
            f":gray[{who} · {t('orders.tickets', n=int(row.tickets))} · {money(row.gross)} · "
            f"{t('orders_cards.booked', when=moment(row.booked_at))}]",
        ]
    )


def render_cards(
    rows: pd.DataFrame,
    partner_names: dict[int, str] | None,
    *,
    open_order: Callable[[int], None],
) -> None:
    """The cards of this page's bookings (shown on a phone only); place right after the table.
    Each card's button opens its order (`open_order` in the click's callback: one run)."""
    st.html(_CSS)
    with st.container(key=CARDS_KEY):
        for row in rows.itertuples():
            with st.container(border=True):
                st.markdown(_card(row, partner_names))
                st.button(
                    t("orders_cards.open"),
                    # One order has a row per partner (staff): the row makes the key unique.
                    key=f"orders_card_open_{row.Index}_{row.order_id}",
                    icon=":material/open_in_new:",
                    on_click=open_order,
                    args=(int(row.order_id),),
                )
