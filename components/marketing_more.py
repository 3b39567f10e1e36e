"""Marketing views beside the quality score: keyword ideas, price position, the Ratgeber.

`render_keywords(ctx)`, `render_price_position(ctx)` and `render_guides(ctx)` each draw one
view of the Marketing page (the page's view switch calls them); `wants_guide()` says whether
the URL asks for a Ratgeber page (`?ratgeber=<slug>`, core.links.guide_url), so the page can
open that view first.

A course is picked by typing part of its name: the data layer returns at most 20 matches,
however big the catalogue. Course names, search terms and city names come from the shop and
its customers: they are shown in tables (never Markdown) or through `md`. Other partners'
courses appear only as anonymous points and totals (data/marketing/prices.py). The Ratgeber
pages are our own Markdown files, rendered without HTML (marketing/guides.py).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import widgets
from components.cache import cached
from components.feedback import show_refusal
from components.i18n import locale, money, number, percent, t
from components.session import PageContext
from components.text import md
from core.links import GUIDE_PARAM
from data.access.viewer import ScopeError
from data.marketing.keywords import KeywordIdeas, find_courses, keyword_ideas
from data.marketing.prices import PricePoint, PricePosition, price_position
from marketing.guides import Guide, all_guides, is_slug

OWN, MINE, OTHERS = "#c2185b", "#7e57c2", "#9e9e9e"
_EURO = {"de": "%s €", "en": "€%s"}  # where the sign goes in a chart's hover text


# --- the course picker -------------------------------------------------------------------------


def pick_course(ctx: PageContext, *, key: str) -> int | None:
    """A search field and the (at most 20) matching courses of the viewer; the chosen id."""
    typed = st.text_input(
        t("marketing_more.search"), key=f"{key}_q", placeholder=t("marketing_more.search_hint")
    )
    found = cached(find_courses, ctx.viewer, ctx.db, text=" ".join(typed.split()))
    if found.empty:
        st.info(t("marketing_more.no_match" if typed.strip() else "marketing_more.no_courses"))
        return None
    names = {int(p): n for p, n in zip(found["product_id"], found["name"], strict=True)}
    chosen = widgets.selectbox(
        st,
        t("marketing_more.course"),
        list(names),
        format_func=lambda p: names.get(p) or f"#{p}",
        key=f"{key}_pick",
    )
    return int(chosen) if chosen is not None else None


def _area(area: str, name: str) -> str:
    """'in Hamburg', 'in der PLZ-Region 2', 'bundesweit' (the name is shop data: escaped)."""
    return t(f"marketing_more.area_{area}", name=md(name))


# --- keyword ideas ------------------------------------------------------------------------------


def searches_table(ideas: KeywordIdeas) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("marketing_more.col_query"): [i.query for i in ideas.searches],
            t("marketing_more.col_missing"): [", ".join(i.missing) for i in ideas.searches],
            t("marketing_more.col_popularity"): [int(i.popularity) for i in ideas.searches],
            t("marketing_more.col_courses"): [int(i.courses) for i in ideas.searches],
        }
    )


def terms_table(ideas: KeywordIdeas) -> pd.DataFrame:
    top = max((term.score for term in ideas.terms), default=0.0) or 1.0
    return pd.DataFrame(
        {
            t("marketing_more.col_term"): [term.word for term in ideas.terms],
            t("marketing_more.col_used_by"): [int(term.courses) for term in ideas.terms],
            t("marketing_more.col_weight"): [round(term.score / top * 100) for term in ideas.terms],
        }
    )


def render_keywords(ctx: PageContext) -> None:
    """Search terms and words of similar courses that the chosen course's text lacks."""
    product_id = pick_course(ctx, key="mkt_kw")
    if product_id is None:
        return
    try:
        ideas = cached(keyword_ideas, ctx.viewer, ctx.db, product_id=product_id)
    except ScopeError as exc:
        show_refusal(exc)
        return
    st.caption(
        t("marketing_more.compared", n=ideas.similar, area=_area(ideas.area, ideas.area_name))
    )
    st.subheader(t("marketing_more.searches_title"))
    if ideas.searches:
        st.caption(t("marketing_more.searches_hint"))
        st.dataframe(searches_table(ideas), hide_index=True, width="stretch")
    else:
        st.info(t("marketing_more.no_searches"), icon=":material/search_off:")
    st.subheader(t("marketing_more.terms_title"))
    if ideas.terms:
        st.caption(t("marketing_more.terms_hint"))
        st.dataframe(terms_table(ideas), hide_index=True, width="stretch")
    else:
        st.info(t("marketing_more.no_terms"), icon=":material/info:")


# --- price position -----------------------------------------------------------------------------


def _rate(value: Decimal | None) -> str:
    return percent(value) if value is not None else "–"


