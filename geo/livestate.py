"""The live state of election day, folded from the base layers plus the event log.

State machines (a change not listed is refused, saying what the state is and what may
follow):

* **incident**: ``reported`` → ``verified`` | ``invalid`` | ``escalated``;
  ``escalated`` → ``verified`` | ``invalid`` | ``resolved`` | ``escalated`` (another
  reason); ``verified`` → ``escalated`` | ``resolved``; ``resolved`` → ``closed``;
  ``invalid`` → ``closed``. Units may be dispatched to a ``reported``, ``verified`` or
  ``escalated`` incident.
* **centre** (starting from the layer's ``status``: ``open``, ``planned`` or ``closed``):
  ``centre_opened`` once, from ``open`` or ``planned``; ``centre_suspended`` from
  ``open``; ``centre_reopened`` from ``suspended`` or ``closed``; ``centre_closed`` from
  ``open``, ``planned`` or ``suspended``; ``centre_relocated`` moves it (any status).
  Police and female searcher presence are flags (unknown until reported).
* ``incident_assigned`` names who takes an incident on (any state but ``invalid`` and
  ``closed``; a later one hands it over).
* ``shift_handover`` marks the end of a shift (the handover brief lists what changed
  since the previous one); it changes no state.
* **unit**: ``available`` at its base (the layer's position) → ``unit_dispatched`` →
  ``dispatched`` (at the incident's place, unavailable) → ``unit_back`` → available at
  its base.

Events are folded in time order (append order among equal times), so the state "as of"
any moment is the fold of the events up to it. A new event, even one dated earlier than
events already stored, is accepted only when the fold stays legal
(:func:`check_events`).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo.errors import EventRefusedError
from geo.events import AppendResult, Event, EventLog, as_utc
from geo.schema import CRS

__all__ = [
    "CENTRE_MOVES",
    "DISPATCHABLE",
    "INCIDENT_MOVES",
    "INCIDENT_STATES",
    "LiveState",
    "check_events",
    "escalations_due",
    "fold_events",
    "live_layers",
    "read_live_state",
    "record_events",
]

INCIDENT_STATES = ("reported", "verified", "invalid", "escalated", "resolved", "closed")
#: Incident kind → states it may follow, and the state it leads to.
INCIDENT_MOVES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "incident_verified": (("reported", "escalated"), "verified"),
    "incident_invalid": (("reported", "escalated"), "invalid"),
    "incident_escalated": (("reported", "verified", "escalated"), "escalated"),
    "incident_resolved": (("verified", "escalated"), "resolved"),
    "incident_closed": (("resolved", "invalid"), "closed"),
}
DISPATCHABLE = ("reported", "verified", "escalated")
#: Kinds that act on an incident without changing its state.
_INCIDENT_ACTS = ("unit_dispatched", "incident_assigned")
#: Centre kind → statuses it may follow, and the status it leads to.
CENTRE_MOVES: Mapping[str, tuple[tuple[str, ...], str]] = {
    "centre_opened": (("open", "planned"), "open"),
    "centre_suspended": (("open",), "suspended"),
    "centre_reopened": (("suspended", "closed"), "open"),
    "centre_closed": (("open", "planned", "suspended"), "closed"),
}
_FLAGS = {
    "police_present": ("police_present", True),
    "police_absent": ("police_present", False),
    "female_searcher_present": ("female_searcher_present", True),
    "female_searcher_absent": ("female_searcher_present", False),
}


@dataclass(frozen=True)
class LiveState:
    """The state of the day at ``as_of``.

    Attributes
    ----------
    as_of
        The moment (UTC); events after it are left out.
    incidents
        One row per incident reported by events: ``incident_id``, ``state``,
        ``category``, ``severity``, ``centre_id``, ``lon``, ``lat``, ``reported_at``,
        ``verified_at``, ``acted_at`` (first dispatch or resolution), ``resolved_at``,
        ``closed_at``, ``escalations`` (reasons, comma-separated), ``units`` (dispatched
        now, comma-separated), ``reported_by``, ``owner`` (who took it on:
        ``incident_assigned``; ``None`` until then).
    centres
        One row per centre of the layer: ``centre_id``, ``status`` (``open``, ``planned``,
        ``suspended``, ``closed``), ``opened_at``, ``changed_at``, ``relocated``,
        ``police_present``, ``female_searcher_present`` (nullable booleans), ``lon``,
        ``lat`` (the current place).
    units
        One row per unit: ``unit_id``, ``available``, ``incident_id``, ``dispatched_at``,
        ``lon``, ``lat`` (at the incident while dispatched). Exact positions: show only to
        viewers with ``see_unit_positions``.
    version
        Number of events folded.
    """

    as_of: datetime
    incidents: pd.DataFrame
    centres: pd.DataFrame
    units: pd.DataFrame
    version: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def units_as_planned(self) -> LiveState:
        """Return this state with every unit available where the plan put it.

        Incidents and centres stay as they are; the units table keeps its rows but no
        dispatch and no position (``lon``, ``lat`` empty): the units layer has the base
        positions. For the coverage of a viewer who may not see unit positions
        (:func:`geo.redaction.live_state_for_viewer`).
        """
        units = self.units.assign(available=True, incident_id=None, dispatched_at=None)
        units["lon"] = units["lat"] = float("nan")
        return replace(self, units=units)


#: One thing's state while folding (the values are of several kinds).
_Row = dict[str, Any]


@dataclass
class _Fold:
    centres: dict[str, _Row]
    units: dict[str, _Row]
    incidents: dict[str, _Row]
    base_incident_ids: frozenset[str]
    problems: dict[str, str] = field(default_factory=dict)


def _points(frame: pd.DataFrame | None, key: str) -> dict[str, tuple[float, float]]:
    if frame is None or len(frame) == 0:
        return {}
    geoms = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else []
    out = {}
    for ident, geom in zip(frame[key].astype("str"), geoms, strict=False):
        if geom is not None and not geom.is_empty:
            out[ident] = (float(geom.x), float(geom.y))
    return out


#: The starting fold of the last base layers folded, by the frames' identity (the frames
#: are kept, so an id is not reused): building it takes ~70 ms nationally, copying ~5 ms.
_STARTS: dict[tuple[int, int, int], tuple[tuple[object, ...], _Fold]] = {}
_STARTS_SIZE = 4


def _start(centres: pd.DataFrame, units: pd.DataFrame, incidents: pd.DataFrame | None) -> _Fold:
    """Return the fold before any event (base layers are read-only: not changed in place)."""
    key = (id(centres), id(units), id(incidents))
    hit = _STARTS.get(key)
    if hit is None:
        while len(_STARTS) >= _STARTS_SIZE:
            _STARTS.pop(next(iter(_STARTS)))
        hit = ((centres, units, incidents), _new_start(centres, units, incidents))
        _STARTS[key] = hit
    template = hit[1]
    return _Fold(
        {k: dict(v) for k, v in template.centres.items()},
        {k: dict(v) for k, v in template.units.items()},
        {},
        template.base_incident_ids,
    )


def _new_start(centres: pd.DataFrame, units: pd.DataFrame, incidents: pd.DataFrame | None) -> _Fold:
    places = _points(centres, "centre_id")
    statuses = dict(zip(centres["centre_id"].astype("str"), centres["status"], strict=True))
    fold_centres = {
        cid: {
            "centre_id": cid,
            "status": str(statuses[cid]),
            "opened_at": None,
            "changed_at": None,
            "relocated": False,
            "police_present": None,
            "female_searcher_present": None,
            "lon": places.get(cid, (None, None))[0],
            "lat": places.get(cid, (None, None))[1],
        }
        for cid in statuses
    }
    bases = _points(units, "unit_id")
    fold_units = {
        uid: {
            "unit_id": uid,
            "available": True,
            "incident_id": None,
            "dispatched_at": None,
            "lon": bases.get(uid, (None, None))[0],
            "lat": bases.get(uid, (None, None))[1],
            "base": bases.get(uid, (None, None)),
        }
        for uid in units["unit_id"].astype("str")
    }
    base_ids = (
        frozenset() if incidents is None else frozenset(incidents["incident_id"].astype("str"))
    )
    return _Fold(fold_centres, fold_units, {}, base_ids)


def _order(events: Sequence[Event]) -> list[Event]:
    # Append order breaks ties; a batch not yet stored (seq None) comes after stored events.
    indexed = list(enumerate(events))
    indexed.sort(key=lambda p: (p[1].time, p[1].seq if p[1].seq is not None else 2**62, p[0]))
    return [e for _, e in indexed]


def _apply(fold: _Fold, event: Event) -> str | None:
    """Apply ``event``; return why it is refused (nothing changed), or None."""
    kind, at = event.kind, event.time
    if kind == "shift_handover":
        return None  # marks the end of a shift; changes no state
    if kind == "incident_reported":
        iid = event.incident_id or ""
        if iid in fold.incidents or iid in fold.base_incident_ids:
            return f"incident {iid} already exists; give the report a new incident id"
        place = event.lon_lat
        if event.centre_id is not None:
            centre = fold.centres.get(event.centre_id)
            if centre is None:
                return f"centre {event.centre_id} is not in the centres layer; check the id"
            if place is None:
                place = (float(str(centre["lon"])), float(str(centre["lat"])))
        assert place is not None  # make_event requires a place or a centre
        fold.incidents[iid] = {
            "incident_id": iid,
            "state": "reported",
            "category": event.payload.get("category"),
            "severity": event.payload.get("severity"),
            "centre_id": event.centre_id,
            "lon": place[0],
            "lat": place[1],
            "reported_at": at,
            "verified_at": None,
            "acted_at": None,
            "resolved_at": None,
            "closed_at": None,
            "escalations": [],
            "units": [],
            "reported_by": event.actor,
            "owner": None,
            "assigned_by": None,
            "assigned_at": None,
        }
        return None
    incident: _Row = fold.incidents.get(event.incident_id or "") or {}
    if (kind in INCIDENT_MOVES or kind in _INCIDENT_ACTS) and not incident:
        known = (
            "a past incident of the layer"
            if event.incident_id in fold.base_incident_ids
            else "not reported"
        )
        return (
            f"incident {event.incident_id} is {known} today; report it first "
            "(incident_reported) or check the id"
        )
    if kind in INCIDENT_MOVES:
        allowed, to = INCIDENT_MOVES[kind]
        state = str(incident["state"])
        if state not in allowed:
            return (
                f"incident {event.incident_id} is {state}: {kind} may only follow "
                f"{' or '.join(allowed)}"
            )
        if kind == "incident_escalated":
            reason = str(event.payload.get("reason", "manual"))
            escalations = incident["escalations"]
            assert isinstance(escalations, list)
            if reason != "manual" and reason in escalations:
                return f"incident {event.incident_id} was already escalated for '{reason}'"
            escalations.append(reason)
        incident["state"] = to
        if kind == "incident_verified":
            incident["verified_at"] = at
        elif kind == "incident_resolved":
            incident["resolved_at"] = at
            incident["acted_at"] = incident["acted_at"] or at
        elif kind == "incident_closed":
            incident["closed_at"] = at
        return None
    if kind == "incident_assigned":
        if incident["state"] in ("invalid", "closed"):
            return f"incident {event.incident_id} is {incident['state']}: nobody can take it on"
        was = event.payload.get("previous_owner")
        holder = incident["owner"] or ""
        if was is not None and was != holder:
            if not holder:
                return (
                    f"incident {event.incident_id} has no owner, not '{was}' as your board "
                    "showed; look again and assign it anew if you still mean to"
                )
            shown = f"'{was}'" if was else "nobody"
            return (
                f"incident {event.incident_id} was taken by '{holder}' "
                f"(assigned by {incident['assigned_by']} at {incident['assigned_at']:%H:%M} "
                f"UTC) after your board showed {shown} as its owner; look again and assign "
                "it anew if you still mean to"
            )
        incident.update(owner=event.payload.get("owner"), assigned_by=event.actor, assigned_at=at)
        return None
    if kind in ("unit_dispatched", "unit_back"):
        unit = fold.units.get(event.unit_id or "")
        if unit is None:
            return f"unit {event.unit_id} is not in the units layer; check the id"
        if kind == "unit_back":
            if unit["available"]:
                return f"unit {event.unit_id} is not dispatched; there is nothing to come back from"
            away = fold.incidents.get(str(unit["incident_id"]))
            if away is not None:
                away_units = away["units"]
                assert isinstance(away_units, list)
                away_units.remove(event.unit_id)
            base = unit["base"]
            assert isinstance(base, tuple)
            unit.update(
                available=True, incident_id=None, dispatched_at=None, lon=base[0], lat=base[1]
            )
            return None
        if not unit["available"]:
            return (
                f"unit {event.unit_id} is already dispatched to incident {unit['incident_id']}; "
                "record unit_back first"
            )
        if incident["state"] not in DISPATCHABLE:
            return (
                f"incident {event.incident_id} is {incident['state']}: units are dispatched "
                f"only to a {', '.join(DISPATCHABLE)} incident"
            )
        units = incident["units"]
        assert isinstance(units, list)
        units.append(event.unit_id)
        incident["acted_at"] = incident["acted_at"] or at
        unit.update(
            available=False,
            incident_id=event.incident_id,
            dispatched_at=at,
            lon=incident["lon"],
            lat=incident["lat"],
        )
        return None
    centre = fold.centres.get(event.centre_id or "")
    if centre is None:
        return f"centre {event.centre_id} is not in the centres layer; check the id"
    if kind in CENTRE_MOVES:
        allowed, to = CENTRE_MOVES[kind]
        if kind == "centre_opened" and centre["opened_at"] is not None:
            return f"centre {event.centre_id} was already opened at {centre['opened_at']}"
        if centre["status"] not in allowed:
            return (
                f"centre {event.centre_id} is {centre['status']}: {kind} may only follow "
                f"{' or '.join(allowed)}"
            )
        centre["status"] = to
        centre["changed_at"] = at
        if kind == "centre_opened":
            centre["opened_at"] = at
        return None
    if kind == "centre_relocated":
        place = event.lon_lat
        assert place is not None  # make_event requires it
        centre.update(lon=place[0], lat=place[1], relocated=True, changed_at=at)
        return None
    column, value = _FLAGS[kind]
    centre[column] = value
    return None


def _fold(
    events: Sequence[Event],
    centres: pd.DataFrame,
    units: pd.DataFrame,
    incidents: pd.DataFrame | None,
    as_of: datetime | None,
) -> tuple[_Fold, int]:
    fold = _start(centres, units, incidents)
    count = 0
    for event in _order(events):
        if as_of is not None and event.time > as_of:
            break
        count += 1
        problem = _apply(fold, event)
        if problem is not None:
            fold.problems[event.event_id] = problem
    return fold, count


def fold_events(
    events: Sequence[Event],
    *,
    centres: pd.DataFrame,
    units: pd.DataFrame,
    incidents: pd.DataFrame | None = None,
    as_of: datetime | None = None,
) -> LiveState:
    """Return the live state at ``as_of`` (after every event when ``None``).

    Parameters
    ----------
    events
        The day's events in any order (folded by time, then append order).
    centres, units
        The base ``centres`` and ``units`` layers (point geometry, EPSG:4326).
    incidents
        The base ``incidents`` layer (past incidents), so that a new report cannot reuse
        an id; ``None`` when there is none.
    as_of
        The moment to rebuild (timezone-aware; naive means UTC).

    An event that the layers no longer allow (e.g. a unit removed from the layer since)
    is skipped and named in :attr:`LiveState.warnings`.
    """
    moment = None if as_of is None else as_utc(as_of)
    fold, count = _fold(events, centres, units, incidents, moment)
    incident_rows = [
        {**row, "escalations": ",".join(row["escalations"]), "units": ",".join(row["units"])}
        for row in fold.incidents.values()
    ]
    incident_columns = [
        "incident_id", "state", "category", "severity", "centre_id", "lon", "lat",
        "reported_at", "verified_at", "acted_at", "resolved_at", "closed_at",
        "escalations", "units", "reported_by", "owner",
    ]  # fmt: skip
    centre_frame = pd.DataFrame(list(fold.centres.values()))
    for column in ("police_present", "female_searcher_present"):
        if column in centre_frame:
            centre_frame[column] = centre_frame[column].astype("boolean")
    unit_frame = pd.DataFrame(
        [{k: v for k, v in row.items() if k != "base"} for row in fold.units.values()],
        columns=["unit_id", "available", "incident_id", "dispatched_at", "lon", "lat"],
    )
    return LiveState(
        as_of=moment or max((e.time for e in events), default=datetime.now(UTC)),
        incidents=pd.DataFrame(incident_rows, columns=incident_columns),
        centres=centre_frame,
        units=unit_frame,
        version=count,
        warnings=tuple(f"event {eid} skipped: {why}" for eid, why in fold.problems.items()),
    )


def check_events(
    stored: Sequence[Event],
    new: Sequence[Event],
    *,
    centres: pd.DataFrame,
    units: pd.DataFrame,
    incidents: pd.DataFrame | None = None,
) -> None:
    """Refuse ``new`` events when the fold with them is not legal.

    The stored events and the new ones are folded together in time order; any event
    refused in that fold that is not refused without the new ones (a new event, or a
    later stored one it would make illegal) refuses the whole batch.

    Raises
    ------
    InputError
        Naming the first refused event, its kind and why, and what to do.
    """
    before, _ = _fold(stored, centres, units, incidents, None)
    after, _ = _fold([*stored, *new], centres, units, incidents, None)
    new_ids = {e.event_id for e in new}
    for event in _order([*stored, *new]):
        why = after.problems.get(event.event_id)
        if why is None or event.event_id in before.problems:
            continue
        if event.event_id in new_ids:
            raise EventRefusedError(
                f"{event.kind} refused: {why}; nothing was recorded", event.event_id
            )
        raise EventRefusedError(
            f"refused: the new event(s) would make the later event {event.event_id} "
            f"({event.kind} at {event.time.isoformat(timespec='seconds')}) illegal ({why}); "
            "nothing was recorded: record a correction after it instead"
        )


_BaseLayers = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]
#: The base layers read by this process, per workspace file: (file signature, stamp,
#: layers). Reading the workspace takes about a second nationally; its stamp (the version
#: table) about 10 ms; the signature (a stat of the file and its journal) microseconds.
_BASE_CACHE: dict[str, tuple[tuple[int, ...], str, _BaseLayers]] = {}
_BASE_CACHE_SIZE = 4


def _signature(path: Path) -> tuple[int, ...]:
    """Return what changes whenever the file is written: its and its WAL's stat."""
    out: list[int] = []
    for one in (path, path.with_name(path.name + "-wal")):
        try:
            st = one.stat()
        except FileNotFoundError:
            out += [0, 0, 0]
            continue
        out += [st.st_ino, st.st_size, st.st_mtime_ns]
    return tuple(out)


