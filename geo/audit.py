"""The append-only audit log kept in the workspace: who did what, when, to which data.

Entries live in the table ``audit_log`` of the workspace GeoPackage (registered as a
GeoPackage attributes table, so QGIS lists it too). Each entry has a time (UTC), an
actor (a username, ``cli:<account>`` for the command line), an action from
:data:`ACTIONS`, a target (a layer, a scenario, a file name, a username), details as
text key/value pairs (stored as JSON) and, for imports and exports, a row count.

Append-only: SQLite triggers make every ``UPDATE`` or ``DELETE`` of an entry fail, and
nothing in the application edits or deletes entries. (Anyone who can write the file
itself can still drop the table: protect the workspace file with file-system
permissions and back it up.)

An entry is written in place with one ``INSERT`` while holding the store's exclusive
lock (``<workspace>.lock``, see :class:`geo.store.GeoPackageStore`): the store publishes
every layer write by replacing the file with a modified copy, and holding the same lock
means no copy can be in flight while an entry is added, so no entry is ever lost to a
concurrent write.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args

import pandas as pd

from geo.errors import InputError, StoreError
from geo.permissions import Viewer, require
from geo.store import VERSIONS_TABLE, GeoPackageStore

#: The table holding the entries.
AUDIT_TABLE = "audit_log"
#: Columns of :func:`read_log`, in order.
AUDIT_COLUMNS = ("entry", "at", "actor", "action", "target", "details", "rows")

AuditAction = Literal[
    # sign-in and sessions
    "login",
    "login_failed",
    "login_locked",
    "logout",
    # data
    "import",
    "rollback",
    "scenario_save",
    "scenario_delete",
    "export",
    # accounts
    "user_create_admin",
    "user_add",
    "user_disable",
    "user_enable",
    "user_set_role",
    "user_reset_password",
    "user_unlock",
    "user_end_sessions",
]
#: Every action an entry may record.
ACTIONS: tuple[AuditAction, ...] = get_args(AuditAction)

_MAX_TEXT = 2_000
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} (
        fid INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        details TEXT NOT NULL,
        rows INTEGER
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE}
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE}
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted'); END""",
    f"CREATE INDEX IF NOT EXISTS {AUDIT_TABLE}_at ON {AUDIT_TABLE} (at)",
    # Registered as a GeoPackage attributes table so that GIS tools list it.
    f"""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
    VALUES ('{AUDIT_TABLE}', 'attributes', '{AUDIT_TABLE}',
            'Append-only audit log of the Polling Security Planner')""",
)


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log, as recorded."""

    at: datetime
    actor: str
    action: AuditAction
    target: str = ""
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    rows: int | None = None


def record(
    workspace_path: str | os.PathLike[str],
    *,
    actor: str,
    action: AuditAction,
    target: str = "",
    details: Mapping[str, str] | None = None,
    rows: int | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the audit log of a workspace.

    Parameters
    ----------
    workspace_path
        The workspace GeoPackage; it must exist (the log lives inside it).
    actor
        Who acted: a username (``viewer.name``), or ``cli:<account>``.
    action
        One of :data:`ACTIONS`.
    target
        What was acted on: a layer, scenario, file name or username.
    details
        Text key/value pairs: filters, format, version numbers... Never a password.
    rows
        Rows imported or exported, when that applies.
    now
        Time of the action (UTC); the current time by default.

    Returns
    -------
    AuditEntry
        The entry as stored.

    Raises
    ------
    InputError
        When ``action`` is unknown, ``actor`` is empty, ``rows`` is negative or
        ``details`` holds anything but text.
    StoreError
        When the workspace does not exist, is not a workspace of this application, or
        cannot be written.
    """
    entry = _entry(actor, action, target, details, rows, now)
    path = Path(workspace_path)
    store = GeoPackageStore(path)
    if not store.exists():
        raise StoreError(
            f"cannot record '{action}' in the audit log: there is no workspace at {path}; "
            "build or import one first"
        )
    with _store_lock(store), _connect(path) as con:
        try:
            with con:
                if not _has_table(con, VERSIONS_TABLE):
                    raise StoreError(
                        f"{path} is not a workspace of this application; the audit log is "
                        "only kept in workspaces"
                    )
                for statement in _SCHEMA:
                    con.execute(statement)
                con.execute(
                    f"INSERT INTO {AUDIT_TABLE} (at, actor, action, target, details, rows) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        _iso(entry.at),
                        entry.actor,
                        entry.action,
                        entry.target,
                        json.dumps(dict(entry.details), ensure_ascii=False, sort_keys=True),
                        entry.rows,
                    ),
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write the audit log of {path}: {exc}") from exc
    return entry