def _trace(points: list[PricePoint], *, name: str, color: str, size: int) -> go.Scatter:
    return go.Scatter(
        x=[float(p.price) for p in points],
        y=[float(p.fill_rate or 0) * 100 for p in points],
        mode="markers",
        name=name,
        marker=dict(color=color, size=size, line=dict(width=1, color="white")),
        hovertemplate=f"{name}<br>{_EURO[locale()] % '%{x:,.2f}'}<br>%{{y:.0f}} %<extra></extra>",
    )


def price_chart(pos: PricePosition) -> go.Figure:
    """Price per person (x) against fill rate (y): the course, the partner's others, the rest."""
    shown = [p for p in pos.points if p.fill_rate is not None]
    fig = go.Figure()
    others = [p for p in shown if not p.mine]
    mine = [p for p in shown if p.mine]
    if others:
        fig.add_trace(_trace(others, name=t("marketing_more.chart_others"), color=OTHERS, size=11))
    if mine:
        fig.add_trace(_trace(mine, name=t("marketing_more.chart_mine"), color=MINE, size=11))
    r = pos.result
    if r.price is not None and r.fill_rate is not None:
        own = PricePoint(r.price, r.fill_rate, mine=True)
        fig.add_trace(_trace([own], name=t("marketing_more.chart_this"), color=OWN, size=18))
    fig.update_layout(
        separators=",." if locale() == "de" else ".,",
        height=340,
        margin=dict(l=8, r=8, t=8, b=8),
        legend=dict(orientation="h", yanchor="top", y=-0.18, x=0),
    )
    fig.update_xaxes(title=t("marketing_more.chart_x"), tickformat=",.0f", automargin=True)
    fig.update_yaxes(
        title=t("marketing_more.chart_y"), range=[0, 105], ticksuffix=" %", automargin=True
    )
    return fig


def _advice(pos: PricePosition) -> str:
    r = pos.result
    return t(
        f"marketing_more.advice_{r.advice}",
        fill=_rate(r.fill_rate),
        median=money(r.median_price) if r.median_price is not None else "–",
        cheaper=_rate(r.cheaper_fill),
    )


def render_price_position(ctx: PageContext) -> None:
    """The chosen course's price and fill rate among similar courses, and one advice."""
    product_id = pick_course(ctx, key="mkt_price")
    if product_id is None:
        return
    try:
        pos = cached(price_position, ctx.viewer, ctx.db, product_id=product_id)
    except ScopeError as exc:
        show_refusal(exc)
        return
    r = pos.result
    cols = st.columns(3)
    cols[0].metric(
        t("marketing_more.your_price"), money(r.price) if r.price is not None else "–", border=True
    )
    cols[1].metric(t("marketing_more.your_fill"), _rate(r.fill_rate), border=True)
    cols[2].metric(
        t("marketing_more.median_price"),
        money(r.median_price) if r.median_price is not None else "–",
        border=True,
    )
    st.caption(
        t("marketing_more.compared", n=pos.similar, area=_area(pos.area, pos.area_name))
        + " "
        + t("marketing_more.fill_basis", sold=number(pos.sold), seats=number(pos.seats))
    )
    if any(p.fill_rate is not None for p in pos.points) or r.fill_rate is not None:
        st.plotly_chart(
            price_chart(pos), width="stretch", config={"displayModeBar": False}, key="mkt_chart"
        )
    st.markdown(
        t("marketing_more.cheaper_dearer", cheaper=r.cheaper, cheaper_fill=_rate(r.cheaper_fill),
          dearer=r.dearer, dearer_fill=_rate(r.dearer_fill))
    )  # fmt: skip
    st.info(_advice(pos), icon=":material/lightbulb:")
    st.caption(t("marketing_more.no_automatic"))


# --- the Ratgeber -------------------------------------------------------------------------------


def wants_guide() -> bool:
    """Whether the URL names a Ratgeber page (the page opens the Ratgeber view then)."""
    return GUIDE_PARAM in st.query_params


def _chosen_slug(guides: list[Guide]) -> str:
    asked = st.query_params.get(GUIDE_PARAM)
    if asked is not None and not is_slug(asked):
        st.warning(t("marketing_more.guide_unknown"), icon=":material/help:")
    slugs = [g.slug for g in guides]
    return asked if asked in slugs else slugs[0]


def render_guides(ctx: PageContext) -> None:
    """The best-practice pages: one chosen by the URL or the select box, rendered safely."""
    guides = all_guides(locale())
    if not guides:
        st.info(t("marketing_more.no_guides"))
        return
    by_slug = {g.slug: g for g in guides}
    start = _chosen_slug(guides)
    slug = widgets.selectbox(
        st,
        t("marketing_more.guide"),
        list(by_slug),
        index=list(by_slug).index(start),
        format_func=lambda s: by_slug[s].title,
        key=f"mkt_guide_{start}",
    )
    if slug != st.query_params.get(GUIDE_PARAM):
        st.query_params[GUIDE_PARAM] = slug
    guide = by_slug[slug]
    with st.container(border=True):
        st.subheader(guide.title)
        # Our own Markdown, HTML already turned into text (marketing/guides.safe_markdown).
        st.markdown(guide.body, unsafe_allow_html=False)
