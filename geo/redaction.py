"""Security units as each viewer may see them: positions for some roles, counts for the rest.

Exact positions of security units, and which unit guards which centre, are sensitive
(``DESIGN.md``). A viewer whose role has ``see_unit_positions``
(:attr:`geo.permissions.Viewer.can_see_unit_positions`) gets the units layer as it is;
every other viewer gets per-municipality counts only: no coordinates, no unit IDs and no
unit-to-centre assignment. Every page, export and report that shows units goes through
this module.

Columns are allowed, not denied: a viewer without ``see_unit_positions`` gets only the
columns named in :data:`COLUMNS_WITHOUT_UNIT_POSITIONS` (:func:`columns_for_viewer`), in
every table, layer, details panel and export. A column that is not on the list, such as a
new one added to the analysis, is withheld from them until someone checks that it says
nothing about where units are and adds it. Distances from centres to units and response
times are never on it; the risk score is, because its only unit-dependent part,
``risk_remoteness``, counts whole bands at least :data:`geo.risk.MIN_BAND_KM` wide
(:data:`geo.risk.MIN_BAND_MIN` minutes on roads).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import AccessDeniedError, InputError
from geo.livestate import LiveState
from geo.permissions import Viewer
from geo.risk import COMPONENTS
from geo.schema import INCIDENT_CATEGORIES, UNIT_TYPES

#: Municipality code given to units whose municipality is not known.
UNKNOWN_MUNICIPALITY = "unknown"

#: Columns of :func:`unit_counts_by_municipality`, in order.
COUNT_COLUMNS: tuple[str, ...] = (
    "municipality_pcode",
    "units",
    *(f"units_{t}" for t in UNIT_TYPES),
    "officers",
    "female_officers",
    "vehicles",
)

#: Columns of the per-centre coverage table that measure distances to units; combined,
#: they locate units, so they are never on :data:`COLUMNS_WITHOUT_UNIT_POSITIONS`.
UNIT_DISTANCE_COLUMNS: tuple[str, ...] = (
    "nearest_static_km",
    "nearest_patrol_km",
    "nearest_rapid_km",
    "nearest_unit_km",
    "nearest_unit_min",
    "patrol_road_km",
    "rapid_road_km",
    "patrol_response_min",
    "rapid_response_min",
    "nearest_patrol_min",
    "nearest_rapid_min",
)


_COVERAGE_STATUSES = ("full", "guard_only", "response_only", "gap")

#: Every column a viewer without ``see_unit_positions`` may get (any table or layer).
COLUMNS_WITHOUT_UNIT_POSITIONS: frozenset[str] = frozenset(
    {
        # places and names
        "centre_id",
        "name_en",
        "name_ar",
        "pcode",
        "municipality_pcode",
        "municipality_name_en",
        "municipality_name_ar",
        "district_pcode",
        "district_name_en",
        "district_name_ar",
        "region_pcode",
        "region_name_en",
        "region_name_ar",
        "geometry",
        # the centres layer
        "centre_type",
        "stations_male",
        "stations_female",
        "stations_mixed",
        "registered_voters",
        "voters_male",
        "voters_female",
        # coverage: the status says whether a guard stands at the centre and whether
        # some patrol or rapid-response unit reaches it, no more
        "status",
        "guarded",
        "reachable",
        "officers_required",
        "officers_assigned",
        "shortfall",
        "female_officers_required",
        "female_officers_assigned",
        "female_shortfall",
        "rank",
        "priority",
        # risk: remoteness in whole bands (geo.risk), nothing else depends on units
        "risk_score",
        "risk_tier",
        *(column for column, _ in COMPONENTS),
        # which model measured reach and remoteness (network | straight) and what the
        # remoteness bands count (min | km): whether a road joins the centre to some
        # unit, not where the unit is; the distances and minutes themselves stay withheld
        "reach_model",
        "remoteness_model",
        "remoteness_unit",
        "incidents_nearby",
        "incidents_nearby_last_year",
        "incidents_at_centre",
        "last_incident_at_centre_date",
        "last_incident_at_centre_category",
        "municipality_incidents",
        "municipality_incidents_per_10k",
        # accessibility: distances between centres, public geometry
        "access_status",
        "audit_date",
        "nearest_accessible_centre_id",
        "nearest_accessible_km",
        # straight lines against roads (geo.coverage.compare_reach): statuses under two
        # models, each of which every role sees by choosing the model
        "status_straight",
        "status_network",
        "changed",
        "change",
        "centres_changed",
        "voters_changed",
        "centres_lost",
        "voters_lost",
        "centres_gained",
        "voters_gained",
        "centres_gap_straight",
        "centres_gap_network",
        # roll-ups by area
        "centres",
        "voters",
        *(f"centres_{s}" for s in _COVERAGE_STATUSES),
        *(f"voters_{s}" for s in _COVERAGE_STATUSES),
        *(f"share_voters_{s}" for s in _COVERAGE_STATUSES),
        "centres_no_female_officer",
        "risk_mean",
        "risk_max",
        "share_voters_accessible",
        "incidents",
        *(f"incidents_{c}" for c in INCIDENT_CATEGORIES),
        # units as counts per area
        "units",
        *(f"units_{t}" for t in UNIT_TYPES),
        "officers",
        "female_officers",
        "vehicles",
        # incidents (public points)
        "incident_id",
        "date",
        "election",
        "category",
        "severity",
        "fatalities",
        "injuries",
        "verified",
        "source",
        # summary, parameters and data versions
        "item",
        "value",
        "model",
        "parameter",
        "layer",
        "version",
        "rows",
        "written_at",
        "author",
    }
)


def columns_for_viewer(frame: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """Return ``frame`` with only the columns ``viewer`` may get.

    Parameters
    ----------
    frame
        Any table or layer about to be shown or exported (machine column names).
    viewer
        Who is looking.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself for viewers who may see unit positions; otherwise a copy holding
        only the columns of :data:`COLUMNS_WITHOUT_UNIT_POSITIONS` (a GeoDataFrame stays
        one). A column missing from the list, a new one too, is withheld.
    """
    if viewer.can_see_unit_positions:
        return frame
    withheld = [c for c in frame.columns if str(c) not in COLUMNS_WITHOUT_UNIT_POSITIONS]
    return frame.drop(columns=withheld) if withheld else frame.copy()


def _unit_municipality(units: pd.DataFrame, centres: pd.DataFrame | None) -> pd.Series:
    """Municipality of each unit: its own code, else that of its assigned centre."""
    if "municipality_pcode" in units.columns:
        place = units["municipality_pcode"].astype("str")
    else:
        place = pd.Series(pd.NA, index=units.index, dtype="str")
    if (
        centres is not None
        and "assigned_centre_id" in units.columns
        and {"centre_id", "municipality_pcode"}.issubset(centres.columns)
    ):
        unique = centres.drop_duplicates("centre_id")
        lookup = pd.Series(
            unique["municipality_pcode"].astype("str").to_numpy(),
            index=unique["centre_id"].astype("str").to_numpy(),
        )
        place = place.fillna(units["assigned_centre_id"].astype("str").map(lookup))
    return place.fillna(UNKNOWN_MUNICIPALITY)


def unit_counts_by_municipality(
    units: pd.DataFrame, *, centres: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Count units, officers and vehicles per municipality, without any position.

    Parameters
    ----------
    units
        The ``units`` layer (``unit_type``, ``officers``, ``female_officers``,
        ``vehicles`` and ``municipality_pcode``; missing counts are taken as 0).
    centres
        The ``centres`` layer (``centre_id``, ``municipality_pcode``), to place units
        that have no ``municipality_pcode`` by their assigned centre; optional.

    Returns
    -------
    pandas.DataFrame
        :data:`COUNT_COLUMNS`, one row per municipality with at least one unit, sorted
        by P-code; units with no known municipality are counted under
        :data:`UNKNOWN_MUNICIPALITY`. A plain table: no geometry, no unit IDs, no
        assignment.
    """
    if "unit_type" not in units.columns:
        raise InputError(
            "units: column 'unit_type' missing; re-import the units with the layer template"
        )
    frame = pd.DataFrame(
        {
            "municipality_pcode": _unit_municipality(units, centres).to_numpy(),
            "units": np.ones(len(units), dtype=np.int64),
        }
    )
    unit_type = units["unit_type"].astype("str").to_numpy()
    for kind in UNIT_TYPES:
        frame[f"units_{kind}"] = (unit_type == kind).astype(np.int64)
    for column in ("officers", "female_officers", "vehicles"):
        values = units[column] if column in units.columns else pd.Series(0, index=units.index)
        frame[column] = pd.to_numeric(values).fillna(0).to_numpy(dtype=np.int64)
    if frame.empty:
        return pd.DataFrame({c: pd.Series([], dtype="int64") for c in COUNT_COLUMNS}).astype(
            {"municipality_pcode": "str"}
        )
    counts = frame.groupby("municipality_pcode", sort=True).sum().reset_index()
    return pd.DataFrame(counts[list(COUNT_COLUMNS)])


