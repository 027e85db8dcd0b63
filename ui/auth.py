"""The login gate of a team deployment: sign-in form, signed cookie, idle timeout, logout.

Team mode is on when ``$PSP_USERS`` names a users file (see :mod:`geo.users`): every page
then requires a signed-in user, checked again on every rerun (a disabled account, a role
change or "log out everywhere" takes effect on the user's next click). Without it the app
runs in single-user mode as the local administrator, which is only allowed while the
server listens on this machine alone.

streamlit-authenticator's :class:`Authenticate` provides the re-authentication cookie: a
JWT signed with ``$PSP_COOKIE_KEY`` (or a key generated beside the users file), whose
lifetime equals the idle timeout and which is renewed while the user is active, so that
reopening the app after the timeout asks for the password again. The form and the
password check are this module's own (keyed widgets, :func:`geo.users.authenticate`), so
lockout, disabled accounts and the audit of failures apply; the library's form cannot
express them.

Settings (environment): ``PSP_SESSION_TIMEOUT_MIN`` (30), ``PSP_MAX_FAILED_LOGINS`` (5),
``PSP_LOCKOUT_MIN`` (15), ``PSP_LOGIN_FAILURE_DELAY_S`` (1, doubled per failure, at most 8).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth

import ui
from geo import users
from geo.audit import AuditAction, record
from geo.errors import InputError, PlannerError
from geo.i18n import Language, translate
from geo.permissions import Viewer

logger = logging.getLogger(__name__)

USERS_ENV = "PSP_USERS"
COOKIE_KEY_ENV = "PSP_COOKIE_KEY"
TIMEOUT_ENV = "PSP_SESSION_TIMEOUT_MIN"
MAX_FAILURES_ENV = "PSP_MAX_FAILED_LOGINS"
LOCKOUT_ENV = "PSP_LOCKOUT_MIN"
FAILURE_DELAY_ENV = "PSP_LOGIN_FAILURE_DELAY_S"
#: Name of the re-authentication cookie.
COOKIE_NAME = "psp_auth"
#: The session's viewer while nobody is signed in (a role with no permission at all).
SIGNED_OUT = Viewer(name="signed out", role="viewer")
#: Actor of audit entries for sign-in attempts that did not succeed.
ANONYMOUS = "anonymous"
#: Addresses on which single-user (no login) mode is allowed; None is AppTest's.
LOOPBACK_ADDRESSES = frozenset({"localhost", "127.0.0.1", "::1"})
#: Headers a reverse proxy adds; their presence means the request came over a network.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host")

# Session-state keys of the gate (widget keys are auth_username, auth_password, ...).
USER_KEY = "auth_user"
SIGNED_IN_AT_KEY = "auth_signed_in_at"
LAST_ACTIVE_KEY = "auth_last_active"
COOKIE_AT_KEY = "auth_cookie_at"
NOTICE_KEY = "auth_notice"
END_REQUEST_KEY = "auth_end_request"
_SESSION_KEYS = (USER_KEY, SIGNED_IN_AT_KEY, LAST_ACTIVE_KEY, COOKIE_AT_KEY, "viewer")

_END_NOTICES = {
    "logout": "You are signed out.",
    "everywhere": "You are signed out on every device.",
    "timeout": "Your session ended after {minutes} minutes without activity; sign in again.",
    "revoked": "Your session was ended by an administrator or from another device; sign in again.",
    "disabled": "This account is disabled; ask an administrator to enable it.",
    "unknown_user": "This account no longer exists; ask an administrator.",
}


def now() -> datetime:
    """Return the current time in UTC (tests replace this to move the clock)."""
    return datetime.now(UTC)


def pause(seconds: float) -> None:
    """Wait before answering a failed sign-in (tests replace this)."""
    if seconds > 0:
        time.sleep(seconds)


@dataclass(frozen=True)
class TeamConfig:
    """Where the users are and how sign-in behaves, read from the environment."""

    users_path: Path
    cookie_key: str
    policy: users.LoginPolicy

    @property
    def cookie_expiry_days(self) -> float:
        """Lifetime of the cookie: the idle timeout (renewed while the user is active)."""
        return self.policy.session_timeout_minutes / (24 * 60)

    @property
    def cookie_refresh(self) -> timedelta:
        """How often an active session renews its cookie."""
        return timedelta(minutes=min(5.0, self.policy.session_timeout_minutes / 3))


def team_config(environ: Mapping[str, str] | None = None) -> TeamConfig | None:
    """Return the team configuration, or None in single-user mode (no ``$PSP_USERS``).

    Raises
    ------
    InputError
        When the users file is inside the repository, missing or without users, a
        setting is not a number, or the cookie key is too short.
    """
    env = os.environ if environ is None else environ
    value = env.get(USERS_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if path.is_relative_to(ui.APP_ROOT):
        raise InputError(
            f"{USERS_ENV}={path} is inside the application folder; keep the users file "
            "outside the repository (e.g. /etc/psp/users.yaml) so it is never committed"
        )
    if not users.has_users(path):
        raise InputError(
            f"{USERS_ENV}={path} has no users yet; create the first administrator with "
            f"'python -m geo users --file {path} create-admin USERNAME --name \"Full Name\"'"
        )
    key = env.get(COOKIE_KEY_ENV, "").strip()
    if key:
        users.check_cookie_key(key, source=COOKIE_KEY_ENV)
    else:
        key = users.ensure_cookie_key(path)
    policy = users.LoginPolicy(
        max_failed_attempts=int(_number(env, MAX_FAILURES_ENV, 5)),
        lockout_minutes=_number(env, LOCKOUT_ENV, 15),
        failure_delay_s=_number(env, FAILURE_DELAY_ENV, 1),
        session_timeout_minutes=_number(env, TIMEOUT_ENV, 30),
    )
    return TeamConfig(users_path=path, cookie_key=key, policy=policy)


def require_login(lang: Language) -> Viewer:
    """Return who is looking; in team mode show the sign-in form and stop until signed in.

    In single-user mode this is the local administrator (or the viewer set in the
    session by a test), and only on a server that listens on this machine alone.
    """
    try:
        config = team_config()
    except InputError as exc:
        # The reason names server paths: it goes to the server log, not to visitors.
        logger.error("sign-in is not configured correctly: %s", exc)
        st.error(
            translate("Sign-in is not configured correctly", lang)
            + "; "
            + translate("the administrator finds the reason in the server log.", lang)
        )
        st.stop()
    if config is None:
        _refuse_single_user_on_network(lang)
        return ui.current_viewer()
    with st.sidebar:
        # The library's CookieManager is an invisible component: render it out of the way.
        authenticator = stauth.Authenticate(
            {"usernames": {}},
            COOKIE_NAME,
            config.cookie_key,
            config.cookie_expiry_days,
            auto_hash=False,
        )
        viewer = _resume_session(config, authenticator, lang)
    if viewer is None:
        # Never absent in team mode: ui.current_viewer() would fall back to the local admin.
        st.session_state["viewer"] = SIGNED_OUT
        _show_sign_in(config, lang)
        st.stop()
    _show_sign_out(config, viewer, lang)
    return viewer


# -- sessions ----------------------------------------------------------------------------


def _resume_session(
    config: TeamConfig, authenticator: stauth.Authenticate, lang: Language
) -> Viewer | None:
    """Return the signed-in viewer after this run's checks, or None (session ended)."""
    state = st.session_state
    moment = now()
    request = state.pop(END_REQUEST_KEY, None)
    if request is not None:
        _end_session(authenticator, request, lang)
        return None
    username = state.get(USER_KEY)
    last_active = state.get(LAST_ACTIVE_KEY)
    if username is None:
        username = _sign_in_from_cookie(config, authenticator)
        if username is None:
            return None
    elif last_active is None or config.policy.is_idle(last_active, moment):
        _end_session(authenticator, "timeout", lang, config=config)
        return None
    try:
        user = users.get_user(config.users_path, username)
    except InputError as exc:
        logger.error("cannot read the users file: %s", exc)
        _end_session(authenticator, "revoked", lang)
        return None
    signed_in_at = state.get(SIGNED_IN_AT_KEY) or datetime.min.replace(tzinfo=UTC)
    reason = users.session_end_reason(user, signed_in_at=signed_in_at)
    if reason is not None or user is None:
        _end_session(authenticator, reason or "unknown_user", lang)
        return None
    state[LAST_ACTIVE_KEY] = moment
    state["viewer"] = user.viewer
    last_cookie = state.get(COOKIE_AT_KEY)
    if last_cookie is None or moment - last_cookie >= config.cookie_refresh:
        authenticator.cookie_controller.set_cookie()
        state[COOKIE_AT_KEY] = moment
    return user.viewer


