"""The operations room's figures: the board of open incidents, its clocks and headline counts.

Everything here is computed from a :class:`geo.livestate.LiveState` and the moment ``now``
(timezone-aware), so the board of any moment of the day can be rebuilt, and a test can work
each figure out on paper.

Clocks (:class:`Clocks`): an incident not verified (nor marked invalid) within
``verify_min`` minutes of its report, or not acted on (no unit dispatched, not resolved)
within ``act_min`` minutes, is *overdue* for that step; :func:`clock_escalations` makes the
``incident_escalated`` events for it. The target for resolution is ``resolve_target_min``
minutes from the report (cVIGIL's 100-minute clock by default).
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.events import Event, as_utc, make_event
from geo.livestate import LiveState, escalations_due

__all__ = [
    "BASIS_LABELS",
    "BOARD_COLUMNS",
    "CENTRE_STATUS_LABELS",
    "CLOCK_ACTOR",
    "CLOCK_ENV",
    "OPEN_STATES",
    "Clocks",
    "KIND_LABELS",
    "OVERDUE_LABELS",
    "STATE_LABELS",
    "Handover",
    "Headline",
    "Timeline",
    "ResponseTimes",
    "changes_since",
    "clock_escalations",
    "handover_brief",
    "headline",
    "incident_board",
    "last_handover",
    "response_times",
    "timeline",
    "units_by_type",
    "units_now",
]

#: Incidents still on the board: not closed, not marked invalid (a resolved one waits to be
#: closed).
OPEN_STATES = ("reported", "verified", "escalated", "resolved")
#: Who records the clocks' escalations. Every board makes the same event for the same
#: incident and reason (same id, same content), so the log stores it once.
CLOCK_ACTOR = "clock"

#: Words for the codes the board shows (English keys of :func:`geo.i18n.translate`).
STATE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "reported": "Reported, not verified",
        "verified": "Verified",
        "invalid": "Marked invalid",
        "escalated": "Escalated",
        "resolved": "Resolved, to be closed",
        "closed": "Closed",
    }
)
CENTRE_STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {"open": "Open", "planned": "Planned", "suspended": "Suspended", "closed": "Closed"}
)
OVERDUE_LABELS: Mapping[str, str] = MappingProxyType(
    {"verify": "not verified in time", "act": "not acted on in time"}
)
BASIS_LABELS: Mapping[str, str] = MappingProxyType(
    {"roads": "on roads", "straight line": "straight line"}
)
KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "incident_reported": "Incident reported",
        "incident_verified": "Incident verified",
        "incident_invalid": "Incident marked invalid",
        "incident_escalated": "Incident escalated",
        "incident_assigned": "Incident assigned",
        "unit_dispatched": "Unit dispatched",
        "unit_back": "Unit back",
        "incident_resolved": "Incident resolved",
        "incident_closed": "Incident closed",
        "centre_opened": "Centre opened",
        "centre_suspended": "Centre suspended",
        "centre_closed": "Centre closed",
        "centre_relocated": "Centre relocated",
        "centre_reopened": "Centre reopened",
        "police_present": "Police present",
        "police_absent": "Police absent",
        "female_searcher_present": "Female searcher present",
        "female_searcher_absent": "Female searcher absent",
        "shift_handover": "Shift handed over",
    }
)

#: The environment variables that set the room's :class:`Clocks` (minutes).
CLOCK_ENV: Mapping[str, str] = MappingProxyType(
    {
        "verify_min": "PSP_CLOCK_VERIFY_MIN",
        "act_min": "PSP_CLOCK_ACT_MIN",
        "resolve_target_min": "PSP_CLOCK_RESOLVE_MIN",
    }
)

BOARD_COLUMNS = (
    "incident_id", "state", "category", "severity", "centre_id", "owner", "units",
    "age_min", "to_verify_min", "to_resolve_min", "overdue",
)  # fmt: skip


@dataclass(frozen=True)
class Clocks:
    """Minutes allowed for each step after an incident is reported."""

    verify_min: float = 10.0
    act_min: float = 30.0
    resolve_target_min: float = 100.0

    def __post_init__(self) -> None:
        for name in ("verify_min", "act_min", "resolve_target_min"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be more than 0 minutes, not {value}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Clocks:
        """Return the room's clocks: the :data:`CLOCK_ENV` variables of ``environ``.

        A variable not set keeps its default. One setting for the whole room: the clocks'
        escalations go into the shared log in the clock's name, so no board may run on
        minutes of its own.

        Raises
        ------
        InputError
            Naming the variable whose value is not a number of minutes above 0.
        """
        minutes: dict[str, float] = {}
        for name, variable in CLOCK_ENV.items():
            text = environ.get(variable, "").strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                raise InputError(
                    f"{variable}='{text[:20]}' is not a number of minutes above 0; set it to "
                    f"one (default {getattr(cls, name):g}) or unset it"
                )
            minutes[name] = value
        return cls(**minutes)


def _minutes(later: Any, earlier: Any) -> float | None:
    if later is None or earlier is None or pd.isna(later) or pd.isna(earlier):
        return None
    return float((later - earlier).total_seconds() / 60)


def _overdue(row: dict[str, Any], now: datetime, clocks: Clocks) -> list[str]:
    """Return the steps (``verify``, ``act``) whose clock ran out before they were done."""
    if row["state"] not in ("reported", "verified", "escalated"):
        return []
    age = now - row["reported_at"]
    late = []
    if _minutes(row["verified_at"], row["reported_at"]) is None and age > timedelta(
        minutes=clocks.verify_min
    ):
        late.append("verify")
    if _minutes(row["acted_at"], row["reported_at"]) is None and age > timedelta(
        minutes=clocks.act_min
    ):
        late.append("act")
    return late


def incident_board(state: LiveState, now: datetime, clocks: Clocks = Clocks()) -> pd.DataFrame:
    """Return the incidents on the board at ``now``: overdue first, then most severe, oldest.

    Columns :data:`BOARD_COLUMNS`: ``age_min`` since the report; ``to_verify_min`` and
    ``to_resolve_min`` the minutes the report took to be verified and resolved (empty
    until then); ``overdue`` the steps whose clock ran out (``verify``, ``act``,
    comma-separated; empty when on time). ``units`` names the units dispatched to it now:
    show it only to viewers who may see unit positions (a dispatched unit stands at the
    incident's place).
    """
    moment = as_utc(now)
    rows = []
    records: list[Any] = state.incidents.to_dict("records")
    for row in records:
        if row["state"] not in OPEN_STATES or row["reported_at"] > moment:
            continue
        rows.append(
            {
                "incident_id": row["incident_id"],
                "state": row["state"],
                "category": row["category"],
                "severity": row["severity"],
                "centre_id": row["centre_id"],
                "owner": row["owner"],
                "units": row["units"],
                "age_min": (moment - row["reported_at"]).total_seconds() / 60,
                "to_verify_min": _minutes(row["verified_at"], row["reported_at"]),
                "to_resolve_min": _minutes(row["resolved_at"], row["reported_at"]),
                "overdue": ",".join(_overdue(row, moment, clocks)),
            }
        )
    board = pd.DataFrame(rows, columns=list(BOARD_COLUMNS))
    if board.empty:
        return board
    board["severity"] = board["severity"].astype("Int64")
    for column in ("age_min", "to_verify_min", "to_resolve_min"):
        board[column] = board[column].astype("Float64")
    board["_late"] = board["overdue"] != ""
    board = board.sort_values(
        ["_late", "severity", "age_min", "incident_id"], ascending=[False, False, False, True]
    )
    return board.drop(columns="_late").reset_index(drop=True)


def clock_escalations(
    state: LiveState, now: datetime, clocks: Clocks = Clocks(), *, namespace: uuid.UUID
) -> list[Event]:
    """Return the ``incident_escalated`` events the clocks call for at ``now``.

    One per incident and reason (``verify`` at ``verify_min``, ``act`` at ``act_min``),
    each with an id made from the incident and the reason in ``namespace`` (the log's
    secret, :meth:`geo.events.EventLog.clock_namespace`), so two boards (or a board and
    a retry) that escalate the same incident store one event, and nobody can take that
    id first.
    """
    moment = as_utc(now)
    due = escalations_due(state, moment, verify_min=clocks.verify_min, act_min=clocks.act_min)
    events = []
    for incident_id, reason, _overdue in due.itertuples(index=False, name=None):
        # The same content whoever makes it and whenever: no clock reading in the note.
        events.append(
            make_event(
                kind="incident_escalated",
                actor=CLOCK_ACTOR,
                event_id=str(uuid.uuid5(namespace, f"{incident_id}|{reason}")),
                time=moment,
                incident_id=incident_id,
                reason=reason,
                now=moment,
            )
        )
    return events


@dataclass(frozen=True)
class ResponseTimes:
    """How fast the room answers, over the incidents reported up to ``now``.

    ``within_target`` counts the incidents resolved within the target; ``decided`` those
    whose outcome against the target is known: resolved, or open for longer than the
    target. Incidents marked invalid count for neither.
    """

    reported: int
    verified: int
    median_to_verify_min: float | None
    resolved: int
    median_to_resolve_min: float | None
    within_target: int
    decided: int

    @property
    def share_within_target(self) -> float | None:
        """Share of the decided incidents resolved within the target (None before any)."""
        return self.within_target / self.decided if self.decided else None


def response_times(state: LiveState, now: datetime, clocks: Clocks = Clocks()) -> ResponseTimes:
    """Return the response-time figures of the day up to ``now``."""
    moment = as_utc(now)
    target = timedelta(minutes=clocks.resolve_target_min)
    to_verify: list[float] = []
    to_resolve: list[float] = []
    within = decided = reported = 0
    records: list[Any] = state.incidents.to_dict("records")
    for row in records:
        if row["reported_at"] > moment:
            continue
        reported += 1
        verify = _minutes(row["verified_at"], row["reported_at"])
        if verify is not None:
            to_verify.append(verify)
        if row["state"] == "invalid" or (row["state"] == "closed" and row["resolved_at"] is None):
            continue
        resolve = _minutes(row["resolved_at"], row["reported_at"])
        if resolve is not None:
            to_resolve.append(resolve)
            decided += 1
            within += resolve <= clocks.resolve_target_min
        elif moment - row["reported_at"] > target:
            decided += 1
    return ResponseTimes(
        reported=reported,
        verified=len(to_verify),
        median_to_verify_min=statistics.median(to_verify) if to_verify else None,
        resolved=len(to_resolve),
        median_to_resolve_min=statistics.median(to_resolve) if to_resolve else None,
        within_target=within,
        decided=decided,
    )


@dataclass(frozen=True)
class Headline:
    """The board's headline counts."""

    open_incidents: int
    overdue_incidents: int
    centres_not_open: int
    centres_lost_cover: int
    units_dispatched: int
    units_available: int
    #: Women's stations at open centres where the female searcher is reported absent, and
    #: at those where nobody has reported yet.
    women_stations_without_searcher: int
    women_stations_not_reported: int


def headline(
    state: LiveState,
    centres: pd.DataFrame,
    now: datetime,
    clocks: Clocks = Clocks(),
    *,
    lost_cover: int = 0,
) -> Headline:
    """Return the headline counts at ``now``.

    ``centres`` is the base layer (for ``stations_female``); ``lost_cover`` the number of
    centres covered in the morning and not now (:class:`geo.livecoverage.LiveCoverage`).
    A centre is not open when its live status is ``planned``, ``suspended`` or ``closed``.
    """
    board = incident_board(state, now, clocks)
    live = state.centres.set_index("centre_id")
    women = pd.to_numeric(
        centres.set_index(centres["centre_id"].astype("str"))["stations_female"], errors="coerce"
    ).fillna(0)
    is_open = live["status"] == "open"
    with_women = is_open & live.index.isin(women.index[women > 0])
    searcher = live["female_searcher_present"]
    absent = with_women & searcher.eq(False).fillna(False)
    stations = women.reindex(live.index).fillna(0)
    available = state.units["available"].astype(bool)
    return Headline(
        open_incidents=int(board["state"].isin(("reported", "verified", "escalated")).sum()),
        overdue_incidents=int((board["overdue"] != "").sum()),
        centres_not_open=int((~is_open).sum()),
        centres_lost_cover=int(lost_cover),
        units_dispatched=int((~available).sum()),
        units_available=int(available.sum()),
        women_stations_without_searcher=int(stations[absent].sum()),
        women_stations_not_reported=int(stations[with_women & searcher.isna()].sum()),
    )


def units_now(state: LiveState, units: pd.DataFrame) -> pd.DataFrame:
    """Return each unit of ``state`` with its ``unit_type`` from the base ``units`` layer.

    Columns of :attr:`LiveState.units` plus ``unit_type``. Exact places: show only to
    viewers who may see unit positions.
    """
    kinds = units[["unit_id", "unit_type"]].astype("str")
    return state.units.merge(kinds, on="unit_id", how="left")


def units_by_type(state: LiveState, units: pd.DataFrame) -> pd.DataFrame:
    """Return ``unit_type``, ``dispatched`` and ``available`` now (counts, for every role)."""
    now = units_now(state, units)
    counts = (
        now.assign(away=~now["available"].astype(bool))
        .groupby("unit_type")["away"]
        .agg(dispatched="sum", total="count")
        .reset_index()
    )
    return pd.DataFrame(
        {
            "unit_type": counts["unit_type"],
            "dispatched": counts["dispatched"].astype(int),
            "available": (counts["total"] - counts["dispatched"]).astype(int),
        }
    )


def changes_since(events: Sequence[Event], since: datetime | None) -> list[Event]:
    """Return the events after ``since`` (all when ``None``), in time order."""
    start = None if since is None else as_utc(since)
    return sorted(
        (e for e in events if start is None or e.time > start),
        key=lambda e: (e.time, e.seq or 0),
    )


@dataclass(frozen=True)
class Handover:
    """The shift-handover brief at ``now``: what is open and what changed since ``since``.

    Attributes
    ----------
    since
        The previous handover (``None``: the start of the log).
    board
        :func:`incident_board` at ``now``.
    owners
        Open incidents per owner (``""`` for none yet), most first.
    centres_not_open
        ``centre_id``, ``status`` and ``changed_at`` of the centres not open.
    changes
        The events after ``since``: ``time``, ``kind``, ``about`` (the incident, centre or
        unit it concerns) and ``actor``. Unit ids are left out unless ``units_shown``.
    """

    now: datetime
    since: datetime | None
    headline: Headline
    board: pd.DataFrame
    owners: pd.DataFrame
    centres_not_open: pd.DataFrame
    changes: pd.DataFrame


def last_handover(events: Sequence[Event], now: datetime) -> datetime | None:
    """Return the time of the latest ``shift_handover`` at or before ``now``, if any."""
    moment = as_utc(now)
    times = [e.time for e in events if e.kind == "shift_handover" and e.time <= moment]
    return max(times, default=None)


def handover_brief(
    state: LiveState,
    events: Sequence[Event],
    centres: pd.DataFrame,
    now: datetime,
    clocks: Clocks = Clocks(),
    *,
    lost_cover: int = 0,
    units_shown: bool = False,
) -> Handover:
    """Return the handover brief of ``state`` at ``now`` (``events``: the whole log).

    ``units_shown`` keeps unit ids in the list of changes (viewers who may see unit
    positions: a dispatched unit stands at its incident's place); otherwise a change that
    concerns a unit names its incident only (its kind says a unit moved).
    """
    moment = as_utc(now)
    since = last_handover(events, moment)
    board = incident_board(state, moment, clocks)
    open_board = board[board["state"].isin(("reported", "verified", "escalated"))]
    owners = (
        open_board["owner"]
        .fillna("")
        .value_counts()
        .rename_axis("owner")
        .reset_index(name="incidents")
        .sort_values(["incidents", "owner"], ascending=[False, True], ignore_index=True)
    )
    live = state.centres
    not_open = live.loc[live["status"] != "open", ["centre_id", "status", "changed_at"]]
    rows = []
    for event in changes_since([e for e in events if e.time <= moment], since):
        if event.kind == "shift_handover":
            continue
        unit = event.unit_id if units_shown else None
        about = " · ".join(
            str(x) for x in (event.incident_id, event.centre_id, unit) if x is not None
        )
        rows.append({"time": event.time, "kind": event.kind, "about": about, "actor": event.actor})
    return Handover(
        now=moment,
        since=since,
        headline=headline(state, centres, moment, clocks, lost_cover=lost_cover),
        board=board,
        owners=owners,
        centres_not_open=not_open.reset_index(drop=True),
        changes=pd.DataFrame(rows, columns=["time", "kind", "about", "actor"]),
    )


@dataclass(frozen=True)
class Timeline:
    """The day after the fact: when, what and where incidents were, how fast the room was.

    Attributes
    ----------
    by_hour
        ``hour`` (UTC, 0 to 23) and ``incidents`` reported in it, every hour of the day.
    by_category
        ``category`` and ``incidents``, most first.
    by_municipality
        ``municipality_pcode`` (of the incident's centre, else of the place) and
        ``incidents``, most first; ``None`` when neither is known.
    incidents
        One row per incident reported that day: ``incident_id``, ``category``,
        ``severity``, ``municipality_pcode``, ``reported_at``, ``state``,
        ``to_verify_min``, ``to_resolve_min``, ``escalations``, ``units`` (how many were
        dispatched to it: a count, never an id).
    closures
        One row per spell a centre was not open after being so: ``centre_id``,
        ``status`` (``suspended`` or ``closed``), ``from``, ``to`` (``None`` while it
        lasts) and ``minutes`` (up to ``now`` while it lasts).
    """

    response: ResponseTimes
    by_hour: pd.DataFrame
    by_category: pd.DataFrame
    by_municipality: pd.DataFrame
    incidents: pd.DataFrame
    closures: pd.DataFrame


def _municipalities_of(
    incidents: pd.DataFrame, centres: pd.DataFrame, municipalities: pd.DataFrame | None
) -> list[object]:
    by_centre = dict(
        zip(centres["centre_id"].astype("str"), centres["municipality_pcode"], strict=True)
    )
    out: list[object] = [
        by_centre.get(str(c)) if c is not None else None for c in incidents["centre_id"]
    ]
    missing = [i for i, code in enumerate(out) if code is None or code != code]
    if missing and municipalities is not None and len(municipalities):
        import geopandas as gpd
        from shapely.geometry import Point

        points = gpd.GeoDataFrame(
            {"row": missing},
            geometry=[Point(incidents["lon"].iloc[i], incidents["lat"].iloc[i]) for i in missing],
            crs=municipalities.crs,
        )
        joined = gpd.sjoin(
            points, municipalities[["pcode", "geometry"]], how="left", predicate="within"
        ).drop_duplicates("row")
        for row, code in zip(joined["row"], joined["pcode"], strict=True):
            out[int(row)] = None if code != code else code
    return [None if code != code else code for code in out]


def timeline(
    state: LiveState,
    events: Sequence[Event],
    centres: pd.DataFrame,
    now: datetime,
    clocks: Clocks = Clocks(),
    *,
    municipalities: pd.DataFrame | None = None,
) -> Timeline:
    """Return the timeline of the day up to ``now`` (``events``: the whole log)."""
    moment = as_utc(now)
    reported = np.array([t <= moment for t in state.incidents["reported_at"]], dtype=bool)
    frame = state.incidents.loc[reported].reset_index(drop=True)
    hours = pd.Series([t.hour for t in frame["reported_at"]], dtype="int64")
    by_hour = (
        hours.value_counts().reindex(range(24), fill_value=0).rename_axis("hour")
        .reset_index(name="incidents")
    )  # fmt: skip
    by_category = (
        frame["category"].value_counts().rename_axis("category").reset_index(name="incidents")
    )
    codes = _municipalities_of(frame, centres, municipalities) if len(frame) else []
    counted = Counter(codes).most_common()
    by_municipality = pd.DataFrame(
        {
            "municipality_pcode": pd.Series([c for c, _ in counted], dtype="object"),
            "incidents": pd.Series([n for _, n in counted], dtype="int64"),
        }
    )
    dispatched: dict[str, int] = {}
    for event in events:
        if event.kind == "unit_dispatched" and event.time <= moment and event.incident_id:
            dispatched[event.incident_id] = dispatched.get(event.incident_id, 0) + 1
    table = pd.DataFrame(
        {
            "incident_id": frame["incident_id"],
            "category": frame["category"],
            "severity": frame["severity"].astype("Int64"),
            "municipality_pcode": pd.Series(codes, dtype="object"),
            "reported_at": frame["reported_at"],
            "state": frame["state"],
            "to_verify_min": [
                _minutes(v, r)
                for v, r in zip(frame["verified_at"], frame["reported_at"], strict=True)
            ],
            "to_resolve_min": [
                _minutes(v, r)
                for v, r in zip(frame["resolved_at"], frame["reported_at"], strict=True)
            ],
            "escalations": frame["escalations"],
            "units": [dispatched.get(str(i), 0) for i in frame["incident_id"]],
        }
    )
    spells: list[dict[str, Any]] = []
    current: dict[str, dict[str, Any]] = {}
    for event in changes_since([e for e in events if e.time <= moment], None):
        cid = event.centre_id or ""
        if event.kind in ("centre_suspended", "centre_closed"):
            spell = current.get(cid)
            if spell is not None:  # suspended, then closed: one spell, its last status
                spell["status"] = event.kind.removeprefix("centre_")
                continue
            current[cid] = {
                "centre_id": cid,
                "status": event.kind.removeprefix("centre_"),
                "from": event.time,
                "to": None,
            }
            spells.append(current[cid])
        elif event.kind == "centre_reopened" and cid in current:
            current.pop(cid)["to"] = event.time
    for spell in spells:
        spell["minutes"] = ((spell["to"] or moment) - spell["from"]).total_seconds() / 60
    return Timeline(
        response=response_times(state, moment, clocks),
        by_hour=by_hour,
        by_category=by_category,
        by_municipality=by_municipality,
        incidents=table,
        closures=pd.DataFrame(spells, columns=["centre_id", "status", "from", "to", "minutes"]),
    )
