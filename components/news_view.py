"""Neuigkeiten: the partner's feed, the staff's editor with preview, the list with reads.

Announcements are Markdown that staff wrote; they are rendered only through
`core.markdown.safe_markdown` (raw HTML as text, no images, only http(s) links). Titles are
shown as text (`md`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

import pandas as pd
import streamlit as st

from components import menu_counts, widgets
from components.cache import viewer_partners
from components.confirm import done, form_token, new_form
from components.day_field import check_day, day_input
from components.feedback import show_refusal
from components.i18n import day, moment, t
from components.session import PageContext
from components.text import md
from core import periods
from core.clock import BERLIN, naive_utc, now_utc
from core.markdown import safe_markdown
from core.validation import InvalidInput
from data.news import announcements as news
from data.portal_schema import NEWS_CATEGORIES

_FORM = "news_editor"
log = logging.getLogger(__name__)


def _category(code: str) -> str:
    return t(f"news.category_{code}")


def _item(ctx: PageContext, row: pd.Series) -> None:
    announcement_id = int(row["announcement_id"])
    with st.container(border=True, key=f"news_item_{announcement_id}"):
        pin = ":material/push_pin: " if bool(row["pinned"]) else ""
        st.markdown(f"{pin}**{md(row['title'])}**")
        status = "" if bool(row["read"]) else f" · :blue-badge[{t('news.unread')}]"
        st.caption(f"{_category(str(row['category']))} · {day(row['publish_at'])}{status}")
        st.markdown(safe_markdown(str(row["body"])))
        if not bool(row["read"]) and st.button(
            t("news.mark_read"), key=f"news_read_{announcement_id}", icon=":material/done:"
        ):
            news.mark_read(ctx.viewer, ctx.db, announcement_ids=[announcement_id])
            menu_counts.forget()
            done(("success", t("news.marked", n=1)))


def render_feed(ctx: PageContext) -> None:
    """The viewer's announcements, pinned and newest first; mark one or all read."""
    items = news.feed(ctx.viewer, ctx.db)
    if items.empty:
        st.info(t("news.feed_empty"))
    else:
        unread = items.loc[~items["read"], "announcement_id"].tolist()
        if unread and st.button(
            t("news.mark_all_read", n=len(unread)), key="news_read_all", icon=":material/done_all:"
        ):
            marked = news.mark_read(ctx.viewer, ctx.db, announcement_ids=unread)
            menu_counts.forget()
            done(("success", t("news.marked", n=marked)))
        for _, row in items.iterrows():
            _item(ctx, row)
    if not ctx.viewer.is_staff:
        _digest_choice(ctx)


def _digest_choice(ctx: PageContext) -> None:
    chosen = news.digest_choice(ctx.viewer, ctx.db)
    wanted = st.toggle(t("news.digest_toggle"), value=chosen, key="news_digest")
    st.caption(t("news.digest_hint"))
    if wanted != chosen:
        news.save_digest_choice(ctx.viewer, ctx.db, weekly=wanted)
        done(("success", t("news.digest_on" if wanted else "news.digest_off")))


def newest_unread_card(ctx: PageContext) -> None:
    """The newest unread announcement on the Übersicht (nothing when all are read)."""
    items = news.feed(ctx.viewer, ctx.db, limit=20)
    unread = items[~items["read"]] if not items.empty else items
    if unread.empty:
        return
    row = unread.sort_values("publish_at", ascending=False).iloc[0]
    with st.container(border=True, key="overview_news"):
        st.markdown(f":material/campaign: **{t('news.overview_title')}** · {md(row['title'])}")
        st.caption(f"{_category(str(row['category']))} · {day(row['publish_at'])}")
        st.page_link(
            "pages/konto/neuigkeiten.py",
            label=t("news.overview_open"),
            icon=":material/arrow_forward:",
        )


# --- staff: write, preview, publish ------------------------------------------------------------


def _publish_at(where: st.delta_generator.DeltaGenerator) -> datetime | None:
    # Options are the labels themselves: AppTest formats a widget's value outside the run,
    # where a format_func would speak the default language.
    now_label, later_label = t("news.publish_now"), t("news.publish_later")
    choice = where.radio(
        t("news.field_publish"), [now_label, later_label], horizontal=True, key="news_publish"
    )
    st.session_state["news_publish_later"] = choice == later_label
    if choice != later_label:
        return now_utc()
    day_col, time_col = where.columns(2)
    chosen_day = day_input(day_col, t("news.field_day"), value=None, key="news_day")
    chosen_time = time_col.time_input(t("news.field_time"), value=time(9, 0), key="news_time")
    if chosen_day is None:
        return None
    return naive_utc(datetime.combine(chosen_day, chosen_time, tzinfo=BERLIN))