def _base_layers(workspace: str | Path) -> _BaseLayers:
    """Return the ``centres``, ``units`` and ``incidents`` layers (read-only: shared).

    Read again only when a layer of the workspace has a new version since the last read;
    the version table is read only when the file was written since (a publish renames a
    new file onto it; an audit entry writes in place).
    """
    import geo.workspace

    path = Path(workspace).resolve()
    key = str(path)
    signature = _signature(path)  # before reading: a write landing after is seen next time
    cached = _BASE_CACHE.get(key)
    if cached is not None and cached[0] == signature:
        return cached[2]
    if cached is not None and cached[1] == geo.workspace.workspace_stamp(workspace):
        _BASE_CACHE[key] = (signature, cached[1], cached[2])
        return cached[2]
    ws = geo.workspace.open_workspace(workspace)
    layers = (ws.layer("centres"), ws.layer("units"), ws.layers.get("incidents"))
    while len(_BASE_CACHE) >= _BASE_CACHE_SIZE:
        _BASE_CACHE.pop(next(iter(_BASE_CACHE)))
    # The stamp of the snapshot read, so that a write landing meanwhile is read next time.
    _BASE_CACHE[key] = (signature, ws.stamp.removeprefix(f"{ws.path}|"), layers)
    return layers


#: What an event reads or changes while folding: ("incident" | "unit" | "centre", id).
_Key = tuple[str, str]


