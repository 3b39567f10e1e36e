"""Termine: the Mindestteilnehmerzahl's question ("durchführen oder absagen?"), the list column
("4 / 6 Mindestteilnehmer") and the partner's check settings (data/dates/minimums.py).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.confirm import done
from components.date_feedback import REFUSALS, refused
from components.i18n import moment, t
from components.session import PageContext
from components.text import md
from core.validation import InvalidInput
from data.dates import minimums as mn


def current_minimum(ctx: PageContext, date_id: int) -> int:
    """The date's minimum as the edit form starts from it (0: none)."""
    found = mn.date_minimums(ctx.viewer, ctx.db, date_ids=[date_id]).get(date_id)
    return found.minimum if found else 0


def progress_column(ctx: PageContext, dates: pd.DataFrame) -> list[str]:
    """Per row of a list_dates frame: "" (no minimum) or "4 / 6 Mindestteilnehmer · state"."""
    if dates.empty:
        return []
    info = mn.date_minimums(ctx.viewer, ctx.db, date_ids=[int(i) for i in dates["date_id"]])
    out = []
    for date_id, sold in zip(dates["date_id"], dates["seats_sold"], strict=True):
        found = info.get(int(date_id))
        if found is None or found.minimum <= 0:
            out.append("")
            continue
        text = t("minimums.progress", sold=int(sold), minimum=found.minimum)
        if found.state:
            text += " · " + t(f"minimums.state_{found.state}")
        out.append(text)
    return out


def render_questions(ctx: PageContext) -> None:
    """Each date whose minimum is not reached, with "Trotzdem durchführen" / "Termin absagen"."""
    if ctx.viewer.partner_id is None:
        return
    questions = mn.open_questions(ctx.viewer, ctx.db)
    if not questions:
        return
    with st.container(border=True):
        st.markdown(f"**{t('minimums.question_title')}**")
        for q in questions:
            st.warning(
                t(
                    "minimums.question",
                    course=md(q.course),
                    when=moment(q.starts_at),
                    sold=q.seats_sold,
                    minimum=q.minimum,
                    deadline=moment(q.last_call_at),
                ),
                icon=":material/group_off:",
            )
            hold_col, cancel_col = st.columns(2)
            if hold_col.button(
                t("minimums.hold"), key=f"min_hold_{q.date_id}", type="primary", width="stretch"
            ):
                _answer(ctx, q.date_id, hold=True)
            if cancel_col.button(
                t("minimums.cancel"), key=f"min_cancel_{q.date_id}", width="stretch"
            ):
                _answer(ctx, q.date_id, hold=False)


def _answer(ctx: PageContext, date_id: int, *, hold: bool) -> None:
    try:
        result = mn.answer_question(ctx.viewer, ctx.db, date_id=date_id, hold=hold)
    except REFUSALS as exc:
        refused(exc)
        return
    if result.held:
        done(("success", t("minimums.held", n=result.confirmed)))
    done(("success", t("minimums.cancelled", mails=result.messages, offers=result.offers)))


def render_settings(ctx: PageContext) -> None:
    """ "Mindestteilnehmer prüfen N Tage vorher" and the answer period."""
    if ctx.viewer.partner_id is None:
        return
    current = mn.get_settings(ctx.viewer, ctx.db)
    with st.expander(t("minimums.settings_title"), icon=":material/groups:"):
        st.caption(t("minimums.settings_hint"))
        with st.form("minimum_settings"):
            left, right = st.columns(2)
            days = left.number_input(
                t("minimums.check_days"), value=current.check_days, step=1, key="min_days"
            )
            hours = right.number_input(
                t("minimums.answer_hours"), value=current.answer_hours, step=1, key="min_hours"
            )
            saved = st.form_submit_button(t("minimums.save"), type="primary")
    if not saved:
        return
    try:
        stored = mn.save_settings(ctx.viewer, ctx.db, check_days=days, answer_hours=hours)
    except InvalidInput as exc:
        refused(exc)
        return
    done(
        ("success", t("minimums.settings_saved", days=stored.check_days, hours=stored.answer_hours))
    )