def _sign_in_from_cookie(config: TeamConfig, authenticator: stauth.Authenticate) -> str | None:
    """Start a session from a valid re-authentication cookie; return the username."""
    token = authenticator.cookie_controller.get_cookie()
    if not token:
        return None
    try:
        username = users.normalise_username(str(token["username"]))
        expires = datetime.fromtimestamp(float(token["exp_date"]), UTC)
        user = users.get_user(config.users_path, username)
    except (KeyError, TypeError, ValueError, InputError) as exc:
        logger.warning("re-authentication cookie ignored: %s", exc)
        return None
    issued = expires - timedelta(days=config.cookie_expiry_days)
    if users.session_end_reason(user, signed_in_at=issued) is not None or user is None:
        return None
    _start_session(user, signed_in_at=issued, cookie_at=issued)
    _audit("login", user.username, details={"method": "cookie"})
    return user.username


def _start_session(
    user: users.UserRecord, *, signed_in_at: datetime, cookie_at: datetime | None
) -> None:
    state = st.session_state
    state[USER_KEY] = user.username
    state[SIGNED_IN_AT_KEY] = signed_in_at
    state[LAST_ACTIVE_KEY] = now()
    state[COOKIE_AT_KEY] = cookie_at
    state["viewer"] = user.viewer
    # The keys streamlit-authenticator reads (its cookie holds ``username``).
    state["authentication_status"] = True
    state["username"] = user.username
    state["name"] = user.name
    state["roles"] = [user.role]
    state["logout"] = None
    state.pop(NOTICE_KEY, None)


