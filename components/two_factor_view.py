"""Two-factor sign-in screens: the login's code step, enrolment (QR code, key, first code,
recovery codes), the section under Einstellungen, the staff gate and the staff reset.

State lives in the server-side session only: the user waiting for the code step (never a
cookie), the enrolment being set up, the recovery codes until the user says they are saved.
"""

from __future__ import annotations

import time
from datetime import UTC

import streamlit as st

from components import session, widgets
from components.feedback import show_refusal
from components.i18n import locale, t
from components.text import md
from core import i18n
from core import totp as codes
from core.db import Databases
from core.errors import Refusal
from core.settings import Settings
from data.access import totp
from data.access.users import User, load_user
from data.access.viewer import Viewer

PENDING_KEY = "_auth_2fa_pending"  # (user id, time.monotonic() of the correct password)
PENDING_SECONDS = 300.0  # the code step must follow the password within five minutes
_ENROLL_KEY = "_totp_enrollment"
_RECOVERY_KEY = "_totp_recovery_codes"
_CHECKED_KEY = "_totp_checked_user"  # the staff user whose enrolment was found, once a session

# Phones show a digit keypad for the code field: Streamlit's text input has no inputmode, so
# this sets it on every field marked autocomplete="one-time-code" (which also lets iOS and
# Android offer the code from the keyboard's bar).
_NUMERIC_JS = """
export default function () {
  const mark = () => document
    .querySelectorAll('input[autocomplete="one-time-code"]:not([inputmode])')
    .forEach((el) => el.setAttribute("inputmode", "numeric"));
  mark();
  if (!window.__miomenteOtpObserver) {
    window.__miomenteOtpObserver = new MutationObserver(mark);
    window.__miomenteOtpObserver.observe(document.body, { childList: true, subtree: true });
  }
}
"""
_numeric_component = st.components.v2.component("miomente_numeric_code", js=_NUMERIC_JS)


def _code_field(label: str, *, key: str) -> str:
    return (
        st.text_input(
            label,
            key=key,
            max_chars=12,
            autocomplete="one-time-code",
            placeholder=t("totp.code_placeholder"),
        )
        or ""
    )


def _code_or_recovery(label: str, *, key: str) -> str:
    """The code field (digit keypad) and, folded away, one for a recovery code (letters)."""
    code = _code_field(label, key=key)
    with st.expander(t("totp.use_recovery")):
        recovery = st.text_input(
            t("totp.recovery_code"), key=f"{key}_recovery", max_chars=20, autocomplete="off"
        )
    return code.strip() or (recovery or "").strip()


def _numeric_keypad() -> None:
    _numeric_component(key="numeric_code", height=0)


# --- the login's second step -------------------------------------------------------------


def ask_for_code(user: User) -> None:
    """After a correct password of a user with 2FA: the next run shows the code step."""
    st.session_state[PENDING_KEY] = (user.user_id, time.monotonic())


def pending_user_id() -> int | None:
    pending = st.session_state.get(PENDING_KEY)
    if pending is None:
        return None
    user_id, started = pending
    if time.monotonic() - started > PENDING_SECONDS:
        st.session_state.pop(PENDING_KEY, None)
        st.warning(t("totp.login_expired"))
        return None
    return int(user_id)


def code_step(db: Databases, settings: Settings, user_id: int) -> User | None:
    """The code form; returns the user (with a fresh server-side session) once it was right."""
    box = st.empty()
    with box.container():
        st.title(t("app.title"))
        with st.form("login_code", clear_on_submit=True):
            st.subheader(t("totp.login_title"))
            st.caption(t("totp.login_intro"))
            code = _code_or_recovery(t("totp.login_code"), key="login_totp_code")
            submitted = st.form_submit_button(
                t("totp.login_submit"), type="primary", width="stretch"
            )
        _numeric_keypad()
        if st.button(t("totp.login_back"), key="login_totp_back", icon=":material/arrow_back:"):
            st.session_state.pop(PENDING_KEY, None)
            st.rerun()
        if not submitted:
            return None
        result = totp.login_step(db, user_id=user_id, code=code)
        if result.outcome is totp.CodeOutcome.EMPTY:
            st.warning(t("totp.login_empty"))
            return None
        if result.outcome is totp.CodeOutcome.LOCKED:
            until = result.locked_until.replace(tzinfo=UTC) if result.locked_until else None
            when = i18n.time_of_day(until, locale()) if until else ""
            st.error(t("totp.login_locked", time=when))
            return None
        if result.outcome is totp.CodeOutcome.INVALID:
            st.error(t("totp.login_invalid"))
            return None
        user = load_user(db, user_id=user_id)
        if user is None:  # deactivated or locked meanwhile
            st.session_state.pop(PENDING_KEY, None)
            st.error(t("login.invalid"))
            return None
    box.empty()
    st.session_state.pop(PENDING_KEY, None)
    st.session_state[_CHECKED_KEY] = user.user_id
    if result.outcome is totp.CodeOutcome.RECOVERY:
        st.session_state["_flash_totp_recovery"] = result.recovery_left
    session.start_session(db, settings, user)
    return user


def recovery_notice() -> None:
    """Once after a login with a recovery code: how many are left."""
    left = st.session_state.pop("_flash_totp_recovery", None)
    if left is not None:
        st.warning(t("totp.recovery_used", n=left), icon=":material/key:")


# --- enrolment ---------------------------------------------------------------------------


