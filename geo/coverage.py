"""Security coverage, staffing, risk and accessibility of every polling centre, and roll-ups.

Definitions (defaults are fields of :class:`CoverageParams`)
------------------------------------------------------------
Distances are straight-line, scale-corrected (:mod:`geo.distance`); road distance is
straight-line × ``circuity`` (1.3).

* **guarded**: a ``static_guard`` unit is assigned to the centre (``assigned_centre_id``),
  wherever it stands, or an unassigned static guard stands within ``guard_radius_km``
  (0.2 km). Checkpoints never guard a centre: they control roads, not doors. A unit whose
  ``assigned_centre_id`` names a retired centre (closed, when closed centres are left out,
  or no longer in the layer) counts as unassigned; :attr:`CoverageResult.warnings` counts
  such units, and :func:`coverage_warnings` names them only to viewers who may see unit
  positions (:attr:`CoverageResult.stray_guards`).
* **reachable**: a ``patrol`` within its response radius (10 road-km) or a
  ``rapid_response`` unit within its radius (30 road-km). A unit's own
  ``response_radius_km`` (road km) overrides the default of its type when given and
  ``use_unit_radii`` is true. In straight line the default patrol radius is 10 / 1.3 =
  7.69 km. These radii are the straight-line form of the time limits below (10 road-km at
  40 km/h is 15 minutes, 30 road-km at 60 km/h is 30 minutes).
* **reach model** (``reach``): ``network`` drives the road network (:mod:`geo.network`): a
  centre is reachable when a patrol is within ``patrol_minutes`` (15) or a rapid-response
  unit within ``rapid_minutes`` (30) of travel time; a unit's own ``response_radius_km``
  becomes a limit of that many km at the speed of the road it stands on (off the network:
  at its type's speed). Pairs the network does not connect (a point more than
  ``max_connector_km`` from any road, or roads that do not join) use the straight-line
  rule, pair by pair; ``reach_model`` says per centre which one gave its answer.
  ``straight`` is the radius rule above. ``auto`` (the default) is ``network`` when a
  non-empty ``roads`` layer is given, else ``straight``.
* **status**: ``full`` (guarded and reachable), ``guard_only``, ``response_only``, ``gap``.
* **staffing**: ``officers_required = officers_base + officers_per_station × (male + female +
  mixed stations)`` (2 + 2 × stations); ``female_officers_required = female_per_station ×
  (female + mixed stations)`` (1 each). Officers assigned are those of the static guards that
  guard the centre: assigned ones, plus unassigned ones within the guard radius, each counted
  at its nearest centre only so that no officer is counted twice. ``shortfall =
  max(0, required − assigned)``, the same for women.
* **response time**: road km to the nearest patrol (rapid-response unit) / its type's speed
  (40 km/h; 60 km/h), in minutes.
* **risk**: :mod:`geo.risk`; **access**: :mod:`geo.access` (an alternative is sought for
  ``inaccessible`` and ``partial`` centres).

Closed centres (``status == "closed"``) are left out unless ``include_closed`` is set.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass, field, fields, replace
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.access import NEEDS_ALTERNATIVE, centre_access, nearest_accessible_xy
from geo.distance import any_within, nearest, pairs_within, points_xy, project_lonlat
from geo.errors import InputError, LayerMissingError
from geo.i18n import N_, Language, translate
from geo.network import (
    ReachArea,
    ReachParams,
    RoadSpeeds,
    cached_network,
    nearest_sources,
    nearest_travel_time,
    prepare_targets,
    reach_area,
    snap_points,
    travel_times_within,
)
from geo.permissions import Viewer
from geo.risk import (
    COMPONENTS,
    DETAIL_COLUMNS,
    RiskWeights,
    require_unique_ids,
    resolve_as_of,
    score_risk_xy,
)
from geo.roads import to_lonlat
from geo.schema import INCIDENT_CATEGORIES, empty_layer

STATUSES: tuple[str, ...] = ("full", "guard_only", "response_only", "gap")

#: The per-centre table's leading columns, in order.
CENTRE_COLUMNS: tuple[str, ...] = (
    "centre_id",
    "municipality_pcode",
    "status",
    "nearest_static_km",
    "nearest_patrol_km",
    "nearest_rapid_km",
    "officers_assigned",
    "officers_required",
    "shortfall",
    "female_officers_assigned",
    "female_officers_required",
    "female_shortfall",
    "risk_score",
    "risk_tier",
    "access_status",
    "nearest_accessible_centre_id",
    "nearest_accessible_km",
)
#: Columns after the risk components.
EXTRA_COLUMNS: tuple[str, ...] = (
    "guarded",
    "reachable",
    "patrol_road_km",
    "rapid_road_km",
    "patrol_response_min",
    "rapid_response_min",
    "nearest_patrol_min",
    "nearest_rapid_min",
    "reach_model",
    *DETAIL_COLUMNS,
)
#: Roll-ups count the voters within these many minutes of their nearest responder.
WITHIN_MINUTES: tuple[int, ...] = (15, 30)
#: Values of :attr:`CoverageParams.reach`.
REACH_CHOICES: tuple[str, ...] = ("auto", "network", "straight")

_DEMO_HINT = "on the Data page or run python -m geo demo to load the demo workspace"


@dataclass(frozen=True)
class CoverageParams:
    """Parameters of the coverage and staffing analysis (see the module docstring).

    Attributes
    ----------
    circuity
        Road distance / straight-line distance (≥ 1).
    guard_radius_km
        An unassigned static guard this close guards a centre, km (straight line).
    patrol_radius_km, rapid_radius_km
        Default response radii of patrols and rapid-response units, road km.
    use_unit_radii
        Let a unit's own ``response_radius_km`` (road km) override its type's default.
    patrol_speed_kmh, rapid_speed_kmh
        Travel speeds for response times, km/h.
    officers_base, officers_per_station
        Officers required per centre and per station.
    female_per_station
        Female officers required per women's or mixed station.
    include_closed
        Also analyse centres whose ``status`` is ``closed``.
    reach
        ``auto``, ``network`` or ``straight`` (see the module docstring).
    patrol_minutes, rapid_minutes
        Travel-time limits of patrols and rapid-response units on the network, minutes.
    road_speeds, reach_params
        Speeds per road class; off-road speed and connector cut-off of the network model
        (its circuity is replaced by ``circuity``).
    """

    circuity: float = 1.3
    guard_radius_km: float = 0.2
    patrol_radius_km: float = 10.0
    rapid_radius_km: float = 30.0
    use_unit_radii: bool = True
    patrol_speed_kmh: float = 40.0
    rapid_speed_kmh: float = 60.0
    officers_base: int = 2
    officers_per_station: int = 2
    female_per_station: int = 1
    include_closed: bool = False
    reach: str = "auto"
    patrol_minutes: float = 15.0
    rapid_minutes: float = 30.0
    road_speeds: RoadSpeeds = field(default_factory=RoadSpeeds)
    reach_params: ReachParams = field(default_factory=ReachParams)

    def __post_init__(self) -> None:
        """Reject parameters that make no sense, naming each one."""
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool | str | RoadSpeeds | ReachParams):
                continue
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                problems.append(f"{f.name} must be a number ≥ 0, got {value!r}")
        if not problems:
            if self.circuity < 1:
                problems.append(
                    f"circuity must be at least 1 (roads are never shorter than the straight "
                    f"line), got {self.circuity:g}"
                )
            if self.patrol_speed_kmh == 0 or self.rapid_speed_kmh == 0:
                problems.append("speeds must be positive")
        if self.reach not in REACH_CHOICES:
            problems.append(f"reach must be one of {', '.join(REACH_CHOICES)}, got {self.reach!r}")
        if problems:
            raise InputError("coverage parameters: " + "; ".join(problems))


REACH_FIELDS = ("patrol_radius_km", "rapid_radius_km", "patrol_minutes", "rapid_minutes")


def with_reach(
    params: CoverageParams,
    reaches: Mapping[str, float | None],
    *,
    use_unit_radii: bool | None = None,
) -> CoverageParams:
    """Return ``params`` with the reaches a user set: the one rule of the page and the CLI.

    A reach the user sets (a flag given on the command line, a field changed on the
    Coverage page: any of :data:`REACH_FIELDS`) applies to every unit of its type, so
    units' own ``response_radius_km`` are then not used, unless ``use_unit_radii`` is given
    as well (the flag ``--unit-radii``, the page's box changed). ``None`` values are not set.
    """
    unknown = set(reaches) - set(REACH_FIELDS)
    if unknown:
        raise InputError(f"not a reach: {', '.join(sorted(unknown))}")
    changes = {k: float(v) for k, v in reaches.items() if v is not None}
    own = params.use_unit_radii and not changes
    if use_unit_radii is not None:
        own = use_unit_radii
    return replace(params, **changes, use_unit_radii=own)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ReachUse:
    """How many responders a type's reach applies to, and how many use their own radius."""

    patrols: int
    patrols_own: int
    rapid: int
    rapid_own: int


def reach_use(units: pd.DataFrame | None, params: CoverageParams) -> ReachUse:
    """Count, per responder type, the units on the type's reach and those on their own."""
    if units is None or units.empty:
        return ReachUse(0, 0, 0, 0)
    unit_type = units["unit_type"].astype("str").to_numpy()
    own = np.zeros(len(units), dtype=bool)
    if params.use_unit_radii and "response_radius_km" in units.columns:
        radius = pd.to_numeric(units["response_radius_km"]).to_numpy(dtype=float, na_value=np.nan)
        own = np.isfinite(radius)
    patrol, rapid = unit_type == "patrol", unit_type == "rapid_response"
    return ReachUse(
        patrols=int((patrol & ~own).sum()),
        patrols_own=int((patrol & own).sum()),
        rapid=int((rapid & ~own).sum()),
        rapid_own=int((rapid & own).sum()),
    )


def describe_reach(
    units: pd.DataFrame | None,
    params: CoverageParams,
    *,
    on_roads: bool = False,
    lang: Language = "en",
) -> tuple[str, str]:
    """Say which units each reach applies to: (patrols, rapid response), in ``lang``.

    ``on_roads``: the analysis ran on the road network (reach in minutes), else in km.
    """
    use = reach_use(units, params)
    t = partial(translate, lang=lang)
    out = []
    for label, km, minutes, on_type, own in (
        ("Patrol reach", params.patrol_radius_km, params.patrol_minutes, *astuple(use)[:2]),
        ("Rapid-response reach", params.rapid_radius_km, params.rapid_minutes, *astuple(use)[2:]),
    ):
        reach = f"{minutes:g} {t('min')}" if on_roads else f"{km:g} {t('km')}"
        text = f"{t(label)} {reach}: {t('units')} {on_type:,}"
        if own:
            text += f"; {t('own radius')} {own:,}"
        elif not params.use_unit_radii:
            text += " (" + t("units' own radii not used") + ")"
        out.append(text)
    return out[0], out[1]


def uses_network(params: CoverageParams, roads: pd.DataFrame | None) -> bool:
    """Return whether an analysis with ``params`` measures reach on ``roads``.

    ``network`` always does (and needs roads), ``straight`` never, ``auto`` when the
    ``roads`` layer is given and not empty.
    """
    has_roads = roads is not None and len(roads) > 0
    return params.reach == "network" or (params.reach == "auto" and has_roads)


#: How :func:`describe_models` counts the centres of each reach model.
_MODEL_TEXTS = {
    "network": N_("centres on the network model"),
    "straight": N_("centres on the straight model"),
}


def describe_models(result: CoverageResult, *, lang: Language = "en") -> str:
    """Say how many centres each reach model measured, in ``lang``.

    ``"reach: 1,850 centres on the network model, 50 centres on the straight model"``:
    the line the command line prints and every page, export and report quotes.
    """
    t = partial(translate, lang=lang)
    models = result.centres["reach_model"].value_counts()
    return (
        t("reach")
        + ": "
        + ", ".join(
            f"{int(models.get(m, 0)):,} {t(_MODEL_TEXTS[m])}" for m in ("network", "straight")
        )
    )


@dataclass(frozen=True)
class CoverageResult:
    """The per-centre analysis and what it was computed with.

    Attributes
    ----------
    centres
        One row per analysed centre: :data:`CENTRE_COLUMNS`, the risk component columns,
        then :data:`EXTRA_COLUMNS`. Distances in km (missing when no unit of that type
        exists); response times in minutes.
    params, weights
        The parameters used.
    as_of
        The reference date of the risk model.
    warnings
        Sentences about data that were used in a particular way (e.g. no incidents loaded);
        never a unit ID (any viewer may read them).
    stray_guards
        IDs of the static units assigned to a retired centre (treated as unassigned); for
        viewers who may see unit positions only (:func:`coverage_warnings`).
    """

    centres: pd.DataFrame
    params: CoverageParams
    weights: RiskWeights
    as_of: pd.Timestamp
    warnings: tuple[str, ...] = field(default_factory=tuple)
    stray_guards: tuple[str, ...] = field(default_factory=tuple)


def coverage_warnings(result: CoverageResult, viewer: Viewer) -> tuple[str, ...]:
    """Return the warnings of ``result`` as ``viewer`` may read them.

    Everyone gets :attr:`CoverageResult.warnings` (counts, no unit IDs); a viewer who may
    see unit positions also gets the IDs of the static units assigned to retired centres.
    """
    if not (viewer.can_see_unit_positions and result.stray_guards):
        return result.warnings
    shown = ", ".join(result.stray_guards[:10])
    more = len(result.stray_guards) - 10
    if more > 0:
        shown += f" and {more} more"
    return (*result.warnings, f"Static units assigned to retired centres: {shown}")


def _require_layer(
    frame: pd.DataFrame | None, layer: str, columns: tuple[str, ...], *, allow_empty: bool
) -> pd.DataFrame:
    """Return ``frame``; raise when it is missing, empty (unless allowed) or lacks columns."""
    if frame is None:
        raise LayerMissingError(f"layer '{layer}' is missing; import {layer} {_DEMO_HINT}")
    if len(frame) == 0 and not allow_empty:
        raise LayerMissingError(f"layer '{layer}' is empty; import {layer} {_DEMO_HINT}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"layer '{layer}' lacks column(s) {', '.join(repr(c) for c in missing)}; "
            "re-import it on the Data page with the layer template's columns"
        )
    return frame


def _lookup(frame: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Return ``frame[value]`` indexed by ``frame[key]`` as text, first row per key."""
    unique = frame.drop_duplicates(key)
    return pd.Series(unique[value].to_numpy(), index=pd.Index(unique[key].astype("str")))


_CENTRE_NEEDS = (
    "centre_id",
    "municipality_pcode",
    "stations_male",
    "stations_female",
    "stations_mixed",
    "registered_voters",
)
_UNIT_NEEDS = ("unit_id", "unit_type", "assigned_centre_id", "officers", "female_officers")


def _counts(frame: pd.DataFrame, column: str) -> NDArray[np.float64]:
    return pd.to_numeric(frame[column]).fillna(0).to_numpy(dtype=np.float64)


def _km(distance_m: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(np.isfinite(distance_m), distance_m / 1000.0, np.nan)


def analyse_coverage(
    centres: pd.DataFrame | None,
    units: pd.DataFrame | None,
    incidents: pd.DataFrame | None,
    audits: pd.DataFrame | None,
    municipalities: pd.DataFrame | None = None,
    *,
    params: CoverageParams = CoverageParams(),
    weights: RiskWeights = RiskWeights(),  # noqa: B008 - frozen, never mutated
    as_of: pd.Timestamp | str | None = None,
    units_required: bool = True,
    roads: pd.DataFrame | None = None,
    roads_version: object = None,
) -> CoverageResult:
    """Analyse coverage, staffing, risk and accessibility of every centre.

    Parameters
    ----------
    centres
        The ``centres`` layer (point geometry, EPSG:4326); required, not empty.
    units
        The ``units`` layer (point geometry); required, not empty.
    incidents
        The ``incidents`` layer, or ``None``/empty (risk then has no incident components).
    audits
        The ``access_audits`` layer, or ``None``/empty (every centre ``unknown``).
    municipalities
        The ``municipalities`` layer; only checked for centres whose municipality it lacks.
    params, weights
        Coverage parameters and risk model.
    as_of
        Reference date of the risk model; ``None`` means the latest incident's day (today
        without incidents; see :func:`geo.risk.resolve_as_of`).
    units_required
        When ``False``, a missing or empty ``units`` layer means no unit at all (every
        centre a ``gap``), as when planning deployments from scratch.
    roads
        The ``roads`` layer, or ``None``/empty (no network; see ``params.reach``).
    roads_version
        The store's version of the ``roads`` layer: the graph is built once per version
        in this process (:func:`geo.network.cached_network`); ``None`` builds it each call.

    Returns
    -------
    CoverageResult
        The per-centre table, in the order of the (open) centres.

    Raises
    ------
    LayerMissingError
        When ``centres`` is missing or empty, or ``units`` is and ``units_required``, or
        ``params.reach`` is ``network`` without a non-empty ``roads`` layer.
    InputError
        When a layer lacks a column the analysis needs, or a location is missing.
    """
    return _analyse_coverage(
        centres,
        units,
        incidents,
        audits,
        municipalities,
        params=params,
        weights=weights,
        as_of=as_of,
        units_required=units_required,
        roads=roads,
        roads_version=roads_version,
        network_reach=_network_reach,
    )


#: Computes (reachable, patrol minutes, rapid minutes, network model) per analysed centre
#: on roads: ``(centres, units, patrol, rapid, params, roads, roads_version)``.
NetworkReach = Callable[
    [
        pd.DataFrame,
        pd.DataFrame,
        NDArray[np.bool_],
        NDArray[np.bool_],
        CoverageParams,
        pd.DataFrame,
        object,
    ],
    tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]],
]


def _analyse_coverage(
    centres: pd.DataFrame | None,
    units: pd.DataFrame | None,
    incidents: pd.DataFrame | None,
    audits: pd.DataFrame | None,
    municipalities: pd.DataFrame | None,
    *,
    params: CoverageParams,
    weights: RiskWeights,
    as_of: pd.Timestamp | str | None,
    units_required: bool,
    roads: pd.DataFrame | None,
    roads_version: object,
    network_reach: NetworkReach,
) -> CoverageResult:
    """:func:`analyse_coverage` with the reach on roads computed by ``network_reach``.

    :class:`geo.livecoverage.LiveCoverage` passes one that reuses each unit's cached
    travel times, so that the rest of the table is computed by this very code.
    """
    centres = _require_layer(centres, "centres", _CENTRE_NEEDS, allow_empty=False)
    if units is None and not units_required:
        units = empty_layer("units")
    units = _require_layer(units, "units", _UNIT_NEEDS, allow_empty=not units_required)
    day = resolve_as_of(as_of, incidents)
    warnings: list[str] = []
    all_ids = centres["centre_id"].astype("str")
    require_unique_ids(all_ids)
    if not params.include_closed and "status" in centres.columns:
        keep = (centres["status"] != "closed").to_numpy(dtype=bool, na_value=True)
        if not keep.any():
            raise LayerMissingError(
                "layer 'centres' holds only closed centres; import open centres "
                f"{_DEMO_HINT}, or analyse closed centres too"
            )
        centres = centres[keep].reset_index(drop=True)
    else:
        centres = centres.reset_index(drop=True)
    ids = centres["centre_id"].astype("str").to_numpy()
    centre_xy = points_xy(centres, layer="centres")
    unit_xy = points_xy(units, layer="units")

    unit_type = units["unit_type"].astype("str").to_numpy()
    static = unit_type == "static_guard"
    patrol = unit_type == "patrol"
    rapid = unit_type == "rapid_response"
    responder = patrol | rapid

    nearest_static_m, _ = nearest(centre_xy, unit_xy[static])
    nearest_patrol_m, _ = nearest(centre_xy, unit_xy[patrol])
    nearest_rapid_m, _ = nearest(centre_xy, unit_xy[rapid])
    nearest_other_m, _ = nearest(centre_xy, unit_xy[~(static | responder)])
    nearest_any_m = np.minimum.reduce(
        [nearest_static_m, nearest_patrol_m, nearest_rapid_m, nearest_other_m]
    )

    guarded, officers, female, stray = _guards(
        ids, centre_xy, units, unit_xy, static, params, warnings
    )

    radius_km = np.where(patrol, params.patrol_radius_km, params.rapid_radius_km)
    if params.use_unit_radii and "response_radius_km" in units.columns:
        own = pd.to_numeric(units["response_radius_km"]).to_numpy(dtype=float, na_value=np.nan)
        radius_km = np.where(np.isfinite(own), own, radius_km)
    use_network = uses_network(params, roads)
    if use_network and (roads is None or len(roads) == 0):
        raise LayerMissingError(
            "reach on the road network needs the 'roads' layer, which is missing or empty; "
            "import roads (python -m geo import --layer roads FILE) or use the straight model"
        )
    if use_network:
        assert roads is not None
        reachable, patrol_min, rapid_min, on_network = network_reach(
            centres, units, patrol, rapid, params, roads, roads_version
        )
    else:
        reachable = any_within(
            centre_xy, unit_xy[responder], radius_km[responder] * 1000.0 / params.circuity
        )

    stations = (
        _counts(centres, "stations_male")
        + _counts(centres, "stations_female")
        + _counts(centres, "stations_mixed")
    )
    women_stations = _counts(centres, "stations_female") + _counts(centres, "stations_mixed")
    required = params.officers_base + params.officers_per_station * stations
    female_required = params.female_per_station * women_stations

    inc = incidents if incidents is not None and len(incidents) > 0 else None
    if inc is None:
        warnings.append("no incidents loaded: risk counts size, remoteness and nothing else")
    incident_xy = points_xy(inc, layer="incidents") if inc is not None else np.empty((0, 2))
    unit_min = unit_on_network = None
    if use_network:
        assert roads is not None
        unit_min, unit_on_network = nearest_unit_minutes(
            centres, units, params, roads, roads_version
        )
    risk = score_risk_xy(
        centres,
        centre_xy,
        nearest_any_m / 1000.0,
        inc,
        incident_xy,
        weights=weights,
        as_of=day,
        nearest_unit_min=unit_min,
        remoteness_model=unit_on_network,
    )

    if audits is None or len(audits) == 0:
        warnings.append("no accessibility audits loaded: every centre's access is unknown")
    access = centre_access(centres, audits)
    is_open = np.ones(len(centres), dtype=bool)
    if "status" in centres.columns:
        is_open = (centres["status"] != "closed").to_numpy(dtype=bool, na_value=True)
    alternative = nearest_accessible_xy(
        ids, centre_xy, access["access_status"].to_numpy(), is_open, NEEDS_ALTERNATIVE
    )

    if municipalities is not None and "pcode" in municipalities.columns:
        known = set(municipalities["pcode"].astype("str"))
        unknown = sorted(set(centres["municipality_pcode"].dropna().astype("str")) - known)
        if unknown:
            warnings.append(
                f"{len(unknown)} municipality code(s) of centres are not in the municipalities "
                f"layer (e.g. {', '.join(unknown[:3])}); their roll-ups have no district"
            )

    status = np.select(
        [guarded & reachable, guarded, reachable], ["full", "guard_only", "response_only"], "gap"
    )
    patrol_road_km = _km(nearest_patrol_m) * params.circuity
    rapid_road_km = _km(nearest_rapid_m) * params.circuity
    table = pd.DataFrame(
        {
            "centre_id": ids,
            "municipality_pcode": centres["municipality_pcode"].astype("str").to_numpy(),
            "status": pd.array(status, dtype="str"),
            "nearest_static_km": _km(nearest_static_m),
            "nearest_patrol_km": _km(nearest_patrol_m),
            "nearest_rapid_km": _km(nearest_rapid_m),
            "officers_assigned": officers.astype(np.int64),
            "officers_required": required.astype(np.int64),
            "shortfall": np.maximum(0, required - officers).astype(np.int64),
            "female_officers_assigned": female.astype(np.int64),
            "female_officers_required": female_required.astype(np.int64),
            "female_shortfall": np.maximum(0, female_required - female).astype(np.int64),
            "risk_score": risk["risk_score"].to_numpy(),
            "risk_tier": risk["risk_tier"].to_numpy(),
            "access_status": access["access_status"].to_numpy(),
            "nearest_accessible_centre_id": alternative["nearest_accessible_centre_id"].array,
            "nearest_accessible_km": alternative["nearest_accessible_km"].to_numpy(),
        }
    )
    for column, _ in COMPONENTS:
        table[column] = risk[column].to_numpy()
    table["guarded"] = guarded
    table["reachable"] = reachable
    table["patrol_road_km"] = patrol_road_km
    table["rapid_road_km"] = rapid_road_km
    table["patrol_response_min"] = patrol_road_km / params.patrol_speed_kmh * 60.0
    table["rapid_response_min"] = rapid_road_km / params.rapid_speed_kmh * 60.0
    if use_network:
        table["nearest_patrol_min"] = patrol_min
        table["nearest_rapid_min"] = rapid_min
        table["reach_model"] = pd.array(np.where(on_network, "network", "straight"), dtype="str")
    else:
        table["nearest_patrol_min"] = table["patrol_response_min"]
        table["nearest_rapid_min"] = table["rapid_response_min"]
        table["reach_model"] = pd.array(["straight"] * len(table), dtype="str")
    for column in DETAIL_COLUMNS:
        table[column] = risk[column].to_numpy()
    return CoverageResult(table, params, weights, day, tuple(warnings), stray)


def _network_reach(
    centres: pd.DataFrame,
    units: pd.DataFrame,
    patrol: NDArray[np.bool_],
    rapid: NDArray[np.bool_],
    params: CoverageParams,
    roads: pd.DataFrame,
    roads_version: object,
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Return (reachable, patrol minutes, rapid minutes, network model) per centre on roads.

    A unit's limit is its type's minutes, or, with its own radius, that radius driven at
    the speed of the road it stands on (its type's speed off the network). Minutes are
    ``nan`` where no unit of the type exists.
    """
    network = cached_network(roads, roads_version, speeds=params.road_speeds)
    reach = _reach_params(params)
    c_lon, c_lat = _lonlat(centres)
    u_lon, u_lat = _lonlat(units)
    targets = prepare_targets(network, snap_points(network, c_lon, c_lat, params=reach))
    n = len(centres)
    reachable = np.zeros(n, dtype=bool)
    on_network = np.zeros(n, dtype=bool)
    own = np.full(len(units), np.nan)
    if params.use_unit_radii and "response_radius_km" in units.columns:
        own = pd.to_numeric(units["response_radius_km"]).to_numpy(dtype=float, na_value=np.nan)
    result = []
    for kind, minutes_limit, speed in (
        (patrol, params.patrol_minutes, params.patrol_speed_kmh),
        (rapid, params.rapid_minutes, params.rapid_speed_kmh),
    ):
        if not kind.any():
            result.append(np.full(n, np.nan))
            continue
        sources = snap_points(network, u_lon[kind], u_lat[kind], params=reach)
        road_speed = np.where(
            sources.on_network, network.line_speed_kmh[np.maximum(sources.line, 0)], speed
        )
        limits = np.where(np.isfinite(own[kind]), own[kind] / road_speed * 60.0, minutes_limit)
        nearest_times = nearest_travel_time(
            network, sources, targets, straight_speed_kmh=speed, params=reach
        )
        minutes = np.where(np.isfinite(nearest_times.minutes), nearest_times.minutes, np.nan)
        result.append(minutes)
        on_network |= nearest_times.network
        pairs = travel_times_within(
            network,
            sources,
            targets,
            limit_min=float(limits.max()),
            straight_speed_kmh=speed,
            params=reach,
        )
        within = pairs.minutes <= limits[pairs.source]
        reachable[pairs.target[within]] = True
    return reachable, result[0], result[1], on_network


def nearest_unit_minutes(
    centres: pd.DataFrame,
    units: pd.DataFrame,
    params: CoverageParams,
    roads: pd.DataFrame,
    roads_version: object,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Return the travel time from the nearest unit of any type, and whether roads gave it.

    The risk score's remoteness on roads (:mod:`geo.risk`). Every unit type counts, as
    for remoteness in km; a pair the network does not join uses the straight line ×
    circuity at the patrol speed (the rapid-response speed for rapid-response units).
    Minutes are ``inf`` where there is no unit at all.
    """
    n = len(centres)
    if not len(units):
        return np.full(n, np.inf), np.zeros(n, dtype=bool)
    network = cached_network(roads, roads_version, speeds=params.road_speeds)
    reach = _reach_params(params)
    c_lon, c_lat = _lonlat(centres)
    u_lon, u_lat = _lonlat(units)
    found = nearest_travel_time(
        network,
        snap_points(network, u_lon, u_lat, params=reach),
        snap_points(network, c_lon, c_lat, params=reach),
        straight_speed_kmh=_unit_speeds(units, params),
        params=reach,
    )
    return found.minutes, found.network & np.isfinite(found.minutes)


def nearest_units_by_time(
    lon: float,
    lat: float,
    units: pd.DataFrame,
    params: CoverageParams,
    roads: pd.DataFrame,
    roads_version: object,
    *,
    count: int = 5,
) -> pd.DataFrame:
    """Return the ``count`` units of any type nearest (lon, lat) in travel time.

    The times of :func:`nearest_unit_minutes` (the same speeds and fallback), for a
    centre's details: ``unit_row`` (position in ``units``), ``travel_min`` and
    ``reach_model``, nearest first (:func:`geo.network.nearest_sources`, exact).
    """
    network = cached_network(roads, roads_version, speeds=params.road_speeds)
    reach = _reach_params(params)
    u_lon, u_lat = _lonlat(units)
    found = nearest_sources(
        network,
        snap_points(network, u_lon, u_lat, params=reach),
        snap_points(network, [lon], [lat], params=reach),
        count=count,
        straight_speed_kmh=_unit_speeds(units, params),
        params=reach,
    )
    return pd.DataFrame(
        {
            "unit_row": found["source"].to_numpy(),
            "travel_min": found["minutes"].to_numpy(),
            "reach_model": found["reach_model"].to_numpy(),
        }
    )


def reach_area_of(
    lon: float,
    lat: float,
    *,
    minutes: float,
    speed_kmh: float,
    params: CoverageParams,
    roads: pd.DataFrame | None,
    roads_version: object = None,
) -> ReachArea:
    """Return the area a unit (or a candidate site) at (lon, lat) reaches in ``minutes``.

    On roads (:func:`uses_network`), :func:`geo.network.reach_area`: a polygon around the
    reachable network; otherwise, or off the network, the straight-line model's circle of
    ``minutes × speed_kmh ÷ circuity``. For the map of roles that see unit positions.
    """
    reach = _reach_params(params)
    if uses_network(params, roads):
        if roads is None or len(roads) == 0:
            raise LayerMissingError(
                "reach on the road network needs the 'roads' layer, which is missing or "
                "empty; import roads or use the straight model"
            )
        network = cached_network(roads, roads_version, speeds=params.road_speeds)
        return reach_area(
            network, lon, lat, minutes=minutes, straight_speed_kmh=speed_kmh, params=reach
        )
    x, y = project_lonlat(np.array([lon]), np.array([lat]))
    radius_m = minutes / 60.0 * speed_kmh / params.circuity * 1000.0
    circle = shapely.buffer(shapely.points(x[0], y[0]), radius_m, quad_segs=32)
    return ReachArea(to_lonlat(circle), "straight", float(minutes), math.nan, 0.0)


def _reach_params(params: CoverageParams) -> ReachParams:
    """Return the network model's parameters of ``params`` (with the analysis's circuity)."""
    return ReachParams(
        offroad_speed_kmh=params.reach_params.offroad_speed_kmh,
        max_connector_km=params.reach_params.max_connector_km,
        circuity=params.circuity,
    )


def _unit_speeds(units: pd.DataFrame, params: CoverageParams) -> NDArray[np.float64]:
    """Straight-line speed of every unit: rapid response at its speed, others a patrol's."""
    rapid = (units["unit_type"].astype("str") == "rapid_response").to_numpy(dtype=bool)
    return np.where(rapid, params.rapid_speed_kmh, params.patrol_speed_kmh).astype(np.float64)


def _lonlat(frame: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return longitude and latitude of a point layer's geometry."""
    geometry = frame.geometry
    return geometry.x.to_numpy(dtype=np.float64), geometry.y.to_numpy(dtype=np.float64)


def _assignments(
    ids: NDArray[np.object_], units: pd.DataFrame, static: NDArray[np.bool_]
) -> tuple[pd.Series, NDArray[np.bool_], NDArray[np.bool_]]:
    """Return each unit's assigned centre, whether it is a static guard assigned, and stray."""
    assigned_to = units["assigned_centre_id"].astype("str")
    has_assignment = assigned_to.notna().to_numpy(dtype=bool) & static
    dangling = has_assignment & (pd.Index(ids).get_indexer(pd.Index(assigned_to)) < 0)
    return assigned_to, has_assignment, dangling


def guard_links(
    ids: NDArray[np.object_],
    centre_xy: NDArray[np.float64],
    units: pd.DataFrame,
    unit_xy: NDArray[np.float64],
    params: CoverageParams,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Return (unit row, centre row) of every static guard guarding a centre (see ``guarded``).

    An assigned guard guards its centre; an unassigned one (or a stray, assigned to a
    retired centre) every centre within ``guard_radius_km``. Rows are of ``units`` and of
    ``ids``/``centre_xy`` (the analysed centres).
    """
    static = (units["unit_type"].astype("str") == "static_guard").to_numpy(dtype=bool)
    assigned_to, has_assignment, dangling = _assignments(ids, units, static)
    has_assignment &= ~dangling
    position = pd.Index(ids).get_indexer(pd.Index(assigned_to.where(has_assignment)))
    here = np.flatnonzero(has_assignment & (position >= 0))
    free = np.flatnonzero(static & ~has_assignment)
    i, j, _ = pairs_within(centre_xy, unit_xy[free], radius_m=params.guard_radius_km * 1000.0)
    unit_rows = np.concatenate([here, free[j]]).astype(np.intp)
    centre_rows = np.concatenate([position[here], i]).astype(np.intp)
    return unit_rows, centre_rows


def _guards(
    ids: NDArray[np.object_],
    centre_xy: NDArray[np.float64],
    units: pd.DataFrame,
    unit_xy: NDArray[np.float64],
    static: NDArray[np.bool_],
    params: CoverageParams,
    warnings: list[str],
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64], tuple[str, ...]]:
    """Return (guarded, officers, female officers) per centre and the stray guards' IDs.

    A guard assigned to a centre that is not analysed (retired: closed, or gone from the
    layer) is a stray: treated as unassigned and counted in ``warnings`` (never named
    there: warnings reach every role).
    """
    n = len(ids)
    assigned_to, has_assignment, dangling = _assignments(ids, units, static)
    count = int(dangling.sum())
    if count:
        warnings.append(
            f"{count} static unit{'s are' if count > 1 else ' is'} assigned to "
            f"{'retired centres' if count > 1 else 'a retired centre'} (closed, or no longer "
            "in the centres layer); they were treated as unassigned. Reassign them "
            "(assigned_centre_id)"
        )
    stray = tuple(units["unit_id"].astype("str").to_numpy()[dangling])
    has_assignment &= ~dangling
    unit_officers = _counts(units, "officers")
    unit_female = _counts(units, "female_officers")

    position = pd.Index(ids).get_indexer(pd.Index(assigned_to.where(has_assignment)))
    here = has_assignment & (position >= 0)
    guarded = np.zeros(n, dtype=bool)
    guarded[position[here]] = True
    officers = np.bincount(position[here], weights=unit_officers[here], minlength=n).astype(float)
    female = np.bincount(position[here], weights=unit_female[here], minlength=n).astype(float)

    free = np.flatnonzero(static & ~has_assignment)
    radius_m = params.guard_radius_km * 1000.0
    if len(free):
        i, _, _ = pairs_within(centre_xy, unit_xy[free], radius_m=radius_m)
        guarded[i] = True
        dist, nearest_centre = nearest(unit_xy[free], centre_xy)
        attach = dist <= radius_m
        officers += np.bincount(
            nearest_centre[attach], weights=unit_officers[free][attach], minlength=n
        )
        female += np.bincount(
            nearest_centre[attach], weights=unit_female[free][attach], minlength=n
        )
    return guarded, officers, female, stray


Level = Literal["municipality", "district", "region"]


@dataclass(frozen=True)
class Rollup:
    """Coverage figures per area.

    Attributes
    ----------
    areas
        One row per area (see :func:`rollup_coverage`).
    incidents
        Incident counts per area, election and category (aggregates only, never raw rows).
    """

    areas: pd.DataFrame
    incidents: pd.DataFrame


def _area_keys(
    municipality: pd.Series,
    municipalities: pd.DataFrame | None,
    districts: pd.DataFrame | None,
    by: Level,
) -> pd.Series:
    """Map municipality P-codes to the P-code of the area level ``by`` ("unknown" if none)."""
    if by == "municipality":
        return municipality.fillna("unknown")
    if municipalities is None or "district_pcode" not in municipalities.columns:
        raise LayerMissingError(
            f"roll-up by {by} needs the 'municipalities' layer with district_pcode; import "
            f"municipalities {_DEMO_HINT}"
        )
    district = municipality.map(_lookup(municipalities, "pcode", "district_pcode"))
    if by == "district":
        return district.fillna("unknown")
    if districts is None or "region_pcode" not in districts.columns:
        raise LayerMissingError(
            "roll-up by region needs the 'districts' layer with region_pcode; import districts "
            f"{_DEMO_HINT}"
        )
    return district.map(_lookup(districts, "pcode", "region_pcode")).fillna("unknown")


def rollup_coverage(
    result: CoverageResult,
    centres: pd.DataFrame,
    incidents: pd.DataFrame | None,
    municipalities: pd.DataFrame | None,
    districts: pd.DataFrame | None,
    *,
    by: Level,
    regions: pd.DataFrame | None = None,
) -> Rollup:
    """Sum the per-centre analysis by municipality, district or region.

    Parameters
    ----------
    result
        From :func:`analyse_coverage`.
    centres
        The ``centres`` layer (``centre_id``, ``registered_voters``); only analysed centres
        are counted.
    incidents
        The ``incidents`` layer (``date``, ``category``, ``election``, ``municipality_pcode``
        or ``centre_id``), or ``None``. Incidents after the result's as-of date are left out;
        an incident's area is its ``municipality_pcode``, else that of its centre.
    municipalities
        ``pcode``, ``district_pcode`` (and names); needed for district and region.
    districts
        ``pcode``, ``region_pcode``; needed for region.
    by
        Area level.
    regions
        ``pcode``, ``name_en``: names (and the full list) of regions; optional.

    Returns
    -------
    Rollup
        ``areas`` columns: ``pcode``, ``name_en`` (when known), ``centres``,
        ``centres_<status>`` for each status, ``voters``, ``voters_<status>``,
        ``share_voters_<status>`` (voter-weighted, 0–1), ``officers_required``,
        ``officers_assigned``, ``shortfall``, the same three for female officers,
        ``centres_no_female_officer`` (women vote there, no female officer assigned),
        ``risk_mean``, ``risk_max``, ``share_voters_accessible``,
        ``voters_within_15_min`` and ``voters_within_30_min`` (voters of centres whose
        nearest patrol or rapid-response unit is that close in travel time, in the reach
        model of each centre), ``incidents`` and
        ``incidents_<category>`` for each category. Shortfalls are sums of centre
        shortfalls: a surplus at one centre does not fill another. Areas of the reference
        layers with no centre are listed with zeros. ``incidents``: ``pcode``, ``election``,
        ``category``, ``incidents``.
    """
    if by not in ("municipality", "district", "region"):
        raise InputError(f"roll-up level must be municipality, district or region, not {by!r}")
    table = result.centres
    voters = (
        table["centre_id"]
        .map(_lookup(centres, "centre_id", "registered_voters"))
        .astype("Float64")
        .fillna(0)
        .to_numpy(dtype=float)
    )
    frame = pd.DataFrame(
        {
            "pcode": _area_keys(table["municipality_pcode"], municipalities, districts, by),
            "voters": voters,
            "officers_required": table["officers_required"],
            "officers_assigned": table["officers_assigned"],
            "shortfall": table["shortfall"],
            "female_officers_required": table["female_officers_required"],
            "female_officers_assigned": table["female_officers_assigned"],
            "female_shortfall": table["female_shortfall"],
            "no_female": (
                (table["female_officers_required"] > 0) & (table["female_officers_assigned"] == 0)
            ).astype(int),
            "risk": table["risk_score"],
            "accessible_voters": np.where(table["access_status"] == "accessible", voters, 0.0),
        }
    )
    response_min = np.fmin(
        table["nearest_patrol_min"].to_numpy(dtype=float, na_value=np.nan),
        table["nearest_rapid_min"].to_numpy(dtype=float, na_value=np.nan),
    )
    for minutes in WITHIN_MINUTES:
        frame[f"voters_within_{minutes}_min"] = np.where(response_min <= minutes, voters, 0.0)
    for status in STATUSES:
        hit = (table["status"] == status).to_numpy(dtype=bool)
        frame[f"centres_{status}"] = hit.astype(int)
        frame[f"voters_{status}"] = np.where(hit, voters, 0.0)
    grouped = frame.groupby("pcode", sort=True)
    sums = grouped.sum(numeric_only=True)
    areas = pd.DataFrame(index=sums.index)
    areas["centres"] = grouped.size()
    for status in STATUSES:
        areas[f"centres_{status}"] = sums[f"centres_{status}"]
    areas["voters"] = sums["voters"]
    for status in STATUSES:
        areas[f"voters_{status}"] = sums[f"voters_{status}"]
    for status in STATUSES:
        areas[f"share_voters_{status}"] = _share(sums[f"voters_{status}"], sums["voters"])
    for column in (
        "officers_required",
        "officers_assigned",
        "shortfall",
        "female_officers_required",
        "female_officers_assigned",
        "female_shortfall",
    ):
        areas[column] = sums[column]
    areas["centres_no_female_officer"] = sums["no_female"]
    areas["risk_mean"] = grouped["risk"].mean()
    areas["risk_max"] = grouped["risk"].max()
    areas["share_voters_accessible"] = _share(sums["accessible_voters"], sums["voters"])
    for minutes in WITHIN_MINUTES:
        areas[f"voters_within_{minutes}_min"] = sums[f"voters_within_{minutes}_min"]

    known = _reference_areas(municipalities, districts, regions, by)
    areas = areas.reindex(areas.index.union(pd.Index(known.index)))
    counts = [
        c for c in areas.columns if c.startswith(("centres", "voters_", "officers", "female"))
    ]
    counts += ["voters", "shortfall"]
    areas[counts] = areas[counts].fillna(0)

    long = _incident_counts(result, incidents, table, municipalities, districts, by)
    per_area = long.groupby("pcode")["incidents"].sum()
    areas["incidents"] = per_area.reindex(areas.index).fillna(0)
    wide = long.pivot_table(
        index="pcode", columns="category", values="incidents", aggfunc="sum", fill_value=0
    )
    for category in INCIDENT_CATEGORIES:
        of_category = wide[category] if category in wide.columns else pd.Series(dtype=float)
        areas[f"incidents_{category}"] = of_category.reindex(areas.index).fillna(0)
    int_columns = [c for c in areas.columns if not c.startswith(("share_", "risk_"))]
    areas[int_columns] = areas[int_columns].round().astype(np.int64)
    areas.index.name = "pcode"
    areas = areas.reset_index()
    if len(known.columns):
        areas.insert(1, "name_en", areas["pcode"].map(known["name_en"]))
    return Rollup(areas, long)


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype(float)


@dataclass(frozen=True)
class ReachComparison:
    """Centres and voters whose status changes between straight lines and roads.

    Attributes
    ----------
    centres
        One row per analysed centre: ``centre_id``, ``municipality_pcode``,
        ``registered_voters``, ``status_straight``, ``status_network``, ``changed``,
        ``change`` (``lost`` = reachable in straight line but not on roads, ``gained`` =
        the opposite, empty when unchanged) and ``reach_model`` of the network run.
    areas
        One row per municipality with analysed centres: ``pcode``, ``name_en`` (when the
        municipalities are given), ``centres``, ``voters``, ``centres_changed``,
        ``voters_changed``, ``centres_lost``, ``voters_lost``, ``centres_gained``,
        ``voters_gained``, ``centres_gap_straight``, ``centres_gap_network``; most voters
        changed first.
    """

    centres: pd.DataFrame
    areas: pd.DataFrame

    def describe(self, *, top: int = 5) -> str:
        """Return the summary a planner reads first (totals, then the most changed areas)."""
        table = self.centres
        voters = table["registered_voters"]
        changed = table["changed"].to_numpy(dtype=bool)
        lost = (table["change"] == "lost").to_numpy(dtype=bool)
        gained = (table["change"] == "gained").to_numpy(dtype=bool)
        lines = [
            f"straight lines against roads: {int(changed.sum()):,} of {len(table):,} centres "
            f"({voters[changed].sum():,.0f} of {voters.sum():,.0f} voters) change status; "
            f"{int(lost.sum()):,} lose reach on roads ({voters[lost].sum():,.0f} voters), "
            f"{int(gained.sum()):,} gain it ({voters[gained].sum():,.0f} voters)",
            f"{int((self.areas['centres_changed'] > 0).sum()):,} of {len(self.areas):,} "
            "municipalities have a centre that changes",
        ]
        moved = self.areas[self.areas["centres_changed"] > 0].head(top)
        for row in moved.itertuples():
            name = getattr(row, "name_en", None)
            label = f"{name} ({row.pcode})" if isinstance(name, str) and name else str(row.pcode)
            lines.append(
                f"  {label}: {row.centres_changed:,} centres, {row.voters_changed:,} voters "
                f"({row.centres_lost:,} lose, {row.centres_gained:,} gain reach on roads)"
            )
        return "\n".join(lines)


def compare_reach(
    straight: CoverageResult,
    network: CoverageResult,
    centres: pd.DataFrame,
    municipalities: pd.DataFrame | None = None,
) -> ReachComparison:
    """Compare two analyses of the same centres, in straight line and on the road network.

    Guarding does not depend on the model, so a centre's status changes exactly when its
    ``reachable`` does: ``lost`` (reachable in straight line, not on roads: the wadi) or
    ``gained`` (the road reaches farther than the straight-line radius).

    Parameters
    ----------
    straight, network
        :func:`analyse_coverage` with ``reach="straight"`` and ``reach="network"``.
    centres
        The ``centres`` layer (``centre_id``, ``registered_voters``).
    municipalities
        ``pcode``, ``name_en``: names of the areas; optional.

    Returns
    -------
    ReachComparison
        Per centre and per municipality.

    Raises
    ------
    InputError
        When the two analyses are not of the same centres in the same order.
    """
    a, b = straight.centres, network.centres
    if len(a) != len(b) or not (a["centre_id"].to_numpy() == b["centre_id"].to_numpy()).all():
        raise InputError(
            "the two coverage analyses to compare hold different centres; analyse the same "
            "centres layer with the same parameters, once per reach model"
        )
    voters = (
        a["centre_id"]
        .map(_lookup(centres, "centre_id", "registered_voters"))
        .astype("Float64")
        .fillna(0)
        .to_numpy(dtype=float)
    )
    reach_a = a["reachable"].to_numpy(dtype=bool)
    reach_b = b["reachable"].to_numpy(dtype=bool)
    changed = a["status"].to_numpy() != b["status"].to_numpy()
    change = np.select([reach_a & ~reach_b, ~reach_a & reach_b], ["lost", "gained"], "")
    table = pd.DataFrame(
        {
            "centre_id": a["centre_id"].to_numpy(),
            "municipality_pcode": a["municipality_pcode"].to_numpy(),
            "registered_voters": voters,
            "status_straight": a["status"].to_numpy(),
            "status_network": b["status"].to_numpy(),
            "changed": changed,
            "change": pd.array(change, dtype="str"),
            "reach_model": b["reach_model"].to_numpy(),
        }
    )
    lost, gained = change == "lost", change == "gained"
    frame = pd.DataFrame(
        {
            "pcode": table["municipality_pcode"],
            "centres": 1,
            "voters": voters,
            "centres_changed": changed.astype(int),
            "voters_changed": np.where(changed, voters, 0.0),
            "centres_lost": lost.astype(int),
            "voters_lost": np.where(lost, voters, 0.0),
            "centres_gained": gained.astype(int),
            "voters_gained": np.where(gained, voters, 0.0),
            "centres_gap_straight": (a["status"] == "gap").to_numpy(dtype=int),
            "centres_gap_network": (b["status"] == "gap").to_numpy(dtype=int),
        }
    )
    areas = frame.groupby("pcode", sort=True).sum().round().astype(np.int64).reset_index()
    if municipalities is not None and {"pcode", "name_en"} <= set(municipalities.columns):
        names = _lookup(municipalities, "pcode", "name_en")
        areas.insert(1, "name_en", areas["pcode"].astype("str").map(names))
    areas = areas.sort_values(
        ["voters_changed", "centres_changed", "pcode"], ascending=[False, False, True]
    ).reset_index(drop=True)
    return ReachComparison(table, areas)


def _reference_areas(
    municipalities: pd.DataFrame | None,
    districts: pd.DataFrame | None,
    regions: pd.DataFrame | None,
    by: Level,
) -> pd.DataFrame:
    """Areas named by the reference layers: index P-code, column ``name_en`` when known."""
    source = {"municipality": municipalities, "district": districts, "region": regions}[by]
    if source is None or "pcode" not in source.columns:
        if by == "region" and districts is not None and "region_pcode" in districts.columns:
            codes = districts["region_pcode"].astype("str").dropna().unique()
            return pd.DataFrame(index=pd.Index(codes, name="pcode"))
        return pd.DataFrame(index=pd.Index([], name="pcode", dtype="str"))
    unique = source.drop_duplicates("pcode")
    names = (
        unique["name_en"].astype("str").to_numpy()
        if "name_en" in unique.columns
        else np.full(len(unique), None)
    )
    return pd.DataFrame({"name_en": names}, index=pd.Index(unique["pcode"].astype("str")))


def _incident_counts(
    result: CoverageResult,
    incidents: pd.DataFrame | None,
    table: pd.DataFrame,
    municipalities: pd.DataFrame | None,
    districts: pd.DataFrame | None,
    by: Level,
) -> pd.DataFrame:
    """Incidents per area, election and category, up to the result's as-of date."""
    empty = pd.DataFrame(
        {
            "pcode": pd.Series([], dtype="str"),
            "election": pd.Series([], dtype="str"),
            "category": pd.Series([], dtype="str"),
            "incidents": pd.Series([], dtype=np.int64),
        }
    )
    if incidents is None or len(incidents) == 0:
        return empty
    dated = incidents[(pd.to_datetime(incidents["date"]) <= result.as_of).to_numpy(bool)]
    place = (
        dated["municipality_pcode"].astype("str")
        if "municipality_pcode" in dated.columns
        else pd.Series(pd.NA, index=dated.index, dtype="str")
    )
    if "centre_id" in dated.columns:
        by_centre = _lookup(table, "centre_id", "municipality_pcode")
        place = place.fillna(dated["centre_id"].astype("str").map(by_centre))
    election = (
        dated["election"].astype("str").fillna("unspecified")
        if "election" in dated.columns
        else pd.Series("unspecified", index=dated.index)
    )
    keyed = pd.DataFrame(
        {
            "pcode": _area_keys(place, municipalities, districts, by).to_numpy(),
            "election": election.to_numpy(),
            "category": dated["category"].astype("str").fillna("other").to_numpy(),
        }
    )
    if keyed.empty:
        return empty
    counted = keyed.groupby(["pcode", "election", "category"]).size().rename("incidents")
    return counted.reset_index().astype({"incidents": np.int64})


NeedList = Literal["gaps", "officers", "women"]
#: The three ranked lists of centres in need, in the order pages and reports show them.
NEED_LISTS: tuple[NeedList, ...] = ("gaps", "officers", "women")
#: Title of each list (English; :mod:`geo.i18n` holds the Arabic).
NEED_LIST_TITLES: dict[NeedList, str] = {
    "gaps": "Centres with no protection (gap)",
    "officers": "Centres short of officers",
    "women": "Centres where women vote with too few female officers",
}
#: File name of each list's CSV download.
NEED_LIST_FILES: dict[NeedList, str] = {
    "gaps": "gap_list.csv",
    "officers": "officer_shortfall_list.csv",
    "women": "female_officer_shortfall_list.csv",
}


def _in_need(table: pd.DataFrame, which: NeedList) -> NDArray[np.bool_]:
    """Mask of the centres of ``table`` that belong to list ``which``."""
    if which == "gaps":
        return (table["status"] == "gap").to_numpy(bool)
    if which == "officers":
        return (table["shortfall"] > 0).to_numpy(bool)
    if which == "women":
        women_vote = table["female_officers_required"] > 0
        return (women_vote & (table["female_shortfall"] > 0)).to_numpy(bool)
    raise InputError(f"unknown list {which!r}; choose one of {', '.join(NEED_LISTS)}")


def need_list(result: CoverageResult, centres: pd.DataFrame, which: NeedList) -> pd.DataFrame:
    """Rank the centres of one list of need by risk × voters.

    Parameters
    ----------
    result
        From :func:`analyse_coverage`.
    centres
        The ``centres`` layer, for names (``name_en``, ``name_ar`` when present).
    which
        ``gaps``: status ``gap`` (neither guard nor response), as many rows as
        :attr:`CoverageSummary.centres_gap`; ``officers``: ``shortfall > 0``
        (:attr:`CoverageSummary.centres_short_of_officers`); ``women``: women vote there
        (at least one female officer required) and ``female_shortfall > 0``, none or too
        few assigned (:attr:`CoverageSummary.centres_short_of_female_officers`).

    Returns
    -------
    pandas.DataFrame
        The centres of the list, ordered by ``priority = risk_score × registered_voters``
        descending (ties by ``centre_id``), with ``rank`` (1 = first), names, and the
        per-centre columns.

    Raises
    ------
    InputError
        When ``which`` names no list.
    """
    table = result.centres
    chosen = table[_in_need(table, which)].copy()
    chosen.insert(0, "priority", chosen["risk_score"] * chosen["registered_voters"])
    chosen = chosen.sort_values(["priority", "centre_id"], ascending=[False, True], kind="stable")
    names = [c for c in ("name_en", "name_ar") if c in centres.columns]
    for offset, column in enumerate(names):
        found = chosen["centre_id"].map(_lookup(centres, "centre_id", column))
        chosen.insert(1 + offset, column, found.to_numpy())
    chosen.insert(0, "rank", np.arange(1, len(chosen) + 1))
    leading = ["rank", "centre_id", *names, "priority"]
    rest = [c for c in chosen.columns if c not in leading]
    return chosen[leading + rest].reset_index(drop=True)


#: Columns of :func:`reach_table`: the per-centre reach as the Coverage page shows it.
REACH_TABLE_COLUMNS: tuple[str, ...] = (
    "centre_id",
    "name_en",
    "name_ar",
    "municipality_pcode",
    "status",
    "reachable",
    "nearest_patrol_min",
    "nearest_rapid_min",
    "reach_model",
)


def reach_table(result: CoverageResult, centres: pd.DataFrame) -> pd.DataFrame:
    """Return every analysed centre's reach: :data:`REACH_TABLE_COLUMNS`, in result order.

    The minutes are those of the model in ``reach_model`` (on roads, or straight line ×
    circuity at the type's speed); pass the table through
    :func:`geo.redaction.coverage_for_viewer` before showing it.
    """
    table = result.centres
    out = pd.DataFrame({"centre_id": table["centre_id"].to_numpy()})
    for column in ("name_en", "name_ar"):
        if column in centres.columns:
            out[column] = out["centre_id"].map(_lookup(centres, "centre_id", column)).to_numpy()
    for column in REACH_TABLE_COLUMNS[3:]:
        out[column] = table[column].to_numpy()
    return out


def gap_list(result: CoverageResult, centres: pd.DataFrame) -> pd.DataFrame:
    """Rank the centres with no protection (status ``gap``): ``need_list(..., "gaps")``."""
    return need_list(result, centres, "gaps")


@dataclass(frozen=True)
class CoverageSummary:
    """Headline figures of one analysis (aggregates, safe for every role)."""

    centres: int
    voters: int
    centres_gap: int
    voters_gap: int
    centres_without_female_officer: int
    officers_required: int
    officers_assigned: int
    shortfall: int
    female_shortfall: int
    centres_short_of_officers: int
    centres_short_of_female_officers: int

    @property
    def share_voters_gap(self) -> float:
        """Share of registered voters whose centre has neither guard nor response."""
        return self.voters_gap / self.voters if self.voters else 0.0


def summarise_coverage(result: CoverageResult) -> CoverageSummary:
    """Return the headline figures of ``result``.

    ``centres_without_female_officer`` counts centres where women vote (a women's or
    mixed station, so at least one female officer is required) but no female officer is
    assigned; ``centres_short_of_female_officers`` those where women vote and none or too
    few are (the ``women`` list of :func:`need_list`); ``centres_short_of_officers`` those
    with an officer shortfall (the ``officers`` list).
    """
    table = result.centres
    gap = (table["status"] == "gap").to_numpy(bool)
    voters = table["registered_voters"].to_numpy(dtype="float64")
    no_woman = (table["female_officers_required"] > 0) & (table["female_officers_assigned"] == 0)
    return CoverageSummary(
        centres=len(table),
        voters=int(voters.sum()),
        centres_gap=int(gap.sum()),
        voters_gap=int(voters[gap].sum()),
        centres_without_female_officer=int(no_woman.sum()),
        officers_required=int(table["officers_required"].sum()),
        officers_assigned=int(table["officers_assigned"].sum()),
        shortfall=int(table["shortfall"].sum()),
        female_shortfall=int(table["female_shortfall"].sum()),
        centres_short_of_officers=int(_in_need(table, "officers").sum()),
        centres_short_of_female_officers=int(_in_need(table, "women").sum()),
    )