def _end_session(
    authenticator: stauth.Authenticate,
    reason: str,
    lang: Language,
    *,
    config: TeamConfig | None = None,
) -> None:
    """Sign out this session: forget the user, delete the cookie, say why."""
    state = st.session_state
    username = state.get(USER_KEY)
    if username is not None:
        _audit("logout", username, details={"reason": reason})
    if state.get("authentication_status"):
        authenticator.logout(location="unrendered")
    else:
        authenticator.cookie_controller.delete_cookie()
    for key in _SESSION_KEYS:
        state.pop(key, None)
    minutes = f"{config.policy.session_timeout_minutes:g}" if config else ""
    state[NOTICE_KEY] = ("info", translate(_END_NOTICES[reason], lang).format(minutes=minutes))


# -- widgets ------------------------------------------------------------------------------


def _show_sign_in(config: TeamConfig, lang: Language) -> None:
    st.title(translate("Polling Security Planner", lang))
    st.subheader(translate("Sign in", lang))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice is not None:
        kind, text = notice
        (st.error if kind == "error" else st.info)(text)
    with st.form("auth_form", enter_to_submit=True):
        st.text_input(translate("Username", lang), key="auth_username", autocomplete="username")
        st.text_input(
            translate("Password", lang),
            type="password",
            key="auth_password",
            autocomplete="current-password",
        )
        st.form_submit_button(
            translate("Sign in", lang),
            key="auth_submit",
            type="primary",
            on_click=_attempt_sign_in,
            args=(config, lang),
        )
    st.caption(
        translate(
            "Accounts are created by an administrator; after repeated failed attempts an "
            "account is locked for a while.",
            lang,
        )
    )


def _attempt_sign_in(config: TeamConfig, lang: Language) -> None:
    """Check the submitted form (a callback, so the page renders signed in at once)."""
    state = st.session_state
    typed = str(state.get("auth_username") or "")
    password = str(state.get("auth_password") or "")
    # Never keep a password in the session, whatever happens next.
    state["auth_password"] = ""
    if not typed.strip() or not password:
        state[NOTICE_KEY] = ("error", translate("Enter your username and password.", lang))
        return
    try:
        attempt = users.authenticate(
            config.users_path, typed, password, policy=config.policy, now=now()
        )
    except InputError as exc:
        logger.error("sign-in impossible: %s", exc)
        state[NOTICE_KEY] = ("error", translate("Sign-in is not configured correctly", lang))
        return
    if attempt.ok and attempt.user is not None:
        _start_session(attempt.user, signed_in_at=now(), cookie_at=None)
        _audit("login", attempt.username, details={"method": "password"})
        return
    # Whoever typed is not known; the target is the account tried. An unknown name is not
    # recorded: it may be a password typed into the wrong field.
    target = attempt.username or "unknown user"
    details = {"outcome": attempt.outcome, "consecutive_failures": str(attempt.attempts)}
    _audit("login_failed", ANONYMOUS, target=target, details=details)
    if attempt.newly_locked and attempt.locked_until is not None:
        _audit(
            "login_locked",
            ANONYMOUS,
            target=target,
            details={"until": attempt.locked_until.isoformat(timespec="seconds")},
        )
    state["authentication_status"] = False
    pause(attempt.delay_s)
    state[NOTICE_KEY] = ("error", _failure_text(attempt, lang))


