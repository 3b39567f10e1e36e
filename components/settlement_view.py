"""Abrechnungsbeginn (staff, on the page Partner): from which course day the portal settles
the partner's items (data/money/settlement.py). Items before it were paid out outside the
portal and never enter a payout; the later of the partner's own start and the configured one
applies."""

from __future__ import annotations

import streamlit as st

from components import widgets
from components.confirm import done
from components.i18n import day, t
from components.session import PageContext
from data.money import settlement

_ROUND = "_settlement_round"  # bumped after a save: the form shows the stored value again


def _state_text(start: settlement.SettlementStart) -> str:
    if start.effective is None:
        return t("partners.settlement_everything")
    text = t("partners.settlement_from", date=day(start.effective))
    if start.configured is not None:
        text += " " + t("partners.settlement_configured", date=day(start.configured))
    return text


def render_settlement_start(ctx: PageContext, *, partner_id: int) -> None:
    start = settlement.settlement_start(ctx.viewer, ctx.db, partner_id=partner_id)
    if start is None:
        st.warning(t("partners.not_found"))
        return
    st.subheader(t("partners.settlement_title"))
    st.caption(_state_text(start))
    round_ = st.session_state.get(_ROUND, 0)
    with st.form(f"settlement_{partner_id}_{round_}"):
        chosen = widgets.date_input(
            st,
            t("partners.settlement_own"),
            value=start.own,
            help=t("partners.settlement_help"),
            key=f"settlement_start_{round_}",
        )
        submitted = st.form_submit_button(
            t("partners.settlement_save"), key=f"settlement_save_{round_}"
        )
    if not submitted:
        return
    new = chosen if not isinstance(chosen, tuple) else None
    if not settlement.set_settlement_start(ctx.viewer, ctx.db, partner_id=partner_id, start=new):
        st.warning(t("partners.not_found"))
        return
    st.session_state[_ROUND] = round_ + 1
    saved = settlement.settlement_start(ctx.viewer, ctx.db, partner_id=partner_id)
    done(("success", _state_text(saved) if saved else t("partners.not_found")))