@dataclass
class _Folded:
    """The fold of a log's first ``count`` stored events over one set of base layers.

    ``touched`` holds, for each incident, unit and centre, the latest time of a folded
    event that read or changed it (refused ones too: an earlier event may make them
    legal). An event dated before ``latest`` can be folded last, as if in its place,
    when nothing folded after its time touched what it touches: events on other
    incidents, units and centres neither change its outcome nor it theirs.
    """

    layers: tuple[object, ...]  # kept, so that the frames' ids are not reused
    fold: _Fold
    touched: dict[_Key, datetime] = field(default_factory=dict)
    count: int = 0
    last_id: str | None = None  # id of the last event folded (append order)
    latest: datetime | None = None  # the latest time folded


#: Per event database and base layers: the fold of the stored events, kept up to date by
#: each append of this process, so that checking an event costs what it changes.
_FOLDED: dict[tuple[str, int, int, int], _Folded] = {}
_FOLDED_SIZE = 4


def _keys(fold: _Fold, event: Event) -> list[_Key]:
    """Return what ``event`` reads or changes in ``fold`` (see :func:`_apply`)."""
    keys = [
        (name, str(value))
        for name, value in (
            ("incident", event.incident_id),
            ("unit", event.unit_id),
            ("centre", event.centre_id),
        )
        if value is not None
    ]
    unit = fold.units.get(event.unit_id or "")
    if unit is not None and unit["incident_id"] is not None:
        keys.append(("incident", str(unit["incident_id"])))  # the one a returning unit leaves
    return keys


