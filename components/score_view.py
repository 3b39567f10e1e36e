"""The Qualitäts-Score view of the Marketing page.

A partner (and staff viewing as one) sees its courses with the biggest possible gain first, a
page of `PAGE_SIZE` at a time; each course opens to its checklist: the open points with what
is missing, why it matters, the points it brings and a link to the Ratgeber page that
explains it (core.links.guide_url), then the points done and those not yet assessable, the
score's history and a "Jetzt neu berechnen" button. Staff over all partners see one sortable,
paged table of every course's score.

The scores are stored by the `score-courses` job (data/marketing/scores.py): reading them is
one indexed query, so the view reads them uncached and a recomputation shows at once. Course
names and the focus keyword come from the shop and its customers: shown through `md` or in
tables, never as Markdown.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import widgets
from components.feedback import show_refusal
from components.i18n import day, locale, moment, number, t
from components.session import PageContext
from components.text import md
from core import links
from data.access.viewer import ScopeError
from data.marketing.scores import (
    SORTS,
    CourseScore,
    UnscoredCourse,
    rescore_course,
    score_courses,
    score_history,
    score_overview,
    unscored_courses,
)
from data.marketing.scores import course_scores as read_scores
from marketing.score import Item

PAGE_SIZE = 20
STAFF_PAGE_SIZE = 50
_FLASH = "score_flash"
COLOR = "#c2185b"


def _label(item: Item) -> str:
    params = {"goal": item.params.get("goal", "")}
    return t(f"{item.key}_label", **params)


def _shown(value: object) -> str:
    """A figure in the viewer's format ("44,6"), any text escaped (a URL key is shop data)."""
    if isinstance(value, float):
        return number(value, digits=0 if value.is_integer() else 1)
    if isinstance(value, int):
        return number(value)
    return md(value)


def _missing(item: Item) -> str:
    if item.pending:
        pending = "score.keyword_pending" if item.area == "keyword" else f"{item.key}_pending"
        return t(pending)
    return t(f"{item.key}_missing", **{k: _shown(v) for k, v in item.params.items()})


def _open_item(item: Item) -> None:
    with st.container(border=True):
        st.markdown(f"**{_label(item)}** · :green[{t('score.brings', gain=item.gain)}]")
        st.markdown(_missing(item))
        st.caption(t(f"{item.key}_why"))
        st.markdown(f"[{t('score.guide')}]({links.guide_url(item.guide)})")


def _history_chart(history: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=[pd.Timestamp(d) for d in history["day"]],
            y=[int(s) for s in history["score"]],
            mode="lines+markers",
            line=dict(color=COLOR),
            hovertemplate="%{x|%d.%m.%Y}: %{y}<extra></extra>",
        )
    )
    fig.update_layout(
        height=180, margin=dict(l=8, r=8, t=8, b=8), separators=",." if locale() == "de" else ".,"
    )
    fig.update_yaxes(range=[0, 100], title=t("score.history_y"))
    fig.update_xaxes(tickformat="%d.%m.", title=None)
    return fig


def _course(ctx: PageContext, course: CourseScore, history: pd.DataFrame) -> None:
    name = course.name or f"#{course.product_id}"
    head = f"{md(name)} · **{course.score}** / 100 · {t('score.gain', gain=course.gain)}"
    with st.expander(head):
        st.caption(t("score.computed", when=moment(course.computed_at)))
        st.caption(
            t("score.keyword", keyword=md(course.keyword))
            if course.keyword
            else t("score.no_keyword")
        )
        todo = sorted((i for i in course.items if i.gain), key=lambda i: -i.gain)
        if todo:
            st.markdown(f"**{t('score.open_items')}**")
            for item in todo:
                _open_item(item)
        done = [i for i in course.items if i.ok]
        if done:
            st.markdown(f"**{t('score.done_items')}**")
            st.caption(" · ".join(f"✓ {_label(i)}" for i in done))
        pending = [i for i in course.items if i.pending]
        if pending:
            st.markdown(f"**{t('score.pending_items')}**")
            for item in pending:
                st.caption(f"{_label(item)}: {_missing(item)}")
        st.markdown(f"**{t('score.history')}**")
        if len(history) > 1:
            st.plotly_chart(
                _history_chart(history),
                width="stretch",
                config={"displayModeBar": False},
                key=f"score_hist_{course.product_id}",
            )
        else:
            st.caption(t("score.history_one"))
        if st.button(
            t("score.rescore"), key=f"score_now_{course.product_id}", icon=":material/refresh:"
        ):
            _rescore(ctx, course.product_id)


