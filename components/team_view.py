"""The partner's team on Einstellungen: the owner invites, changes roles and removes members;
every member chooses which events reach them. And the join form an invitation link opens
(`?einladung=…`, core/links.py) in place of the login.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from components import confirm, widgets
from components.feedback import show_refusal
from components.i18n import moment, t
from components.session import PageContext
from components.text import md
from core import links
from core.db import Databases
from core.validation import InvalidInput
from data.access.permissions import MEMBER_ROLES, ROLE_TEAM, TEAM_MANAGE, allows
from data.access.team import (
    Invitation,
    accept_invitation,
    change_role,
    invitation_of,
    invite_member,
    list_members,
    my_prefs,
    open_invitations,
    remove_member,
    save_my_prefs,
)
from data.access.users import User
from data.access.viewer import ScopeError
from data.comms.notifications import EVENT_PERMISSION

_REMOVE_KEY = "team_remove_pending"


def role_label(member_role: str | None) -> str:
    return t(f"team.role_{member_role or 'owner'}")


# --- the join form (before the login) ----------------------------------------------------------


def join_form(db: Databases, token: str) -> User | bool | None:
    """The invitation link's form. A User once joined (the caller logs them in), None while
    the form is shown, False when the link does not (or no longer) work: the login follows."""
    invitation = invitation_of(db, token=token)
    if invitation is None:
        st.error(t("team.invitation_invalid"))
        return False
    box = st.empty()  # emptied once joined: the page of the new member follows alone
    with box.container():
        joined = _join_form(db, token, invitation)
    if joined is None:
        return None
    box.empty()
    del st.query_params[links.INVITATION_PARAM]
    return joined


def _join_form(db: Databases, token: str, invitation: Invitation) -> User | None:
    st.title(t("app.title"))
    with st.form("team_join", clear_on_submit=False):
        st.subheader(t("team.join_title", partner=md(invitation.partner_name)))
        st.caption(
            t(
                "team.join_intro",
                email=md(invitation.email),
                role=role_label(invitation.member_role),
            )
            + " "
            + t("password.rules")
        )
        name = st.text_input(t("team.join_name"), key="join_name", autocomplete="name")
        username = st.text_input(
            t("team.join_username"), key="join_username", autocomplete="username"
        )
        password = st.text_input(
            t("password.new"), type="password", key="join_password", autocomplete="new-password"
        )
        repeated = st.text_input(
            t("password.repeat"), type="password", key="join_repeat", autocomplete="new-password"
        )
        submitted = st.form_submit_button(t("team.join_submit"), type="primary", width="stretch")
    if not submitted:
        return None
    try:
        user = accept_invitation(
            db,
            token=token,
            username=username,
            display_name=name,
            password=password,
            repeated=repeated,
        )
    except InvalidInput as exc:
        show_refusal(exc)
        return None
    return user


# --- the owner's team section -----------------------------------------------------------------


def render_team(ctx: PageContext) -> None:
    """The Team section (the owner's, or staff viewing as a partner) and the member's own
    notification choices."""
    viewer = ctx.viewer
    if viewer.partner_id is not None and allows(viewer, TEAM_MANAGE):
        st.subheader(t("team.title"))
        st.caption(t("team.intro"))
        _members(ctx)
        _invitations(ctx)
        _invite_form(ctx)
    if not ctx.user.viewer.is_staff:
        _my_prefs(ctx)


def _members(ctx: PageContext) -> None:
    members = list_members(ctx.viewer, ctx.db)
    for row in members.to_dict("records"):
        user_id = int(row["user_id"])
        with st.container(border=True):
            st.markdown(
                f"**{md(row['display_name'])}** · {md(row['username'])} · {md(row['email'])}"
            )
            if user_id == ctx.user.user_id:
                st.caption(t("team.you", role=role_label(row["member_role"])))
                continue
            left, middle, right = st.columns([3, 2, 2], vertical_alignment="bottom")
            chosen = _role_choice(left, key=f"team_role_{user_id}", current=str(row["member_role"]))
            if middle.button(t("team.change_role"), key=f"team_change_{user_id}"):
                _act(
                    lambda uid=user_id, role=chosen: change_role(
                        ctx.viewer, ctx.db, user_id=uid, member_role=role
                    ),
                    t("team.role_changed", name=md(row["display_name"]), role=role_label(chosen)),
                )
            if right.button(
                t("team.remove"), key=f"team_remove_{user_id}", icon=":material/person_remove:"
            ):
                confirm.ask_first(_REMOVE_KEY, user_id)
            confirm.confirm_action(
                _REMOVE_KEY,
                user_id,
                warning=lambda name=row["display_name"]: t("team.remove_warning", name=md(name)),
                button_label=t("team.remove_confirm"),
                button_key=f"team_remove_yes_{user_id}",
                on_confirm=lambda uid=user_id, name=row["display_name"]: _removed(ctx, uid, name),
            )


def _role_choice(where: Any, *, key: str, current: str) -> str:
    """A role picker. The options are the labels themselves (not a format_func that reads the
    session's language), so the widget's value is plain text in any language."""
    labels = {role_label(role): role for role in MEMBER_ROLES}
    chosen = widgets.selectbox(
        where, t("team.role"), list(labels), index=MEMBER_ROLES.index(current), key=key
    )
    return labels.get(chosen, current)


def _removed(ctx: PageContext, user_id: int, name: str) -> None:
    ended = remove_member(ctx.viewer, ctx.db, user_id=user_id)
    confirm.flash("success", t("team.removed", name=md(name), n=ended))


def _act(action: Callable[[], object], message: str) -> None:
    try:
        action()
    except (InvalidInput, ScopeError) as exc:
        show_refusal(exc)
        return
    confirm.done(("success", message))


def _invitations(ctx: PageContext) -> None:
    pending = open_invitations(ctx.viewer, ctx.db)
    if pending.empty:
        return
    st.markdown(f"**{t('team.pending_title')}**")
    for row in pending.to_dict("records"):
        st.markdown(
            "- "
            + t(
                "team.pending_row",
                email=md(row["email"]),
                role=role_label(row["member_role"]),
                until=moment(pd.Timestamp(row["expires_at"]).to_pydatetime()),
            )
        )


def _invite_form(ctx: PageContext) -> None:
    with st.form("team_invite", clear_on_submit=True):
        st.markdown(f"**{t('team.invite_title')}**")
        email = st.text_input(t("team.invite_email"), key="team_invite_email")
        role = _role_choice(st, key="team_invite_role", current=ROLE_TEAM)
        st.caption(t("team.roles_help"))
        submitted = st.form_submit_button(
            t("team.invite_submit"), type="primary", icon=":material/person_add:"
        )
    if submitted:
        _act(
            lambda: invite_member(ctx.viewer, ctx.db, email=email, member_role=role),
            t("team.invited", email=md(email.strip().lower())),
        )


# --- each member's own choices ------------------------------------------------------------------


def _my_prefs(ctx: PageContext) -> None:
    st.subheader(t("team.my_title"))
    st.caption(t("team.my_intro"))
    prefs = my_prefs(ctx.viewer, ctx.db)
    with st.form("my_prefs"):
        for row in prefs.events.to_dict("records"):
            event = row["event"]
            if not allows(ctx.viewer, EVENT_PERMISSION[event]):
                continue  # the role never receives it (Team: no payouts)
            label, left, right = st.columns([3, 1, 1], vertical_alignment="center")
            label.markdown(t(f"notifications.event_{event}"))
            left.checkbox(
                t("notifications.col_email"),
                value=bool(row["email_enabled"]),
                key=f"my_{event}_email_enabled",
            )
            right.checkbox(
                t("notifications.col_sms"),
                value=bool(row["sms_enabled"]),
                key=f"my_{event}_sms_enabled",
            )
        phone = st.text_input(t("notifications.col_phone"), value=prefs.phone, key="my_phone")
        start, end = st.columns(2)
        quiet_from = start.text_input(
            t("team.quiet_from"), value=prefs.quiet_from, placeholder="21:00", key="my_quiet_from"
        )
        quiet_until = end.text_input(
            t("team.quiet_until"),
            value=prefs.quiet_until,
            placeholder="07:00",
            key="my_quiet_until",
        )
        digest = st.checkbox(t("team.daily_digest"), value=prefs.daily_digest, key="my_digest")
        submitted = st.form_submit_button(t("team.my_save"), type="primary")
    if not submitted:
        return
    events = [
        {
            "event": e,
            "email_enabled": st.session_state[f"my_{e}_email_enabled"],
            "sms_enabled": st.session_state[f"my_{e}_sms_enabled"],
        }
        for e in prefs.events["event"]
        if f"my_{e}_email_enabled" in st.session_state
    ]
    try:
        save_my_prefs(
            ctx.viewer,
            ctx.db,
            events=events,
            phone=phone,
            quiet_from=quiet_from,
            quiet_until=quiet_until,
            daily_digest=digest,
        )
    except (InvalidInput, ScopeError) as exc:
        show_refusal(exc)
    else:
        st.success(t("notifications.saved"))