def _in_place(touched: Mapping[_Key, datetime], keys: list[_Key], event: Event) -> bool:
    """Return True when folding ``event`` last gives what folding it in its place does."""
    return all(touched.get(k, event.time) <= event.time for k in keys)


def _mark(
    touched: dict[_Key, datetime] | ChainMap[_Key, datetime], keys: list[_Key], at: datetime
) -> None:
    for k in keys:
        was = touched.get(k)
        touched[k] = at if was is None or at > was else was


def _touch(fold: _Fold, keys: list[_Key]) -> None:
    """Give ``fold`` its own copies of the rows ``keys`` name (copy on write)."""
    tables = {"incident": fold.incidents, "unit": fold.units, "centre": fold.centres}
    for name, ident in keys:
        row = tables[name].get(ident)
        if row is not None:
            tables[name][ident] = {k: list(v) if isinstance(v, list) else v for k, v in row.items()}


def _folded(stored: Sequence[Event], layers: _BaseLayers) -> _Folded:
    kept = _Folded(layers, _start(*layers))
    _advance(kept, stored, len(stored))
    return kept


def _advance(kept: _Folded, events: Sequence[Event], count: int) -> bool:
    """Fold stored ``events`` (after those folded); False when one must go in its place."""
    for event in _order(events):
        keys = _keys(kept.fold, event)
        late = kept.latest is not None and event.time < kept.latest
        if late and not _in_place(kept.touched, keys, event):
            return False
        problem = _apply(kept.fold, event)
        if problem is not None:
            kept.fold.problems[event.event_id] = problem
        _mark(kept.touched, keys, event.time)
        kept.latest = event.time if kept.latest is None else max(kept.latest, event.time)
    kept.count = count
    return True


