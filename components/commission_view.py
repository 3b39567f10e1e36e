"""Provision (staff, on the page Partner): one partner's contract rate and course rates.

Shows the contractual rate and the per-course overrides (course, rate, valid from), adds an
override and changes the contract rate. Every read and write goes through data/money/commission.py
with the page's viewer; the data layer refuses partners and checks the input (German message
from its locale key, nothing saved).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import streamlit as st

from components import widgets
from components.cache import cached
from components.confirm import done
from components.day_field import check_day, day_input
from components.feedback import show_refusal
from components.i18n import day, locale, moment, number, t
from components.session import PageContext
from components.text import md
from core import periods
from core.validation import InvalidInput
from data.money import commission
from data.shop.catalog import list_courses

_ROUND = "_commission_round"  # bumped after a save: the forms start empty again

# A course rate may start in the past (a correction), but not before the portal existed.
FIRST_RATE_DAY = date(2000, 1, 1)


def rate_text(value: Decimal | None) -> str:
    """25.5 -> "25,50 %" (de) / "25.50%" (en): rates keep their two decimals."""
    if value is None:
        return "–"
    return number(value, digits=2) + ("\u00a0%" if locale() == "de" else "%")


def _course_label(courses: pd.DataFrame, product_id: int) -> str:
    row = courses[courses["product_id"] == product_id]
    if row.empty:
        return str(product_id)
    name, sku = row["name"].iloc[0], row["sku"].iloc[0]
    return f"{name} ({sku})" if pd.notna(name) and name else str(sku)


def _saved(message: str) -> None:
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    done(("success", message))


def overrides_table(overrides: pd.DataFrame, courses: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("partners.col_course"): [_course_label(courses, p) for p in overrides["product_id"]],
            t("partners.col_rate"): [rate_text(v) for v in overrides["rate"]],
            t("partners.col_valid_from"): [day(v) for v in overrides["valid_from"]],
            t("partners.col_created"): [moment(v) for v in overrides["created_at"]],
        }
    )


def render_commission(ctx: PageContext, *, partner_id: int) -> None:
    """The partner's rates and the two staff forms (the data layer refuses anyone else)."""
    viewer, db = ctx.viewer, ctx.db
    current = commission.contract_rate(viewer, db, partner_id=partner_id)
    if current is None:
        st.warning(t("partners.not_found"))
        return
    everything = cached(list_courses, viewer, db)
    courses = everything[everything["partner_id"] == partner_id]
    round_ = st.session_state.get(_ROUND, 0)

    st.metric(t("partners.contract_rate"), rate_text(current), border=True)
    with st.expander(t("partners.change_contract"), icon=":material/edit:"):
        with st.form(f"commission_contract_{partner_id}_{round_}"):
            raw = st.text_input(
                t("partners.new_contract_rate"),
                placeholder=t("partners.rate_placeholder"),
                key=f"commission_contract_rate_{round_}",
            )
            submitted = st.form_submit_button(
                t("partners.save_contract"), key=f"commission_contract_save_{round_}"
            )
        if submitted:
            try:
                done = commission.set_contract_rate(viewer, db, partner_id=partner_id, rate=raw)
            except InvalidInput as exc:
                show_refusal(exc)
            else:
                if not done:
                    st.warning(t("partners.not_found"))
                else:
                    now = commission.contract_rate(viewer, db, partner_id=partner_id)
                    _saved(t("partners.contract_saved", rate=rate_text(now)))

    st.subheader(t("partners.overrides_title"))
    overrides = commission.list_rates(viewer, db, partner_id=partner_id)
    if overrides.empty:
        st.caption(t("partners.overrides_empty"))
    else:
        st.dataframe(overrides_table(overrides, courses), hide_index=True, width="stretch")

    st.subheader(t("partners.add_override"))
    if courses.empty:
        st.info(t("partners.no_courses"), icon=":material/info:")
        return
    with st.form(f"commission_override_{partner_id}_{round_}"):
        product_id = widgets.selectbox(
            st,
            t("partners.course"),
            courses["product_id"].tolist(),
            format_func=lambda p: _course_label(courses, p),
            key=f"commission_course_{round_}",
        )
        left, right = st.columns(2)
        raw = left.text_input(
            t("partners.rate"),
            placeholder=t("partners.rate_placeholder"),
            key=f"commission_rate_{round_}",
        )
        valid_from = day_input(
            right,
            t("partners.valid_from"),
            value=periods.berlin_today(),
            help=t("partners.valid_from_help"),
            key=f"commission_valid_from_{round_}",
        )
        submitted = st.form_submit_button(
            t("partners.save_override"), type="primary", key=f"commission_save_{round_}"
        )
    if submitted:
        _add_override(ctx, partner_id, courses, product_id, raw, valid_from)


def _add_override(
    ctx: PageContext,
    partner_id: int,
    courses: pd.DataFrame,
    product_id: int | None,
    raw: str,
    valid_from: date | None,
) -> None:
    if product_id is None:
        st.warning(t("partners.not_found"))
        return
    try:
        check_day(valid_from or periods.berlin_today(), first=FIRST_RATE_DAY)
        done = commission.set_course_rate(
            ctx.viewer,
            ctx.db,
            product_id=int(product_id),
            rate=raw,
            valid_from=valid_from,
            partner_id=partner_id,
        )
    except InvalidInput as exc:
        show_refusal(exc)
        return
    if not done:
        st.warning(t("partners.not_found"))
        return
    stored = commission.list_rates(ctx.viewer, ctx.db, partner_id=partner_id)
    stored = stored[
        (stored["product_id"] == int(product_id)) & (stored["valid_from"] == valid_from)
    ]
    _saved(
        t(
            "partners.override_saved",
            course=md(_course_label(courses, int(product_id))),
            rate=rate_text(stored["rate"].iloc[0] if not stored.empty else None),
            date=day(valid_from),
        )
    )
