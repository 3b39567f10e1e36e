"""Bewertungen: the figures over a partner's reviews, the list, and the answer form.

Review texts and nicknames are the customers' words: shown through `md` (literal text). The
answer form shows the automatic hints (data/reviews/flags.py) for the text as typed, before it
goes to moderation; a rejected answer shows staff's reason and note above the form.
"""

from __future__ import annotations

import re
from datetime import date

import plotly.graph_objects as go
import streamlit as st

from components import widgets
from components.cache import cached, viewer_courses
from components.confirm import done
from components.feedback import show_refusal
from components.i18n import day, month_label, number, percent, t
from components.session import PageContext
from components.text import md
from core.links import REVIEW_PARAM
from core.validation import InvalidInput
from data.access.viewer import ScopeError
from data.portal_schema import RESPONSE_APPROVED, RESPONSE_PENDING, RESPONSE_REJECTED
from data.reviews import dashboard, responses
from data.reviews.dashboard import ReviewFilters
from data.shop.schema import REVIEW_APPROVED, REVIEW_PENDING

_ID = re.compile(r"[0-9]{1,12}")
PAGE_SIZE = 10


def _stars(value: object) -> str:
    try:
        n = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "–"
    return "★" * n + "☆" * (5 - n)


def _average(value: float | None) -> str:
    return "–" if value is None else number(value, digits=1)


def requested_review() -> int | None:
    """The review named in the URL (`?bewertung=`, a mail's link)."""
    value = st.query_params.get(REVIEW_PARAM)
    return int(value) if value and _ID.fullmatch(value) else None


def _needs_partner(ctx: PageContext) -> bool:
    return ctx.viewer.partner_id is None


# --- filters -----------------------------------------------------------------------------------


def _course_filter(ctx: PageContext, key: str) -> tuple[int, ...]:
    courses = viewer_courses(ctx)
    names = dict(zip(courses["product_id"], courses["name"], strict=True))
    chosen = widgets.multiselect(
        st, t("reviews.filter_course"), list(names), format_func=lambda p: str(names.get(p, p)),
        key=f"{key}_course", placeholder=t("reviews.filter_all_courses"),
    )  # fmt: skip
    return tuple(int(p) for p in chosen)


def _period_filter(key: str) -> tuple[date | None, date | None]:
    picked = widgets.date_input(st, t("reviews.filter_period"), value=(), key=f"{key}_period")
    if isinstance(picked, tuple | list) and len(picked) == 2:
        return picked[0], picked[1]
    return None, None


# --- overview ----------------------------------------------------------------------------------


def render_overview(ctx: PageContext) -> None:
    """Averages, distribution, trend, marketplace comparison, answered share and time."""
    left, right = st.columns(2)
    with left:
        products = _course_filter(ctx, "reviews_overview")
    with right:
        first, last = _period_filter("reviews_overview")
    filters = ReviewFilters(product_ids=products, first_day=first, last_day=last)
    summary = dashboard.review_summary(ctx.viewer, ctx.db, filters=filters)
    cols = st.columns(4)
    cols[0].metric(t("reviews.average"), _average(summary.average),
                   help=t("reviews.average_help"))  # fmt: skip
    cols[1].metric(t("reviews.count"), number(summary.count))
    cols[2].metric(t("reviews.answered_share"), percent(summary.answered_share))
    hours = summary.median_hours_to_answer
    cols[3].metric(
        t("reviews.median_answer"),
        "–" if hours is None else t("reviews.hours", n=number(hours, digits=1)),
    )
    # The category's figure reads every partner's reviews and is the same for all of them.
    market = cached(dashboard.marketplace_average, ctx.viewer, ctx.db,
                    filters=ReviewFilters(first_day=first, last_day=last))  # fmt: skip
    if market is not None and market.average is not None:
        st.caption(
            t("reviews.marketplace", kind=md(market.kind), average=_average(market.average),
              n=number(market.count))
        )  # fmt: skip
    if summary.count == 0:
        st.info(t("reviews.none_approved"))
        return
    charts = st.columns(2)
    with charts[0]:
        st.markdown(f"**{t('reviews.distribution')}**")
        stars = list(range(5, 0, -1))
        fig = go.Figure(
            go.Bar(
                x=[summary.distribution[s] for s in stars], y=[f"{s} ★" for s in stars],
                orientation="h", marker_color="#b5472f",
            )
        )  # fmt: skip
        fig.update_layout(height=240, margin=dict(l=8, r=8, t=8, b=8))
        st.plotly_chart(fig, width="stretch", config={"displayModeBar": False},
                        key="reviews_distribution")  # fmt: skip
    with charts[1]:
        st.markdown(f"**{t('reviews.trend')}**")
        trend = summary.trend
        fig = go.Figure(
            go.Scatter(
                x=[month_label(m) for m in trend["month"]], y=list(trend["average"]),
                mode="lines+markers", connectgaps=False, line_color="#b5472f",
                customdata=list(trend["count"]),
                hovertemplate="%{y:.1f} ★ (%{customdata})<extra></extra>",
            )
        )  # fmt: skip
        fig.update_layout(height=240, margin=dict(l=8, r=8, t=8, b=8))
        fig.update_yaxes(range=[0.5, 5.5])
        st.plotly_chart(fig, width="stretch", config={"displayModeBar": False},
                        key="reviews_trend")  # fmt: skip
    st.markdown(f"**{t('reviews.per_course')}**")
    table = summary.per_course
    st.dataframe(
        {
            t("reviews.col_course"): list(table["course"]),
            t("reviews.col_count"): [number(n) for n in table["count"]],
            t("reviews.col_average"): [
                t("reviews.too_few", n=dashboard.MIN_FOR_AVERAGE) if a is None or a != a
                else _average(float(a))
                for a in table["average"]
            ],
        },
        hide_index=True, width="stretch",
    )  # fmt: skip


