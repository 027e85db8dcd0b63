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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit import config as st_config

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
#: Names of this machine: single-user (no login) mode needs the server to listen on one
#: of them and the request to be addressed to one of them (Host and Origin).
LOOPBACK_ADDRESSES = frozenset({"localhost", "127.0.0.1", "::1"})
#: Request headers a browser sends by itself when it opens the app's WebSocket (lower
#: case). Single-user mode refuses a request with any other header: X-Forwarded-*,
#: X-Real-IP, Forwarded, Via, True-Client-IP, CF-*, Fastly-*, … mean that a proxy or
#: another machine stands between the browser and the server.
BROWSER_HEADERS = frozenset(
    {"host", "origin", "user-agent", "accept", "accept-encoding", "accept-language"}
    | {"cache-control", "pragma", "connection", "upgrade", "cookie", "dnt", "priority"}
)
#: Families of headers that only the browser itself may set (the Fetch standard forbids
#: scripts to set ``Sec-`` headers): WebSocket handshake, fetch metadata, client hints.
BROWSER_HEADER_PREFIXES = ("sec-websocket-", "sec-fetch-", "sec-ch-")
BROWSER_HEADERS_SEC = frozenset({"sec-gpc", "sec-purpose"})

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
        write_cookie(config, authenticator, user.username)
        state[COOKIE_AT_KEY] = moment
    return user.viewer


def is_https() -> bool:
    """Whether the browser reached the app over HTTPS.

    The browser's own address (``st.context.url``) says so; behind a reverse proxy that
    terminates HTTPS, so do the ``Origin`` the proxy passes on and ``X-Forwarded-Proto``.
    A client that claims HTTPS falsely only gets a cookie its browser will not keep.
    """
    url = st.context.url or ""
    headers = {name.lower(): value for name, value in request_headers()}
    return (
        url.lower().startswith("https://")
        or headers.get("origin", "").lower().startswith("https://")
        or headers.get("x-forwarded-proto", "").strip().lower() == "https"
        or bool(st_config.get_option("server.sslCertFile"))
    )


def write_cookie(config: TeamConfig, authenticator: stauth.Authenticate, username: str) -> None:
    """Write (or renew) the re-authentication cookie of ``username``.

    The token is the one streamlit-authenticator reads back (:func:`_sign_in_from_cookie`):
    a JWT signed with the cookie key holding ``username`` and ``exp_date``. The cookie is
    ``SameSite=Strict`` always and ``Secure`` when the page is served over HTTPS. It
    cannot be ``HttpOnly``: the library's CookieManager writes it from JavaScript
    (``document.cookie``), and browsers refuse an HttpOnly cookie from a script (see
    README, "Login and team deployment").
    """
    expires = datetime.now(UTC) + timedelta(days=config.cookie_expiry_days)
    token = jwt.encode(
        {"username": username, "exp_date": expires.timestamp()},
        config.cookie_key,
        algorithm="HS256",
    )
    authenticator.cookie_controller.cookie_model.cookie_manager.set(
        COOKIE_NAME, token, expires_at=expires, secure=is_https(), same_site="strict"
    )


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
        (st.error if kind == "error" else st.info)(ui.md_escape(text))
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