def _unscored(ctx: PageContext, waiting: list[UnscoredCourse]) -> None:
    """Courses without a score yet (new, the nightly job has not run): named, with when their
    score comes and a button for it now, so a course never just goes missing from the list."""
    if not waiting:
        return
    st.markdown(f"**{t('score.unscored_title', n=len(waiting))}**")
    for course in waiting[:PAGE_SIZE]:
        with st.container(border=True):
            st.markdown(f"**{md(course.name or f'#{course.product_id}')}**")
            st.caption(t("score.unscored"))
            if st.button(
                t("score.rescore"), key=f"score_now_{course.product_id}", icon=":material/refresh:"
            ):
                _rescore(ctx, course.product_id)
    if len(waiting) > PAGE_SIZE:
        st.caption(t("score.unscored_more", n=len(waiting) - PAGE_SIZE))


def _rescore(ctx: PageContext, product_id: int) -> None:
    try:
        again = rescore_course(ctx.viewer, ctx.db, product_id=product_id)
    except ScopeError as exc:
        show_refusal(exc)
        return
    st.session_state[_FLASH] = t("score.rescored", score=again.score)
    st.rerun()


def _flash() -> None:
    if message := st.session_state.pop(_FLASH, None):
        st.success(message, icon=":material/check_circle:")


def _page(total: int, size: int, key: str) -> int:
    pages = max(1, math.ceil(total / size))
    if pages == 1:
        return 0
    chosen = st.number_input(t("score.page"), 1, pages, 1, step=1, key=key)
    st.caption(t("score.page_of", page=int(chosen), pages=pages, total=total))
    return int(chosen) - 1


def render_partner(ctx: PageContext) -> None:
    """The viewer's courses, biggest possible gain first, each with its checklist."""
    _flash()
    st.caption(t("score.intro"))
    scores = read_scores(ctx.viewer, ctx.db)
    if not scores:
        st.info(t("score.none"), icon=":material/insights:")
        if st.button(t("score.rescore_all"), key="score_all", icon=":material/refresh:"):
            done = score_courses(ctx.viewer, ctx.db)
            st.session_state[_FLASH] = t("score.rescored_all", n=done)
            st.rerun()
        return
    _unscored(ctx, unscored_courses(ctx.viewer, ctx.db))
    page = _page(len(scores), PAGE_SIZE, "score_page")
    shown = scores[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    history = score_history(ctx.viewer, ctx.db, product_ids=[s.product_id for s in shown])
    for course in shown:
        _course(ctx, course, history[history["product_id"] == course.product_id])


def overview_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("score.col_course"): [n or f"#{p}" for n, p in zip(rows["name"], rows["product_id"],
                                                                  strict=True)],
            t("score.col_partner"): list(rows["partner"]),
            t("score.col_score"): [int(s) for s in rows["score"]],
            t("score.col_gain"): [int(g) for g in rows["gain"]],
            t("score.col_computed"): [day(c) for c in rows["computed_at"]],
        }
    )  # fmt: skip


def render_staff(ctx: PageContext) -> None:
    """Staff: every partner's course scores, paged and sortable."""
    st.subheader(t("score.staff_title"))
    sort = widgets.selectbox(
        st, t("score.staff_sort"), list(SORTS), format_func=lambda s: t(f"score.sort_{s}"),
        key="score_sort",
    )  # fmt: skip
    first = score_overview(ctx.viewer, ctx.db, page=0, page_size=1, sort=sort or SORTS[0])
    if not first.total:
        st.info(t("score.none"), icon=":material/insights:")
        return
    page = _page(first.total, STAFF_PAGE_SIZE, "score_staff_page")
    found = score_overview(
        ctx.viewer, ctx.db, page=page, page_size=STAFF_PAGE_SIZE, sort=sort or SORTS[0]
    )
    st.dataframe(overview_table(found.rows), hide_index=True, width="stretch")


def render_scores(ctx: PageContext) -> None:
    """The Qualitäts-Score view: staff over all partners get the table, others the list."""
    if ctx.viewer.sees_all:
        render_staff(ctx)
    else:
        render_partner(ctx)