# --- the list and the answer form ---------------------------------------------------------------


def _status_label(status_id: int) -> str:
    if status_id == REVIEW_APPROVED:
        return t("reviews.status_approved")
    if status_id == REVIEW_PENDING:
        return t("reviews.status_pending")
    return t("reviews.status_not_approved")


def _answer_state(answer: responses.Answer | None) -> str:
    if answer is None:
        return t("reviews.answer_none")
    return t(f"reviews.answer_{answer.status}")


def _flags(ctx: PageContext, review_id: int, text: str) -> None:
    if not text.strip():
        return
    found = responses.answer_flags(ctx.viewer, ctx.db, review_id=review_id, text=text)
    for code in found:
        st.warning(t(f"reviews.flag_{code}"), icon=":material/privacy_tip:")


def answer_form(
    ctx: PageContext, review_id: int, answer: responses.Answer | None, *, prefix: str = "answer"
) -> None:
    """The partner's answer: the rejection's reason first, the text, the hints, two buttons."""
    if answer is not None and answer.status == RESPONSE_REJECTED:
        st.error(
            t("reviews.rejected_because", reason=t(f"reviews.reason_{answer.reject_reason}"),
              note=md(answer.reject_note or "–"))
        )  # fmt: skip
    if answer is not None and answer.published_body and answer.status != RESPONSE_APPROVED:
        st.caption(t("reviews.shop_shows", text=md(answer.published_body)))
    if ctx.viewer.is_staff:
        if answer is not None:
            st.text(answer.body)
        st.caption(t("reviews.staff_cannot_write"))
        return
    key = f"reviews_{prefix}_{review_id}"  # the opened review may be in the list as well
    text = st.text_area(
        t("reviews.answer_label"), value=answer.body if answer else "",
        max_chars=responses.BODY_MAX, key=key, height=120,
    )  # fmt: skip
    _flags(ctx, review_id, text)
    send, draft = st.columns(2)
    if send.button(t("reviews.submit"), key=f"{key}_send", type="primary", width="stretch"):
        _save(ctx, review_id, text, submit=True)
    if draft.button(t("reviews.save_draft"), key=f"{key}_draft", width="stretch"):
        _save(ctx, review_id, text, submit=False)


def _save(ctx: PageContext, review_id: int, text: str, *, submit: bool) -> None:
    try:
        saved = responses.save_answer(ctx.viewer, ctx.db, review_id=review_id, body=text,
                                      submit=submit)  # fmt: skip
    except (InvalidInput, ScopeError) as refusal:
        show_refusal(refusal)
        return
    key = "reviews.sent" if saved.status == RESPONSE_PENDING else f"reviews.saved_{saved.status}"
    done(("success", t(key)))


