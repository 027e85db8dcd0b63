"""The election-day event log: what happened, appended one small transaction at a time.

Every change on the day (an incident reported, a unit dispatched, a centre closed ...) is an
:class:`Event` appended to the table ``events``; the live state is folded from the base
layers plus these events (:mod:`geo.livestate`). Events are never changed or deleted: a
correction is a new event.

Where the table lives
---------------------
The workspace GeoPackage is published by copying it and renaming the copy onto it
(:class:`geo.store.GeoPackageStore`), and an SQLite database in WAL mode must never be
renamed over while connections use it (its ``-wal`` and ``-shm`` files are found by
name and would be applied to the wrong file). So the ``events`` table is kept in the
workspace's event database, the sibling file ``<workspace>.events.sqlite``
(:func:`events_path`), in WAL mode with a busy timeout: appending never copies or
rewrites the workspace file and never touches a layer, readers never block the writer,
and a process killed mid-append loses only its own unacknowledged event. Each process
keeps one writing connection open (opening one per append cost most of its time with
many writers), so while the app runs the log is its file plus ``-wal`` and ``-shm``:
back it up with ``sqlite3 FILE ".backup COPY"``; stop the app before restoring or
moving it, and move the workspace and its log together.

Columns
-------
``seq`` (append order, also the log's cheap version number, :meth:`EventLog.version`),
``event_id`` (a UUID made by the client, unique), ``time`` (when it happened, UTC ISO 8601
with milliseconds, so text order is time order), ``recorded_at`` (when it was stored),
``actor``, ``kind`` (:data:`EVENT_KINDS`), ``centre_id``, ``unit_id``, ``incident_id`` and
``payload`` (a small JSON object of :data:`PAYLOAD_KEYS`).

Idempotent: a submission whose ``event_id`` is already stored with the same content (kind,
actor, ids and payload; the time of a retry may differ) is acknowledged without being
stored again; the same id with other content is refused. Append-only: SQLite triggers
make every ``UPDATE``, ``DELETE`` or ``REPLACE`` of an event fail.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args

from geo.errors import InputError, StoreError
from geo.schema import INCIDENT_CATEGORIES, LIBYA_BOUNDS
from geo.store import integrity_check_command

__all__ = [
    "EVENT_KINDS",
    "EVENTS_TABLE",
    "PAYLOAD_KEYS",
    "AppendResult",
    "Event",
    "EventKind",
    "EventLog",
    "as_utc",
    "close_writers",
    "events_path",
    "make_event",
    "new_incident_id",
    "parse_time",
]

EVENTS_TABLE = "events"
#: Settings of one event database (``key``, ``value``): its clock namespace.
META_TABLE = "log_meta"
_CLOCK_KEY = "clock_namespace"

EventKind = Literal[
    "incident_reported",
    "incident_verified",
    "incident_invalid",
    "incident_escalated",
    "incident_assigned",
    "unit_dispatched",
    "unit_back",
    "incident_resolved",
    "incident_closed",
    "centre_opened",
    "centre_suspended",
    "centre_closed",
    "centre_relocated",
    "centre_reopened",
    "police_present",
    "police_absent",
    "female_searcher_present",
    "female_searcher_absent",
    "shift_handover",
]
#: Every kind an event may have.
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)

#: Keys a payload may hold.
PAYLOAD_KEYS = (
    "lat", "lon", "category", "severity", "note", "reason", "owner", "previous_owner",
)  # fmt: skip
#: Why an incident was escalated (``reason`` of ``incident_escalated``).
ESCALATION_REASONS = ("verify", "act", "manual")

#: What each kind needs: the ids it must name, and payload keys it requires.
_NEEDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = MappingProxyType(
    {
        "incident_reported": ((), ("category", "severity")),
        "incident_verified": (("incident_id",), ()),
        "incident_invalid": (("incident_id",), ()),
        "incident_escalated": (("incident_id",), ()),
        "incident_assigned": (("incident_id",), ("owner",)),
        "unit_dispatched": (("unit_id", "incident_id"), ()),
        "unit_back": (("unit_id",), ()),
        "incident_resolved": (("incident_id",), ()),
        "incident_closed": (("incident_id",), ()),
        "centre_opened": (("centre_id",), ()),
        "centre_suspended": (("centre_id",), ()),
        "centre_closed": (("centre_id",), ()),
        "centre_relocated": (("centre_id",), ("lat", "lon")),
        "centre_reopened": (("centre_id",), ()),
        "police_present": (("centre_id",), ()),
        "police_absent": (("centre_id",), ()),
        "female_searcher_present": (("centre_id",), ()),
        "female_searcher_absent": (("centre_id",), ()),
        "shift_handover": ((), ()),
    }
)
_FLAG = {"centre_id": "--centre", "unit_id": "--unit", "incident_id": "--incident"}
_MAX_NOTE_CHARS = 1_000
_MAX_ID_CHARS = 64
_MAX_ACTOR_CHARS = 200
#: Ids and names are printed one per line (``event list``, tables): no line break, tab,
#: terminal escape or other control or format character.
_CONTROL_HINT = (
    "{what} holds a control character (a line break, tab or escape); give it as printed text"
)
#: An event may be dated at most this far ahead of the clock (clocks of field devices drift).
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: An event may be dated at most this long before the clock: a field device that was
#: offline for the day still uploads, a time in another year is a typing or clock error.
MAX_EVENT_AGE = timedelta(days=7)
#: Seconds a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Event:
    """One event of the day (made and checked by :func:`make_event`).

    ``time`` is timezone-aware UTC; ``payload`` holds :data:`PAYLOAD_KEYS` only; ``seq``
    is the append order once stored (``None`` before).
    """

    event_id: str
    time: datetime
    actor: str
    kind: EventKind
    centre_id: str | None = None
    unit_id: str | None = None
    incident_id: str | None = None
    payload: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    seq: int | None = None

    @property
    def lon_lat(self) -> tuple[float, float] | None:
        """The place the event gives (``lon``, ``lat`` of the payload), if any."""
        if "lat" in self.payload and "lon" in self.payload:
            return float(str(self.payload["lon"])), float(str(self.payload["lat"]))
        return None

    def same_content(self, other: Event) -> bool:
        """Return True when ``other`` is the same submission (a retry may have another time)."""
        return (
            self.event_id == other.event_id
            and self.kind == other.kind
            and self.actor == other.actor
            and (self.centre_id, self.unit_id, self.incident_id)
            == (other.centre_id, other.unit_id, other.incident_id)
            and _payload_text(self.payload) == _payload_text(other.payload)
        )


@dataclass(frozen=True)
class AppendResult:
    """What :meth:`EventLog.append` did: the events stored and those already recorded."""

    stored: tuple[Event, ...]
    already: tuple[Event, ...]
    version: int


def events_path(workspace: str | Path) -> Path:
    """Return the event database of the workspace file ``workspace`` (a sibling file)."""
    path = Path(workspace)
    return path.with_name(path.name + ".events.sqlite")


def new_incident_id(event_id: str) -> str:
    """Return the id of the incident an ``incident_reported`` event creates.

    Made from the event id, so that a retried report names the same incident.
    """
    return "INC-" + uuid.UUID(event_id).hex[:10].upper()


def parse_time(text: str, what: str = "time") -> datetime:
    """Read an ISO 8601 time (``2025-05-16T14:30``, ``...+02:00``); naive means UTC.

    Raises
    ------
    InputError
        When the text is not such a time, saying how to write one.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(
            f"{what} '{text}' is not a time; write it as YYYY-MM-DDTHH:MM (UTC) or with an "
            "offset, e.g. 2025-05-16T14:30+02:00"
        ) from exc
    return as_utc(moment)


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; a naive time is taken as UTC (as the log stores times)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _time_text(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds")


def _payload_text(payload: Mapping[str, object]) -> str:
    return json.dumps(dict(payload), ensure_ascii=False, sort_keys=True)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def make_event(
    *,
    kind: str,
    actor: str,
    event_id: str | None = None,
    time: datetime | None = None,
    centre_id: object = None,
    unit_id: object = None,
    incident_id: object = None,
    lat: object = None,
    lon: object = None,
    category: object = None,
    severity: object = None,
    note: object = None,
    reason: object = None,
    owner: object = None,
    previous_owner: object = None,
    now: datetime | None = None,
) -> Event:
    """Return a checked event; collect every problem of its fields into one message.

    Checks what can be checked without the workspace: the kind, the ids it must name,
    the UUID, the time (not more than :data:`MAX_CLOCK_SKEW` ahead of ``now`` nor more than
    :data:`MAX_EVENT_AGE` before it), a place
    inside Libya (both ``lat`` and ``lon``), a category of
    :data:`geo.schema.INCIDENT_CATEGORIES`, a severity 1 to 5 and the note's length.
    Whether the ids exist and the change is allowed is checked against the live state
    (:func:`geo.livestate.check_events`).

    Parameters
    ----------
    kind
        One of :data:`EVENT_KINDS`.
    actor
        Who records the event (a username, ``cli:<account>``).
    event_id
        The client's UUID; a new one when ``None``. An ``incident_reported`` event without
        ``incident_id`` creates the incident :func:`new_incident_id` (``event_id``).
    time
        When it happened; ``now`` when ``None``.
    centre_id, unit_id, incident_id
        What the event concerns.
    lat, lon
        A place (degrees, WGS84): of a reported incident, or a relocated centre's new place.
    category, severity
        Of a reported incident.
    note, reason
        Free text (at most 1,000 characters); the reason of an escalation
        (:data:`ESCALATION_REASONS`, default ``manual``).
    owner
        Who takes charge of an incident (``incident_assigned``): a name, at most 200
        characters.
    previous_owner
        The owner the assigning operator saw (``""`` for nobody): the assignment is then
        refused when someone else took the incident meanwhile (no lost update). ``None``
        assigns whoever holds it.
    now
        The current time (UTC); the clock's when ``None``.

    Raises
    ------
    InputError
        Naming every field that is wrong and how to fix it.
    """
    problems: list[str] = []
    clock = as_utc(now) if now is not None else datetime.now(UTC)
    if kind not in EVENT_KINDS:
        raise InputError(f"unknown event kind '{kind}'; use one of {', '.join(EVENT_KINDS)}")
    actor_text = _text(actor) or ""
    if not actor_text:
        problems.append("the actor is empty; say who records the event")
    elif len(actor_text) > _MAX_ACTOR_CHARS:
        problems.append(f"the actor is longer than {_MAX_ACTOR_CHARS} characters; shorten it")
    elif not actor_text.isprintable():
        problems.append(_CONTROL_HINT.format(what="the actor"))
    if event_id is None or not str(event_id).strip():
        event_text = str(uuid.uuid4())
    else:
        try:
            event_text = str(uuid.UUID(str(event_id).strip()))
        except ValueError:
            problems.append(
                f"event id '{str(event_id)[:40]}' is not a UUID; give one such as "
                f"{uuid.UUID(int=0)} (made by the client) or leave it out"
            )
            event_text = str(uuid.UUID(int=0))
    moment = clock if time is None else as_utc(time)
    if moment > clock + MAX_CLOCK_SKEW:
        problems.append(
            f"time {_time_text(moment)} is in the future (now {_time_text(clock)}); check the "
            "clock or the time zone of the time given"
        )
    elif moment < clock - MAX_EVENT_AGE:
        problems.append(
            f"time {_time_text(moment)} is more than {MAX_EVENT_AGE.days} days before now "
            f"({_time_text(clock)}); check the date (year, day and month order) of the time "
            "given"
        )
    ids: dict[str, str | None] = {}
    for name, value in (
        ("centre_id", centre_id),
        ("unit_id", unit_id),
        ("incident_id", incident_id),
    ):
        text = _text(value)
        if text is not None and len(text) > _MAX_ID_CHARS:
            problems.append(f"{name} is longer than {_MAX_ID_CHARS} characters; check it")
        elif text is not None and not text.isprintable():
            problems.append(_CONTROL_HINT.format(what=name))
        ids[name] = text
    needed_ids, needed_keys = _NEEDS[kind]
    for name in needed_ids:
        if ids[name] is None:
            problems.append(f"{kind} needs {name} ({_FLAG[name]} ID)")
    payload: dict[str, object] = {}
    place = _place(lat, lon, problems)
    if place is not None:
        payload["lon"], payload["lat"] = place
    if kind == "incident_reported" and place is None and ids["centre_id"] is None:
        problems.append(
            "incident_reported needs a place: --lat and --lon, or the --centre it happened at"
        )
    cat = _text(category)
    if cat is not None:
        if cat not in INCIDENT_CATEGORIES:
            problems.append(
                f"category '{cat[:40]}' is not one of {', '.join(INCIDENT_CATEGORIES)}; use one"
            )
        payload["category"] = cat
    sev = _text(severity)
    if sev is not None:
        try:
            number = float(sev)
        except ValueError:
            number = math.nan
        if not (number.is_integer() and 1 <= number <= 5):
            problems.append(f"severity '{sev[:20]}' is not a whole number from 1 to 5; give one")
        else:
            payload["severity"] = int(number)
    why = _text(reason)
    if why is not None:
        if kind != "incident_escalated":
            problems.append("a reason is only given with incident_escalated; leave it out")
        elif why not in ESCALATION_REASONS:
            problems.append(
                f"reason '{why[:20]}' is not one of {', '.join(ESCALATION_REASONS)}; use one"
            )
        payload["reason"] = why
    elif kind == "incident_escalated":
        payload["reason"] = "manual"
    who = _text(owner)
    if who is not None:
        if kind != "incident_assigned":
            problems.append("an owner is only given with incident_assigned; leave it out")
        elif len(who) > _MAX_ACTOR_CHARS:
            problems.append(f"the owner is longer than {_MAX_ACTOR_CHARS} characters; shorten it")
        elif not who.isprintable():
            problems.append(_CONTROL_HINT.format(what="the owner"))
        payload["owner"] = who
    if previous_owner is not None:
        was = str(previous_owner).strip()
        if kind != "incident_assigned":
            problems.append("a previous owner is only given with incident_assigned; leave it out")
        elif len(was) > _MAX_ACTOR_CHARS or not was.isprintable():
            problems.append(
                f"the previous owner is not a printable name of at most {_MAX_ACTOR_CHARS} "
                "characters; give it as the board shows it"
            )
        payload["previous_owner"] = was
    text = _text(note)
    if text is not None:
        if len(text) > _MAX_NOTE_CHARS:
            problems.append(
                f"the note has {len(text):,} characters, more than {_MAX_NOTE_CHARS:,}; shorten it"
            )
        payload["note"] = text
    for key in needed_keys:
        if key not in payload and not any(key in p for p in problems):
            problems.append(f"{kind} needs {key} (--{key})")
    if kind not in ("incident_reported", "centre_relocated") and place is not None:
        problems.append(f"{kind} takes no place; leave out --lat and --lon")
    if kind != "incident_reported" and (cat is not None or sev is not None):
        problems.append(f"{kind} takes no category or severity; leave them out")
    if problems:
        raise InputError("; ".join(problems))
    if kind == "incident_reported" and ids["incident_id"] is None:
        ids["incident_id"] = new_incident_id(event_text)
    return Event(
        event_id=event_text,
        time=moment,
        actor=actor_text,
        kind=kind,  # checked against EVENT_KINDS above
        centre_id=ids["centre_id"],
        unit_id=ids["unit_id"],
        incident_id=ids["incident_id"],
        payload=MappingProxyType(payload),
    )


def _place(lat: object, lon: object, problems: list[str]) -> tuple[float, float] | None:
    """Return (lon, lat) inside Libya, or None (appending to ``problems`` when wrong)."""
    lat_text, lon_text = _text(lat), _text(lon)
    if lat_text is None and lon_text is None:
        return None
    if lat_text is None or lon_text is None:
        problems.append("give both --lat and --lon (degrees, WGS84), or neither")
        return None
    try:
        y, x = float(lat_text), float(lon_text)
    except ValueError:
        problems.append(
            f"lat '{lat_text[:20]}' and lon '{lon_text[:20]}' must be numbers in degrees, "
            "e.g. --lat 32.89 --lon 13.18"
        )
        return None
    lon_min, lat_min, lon_max, lat_max = LIBYA_BOUNDS
    if not (math.isfinite(x) and math.isfinite(y)):
        problems.append("lat and lon must be finite numbers in degrees")
        return None
    if not (lon_min <= x <= lon_max and lat_min <= y <= lat_max):
        swapped = lon_min <= y <= lon_max and lat_min <= x <= lat_max
        hint = "latitude and longitude look swapped; swap them" if swapped else "check them"
        problems.append(f"the place lat {y:g}, lon {x:g} lies outside Libya; {hint}")
        return None
    return x, y


# -- the log ---------------------------------------------------------------------------

_COLUMNS = (
    "event_id",
    "time",
    "recorded_at",
    "actor",
    "kind",
    "centre_id",
    "unit_id",
    "incident_id",
    "payload",
)
_META_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        time TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        centre_id TEXT,
        unit_id TEXT,
        incident_id TEXT,
        payload TEXT NOT NULL
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS {EVENTS_TABLE}_no_update BEFORE UPDATE ON {EVENTS_TABLE}
    BEGIN SELECT RAISE(ABORT, 'events are never changed: record a correction as a new event');
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {EVENTS_TABLE}_no_delete BEFORE DELETE ON {EVENTS_TABLE}
    BEGIN SELECT RAISE(ABORT, 'events are never deleted: record a correction as a new event');
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {EVENTS_TABLE}_no_replace BEFORE INSERT ON {EVENTS_TABLE}
    WHEN EXISTS (SELECT 1 FROM {EVENTS_TABLE} WHERE event_id = NEW.event_id OR seq = NEW.seq)
    BEGIN SELECT RAISE(ABORT, 'events are never replaced: record a new event'); END""",
    f"CREATE INDEX IF NOT EXISTS {EVENTS_TABLE}_time ON {EVENTS_TABLE} (time)",
    *_META_SCHEMA,
)

#: Checks a batch against the stored events under the write lock: called as
#: ``check(stored, new)`` (both in append order), it raises InputError to refuse.
Check = Callable[[Sequence[Event], Sequence[Event]], None]


class EventLog:
    """The ``events`` table of one workspace (see the module docstring).

    Parameters
    ----------
    workspace
        The workspace file; the events are kept in :func:`events_path` of it.
    """

    def __init__(self, workspace: str | Path) -> None:
        self.workspace = Path(workspace)
        self.path = events_path(workspace)

    def __repr__(self) -> str:
        return f"EventLog({str(self.workspace)!r})"

    def exists(self) -> bool:
        """Return True when an event has ever been recorded for the workspace."""
        return self.path.is_file()

    def version(self) -> int:
        """Return a number that grows with every stored event (0 before the first): cheap."""
        if not self.exists():
            return 0
        with self._reading() as con:
            if con is None:
                return 0
            row = con.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {EVENTS_TABLE}").fetchone()
        return int(row[0])

    def clock_namespace(self) -> uuid.UUID:
        """Return this log's namespace for the ids of the clocks' events (made on first use).

        Random per event database and shown nowhere, so that nobody can store another
        event under the id a clock's escalation will have (which would make every board's
        escalation of that incident a refused "same id, other content").

        Raises
        ------
        StoreError
            When the workspace does not exist or the event database cannot be written.
        """
        if self.exists():
            with self._reading() as con:
                found = None if con is None else _meta(con, _CLOCK_KEY)
            if found is not None:
                return uuid.UUID(found)
        self._require_workspace()
        try:
            with self._writing() as con:
                for statement in _META_SCHEMA:
                    con.execute(statement)
                con.execute(
                    f"INSERT OR IGNORE INTO {META_TABLE} (key, value) VALUES (?, ?)",
                    (_CLOCK_KEY, str(uuid.uuid4())),
                )
                made = _meta(con, _CLOCK_KEY)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write the event database {self.path} ({exc})") from exc
        assert made is not None
        return uuid.UUID(made)

    def _require_workspace(self) -> None:
        if not self.workspace.is_file():
            raise StoreError(
                f"there is no workspace at {self.workspace} to record events for; build or "
                "import it first"
            )

    def read(self, *, until: datetime | None = None) -> list[Event]:
        """Return the stored events in append order, those at or before ``until`` only."""
        if not self.exists():
            return []
        query = f"SELECT seq, {', '.join(_COLUMNS)} FROM {EVENTS_TABLE}"
        params: tuple[str, ...] = ()
        if until is not None:
            query += " WHERE time <= ?"
            params = (_time_text(until),)
        with self._reading() as con:
            if con is None:
                return []
            rows = con.execute(query + " ORDER BY seq", params).fetchall()
        return [_event_of(row) for row in rows]

    def append(self, events: Sequence[Event], *, check: Check | None = None) -> AppendResult:
        """Store ``events`` in one transaction (all or none); acknowledge retries.

        Under SQLite's write lock (``BEGIN IMMEDIATE``, waiting up to
        :data:`BUSY_TIMEOUT_S` for another writer) the stored events are read, events
        already stored are set aside (:meth:`Event.same_content`), ``check`` sees the rest,
        and they are inserted. When this returns, the events are on disk.

        Raises
        ------
        InputError
            When an id is stored with other content, an id repeats in the batch with other
            content, or ``check`` refuses; nothing is stored.
        StoreError
            When the workspace does not exist or the event database cannot be written.
        """
        self._require_workspace()
        batch: dict[str, Event] = {}
        for event in events:
            earlier = batch.get(event.event_id)
            if earlier is not None and not earlier.same_content(event):
                raise InputError(
                    f"event id {event.event_id} is given twice with different content; give "
                    "each event its own id"
                )
            batch.setdefault(event.event_id, event)
        recorded_at = _time_text(datetime.now(UTC))
        key = str(self.path.resolve())
        extended = False
        try:
            with self._writing() as con:
                seen = _stored_events(con, key)
                stored = seen.events
                fresh: list[Event] = []
                already: list[Event] = []
                for event in batch.values():
                    known = seen.by_id.get(event.event_id)
                    if known is None:
                        fresh.append(event)
                    elif known.same_content(event):
                        already.append(known)
                    else:
                        raise InputError(
                            f"event id {event.event_id} is already recorded with other content "
                            f"({_describe(known)}); an event is never changed: record the "
                            "correction as a new event with a new id"
                        )
                if check is not None and fresh:
                    check(stored, fresh)
                done: list[Event] = []
                for event in fresh:
                    cursor = con.execute(
                        f"INSERT INTO {EVENTS_TABLE} ({', '.join(_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(_COLUMNS))})",
                        _row_of(event, recorded_at),
                    )
                    done.append(_with_seq(event, int(cursor.lastrowid or 0)))
                # Still under the lock: the next append of this process reads from here on.
                # Forgotten below if the commit fails.
                seen.extend(done)
                extended = True
                version = seen.version
        except BaseException as exc:
            if extended:
                _SEEN.pop(key, None)
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(
                    f"cannot record events in {self.path} ({exc}); nothing was recorded: check "
                    "that the folder is writable and the disk has room, then submit again (a "
                    "retry with the same event id is never stored twice)"
                ) from exc
            raise
        return AppendResult(stored=tuple(done), already=tuple(already), version=version)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        """Yield a connection; ``None`` while the first append is creating the database."""
        try:
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)) as con:
                if not _has_events_table(con):
                    if con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0:
                        yield None  # created, its table not yet committed: no event yet
                        return
                    raise StoreError(
                        f"{self.path} is not an event database of this application; move it "
                        "away so that it is not changed"
                    )
                yield con
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot read the events of {self.workspace} from {self.path} ({exc}); check "
                f"it with: {integrity_check_command(self.path)}"
            ) from exc

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """Yield a connection inside ``BEGIN IMMEDIATE``; commit on success, else roll back.

        The connection is this process's writer for the file (:func:`_writer`), kept open:
        opening one per append, and the checkpoint SQLite runs when the last connection
        to a WAL database closes, made most of an append's time when many processes
        write. Threads of the process take turns on it.
        """
        writer = _writer(self.path)
        with writer.lock:
            con = writer.connection(self.path)
            try:
                # The schema is committed on its own, so that a batch refused on the first
                # append leaves a readable (empty) log rather than a file without the table.
                if not _has_events_table(con):
                    con.execute("BEGIN IMMEDIATE")
                    for statement in _SCHEMA:
                        con.execute(statement)
                    con.execute("COMMIT")
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    writer.drop()  # a failed COMMIT or ROLLBACK: start afresh next time
                raise


class _Writer:
    """One process's open writing connection to one event database, and its turn lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        self._inode: int | None = None

    def connection(self, path: Path) -> sqlite3.Connection:
        """Return the open connection; a new one when the file was replaced or removed."""
        try:
            inode: int | None = path.stat().st_ino
        except FileNotFoundError:
            inode = None
        if self._con is not None and inode != self._inode:
            self.drop()  # another file now (restored from a copy, moved away): not ours
        if self._con is None:
            con = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            con.execute("PRAGMA journal_mode=WAL")
            # FULL: an acknowledged event survives a power cut too, not only a killed process.
            con.execute("PRAGMA synchronous=FULL")
            self._con, self._inode = con, path.stat().st_ino
        return self._con

    def drop(self) -> None:
        if self._con is not None:
            self._con.close()
        self._con = self._inode = None