def _check_incremental(
    key: str,
    stored: Sequence[Event],
    new: Sequence[Event],
    layers: _BaseLayers,
) -> None:
    """:func:`check_events` for a log whose stored events this process has folded.

    The same answer, from the fold kept in :data:`_FOLDED`: the events stored since are
    folded into it, then the new ones into a copy-on-write view of it. An event dated
    before the latest one folded (a late upload, or a writer that waited for the lock)
    that touches something touched after its time makes the stored events be folded
    again from the start, as :func:`check_events` does.
    """
    centres, units, incidents = layers
    slot = (key, id(centres), id(units), id(incidents))
    kept = _FOLDED.get(slot)
    if kept is not None and (
        kept.count > len(stored) or (kept.count and stored[kept.count - 1].event_id != kept.last_id)
    ):
        kept = None  # not this log's prefix
    if kept is None or not _advance(kept, stored[kept.count :], len(stored)):
        kept = _folded(stored, layers)
    kept.last_id = stored[-1].event_id if stored else None
    while slot not in _FOLDED and len(_FOLDED) >= _FOLDED_SIZE:
        _FOLDED.pop(next(iter(_FOLDED)))
    _FOLDED[slot] = kept
    trial = _Fold(
        dict(kept.fold.centres),
        dict(kept.fold.units),
        dict(kept.fold.incidents),
        kept.fold.base_incident_ids,
        dict(kept.fold.problems),
    )
    touched: ChainMap[_Key, datetime] = ChainMap({}, kept.touched)
    latest = kept.latest
    for event in _order(new):  # after every stored event of the same time: appended last
        keys = _keys(trial, event)
        if latest is not None and event.time < latest and not _in_place(touched, keys, event):
            check_events(stored, new, centres=centres, units=units, incidents=incidents)
            return
        _touch(trial, keys)
        why = _apply(trial, event)
        if why is not None:
            raise EventRefusedError(
                f"{event.kind} refused: {why}; nothing was recorded", event.event_id
            )
        _mark(touched, keys, event.time)
        latest = event.time if latest is None else max(latest, event.time)


