"""Search as you type instead of a select with thousands of options: a search field, and a
select of the (at most `limit`) hits a data-layer search returns for the typed text.

What is chosen now stays an option whatever is typed, so typing never loses the choice; a
full page of hits says to search more precisely. Used for partners ("view as", filters),
courses and payouts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from components import widgets
from components.i18n import number, t

MAX_SEARCH = 100  # characters of search text


def search_picker(
    where: Any,
    label: str,
    *,
    key: str,
    search: Callable[[str], Mapping[int, str]],
    chosen: Mapping[int, str] | None = None,
    limit: int,
    none_label: str | None = None,
    search_label: str | None = None,
    placeholder: str | None = None,
    none_found: str | None = None,
    more_found: str | None = None,
    search_key: str | None = None,
    complete_untyped: bool = False,
    **select: Any,
) -> int | None:
    """The chosen id (None: `none_label`, or nothing found). `search(text)` gives id → label
    of the hits (text "" → the first ones); `chosen` the label of the current choice.

    The select's value lives under `key`, the typed text under `search_key` (default
    `{key}_search`); further keyword
    arguments go to the select (on_change, disabled, help …). `complete_untyped`: without
    text the hits are a whole list (a page shown above), not the first of many.
    """
    text = where.text_input(
        search_label or t("search_picker.search", what=label),
        max_chars=MAX_SEARCH,
        placeholder=placeholder or t("search_picker.placeholder"),
        key=search_key or f"{key}_search",
        disabled=select.get("disabled", False),
    )
    typed = " ".join(str(text or "").split())
    found = dict(search(typed))
    labels = {**dict(chosen or {}), **found}
    options: list[int | None] = [None] if none_label is not None else []
    options += list(labels)
    if typed and not found:
        where.caption(none_found or t("search_picker.none"))
    elif len(found) >= limit and (typed or not complete_untyped):
        where.caption(more_found or t("search_picker.more", n=number(limit)))
    if not options:
        return None
    current = st.session_state.get(key)
    if current is not None and current not in options:
        del st.session_state[key]  # chosen elsewhere (a link, another page): not offered here
    value = widgets.selectbox(
        where,
        label,
        options,
        format_func=lambda v: none_label if v is None else labels.get(int(v), f"#{v}"),
        key=key,
        **select,
    )
    return None if value is None else int(value)
