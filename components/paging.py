"""Paging of a list read a page at a time from the data layer: the page number in the session,
and the buttons under the table.

The buttons change the page in their callback, so a click runs the script once; a changed
selection (filter) starts again at page 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import streamlit as st

from components import widgets
from components.i18n import number, t


class PageResult(Protocol):
    @property
    def page(self) -> int: ...

    @property
    def pages(self) -> int: ...

    @property
    def page_size(self) -> int: ...


def _page_key(key: str) -> str:
    return f"{key}_page"


def turn(key: str, page: int) -> None:
    st.session_state[_page_key(key)] = page


def current(key: str, *, selection: object = None, default_size: int) -> tuple[int, int]:
    """(page, page size) asked for; page 1 when `selection` changed since the last run."""
    if st.session_state.get(f"{key}_paged_for") != selection:
        st.session_state[f"{key}_paged_for"] = selection
        st.session_state[_page_key(key)] = 1
    return (
        int(st.session_state.get(_page_key(key), 1)),
        int(st.session_state.get(f"{key}_page_size", default_size)),
    )


def pager(result: PageResult, *, key: str, sizes: Sequence[int]) -> None:
    """← Zurück · Seite x von y · Pro Seite · Weiter → under a paged table."""
    prev_col, page_col, size_col, next_col = st.columns([1, 2, 1, 1])
    prev_col.button(
        t("orders.previous"),
        disabled=result.page <= 1,
        key=f"{key}_prev",
        on_click=turn,
        args=(key, result.page - 1),
        width="stretch",
    )
    page_col.caption(t("orders.page_of", page=number(result.page), pages=number(result.pages)))
    widgets.selectbox(
        size_col,
        t("payout_list.page_size"),
        tuple(sizes),
        index=list(sizes).index(result.page_size),
        key=f"{key}_page_size",
        label_visibility="collapsed",
    )
    next_col.button(
        t("orders.next"),
        disabled=result.page >= result.pages,
        key=f"{key}_next",
        on_click=turn,
        args=(key, result.page + 1),
        width="stretch",
    )