def single_user_refusal(
    *,
    address: object,
    port: int,
    headers: Sequence[tuple[str, str]],
    ip: object,
    tls: bool = False,
    app_test: bool = False,
) -> str | None:
    """Return why single-user mode is refused for a request, or None when it is allowed.

    Single-user mode makes whoever is looking the administrator, without a password. It
    is therefore allowed only when everything says that the browser runs on this very
    machine and talks to the server directly:

    - the server listens on a loopback address (``server.address`` is ``localhost``,
      ``127.0.0.1`` or ``::1``; unset means every interface);
    - the connection comes from a loopback address (``ip`` is None);
    - ``Host`` is ``localhost``, ``127.0.0.1`` or ``[::1]`` with the app's own ``port``,
      and so is ``Origin`` when the browser sends one: a web page that re-pointed its own
      host name at 127.0.0.1 (DNS rebinding) sends its own name and is refused;
    - the request carries only headers that a browser sends by itself
      (:data:`BROWSER_HEADERS`): any other one (``X-Forwarded-For``, ``Via``,
      ``CF-Connecting-IP``, a header nobody thought of yet) is refused.

    Parameters
    ----------
    address
        ``server.address`` (None when unset).
    port
        ``server.port``, the port the browser must be talking to.
    headers
        The (name, value) pairs of the request that opened the session.
    ip
        The client's address as ``st.context.ip_address`` gives it (None for loopback).
    tls
        Whether the server itself serves HTTPS (``server.sslCertFile``): the default port
        of a Host without one is then 443, else 80.
    app_test
        True inside Streamlit's AppTest, where no server runs and no request exists: a
        request without any header is then allowed (a real request always has a Host).
    """
    if address is None and not app_test:
        return "server.address unset (every interface)"
    if address is not None and str(address) not in LOOPBACK_ADDRESSES:
        return f"server.address = '{address}'"
    if not headers and app_test:
        return None
    if ip is not None:
        return f"request from {ip}"
    names = [name.strip().lower() for name, _ in headers]
    for name in names:
        if not _is_browser_header(name):
            return f"header {name}"
    hosts = [value for name, value in headers if name.strip().lower() == "host"]
    if len(hosts) != 1 or not _is_loopback_host(hosts[0], port, default_port=443 if tls else 80):
        return f"Host: {', '.join(hosts) or '(none)'}"
    origins = [value for name, value in headers if name.strip().lower() == "origin"]
    if len(origins) > 1 or not all(_is_loopback_origin(o, port) for o in origins):
        return f"Origin: {', '.join(origins)}"
    return None


def _is_browser_header(name: str) -> bool:
    return (
        name in BROWSER_HEADERS
        or name in BROWSER_HEADERS_SEC
        or name.startswith(BROWSER_HEADER_PREFIXES)
    )


def _is_loopback_host(value: str, port: int, *, default_port: int) -> bool:
    """Whether a ``Host`` value names this machine with ``port`` (nothing else in it)."""
    try:
        parts = urlsplit(f"//{value.strip()}")
        given = parts.port
    except ValueError:
        return False
    if parts.username or parts.password or parts.path or parts.query or parts.fragment:
        return False
    host = (parts.hostname or "").lower()
    return host in LOOPBACK_ADDRESSES and (given if given is not None else default_port) == port


def _is_loopback_origin(value: str, port: int) -> bool:
    """Whether an ``Origin`` value is ``http(s)://`` this machine with ``port``."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path not in ("", "/"):
        return False
    return _is_loopback_host(
        parts.netloc, port, default_port=443 if parts.scheme == "https" else 80
    )


def request_headers() -> list[tuple[str, str]]:
    """Return the (name, value) pairs of the request that opened this session (every value)."""
    headers = st.context.headers
    if not isinstance(headers, Mapping):
        return []
    get_all = getattr(headers, "get_all", None)
    return [
        (str(name), str(value))
        for name in headers
        for value in (get_all(name) if callable(get_all) else [headers[name]])
    ]


def single_user_refusal_here() -> str | None:
    """Why single-user mode is refused for this session's request, or None (allowed)."""
    ip = st.context.ip_address
    # AppTest sets this option for its runs through the config module (not st.get_option).
    app_test = bool(st_config.get_option("global.appTest"))
    return single_user_refusal(
        address=st_config.get_option("server.address"),
        port=int(st_config.get_option("server.port")),
        headers=request_headers(),
        # AppTest's stand-in runtime answers with a mock object, never with an address.
        ip=None if app_test and not isinstance(ip, str) else ip,
        tls=bool(st_config.get_option("server.sslCertFile")),
        app_test=app_test,
    )


def _refuse_single_user_on_network(lang: Language) -> None:
    """Stop with a request for the users file unless single-user mode is allowed here.

    See :func:`single_user_refusal` for the rule: default deny, unless the server listens
    on loopback and the request comes from this machine, directly, addressed to it.
    """
    reason = single_user_refusal_here()
    if reason is None:
        return
    logger.warning("single-user mode refused: %s", reason)
    st.error(
        translate("Single-user mode is only for a server on this machine", lang)
        + f" ({ui.md_escape(reason)}). "
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