def _review_card(ctx: PageContext, row: dict, answer: responses.Answer | None) -> None:
    with st.container(border=True):
        st.markdown(f"**{_stars(row['stars'])}** · {md(row['course'])} · {day(row['created_at'])}")
        st.markdown(f"**{md(row['title'])}**")
        st.markdown(md(row["detail"]))
        st.caption(
            t("reviews.by", nickname=md(row["nickname"]), status=_status_label(row["status_id"]),
              answer=_answer_state(answer))
        )  # fmt: skip
        if answer is not None and answer.status == RESPONSE_APPROVED:
            st.markdown(f"> {md(answer.body)}")
        label = t("reviews.answer_edit") if answer else t("reviews.answer_write")
        with st.expander(label, expanded=answer is not None and answer.status == RESPONSE_REJECTED):
            answer_form(ctx, int(row["review_id"]), answer)


def _opened(ctx: PageContext, review_id: int) -> None:
    """The review a link names, above the list, with its answer form open."""
    found = dashboard.review_by_id(ctx.viewer, ctx.db, review_id=review_id)
    if found is None:
        st.warning(t("reviews.not_found"))
        return
    st.subheader(t("reviews.opened", id=review_id, course=md(found["course"])))
    answer = responses.answer_for_review(ctx.viewer, ctx.db, review_id=review_id)
    with st.container(border=True):
        st.markdown(f"**{_stars(found['stars'])}** · {day(found['created_at'])}")
        st.markdown(f"**{md(found['title'])}**")
        st.markdown(md(found["detail"]))
        status = _status_label(int(str(found["status_id"])))
        by = t("reviews.by", nickname=md(found["nickname"]), status=status,
               answer=_answer_state(answer))  # fmt: skip
        st.caption(by)
        answer_form(ctx, review_id, answer, prefix="opened")
    st.divider()


def render_list(ctx: PageContext) -> None:
    """The reviews, filtered and paged in SQL, each with its answer."""
    requested = requested_review()
    if requested is not None:
        _opened(ctx, requested)
    top = st.columns(2)
    with top[0]:
        products = _course_filter(ctx, "reviews_list")
    with top[1]:
        first, last = _period_filter("reviews_list")
    bottom = st.columns(2)
    stars = widgets.multiselect(
        bottom[0], t("reviews.filter_stars"), [5, 4, 3, 2, 1], format_func=_stars,
        key="reviews_list_stars", placeholder=t("reviews.filter_all_stars"),
    )  # fmt: skip
    # The labels are the options (no format_func): the choice survives a language switch.
    choices = {t(f"reviews.filter_answered_{k}"): k for k in ("all", "open", "answered")}
    answered_choice = bottom[1].segmented_control(
        t("reviews.filter_answered"), list(choices), default=t("reviews.filter_answered_all"),
        key="reviews_list_answered",
    )  # fmt: skip
    answered = {"open": False, "answered": True}.get(choices.get(str(answered_choice), "all"))
    filters = ReviewFilters(product_ids=products, stars=tuple(stars), first_day=first,
                            last_day=last, answered=answered)  # fmt: skip
    page_key = "reviews_list_page"
    page = int(st.session_state.get(page_key, 0))
    found = dashboard.list_reviews(ctx.viewer, ctx.db, filters=filters, page=page,
                                   page_size=PAGE_SIZE)  # fmt: skip
    if found.total == 0:
        st.info(t("reviews.none"))
        return
    pages = max(1, -(-found.total // PAGE_SIZE))
    if page >= pages:
        st.session_state[page_key] = 0
        page = 0
    st.caption(t("reviews.found", n=number(found.total), page=page + 1, pages=pages))
    rows = found.rows.to_dict("records")
    answers = responses.answers_for(ctx.viewer, ctx.db, review_ids=[r["review_id"] for r in rows])
    for row in rows:
        _review_card(ctx, row, answers.get(int(row["review_id"])))
    back, forward = st.columns(2)
    if back.button(t("reviews.previous"), disabled=page == 0, width="stretch"):
        st.session_state[page_key] = page - 1
        st.rerun()
    if forward.button(t("reviews.next"), disabled=page + 1 >= pages, width="stretch"):
        st.session_state[page_key] = page + 1
        st.rerun()