def _audience(ctx: PageContext) -> tuple[int, ...] | None:
    all_label, chosen_label = t("news.audience_all"), t("news.audience_chosen")
    choice = st.radio(
        t("news.field_audience"), [all_label, chosen_label], horizontal=True, key="news_all"
    )
    if choice == all_label:
        return ()
    choices = viewer_partners(ctx)
    names = dict(zip(choices["partner_id"].astype(int), choices["name"], strict=True))
    picked = widgets.multiselect(
        st, t("news.field_partners"), list(names), format_func=names.get, key="news_partners"
    )
    return tuple(picked) if picked else None


def render_editor(ctx: PageContext) -> None:
    """Staff write an announcement with a live preview and publish it now or later."""
    title = st.text_input(t("news.field_title"), max_chars=news.TITLE_MAX, key="news_title")
    labels = {_category(code): code for code in NEWS_CATEGORIES}
    category = labels[widgets.selectbox(st, t("news.field_category"), list(labels), key="news_cat")]
    partner_ids = _audience(ctx)
    pinned = st.checkbox(t("news.field_pinned"), key="news_pinned")
    publish_at = _publish_at(st)
    body = st.text_area(
        t("news.field_body"), height=220, help=t("news.field_body_help"), key="news_body"
    )
    with st.container(border=True, key="news_preview"):
        st.caption(t("news.preview"))
        st.markdown(f"**{md(title)}**" if title.strip() else f"_{t('news.preview_empty')}_")
        st.markdown(safe_markdown(body))
    if st.button(t("news.save"), type="primary", key="news_save", icon=":material/send:"):
        _save(ctx, title, body, category, partner_ids, pinned, publish_at)


def _save(
    ctx: PageContext,
    title: str,
    body: str,
    category: str,
    partner_ids: tuple[int, ...] | None,
    pinned: bool,
    publish_at: datetime | None,
) -> None:
    try:
        if partner_ids is None:
            raise InvalidInput("news.partners_missing")
        if publish_at is None:
            raise InvalidInput("news.day_missing")
        if st.session_state.get("news_publish_later"):
            check_day(
                publish_at.replace(tzinfo=UTC).astimezone(BERLIN).date(),
                first=periods.berlin_today(),
            )
        draft = news.Draft(title, body, category, publish_at, partner_ids, pinned)
        news.save_announcement(ctx.viewer, ctx.db, draft=draft, token=form_token(_FORM))
    except InvalidInput as refusal:
        show_refusal(refusal)
        return
    new_form(_FORM)
    for key in ("news_title", "news_body", "news_pinned", "news_partners"):
        st.session_state.pop(key, None)
    later = publish_at > now_utc()
    done(("success", t("news.scheduled" if later else "news.published", when=moment(publish_at))))


def render_list(ctx: PageContext) -> None:
    """Every announcement with its status and how many of its partners read it."""
    items = news.staff_list(ctx.viewer, ctx.db)
    if items.empty:
        st.info(t("news.list_empty"))
        return
    now = now_utc()
    status = [
        t("news.status_withdrawn")
        if pd.notna(w)
        else t("news.status_scheduled" if p > now else "news.status_live")
        for p, w in zip(items["publish_at"], items["withdrawn_at"], strict=True)
    ]
    table = pd.DataFrame(
        {
            t("news.col_title"): items["title"].tolist(),
            t("news.col_category"): [_category(c) for c in items["category"]],
            t("news.col_published"): [moment(v) for v in items["publish_at"]],
            t("news.col_status"): status,
            t("news.col_read"): [
                t("news.read_share", read=int(r), audience=int(a))
                for r, a in zip(items["partners_read"], items["audience"], strict=True)
            ],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    _withdraw(ctx, items)


def _withdraw(ctx: PageContext, items: pd.DataFrame) -> None:
    live = items[items["withdrawn_at"].isna()]
    if live.empty:
        return
    titles = dict(zip(live["announcement_id"].astype(int), live["title"], strict=True))
    chosen = widgets.selectbox(
        st, t("news.withdraw_pick"), list(titles), format_func=titles.get, key="news_withdraw_id"
    )
    if st.button(t("news.withdraw"), key="news_withdraw", icon=":material/unpublished:"):
        news.withdraw_announcement(ctx.viewer, ctx.db, announcement_id=int(chosen))
        done(("success", t("news.withdrawn", title=md(titles[int(chosen)]))))