def record_events(workspace: str | Path, events: Sequence[Event]) -> AppendResult:
    """Check ``events`` against the live state and append them to the workspace's log.

    The base layers are read (never written); the check runs under the log's write lock,
    so two operators dispatching the same unit at once cannot both succeed. It costs what
    the new events change: this process keeps the fold of the events it has seen stored.

    Raises
    ------
    InputError
        When an event is refused (see :func:`check_events`, :meth:`EventLog.append`).
    StoreError
        When the workspace or its event database cannot be read or written.
    """
    layers = _base_layers(workspace)
    log = EventLog(workspace)
    key = str(log.path.resolve())

    def check(stored: Sequence[Event], new: Sequence[Event]) -> None:
        _check_incremental(key, stored, new, layers)

    return log.append(events, check=check)


def read_live_state(workspace: str | Path, *, as_of: datetime | None = None) -> LiveState:
    """Return the live state of the workspace at ``as_of`` (now when ``None``)."""
    centres, units, incidents = _base_layers(workspace)
    events = EventLog(workspace).read(until=None if as_of is None else as_utc(as_of))
    return fold_events(events, centres=centres, units=units, incidents=incidents, as_of=as_of)


def live_layers(
    state: LiveState,
    centres: pd.DataFrame,
    units: pd.DataFrame,
    incidents: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Return ``centres``, ``units`` and ``incidents`` layers as they stand in ``state``.

    For :func:`geo.coverage.analyse_coverage`: a centre that is suspended or closed gets
    ``status`` ``closed`` (so it is not analysed as open; ``live_status`` keeps the live
    one) and stands at its current place; a dispatched unit is left out (it is busy at an
    incident and covers nothing, neither its base area nor the incident's); the day's
    incidents that are not invalid are added to the past ones (dated that day, so the
    risk model counts them).
    """
    live_c = state.centres.set_index("centre_id")
    out_c = centres.copy()
    ids = out_c["centre_id"].astype("str")
    live_status = ids.map(live_c["status"])
    out_c["live_status"] = live_status.to_numpy()
    out_c["status"] = live_status.where(
        ~live_status.isin(["suspended", "closed"]), "closed"
    ).to_numpy()
    out_c = gpd.GeoDataFrame(out_c).set_geometry(
        gpd.GeoSeries(
            [
                Point(x, y)
                for x, y in zip(ids.map(live_c["lon"]), ids.map(live_c["lat"]), strict=True)
            ],
            crs=CRS,
        ).values
    )
    available = set(state.units.loc[state.units["available"].astype(bool), "unit_id"])
    out_u = units[units["unit_id"].astype("str").isin(available)].reset_index(drop=True)
    today = state.incidents[state.incidents["state"] != "invalid"]
    layers: dict[str, pd.DataFrame] = {"centres": out_c, "units": out_u}
    if len(today):
        from geo.schema import coerce_layer

        rows = pd.DataFrame(
            {
                "incident_id": today["incident_id"],
                "date": [t.date().isoformat() for t in today["reported_at"]],
                "election": None,
                "category": today["category"],
                "severity": today["severity"],
                "fatalities": 0,
                "injuries": 0,
                "centre_id": today["centre_id"],
                "municipality_pcode": None,
                "verified": today["verified_at"].notna(),
                "description": None,
                "source": "events",
            }
        )
        added = coerce_layer(
            "incidents",
            gpd.GeoDataFrame(
                rows,
                geometry=[Point(x, y) for x, y in zip(today["lon"], today["lat"], strict=True)],
                crs=CRS,
            ),
        )
        base = [incidents] if incidents is not None and len(incidents) else []
        layers["incidents"] = pd.concat([*base, added], ignore_index=True)
    else:
        layers["incidents"] = incidents if incidents is not None else pd.DataFrame()
    return layers


def escalations_due(
    state: LiveState, now: datetime, *, verify_min: float = 10, act_min: float = 30
) -> pd.DataFrame:
    """Return the incidents to escalate at ``now``, with the ``reason`` for each.

    ``verify``: still not verified (nor marked invalid) more than ``verify_min`` minutes
    after the report; ``act``: no unit dispatched and not resolved more than ``act_min``
    minutes after the report. An incident already escalated for that reason is not
    listed again; closed, resolved and invalid incidents never are.

    Returns
    -------
    pandas.DataFrame
        Columns ``incident_id``, ``reason``, ``overdue_min`` (minutes past the limit).
    """
    moment = as_utc(now)
    rows = []
    records: list[Any] = state.incidents.to_dict("records")
    for row in records:
        if row["state"] in ("invalid", "resolved", "closed"):
            continue
        done = set(str(row["escalations"]).split(",")) if row["escalations"] else set()
        age = moment - row["reported_at"]
        for reason, limit, met in (
            (
                "verify",
                verify_min,
                row["verified_at"] is not None and not pd.isna(row["verified_at"]),
            ),
            ("act", act_min, row["acted_at"] is not None and not pd.isna(row["acted_at"])),
        ):
            if not met and reason not in done and age > timedelta(minutes=limit):
                overdue = (age - timedelta(minutes=limit)).total_seconds() / 60
                rows.append(
                    {"incident_id": row["incident_id"], "reason": reason, "overdue_min": overdue}
                )
    return pd.DataFrame(rows, columns=["incident_id", "reason", "overdue_min"])
