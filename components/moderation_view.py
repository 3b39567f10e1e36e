"""Moderation: staff approve or reject the partners' pending answers to reviews.

Staff read the review and the answer (both as literal text, never Markdown) with the
automatic hints, and approve, or reject with a reason from the fixed list and a note the
partner reads. There is no editing: the partner's words go out as written or not at all.
"""

from __future__ import annotations

import streamlit as st

from components import widgets
from components.confirm import done
from components.feedback import show_refusal
from components.i18n import moment, number, t
from components.session import PageContext
from components.text import md
from core.validation import InvalidInput
from data.access.viewer import ScopeError
from data.portal_schema import REJECT_REASONS
from data.reviews import responses


def _reject_form(ctx: PageContext, response_id: int) -> None:
    key = f"moderation_{response_id}"
    with st.form(f"{key}_reject", border=False):
        # The labels are the options (no format_func): the choice survives a language switch.
        labels = {t(f"reviews.reason_{code}"): code for code in REJECT_REASONS}
        chosen = widgets.selectbox(st, t("moderation.reason"), list(labels), key=f"{key}_reason")
        reason = labels.get(str(chosen), "other")
        note = st.text_area(t("moderation.note"), key=f"{key}_note", max_chars=responses.NOTE_MAX)
        if st.form_submit_button(t("moderation.reject"), width="stretch"):
            _act(lambda: responses.reject_answer(
                ctx.viewer, ctx.db, response_id=response_id, reason=str(reason), note=note,
            ), "moderation.rejected")  # fmt: skip


def _act(action, message: str) -> None:  # type: ignore[no-untyped-def]
    try:
        changed = action()
    except (InvalidInput, ScopeError) as refusal:
        show_refusal(refusal)
        return
    done(("success" if changed else "info", t(message if changed else "moderation.already")))


def _item(ctx: PageContext, row: dict) -> None:
    response_id = int(row["response_id"])
    with st.container(border=True):
        st.markdown(
            t("moderation.item", partner=md(row["partner"]), course=md(row["course"]),
              id=int(row["review_id"]), at=moment(row["submitted_at"]))
        )  # fmt: skip
        st.caption(t("moderation.review_by", nickname=md(row["nickname"])))
        st.markdown(f"**{md(row['title'])}**")
        st.markdown(md(row["detail"]))
        st.markdown(f"**{t('moderation.answer')}**")
        st.text(str(row["body"]))
        for code in row["flags"]:
            st.warning(t(f"reviews.flag_{code}"), icon=":material/privacy_tip:")
        approve, reject = st.columns(2)
        if approve.button(t("moderation.approve"), key=f"moderation_{response_id}_approve",
                          type="primary", width="stretch"):  # fmt: skip
            _act(lambda: responses.approve_answer(ctx.viewer, ctx.db, response_id=response_id),
                 "moderation.approved")  # fmt: skip
        with reject.popover(t("moderation.reject"), width="stretch"):
            _reject_form(ctx, response_id)


def render_queue(ctx: PageContext) -> None:
    """The pending answers, oldest first."""
    queue = responses.moderation_queue(ctx.viewer, ctx.db)
    if queue.empty:
        st.info(t("moderation.empty"))
        return
    st.caption(t("moderation.waiting", n=number(len(queue))))
    for row in queue.to_dict("records"):
        _item(ctx, row)
