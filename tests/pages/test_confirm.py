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


def _acting_script() -> None:
    import streamlit as st

    from components.confirm import done, show_flash

    show_flash()
    count = st.session_state.setdefault("count", 0)
    st.caption(f"count={count}")
    if st.button("add", key="add", disabled=count >= 1):
        st.session_state["count"] = count + 1
        done(("success", "added"), ("info", "only once"))


def test_done_shows_the_new_state_and_its_messages_once() -> None:
    at = AppTest.from_function(_acting_script).run()
    at.button(key="add").click().run()
    # The same click's run already shows the new state: new count, button disabled.
    assert [c.value for c in at.caption] == ["count=1"]
    assert at.button(key="add").disabled
    assert [s.value for s in at.success] == ["added"]
    assert [i.value for i in at.info] == ["only once"]
    at.run()
    assert not at.success and not at.info