def _failure_text(attempt: users.LoginAttempt, lang: Language) -> str:
    if attempt.outcome == "locked" and attempt.locked_until is not None:
        return (
            translate("Too many failed sign-in attempts: this account is locked until", lang)
            + f" {attempt.locked_until:%H:%M} UTC. "
            + translate("Try again later or ask an administrator to unlock it.", lang)
        )
    if attempt.outcome == "disabled":
        return translate(_END_NOTICES["disabled"], lang)
    return translate("Username or password is incorrect.", lang)


def _show_sign_out(config: TeamConfig, viewer: Viewer, lang: Language) -> None:
    st.sidebar.button(
        translate("Log out", lang),
        key="auth_logout",
        on_click=_request_end,
        args=("logout",),
        width="stretch",
    )
    st.sidebar.button(
        translate("Log out everywhere", lang),
        key="auth_logout_everywhere",
        on_click=_log_out_everywhere,
        args=(config, viewer),
        help=translate("Ends your sessions in every browser and on every device.", lang),
        width="stretch",
    )


def _request_end(reason: str) -> None:
    st.session_state[END_REQUEST_KEY] = reason


def _log_out_everywhere(config: TeamConfig, viewer: Viewer) -> None:
    try:
        users.change_user(
            config.users_path,
            "end_sessions",
            viewer.name,
            by=viewer,
            audit_workspace=ui.workspace_path(),
            now=now(),
        )
    except PlannerError as exc:
        logger.error("log out everywhere for %s: %s", viewer.name, exc)
    _request_end("everywhere")


# -- helpers ------------------------------------------------------------------------------


def _refuse_single_user_on_network(lang: Language) -> None:
    """Stop unless the request comes from this machine, directly, to a local-only server.

    Single-user mode makes everyone the administrator, so it is refused when the server
    listens beyond this machine, when the browser is on another machine, or when the
    request came through a reverse proxy (which would expose the app to a network).
    """
    address = st.get_option("server.address")
    ip = st.context.ip_address
    headers = st.context.headers
    proxied = isinstance(headers, Mapping) and any(h in headers for h in PROXY_HEADERS)
    if address is not None and str(address) not in LOOPBACK_ADDRESSES:
        reason = f"server.address = '{address}'"
    elif isinstance(ip, str) and ip:
        reason = f"{translate('request from', lang)} {ip}"
    elif proxied:
        reason = translate("request through a proxy", lang)
    else:
        return
    st.error(
        translate("Single-user mode is only for a server on this machine", lang)
        + f" ({reason}). "
        + translate(
            "Set PSP_USERS to a users file so that everyone signs in (see README, "
            "'Login and team deployment'), or listen on localhost.",
            lang,
        )
    )
    st.stop()


def _audit(
    action: AuditAction,
    actor: str,
    *,
    target: str = "",
    details: Mapping[str, str] | None = None,
) -> None:
    """Record a sign-in event; a workspace that cannot be written must not block sign-in."""
    values = dict(details or {})
    ip = getattr(st.context, "ip_address", None)
    if isinstance(ip, str) and ip:
        values["ip"] = ip
    try:
        record(ui.workspace_path(), actor=actor, action=action, target=target, details=values)
    except PlannerError as exc:
        logger.warning("audit log not written (%s by %s): %s", action, actor, exc)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"{name}={text!r} is not a number; leave it unset for {default:g}"
        ) from None
    if value < 0:
        raise InputError(f"{name}={text!r} must not be negative")
    return value