def require_unit_positions(viewer: Viewer) -> None:
    """Raise :class:`AccessDeniedError` unless ``viewer`` may see unit positions."""
    if not viewer.can_see_unit_positions:
        raise AccessDeniedError(
            f"{viewer.name} (role '{viewer.role}') may not see the positions of security units; "
            "per-municipality counts are shown instead. Ask an administrator for the planner "
            "role if you need positions"
        )


def unit_positions(units: pd.DataFrame, viewer: Viewer) -> gpd.GeoDataFrame:
    """Return the units with positions and assignments, for a viewer allowed to see them.

    Raises
    ------
    AccessDeniedError
        The viewer's role does not have ``see_unit_positions``.
    """
    require_unit_positions(viewer)
    if isinstance(units, gpd.GeoDataFrame):
        return units.copy()
    return gpd.GeoDataFrame(units.copy())


def units_for_viewer(
    units: pd.DataFrame, viewer: Viewer, *, centres: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return the units as ``viewer`` may see them.

    Parameters
    ----------
    units
        The ``units`` layer.
    viewer
        Who is looking.
    centres
        The ``centres`` layer, to place units without ``municipality_pcode`` (see
        :func:`unit_counts_by_municipality`).

    Returns
    -------
    pandas.DataFrame
        A copy of ``units`` (a GeoDataFrame with positions) when the viewer may see
        unit positions; otherwise :func:`unit_counts_by_municipality`, a plain table with
        no coordinates, no unit IDs and no assignment to centres.
    """
    if viewer.can_see_unit_positions:
        return unit_positions(units, viewer)
    return unit_counts_by_municipality(units, centres=centres)


def coverage_for_viewer(table: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """Return a per-centre coverage table without unit distances unless allowed (allow-list).

    Parameters
    ----------
    table
        :attr:`geo.coverage.CoverageResult.centres` (or any frame with some of
        :data:`UNIT_DISTANCE_COLUMNS`).
    viewer
        Who is looking.

    Returns
    -------
    pandas.DataFrame
        ``table`` for viewers who may see unit positions; otherwise
        :func:`columns_for_viewer`: no :data:`UNIT_DISTANCE_COLUMNS` nor any column off
        the allow-list (statuses, risk and staffing stay).
    """
    return columns_for_viewer(table, viewer)


def live_state_for_viewer(state: LiveState, viewer: Viewer) -> LiveState:
    """Return the live state whose coverage ``viewer`` is shown on election day.

    ``state`` for viewers who may see unit positions. For the others every unit is
    where the plan put it (:meth:`geo.livestate.LiveState.units_as_planned`): the
    centres that stop being covered the moment a unit is dispatched are those it alone
    covered, and discs of the public patrol radius around them place it to about a
    kilometre. Centre events (closed, suspended, relocated) still change their coverage:
    the morning's coverage is already theirs to see (the Coverage page), and a centre's
    status is public.
    """
    return state if viewer.can_see_unit_positions else state.units_as_planned()