#: This process's writers, per event database (resolved path); a few, the least recent
#: closed. Forgotten in a forked child (a connection must not cross a fork).
_WRITERS: dict[str, _Writer] = {}
_WRITERS_SIZE = 4
_WRITERS_GUARD = threading.Lock()
_ABANDONED: list[_Writer] = []


def _writer(path: Path) -> _Writer:
    key = str(path.resolve())
    with _WRITERS_GUARD:
        writer = _WRITERS.pop(key, None) or _Writer()
        _WRITERS[key] = writer  # the most recent last
        while len(_WRITERS) > _WRITERS_SIZE:
            oldest = _WRITERS.pop(next(iter(_WRITERS)))
            with oldest.lock:
                oldest.drop()
    return writer


def close_writers() -> None:
    """Close this process's open writing connections (each reopens on the next append).

    For a process that stops, or before the event database is restored or moved: a
    connection open on it must not see its file replaced.
    """
    with _WRITERS_GUARD:
        for writer in _WRITERS.values():
            with writer.lock:
                writer.drop()


def _forget_writers() -> None:
    global _WRITERS_GUARD
    # Kept referenced, never closed here: closing the parent's connection in the child
    # could disturb the parent's locks and journal.
    _ABANDONED.extend(_WRITERS.values())
    _WRITERS.clear()
    _WRITERS_GUARD = threading.Lock()


