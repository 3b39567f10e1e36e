"""Integrationen: the booking widget's settings, its embed code and live preview, and the
widget traffic table.

The embed code is built here from the partner's public key and its choices; every URL in it
comes from core/links.py. The key is pattern-checked (pk_…), the colour a #rrggbb value, the
course an id, the language and view fixed words: nothing a user types reaches the HTML
unchecked, and each attribute value is escaped all the same.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components import widgets
from components.i18n import day, t
from core import links
from data.integrations.widget import WidgetCourse

DEFAULT_COLOR = "#B0295A"
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
VIEWS = ("list", "calendar")
LANGS = ("de", "en")
PREVIEW_HEIGHT = 640


@dataclass(frozen=True)
class WidgetChoice:
    courses: tuple[int, ...]
    view: str
    color: str
    lang: str

    def attributes(self) -> dict[str, str]:
        attrs = {"lang": self.lang, "view": self.view, "color": self.color}
        if self.courses:
            attrs["course"] = ",".join(str(pid) for pid in self.courses)
        return attrs


def embed_code(key: str, choice: WidgetChoice, *, base: str | None = None) -> str:
    """The snippet a partner pastes into its website: script, container, noscript link."""
    attrs = "".join(f' data-{name}="{html.escape(value)}"' for name, value in
                    choice.attributes().items())  # fmt: skip
    # Without script: the course's (or the shop's) own page, where the dates can be booked.
    one = len(choice.courses) == 1
    shop = links.shop_course_url(choice.courses[0]) if one else links.SHOP_URL
    return (
        f'<script src="{html.escape(links.widget_script_url(base=base))}" async></script>\n'
        f'<div data-miomente-partner="{html.escape(key)}"{attrs}></div>\n'
        f'<noscript><a href="{html.escape(shop)}">'
        f"{html.escape(t('widget.ui.noscript'))}</a></noscript>"
    )


def iframe_code(key: str, choice: WidgetChoice, *, base: str | None = None) -> str:
    """The fallback for sites that allow no third-party script."""
    frame = links.widget_frame_url(key, choice.attributes(), base=base)
    return (
        f'<iframe src="{html.escape(frame)}" title="{html.escape(t("widget.ui.title"))}" '
        f'data-miomente-frame style="width:100%;height:{PREVIEW_HEIGHT}px;border:0" '
        'loading="lazy"></iframe>'
    )


def choose(courses: list[WidgetCourse]) -> WidgetChoice:
    """The partner's choices: courses (none: all), view, colour, language."""
    names = {c.product_id: c.name for c in courses}
    left, right = st.columns(2)
    chosen = widgets.multiselect(
        left,
        t("integrations.course"),
        list(names),
        format_func=lambda pid: names[pid],
        placeholder=t("integrations.all_courses"),
        help=t("integrations.course_help"),
        key="widget_course",
    )
    view = right.radio(
        t("integrations.view"),
        VIEWS,
        format_func=lambda v: t(f"widget.ui.{v}"),
        horizontal=True,
        key="widget_view",
    )
    color = left.color_picker(t("integrations.color"), DEFAULT_COLOR, key="widget_color")
    lang = right.radio(
        t("integrations.language"),
        LANGS,
        format_func=lambda code: t(f"language.{code}"),
        horizontal=True,
        key="widget_lang",
    )
    color = color if _COLOR.fullmatch(color or "") else DEFAULT_COLOR
    return WidgetChoice(
        courses=tuple(sorted(chosen)), view=view or "list", color=color, lang=lang or "de"
    )


def show_code(key: str, choice: WidgetChoice) -> None:
    st.subheader(t("integrations.code_title"))
    st.caption(t("integrations.code_caption"))
    st.code(embed_code(key, choice), language="html", wrap_lines=True)
    with st.expander(t("integrations.iframe_title")):
        st.caption(t("integrations.iframe_caption"))
        st.code(iframe_code(key, choice), language="html", wrap_lines=True)
    st.caption(t("integrations.events_caption"))


def show_preview(key: str, choice: WidgetChoice) -> None:
    st.subheader(t("integrations.preview_title"))
    st.caption(t("integrations.preview_caption", url=links.api_url()))
    st.iframe(links.widget_frame_url(key, choice.attributes()), height=PREVIEW_HEIGHT)


def show_traffic(traffic: pd.DataFrame, *, per_partner: bool) -> None:
    st.subheader(t("integrations.traffic_title"))
    if traffic.empty:
        st.info(t("integrations.traffic_empty"))
        return
    columns = ["day", *(["partner"] if per_partner else []), "views", "clicks"]
    table = traffic[columns].copy()
    table["day"] = [day(value) for value in table["day"]]
    labels = {
        "day": t("integrations.traffic_day"),
        "partner": t("integrations.traffic_partner"),
        "views": t("integrations.traffic_views"),
        "clicks": t("integrations.traffic_clicks"),
    }
    st.dataframe(table.rename(columns=labels), hide_index=True, width="stretch")
    totals = traffic[["views", "clicks"]].sum()
    st.caption(
        t("integrations.traffic_total", views=int(totals["views"]), clicks=int(totals["clicks"]))
    )
