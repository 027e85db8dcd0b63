"""The append-only audit log kept in the workspace: who did what, when, to which data.

Entries live in the table ``audit_log`` of the workspace GeoPackage (registered as a
GeoPackage attributes table, so QGIS lists it too). Each entry has a time (UTC), an
actor (a username, ``cli:<account>`` for the command line), an action from
:data:`ACTIONS`, a target (a layer, a scenario, a file name, a username), details as
text key/value pairs (stored as JSON) and, for imports and exports, a row count.

Append-only: SQLite triggers make every ``UPDATE`` or ``DELETE`` of an entry fail, and
every ``INSERT`` that reuses an entry number (``INSERT OR REPLACE``, ``REPLACE INTO``,
which would otherwise rewrite an entry without firing the delete trigger); nothing in the
application edits or deletes entries. Older workspaces get the missing triggers at their
next entry. (Anyone who can write the file itself can still drop the table or the
triggers: protect the workspace file with file-system permissions and back it up.)

Complete: a change of the workspace (import, rollback, record edit, scenario save or
delete) and its entry are written in one transaction by the store
(:class:`geo.store.GeoPackageStore` takes the entries with the write), so a crash leaves
both or neither. Other actions (sign-ins, exports) add their entry in place with one
``INSERT`` under the store's writer lock (:func:`record`). Exports fail closed: a file is
only handed over once its entry is written (:func:`staged_file`, :func:`export_file`).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args

import pandas as pd

from geo.errors import InputError, StoreError
from geo.permissions import Viewer, require
from geo.store import AUDIT_TABLE, AuditEntry, GeoPackageStore, audit_time

__all__ = [
    "ACTIONS",
    "AUDIT_COLUMNS",
    "AUDIT_TABLE",
    "AuditAction",
    "AuditEntry",
    "check_recordable",
    "details_text",
    "export_file",
    "make_entry",
    "read_log",
    "record",
    "staged_file",
]

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
    "mapping_save",
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


def make_entry(
    *,
    actor: str,
    action: AuditAction,
    target: str = "",
    details: Mapping[str, str] | None = None,
    rows: int | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Return a checked entry (for :func:`record`, or for a store write to add).

    Parameters
    ----------
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

    Raises
    ------
    InputError
        When ``action`` is unknown, ``actor`` is empty, ``rows`` is negative or
        ``details`` holds anything but text.
    """
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
        action=action,
        target=_clip(target),
        details=MappingProxyType(clean),
        rows=rows,
    )


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
    actor, action, target, details, rows, now
        As for :func:`make_entry`.

    Returns
    -------
    AuditEntry
        The entry as stored.

    Raises
    ------
    InputError
        When the entry is not valid (see :func:`make_entry`).
    StoreError
        When the workspace does not exist, is not a workspace of this application, or
        cannot be written.
    """
    entry = make_entry(
        actor=actor, action=action, target=target, details=details, rows=rows, now=now
    )
    path = Path(workspace_path)
    store = GeoPackageStore(path)
    if not store.exists():
        raise StoreError(
            f"cannot record '{action}' in the audit log: there is no workspace at {path}; "
            "build or import one first"
        )
    store.append_audit([entry])
    return entry


def check_recordable(workspace_path: str | os.PathLike[str]) -> None:
    """Raise :class:`~geo.errors.StoreError` when an entry could not be recorded now.

    Used to switch exports off, with the reason, before anyone asks for a file; nothing
    is written.
    """
    store = GeoPackageStore(workspace_path)
    if not store.exists():
        raise StoreError(
            f"there is no workspace at {store.path} to record exports in; build or import one"
        )
    store.check_audit_writable()


@contextmanager
def staged_file(out_path: str | os.PathLike[str], content: bytes) -> Iterator[Path]:
    """Write ``content`` beside ``out_path``; give it that name only if the block succeeds.

    The block records the export (with :func:`record`, or in a store write): if that
    fails, the file never appears under its name (fail closed) and an older file of that
    name is kept. The content is written before the block, so a file that cannot be
    written is never recorded as exported.

    Raises
    ------
    InputError
        When the file cannot be written there (missing folder, no permission, full disk).
    """
    out = Path(out_path)
    partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
    try:
        partial.write_bytes(content)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(
            f"cannot write {out} ({exc.strerror or exc}); choose a folder you may write to, "
            "with room for the file"
        ) from exc
    try:
        yield partial
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def export_file(
    workspace_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    content: bytes,
    *,
    actor: str,
    details: Mapping[str, str] | None = None,
    rows: int | None = None,
) -> AuditEntry:
    """Write an exported file only once its ``export`` entry is in the audit log.

    Returns
    -------
    AuditEntry
        The entry recorded (its target is the file's name).

    Raises
    ------
    StoreError
        When the entry cannot be recorded; no file is written.
    InputError
        When the file cannot be written; nothing is recorded.
    """
    with staged_file(out_path, content):
        return record(
            workspace_path,
            actor=actor,
            action="export",
            target=Path(out_path).name,
            details=details,
            rows=rows,
        )


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
        params.append(audit_time(_bound(since, end=False)))
    if until is not None:
        clauses.append("at < ?")
        params.append(audit_time(_bound(until, end=True)))
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    query = (
        f"SELECT fid, at, actor, action, target, details, rows FROM {AUDIT_TABLE}{where} "
        "ORDER BY fid DESC"
    )
    if limit is not None:
        query += " LIMIT ?"
        params.append(max(int(limit), 0))
    with GeoPackageStore(path).reading() as con:
        if not _has_table(con, AUDIT_TABLE):
            return _log_frame([])
        rows = con.execute(query, params).fetchall()
    return _log_frame(rows[::-1])


def details_text(details: Mapping[str, str]) -> str:
    """Return details as one line, ``key=value; key=value``, for messages and logs."""
    return "; ".join(f"{k}={v}" for k, v in sorted(details.items()))


# -- internals ---------------------------------------------------------------------------


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _bound(moment: datetime | date, *, end: bool) -> datetime:
    if isinstance(moment, datetime):
        return _utc(moment)
    start = datetime.combine(moment, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


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
