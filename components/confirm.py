"""One way for every page to finish an action: act → (ask first) → flash → rerun.

An action that changed something calls `done(...)`: its messages are kept for the next run
(the *flash*) and the page runs again at once, so the header, statuses, lists, counts and
buttons all show the new state and a second click on a button that no longer applies is
impossible rather than refused. The entry point shows the flash once, at the top of the page,
under the title (`show_flash`).

Destructive actions need a yes first: the first click runs the action without confirmation;
when the data layer answers that it would touch bookings, the page calls `ask_first` and
`confirm_action` shows the warning with its confirm button on this and every following run
until the user says yes (or picks something else: the pending yes belongs to one target only).
Irreversible and mass actions ask on every click, saying what will happen and to how many.

A form that creates something passes `form_token(name)` to the data layer, which claims it
once (data/ops/submissions.py): the same rendered form sent twice creates one record.
After saving, `new_form(name)` draws the next form's token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from typing import Literal, NoReturn

import streamlit as st

Kind = Literal["success", "info", "warning"]
Message = tuple[Kind, str]

FLASH_KEY = "_flash"
_TOKEN_KEY = "_form_token_{}"
_SHOW: dict[str, Callable[..., object]] = {
    "success": st.success,
    "info": st.info,
    "warning": st.warning,
}
_ICONS = {
    "success": ":material/check_circle:",
    "info": ":material/info:",
    "warning": ":material/warning:",
}


def flash(kind: Kind, message: str) -> None:
    """Keep `message` for the next run of this session's page.

    The message is shown as Markdown: a value in it that a user, the shop or the URL wrote
    goes through `components.text.md` first (e.g. a course name in "… gespeichert").
    """
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def show_flash() -> None:
    """The messages the last action left, once (then forgotten)."""
    for kind, message in st.session_state.pop(FLASH_KEY, []):
        _SHOW.get(kind, st.info)(message, icon=_ICONS.get(kind))


def done(*messages: Message) -> NoReturn:
    """After an action: keep its messages and run the whole page again with the new state."""
    for kind, message in messages:
        flash(kind, message)
    st.rerun(scope="app")  # also from inside a fragment: lists and counts change too
    raise AssertionError("st.rerun returns only in bare mode")  # pragma: no cover


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
        done()
    return True


def form_token(name: str) -> str:
    """The idempotency token of the form `name` as rendered now (kept until `new_form`)."""
    key = _TOKEN_KEY.format(name)
    if key not in st.session_state:
        st.session_state[key] = secrets.token_urlsafe(24)
    return str(st.session_state[key])


def new_form(name: str) -> None:
    """The form `name` created its record: its next rendering is a new form."""
    st.session_state.pop(_TOKEN_KEY.format(name), None)