os.register_at_fork(after_in_child=_forget_writers)
# At a normal exit the log is checkpointed into its file (a killed process leaves its WAL,
# which the next connection applies).
atexit.register(close_writers)


@dataclass
class _Seen:
    """The stored events one process has read from one event database, in append order.

    Read under the write lock, so that an append reads only the events stored since its
    process last looked (the log is append-only): the list is the log's prefix up to
    :attr:`version`. Checked against the database on each use (the event at
    :attr:`version` must be there, with its id), so a log restored from a backup or
    replaced is read again whole.
    """

    events: list[Event] = field(default_factory=list)
    by_id: dict[str, Event] = field(default_factory=dict)

    @property
    def version(self) -> int:
        return (self.events[-1].seq or 0) if self.events else 0

    def extend(self, events: Sequence[Event]) -> None:
        for event in events:
            if (event.seq or 0) > self.version:
                self.events.append(event)
                self.by_id[event.event_id] = event


#: Per event database (resolved path): what this process has read of it.
_SEEN: dict[str, _Seen] = {}
_SEEN_SIZE = 8


def _stored_events(con: sqlite3.Connection, key: str) -> _Seen:
    """Return every stored event, reading only those this process has not read yet.

    Call inside the write lock (nobody appends meanwhile); the result is shared: read only.
    """
    seen = _SEEN.get(key)
    if seen is not None and seen.events:
        last = seen.events[-1]
        row = con.execute(
            f"SELECT event_id FROM {EVENTS_TABLE} WHERE seq = ?", (last.seq,)
        ).fetchone()
        if row is None or str(row[0]) != last.event_id:
            seen = None  # not the log this process read: read it again
    if seen is None:
        seen = _Seen()
        while len(_SEEN) >= _SEEN_SIZE:
            _SEEN.pop(next(iter(_SEEN)))
    rows = con.execute(
        f"SELECT seq, {', '.join(_COLUMNS)} FROM {EVENTS_TABLE} WHERE seq > ? ORDER BY seq",
        (seen.version,),
    )
    seen.extend([_event_of(row) for row in rows])
    _SEEN[key] = seen
    return seen