def _enrollment(viewer: Viewer, db: Databases) -> None:
    """QR code and key of the enrolment in progress, and the form for the first code."""
    started = st.session_state.get(_ENROLL_KEY)
    if not isinstance(started, totp.Enrollment):
        started = totp.start_enrollment(viewer, db)
        st.session_state[_ENROLL_KEY] = started
    st.markdown(t("totp.step_scan"))
    st.image(codes.qr_svg(started.uri), width=220, alt=t("totp.qr_alt"))
    st.caption(t("totp.step_manual"))
    st.code(codes.grouped(started.secret), language=None)
    with st.form("totp_confirm", clear_on_submit=True):
        st.markdown(t("totp.step_confirm"))
        code = _code_field(t("totp.code"), key="totp_confirm_code")
        confirmed = st.form_submit_button(t("totp.confirm"), type="primary", width="stretch")
    _numeric_keypad()
    if confirmed:
        try:
            fresh = totp.confirm_enrollment(viewer, db, code=code)
        except Refusal as exc:
            show_refusal(exc)
        else:
            st.session_state.pop(_ENROLL_KEY, None)
            st.session_state[_RECOVERY_KEY] = fresh
            st.session_state[_CHECKED_KEY] = viewer.user_id
            st.rerun()


def _recovery_codes(user: User) -> bool:
    """The fresh recovery codes, shown once, until the user says they are saved."""
    fresh = st.session_state.get(_RECOVERY_KEY)
    if not fresh:
        return False
    st.success(t("totp.enabled_done"), icon=":material/verified_user:")
    st.subheader(t("totp.recovery_title"))
    st.caption(t("totp.recovery_intro"))
    st.code("\n".join(fresh), language=None)
    st.download_button(
        t("totp.recovery_download"),
        data=codes.recovery_file(fresh, account=user.username),
        file_name="miomente-wiederherstellungscodes.txt",
        mime="text/plain",
        icon=":material/download:",
        key="totp_recovery_download",
    )
    if st.button(t("totp.recovery_done"), key="totp_recovery_done", type="primary"):
        st.session_state.pop(_RECOVERY_KEY, None)
        st.rerun()
    return True


def staff_gate(db: Databases, settings: Settings, user: User) -> bool:
    """Staff without 2FA (when MIOMENTE_STAFF_2FA is on) see only the enrolment; True while
    the gate is shown (the caller then draws nothing else)."""
    if not (settings.staff_2fa and user.viewer.is_staff):
        return False
    if st.session_state.get(_RECOVERY_KEY):
        _recovery_codes(user)
        return True
    if st.session_state.get(_CHECKED_KEY) == user.user_id:
        return False
    if totp.is_enabled(db, user_id=user.user_id):
        st.session_state[_CHECKED_KEY] = user.user_id
        return False
    st.title(t("totp.required_title"))
    st.info(t("totp.required_intro"), icon=":material/shield_lock:")
    _enrollment(user.viewer, db)
    st.button(t("login.logout"), key="totp_gate_logout", on_click=session.logout)
    return True


# --- Einstellungen -----------------------------------------------------------------------


def render_settings(ctx: session.PageContext) -> None:
    """On, off, or being set up, for the viewer's own account."""
    own = ctx.user.viewer  # the account's own login, also while staff view as a partner
    st.subheader(t("totp.title"))
    if _recovery_codes(ctx.user):
        return
    state = totp.status(own, ctx.db)
    if state.enabled:
        st.success(t("totp.enabled", n=state.recovery_left), icon=":material/verified_user:")
        if own.is_staff:
            st.caption(t("totp.staff_required"))
            return
        with st.form("totp_disable", clear_on_submit=True):
            st.caption(t("totp.disable_hint"))
            code = _code_or_recovery(t("totp.code"), key="totp_disable_code")
            off = st.form_submit_button(t("totp.disable"))
        _numeric_keypad()
        if off:
            try:
                totp.disable(own, ctx.db, code=code)
            except Refusal as exc:
                show_refusal(exc)
            else:
                st.session_state.pop(_CHECKED_KEY, None)
                st.success(t("totp.disabled_done"))
        return
    st.caption(t("totp.intro"))
    if st.session_state.get(_ENROLL_KEY) is None:
        st.markdown(f":material/shield: {t('totp.disabled')}")
        if st.button(t("totp.enable"), key="totp_enable", type="primary"):
            st.session_state[_ENROLL_KEY] = totp.start_enrollment(own, ctx.db)
            st.rerun()
        return
    _enrollment(own, ctx.db)
    if st.button(t("totp.cancel"), key="totp_cancel"):
        st.session_state.pop(_ENROLL_KEY, None)
        st.rerun()


# --- staff reset -------------------------------------------------------------------------


def render_reset(ctx: session.PageContext, *, partner_id: int | None) -> None:
    """Staff: reset the 2FA of one of a partner's logins (or, with None, a team member's)."""
    scope = "staff" if partner_id is None else f"p{partner_id}"
    accounts = dict(totp.accounts_with_2fa(ctx.user.viewer, ctx.db, partner_id=partner_id))
    if not accounts:
        st.caption(t("totp.reset_staff_none" if partner_id is None else "totp.reset_none"))
        return
    label = t("totp.reset_staff_choose" if partner_id is None else "totp.reset_choose")
    account = widgets.selectbox(
        st,
        label,
        list(accounts),
        format_func=lambda uid: accounts.get(uid, str(uid)),
        key=f"totp_reset_{scope}",
    )
    if st.button(t("totp.reset_button"), key=f"totp_reset_{scope}_go", icon=":material/key_off:"):
        try:
            totp.reset(ctx.user.viewer, ctx.db, user_id=int(account))
        except Refusal as exc:
            show_refusal(exc)
        else:
            st.success(t("totp.reset_done", name=md(accounts[account])))