def read_log(
    workspace_path: str | os.PathLike[str],
    *,
    viewer: Viewer,
    actor: str | None = None,
    action: str | Sequence[str] | None = None,
    target: str | None = None,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Return audit entries, oldest first, filtered by actor, action and time.

    Parameters
    ----------
    workspace_path
        The workspace GeoPackage.
    viewer
        Who reads; needs ``read_audit_log``.
    actor
        Only entries of this actor (exact match).
    action
        Only entries with this action, or with any of these actions.
    target
        Only entries about this target (exact match), e.g. the account of failed sign-ins.
    since, until
        Only entries at or after ``since`` and before ``until`` (UTC). A date means
        midnight UTC at its start for ``since`` and the whole day for ``until``.
    limit
        Keep only the newest ``limit`` matching entries.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AUDIT_COLUMNS`: ``entry`` (sequence number), ``at``
        (datetime64, UTC), ``actor``, ``action``, ``target``, ``details`` (JSON text),
        ``rows`` (nullable Int64). Empty when the workspace has no log yet.

    Raises
    ------
    AccessDeniedError
        When ``viewer`` may not read the audit log.
    StoreError
        When the workspace cannot be read.
    """
    require(viewer, "read_audit_log")
    path = Path(workspace_path)
    if not path.is_file():
        raise StoreError(f"there is no workspace at {path}")
    clauses: list[str] = []
    params: list[object] = []
    if actor is not None:
        clauses.append("actor = ?")
        params.append(actor)
    if action is not None:
        actions = [action] if isinstance(action, str) else list(action)
        if not actions:
            return _log_frame([])
        placeholders = ", ".join("?" * len(actions))
        clauses.append(f"action IN ({placeholders})")
        params.extend(actions)
    if target is not None:
        clauses.append("target = ?")
        params.append(target)
    if since is not None:
        clauses.append("at >= ?")
        params.append(_iso(_bound(since, end=False)))
    if until is not None:
        clauses.append("at < ?")
        params.append(_iso(_bound(until, end=True)))
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    query = (
        f"SELECT fid, at, actor, action, target, details, rows FROM {AUDIT_TABLE}{where} "
        "ORDER BY fid DESC"
    )
    if limit is not None:
        query += " LIMIT ?"
        params.append(max(int(limit), 0))
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as con:
            if not _has_table(con, AUDIT_TABLE):
                return _log_frame([])
            rows = con.execute(query, params).fetchall()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read the audit log of {path}: {exc}") from exc
    return _log_frame(rows[::-1])


def details_text(details: Mapping[str, str]) -> str:
    """Return details as one line, ``key=value; key=value``, for messages and logs."""
    return "; ".join(f"{k}={v}" for k, v in sorted(details.items()))


# -- internals ---------------------------------------------------------------------------


def _entry(
    actor: str,
    action: str,
    target: str,
    details: Mapping[str, str] | None,
    rows: int | None,
    now: datetime | None,
) -> AuditEntry:
    if action not in ACTIONS:
        raise InputError(f"unknown audit action '{action}'; use one of {', '.join(ACTIONS)}")
    if not actor.strip():
        raise InputError("the audit entry has no actor; say who acted")
    if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 0):
        raise InputError(f"rows must be a whole number of at least 0, not {rows!r}")
    values = dict(details or {})
    bad = [repr(k) for k, v in values.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise InputError(
            f"audit details must be text; convert {', '.join(bad)} with str() before recording"
        )
    clean = {_clip(k): _clip(v) for k, v in values.items()}
    moment = datetime.now(UTC) if now is None else _utc(now)
    return AuditEntry(
        at=moment,
        actor=_clip(actor.strip()),
        action=action,  # type: ignore[arg-type]  # checked against ACTIONS above
        target=_clip(target),
        details=MappingProxyType(clean),
        rows=rows,
    )


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    # One fixed format (UTC, milliseconds) so that text order is time order.
    return _utc(moment).isoformat(timespec="milliseconds")


def _bound(moment: datetime | date, *, end: bool) -> datetime:
    if isinstance(moment, datetime):
        return _utc(moment)
    start = datetime.combine(moment, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


@contextmanager
def _store_lock(store: GeoPackageStore) -> Iterator[None]:
    """Hold the store's writer lock, as :meth:`GeoPackageStore._transaction` does."""
    with open(store.lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    # Opened only once the lock is held, so the connection is to the current file and
    # not to one a concurrent writer is about to replace.
    try:
        con = sqlite3.connect(path, timeout=30)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open the workspace {path}: {exc}") from exc
    with closing(con):
        yield con


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    row = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def _log_frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(AUDIT_COLUMNS))
    frame["entry"] = frame["entry"].astype("int64")
    frame["at"] = pd.to_datetime(frame["at"].astype("str"), utc=True, format="ISO8601")
    for name in ("actor", "action", "target", "details"):
        frame[name] = frame[name].astype("str")
    frame["rows"] = pd.array(frame["rows"].tolist(), dtype="Int64")
    return frame
