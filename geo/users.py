"""The users file of a team deployment: accounts, bcrypt hashes, lockout and session revocation.

The file is YAML in streamlit-authenticator's credentials format, so the library (and its
documentation) can read it, plus this product's own fields per user::

    credentials:
      usernames:
        amal:
          name: Amal Ben Ali
          password: $2b$12$...            # bcrypt hash, never a password
          role: briefer                   # geo.permissions.ROLES
          disabled: false
          failed_login_attempts: 0        # consecutive failures since the last success
          locked_until: null              # ISO 8601 UTC while locked out
          sessions_valid_after: null      # ISO 8601 UTC: sessions begun earlier are ended
          digits: latn                    # Arabic pages' digits: latn (0-9) or arab (٠-٩)
          created_at: '2025-05-16T09:30:00.000+00:00'
          updated_at: '2025-05-16T09:30:00.000+00:00'

Keep the file outside the repository, readable only by the account that runs the app.
Every change is made on a temporary copy that replaces the file atomically, under an
exclusive ``flock`` on ``<file>.lock``, so concurrent sign-ins (each updating a failure
counter) never lose an update and a crash never leaves half a file. No password is ever
stored, logged or returned: only bcrypt hashes, which stay inside :class:`UserRecord`
(hidden from its ``repr``).

Who may change users is checked here (``manage_users``), not only in the pages; the
first administrator is created by :func:`create_first_admin`, which only works on a file
without users (the command line ``python -m geo users create-admin``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import bcrypt
import pandas as pd
import yaml

from geo.audit import AuditAction, record
from geo.errors import AccessDeniedError, InputError, PlannerError, StoreError
from geo.i18n import DIGITS, Digits
from geo.permissions import Role, Viewer, parse_role, require

logger = logging.getLogger(__name__)

#: bcrypt cost factor of new hashes (about 0.2 s per hash on a 2-core server).
BCRYPT_ROUNDS = 12
#: Shortest password accepted, in characters.
MIN_PASSWORD_CHARS = 10
#: bcrypt ignores (bcrypt 5 refuses) anything beyond 72 bytes of UTF-8.
MAX_PASSWORD_BYTES = 72
#: Name of the generated cookie-signing key, kept beside the users file.
COOKIE_KEY_FILE = ".psp_cookie_key"
#: Shortest cookie-signing key accepted (characters).
MIN_COOKIE_KEY_CHARS = 32
#: Columns of :func:`list_users`, in order.
USER_COLUMNS = (
    "username",
    "name",
    "role",
    "disabled",
    "failed_login_attempts",
    "locked_until",
    "sessions_valid_after",
    "created_at",
    "updated_at",
)

#: Names the product records under itself (``geo.ops.CLOCK_ACTOR``): no account takes one.
RESERVED_USERNAMES = frozenset({"clock"})
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
# Characters that Markdown or HTML would interpret; a display name is shown in Markdown.
_NAME_FORBIDDEN = set("<>[]()*_`#|{}~\\!")
_MAX_NAME_CHARS = 80
_FILE_HEADER = (
    "# Users of the Polling Security Planner (streamlit-authenticator credentials format).\n"
    "# Managed with 'python -m geo users'. Keep this file outside the repository and\n"
    "# readable only by the account that runs the app; it holds bcrypt hashes only.\n"
)

LoginOutcome = Literal["ok", "unknown_user", "bad_password", "locked", "disabled"]
UserAction = Literal[
    "add", "disable", "enable", "set_role", "reset_password", "unlock", "end_sessions"
]
#: Every change :func:`change_user` makes.
USER_ACTIONS: tuple[UserAction, ...] = get_args(UserAction)
_AUDIT_ACTION: Mapping[UserAction, AuditAction] = MappingProxyType(
    {
        "add": "user_add",
        "disable": "user_disable",
        "enable": "user_enable",
        "set_role": "user_set_role",
        "reset_password": "user_reset_password",
        "unlock": "user_unlock",
        "end_sessions": "user_end_sessions",
    }
)
SessionEndReason = Literal["unknown_user", "disabled", "revoked"]


@dataclass(frozen=True)
class LoginPolicy:
    """How sign-in failures and idle sessions are handled.

    Parameters
    ----------
    max_failed_attempts
        Consecutive failures that lock an account (default 5).
    lockout_minutes
        How long a locked account stays locked (default 15).
    failure_delay_s
        Pause after the first failure, doubled after each further one (default 1 s).
    max_failure_delay_s
        Longest pause after a failure (default 8 s).
    session_timeout_minutes
        Minutes without activity after which a session ends (default 30).
    """

    max_failed_attempts: int = 5
    lockout_minutes: float = 15.0
    failure_delay_s: float = 1.0
    max_failure_delay_s: float = 8.0
    session_timeout_minutes: float = 30.0

    def __post_init__(self) -> None:
        if self.max_failed_attempts < 1:
            raise InputError("max_failed_attempts must be at least 1")
        for name in ("lockout_minutes", "failure_delay_s", "max_failure_delay_s"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must not be negative")
        if self.session_timeout_minutes <= 0:
            raise InputError("session_timeout_minutes must be positive")

    def failure_delay(self, attempts: int) -> float:
        """Return the pause in seconds after the ``attempts``-th consecutive failure."""
        doublings = max(attempts, 1) - 1
        return float(min(self.failure_delay_s * 2.0**doublings, self.max_failure_delay_s))

    def is_idle(self, last_active: datetime, now: datetime) -> bool:
        """Return True when a session last active at ``last_active`` has timed out at ``now``."""
        return now - last_active > timedelta(minutes=self.session_timeout_minutes)


@dataclass(frozen=True)
class UserRecord:
    """One account of the users file (the bcrypt hash is kept out of ``repr``)."""

    username: str
    name: str
    role: Role
    password_hash: str = field(repr=False)
    disabled: bool = False
    failed_login_attempts: int = 0
    locked_until: datetime | None = None
    sessions_valid_after: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    #: The digits this user reads Arabic pages with (:data:`geo.i18n.DIGITS`).
    digits: Digits = "latn"

    @property
    def viewer(self) -> Viewer:
        """The :class:`~geo.permissions.Viewer` this account signs in as (named by username)."""
        return Viewer(name=self.username, role=self.role)

    def is_locked(self, now: datetime) -> bool:
        """Return True while the account is locked out after repeated failures."""
        return self.locked_until is not None and now < self.locked_until


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of one sign-in attempt, with what to tell the person at the keyboard.

    ``username`` is the normalised name typed when it names an account, else ``""`` (so
    that text typed by mistake into the username field, perhaps a password, is never
    logged). ``attempts`` counts consecutive failures after this attempt; ``delay_s`` is
    the pause the caller should make before answering a failure.
    """

    outcome: LoginOutcome
    username: str
    user: UserRecord | None
    attempts: int = 0
    locked_until: datetime | None = None
    newly_locked: bool = False
    delay_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the person may sign in."""
        return self.outcome == "ok"

    @property
    def message(self) -> str:
        """What to show: generic for unknown names and wrong passwords (no enumeration)."""
        if self.outcome == "ok":
            return "Signed in."
        if self.outcome == "locked" and self.locked_until is not None:
            return (
                "Too many failed sign-in attempts: this account is locked until "
                f"{self.locked_until:%H:%M} UTC. Try again later or ask an administrator "
                "to unlock it."
            )
        if self.outcome == "disabled":
            return "This account is disabled; ask an administrator to enable it."
        return "Username or password is incorrect."


# -- reading and validating ------------------------------------------------------------


def normalise_username(text: str) -> str:
    """Return ``text`` stripped and lower-cased, as usernames are stored and compared."""
    return text.strip().lower()


def validate_username(text: str) -> str:
    """Return the normalised username or raise :class:`InputError` saying what is allowed."""
    username = normalise_username(text)
    if not _USERNAME.fullmatch(username):
        raise InputError(
            f"username {text!r} is not allowed: use 2 to 64 lower-case letters, digits and "
            "the characters . _ @ - (starting with a letter or digit)"
        )
    if username in RESERVED_USERNAMES:
        raise InputError(
            f"username {text!r} is reserved: the operations room records its clocks' "
            "escalations under it; choose another"
        )
    return username


def validate_display_name(text: str) -> str:
    r"""Return the stripped display name or raise :class:`InputError`.

    Names may be in any script (Arabic included) but not contain control characters or
    the characters ``< > [ ] ( ) * _ ` # | { } ~ \ !``, which Markdown or HTML would
    interpret where the name is shown.
    """
    name = " ".join(text.split())
    bad = sorted({c for c in name if c in _NAME_FORBIDDEN or not c.isprintable()})
    if not name or len(name) > _MAX_NAME_CHARS:
        raise InputError(f"the display name must have 1 to {_MAX_NAME_CHARS} characters")
    if bad:
        raise InputError(
            f"the display name {name!r} contains {' '.join(repr(c) for c in bad)}; "
            "use letters, digits, spaces, dots, hyphens and apostrophes"
        )
    return name


def validate_password(password: str, *, username: str) -> None:
    """Raise :class:`InputError` unless ``password`` is acceptable for ``username``.

    A password needs at least :data:`MIN_PASSWORD_CHARS` characters, at most
    :data:`MAX_PASSWORD_BYTES` bytes of UTF-8 (bcrypt's limit), more than one distinct
    character, and must not contain the username. The message never repeats the password.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(
            f"the password has {len(password)} characters; use at least {MIN_PASSWORD_CHARS} "
            "(a passphrase of several words is easiest to remember)"
        )
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise InputError(
            f"the password is longer than {MAX_PASSWORD_BYTES} bytes of UTF-8, which bcrypt "
            "cannot hash; choose a shorter one"
        )
    if len(set(password)) < 2:
        raise InputError("the password repeats one character; choose another")
    if username and username.lower() in password.lower():
        raise InputError("the password contains the username; choose another")


def hash_password(password: str, *, rounds: int = BCRYPT_ROUNDS) -> str:
    """Return the bcrypt hash of ``password`` (``$2b$<rounds>$...``).

    Raises
    ------
    InputError
        When the password is longer than :data:`MAX_PASSWORD_BYTES` bytes.
    """
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        raise InputError(f"the password is longer than {MAX_PASSWORD_BYTES} bytes of UTF-8")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    """Return True when ``password`` matches the bcrypt ``password_hash``.

    Over-long passwords and malformed hashes simply do not match.
    """
    data = password.encode("utf-8")
    try:
        return len(data) <= MAX_PASSWORD_BYTES and bcrypt.checkpw(
            data, password_hash.encode("ascii")
        )
    except (ValueError, UnicodeEncodeError):
        return False


def read_users(path: str | os.PathLike[str]) -> dict[str, UserRecord]:
    """Return every account of the users file, keyed by username.

    Parameters
    ----------
    path
        The users file (YAML); a missing file has no users.

    Returns
    -------
    dict of str to UserRecord
        Accounts in file order.

    Raises
    ------
    InputError
        When the file is not valid YAML or an account lacks a field or has a bad value;
        the message names the file, the account and the field.
    """
    file = Path(path)
    return _records(_read_document(file), file)


def get_user(path: str | os.PathLike[str], username: str) -> UserRecord | None:
    """Return the account named ``username`` (normalised), or None."""
    return read_users(path).get(normalise_username(username))


def has_users(path: str | os.PathLike[str]) -> bool:
    """Return True when the users file exists and holds at least one account."""
    return Path(path).is_file() and bool(read_users(path))


def list_users(path: str | os.PathLike[str], *, by: Viewer) -> pd.DataFrame:
    """Return one row per account, without password hashes.

    Parameters
    ----------
    path
        The users file.
    by
        Who asks; needs ``manage_users``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`USER_COLUMNS`; times as ISO 8601 UTC text (empty when unset).

    Raises
    ------
    AccessDeniedError
        When ``by`` may not manage users.
    """
    require(by, "manage_users")
    rows = [
        {
            "username": u.username,
            "name": u.name,
            "role": u.role,
            "disabled": u.disabled,
            "failed_login_attempts": u.failed_login_attempts,
            "locked_until": _iso(u.locked_until) or "",
            "sessions_valid_after": _iso(u.sessions_valid_after) or "",
            "created_at": _iso(u.created_at) or "",
            "updated_at": _iso(u.updated_at) or "",
        }
        for u in read_users(path).values()
    ]
    return pd.DataFrame(rows, columns=list(USER_COLUMNS))


def credentials_for_authenticator(users: Mapping[str, UserRecord]) -> dict[str, Any]:
    """Return ``users`` as streamlit-authenticator's ``credentials`` mapping.

    Disabled accounts are left out, so the library never treats them as valid.
    """
    return {
        "usernames": {
            u.username: {"name": u.name, "password": u.password_hash, "roles": [u.role]}
            for u in users.values()
            if not u.disabled
        }
    }


# -- signing in ------------------------------------------------------------------------


def authenticate(
    path: str | os.PathLike[str],
    username: str,
    password: str,
    *,
    policy: LoginPolicy = LoginPolicy(),
    now: datetime | None = None,
) -> LoginAttempt:
    """Check a sign-in attempt and update the account's failure counter and lockout.

    The rules, in order: an unknown username fails like a wrong password (after the same
    bcrypt work, so timing reveals nothing); a locked account is refused without checking
    the password; a wrong password adds one failure, and the ``max_failed_attempts``-th
    consecutive failure locks the account for ``lockout_minutes`` (the counter then
    starts again); a right password for a disabled account is refused; a right password
    otherwise succeeds and clears failures and any expired lock.

    Parameters
    ----------
    path
        The users file.
    username, password
        As typed; the username is normalised (stripped, lower case).
    policy
        Lockout and delay settings.
    now
        The time of the attempt (UTC); the current time by default.

    Returns
    -------
    LoginAttempt
        The outcome; ``delay_s`` says how long to pause before answering a failure.

    Raises
    ------
    InputError
        When the users file cannot be read.
    """
    now = _utc(now)
    name = normalise_username(username)
    user = read_users(path).get(name)
    if user is None:
        # Hash once anyway, so an unknown username costs the time of a wrong password and
        # the answer does not reveal which usernames exist.
        bcrypt.hashpw(b"no such user", bcrypt.gensalt(BCRYPT_ROUNDS))
        return LoginAttempt("unknown_user", "", None, delay_s=policy.failure_delay(1))
    if user.is_locked(now):
        return LoginAttempt(
            "locked",
            user.username,
            user,
            attempts=user.failed_login_attempts,
            locked_until=user.locked_until,
            delay_s=policy.failure_delay(policy.max_failed_attempts),
        )
    if not check_password(password, user.password_hash):
        return _record_failure(Path(path), user.username, policy, now)
    if user.disabled:
        return LoginAttempt("disabled", user.username, user)
    if user.failed_login_attempts or user.locked_until is not None:
        user = _update_user(
            Path(path), user.username, now, failed_login_attempts=0, locked_until=None
        )
    return LoginAttempt("ok", user.username, user)


def _record_failure(path: Path, username: str, policy: LoginPolicy, now: datetime) -> LoginAttempt:
    """Count one failure under the file lock (from the freshest counter) and maybe lock."""
    outcome: list[LoginAttempt] = []

    def count(entry: dict[str, Any]) -> None:
        attempts = int(entry.get("failed_login_attempts") or 0) + 1
        if attempts >= policy.max_failed_attempts:
            until = now + timedelta(minutes=policy.lockout_minutes)
            entry["failed_login_attempts"] = 0
            entry["locked_until"] = _iso(until)
            outcome.append(
                LoginAttempt(
                    "locked",
                    username,
                    None,
                    attempts=attempts,
                    locked_until=until,
                    newly_locked=True,
                    delay_s=policy.failure_delay(attempts),
                )
            )
        else:
            entry["failed_login_attempts"] = attempts
            outcome.append(
                LoginAttempt(
                    "bad_password",
                    username,
                    None,
                    attempts=attempts,
                    delay_s=policy.failure_delay(attempts),
                )
            )

    user = _modify(path, username, now, count)
    result = outcome[0]
    logger.warning(
        "failed sign-in for user %s (%d consecutive)%s",
        username,
        result.attempts,
        f"; locked until {_iso(result.locked_until)}" if result.newly_locked else "",
    )
    return replace(result, user=user)


def session_end_reason(
    user: UserRecord | None, *, signed_in_at: datetime
) -> SessionEndReason | None:
    """Return why a session begun at ``signed_in_at`` must end now, or None if it may go on.

    A session ends when its account was removed or disabled, or when "log out
    everywhere" (or a password reset) happened after it began.
    """
    if user is None:
        return "unknown_user"
    if user.disabled:
        return "disabled"
    if user.sessions_valid_after is not None and _utc(signed_in_at) < user.sessions_valid_after:
        return "revoked"
    return None


# -- managing accounts -------------------------------------------------------------------


def create_first_admin(
    path: str | os.PathLike[str],
    username: str,
    *,
    name: str,
    password: str,
    now: datetime | None = None,
    rounds: int = BCRYPT_ROUNDS,
) -> UserRecord:
    """Create the users file with its first administrator.

    Parameters
    ----------
    path
        The users file; created with mode 0600 (its folder too, mode 0700).
    username, name, password
        The administrator's account; see :func:`validate_username`,
        :func:`validate_display_name` and :func:`validate_password`.
    now
        Creation time (UTC); the current time by default.
    rounds
        bcrypt cost factor.

    Returns
    -------
    UserRecord
        The new account.

    Raises
    ------
    InputError
        When the file already has accounts (add more with :func:`add_user` as an
        administrator) or a value is not acceptable.
    """
    file = Path(path)
    if has_users(file):
        raise InputError(
            f"{file} already has users; an administrator adds more with "
            "'python -m geo users --file PATH add USERNAME --role admin'"
        )
    return _insert_user(
        file,
        username,
        name=name,
        role="admin",
        password=password,
        now=now,
        rounds=rounds,
        first=True,
    )


def add_user(
    path: str | os.PathLike[str],
    username: str,
    *,
    name: str,
    role: str,
    password: str,
    by: Viewer,
    now: datetime | None = None,
    rounds: int = BCRYPT_ROUNDS,
) -> UserRecord:
    """Add an account with a role.

    Parameters
    ----------
    path
        The users file (created if missing, mode 0600).
    username, name, password
        See :func:`validate_username`, :func:`validate_display_name` and
        :func:`validate_password`.
    role
        One of :data:`geo.permissions.ROLES`.
    by
        Who adds; needs ``manage_users``.
    now
        Creation time (UTC); the current time by default.
    rounds
        bcrypt cost factor.

    Raises
    ------
    AccessDeniedError
        When ``by`` may not manage users.
    InputError
        When the username is taken or a value is not acceptable.
    """
    require(by, "manage_users")
    return _insert_user(
        Path(path),
        username,
        name=name,
        role=_role(role),
        password=password,
        now=now,
        rounds=rounds,
        first=False,
    )


def set_disabled(
    path: str | os.PathLike[str],
    username: str,
    disabled: bool,
    *,
    by: Viewer,
    now: datetime | None = None,
) -> UserRecord:
    """Disable (or enable again) an account; disabling also ends its sessions.

    Raises
    ------
    AccessDeniedError
        When ``by`` may not manage users.
    InputError
        When the account does not exist, or disabling it would leave no enabled
        administrator.
    """
    require(by, "manage_users")
    now = _utc(now)

    def change(entry: dict[str, Any], users: Mapping[str, UserRecord], name: str) -> None:
        if disabled:
            _keep_an_admin(users, name, "disable")
            entry["sessions_valid_after"] = _iso(now)
        entry["disabled"] = disabled

    return _modify_checked(Path(path), username, now, change)


def set_digits(
    path: str | os.PathLike[str],
    username: str,
    digits: str,
    *,
    by: Viewer,
    now: datetime | None = None,
) -> UserRecord:
    """Remember the digits ``username`` reads Arabic pages with (``latn`` or ``arab``).

    A preference, not an account change: each user sets their own, and nobody else's.

    Raises
    ------
    AccessDeniedError
        When ``by`` is not ``username``.
    InputError
        When ``digits`` is not a choice of :data:`geo.i18n.DIGITS`, or the account does
        not exist.
    """
    name = normalise_username(username)
    if normalise_username(by.name) != name:
        raise AccessDeniedError(f"'{by.name}' may not change the digits of '{name}'")
    choice = _digit_choice(digits, f"digits of '{name}'")
    return _update_user(Path(path), name, _utc(now), digits=choice)


def set_role(
    path: str | os.PathLike[str],
    username: str,
    role: str,
    *,
    by: Viewer,
    now: datetime | None = None,
) -> UserRecord:
    """Give an account another role (effective on the user's next page view).

    Raises
    ------
    AccessDeniedError
        When ``by`` may not manage users.
    InputError
        When the account does not exist, the role is unknown, or the change would leave
        no enabled administrator.
    """
    require(by, "manage_users")
    new_role = _role(role)

    def change(entry: dict[str, Any], users: Mapping[str, UserRecord], name: str) -> None:
        if new_role != "admin":
            _keep_an_admin(users, name, f"make {new_role}")
        entry["role"] = new_role

    return _modify_checked(Path(path), username, _utc(now), change)


def reset_password(
    path: str | os.PathLike[str],
    username: str,
    password: str,
    *,
    by: Viewer,
    now: datetime | None = None,
    rounds: int = BCRYPT_ROUNDS,
) -> UserRecord:
    """Set a new password; this also unlocks the account and ends its sessions.

    Raises
    ------
    AccessDeniedError
        When ``by`` may not manage users.
    InputError
        When the account does not exist or the password is not acceptable.
    """
    require(by, "manage_users")
    name = validate_username(username)
    validate_password(password, username=name)
    password_hash = hash_password(password, rounds=rounds)
    now = _utc(now)

    def change(entry: dict[str, Any], users: Mapping[str, UserRecord], name: str) -> None:
        entry.update(
            password=password_hash,
            failed_login_attempts=0,
            locked_until=None,
            sessions_valid_after=_iso(now),
        )

    return _modify_checked(Path(path), name, now, change)


def unlock(
    path: str | os.PathLike[str],
    username: str,
    *,
    by: Viewer,
    now: datetime | None = None,
) -> UserRecord:
    """Lift a lockout and clear the failure counter.

    Raises
    ------
    AccessDeniedError
        When ``by`` may not manage users.
    InputError
        When the account does not exist.
    """
    require(by, "manage_users")

    def change(entry: dict[str, Any], users: Mapping[str, UserRecord], name: str) -> None:
        entry.update(failed_login_attempts=0, locked_until=None)

    return _modify_checked(Path(path), username, _utc(now), change)


def end_sessions(
    path: str | os.PathLike[str],
    username: str,
    *,
    by: Viewer,
    now: datetime | None = None,
) -> UserRecord:
    """Log an account out everywhere: every session and cookie issued before now ends.

    Users may do this for themselves; for others it needs ``manage_users``.

    Raises
    ------
    AccessDeniedError
        When ``by`` is someone else without ``manage_users``.
    InputError
        When the account does not exist.
    """
    name = normalise_username(username)
    if by.name != name:
        require(by, "manage_users")
    now = _utc(now)

    def change(entry: dict[str, Any], users: Mapping[str, UserRecord], name: str) -> None:
        entry["sessions_valid_after"] = _iso(now)

    return _modify_checked(Path(path), name, now, change)


def change_user(
    path: str | os.PathLike[str],
    action: UserAction,
    username: str,
    *,
    by: Viewer,
    name: str | None = None,
    role: str | None = None,
    password: str | None = None,
    audit_workspace: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
    rounds: int = BCRYPT_ROUNDS,
) -> UserRecord:
    """Apply one account change and record it in the audit log, as the CLI and pages do.

    Parameters
    ----------
    path
        The users file.
    action
        ``add`` (needs ``name``, ``role``, ``password``), ``disable``, ``enable``,
        ``set_role`` (needs ``role``), ``reset_password`` (needs ``password``),
        ``unlock`` or ``end_sessions``.
    username
        The account changed.
    by
        Who changes it (the audit log's actor); see each function for the rights needed.
    name, role, password
        As the action needs; the password is never recorded.
    audit_workspace
        The workspace whose audit log records the change; None records nothing.
    now
        Time of the change (UTC); the current time by default.
    rounds
        bcrypt cost factor of a new password.

    Returns
    -------
    UserRecord
        The account after the change.

    Raises
    ------
    AccessDeniedError
        When ``by`` may not make the change.
    InputError
        When a value is missing or not acceptable (nothing is changed).
    StoreError
        When the change was made but the audit log could not be written; the message
        says so.
    """
    moment = _utc(now)
    details: dict[str, str] = {}
    if action == "add":
        if name is None or role is None or password is None:
            raise InputError("adding a user needs a display name, a role and a password")
        changed = add_user(
            path,
            username,
            name=name,
            role=role,
            password=password,
            by=by,
            now=moment,
            rounds=rounds,
        )
        details = {"role": changed.role, "name": changed.name}
    elif action in ("disable", "enable"):
        changed = set_disabled(path, username, action == "disable", by=by, now=moment)
    elif action == "set_role":
        if role is None:
            raise InputError("say which role to give")
        before = get_user(path, username)
        changed = set_role(path, username, role, by=by, now=moment)
        details = {"role": changed.role, "previous_role": before.role if before else ""}
    elif action == "reset_password":
        if password is None:
            raise InputError("resetting a password needs the new password")
        changed = reset_password(path, username, password, by=by, now=moment, rounds=rounds)
    elif action == "unlock":
        changed = unlock(path, username, by=by, now=moment)
    elif action == "end_sessions":
        changed = end_sessions(path, username, by=by, now=moment)
    else:
        raise InputError(f"unknown user action '{action}'; use one of {', '.join(USER_ACTIONS)}")
    if audit_workspace is not None:
        try:
            record(
                audit_workspace,
                actor=by.name,
                action=_AUDIT_ACTION[action],
                target=changed.username,
                details=details,
                now=moment,
            )
        except PlannerError as exc:
            raise StoreError(
                f"the change to '{changed.username}' was made but could not be recorded in "
                f"the audit log: {exc}"
            ) from exc
    return changed


# -- the cookie-signing key ---------------------------------------------------------------


def cookie_key_path(users_path: str | os.PathLike[str]) -> Path:
    """Return where the generated cookie-signing key is kept: beside the users file."""
    return Path(users_path).with_name(COOKIE_KEY_FILE)


def ensure_cookie_key(users_path: str | os.PathLike[str]) -> str:
    """Return the cookie-signing key kept beside the users file, creating it if needed.

    The key is 43 random URL-safe characters (256 bits) written with mode 0600; it is
    created exclusively, so two servers starting at once agree on one key.

    Raises
    ------
    InputError
        When the key file exists but is too short, or cannot be read or written.
    """
    key_path = cookie_key_path(users_path)
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise InputError(f"cannot create the cookie key {key_path}: {exc}") from exc
    else:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
    try:
        key = key_path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise InputError(f"cannot read the cookie key {key_path}: {exc}") from exc
    check_cookie_key(key, source=str(key_path))
    return key


def check_cookie_key(key: str, *, source: str) -> None:
    """Raise :class:`InputError` when a cookie-signing key is too short to be safe."""
    if len(key) < MIN_COOKIE_KEY_CHARS:
        raise InputError(
            f"the cookie key from {source} has {len(key)} characters; use at least "
            f"{MIN_COOKIE_KEY_CHARS} random ones (e.g. python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')"
        )


def is_private_file(path: str | os.PathLike[str]) -> bool:
    """Return True when neither group nor others may read or write ``path``."""
    return not stat.S_IMODE(Path(path).stat().st_mode) & 0o077


# -- internals ---------------------------------------------------------------------------


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _utc(moment).isoformat(timespec="microseconds")


def _role(text: str) -> Role:
    try:
        return parse_role(text)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def _read_document(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"credentials": {"usernames": {}}}
    if not is_private_file(path):
        logger.warning("the users file %s is readable by others; chmod 600 it", path)
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the users file {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise InputError(f"the users file {path} must be a YAML mapping with 'credentials'")
    credentials = document.setdefault("credentials", {"usernames": {}})
    if not isinstance(credentials, dict):
        raise InputError(f"the users file {path}: 'credentials' must be a mapping")
    usernames = credentials.get("usernames")
    if usernames is None:
        credentials["usernames"] = {}
    elif not isinstance(usernames, dict):
        raise InputError(f"the users file {path}: 'credentials.usernames' must be a mapping")
    return document


def _entries(document: dict[str, Any]) -> dict[str, Any]:
    entries: dict[str, Any] = document["credentials"]["usernames"]
    return entries


def _records(document: dict[str, Any], path: Path) -> dict[str, UserRecord]:
    records: dict[str, UserRecord] = {}
    for key, entry in _entries(document).items():
        username = normalise_username(str(key))
        where = f"the users file {path}, user '{username}'"
        if username in records:
            raise InputError(f"{where}: the username appears twice (names ignore case)")
        if not isinstance(entry, dict):
            raise InputError(f"{where}: the entry must be a mapping of fields")
        password_hash = entry.get("password")
        if not isinstance(password_hash, str) or not password_hash.startswith("$2"):
            raise InputError(
                f"{where}: 'password' must be a bcrypt hash; set one with "
                "'python -m geo users --file PATH reset USERNAME'"
            )
        try:
            role = parse_role(str(entry.get("role", "")))
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from exc
        records[username] = UserRecord(
            username=username,
            name=str(entry.get("name") or username),
            role=role,
            password_hash=password_hash,
            disabled=_flag(entry.get("disabled", False), where, "disabled"),
            failed_login_attempts=_count(entry.get("failed_login_attempts", 0), where),
            locked_until=_time(entry.get("locked_until"), where, "locked_until"),
            sessions_valid_after=_time(
                entry.get("sessions_valid_after"), where, "sessions_valid_after"
            ),
            created_at=_time(entry.get("created_at"), where, "created_at"),
            updated_at=_time(entry.get("updated_at"), where, "updated_at"),
            digits=_digit_choice(entry.get("digits", "latn"), where),
        )
    return records


def _flag(value: object, where: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise InputError(f"{where}: '{name}' must be true or false, not {value!r}")


def _digit_choice(value: object, where: str) -> Digits:
    for choice in DIGITS:
        if value == choice:
            return choice
    raise InputError(
        f"{where}: 'digits' must be {' or '.join(DIGITS)} (Western or Arabic-Indic digits), "
        f"not {value!r}"
    )


def _count(value: object, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise InputError(f"{where}: 'failed_login_attempts' must be a whole number, not {value!r}")


def _time(value: object, where: str, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, str):
        try:
            return _utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    raise InputError(f"{where}: '{name}' must be an ISO 8601 time, not {value!r}")


def _keep_an_admin(users: Mapping[str, UserRecord], name: str, what: str) -> None:
    others = [
        u for u in users.values() if u.role == "admin" and not u.disabled and u.username != name
    ]
    target = users[name]
    if target.role == "admin" and not target.disabled and not others:
        raise InputError(
            f"cannot {what} '{name}': it is the only enabled administrator; add another "
            "administrator first"
        )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the users file (``<file>.lock``)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_document(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` to a private temporary file and rename it onto ``path``."""
    text = _FILE_HEADER + yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, default_flow_style=False
    )
    work = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(work, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(work, path)
    except OSError as exc:
        raise InputError(f"cannot write the users file {path}: {exc}") from exc
    finally:
        work.unlink(missing_ok=True)


def _modify_document(path: Path, apply: Callable[[dict[str, Any]], None]) -> dict[str, UserRecord]:
    """Read, change and write the users file under its lock; return the new accounts.

    The result is validated before it is written, so a change never leaves a file the
    app cannot read.
    """
    with _locked(path):
        document = _read_document(path)
        apply(document)
        records = _records(document, path)
        _write_document(path, document)
    return records


def _modify(
    path: Path, username: str, now: datetime, change: Callable[[dict[str, Any]], None]
) -> UserRecord:
    def apply(document: dict[str, Any]) -> None:
        entry = _find_entry(document, username, path)
        change(entry)
        entry["updated_at"] = _iso(now)

    return _modify_document(path, apply)[username]


def _modify_checked(
    path: Path,
    username: str,
    now: datetime,
    change: Callable[[dict[str, Any], Mapping[str, UserRecord], str], None],
) -> UserRecord:
    name = normalise_username(username)

    def apply(document: dict[str, Any]) -> None:
        users = _records(document, path)
        entry = _find_entry(document, name, path)
        change(entry, users, name)
        entry["updated_at"] = _iso(now)

    return _modify_document(path, apply)[name]


def _update_user(path: Path, username: str, now: datetime, **values: Any) -> UserRecord:
    return _modify(path, username, now, lambda entry: entry.update(values))


def _find_entry(document: dict[str, Any], username: str, path: Path) -> dict[str, Any]:
    for key, entry in _entries(document).items():
        if normalise_username(str(key)) == username and isinstance(entry, dict):
            return entry
    raise InputError(
        f"no user '{username}' in {path}; list them with 'python -m geo users --file PATH list'"
    )


def _insert_user(
    path: Path,
    username: str,
    *,
    name: str,
    role: Role,
    password: str,
    now: datetime | None,
    rounds: int,
    first: bool,
) -> UserRecord:
    user = validate_username(username)
    display = validate_display_name(name)
    validate_password(password, username=user)
    password_hash = hash_password(password, rounds=rounds)
    stamp = _iso(_utc(now))

    def apply(document: dict[str, Any]) -> None:
        entries = _entries(document)
        if first and entries:
            raise InputError(f"{path} already has users; add more with 'add' as an administrator")
        if any(normalise_username(str(k)) == user for k in entries):
            raise InputError(f"the username '{user}' is taken in {path}; choose another")
        entries[user] = {
            "name": display,
            "password": password_hash,
            "role": role,
            "disabled": False,
            "failed_login_attempts": 0,
            "locked_until": None,
            "sessions_valid_after": None,
            "created_at": stamp,
            "updated_at": stamp,
        }

    return _modify_document(path, apply)[user]
