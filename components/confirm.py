"""Destructive actions that need a yes first: ask, remember what awaits the yes, then act.

The first click runs the action without confirmation; when the data layer answers that it
would touch bookings, the page calls `ask_first` and `confirm_action` shows the warning with
its confirm button on this and every following run until the partner says yes (or picks
something else: the pending yes belongs to one target only).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st


def ask_first(key: str, target: Hashable) -> None:
    """Remember under the session-state `key` that `target` awaits a yes."""
    st.session_state[key] = target


def confirm_action(
    key: str,
    target: Hashable,
    *,
    warning: Callable[[], str],
    button_label: str,
    button_key: str,
    on_confirm: Callable[[], None],
) -> bool:
    """The warning and the confirm button while `target` awaits a yes; False if it does not.

    `warning` is called only then, since building it may query the bookings. After
    `on_confirm` the pending yes is forgotten and the page runs again, so the message
    `on_confirm` left (a flash) replaces the warning.
    """
    if st.session_state.get(key) != target:
        return False
    st.warning(warning(), icon=":material/warning:")
    if st.button(button_label, type="primary", key=button_key):
        on_confirm()
        st.session_state.pop(key, None)
        st.rerun()
    return True