def _has_events_table(con: sqlite3.Connection) -> bool:
    row = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (EVENTS_TABLE,)
    ).fetchone()
    return row is not None


def _meta(con: sqlite3.Connection, key: str) -> str | None:
    exists = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (META_TABLE,)
    ).fetchone()
    if exists is None:
        return None
    row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _row_of(event: Event, recorded_at: str) -> tuple[object, ...]:
    return (
        event.event_id,
        _time_text(event.time),
        recorded_at,
        event.actor,
        event.kind,
        event.centre_id,
        event.unit_id,
        event.incident_id,
        _payload_text(event.payload),
    )


def _event_of(row: Sequence[object]) -> Event:
    seq, event_id, time, _recorded, actor, kind, centre, unit, incident, payload = row
    return Event(
        event_id=str(event_id),
        time=datetime.fromisoformat(str(time)),
        actor=str(actor),
        kind=str(kind),  # type: ignore[arg-type]  # only checked kinds are stored
        centre_id=None if centre is None else str(centre),
        unit_id=None if unit is None else str(unit),
        incident_id=None if incident is None else str(incident),
        payload=MappingProxyType(json.loads(str(payload))),
        seq=int(str(seq)),
    )


def _with_seq(event: Event, seq: int) -> Event:
    return replace(event, seq=seq)


def _describe(event: Event) -> str:
    ids = [
        f"{name} {value}"
        for name, value in (
            ("centre", event.centre_id),
            ("unit", event.unit_id),
            ("incident", event.incident_id),
        )
        if value is not None
    ]
    return " ".join([event.kind, *ids, "at", _time_text(event.time), "by", event.actor])
