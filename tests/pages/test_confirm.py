"""components.confirm: the pending yes belongs to one target and is forgotten once acted on."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from components.confirm import ask_first, confirm_action

    target = st.session_state.get("target", 1)
    if st.button("ask", key="ask"):
        ask_first("_pending", target)

    def done() -> None:
        st.session_state["done"] = st.session_state.get("done", 0) + 1

    shown = confirm_action(
        "_pending",
        target,
        warning=lambda: f"really {target}?",
        button_label="yes",
        button_key="yes",
        on_confirm=done,
    )
    st.caption(f"shown={shown}")


def test_nothing_is_shown_until_asked() -> None:
    at = AppTest.from_function(_script).run()
    assert [c.value for c in at.caption] == ["shown=False"]
    assert not at.warning and [b.key for b in at.button] == ["ask"]


def test_asked_shows_the_warning_until_confirmed_then_forgets() -> None:
    at = AppTest.from_function(_script).run()
    at.button(key="ask").click().run()
    assert [w.value for w in at.warning] == ["really 1?"]
    at.run()  # still pending on the next run
    assert [w.value for w in at.warning] == ["really 1?"]
    at.button(key="yes").click().run()
    assert at.session_state["done"] == 1
    assert "_pending" not in at.session_state
    assert not at.warning and [c.value for c in at.caption] == ["shown=False"]


def test_another_target_does_not_inherit_the_pending_yes() -> None:
    at = AppTest.from_function(_script).run()
    at.button(key="ask").click().run()
    at.session_state["target"] = 2
    at.run()
    assert not at.warning
